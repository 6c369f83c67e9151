"""A case's timeline (geodata/case_timeline.py): only steps that happened, rework and
extensions included, the next step due with its deadline — hand-made cases, where the
expected steps are written out."""
from __future__ import annotations

import pandas as pd

from geodata.case_timeline import timeline_from_case, timeline_from_history

T0 = pd.Timestamp("2024-05-06 08:00", tz="Asia/Shanghai")


def h(hours: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(hours=hours)


def steps(tl: pd.DataFrame) -> list[tuple[str, str]]:
    return list(zip(tl["step"], tl["state"]))


def test_a_report_not_yet_accepted_has_registration_due_without_a_deadline():
    tl = timeline_from_case({"reported_at": h(0), "status": "reported"})
    assert steps(tl) == [("reported", "done"), ("registered", "due")]
    assert pd.isna(tl["deadline"].iloc[-1])


def test_a_named_handler_on_a_registered_case_is_not_a_step_that_happened():
    tl = timeline_from_case({"reported_at": h(0), "registered_at": h(1), "deadline": h(9), "status": "registered",
                             "handled_by": "HDL01", "dispatched_by": "DSP01"})
    assert steps(tl) == [("reported", "done"), ("registered", "done"), ("dispatched", "due")]
    assert tl["deadline"].iloc[-1] == h(9)


def test_a_closed_case_names_handling_it_went_through_and_nothing_due():
    tl = timeline_from_case({"reported_at": h(0), "registered_at": h(1), "deadline": h(9), "status": "closed",
                             "handled_by": "HDL01", "closed_at": h(5), "resolved_level": "grid",
                             "rework_count": 1, "extended": True})
    assert steps(tl) == [("reported", "done"), ("registered", "done"), ("handled", "done"), ("rework", "done"),
                         ("extended", "done"), ("closed", "done")]
    assert pd.isna(tl["at"].iloc[2]) and tl["by"].iloc[2] == "HDL01"  # happened, time not recorded
    assert tl["note"].iloc[3] == "×1"


def test_as_of_a_day_before_closing_the_case_was_open_and_due():
    case = {"reported_at": h(0), "registered_at": h(1), "dispatched_at": h(2), "deadline": h(9),
            "status": "closed", "closed_at": h(30)}
    tl = timeline_from_case(case, now=h(3))
    assert steps(tl) == [("reported", "done"), ("registered", "done"), ("dispatched", "done"), ("handled", "due")]
    assert steps(timeline_from_case(case))[-1] == ("closed", "done")


def test_history_gives_rework_the_extension_with_its_deadline_and_what_is_due():
    hist = pd.DataFrame({
        "seq": [1, 2, 3, 4, 5, 6],
        "at": [h(1), h(2), h(3), h(4), h(5), h(6)],
        "action": ["register", "dispatch", "handle", "feedback", "rework", "extend"],
        "to_status": ["registered", "dispatched", "handled", "feedback", "rework", "rework"],
        "by": ["D"] * 6, "level": ["grid"] * 6, "note": [None] * 6,
        "deadline": [h(9)] * 5 + [h(48)]})
    case = {"reported_at": h(0), "status": "rework", "deadline": h(48), "source": "citizen"}
    tl = timeline_from_history(case, hist)
    assert steps(tl) == [("reported", "done"), ("registered", "done"), ("dispatched", "done"), ("handled", "done"),
                         ("feedback", "done"), ("rework", "done"), ("extended", "done"), ("dispatched", "due")]
    assert tl.loc[tl["step"] == "extended", "deadline"].iloc[0] == h(48)
    assert tl["deadline"].iloc[-1] == h(48)
    # as of before the extension: the deadline then was the first one
    before = timeline_from_history(case, hist, now=h(5.5))
    assert steps(before)[-2:] == [("rework", "done"), ("dispatched", "due")]
    assert before["deadline"].iloc[-1] == h(9)


def test_history_of_a_rejected_report_has_nothing_due():
    hist = pd.DataFrame({"seq": [1], "at": [h(1)], "action": ["reject"], "to_status": ["rejected"], "by": ["D"],
                         "level": [None], "note": ["duplicate"], "deadline": [pd.NaT]})
    tl = timeline_from_history({"reported_at": h(0), "status": "rejected"}, hist)
    assert steps(tl) == [("reported", "done"), ("rejected", "done")]
    assert tl["note"].iloc[-1] == "duplicate"
