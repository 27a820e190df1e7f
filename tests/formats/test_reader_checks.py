"""MPAN check digits, units, the DTC envelope and the wide daily layout, on synthetic files."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from p9_platform.formats import detect_format, dtc, lcl, parse_meter_file
from p9_platform.mpan import check_digit, mpan_core_problem, normalise_mpan_core
from p9_platform.reads import MeterFileError

MPAN = "9900000000015"
MPAN_2 = "9900000000024"


def rejected(content: bytes, key: str = "file") -> MeterFileError:
    with pytest.raises(MeterFileError) as caught:
        parse_meter_file(content, key)
    return caught.value


# MPAN check digits


def test_check_digit_by_hand() -> None:
    # 2*3 + 2*5 + 4*7 + 8*13 + 6*17 + 2*19 + 4*23 + 5*29 + 1*31 + 2*37 + 3*41 + 3*43 = 882,
    # 882 mod 11 = 2, so the core 22 4862 4512 332 ends in 2.
    assert check_digit("224862451233") == 2


def test_mpan_core_with_spaces_normalised() -> None:
    assert normalise_mpan_core("22 4862 4512 332") == "2248624512332"


@pytest.mark.parametrize(
    ("core", "phrase"),
    [
        # Weighted sum 1205 by hand, 1205 mod 11 = 6, so this test MPAN should end in 6.
        ("1234567891234", "check digit is 6"),
        ("224862451233", "13 digits"),
        ("maptest", "13 digits"),
    ],
)
def test_mpan_core_problems(core: str, phrase: str) -> None:
    problem = mpan_core_problem(core)
    assert problem is not None
    assert phrase in problem


def test_bad_check_digit_rejects_file() -> None:
    content = b"insert,hh_datum,1234567891234,2025-06-15 00:00Z,ACTIVE,0.5,A\n"
    error = rejected(content)
    assert error.line == 1
    assert "check digit" in error.expected


# Units


def test_unitless_wh_values_rejected_with_unit_hint() -> None:
    # 250000 read as kWh is 250 MWh in half an hour: a Wh file read as kWh.
    content = f"#F2\n#O {MPAN}\n#S 1\n15/06/2025,00:30,250000,A\n".encode()
    error = rejected(content, "wh.df2")
    assert error.line == 4
    assert "at most 5000 kWh" in error.expected
    assert "does not state its unit" in error.expected


def test_start_off_half_hour_rejected() -> None:
    rows = ["2025-06-15 00:00Z", "2025-06-15 00:15Z"]
    content = "".join(f"insert,hh_datum,{MPAN},{start},ACTIVE,0.5,A\n" for start in rows).encode()
    error = rejected(content, "quarter.csv")
    assert error.line == 2
    assert "on the hour or half hour" in error.expected


def test_negative_value_rejected() -> None:
    content = f"insert,hh_datum,{MPAN},2025-06-15 00:00Z,ACTIVE,-0.5,A\n".encode()
    error = rejected(content)
    assert "non-negative" in error.expected


def test_wide_daily_wh_and_kwh_agree(wide_daily_builder: Callable[..., bytes]) -> None:
    in_kwh = wide_daily_builder([(MPAN, "2025-06-15", "kWh", "A" * 48, ["0.123"] * 48)])
    in_wh = wide_daily_builder([(MPAN, "2025-06-15", "Wh", "A" * 48, ["123"] * 48)])
    kwh_reads = parse_meter_file(in_kwh, "kwh.csv").reads
    wh_reads = parse_meter_file(in_wh, "wh.csv").reads
    assert kwh_reads["energy_wh"].tolist() == [123] * 48
    assert wh_reads["energy_wh"].tolist() == [123] * 48
    assert float(wh_reads["kwh"].sum()) == pytest.approx(5.904)


def test_wide_daily_fractional_wh_rejected(wide_daily_builder: Callable[..., bytes]) -> None:
    content = wide_daily_builder([(MPAN, "2025-06-15", "Wh", "A" * 48, ["12.5"] * 48)])
    error = rejected(content)
    assert error.line == 2
    assert "whole number of Wh" in error.expected


def test_wide_daily_unknown_unit_rejected(wide_daily_builder: Callable[..., bytes]) -> None:
    content = wide_daily_builder([(MPAN, "2025-06-15", "MWh", "A" * 48, ["1"] * 48)])
    assert "unit kWh or Wh" in rejected(content).expected


def test_stated_kwh_over_limit_has_no_unit_hint(d0379_builder: Callable[..., bytes]) -> None:
    values = [("A", "6000.000")] + [("A", "0.100")] * 47
    error = rejected(d0379_builder([(MPAN, "AI", [("20250615", values)])]))
    assert "at most 5000 kWh" in error.expected
    assert "does not state its unit" not in error.expected


# D0379 and the DTC envelope


def d0379_day(first: int = 1) -> list[tuple[str, str]]:
    # Values 0.001, 0.002, ... kWh, so a day of 48 sums to 48*49/2 = 1176 Wh.
    return [("A", f"{(first + index) / 1000:.3f}") for index in range(48)]


def test_d0379_two_meters(d0379_builder: Callable[..., bytes]) -> None:
    content = d0379_builder(
        [
            (MPAN, "AI", [("20250615", d0379_day()), ("20250616", d0379_day())]),
            (MPAN_2, "AI", [("20250615", d0379_day())]),
        ]
    )
    parsed = parse_meter_file(content, "d0379.txt")
    reads = parsed.reads
    assert parsed.format_name == "dtc_flow"
    assert len(reads) == 144
    assert reads.groupby("meter_id", observed=True)["energy_wh"].sum().to_dict() == {
        MPAN: 2 * 1176,
        MPAN_2: 1176,
    }
    first = reads.iloc[0]
    # Line 1 ZHV, 2 25B, 3 26B, 4 the first 66L: the half hour starting 00:00 UTC.
    assert first["source_line"] == 4
    assert first["interval_start_utc"] == pd.Timestamp("2025-06-15 00:00", tz="UTC")


def test_d0379_estimates(d0379_builder: Callable[..., bytes]) -> None:
    values = [("E", "0.100")] * 2 + [("A", "0.100")] * 46
    reads = parse_meter_file(d0379_builder([(MPAN, "AI", [("20250615", values)])]), "e").reads
    # Quality is a categorical of all three values, so the count of missing reads is shown too.
    assert reads["quality"].value_counts().to_dict() == {
        "actual": 46,
        "estimated": 2,
        "missing": 0,
    }


@pytest.mark.parametrize(
    ("options", "line", "phrase"),
    [
        ({"record_count": 49}, 52, "record count equal to the 50"),
        ({"group_count": 2}, 52, "group count equal to the 1"),
        ({"flow": "D0036001"}, 1, "confirmed layout"),
    ],
)
def test_d0379_envelope_rejected(
    d0379_builder: Callable[..., bytes], options: dict[str, object], line: int, phrase: str
) -> None:
    content = d0379_builder([(MPAN, "AI", [("20250615", d0379_day())])], **options)
    error = rejected(content)
    assert error.line == line
    assert phrase in error.expected


def test_d0379_trailer_file_id_mismatch(d0379_builder: Callable[..., bytes]) -> None:
    content = d0379_builder([(MPAN, "AI", [("20250615", d0379_day())])])
    content = content.replace(b"ZPT|0000000042", b"ZPT|0000000043")
    error = rejected(content)
    assert "file id" in error.expected


def test_d0379_missing_trailer(d0379_builder: Callable[..., bytes]) -> None:
    content = d0379_builder([(MPAN, "AI", [("20250615", d0379_day())])])
    truncated = b"\n".join(content.splitlines()[:-1])
    error = rejected(truncated)
    assert "ZPT trailer" in error.expected


def test_d0379_export_quantity_rejected(d0379_builder: Callable[..., bytes]) -> None:
    error = rejected(d0379_builder([(MPAN, "AE", [("20250615", d0379_day())])]))
    assert error.line == 2
    assert "found 'AE'" in error.expected


def test_d0379_unknown_record_rejected(d0379_builder: Callable[..., bytes]) -> None:
    content = d0379_builder([(MPAN, "AI", [("20250615", d0379_day())])])
    content = content.replace(b"26B|20250615|", b"99Z|20250615|")
    error = rejected(content)
    assert error.line == 3
    assert "'99Z'" in error.expected


def test_d0379_short_day_rejected(d0379_builder: Callable[..., bytes]) -> None:
    error = rejected(d0379_builder([(MPAN, "AI", [("20250615", d0379_day()[:47])])]))
    assert error.line == 3
    assert "found 47" in error.expected


def test_flow_table_has_no_guessed_layouts() -> None:
    assert set(dtc.FLOWS) == {"D0379", "D0010"}
    assert dtc.FLOWS["D0010"].half_hour is None


# Format detection and the wide daily layout


def test_detect_unknown_format() -> None:
    assert detect_format(b"Ozymandias") is None
    error = rejected(b"Ozymandias", "poem.txt")
    assert error.line == 1
    assert "'Ozymandias'" in error.expected


def test_wide_daily_missing_and_estimated(wide_daily_builder: Callable[..., bytes]) -> None:
    flags = "M" + "E" + "A" * 46
    values = ["", "0.2", *["0.1"] * 46]
    reads = parse_meter_file(wide_daily_builder([(MPAN, "2025-06-15", "kWh", flags, values)]), "w")
    counts = reads.reads["quality"].value_counts().to_dict()
    assert counts == {"actual": 46, "estimated": 1, "missing": 1}
    assert pd.isna(reads.reads.at[0, "energy_wh"])
    assert int(reads.reads["energy_wh"].sum()) == 200 + 4600


def test_wide_daily_flag_cell_mismatch(wide_daily_builder: Callable[..., bytes]) -> None:
    values = ["", *["0.1"] * 47]
    error = rejected(wide_daily_builder([(MPAN, "2025-06-15", "kWh", "A" * 48, values)]))
    assert "a value in p01" in error.expected


def test_wide_daily_48_column_header(wide_daily_builder: Callable[..., bytes]) -> None:
    normal = wide_daily_builder([(MPAN, "2025-06-15", "kWh", "A" * 48, ["1"] * 48)], 48)
    assert len(parse_meter_file(normal, "w48").reads) == 48
    long_day = wide_daily_builder([(MPAN, "2025-10-26", "kWh", "A" * 50, ["1"] * 48)], 48)
    error = rejected(long_day)
    assert "p01..p50" in error.expected


def test_d0379_meter_without_days(d0379_builder: Callable[..., bytes]) -> None:
    values = [("A", "0.500")] * 48
    content = d0379_builder([(MPAN, "AI", []), (MPAN_2, "AI", [("20250101", values)])])
    typed = dtc._read_typed_d0379(content, "d0379.txt")
    pd.testing.assert_frame_equal(typed, dtc._read_by_line(content, "d0379.txt"))
    # The meter without days has no reads, so it is not a category either.
    assert list(typed["meter_id"].cat.categories) == [MPAN_2]
    assert typed["energy_wh"].sum() == 48 * 500


# LCL files the typed parse passes to the line reader

LCL_HEADER = "LCLid,tstp,energy(kWh/hh)\n"


@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        ("inf", "at most 5000 kWh"),
        ("1e20", "at most 5000 kWh"),
        ("-0.2", "non-negative"),
        ("abc", "an energy value in kWh"),
    ],
)
def test_lcl_bad_value_rejected(value: str, phrase: str) -> None:
    content = f"{LCL_HEADER}MAC1,2013-01-01 00:30:00,0.1\nMAC1,2013-01-01 01:00:00,{value}\n"
    error = rejected(content.encode(), "lcl.csv")
    assert error.line == 3
    assert phrase in error.expected


def test_lcl_extra_field_rejected() -> None:
    content = f"{LCL_HEADER}MAC1,2013-01-01 00:30:00,0.1\nMAC1,2013-01-01 01:00:00,0.1,9\n"
    error = rejected(content.encode(), "lcl.csv")
    assert error.line == 3
    assert "at most 3" in error.expected


def test_lcl_blank_line_keeps_line_numbers() -> None:
    content = f"{LCL_HEADER}MAC1,2013-01-01 00:30:00,0.1\n\nMAC1,2013-01-01 01:00:00,x\n"
    assert rejected(content.encode(), "lcl.csv").line == 4


def test_lcl_header_only_gives_no_reads() -> None:
    content = LCL_HEADER.encode()
    typed = lcl._read_typed(content, "lcl.csv")
    assert len(typed) == 0
    pd.testing.assert_frame_equal(typed, lcl._read_by_line(content, "lcl.csv"))
