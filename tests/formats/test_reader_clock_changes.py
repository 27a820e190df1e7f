"""Clock-change days in both directions for every format, and start- versus end-stamped times.

The files are synthetic. Spring 2025: clocks go forward at 01:00 UTC on 30 March (46 periods).
Autumn 2025: clocks go back at 01:00 UTC on 26 October (50 periods). The UK settlement day of
30 March 2025 runs from 00:00 UTC to 23:00 UTC; that of 26 October 2025 from 23:00 UTC on the
25th to 00:00 UTC on the 27th.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import pytest

from p9_platform.formats import parse_meter_file
from p9_platform.reads import MeterFileError

MPAN = "9900000000015"
SPRING = dt.date(2025, 3, 30)
AUTUMN = dt.date(2025, 10, 26)


def utc_starts(first: str, count: int) -> list[pd.Timestamp]:
    start = pd.Timestamp(first, tz="UTC")
    return [start + pd.Timedelta(minutes=30 * index) for index in range(count)]


def periods_of(reads: pd.DataFrame, day: dt.date) -> list[int]:
    rows = reads.loc[reads["settlement_date"] == pd.Timestamp(day)]
    return sorted(rows["settlement_period"].tolist())


# Three UTC days around each change, so the middle settlement day is covered whole.
AROUND = {SPRING: "2025-03-29 00:00", AUTUMN: "2025-10-25 00:00"}
EXPECTED_PERIODS = {SPRING: 46, AUTUMN: 50}


def lcl_file(day: dt.date) -> bytes:
    lines = ["LCLid,tstp,energy(kWh/hh)"]
    for start in utc_starts(AROUND[day], 144):
        end = start + pd.Timedelta(minutes=30)
        lines.append(f"MAC999999,{end:%Y-%m-%d %H:%M:%S}, 0.100 ")
    return "\n".join(lines).encode()


def df2_file(day: dt.date) -> bytes:
    lines = ["#F2", f"#O {MPAN}", "#S 1"]
    for start in utc_starts(AROUND[day], 144):
        end = start + pd.Timedelta(minutes=30)
        lines.append(f"{end:%d/%m/%Y},{end:%H:%M},0.1,A")
    return "\r\n".join(lines).encode()


def bg_file(day: dt.date) -> bytes:
    first = pd.Timestamp(AROUND[day])
    lines = []
    for offset in range(3):
        date = first + pd.Timedelta(days=offset)
        lines.append(",".join([MPAN, "SERIAL1", f"{date:%d/%m/%Y}", *["0.1"] * 48]))
    return "\r\n".join(lines).encode()


def insert_file(day: dt.date) -> bytes:
    rows = [
        f"insert,hh_datum,{MPAN},{start:%Y-%m-%d %H:%M}Z,ACTIVE,0.1,A "
        for start in utc_starts(AROUND[day], 144)
    ]
    return "\n".join(rows).encode()


def simple_file(day: dt.date) -> bytes:
    rows = ["MPAN core, Channel Type, Time, Value, Status"]
    rows += [
        f"{MPAN}, ACTIVE, {start:%Y-%m-%d %H:%M}Z, 0.1, A" for start in utc_starts(AROUND[day], 144)
    ]
    return "\n".join(rows).encode()


def d0379_file(day: dt.date) -> bytes:
    first = pd.Timestamp(AROUND[day])
    body = [f"25B|{MPAN}|AI|PION|"]
    for offset in range(3):
        body.append(f"26B|{first + pd.Timedelta(days=offset):%Y%m%d}|")
        body += ["66L|A|0.100|"] * 48
    lines = ["ZHV|1|D0379001|X|PION|C|UDMS|20251028000000||||OPER|", *body]
    lines.append(f"ZPT|1|{len(body)}||1|20251028000000|")
    return "\n".join(lines).encode()


def wide_file(day: dt.date) -> bytes:
    count = EXPECTED_PERIODS[day]
    names = ",".join(f"p{period:02d}" for period in range(1, 51))
    values = ["0.1"] * count + [""] * (50 - count)
    row = ",".join([MPAN, day.isoformat(), "kWh", "A" * count, *values])
    return f"mpan_core,settlement_date,unit,flags,{names}\n{row}\n".encode()


BUILDERS: dict[str, Callable[[dt.date], bytes]] = {
    "lcl_csv": lcl_file,
    "stark_df2": df2_file,
    "bg_csv": bg_file,
    "chellow_insert_csv": insert_file,
    "chellow_simple_csv": simple_file,
    "dtc_flow": d0379_file,
    "wide_daily_csv": wide_file,
}


@pytest.mark.parametrize("day", [SPRING, AUTUMN], ids=["spring", "autumn"])
@pytest.mark.parametrize("format_name", sorted(BUILDERS))
def test_clock_change_day_complete(format_name: str, day: dt.date) -> None:
    parsed = parse_meter_file(BUILDERS[format_name](day), f"synthetic-{format_name}")
    assert parsed.format_name == format_name
    expected = EXPECTED_PERIODS[day]
    assert periods_of(parsed.reads, day) == list(range(1, expected + 1))
    on_day = parsed.reads.loc[parsed.reads["settlement_date"] == pd.Timestamp(day)]
    assert int(on_day["energy_wh"].sum()) == 100 * expected


@pytest.mark.parametrize("format_name", sorted(BUILDERS))
def test_autumn_repeated_hour_kept(format_name: str) -> None:
    reads = parse_meter_file(BUILDERS[format_name](AUTUMN), "autumn").reads
    day = reads.loc[reads["settlement_date"] == pd.Timestamp(AUTUMN)]
    local = day.set_index("settlement_period")["interval_start_utc"].dt.tz_convert("Europe/London")
    assert local[3].strftime("%H:%M %Z") == "01:00 BST"
    assert local[5].strftime("%H:%M %Z") == "01:00 GMT"
    assert day["interval_start_utc"].is_unique


def test_start_and_end_stamps_align() -> None:
    # The same half hour, 00:00-00:30 UTC on 15 June 2025, from end- and start-stamped sources.
    end_stamped = [
        b"LCLid,tstp,energy(kWh/hh)\nMAC1,2025-06-15 00:30:00, 0.5 \n",
        f"#F2\n#O {MPAN}\n#S 1\n15/06/2025,00:30,0.5,A\n".encode(),
    ]
    start_stamped = [
        f"insert,hh_datum,{MPAN},2025-06-15 00:00Z,ACTIVE,0.5,A\n".encode(),
        f"insert,hh_datum,{MPAN},2025-06-15 01:00,ACTIVE,0.5,A\n".encode(),
        ",".join([MPAN, "S1", "15/06/2025", "0.5", *[""] * 47]).encode(),
    ]
    expected = pd.Timestamp("2025-06-15 00:00", tz="UTC")
    for index, content in enumerate(end_stamped + start_stamped):
        reads = parse_meter_file(content, f"align-{index}").reads
        assert reads.at[0, "interval_start_utc"] == expected, index
        assert reads.at[0, "settlement_period"] == 3, index


def test_insert_csv_local_repeated_hour_by_order() -> None:
    # Without Z, times are UK clock time; the repeated 01:00 and 01:30 appear twice in order.
    clock = ["00:30", "01:00", "01:30", "01:00", "01:30", "02:00"]
    rows = [
        f"insert,hh_datum,{MPAN},2025-10-26 {time},ACTIVE,0.{i + 1},A"
        for i, time in enumerate(clock)
    ]
    reads = parse_meter_file("\n".join(rows).encode(), "local.csv").reads
    starts = reads["interval_start_utc"].dt.strftime("%H:%M").tolist()
    assert starts == ["23:30", "00:00", "00:30", "01:00", "01:30", "02:00"]
    assert reads["settlement_period"].tolist() == [2, 3, 4, 5, 6, 7]


def test_insert_csv_local_third_repeat_rejected() -> None:
    rows = [f"insert,hh_datum,{MPAN},2025-10-26 01:00,ACTIVE,0.1,A"] * 3
    with pytest.raises(MeterFileError) as caught:
        parse_meter_file("\n".join(rows).encode(), "triple.csv")
    assert caught.value.line == 3
    assert "third" in caught.value.expected


def test_insert_csv_skipped_spring_hour_rejected() -> None:
    content = f"insert,hh_datum,{MPAN},2025-03-30 01:30,ACTIVE,0.1,A\n".encode()
    with pytest.raises(MeterFileError) as caught:
        parse_meter_file(content, "gap.csv")
    assert caught.value.line == 1
    assert "skip" in caught.value.expected


@pytest.mark.parametrize(("day", "length"), [("2025-10-26", 50), ("2026-03-29", 46)])
def test_wide_daily_48_on_change_day_rejected(day: str, length: int) -> None:
    names = ",".join(f"p{period:02d}" for period in range(1, 51))
    row = ",".join([MPAN, day, "kWh", "A" * 48, *["0.1"] * 48, "", ""])
    content = f"mpan_core,settlement_date,unit,flags,{names}\n{row}\n".encode()
    with pytest.raises(MeterFileError) as caught:
        parse_meter_file(content, "wide.csv")
    assert caught.value.line == 2
    assert f"{length} settlement periods" in caught.value.expected
    assert "found 48" in caught.value.expected


def test_wide_daily_values_beyond_short_day_rejected() -> None:
    names = ",".join(f"p{period:02d}" for period in range(1, 51))
    row = ",".join([MPAN, "2026-03-29", "kWh", "A" * 46, *["0.1"] * 47, "", "", ""])
    content = f"mpan_core,settlement_date,unit,flags,{names}\n{row}\n".encode()
    with pytest.raises(MeterFileError) as caught:
        parse_meter_file(content, "wide.csv")
    assert "no values after p46" in caught.value.expected


@pytest.mark.parametrize("count", [46, 50])
def test_d0379_local_day_count_rejected(count: int) -> None:
    body = [f"25B|{MPAN}|AI|PION|", "26B|20251026|", *["66L|A|0.100|"] * count]
    lines = ["ZHV|7|D0379001|X|PION|C|UDMS|20251028000000||||OPER|", *body]
    lines.append(f"ZPT|7|{len(body)}||1|20251028000000|")
    with pytest.raises(MeterFileError) as caught:
        parse_meter_file("\n".join(lines).encode(), "d0379.txt")
    assert caught.value.line == 3
    assert "UTC day always has 48" in caught.value.expected
    assert f"found {count}" in caught.value.expected
