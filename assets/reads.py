"""Half-hour reads: complete, validated settlement days from the staged meter files."""

import datetime as dt

import dagster as dg
import pandas as pd

from assets.metadata import bar_chart, failing_rows, markdown_table, run_scope
from assets.partitions import settlement_days
from assets.raw_files import STAGED_TABLE
from p9_platform.clock import days_in_window
from p9_platform.ingest import supersede
from p9_platform.normalise import coerce_read_dtypes, fill_gaps
from p9_platform.reads import READ_COLUMNS, Quality
from p9_platform.replay import replay_day
from p9_platform.schemas import HALF_HOUR_READS, validate
from p9_platform.schemas.reads import incomplete_meter_days
from resources import PlatformSettings, Warehouse

READS_TABLE = "core.half_hour_reads"
QUARANTINE_TABLE = "core.half_hour_reads_quarantine"
SUPERSEDED_TABLE = "core.superseded_half_hour_reads"


def staged_reads(warehouse: Warehouse, days: list[dt.date]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the current staged reads of ``days``, every gap filled as a missing half hour,
    and the reads later files superseded (with the file and line that replaced each)."""
    if not warehouse.table_exists(STAGED_TABLE) or not days:
        empty = pd.DataFrame(columns=list(READ_COLUMNS))
        return empty, empty
    rows = warehouse.query(
        f"SELECT * FROM {STAGED_TABLE} WHERE settlement_date BETWEEN ? AND ?",
        [min(days), max(days)],
    )
    rows = rows.loc[rows["settlement_date"].dt.date.isin(set(days))]
    # Files rank by when they landed, so a resent file supersedes the one it corrects.
    landed = rows.drop_duplicates("source_key").sort_values(
        ["file_last_modified_utc", "source_key"]
    )
    result = supersede(coerce_read_dtypes(rows), landed["source_key"].tolist())
    spans = warehouse.query(
        f"SELECT meter_id, min(interval_start_utc) AS first_start_utc, "
        f"max(interval_start_utc) AS last_start_utc, max(source_key) AS source_key "
        f"FROM {STAGED_TABLE} GROUP BY meter_id"
    )
    spans["first_start_utc"] = pd.to_datetime(spans["first_start_utc"], utc=True)
    spans["last_start_utc"] = pd.to_datetime(spans["last_start_utc"], utc=True)
    return fill_gaps(result.current, spans, days), result.superseded


def replayed_reads(
    warehouse: Warehouse, settings: PlatformSettings, days: list[dt.date]
) -> pd.DataFrame:
    """Return the demo replay of source-year reads onto those of ``days`` it covers."""
    replay = settings.replay()
    if replay is None:
        return pd.DataFrame(columns=list(READ_COLUMNS))
    targets = [day for day in days if replay.covers(day)]
    sources = {day: replay.source_day(day) for day in targets}
    source_reads, _ = staged_reads(warehouse, sorted(set(sources.values())))
    pieces = []
    for target, source in sources.items():
        of_day = source_reads.loc[source_reads["settlement_date"] == pd.Timestamp(source)]
        pieces.append(replay_day(of_day, target))
    if not pieces:
        return pd.DataFrame(columns=list(READ_COLUMNS))
    return pd.concat(pieces, ignore_index=True)


@dg.asset(
    partitions_def=settlement_days,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=["raw_meter_files"],
    group_name="half_hour_reads",
    kinds={"duckdb", "pandas"},
    check_specs=[
        dg.AssetCheckSpec(
            "meter_days_complete",
            asset="half_hour_reads",
            description="Every meter-day has a value for each of its 46, 48 or 50 periods; "
            "the first and last days of a meter's data may be partial.",
        ),
        dg.AssetCheckSpec(
            "reads_schema",
            asset="half_hour_reads",
            description="Every read passes the half-hour read schema; failing rows are shown.",
        ),
    ],
)
def half_hour_reads(
    context: dg.AssetExecutionContext, warehouse: Warehouse, settings: PlatformSettings
) -> dg.MaterializeResult:
    """Normalised half-hour reads (core.half_hour_reads), one row per meter, half hour and
    settlement run, partitioned by UK settlement day.

    Every half hour from a meter's first to its last read, across all its files, has a row:
    those no file gave are marked ``missing`` with null energy. Days inside that span have 46,
    48 or 50 rows; the first and last days of the span may be partial. In the embedded
    deployment, days of the replayed tariff year also hold the replayed demo reads, marked by
    ``replayed_from_utc``.
    """
    days = days_in_window(context.partition_time_window.start, context.partition_time_window.end)
    original, superseded = staged_reads(warehouse, days)
    replayed = replayed_reads(warehouse, settings, days)
    reads = pd.concat([frame for frame in (original, replayed) if not frame.empty] or [original])
    reads = coerce_read_dtypes(reads)
    context.log.info(
        f"{len(days)} settlement day(s) from {days[0]} to {days[-1]}: {len(original)} rows "
        f"from files, {len(replayed)} replayed"
    )

    checked = validate(reads, HALF_HOUR_READS)

    window = [min(days), max(days)]
    where = "settlement_date BETWEEN ? AND ?"
    kept = warehouse.replace_rows(READS_TABLE, checked.valid, where, window)
    quarantined = warehouse.replace_rows(
        QUARANTINE_TABLE, checked.invalid_with_reasons(), where, window
    )
    replaced = warehouse.replace_rows(SUPERSEDED_TABLE, superseded, where, window)
    context.log.info(
        f"Kept {kept} rows in {READS_TABLE}; quarantined {quarantined} rows; "
        f"{replaced} rows superseded by later files"
    )

    incomplete = incomplete_meter_days(checked.valid)

    by_quality = checked.valid["quality"].value_counts()
    daily_kwh = checked.valid.groupby("settlement_date")["energy_wh"].sum() / 1000
    return dg.MaterializeResult(
        metadata={
            **run_scope(context),
            "rows_kept": kept,
            "rows_quarantined": quarantined,
            "rows_replayed": len(replayed),
            "rows_superseded": replaced,
            "meters": int(checked.valid["meter_id"].nunique()),
            "half_hours_missing": int(by_quality.get(Quality.MISSING.value, 0)),
            "half_hours_estimated": int(by_quality.get(Quality.ESTIMATED.value, 0)),
            "preview": markdown_table(checked.valid),
            "kwh_by_day": bar_chart(daily_kwh.tail(62), "kWh by settlement day", "kWh")
            if len(daily_kwh)
            else dg.MetadataValue.md("_no reads_"),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="reads_schema",
                passed=checked.passed,
                metadata={
                    "failing_rows": int(len(checked.invalid)),
                    "failures": failing_rows(checked.failure_cases, checked.invalid),
                },
            ),
            dg.AssetCheckResult(
                check_name="meter_days_complete",
                passed=incomplete.empty,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "incomplete_meter_days": len(incomplete),
                    "meter_days": markdown_table(incomplete, rows=50),
                },
            ),
        ],
    )
