"""The typed pyarrow path of each reader gives exactly what its line-by-line path gives."""

import datetime as dt

import pandas as pd
import pytest

from benchmarks.readers import FORMATS, mpans
from p9_platform.clock import periods_in_day
from p9_platform.formats import wide_daily
from p9_platform.formats.typed_csv import NeedsLineReader

# 90 UTC days from 1 January 2025 include the 46-period day of 30 March 2025.
DAYS = 90

CASES = [pytest.param(module, build, id=module.FORMAT_NAME) for module, build, _ in FORMATS]


def _typed_reader(module):
    # The DTC module names its typed path after the one flow it reads that way.
    return getattr(module, "_read_typed", None) or module._read_typed_d0379


@pytest.mark.parametrize(("module", "build"), CASES)
def test_typed_path_matches_line_path(module, build) -> None:
    content = build(mpans(2), DAYS)
    typed = _typed_reader(module)(content, "landing/bench")
    by_line = module._read_by_line(content, "landing/bench")
    assert len(typed) > 0
    pd.testing.assert_frame_equal(typed, by_line)


@pytest.mark.parametrize(("module", "build"), CASES)
def test_typed_path_on_damaged_line(module, build) -> None:
    # An x at the start of a middle line breaks most layouts; where it does not (an LCL meter
    # id may be any text), both paths must still agree.
    content = build(mpans(2), DAYS)
    middle = content.index(b"\n", len(content) // 2) + 1
    damaged = content[:middle] + b"x" + content[middle:]
    try:
        typed = _typed_reader(module)(damaged, "landing/bench")
    except NeedsLineReader:
        return
    pd.testing.assert_frame_equal(typed, module._read_by_line(damaged, "landing/bench"))


def _flag_of_period(period: int) -> str:
    if period == 5:
        return "M"
    if period == 6:
        return "E"
    return "A"


def test_wide_daily_blocks_match_line_path(monkeypatch, wide_daily_builder) -> None:
    # Blocks of three rows put block edges inside a day's pair of rows with different units.
    monkeypatch.setattr(wide_daily, "_BLOCK_ROWS", 3)
    kwh_meter, wh_meter = mpans(2)
    rows = []
    for day in ("2025-03-29", "2025-03-30", "2025-10-26", "2025-10-27"):
        length = periods_in_day(dt.date.fromisoformat(day))
        flags = "".join(_flag_of_period(period) for period in range(1, length + 1))
        kwh_values = [
            "" if period == 5 else f"{period * 0.125:.3f}" for period in range(1, length + 1)
        ]
        wh_values = ["" if period == 5 else str(period * 10) for period in range(1, length + 1)]
        rows.append((kwh_meter, day, "kWh", flags, kwh_values))
        rows.append((wh_meter, day, "Wh", flags, wh_values))
    content = wide_daily_builder(rows)

    typed = wide_daily._read_typed(content, "landing/wide.csv")

    pd.testing.assert_frame_equal(typed, wide_daily._read_by_line(content, "landing/wide.csv"))
    long_day = typed.loc[
        (typed["meter_id"] == wh_meter) & (typed["settlement_date"] == pd.Timestamp("2025-10-26"))
    ]
    # Periods 1 to 50 at 10 Wh times the period, without period 5: 10 x (1,275 - 5).
    assert long_day["energy_wh"].sum() == 12_700
    assert long_day["quality"].value_counts().to_dict() == {
        "actual": 48,
        "estimated": 1,
        "missing": 1,
    }
    short_day = typed.loc[
        (typed["meter_id"] == kwh_meter) & (typed["settlement_date"] == pd.Timestamp("2025-03-30"))
    ]
    # 125 Wh times the period over periods 1 to 46, without period 5: 125 x (1,081 - 5).
    assert short_day["energy_wh"].sum() == 134_500
    assert len(short_day) == 46
