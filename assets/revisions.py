"""Revision history: the kWh each settlement run changed, and the bill versions it caused."""

import datetime as dt

import dagster as dg
import pandas as pd

from assets.metadata import markdown_table
from assets.partitions import billing_months, settlement_days
from assets.reads import READS_TABLE
from assets.settlement import SETTLED_TABLE
from p9_platform.billing.money import format_pounds
from p9_platform.clock import days_in_window
from p9_platform.revisions import (
    BillVersions,
    bill_version_id,
    daily_run_totals,
    next_bill_versions,
    run_changes,
)
from p9_platform.settlement import runs_used
from resources import Warehouse

RUN_CHANGES_TABLE = "core.settlement_run_changes"
VERSIONS_TABLE = "billing.bill_versions"
VERSION_LINES_TABLE = "billing.bill_line_versions"
LINE_CHANGES_TABLE = "billing.bill_line_changes"

BILLS_TABLE = "billing.bills"
BILL_LINES_TABLE = "billing.bill_lines"


@dg.asset(
    partitions_def=settlement_days,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=["half_hour_reads"],
    group_name="settlement_revisions",
    kinds={"duckdb", "pandas"},
)
def settlement_run_changes(
    context: dg.AssetExecutionContext, warehouse: Warehouse
) -> dg.MaterializeResult:
    """The kWh change between consecutive settlement runs (core.settlement_run_changes), one
    row per meter, settlement day and pair of runs (SF to R1, R1 to R2 and so on), partitioned
    by UK settlement day.

    Runs are compared in settlement order over the half hours each run gave a value for, so
    ``from_half_hours`` and ``to_half_hours`` show when a run covered less of the day.
    """
    days = days_in_window(context.partition_time_window.start, context.partition_time_window.end)
    where = "settlement_date BETWEEN ? AND ?"
    window = [min(days), max(days)]
    reads = (
        warehouse.query(
            f"SELECT meter_id, settlement_date, settlement_run, quality, energy_wh "
            f"FROM {READS_TABLE} WHERE {where}",
            window,
        )
        if warehouse.table_exists(READS_TABLE)
        else pd.DataFrame(
            columns=["meter_id", "settlement_date", "settlement_run", "quality", "energy_wh"]
        )
    )
    totals = daily_run_totals(reads)
    changes = run_changes(totals)
    written = warehouse.replace_rows(RUN_CHANGES_TABLE, changes, where, window)
    context.log.info(
        f"{len(days)} day(s) from {days[0]} to {days[-1]}: {len(totals)} meter-day-run totals, "
        f"{written} run changes"
    )
    runs = totals.groupby("settlement_run", observed=True).size().rename_axis("settlement_run")
    biggest = changes.reindex(changes["change_kwh"].abs().sort_values(ascending=False).index)
    return dg.MaterializeResult(
        metadata={
            "meter_days_by_run": markdown_table(runs.reset_index(name="meter_days")),
            "run_changes": written,
            "net_change_kwh": float(changes["change_kwh"].sum()) if written else 0.0,
            "largest_changes": markdown_table(biggest, rows=20),
        }
    )


def _month_frame(warehouse: Warehouse, table: str, month: str) -> pd.DataFrame:
    if not warehouse.table_exists(table):
        return pd.DataFrame()
    return warehouse.query(f"SELECT * FROM {table} WHERE bill_month = ?", [month])


