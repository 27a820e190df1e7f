"""Jobs and schedules: one job per partitioning of the pipeline, and the nightly catch-up."""

from __future__ import annotations

import dagster as dg

from assets.partitions import billing_months, settlement_days

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.assets("raw_meter_files"),
    description="List the landing prefix and read every new or re-uploaded meter file.",
)

tariffs_job = dg.define_asset_job(
    "tariffs_job",
    selection=dg.AssetSelection.groups("tariff_tables"),
    description="Reload every tariff table from the shipped files and the contract folder.",
)

reads_job = dg.define_asset_job(
    "reads_job",
    selection=dg.AssetSelection.assets("half_hour_reads", "settled_half_hour_reads"),
    partitions_def=settlement_days,
    description="Rebuild half-hour reads and their settled view for settlement days.",
)

billing_job = dg.define_asset_job(
    "billing_job",
    selection=dg.AssetSelection.groups("bills"),
    partitions_def=billing_months,
    description="Bill every supply point for billing months.",
)

forecast_job = dg.define_asset_job(
    "forecast_job",
    selection=dg.AssetSelection.groups("forecasts"),
    description="Forecast next year's use and cost per meter.",
)

# The partitions definitions carry timezone="Europe/London", so 02:30 is UK clock time.
nightly_reads_schedule = dg.build_schedule_from_partitioned_job(
    reads_job, hour_of_day=2, minute_of_hour=30, name="nightly_reads_schedule"
)

ALL_JOBS = [ingest_job, tariffs_job, reads_job, billing_job, forecast_job]
ALL_SCHEDULES = [nightly_reads_schedule]
