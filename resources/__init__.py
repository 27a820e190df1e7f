"""Resources: the meter bucket and its event queue, the DuckDB warehouse and platform settings,
per deployment.

``P9_DEPLOYMENT`` picks the set: ``embedded`` (the default: moto S3 on 127.0.0.1, DuckDB file
under ``var/``, demo contracts and replay on) or ``production`` (real S3, settings from the
environment). Settings are read when the definitions are built, not at import time.
"""

from __future__ import annotations

import os

import dagster as dg

from resources.s3 import MeterBucket
from resources.settings import PlatformSettings
from resources.sqs import LandingQueue
from resources.warehouse import Warehouse

__all__ = ["LandingQueue", "MeterBucket", "PlatformSettings", "Warehouse", "build_resources"]

# moto serves every queue under this account id unless MOTO_ACCOUNT_ID is set for it.
MOTO_ACCOUNT_ID = "123456789012"


def build_resources(deployment: str | None = None) -> dict[str, dg.ConfigurableResource]:
    """Return the resources for ``deployment`` (default: ``P9_DEPLOYMENT`` or embedded)."""
    deployment = deployment or os.environ.get("P9_DEPLOYMENT", "embedded")
    if deployment == "embedded":
        endpoint = dg.EnvVar("P9_S3_ENDPOINT").get_value("http://127.0.0.1:9555")
        return {
            "meter_bucket": MeterBucket(
                bucket="p9-meter-data",
                endpoint_url=endpoint,
                access_key_id="testing",
                secret_access_key="testing",
            ),
            "landing_queue": LandingQueue(
                queue_url=f"{endpoint}/{MOTO_ACCOUNT_ID}/p9-landing-events",
                endpoint_url=endpoint,
                access_key_id="testing",
                secret_access_key="testing",
            ),
            "warehouse": Warehouse(path=os.environ.get("P9_WAREHOUSE", "var/warehouse.duckdb")),
            "settings": PlatformSettings(replay_source_year=2013, replay_target_start="2026-04-01"),
        }
    if deployment == "production":
        return {
            "meter_bucket": MeterBucket(bucket=dg.EnvVar("P9_S3_BUCKET")),
            "landing_queue": LandingQueue(queue_url=dg.EnvVar("P9_SQS_QUEUE_URL")),
            "warehouse": Warehouse(path=dg.EnvVar("P9_WAREHOUSE")),
            "settings": PlatformSettings(contracts_dir=dg.EnvVar("P9_CONTRACTS_DIR")),
        }
    raise ValueError(f"P9_DEPLOYMENT must be 'embedded' or 'production', got {deployment!r}")
