"""Professional-grid caps and "one grid, two officers", by hand."""
import pandas as pd

from indicators import REGISTRY


def test_pro_grid_enterprises_cap_80():
    ent = pd.DataFrame({"pro_grid_id": ["P1"] * 80 + ["P2"] * 81 + [None] * 2})
    got = REGISTRY["pro_grid_enterprises"](ent, pro_grids=pd.DataFrame({"pro_grid_id": ["P1", "P2", "P3"]}))
    assert got["enterprises"].to_dict() == {"P1": 80, "P2": 81, "P3": 0}
    assert got["within_cap"].to_dict() == {"P1": True, "P2": False, "P3": True}   # ≤ 80 keeps the cap
    assert got.attrs["unassigned"] == 2


def test_pro_grid_staffing_two_officers():
    staff = pd.DataFrame({"staff_id": list("abcdefg"),
                          "role": ["officer", "officer", "auxiliary", "officer", "inspector", "officer", "officer"],
                          "pro_grid_id": ["P1", "P1", "P1", "P2", "P2", None, "P3"]})
    got = REGISTRY["pro_grid_staffing"](staff, pro_grids=["P1", "P2", "P3", "P4"])
    assert got["officers"].to_dict() == {"P1": 2, "P2": 1, "P3": 1, "P4": 0}
    assert got["complies"].to_dict() == {"P1": True, "P2": False, "P3": False, "P4": False}
    strict = REGISTRY["pro_grid_staffing"](staff, require_auxiliary=True)
    assert strict.loc["P1", "complies"]
