"""Settlement revisions: the best view of each half hour across settlement runs, and which
runs of each day have arrived against the settlement timetable."""

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
import pandas as pd

from assets.metadata import markdown_table, run_scope
from assets.partitions import settlement_days
from assets.reads import READS_TABLE
from p9_platform.clock import days_in_window
from p9_platform.normalise import coerce_read_dtypes
from p9_platform.reads import Quality
from p9_platform.settlement import best_view
from p9_platform.timetable import run_statuses
from resources import Warehouse

SETTLED_TABLE = "core.settled_half_hour_reads"
RUN_STATUS_TABLE = "core.settlement_run_status"
UK = ZoneInfo("Europe/London")


def run_status_frame(reads: pd.DataFrame, days: list[dt.date], today: dt.date) -> pd.DataFrame:
    """Return one row per settlement day and run: its due date and status on ``today``.

    A run has arrived for a day when any meter has a read with a value from it that day.
    """
    with_value = reads.loc[reads["quality"] != Quality.MISSING]
    arrived = with_value.groupby(with_value["settlement_date"].dt.date, observed=True)[
        "settlement_run"
    ].agg(set)
    rows = [
        {
            "settlement_date": status.settlement_date,
            "settlement_run": status.run,
            "due_date": status.due,
            "status": status.status,
        }
        for day in days
        for status in run_statuses(day, arrived.get(day, set()), today)
    ]
    frame = pd.DataFrame(rows)
    frame["settlement_date"] = pd.to_datetime(frame["settlement_date"])
    frame["due_date"] = pd.to_datetime(frame["due_date"])
    return frame


def _run_status_check(statuses: pd.DataFrame) -> dg.AssetCheckResult:
    overdue = statuses.loc[statuses["status"] == "overdue"]
    by_day = statuses.pivot(index="settlement_date", columns="settlement_run", values="status")
    return dg.AssetCheckResult(
        check_name="expected_runs_arrived",
        passed=overdue.empty,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "overdue_runs": len(overdue),
            "days_with_overdue_runs": int(overdue["settlement_date"].nunique()),
            "overdue": markdown_table(overdue, rows=50),
            "status_by_day": markdown_table(by_day.reset_index().tail(62), rows=62),
        },
    )


@dg.asset(
    partitions_def=settlement_days,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=["half_hour_reads"],
    group_name="settlement_revisions",
    kinds={"duckdb", "pandas"},
    check_specs=[
        dg.AssetCheckSpec(
            "expected_runs_arrived",
            asset="settled_half_hour_reads",
            description="Every settlement run due by the timetable (II D+5, SF D+16, R1 D+39, "
            "R2 D+84, R3 D+154, RF D+294 working days; unverified) has arrived for each day.",
        )
    ],
)
def settled_half_hour_reads(
    context: dg.AssetExecutionContext, warehouse: Warehouse
) -> dg.MaterializeResult:
    """The read billing uses for each meter and half hour (core.settled_half_hour_reads),
    partitioned by UK settlement day, and the status of every run of each day
    (core.settlement_run_status: arrived, superseded, overdue, expected or optional).

    From all runs kept side by side in half_hour_reads, it takes the most mature run with a
    value, by settlement order II < SF < R1 < R2 < R3 < RF < DF, whatever order files arrived in.
    Run statuses are as of the UK date of the materialization.
    """
    days = days_in_window(context.partition_time_window.start, context.partition_time_window.end)
    window = [min(days), max(days)]
    where = "settlement_date BETWEEN ? AND ?"
    reads = coerce_read_dtypes(
        warehouse.query(f"SELECT * FROM {READS_TABLE} WHERE {where}", window)
    )

    settled = best_view(reads)
    runs = settled["settlement_run"].value_counts().rename_axis("settlement_run")

    written = warehouse.replace_rows(SETTLED_TABLE, settled, where, window)
    context.log.info(
        f"{len(reads)} reads across runs gave {written} settled half hours for {len(days)} day(s)"
    )

    statuses = run_status_frame(reads, days, dt.datetime.now(UK).date())
    warehouse.replace_rows(RUN_STATUS_TABLE, statuses, where, window)
    overdue = int((statuses["status"] == "overdue").sum())
    if overdue:
        context.log.warning(f"{overdue} settlement run(s) overdue in {days[0]}..{days[-1]}")
    return dg.MaterializeResult(
        metadata={
            **run_scope(context),
            "rows_in": len(reads),
            "rows_settled": written,
            "half_hours_by_run": markdown_table(runs.reset_index(name="half_hours")),
        },
        check_results=[_run_status_check(statuses)],
    )
