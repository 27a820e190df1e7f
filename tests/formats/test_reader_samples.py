"""Every public sample file is either read, with totals worked out from the raw file, or rejected.

Expected counts and sums were computed with awk over the raw files, independently of the
readers, for example for the long Chellow CSV::

    awk -F, '{s+=$6} END {printf "%.2f %d", s, NR}' hh_data_long.csv   -> 667812.10 6656

The GPL-3 Chellow samples are read from beside the checkout and never copied into the project.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from p9_platform.formats import parse_meter_file
from p9_platform.reads import READ_COLUMNS, MeterFileError

CHELLOW = "chellow_hh_samples"


def parse(folder: Path, name: str) -> pd.DataFrame:
    path = folder / name
    parsed = parse_meter_file(path.read_bytes(), name)
    assert list(parsed.reads.columns) == list(READ_COLUMNS)
    return parsed.reads


def rejection(folder: Path, name: str) -> MeterFileError:
    with pytest.raises(MeterFileError) as caught:
        parse_meter_file((folder / name).read_bytes(), name)
    return caught.value


# (file, rows, missing rows, total Wh) from awk over the raw LCL files.
LCL_TOTALS = [
    ("MAC000002.csv", 17520, 0, 4_214_648),
    ("MAC000004.csv", 17519, 0, 618_246),
    ("MAC000008.csv", 14495, 0, 5_200_978),
    ("MAC000016.csv", 721, 0, 22_025),
    ("MAC000037.csv", 17519, 0, 29_676),
    ("MAC000051.csv", 17462, 0, 5_344_818),
]


@pytest.mark.parametrize(("name", "rows", "missing", "total_wh"), LCL_TOTALS)
def test_lcl_sample_totals(
    shared_real_dir: Path, name: str, rows: int, missing: int, total_wh: int
) -> None:
    reads = parse(shared_real_dir / "lcl_smart_meters", name)
    assert len(reads) == rows
    assert int((reads["quality"] == "missing").sum()) == missing
    assert int(reads["energy_wh"].sum()) == total_wh
    assert reads["meter_id"].unique().tolist() == [name.removesuffix(".csv")]


def test_lcl_clock_change_days(shared_real_dir: Path) -> None:
    reads = parse(shared_real_dir / "lcl_smart_meters", "MAC000002.csv")
    per_day = reads.groupby("settlement_date")["energy_wh"].agg(["size", "sum"])
    # awk: tstp 2013-03-31 00:30 .. 23:00 -> 46 rows, 4.687 kWh;
    # tstp 2013-10-26 23:30 .. 2013-10-28 00:00 -> 50 rows, 10.419 kWh.
    assert per_day.loc["2013-03-31", "size"] == 46
    assert per_day.loc["2013-03-31", "sum"] == 4_687
    assert per_day.loc["2013-10-27", "size"] == 50
    assert per_day.loc["2013-10-27", "sum"] == 10_419


def test_lcl_repeated_autumn_hour_keeps_both(shared_real_dir: Path) -> None:
    reads = parse(shared_real_dir / "lcl_smart_meters", "MAC000002.csv")
    day = reads.loc[reads["settlement_date"] == "2013-10-27"].set_index("settlement_period")
    # Periods 3-4 are 01:00-02:00 BST and 5-6 the same clock hour in GMT.
    local = day["interval_start_utc"].dt.tz_convert("Europe/London")
    assert local[3].strftime("%H:%M %Z") == "01:00 BST"
    assert local[5].strftime("%H:%M %Z") == "01:00 GMT"
    # File lines 14356-14358 are stamped 01:00, 01:30 and 02:00 UTC, the ends of the half
    # hours starting 00:30 UTC (01:30 BST), 01:00 GMT and 01:30 GMT: periods 4, 5 and 6.
    assert day.loc[4, "energy_wh"] == 199
    assert day.loc[5, "energy_wh"] == 174
    assert day.loc[6, "energy_wh"] == 167
    assert day.loc[[4, 5, 6], "source_line"].tolist() == [14356, 14357, 14358]


def test_chellow_long_csv_totals(shared_real_dir: Path) -> None:
    reads = parse(shared_real_dir / CHELLOW, "hh_data_long.csv")
    assert len(reads) == 6656
    assert int(reads["energy_wh"].sum()) == 667_812_100
    assert reads["meter_id"].unique().tolist() == ["2248624512332"]
    assert set(reads["quality"]) == {"actual"}


def test_chellow_long_csv_spring_day(shared_real_dir: Path) -> None:
    reads = parse(shared_real_dir / CHELLOW, "hh_data_long.csv")
    per_day = reads.groupby("settlement_date")["energy_wh"].agg(["size", "sum"])
    # awk over starts 2009-03-29 00:00Z .. 22:30Z: 46 rows, 5412.58 kWh.
    assert per_day.loc["2009-03-29", "size"] == 46
    assert per_day.loc["2009-03-29", "sum"] == 5_412_580
    assert per_day.loc["2009-03-28", "size"] == 48
    assert per_day.loc["2009-03-28", "sum"] == 4_679_020


def test_chellow_insert_csv_local_times(shared_real_dir: Path) -> None:
    reads = parse(shared_real_dir / CHELLOW, "hh_data.csv")
    # Line 1 is a '#Action' header and line 4 a commented-out row. Times without Z are
    # UK clock time: 2008-07-08 01:00 BST is 00:00 UTC.
    assert reads["source_line"].tolist() == [2, 3]
    assert reads["interval_start_utc"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2008-07-08 00:00",
        "2008-07-08 23:30",
    ]
    assert reads["energy_wh"].tolist() == [299, 933]


def test_chellow_simple_csv(shared_real_dir: Path) -> None:
    reads = parse(shared_real_dir / CHELLOW, "hh_data.simple.csv")
    assert len(reads) == 1
    assert reads.at[0, "meter_id"] == "2204707514535"
    assert reads.at[0, "energy_wh"] == 1000
    # 2005-09-15 00:00 BST starts settlement period 1 of that day.
    assert reads.at[0, "settlement_period"] == 1
    assert str(reads.at[0, "settlement_date"].date()) == "2005-09-15"


def test_bg_csv_rejects_bad_mpan_row(shared_real_dir: Path) -> None:
    error = rejection(shared_real_dir / CHELLOW, "hh_data.bg.csv")
    assert error.line == 3
    assert "maptest" in error.expected
    assert "MPAN core" in error.expected


def test_bg_csv_good_rows(shared_real_dir: Path) -> None:
    raw = (shared_real_dir / CHELLOW / "hh_data.bg.csv").read_bytes()
    first_two = b"".join(raw.splitlines(keepends=True)[:2])
    reads = parse_meter_file(first_two, "bg-first-two-rows.csv").reads
    # awk over fields 4..51 of lines 1-2: 95 values, 33.955 kWh; one empty cell.
    assert len(reads) == 96
    assert int((reads["quality"] == "missing").sum()) == 1
    assert int(reads["energy_wh"].sum()) == 33_955
    missing = reads.loc[reads["quality"] == "missing"].iloc[0]
    assert missing["interval_start_utc"] == pd.Timestamp("2008-07-06 00:30", tz="UTC")


DF2_READ = [
    # (file, rows, total Wh, qualities) worked out from the raw lines.
    ("hh_clock_change.df2", 1, 0, {"actual"}),
    ("hh_data2.df2", 5, 1000 + 0 + 1000 + 1000 + 3000, {"actual"}),
    ("hh_data_not_actual.df2", 3, 3000, {"estimated"}),
    ("hh_data_not_actual2.df2", 3, 3000, {"estimated"}),
    ("missing.df2", 3, 0 + 3000 + 1000, {"actual"}),
]


@pytest.mark.parametrize(("name", "rows", "total_wh", "qualities"), DF2_READ)
def test_df2_samples_read(
    shared_real_dir: Path, name: str, rows: int, total_wh: int, qualities: set[str]
) -> None:
    reads = parse(shared_real_dir / CHELLOW, name)
    assert len(reads) == rows
    assert int(reads["energy_wh"].sum()) == total_wh
    assert set(reads["quality"]) == qualities


def test_df2_clock_change_sample(shared_real_dir: Path) -> None:
    reads = parse(shared_real_dir / CHELLOW, "hh_clock_change.df2")
    # 30/03/2014 01:00 UTC ends the half hour starting 00:30 UTC, period 2 of a 46-period day.
    assert reads.at[0, "interval_start_utc"] == pd.Timestamp("2014-03-30 00:30", tz="UTC")
    assert reads.at[0, "settlement_period"] == 2


def test_df2_two_digit_year_and_padding(shared_real_dir: Path) -> None:
    reads = parse(shared_real_dir / CHELLOW, "hh_data2.df2")
    row = reads.loc[reads["source_line"] == 9].iloc[0]
    assert row["meter_id"] == "9998132107764"
    assert row["interval_start_utc"] == pd.Timestamp("2005-12-29 00:00", tz="UTC")
    assert row["energy_wh"] == 0


DF2_REJECTED = [
    ("hh_data_bad_beginning.df2", 2, "commas"),
    ("hh_data_header_but_no_data.df2", None, "found none"),
    ("hh_data_malformed.df2", 4, "4 comma-separated values"),
    ("no_hash.df2", 1, "known meter data format"),
]


@pytest.mark.parametrize(("name", "line", "phrase"), DF2_REJECTED)
def test_df2_samples_rejected(
    shared_real_dir: Path, name: str, line: int | None, phrase: str
) -> None:
    error = rejection(shared_real_dir / CHELLOW, name)
    assert error.line == line
    assert phrase in error.expected
    assert error.source_key == name


def test_d0010_rejected_as_register_reads(shared_real_dir: Path) -> None:
    name = "DTC5259515123502080915D0010.uff"
    error = rejection(shared_real_dir / "kraken_d0010_sample", name)
    assert "D0010" in error.expected
    assert "register readings" in error.expected


def test_every_sample_file_is_covered(shared_real_dir: Path) -> None:
    covered = {name for name, *_ in LCL_TOTALS + DF2_READ + DF2_REJECTED}
    covered |= {"hh_data_long.csv", "hh_data.csv", "hh_data.simple.csv", "hh_data.bg.csv"}
    covered |= {"DTC5259515123502080915D0010.uff"}
    folders = ["lcl_smart_meters", CHELLOW, "kraken_d0010_sample"]
    on_disk = {
        path.name
        for folder in folders
        for path in (shared_real_dir / folder).iterdir()
        if path.name != "PROVENANCE.md"
    }
    assert on_disk == covered
