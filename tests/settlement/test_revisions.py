import datetime as dt

import pandas as pd

from p9_platform.revisions import (
    VERSION_COLUMNS,
    daily_run_totals,
    line_changes,
    merge_day_ranges,
    next_bill_versions,
    run_changes,
    stale_days,
    stale_months,
)
from p9_platform.settlement import order_runs, runs_used

DAY = pd.Timestamp("2026-11-10")
COMPUTED_AT = dt.datetime(2026, 12, 4, 9, tzinfo=dt.UTC)


def _reads(rows: list[tuple[str, int | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "meter_id": "M1",
            "settlement_date": DAY,
            "settlement_run": [run for run, _ in rows],
            "energy_wh": pd.array([wh for _, wh in rows], dtype="Int64"),
            "quality": ["missing" if wh is None else "actual" for _, wh in rows],
        }
    )


def test_run_changes_follow_settlement_order() -> None:
    # Files arrived R3 first, then SF, then R1; a missing R1 half hour adds nothing.
    reads = _reads([("R3", 500), ("R3", 500), ("SF", 400), ("SF", 400), ("R1", 900), ("R1", None)])
    changes = run_changes(daily_run_totals(reads))
    assert changes["from_run"].tolist() == ["SF", "R1"]
    assert changes["to_run"].tolist() == ["R1", "R3"]
    assert changes["from_kwh"].tolist() == [0.8, 0.9]
    assert changes["to_kwh"].tolist() == [0.9, 1.0]
    assert changes["change_kwh"].round(3).tolist() == [0.1, 0.1]
    assert changes["to_half_hours"].tolist() == [1, 2]


def test_single_run_day_has_no_change() -> None:
    assert run_changes(daily_run_totals(_reads([("SF", 400)]))).empty


def test_order_runs_by_maturity() -> None:
    assert order_runs(["DF", "SF", "R2", "II", "SF"]) == ["II", "SF", "R2", "DF"]


def test_runs_used_skip_missing_half_hours() -> None:
    settled = _reads([("SF", 400), ("R1", 500), ("SF", None)])
    settled.loc[2, "settlement_run"] = "II"
    assert runs_used(settled) == {("M1", "2026-11"): "SF,R1"}


def _lines(amounts: dict[tuple[str, str], tuple[float, int]], version: int = 1) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "meter_id": "M1",
                "bill_month": "2026-11",
                "line_code": code,
                "band": band,
                "rate_p": "1",
                "description": code,
                "quantity": quantity,
                "amount_pence": pence,
                "version": version,
            }
            for (code, band), (quantity, pence) in amounts.items()
        ]
    )


def test_line_changes_debit_and_credit() -> None:
    before = _lines({("energy", "day"): (510.0, 12495), ("duos_red", "red"): (126.0, 1245)})
    after = _lines({("energy", "day"): (500.0, 12250), ("duos_red", "red"): (129.0, 1275)})
    changes = line_changes(before, after).set_index("line_code")
    assert changes.loc["energy", "change_pence"] == -245
    assert changes.loc["energy", "direction"] == "credit"
    assert changes.loc["duos_red", "change_pence"] == 30
    assert changes.loc["duos_red", "direction"] == "debit"


def test_line_only_in_new_version() -> None:
    before = _lines({("energy", "day"): (510.0, 12495)})
    after = _lines({("energy", "day"): (510.0, 12495), ("ccl", ""): (510.0, 395)})
    changes = line_changes(before, after)
    assert changes["line_code"].tolist() == ["ccl"]
    assert changes["previous_amount_pence"].tolist() == [0]
    assert changes["change_pence"].tolist() == [395]


def _bill(net: int, vat: int) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "meter_id": "M1",
                "bill_month": "2026-11",
                "kwh": 720.0,
                "net_pence": net,
                "vat_pence": vat,
                "total_pence": net + vat,
            }
        ]
    )


def _first_version() -> tuple[pd.DataFrame, pd.DataFrame]:
    lines = _lines({("energy", "day"): (510.0, 12495)})
    new = next_bill_versions(
        pd.DataFrame(columns=VERSION_COLUMNS),
        lines.iloc[0:0],
        _bill(12495, 625),
        lines.drop(columns="version"),
        {("M1", "2026-11"): "SF"},
        COMPUTED_AT,
    )
    return new.versions, new.lines


def test_first_bill_is_version_one() -> None:
    versions, lines = _first_version()
    assert versions["version"].tolist() == [1]
    assert versions["runs_used"].tolist() == ["SF"]
    assert lines["version"].tolist() == [1]


def test_same_rebill_adds_no_version() -> None:
    versions, lines = _first_version()
    new = next_bill_versions(
        versions,
        lines,
        _bill(12495, 625),
        lines.drop(columns="version"),
        {("M1", "2026-11"): "SF"},
        COMPUTED_AT,
    )
    assert new.versions.empty
    assert new.changes.empty


def test_changed_rebill_adds_version_two() -> None:
    versions, lines = _first_version()
    rebilled = _lines({("energy", "day"): (513.0, 12569)}).drop(columns="version")
    new = next_bill_versions(
        versions,
        lines,
        _bill(12569, 628),
        rebilled,
        {("M1", "2026-11"): "SF,R1"},
        COMPUTED_AT,
    )
    assert new.versions["version"].tolist() == [2]
    assert new.versions["previous_version"].tolist() == [1]
    assert new.versions["change_total_pence"].tolist() == [77]
    assert new.changes["change_pence"].tolist() == [74]
    assert new.changes["version"].tolist() == [2]


def test_new_runs_alone_add_version() -> None:
    versions, lines = _first_version()
    new = next_bill_versions(
        versions,
        lines,
        _bill(12495, 625),
        lines.drop(columns="version"),
        {("M1", "2026-11"): "SF,R1"},
        COMPUTED_AT,
    )
    assert new.versions["version"].tolist() == [2]
    assert new.versions["change_total_pence"].tolist() == [0]
    assert new.changes.empty


def test_merge_day_ranges_joins_adjacent() -> None:
    d = dt.date
    merged = merge_day_ranges(
        [
            (d(2026, 11, 12), d(2026, 11, 14)),
            (d(2026, 11, 10), d(2026, 11, 11)),
            (d(2026, 11, 20), d(2026, 11, 20)),
        ]
    )
    assert merged == [(d(2026, 11, 10), d(2026, 11, 14)), (d(2026, 11, 20), d(2026, 11, 20))]


def test_stale_days_after_last_build() -> None:
    d = dt.date
    file_reads = [(10, [(d(2026, 11, 9), d(2026, 11, 11))])]
    built = {d(2026, 11, 9): 12, d(2026, 11, 10): 8}
    # The 9th was built after the read; the 10th before it; the 11th never.
    assert stale_days(file_reads, built) == {d(2026, 11, 10), d(2026, 11, 11)}


def test_stale_months_after_last_bill() -> None:
    d = dt.date
    settled = {d(2026, 10, 31): 5, d(2026, 11, 10): 20}
    billed = {d(2026, 10, 1): 6, d(2026, 11, 1): 15}
    assert stale_months(settled, billed) == {d(2026, 11, 1)}
