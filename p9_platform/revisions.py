"""Settlement revisions and what they change: kWh per run, bill versions and rebuild ranges.

Every settlement run of a day is kept side by side, so the change a later run makes is a
difference between stored rows. A bill is versioned per meter and month: a rebill adds a
version only when its lines, totals or runs differ from the latest version, and the
difference to that version is kept line by line in pence.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping

import pandas as pd

from p9_platform.reads import Quality
from p9_platform.settlement import RUN_RANK

RUN_CHANGE_COLUMNS = [
    "meter_id",
    "settlement_date",
    "from_run",
    "to_run",
    "from_kwh",
    "to_kwh",
    "change_kwh",
    "from_half_hours",
    "to_half_hours",
]


def daily_run_totals(reads: pd.DataFrame) -> pd.DataFrame:
    """Sum each meter's energy per settlement day and run over the half hours with a value.

    Returns one row per meter, day and run: ``energy_wh`` and ``half_hours``, the count of half
    hours that run gave a value for. A run whose every half hour is missing is left out.
    """
    with_value = reads.loc[reads["quality"] != Quality.MISSING]
    keys = ["meter_id", "settlement_date", "settlement_run"]
    if with_value.empty:
        return pd.DataFrame(columns=[*keys, "energy_wh", "half_hours"])
    totals = with_value.groupby(keys, as_index=False, observed=True).agg(
        energy_wh=("energy_wh", "sum"), half_hours=("energy_wh", "size")
    )
    totals["energy_wh"] = totals["energy_wh"].astype("int64")
    return totals


def run_changes(totals: pd.DataFrame) -> pd.DataFrame:
    """Return the kWh change between consecutive runs of each meter and settlement day.

    ``totals`` is the output of :func:`daily_run_totals`. Runs are compared in settlement
    order, so a day with SF, R1 and R3 gives the rows SF to R1 and R1 to R3 whatever order the
    files arrived in. A day with one run has no change row.
    """
    rows = []
    for (meter_id, day), group in totals.groupby(["meter_id", "settlement_date"], observed=True):
        ordered = group.assign(_rank=group["settlement_run"].map(RUN_RANK)).sort_values("_rank")
        records = ordered.to_dict("records")
        for before, after in zip(records, records[1:], strict=False):
            rows.append(
                {
                    "meter_id": meter_id,
                    "settlement_date": day,
                    "from_run": before["settlement_run"],
                    "to_run": after["settlement_run"],
                    "from_kwh": before["energy_wh"] / 1000,
                    "to_kwh": after["energy_wh"] / 1000,
                    "change_kwh": (after["energy_wh"] - before["energy_wh"]) / 1000,
                    "from_half_hours": before["half_hours"],
                    "to_half_hours": after["half_hours"],
                }
            )
    return pd.DataFrame(rows, columns=RUN_CHANGE_COLUMNS)


# A bill line is identified by its charge, band and rate; a changed rate is a different line.
LINE_KEY = ["line_code", "band", "rate_p"]
LINE_VALUES = ["quantity", "amount_pence"]
BILL_VALUES = ["net_pence", "vat_pence", "total_pence"]

VERSION_COLUMNS = [
    "meter_id",
    "bill_month",
    "version",
    "computed_at_utc",
    "runs_used",
    "kwh",
    "net_pence",
    "vat_pence",
    "total_pence",
    "previous_version",
    "change_total_pence",
]

CHANGE_COLUMNS = [
    "meter_id",
    "bill_month",
    "version",
    "previous_version",
    *LINE_KEY,
    "description",
    "previous_quantity",
    "quantity",
    "previous_amount_pence",
    "amount_pence",
    "change_pence",
    "direction",
]


@dataclasses.dataclass(frozen=True)
class BillVersions:
    """The versions one rebill adds.

    ``versions``: one row per meter-month that changed (:data:`VERSION_COLUMNS`).
    ``lines``: every bill line of each new version, with its ``version`` number.
    ``changes``: one row per line whose quantity or amount differs from the previous version
    (:data:`CHANGE_COLUMNS`); a first version has none.
    """

    versions: pd.DataFrame
    lines: pd.DataFrame
    changes: pd.DataFrame


def _comparable_lines(lines: pd.DataFrame) -> pd.DataFrame:
    keyed = lines.loc[:, [*LINE_KEY, *LINE_VALUES]].astype(
        {"line_code": str, "band": str, "rate_p": str, "amount_pence": "int64"}
    )
    keyed["quantity"] = keyed["quantity"].astype(float).round(6)
    return keyed.sort_values(LINE_KEY).reset_index(drop=True)


def lines_differ(previous: pd.DataFrame, current: pd.DataFrame) -> bool:
    """Return True when two sets of one bill's lines differ in any line, quantity or amount."""
    before = _comparable_lines(previous)
    after = _comparable_lines(current)
    return not before.equals(after)


