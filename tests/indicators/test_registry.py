"""Every registered indicator has a docstring, a formula, labels and a test naming it
(conventions.md: "a test that loops over the registry and checks each entry has a
docstring, a formula and a test")."""
import pathlib

import pytest

from indicators.registry import INDICATOR_MODULES, REGISTRY, indicator, load_all

HERE = pathlib.Path(__file__).parent
TEST_TEXT = "\n".join(p.read_text(encoding="utf-8") for p in HERE.glob("test_*.py") if p.name != "test_registry.py")


@pytest.mark.parametrize("name", list(load_all()))
def test_entry_is_documented_and_tested(name):
    ind = REGISTRY[name]
    assert (ind.__doc__ or "").strip(), f"{name} has no docstring"
    assert ind.formula.strip() and ind.unit and ind.zh and ind.en, f"{name} lacks formula / unit / labels"
    assert ind.source, f"{name} does not cite the line behind it"
    assert f'"{name}"' in TEST_TEXT or f"'{name}'" in TEST_TEXT or f"{name}(" in TEST_TEXT, \
        f"no test in tests/indicators names {name}"


def test_every_module_registers_one_indicator():
    load_all()
    for mod in INDICATOR_MODULES:
        assert mod in REGISTRY or any(n.startswith(mod) for n in REGISTRY), mod
    assert "rule_3510_compliance" in REGISTRY


def test_registration_refuses_duplicates_and_missing_docstrings():
    with pytest.raises(ValueError, match="twice"):
        indicator("accepted", formula="x", unit="u", zh="z", en="e")(lambda v: v)

    def nodoc(v):
        return v
    with pytest.raises(ValueError, match="docstring"):
        indicator("nodoc_test", formula="x", unit="u", zh="z", en="e")(nodoc)
