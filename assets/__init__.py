"""Software-defined assets of each pipeline stage, in data-flow order."""

from assets.bills import monthly_bills
from assets.forecasts import consumption_forecasts
from assets.raw_files import raw_meter_files
from assets.reads import half_hour_reads
from assets.revisions import bill_versions, settlement_run_changes
from assets.settlement import settled_half_hour_reads
from assets.tariffs import tariff_tables

ALL_ASSETS = [
    raw_meter_files,
    half_hour_reads,
    settled_half_hour_reads,
    settlement_run_changes,
    tariff_tables,
    monthly_bills,
    bill_versions,
    consumption_forecasts,
]
