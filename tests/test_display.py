"""riskkit.display: the formatters write numbers the one agreed way."""

from __future__ import annotations

import math

from riskkit.display import amount, pct, say


def test_pct_writes_a_fraction_as_percent() -> None:
    assert pct(0.1755) == "17.6%" or pct(0.1755) == "17.5%"  # 0.1755 is not exact in binary
    assert pct(0.125) == "12.5%"
    assert pct(0.349) == "34.9%"
    assert pct(0.01, digits=2) == "1.00%"
    assert pct(math.nan) == "n/a"


def test_amount_has_thousands_separators() -> None:
    assert amount(1_250_000) == "1,250,000"
    assert amount(1234.5678, digits=2) == "1,234.57"
    assert amount(float("nan")) == "n/a"


def test_say_prints_outside_a_notebook(capsys) -> None:
    say("""
        Margin is **34.9%**.
        """)
    assert capsys.readouterr().out.strip() == "Margin is **34.9%**."
