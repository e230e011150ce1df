"""Public names of riskkit 0.1 that moved: each is still importable from its 0.1 place (an alias,
when the meaning is unchanged) or raises an ImportError naming its new place.

The list was made by comparing the ``__all__`` lists and the module-level public functions,
classes and constants of the 0.1 tree with the current one (review risk 10); every 0.1 name
not listed here still imports from where it was.
"""

from __future__ import annotations

import importlib

import pytest

#: (0.1 module, name, new place named by the error) of names whose meaning changed
REMOVED = [
    ("riskkit.volatility.fast", "GarchParams", "riskkit.volatility.GarchParams"),
    ("riskkit.volatility.fast", "SCALE", "riskkit.volatility.choose_scale"),
]
#: (0.1 module, name, module that defines it now) of names kept as aliases
ALIASES = [
    ("riskkit.margin.calibrate", "SIDES", "riskkit.margin.settings"),
]


@pytest.mark.parametrize(("module", "name", "new"), REMOVED)
def test_removed_names_raise_an_error_naming_the_new_place(
    module: str, name: str, new: str
) -> None:
    with pytest.raises(ImportError) as info:
        exec(f"from {module} import {name}", {})  # the statement a 0.1 user wrote
    message = str(info.value)
    assert f"{module}.{name}" in message and new in message
    assert "cannot import name" not in message  # not Python's bare message
    with pytest.raises(ImportError, match=new.replace(".", r"\.")):
        getattr(importlib.import_module(module), name)
    # the place named exists
    new_module, _, new_name = new.rpartition(".")
    assert hasattr(importlib.import_module(new_module), new_name)


def test_garch_params_error_says_the_units_changed() -> None:
    with pytest.raises(ImportError, match=r"return units; 0\.1's percent units are gone"):
        from riskkit.volatility.fast import GarchParams  # noqa: F401


@pytest.mark.parametrize(("module", "name", "home"), ALIASES)
def test_moved_names_with_unchanged_meaning_are_aliases(module: str, name: str, home: str) -> None:
    old = getattr(importlib.import_module(module), name)
    assert old is getattr(importlib.import_module(home), name)


def test_sides_alias_holds_the_0_1_values() -> None:
    from riskkit.margin.calibrate import SIDES

    assert SIDES == ("both", "long", "short")  # riskkit 0.1 riskkit/margin/calibrate.py


def test_unknown_names_still_raise_attribute_error() -> None:
    import riskkit.volatility.fast as fast

    assert not hasattr(fast, "NoSuchName")
