"""Jobs and schedules: one job per partitioning of the pipeline, and the nightly catch-up."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from assets.partitions import billing_months, settlement_days
from jobs.rebuilds import (
    day_range_request,
    month_request,
    stale_day_ranges,
    stale_month_starts,
)
from resources import PlatformSettings

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.assets("raw_meter_files"),
    description="Read new or re-uploaded meter files: one key when a sensor names it, "
    "else every file under the landing prefix.",
)

tariffs_job = dg.define_asset_job(
    "tariffs_job",
    selection=dg.AssetSelection.groups("tariff_tables"),
    description="Reload every tariff table from the shipped files and the contract folder.",
)

reads_job = dg.define_asset_job(
    "reads_job",
    selection=dg.AssetSelection.assets(
        "half_hour_reads", "settled_half_hour_reads", "settlement_run_changes"
    ),
    partitions_def=settlement_days,
    description="Rebuild half-hour reads, their settled view and the run changes for "
    "settlement days.",
)

billing_job = dg.define_asset_job(
    "billing_job",
    selection=dg.AssetSelection.groups("bills"),
    partitions_def=billing_months,
    description="Bill every supply point for billing months and record new bill versions.",
)

forecast_job = dg.define_asset_job(
    "forecast_job",
    selection=dg.AssetSelection.groups("forecasts"),
    description="Forecast next year's use and cost per meter.",
)

UK_TIMEZONE = "Europe/London"


def _evaluation_time(context: dg.ScheduleEvaluationContext) -> dt.datetime:
    return context.scheduled_execution_time or dt.datetime.now(dt.UTC)


@dg.schedule(
    job=reads_job,
    cron_schedule="30 2 * * *",
    execution_timezone=UK_TIMEZONE,
    name="nightly_reads_schedule",
)
def nightly_reads_schedule(context: dg.ScheduleEvaluationContext, settings: PlatformSettings):
    """At 02:30 UK time, rebuild every settlement day that a file read since its last build
    covers, one run per range of consecutive days; skip when nothing is stale."""
    when = _evaluation_time(context)
    ranges = stale_day_ranges(context.instance, settings, when)
    if not ranges:
        return dg.SkipReason("every settlement day was built after the last files covering it")
    return [
        day_range_request(
            run_key=f"nightly:{when:%Y-%m-%d}:{start}:{end}",
            days=(start, end),
            trigger="nightly_reads_schedule",
            reason=f"files were read for {start}..{end} after those days were last built",
        )
        for start, end in ranges
    ]


@dg.schedule(
    job=billing_job,
    cron_schedule="30 5 * * *",
    execution_timezone=UK_TIMEZONE,
    name="nightly_rebill_schedule",
)
def nightly_rebill_schedule(context: dg.ScheduleEvaluationContext):
    """At 05:30 UK time, after the nightly reads runs, rebill every ended month with a day
    settled since the month's last bill; skip when nothing is stale."""
    when = _evaluation_time(context)
    months = stale_month_starts(context.instance, when)
    if not months:
        return dg.SkipReason("every ended month was billed after its days were last settled")
    return [
        month_request(
            run_key=f"nightly:{when:%Y-%m-%d}:{month}",
            month=month,
            trigger="nightly_rebill_schedule",
            reason=f"days of {month:%Y-%m} were settled after its last bill",
        )
        for month in months
    ]


ALL_JOBS = [ingest_job, tariffs_job, reads_job, billing_job, forecast_job]
ALL_SCHEDULES = [nightly_reads_schedule, nightly_rebill_schedule]
