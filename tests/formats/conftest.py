"""Builders of synthetic meter files for the reader tests.

Every file built here is made up: the MPAN cores use distributor id 99 with a correct check
digit, and the values are small counting sequences so totals can be worked out by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

# Check digits by hand: 9*3 + 9*5 + 1*43 = 115, 115 mod 11 = 5; 9*3 + 9*5 + 2*43 = 158,
# 158 mod 11 = 4.
SYNTHETIC_MPAN = "9900000000015"
SYNTHETIC_MPAN_2 = "9900000000024"

D0379Day = tuple[str, Sequence[tuple[str, str]]]
D0379Group = tuple[str, str, Sequence[D0379Day]]


def build_d0379(
    groups: Sequence[D0379Group],
    *,
    file_id: str = "0000000042",
    record_count: int | None = None,
    group_count: int | None = None,
    flow: str = "D0379001",
) -> bytes:
    """Build a D0379 flow: groups of (MPAN, quantity, [(YYYYMMDD, [(flag, kWh text)])])."""
    body: list[str] = []
    for mpan, quantity, days in groups:
        body.append(f"25B|{mpan}|{quantity}|PION|")
        for day, values in days:
            body.append(f"26B|{day}|")
            body.extend(f"66L|{flag}|{kwh}|" for flag, kwh in values)
    count = len(body) if record_count is None else record_count
    group_total = len(groups) if group_count is None else group_count
    lines = [
        f"ZHV|{file_id}|{flow}|X|PION|C|UDMS|20251028120000||||OPER|",
        *body,
        f"ZPT|{file_id}|{count}||{group_total}|20251028120000|",
    ]
    return ("\n".join(lines) + "\n").encode()


def build_wide_daily(
    rows: Sequence[tuple[str, str, str, str, Sequence[str]]], period_columns: int = 50
) -> bytes:
    """Build a wide daily CSV from rows of (MPAN, date, unit, flags, values)."""
    names = ",".join(f"p{period:02d}" for period in range(1, period_columns + 1))
    lines = [f"mpan_core,settlement_date,unit,flags,{names}"]
    for mpan, day, unit, flags, values in rows:
        cells = list(values) + [""] * (period_columns - len(values))
        lines.append(",".join([mpan, day, unit, flags, *cells]))
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def d0379_builder() -> Callable[..., bytes]:
    """Return the D0379 builder."""
    return build_d0379


@pytest.fixture
def wide_daily_builder() -> Callable[..., bytes]:
    """Return the wide daily CSV builder."""
    return build_wide_daily
