"""Weights of the composite score that ranks grids and districts (综合评价).

brief.md: "everything is traceable and feeds performance assessment of people,
grids and departments … a composite score ranks grids and departments". The
standards name the indicators but leave the weights to each town, so they are a
policy choice kept here, in one place, for the town to set. The defaults favour
timeliness (按期结案率), the indicator the national assessment practice puts first,
then closing and disposing at all, then quality (little rework, few extensions)
and the inspectors' 3-5-10 discipline.

Each weight multiplies an indicator's value scaled to [0, 1] with 1 best: rates
where higher is better are taken as they are, rates where lower is better
(``higher_is_better=False`` in the registry) as ``1 − rate``. A group missing an
indicator (``None``: zero denominator or no data) is scored on the others with the
weights renormalised, so a grid is not punished for data it cannot have. The
score is ``100 × Σ wᵢ·sᵢ / Σ wᵢ`` over the indicators present.

>>> round(sum(WEIGHTS.values()), 10)
1.0
"""

#: indicator name → weight (they sum to 1).
WEIGHTS: dict[str, float] = {
    "ontime_closure_rate": 0.30,   # 按期结案率
    "closure_rate": 0.20,          # 结案率
    "disposal_rate": 0.20,         # 处置率
    "rework_rate": 0.10,           # 返工率 (scored as 1 − rate)
    "extension_rate": 0.05,        # 延期率 (scored as 1 − rate)
    "rule_3510_compliance": 0.15,  # 三五十达标率
}
#: A group with fewer accepted cases than this gets no score (too few to rank fairly).
MIN_ACCEPTED = 1
