"""Supersession within a run, the reads schema and the ``p9 reads`` command."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from p9_platform.cli import main
from p9_platform.formats import parse_meter_file
from p9_platform.ingest import supersede
from p9_platform.reads import QUALITY_DTYPE, RUN_DTYPE, TEXT_COLUMNS, text_categorical
from p9_platform.schemas import HALF_HOUR_READS, validate
from p9_platform.schemas.reads import incomplete_meter_days

MPAN = "9900000000015"


def insert_rows(*rows: tuple[str, str, str]) -> bytes:
    """Build a Chellow insert CSV from (UTC start, kWh, status) rows."""
    lines = [
        f"insert,hh_datum,{MPAN},{start}Z,ACTIVE,{kwh},{status}" for start, kwh, status in rows
    ]
    return "\n".join(lines).encode()


def reads_of(key: str, *rows: tuple[str, str, str]) -> pd.DataFrame:
    return parse_meter_file(insert_rows(*rows), key).reads


# Supersession


def test_later_file_supersedes_earlier() -> None:
    first = reads_of("a.csv", ("2025-06-15 00:00", "1.0", "A"), ("2025-06-15 00:30", "2.0", "A"))
    second = reads_of("b.csv", ("2025-06-15 00:30", "2.5", "A"))
    result = supersede(pd.concat([first, second], ignore_index=True), ["a.csv", "b.csv"])
    assert result.current["energy_wh"].tolist() == [1000, 2500]
    assert result.current["source_key"].tolist() == ["a.csv", "b.csv"]
    assert len(result.superseded) == 1
    replaced = result.superseded.iloc[0]
    assert replaced["energy_wh"] == 2000
    assert replaced["superseded_by_key"] == "b.csv"
    assert replaced["superseded_by_line"] == 1


def test_file_order_not_arrival_in_frame() -> None:
    first = reads_of("a.csv", ("2025-06-15 00:00", "1.0", "A"))
    second = reads_of("b.csv", ("2025-06-15 00:00", "3.0", "A"))
    frame = pd.concat([second, first], ignore_index=True)
    assert supersede(frame, ["a.csv", "b.csv"]).current["energy_wh"].tolist() == [3000]
    assert supersede(frame, ["b.csv", "a.csv"]).current["energy_wh"].tolist() == [1000]


def test_actual_supersedes_later_estimate() -> None:
    actual = reads_of("a.csv", ("2025-06-15 00:00", "1.0", "A"))
    estimate = reads_of("b.csv", ("2025-06-15 00:00", "9.0", "E"))
    result = supersede(pd.concat([actual, estimate], ignore_index=True), ["a.csv", "b.csv"])
    assert result.current["quality"].tolist() == ["actual"]
    assert result.superseded["quality"].tolist() == ["estimated"]


def test_missing_never_replaces_value() -> None:
    value = parse_meter_file(
        b"LCLid,tstp,energy(kWh/hh)\nMAC1,2025-06-15 00:30:00, 0.5 \n", "a.csv"
    ).reads
    missing = parse_meter_file(
        b"LCLid,tstp,energy(kWh/hh)\nMAC1,2025-06-15 00:30:00,Null\n", "b.csv"
    ).reads
    result = supersede(pd.concat([value, missing], ignore_index=True), ["a.csv", "b.csv"])
    assert result.current["energy_wh"].tolist() == [500]


def test_duplicate_in_one_file_later_line_wins() -> None:
    reads = reads_of("a.csv", ("2025-06-15 00:00", "1.0", "A"), ("2025-06-15 00:00", "1.5", "A"))
    result = supersede(reads, ["a.csv"])
    assert result.current["source_line"].tolist() == [2]
    assert result.superseded["source_line"].tolist() == [1]


def test_runs_do_not_supersede_each_other() -> None:
    reads = reads_of("a.csv", ("2025-06-15 00:00", "1.0", "A"))
    other_run = reads.assign(settlement_run="R1", energy_wh=pd.array([7], dtype="Int64"))
    result = supersede(pd.concat([reads, other_run], ignore_index=True), ["a.csv"])
    assert len(result.current) == 2
    assert result.superseded.empty


def test_unknown_file_raises() -> None:
    with pytest.raises(ValueError, match="not in file_order"):
        supersede(reads_of("a.csv", ("2025-06-15 00:00", "1.0", "A")), ["b.csv"])


# Schema and completeness


def test_schema_accepts_reader_output() -> None:
    reads = reads_of("a.csv", ("2025-06-15 00:00", "1.0", "A"), ("2025-06-15 00:30", "2.0", "E"))
    assert validate(reads, HALF_HOUR_READS).passed


def test_schema_flags_duplicate_half_hour() -> None:
    reads = reads_of("a.csv", ("2025-06-15 00:00", "1.0", "A"), ("2025-06-15 00:00", "2.0", "A"))
    result = validate(reads, HALF_HOUR_READS)
    assert not result.passed
    assert len(result.invalid) == 2


def test_schema_flags_implausible_energy() -> None:
    reads = reads_of("a.csv", ("2025-06-15 00:00", "1.0", "A"))
    reads["energy_wh"] = pd.array([6_000_000], dtype="Int64")
    reads["kwh"] = reads["energy_wh"].astype("Float64") / 1000.0
    result = validate(reads, HALF_HOUR_READS)
    assert "plausible_half_hour_energy" in set(result.failure_cases["check"].astype(str))


def test_schema_flags_period_not_matching_start() -> None:
    reads = reads_of("a.csv", ("2025-06-15 00:00", "1.0", "A"))
    reads["settlement_period"] = 7
    result = validate(reads, HALF_HOUR_READS)
    assert "period_matches_interval_start" in set(result.failure_cases["check"].astype(str))


def test_schema_flags_naive_times() -> None:
    reads = reads_of("a.csv", ("2025-06-15 00:00", "1.0", "A"))
    reads["interval_start_utc"] = reads["interval_start_utc"].dt.tz_localize(None)
    assert not validate(reads, HALF_HOUR_READS).passed


def test_incomplete_meter_days() -> None:
    # 2025-06-15 runs 23:00 UTC on the 14th to 23:00 UTC on the 15th: 48 periods, 2 given.
    reads = reads_of("a.csv", ("2025-06-14 23:00", "1.0", "A"), ("2025-06-14 23:30", "1.0", "E"))
    report = incomplete_meter_days(reads)
    assert len(report) == 1
    row = report.iloc[0]
    assert row["periods_in_day"] == 48
    assert row["periods_with_value"] == 2
    assert row["periods_estimated"] == 1
    assert row["periods_missing"] == 46


def test_complete_day_not_reported() -> None:
    starts = pd.date_range("2026-03-29 00:00", periods=46, freq="30min")
    rows = [(f"{start:%Y-%m-%d %H:%M}", "0.1", "A") for start in starts]
    assert incomplete_meter_days(reads_of("a.csv", *rows)).empty


# The p9 reads command


def write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_command_prints_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "a.csv", insert_rows(("2025-06-15 00:00", "1.5", "A")))
    assert main(["reads", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("meter_id,interval_start_utc,settlement_date")
    assert lines[1].startswith(f"{MPAN},2025-06-15T00:00:00Z,2025-06-15,3,1500,1.5,actual,SF")


def test_command_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = write(tmp_path, "a.csv", insert_rows(("2025-06-15 00:00", "1.5", "E")))
    second = write(tmp_path, "b.csv", insert_rows(("2025-06-15 00:30", "0.25", "A")))
    assert main(["reads", "--summary", str(first), str(second)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "meter_id,settlement_date,settlement_run,periods_in_day,periods_present,"
        "periods_missing,periods_estimated,kwh"
    )
    assert lines[1] == f"{MPAN},2025-06-15,SF,48,2,46,1,1.75"


def test_command_with_header_only_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = write(tmp_path, "empty.csv", b"LCLid,tstp,energy(kWh/hh)\n")
    reads = write(tmp_path, "a.csv", insert_rows(("2025-06-15 00:00", "1.5", "A")))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main(["reads", str(empty), str(reads)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[1].startswith(f"{MPAN},2025-06-15T00:00:00Z,2025-06-15,3,1500,1.5,actual,SF")


def test_command_rejects_with_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, "good.csv", insert_rows(("2025-06-15 00:00", "1.5", "A")))
    bad = write(tmp_path, "bad.csv", insert_rows(("2025-06-15 00:00", "x", "A")))
    assert main(["reads", str(good), str(bad)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"rejected {bad}, line 1: expected an energy value in kWh, found 'x'" in captured.err


def test_settlement_clock_by_date_matches_clock() -> None:
    from p9_platform.clock import settlement_date_and_period
    from p9_platform.reads import settlement_clock_by_date

    starts = pd.Series(pd.date_range("2025-03-28", "2025-10-28", freq="30min", tz="UTC"))
    expected = settlement_date_and_period(starts)
    pd.testing.assert_frame_equal(settlement_clock_by_date(starts), expected)


# Text columns


def test_reader_text_columns_are_categorical() -> None:
    reads = reads_of("a.csv", ("2025-06-15 00:00", "1.0", "A"), ("2025-06-15 00:30", "2.0", "E"))
    for column in TEXT_COLUMNS:
        assert isinstance(reads[column].dtype, pd.CategoricalDtype), column
    assert reads["meter_id"].tolist() == [MPAN, MPAN]
    assert reads["quality"].tolist() == ["actual", "estimated"]
    assert reads["settlement_run"].tolist() == ["SF", "SF"]
    assert reads["source_key"].tolist() == ["a.csv", "a.csv"]


def test_two_files_keep_quality_categories() -> None:
    first = reads_of("a.csv", ("2025-06-15 00:00", "1.0", "A"))
    second = reads_of("b.csv", ("2025-06-15 00:30", "2.0", "E"))
    both = pd.concat([first, second], ignore_index=True)
    assert both["quality"].dtype == QUALITY_DTYPE
    assert both["settlement_run"].dtype == RUN_DTYPE
    # Each file has its own source key, so that column falls back to plain text.
    assert both["source_key"].tolist() == ["a.csv", "b.csv"]


def test_text_categorical_merges_cleaned_duplicates() -> None:
    cleaned = np.array(["9900000000015", "9900000000023", "9900000000015"], dtype=object)
    column = text_categorical(cleaned, np.array([2, 1, 0, 2]), repeat=2)
    assert list(column.categories) == ["9900000000015", "9900000000023"]
    assert column.tolist() == ["9900000000015"] * 2 + ["9900000000023"] * 2 + ["9900000000015"] * 4


def test_text_categorical_rejects_unknown_value() -> None:
    with pytest.raises(ValueError, match="'unknown'"):
        text_categorical(
            np.array(["actual", "unknown"], dtype=object), np.array([0, 1]), QUALITY_DTYPE
        )
