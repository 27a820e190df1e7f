"""Bills: each meter's month priced down to the half hour, exact to the penny."""

import datetime as dt

import dagster as dg
import pandas as pd

from assets.metadata import bar_chart, markdown_table, run_scope, schema_check
from assets.partitions import billing_months
from assets.settlement import SETTLED_TABLE
from assets.tariffs import TARIFF_FIELDS, read_tariff_tables
from p9_platform.billing.engine import BillRun, bill_month
from p9_platform.billing.money import format_pounds
from p9_platform.normalise import coerce_read_dtypes
from p9_platform.schemas import BILL_LINES, BILLS
from resources import Warehouse

BILL_TABLES = {
    "half_hourly": "billing.half_hourly_lines",
    "daily": "billing.daily_lines",
    "lines": "billing.bill_lines",
    "bills": "billing.bills",
    "exceptions": "billing.bill_exceptions",
}

SETTLED_READS_DEP = dg.AssetDep(
    "settled_half_hour_reads", partition_mapping=dg.TimeWindowPartitionMapping()
)
TARIFF_DEPS = [dg.AssetDep(f"tariff_{field}") for field in TARIFF_FIELDS]


def months_in_window(start: dt.datetime, end: dt.datetime) -> list[dt.date]:
    """Return the first day of each billing month in a partition time window."""
    months = pd.date_range(start.date(), end.date(), freq="MS", inclusive="left")
    return [stamp.date() for stamp in months]


def write_bill_run(warehouse: Warehouse, run: BillRun, month: str) -> dict[str, int]:
    """Replace one month in every billing table; return rows written per table."""
    written = {}
    for field, table in BILL_TABLES.items():
        frame = getattr(run, field)
        written[table] = warehouse.replace_rows(table, frame, "bill_month = ?", [month])
    return written


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "half_hourly_bill_lines",
            group_name="bills",
            deps=[SETTLED_READS_DEP, *TARIFF_DEPS],
            kinds={"duckdb"},
            description="Each unit-rate charge of each metered half hour "
            "(billing.half_hourly_lines) and each day-based charge of each live day "
            "(billing.daily_lines), in exact nanopence; partitioned by billing month.",
        ),
        dg.AssetSpec(
            "bill_lines",
            group_name="bills",
            deps=["half_hourly_bill_lines"],
            kinds={"duckdb"},
            description="One row per meter, month, charge and rate (billing.bill_lines): "
            "quantity, rate and the amount rounded once to whole pence.",
        ),
        dg.AssetSpec(
            "bills",
            group_name="bills",
            deps=["bill_lines"],
            kinds={"duckdb"},
            description="One bill per meter and month (billing.bills) with net, VAT and total "
            "in pence, and one exception row per meter that could not be billed "
            "(billing.bill_exceptions) naming the missing tariff or reads.",
        ),
    ],
    partitions_def=billing_months,
    backfill_policy=dg.BackfillPolicy.single_run(),
    check_specs=[
        dg.AssetCheckSpec("bill_lines_schema", asset="bill_lines"),
        dg.AssetCheckSpec("bills_schema", asset="bills"),
        dg.AssetCheckSpec(
            "bills_on_complete_reads",
            asset="bills",
            description="No bill was priced with half hours missing, which count as zero kWh.",
        ),
        dg.AssetCheckSpec(
            "every_supply_billed",
            asset="bills",
            description="Every live supply point got a bill; exceptions say why one did not.",
        ),
    ],
)
def monthly_bills(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Bill every live supply point for each month in the partition range."""
    tables = read_tariff_tables(warehouse)
    window = context.partition_time_window
    runs = {}
    for month_start in months_in_window(window.start, window.end):
        month = f"{month_start:%Y-%m}"
        month_end = (pd.Timestamp(month_start) + pd.offsets.MonthEnd(0)).date()
        reads = coerce_read_dtypes(
            warehouse.query(
                f"SELECT * FROM {SETTLED_TABLE} WHERE settlement_date BETWEEN ? AND ?",
                [month_start, month_end],
            )
        )
        run = bill_month(reads, tables, month_start)
        written = write_bill_run(warehouse, run, month)
        context.log.info(
            f"{month}: {len(run.bills)} bills, {len(run.lines)} bill lines, "
            f"{len(run.half_hourly)} half-hourly lines, {len(run.exceptions)} exceptions; "
            f"wrote {sum(written.values())} rows"
        )
        for exception in run.exceptions.itertuples():
            context.log.warning(f"{month} {exception.meter_id} not billed: {exception.reason}")
        runs[month] = run

    yield from _results(runs, run_scope(context))


def _results(runs: dict[str, BillRun], scope: dict[str, dg.MetadataValue]):
    """Report the months billed as metadata and check results."""
    half_hourly = pd.concat([run.half_hourly for run in runs.values()], ignore_index=True)
    lines = pd.concat([run.lines for run in runs.values()], ignore_index=True)
    bills = pd.concat([run.bills for run in runs.values()], ignore_index=True)
    exceptions = pd.concat([run.exceptions for run in runs.values()], ignore_index=True)

    yield dg.MaterializeResult(
        asset_key="half_hourly_bill_lines",
        metadata={**scope, "rows": len(half_hourly), "preview": markdown_table(half_hourly)},
    )

    yield dg.MaterializeResult(
        asset_key="bill_lines",
        metadata={**scope, "rows": len(lines), "preview": markdown_table(lines, rows=20)},
        check_results=[schema_check("bill_lines", "bill_lines_schema", lines, BILL_LINES)],
    )

    totals = bills.assign(total=bills["total_pence"].map(format_pounds)) if len(bills) else bills
    by_month = bills.groupby("bill_month")["total_pence"].sum() / 100 if len(bills) else pd.Series()
    yield dg.MaterializeResult(
        asset_key="bills",
        metadata={
            **scope,
            "bills": len(bills),
            "exceptions": len(exceptions),
            "total_pence": int(bills["total_pence"].sum()) if len(bills) else 0,
            "bills_preview": markdown_table(totals, rows=50),
            "exceptions_preview": markdown_table(exceptions, rows=50),
            "total_by_month": bar_chart(by_month, "Billed total by month", "£")
            if len(by_month)
            else dg.MetadataValue.md("_no bills_"),
        },
        check_results=[
            schema_check("bills", "bills_schema", bills, BILLS),
            dg.AssetCheckResult(
                asset_key="bills",
                check_name="every_supply_billed",
                passed=exceptions.empty,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"exceptions": markdown_table(exceptions, rows=50)},
            ),
            _complete_reads_check(bills),
        ],
    )


def _complete_reads_check(bills: pd.DataFrame) -> dg.AssetCheckResult:
    """Warn about bills priced with half hours missing: those half hours are billed at zero."""
    if bills.empty:
        gaps = bills
    else:
        gaps = bills.loc[bills["missing_half_hours"] > 0].copy()
        gaps["missing_pct"] = (100 * gaps["missing_half_hours"] / gaps["half_hours"]).round(1)
        gaps = gaps.loc[
            :, ["meter_id", "bill_month", "half_hours", "missing_half_hours", "missing_pct"]
        ]
    return dg.AssetCheckResult(
        asset_key="bills",
        check_name="bills_on_complete_reads",
        passed=gaps.empty,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "bills_with_missing_half_hours": len(gaps),
            "bills": markdown_table(gaps.sort_values("missing_half_hours", ascending=False), 50)
            if len(gaps)
            else dg.MetadataValue.md("_every bill is on complete reads_"),
        },
    )
