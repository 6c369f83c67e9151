"""Spatial hot spots of cases: Getis-Ord Gi* on the H3 lattice (热点分析).

brief.md: "Heat maps of where residents' needs and cases concentrate"; "Warn on
surges and on risk hot spots"; "epidemic (dengue) hot-spot prevention".

Method: the local Getis-Ord statistic Gi* (Getis & Ord 1992; Ord & Getis 1995),
as implemented by PySAL ``esda.G_Local(star=True)``, on case counts per H3 cell
(resolution 9, the ``h3`` column ``townbrain assign`` writes) with binary
contiguity weights: a cell's neighbours are the cells of its ``k``-ring
(``h3.grid_disk``), itself included (the * of Gi*). Significance is by conditional
permutation (999 by default): ``p_sim`` is the one-sided pseudo p-value
``(1 + #{simulated ≥ observed}) / (1 + permutations)`` in the direction of the
observed statistic. Hundreds of cells are tested at once, so by default a cell is
called hot when ``Zs > 0`` and ``p_sim`` passes the Benjamini–Hochberg false
discovery rate at ``alpha`` over all cells (Caldas de Castro & Singer 2006
recommend FDR for local spatial statistics); ``fdr=False`` uses ``p_sim < alpha``.

The lattice is the study area's cells: pass ``lattice`` (e.g. the cells covering
the town, ``grids.h3cells.h3_cells_covering``), otherwise the cells with cases
plus ``pad`` rings around them, with zero counts — a lattice of only the cells
with cases would hide the contrast Gi* measures.

Examples
--------
>>> import h3, numpy as np, pandas as pd
>>> centre = h3.latlng_to_cell(31.0, 120.6, 9)
>>> lattice = sorted(h3.grid_disk(centre, 8))
>>> rng = np.random.default_rng(0)
>>> counts = pd.Series(rng.poisson(1.0, len(lattice)), index=lattice)
>>> counts[list(h3.grid_disk(centre, 1))] += 12           # a cluster of 7 cells
>>> hs = hotspots(counts, lattice=lattice, seed=1)
>>> bool(hs.loc[centre, "hot"]), set(hs.index[hs.hot]) <= set(h3.grid_disk(centre, 2))
(True, True)
"""
from __future__ import annotations

import warnings

import h3
import numpy as np
import pandas as pd

__all__ = ["hotspots", "h3_weights", "benjamini_hochberg", "cases_to_h3_counts"]

ALPHA = 0.05
PERMUTATIONS = 999


def benjamini_hochberg(p: np.ndarray, alpha: float = ALPHA) -> float:
    """The Benjamini–Hochberg threshold: reject ``p ≤`` the returned value (0 if none)."""
    p = np.sort(np.asarray(p, dtype=float))
    m = len(p)
    if m == 0:
        return 0.0
    ok = p <= alpha * np.arange(1, m + 1) / m
    return float(p[np.flatnonzero(ok)[-1]]) if ok.any() else 0.0


def h3_weights(cells: list[str], k: int = 1):
    """Binary libpysal weights: cells within ``k`` rings are neighbours."""
    from libpysal.weights import W
    idx = {c: i for i, c in enumerate(cells)}
    neighbours = {i: [idx[n] for n in h3.grid_disk(c, k) if n != c and n in idx] for i, c in enumerate(cells)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # islands are allowed (a cell alone at the lattice edge)
        return W(neighbours, silence_warnings=True)


def cases_to_h3_counts(cases: pd.DataFrame, column: str = "h3") -> pd.Series:
    """Cases per H3 cell (cases without a cell are left out)."""
    return cases[column].dropna().astype(str).value_counts().sort_index()


def hotspots(counts: pd.Series, *, lattice=None, k: int = 1, pad: int = 2, permutations: int = PERMUTATIONS,
             alpha: float = ALPHA, fdr: bool = True, seed: int | None = 0, w=None) -> pd.DataFrame:
    """Gi* hot and cold spots of ``counts`` (a Series indexed by H3 cell, or by any
    unit when ``w`` — libpysal weights over ``lattice`` in that order — is given).

    Returns
    -------
    DataFrame indexed by cell: ``count``, ``z`` (Gi* z-score), ``p_sim``
    (permutation), ``p_norm`` (normal approximation, for reference), ``hot``,
    ``cold``. ``.attrs``: ``threshold`` (the p cut-off used), ``tests``.
    """
    from esda.getisord import G_Local
    counts = counts.groupby(level=0).sum()
    if lattice is None:
        cells = set(counts.index)
        for c in list(counts.index):
            cells.update(h3.grid_disk(c, pad))
        lattice = sorted(cells)
    lattice = list(lattice)
    y = counts.reindex(lattice, fill_value=0).to_numpy(dtype=float)
    if w is None:
        w = h3_weights(lattice, k)
    if len(lattice) < 3 or y.sum() == 0:
        out = pd.DataFrame({"count": y, "z": 0.0, "p_sim": 1.0, "p_norm": 1.0, "hot": False, "cold": False},
                           index=pd.Index(lattice, name="h3"))
        out.attrs.update(threshold=0.0, tests=len(lattice))
        return out
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore")
        g = G_Local(y, w, transform="B", permutations=permutations, star=True, seed=seed, n_jobs=1)
    z = np.nan_to_num(np.asarray(g.Zs, dtype=float))
    p_sim = np.asarray(g.p_sim, dtype=float)
    p_norm = np.asarray(g.p_norm, dtype=float) if hasattr(g, "p_norm") else np.full(len(y), np.nan)
    threshold = benjamini_hochberg(p_sim, alpha) if fdr else alpha
    sig = (p_sim <= threshold) if fdr else (p_sim < alpha)
    out = pd.DataFrame({"count": y, "z": z, "p_sim": p_sim, "p_norm": p_norm,
                        "hot": sig & (z > 0), "cold": sig & (z < 0)}, index=pd.Index(lattice, name="h3"))
    out.attrs.update(threshold=threshold, tests=len(lattice), permutations=permutations)
    return out