def _latest_versions(warehouse: Warehouse, month: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the newest stored version of each bill of ``month``, and its lines."""
    if not warehouse.table_exists(VERSIONS_TABLE):
        return pd.DataFrame(columns=["meter_id", "bill_month", "version"]), pd.DataFrame(
            columns=["meter_id", "bill_month", "version"]
        )
    latest = warehouse.query(
        f"SELECT * FROM {VERSIONS_TABLE} WHERE bill_month = ? "
        "QUALIFY version = max(version) OVER (PARTITION BY meter_id)",
        [month],
    )
    lines = warehouse.query(
        f"SELECT l.* FROM {VERSION_LINES_TABLE} l JOIN ("
        f"  SELECT meter_id, max(version) AS version FROM {VERSIONS_TABLE}"
        "   WHERE bill_month = ? GROUP BY meter_id"
        ") v USING (meter_id, version) WHERE l.bill_month = ?",
        [month, month],
    )
    return latest, lines


def _write_versions(warehouse: Warehouse, month: str, new: BillVersions) -> None:
    """Append one month's new versions, lines first and the version rows last.

    Each write first deletes rows with the same version ids, so a rerun after a failure part
    way through replaces what the failed run left instead of adding it twice. A version only
    counts once its row is in billing.bill_versions, which is written last.
    """
    where = "bill_month = ? AND list_contains(?, version_id)"
    for table, frame in (
        (VERSION_LINES_TABLE, new.lines),
        (LINE_CHANGES_TABLE, new.changes),
        (VERSIONS_TABLE, new.versions),
    ):
        if frame.empty:
            continue
        ids = [
            bill_version_id(meter, month, int(version))
            for meter, version in zip(frame["meter_id"], frame["version"], strict=True)
        ]
        warehouse.replace_rows(table, frame.assign(version_id=ids), where, [month, ids])


@dg.asset(
    partitions_def=billing_months,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=["bills", "bill_lines"],
    group_name="bills",
    kinds={"duckdb"},
)
def bill_versions(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Every version of every bill, partitioned by billing month: one row per meter, month and
    version (billing.bill_versions) with the settlement runs it used and its totals, every
    line of each version (billing.bill_line_versions), and the change in pence of each line
    against the version before (billing.bill_line_changes, ``debit`` or ``credit``).

    billing.bills and billing.bill_lines hold the current version. A rebill adds a version
    only when its lines, totals or runs differ from the latest one, so rerunning a month adds
    nothing. Older versions are never deleted.
    """
    window = context.partition_time_window
    months = pd.date_range(window.start.date(), window.end.date(), freq="MS", inclusive="left")
    computed_at = dt.datetime.now(dt.UTC)
    added = []
    changes = []
    for month_start in months:
        month = f"{month_start:%Y-%m}"
        month_end = month_start + pd.offsets.MonthEnd(0)
        bills = _month_frame(warehouse, BILLS_TABLE, month)
        if bills.empty:
            context.log.info(f"{month}: no bills, so no versions")
            continue
        lines = _month_frame(warehouse, BILL_LINES_TABLE, month)
        settled = warehouse.query(
            f"SELECT meter_id, settlement_date, settlement_run, quality FROM {SETTLED_TABLE} "
            "WHERE settlement_date BETWEEN ? AND ?",
            [month_start.date(), month_end.date()],
        )
        latest, latest_lines = _latest_versions(warehouse, month)
        new = next_bill_versions(
            latest, latest_lines, bills, lines, runs_used(settled), computed_at
        )
        _write_versions(warehouse, month, new)
        context.log.info(
            f"{month}: {len(bills)} bills, {len(new.versions)} new versions, "
            f"{len(new.changes)} changed lines"
        )
        added.append(new.versions)
        changes.append(new.changes)

    versions = pd.concat(added, ignore_index=True) if added else pd.DataFrame()
    changed = pd.concat(changes, ignore_index=True) if changes else pd.DataFrame()
    return dg.MaterializeResult(
        metadata={
            "new_versions": len(versions),
            "changed_lines": len(changed),
            "net_change_pence": int(changed["change_pence"].sum()) if len(changed) else 0,
            "versions_preview": markdown_table(versions, rows=20),
            "line_changes": markdown_table(_in_pounds(changed), rows=30),
        }
    )


def _in_pounds(changes: pd.DataFrame) -> pd.DataFrame:
    """Return the line changes with the amounts as pounds text, for people to read."""
    if changes.empty:
        return changes
    shown = changes.loc[
        :,
        ["meter_id", "bill_month", "version", "line_code", "band", "quantity", "direction"],
    ].copy()
    shown["previous_quantity"] = changes["previous_quantity"]
    shown["change"] = changes["change_pence"].map(format_pounds)
    return shown
