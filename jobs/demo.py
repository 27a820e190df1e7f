"""Run the whole pipeline on the embedded default and print each meter's monthly bills.

``make demo`` runs this module. It starts the embedded S3 on 127.0.0.1, uploads the demo meter
files, then materializes every asset through real Dagster runs recorded in the SQLite instance
under ``$DAGSTER_HOME``, so ``make dev`` shows them afterwards. Rerunning replaces every
partition it wrote, so the totals come out the same and no row is written twice.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import pandas as pd

from resources.local_s3 import local_s3, upload_demo_files

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = PROJECT_ROOT / "data" / "demo"

# The source year of the demo reads, and the tariff year they are replayed onto.
SOURCE_DAYS = ("2012-12-31", "2013-12-31")
SOURCE_MONTHS = ("2013-01-01", "2013-12-01")
TARIFF_YEAR_START = "2026-04-01"


def prepare_home() -> Path:
    """Create the project-local Dagster home with telemetry off; return its path."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / "var" / "dagster_home")))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text("telemetry:\n  enabled: false\n")
    return home


def partition_ranges() -> dict[str, list[tuple[str, str]]]:
    """Return the day and month ranges the demo materializes.

    The replayed tariff year is billed up to the last complete month: partitions of days and
    months that have not ended yet do not exist.
    """
    from assets.partitions import billing_months, settlement_days

    last_day = settlement_days.get_last_partition_key()
    last_month = billing_months.get_last_partition_key()
    assert last_day is not None and last_month is not None
    return {
        "reads_job": [SOURCE_DAYS, (TARIFF_YEAR_START, last_day)],
        "billing_job": [SOURCE_MONTHS, (TARIFF_YEAR_START, last_month)],
    }


def run_pipeline() -> None:
    """Materialize every asset in data-flow order, failing loudly on the first failed run."""
    import dagster as dg

    from definitions import defs
    from sensors import RANGE_END_TAG, RANGE_START_TAG

    instance = dg.DagsterInstance.get()
    ranges = partition_ranges()
    plan: list[tuple[str, dict[str, str]]] = [("ingest_job", {}), ("tariffs_job", {})]
    for job_name in ("reads_job", "billing_job"):
        for start, end in ranges[job_name]:
            plan.append((job_name, {RANGE_START_TAG: start, RANGE_END_TAG: end}))
    plan.append(("forecast_job", {}))

    for job_name, tags in plan:
        span = f" {tags[RANGE_START_TAG]}..{tags[RANGE_END_TAG]}" if tags else ""
        print(f"running {job_name}{span}", flush=True)
        result = defs.resolve_job_def(job_name).execute_in_process(instance=instance, tags=tags)
        if not result.success:
            raise SystemExit(f"{job_name}{span} failed (run {result.run_id}); see `make dev`")


def print_bills() -> None:
    """Print each meter's monthly bill totals and the meter-months that were not billed."""
    from resources import Warehouse, build_resources

    warehouse = build_resources()["warehouse"]
    assert isinstance(warehouse, Warehouse)
    bills = warehouse.query(
        "SELECT meter_id, bill_month, kwh, total_pence FROM billing.bills ORDER BY 1, 2"
    )
    table = bills.pivot(index="bill_month", columns="meter_id", values="total_pence") / 100
    pd.set_option("display.width", 120)
    print("\nMonthly bill totals in pounds, VAT included (demo reads replayed onto 2026/27):")
    print(table.to_string(float_format=lambda value: f"{value:,.2f}", na_rep="-"))

    exceptions = warehouse.query(
        "SELECT bill_month, count(DISTINCT meter_id) AS meters, min(reason) AS example "
        "FROM billing.bill_exceptions GROUP BY 1 ORDER BY 1"
    )
    print(f"\n{int(exceptions['meters'].sum())} meter-months not billed; first reason per month:")
    for row in exceptions.itertuples():
        print(f"  {row.bill_month}: {row.meters} meter(s), e.g. {row.example}")

    quarantined = warehouse.query(
        "SELECT key, reason FROM raw.meter_files WHERE status = 'quarantined'"
    )
    for row in quarantined.itertuples():
        print(f"\nQuarantined {row.key}: {row.reason}")


def main() -> int:
    """Run the demo end to end; return the exit code."""
    started = dt.datetime.now()
    prepare_home()
    os.environ.setdefault("P9_DEPLOYMENT", "embedded")
    os.environ.setdefault("P9_WAREHOUSE", str(PROJECT_ROOT / "var" / "warehouse.duckdb"))
    with local_s3() as endpoint:
        os.environ["P9_S3_ENDPOINT"] = endpoint
        from resources import MeterBucket, build_resources

        bucket = build_resources()["meter_bucket"]
        assert isinstance(bucket, MeterBucket)
        keys = upload_demo_files(bucket, DEMO_DIR)
        print(f"uploaded {len(keys)} demo meter files to s3://{bucket.bucket} at {endpoint}")
        run_pipeline()
    print_bills()
    print(f"\ndone in {(dt.datetime.now() - started).total_seconds():.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
