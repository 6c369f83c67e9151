"""Every module shows its own layers — key projects, cameras, approvals, opinion items,
car parks, bus routes, schools, medical insurance — and no "not loaded" placeholder
once the store has them: tiles checked against plain pandas on the same store, the
layers drawn on the map, a clean console."""
from __future__ import annotations

import pandas as pd
import pytest

from callbacks import ids
from callbacks.i18n import LABELS, format_compact, format_rate
from layers import modules as M
from layers.theme_layers import THEME_LAYERS
from tests.browser import town_full
from tests.browser.conftest import TZ
from tests.browser.test_wall import open_wall, visible_layers

themed_town = town_full.themed_town
served_themed = town_full.served_themed

pytestmark = pytest.mark.browser


def expected_layer_tiles(url: str, lang: str) -> dict[str, str]:
    """The oracle: each tile of the modules' own layers by plain pandas on the store,
    formatted as the wall formats it; "this year" as the wall means it."""
    from geodata.store import open_store
    st = open_store(url)
    now = pd.Timestamp.now(tz=TZ)
    y0 = pd.Timestamp(year=now.year, month=1, day=1, tz=TZ)
    y1 = pd.Timestamp(year=now.year + 1, month=1, day=1, tz=TZ)
    out = {}
    p = st.read("key_projects", geometry=False)
    under_way = p[p.status != "planned"]
    out["key_projects"] = format_compact(len(p), lang)
    out["key_project_on_schedule_rate"] = format_rate((under_way.actual_progress >= under_way.planned_progress).mean())
    t = st.read("tasks")
    due = t[(t.issued_at >= y0) & (t.issued_at < y1) & (t.deadline < now)]
    out["task_ontime_rate"] = format_rate((due.completed_at <= due.deadline).mean())
    c = st.read("cameras", geometry=False)
    out["camera_online_rate"] = format_rate((c.status == "online").mean())
    a = st.read("approvals")
    sub = a[(a.submitted_at >= y0) & (a.submitted_at < y1)]
    done = a[(a.completed_at >= y0) & (a.completed_at < y1)]
    out["approvals"] = format_compact(len(sub), lang)
    out["approval_ontime_rate"] = format_rate((done.completed_at <= done.deadline).mean())
    out["approval_no_visit_share"] = format_rate((sub.visits == 0).mean())
    out["approval_avg_days"] = f"{((done.completed_at - done.submitted_at).dt.total_seconds() / 86400).mean():.1f}"
    o = st.read("opinion_items", geometry=False)
    o = o[(o.published_at >= y0) & (o.published_at < y1)]
    neg = o[o.sentiment == "negative"]
    out["opinion_items"] = format_compact(len(o), lang)
    out["opinion_negative_share"] = format_rate(len(neg) / len(o))
    out["opinion_handled_rate"] = format_rate((neg.handled_at <= now).mean())
    k = st.read("parking", geometry=False)
    out["parking_occupancy"] = format_rate(k.occupied.sum() / k.spaces.sum())
    km = st.read("bus_routes").to_crs(4549).length.sum() / 1000
    out["bus_route_km"] = f"{km:,.0f}" if km >= 100 else f"{km:,.1f}"
    m = st.read("medical_insurance")
    m = m[m.year == m.year.max()]
    out["insurance_coverage_rate"] = format_rate((m.insured_employee + m.insured_resident).sum() / m.eligible.sum())
    s = st.read("schools", geometry=False)
    out["school_application_ratio"] = format_rate(s.applications.sum() / s.intake_places.sum())
    st.close()
    return out


MODULES_WITH_OWN_LAYERS = [m for m in M.MODULES if m.needs]


def test_every_module_with_layers_of_its_own_declares_them():
    assert {m.id for m in MODULES_WITH_OWN_LAYERS} == {"livelihood", "online", "leadership", "public", "admin",
                                                        "transport"}
    for module in MODULES_WITH_OWN_LAYERS:
        own = [layer for layer in module.layers if layer in THEME_LAYERS]
        assert own or module.id == "admin", module.id        # approvals are not mapped
        assert set(own) <= set(module.needs), module.id


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_modules_show_their_own_layers_and_no_placeholder(served_themed, themed_town, lang):
    duo = served_themed
    expected = expected_layer_tiles(themed_town, lang)
    for module in MODULES_WITH_OWN_LAYERS:
        open_wall(duo, f"?module={module.id}" + ("&lang=en" if lang == "en" else ""))
        assert not duo.find_element(f"#{ids.MODULE_NEEDS}").is_displayed(), module.id
        assert LABELS[lang]["needs.title"] not in duo.find_element(f"#{ids.WALL}").text, module.id
        checked = 0
        for name in module.kpis:
            if name in expected:
                duo.wait_for_text_to_equal(f"#{ids.module_kpi(name)}", expected[name])
                checked += 1
        assert checked >= 1, module.id
        shown = visible_layers(duo)
        for layer in module.layers:
            if layer in THEME_LAYERS:
                assert layer in shown, (module.id, layer, shown)
        assert len(duo.find_elements(f"#{ids.MODULE_CHARTS} .module-chart")) == len(module.charts)
        assert duo.get_logs() == [], module.id
