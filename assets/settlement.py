"""Settlement revisions: the best view of each half hour across settlement runs."""

import dagster as dg

from assets.metadata import markdown_table
from assets.partitions import settlement_days
from assets.reads import READS_TABLE
from p9_platform.clock import days_in_window
from p9_platform.normalise import coerce_read_dtypes
from p9_platform.settlement import best_view
from resources import Warehouse

SETTLED_TABLE = "core.settled_half_hour_reads"


@dg.asset(
    partitions_def=settlement_days,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=["half_hour_reads"],
    group_name="settlement_revisions",
    kinds={"duckdb", "pandas"},
)
def settled_half_hour_reads(
    context: dg.AssetExecutionContext, warehouse: Warehouse
) -> dg.MaterializeResult:
    """The read billing uses for each meter and half hour (core.settled_half_hour_reads),
    partitioned by UK settlement day.

    From all runs kept side by side in half_hour_reads, it takes the most mature run with a
    value, by settlement order II < SF < R1 < R2 < R3 < RF < DF, whatever order files arrived in.
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
    return dg.MaterializeResult(
        metadata={
            "rows_in": len(reads),
            "rows_settled": written,
            "half_hours_by_run": markdown_table(runs.reset_index(name="half_hours")),
        }
    )