def line_changes(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Return one row per bill line whose quantity or amount changed between two versions.

    A line in only one version counts as zero in the other. ``change_pence`` is the current
    amount less the previous one. ``direction`` is ``debit`` when the customer owes more and
    ``credit`` when less; a line whose quantity changed but whose amount did not is
    ``unchanged``.
    """
    before = previous.loc[:, [*LINE_KEY, "description", *LINE_VALUES]]
    after = current.loc[:, [*LINE_KEY, "description", *LINE_VALUES]]
    merged = before.merge(after, on=LINE_KEY, how="outer", suffixes=("_previous", ""))
    merged["description"] = merged["description"].fillna(merged["description_previous"])
    merged["previous_quantity"] = merged["quantity_previous"].astype(float).fillna(0.0)
    merged["quantity"] = merged["quantity"].astype(float).fillna(0.0)
    merged["previous_amount_pence"] = merged["amount_pence_previous"].fillna(0).astype("int64")
    merged["amount_pence"] = merged["amount_pence"].fillna(0).astype("int64")
    merged["change_pence"] = merged["amount_pence"] - merged["previous_amount_pence"]
    quantity_moved = (merged["quantity"] - merged["previous_quantity"]).abs() > 1e-9
    changed = merged.loc[quantity_moved | (merged["change_pence"] != 0)].copy()
    changed["direction"] = "unchanged"
    changed.loc[changed["change_pence"] > 0, "direction"] = "debit"
    changed.loc[changed["change_pence"] < 0, "direction"] = "credit"
    columns = [c for c in CHANGE_COLUMNS if c in changed.columns]
    return changed.loc[:, columns].sort_values(LINE_KEY).reset_index(drop=True)


def next_bill_versions(
    latest_versions: pd.DataFrame,
    latest_lines: pd.DataFrame,
    bills: pd.DataFrame,
    lines: pd.DataFrame,
    runs_by_bill: Mapping[tuple[str, str], str],
    computed_at: dt.datetime,
) -> BillVersions:
    """Decide which bills of a rebill become new versions, and what changed in each.

    ``latest_versions`` holds the newest stored version per meter and month (columns of
    :data:`VERSION_COLUMNS`) and ``latest_lines`` its lines. ``bills`` and ``lines`` are the
    rebill's output and ``runs_by_bill`` the runs each bill used, keyed by (meter, month). A
    bill gets version 1 when it has none, the next number when its lines, totals or runs
    differ from the latest version, and nothing when all are the same, so rerunning a month
    adds no version.
    """
    latest = latest_versions.set_index(["meter_id", "bill_month"])
    version_rows = []
    line_frames = []
    change_frames = []
    for bill in bills.to_dict("records"):
        key = (str(bill["meter_id"]), str(bill["bill_month"]))
        runs = runs_by_bill.get(key, "")
        new_lines = lines.loc[
            (lines["meter_id"] == key[0]) & (lines["bill_month"] == key[1])
        ].reset_index(drop=True)

        previous_version = None
        change_total = None
        if key in latest.index:
            stored = latest.loc[key]
            previous_version = int(stored["version"])
            old_lines = latest_lines.loc[
                (latest_lines["meter_id"] == key[0])
                & (latest_lines["bill_month"] == key[1])
                & (latest_lines["version"] == previous_version)
            ]
            same_totals = all(int(stored[name]) == int(bill[name]) for name in BILL_VALUES)
            if (
                same_totals
                and str(stored["runs_used"]) == runs
                and not lines_differ(old_lines, new_lines)
            ):
                continue
            change_total = int(bill["total_pence"]) - int(stored["total_pence"])
            change_frames.append(
                line_changes(old_lines, new_lines).assign(
                    meter_id=key[0],
                    bill_month=key[1],
                    version=previous_version + 1,
                    previous_version=previous_version,
                )
            )

        version = 1 if previous_version is None else previous_version + 1
        version_rows.append(
            {
                "meter_id": key[0],
                "bill_month": key[1],
                "version": version,
                "computed_at_utc": computed_at,
                "runs_used": runs,
                "kwh": float(bill["kwh"]),
                "net_pence": int(bill["net_pence"]),
                "vat_pence": int(bill["vat_pence"]),
                "total_pence": int(bill["total_pence"]),
                "previous_version": previous_version,
                "change_total_pence": change_total,
            }
        )
        line_frames.append(new_lines.assign(version=version))

    versions = pd.DataFrame(version_rows, columns=VERSION_COLUMNS)
    versions["previous_version"] = versions["previous_version"].astype("Int64")
    versions["change_total_pence"] = versions["change_total_pence"].astype("Int64")
    new_lines_frame = pd.concat(line_frames, ignore_index=True) if line_frames else lines.iloc[0:0]
    changes_frame = (
        pd.concat(change_frames, ignore_index=True).loc[:, CHANGE_COLUMNS]
        if change_frames
        else pd.DataFrame(columns=CHANGE_COLUMNS)
    )
    return BillVersions(versions=versions, lines=new_lines_frame, changes=changes_frame)


def bill_version_id(meter_id: str, bill_month: str, version: int) -> str:
    """Return the text key of one bill version, e.g. ``MAC000002/2026-11/v2``."""
    return f"{meter_id}/{bill_month}/v{version}"


# Which partitions a revision touches.


def merge_day_ranges(ranges: Iterable[tuple[dt.date, dt.date]]) -> list[tuple[dt.date, dt.date]]:
    """Merge overlapping or adjacent day ranges (first and last day, inclusive), in date order."""
    merged: list[tuple[dt.date, dt.date]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + dt.timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def contiguous_ranges(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Group days into runs of consecutive days, returned as (first, last) pairs."""
    return merge_day_ranges((day, day) for day in days)


def month_of(day: dt.date) -> dt.date:
    """Return the first day of the billing month that ``day`` belongs to."""
    return day.replace(day=1)


def stale_days(
    file_reads: Iterable[tuple[int, list[tuple[dt.date, dt.date]]]],
    built_by_day: Mapping[dt.date, int],
) -> set[dt.date]:
    """Return the days that a file read after the day's last build touches.

    ``file_reads`` pairs the event id of each read of new files with the day ranges those files
    cover; ``built_by_day`` maps each built day to the event id of its last build. Event ids
    grow with time, so a file read with a higher id than the day's build came after it. A day
    never built is stale as soon as any file covers it.
    """
    stale = set()
    for event_id, ranges in file_reads:
        for start, end in ranges:
            day = start
            while day <= end:
                if built_by_day.get(day, -1) < event_id:
                    stale.add(day)
                day += dt.timedelta(days=1)
    return stale


def stale_months(
    settled_by_day: Mapping[dt.date, int], billed_by_month: Mapping[dt.date, int]
) -> set[dt.date]:
    """Return the months (first days) with a day settled after the month was last billed.

    Both maps hold the event id of each partition's last build, as in :func:`stale_days`.
    """
    return {
        month_of(day)
        for day, event_id in settled_by_day.items()
        if billed_by_month.get(month_of(day), -1) < event_id
    }
