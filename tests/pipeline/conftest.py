"""A whole pipeline on moto S3, a temporary DuckDB file and a temporary Dagster instance."""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from assets import ALL_ASSETS
from resources import MeterBucket, PlatformSettings, Warehouse
from resources.local_s3 import local_s3
from sensors import RANGE_END_TAG, RANGE_START_TAG

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LCL_DIR = PROJECT_ROOT / "data" / "demo" / "meter_files" / "lcl"
DAMAGED_FILE = (
    PROJECT_ROOT / "data" / "demo" / "meter_files" / "damaged" / "MAC000099_bad_timestamp.csv"
)


@dataclasses.dataclass
class Pipeline:
    """Resources and instance of one test pipeline, with helpers to upload and materialize."""

    bucket: MeterBucket
    warehouse: Warehouse
    settings: PlatformSettings
    instance: dg.DagsterInstance

    def upload(self, key: str, content: bytes) -> None:
        self.bucket.client().put_object(
            Bucket=self.bucket.bucket, Key=self.bucket.landing_prefix + key, Body=content
        )

    def materialize(
        self,
        selection: list[str] | dg.AssetSelection,
        start: str | None = None,
        end: str | None = None,
    ) -> dg.ExecuteInProcessResult:
        tags = {RANGE_START_TAG: start, RANGE_END_TAG: end or start} if start else {}
        return dg.materialize(
            ALL_ASSETS,
            selection=selection,
            resources={
                "meter_bucket": self.bucket,
                "warehouse": self.warehouse,
                "settings": self.settings,
            },
            instance=self.instance,
            tags=tags,
        )

    def materialize_month(self, month_start: str, month_end: str) -> None:
        """Run every stage for one billing month, as the demo does."""
        for selection, start, end in (
            (["raw_meter_files"], None, None),
            (dg.AssetSelection.groups("tariff_tables"), None, None),
            (["half_hour_reads", "settled_half_hour_reads"], month_start, month_end),
            (dg.AssetSelection.groups("bills"), month_start, month_start),
        ):
            result = self.materialize(selection, start, end)
            assert result.success, str(selection)


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with local_s3(port=0) as endpoint:
        yield endpoint


@contextlib.contextmanager
def build_pipeline(endpoint: str, folder: Path) -> Iterator[Pipeline]:
    """Create a bucket, a warehouse file and a test instance that live for the block."""
    bucket = MeterBucket(
        bucket=f"p9-test-{uuid.uuid4().hex[:12]}",
        endpoint_url=endpoint,
        access_key_id="testing",
        secret_access_key="testing",
    )
    bucket.client().create_bucket(
        Bucket=bucket.bucket, CreateBucketConfiguration={"LocationConstraint": bucket.region_name}
    )
    with dg.instance_for_test() as instance:
        yield Pipeline(
            bucket=bucket,
            warehouse=Warehouse(path=str(folder / "warehouse.duckdb")),
            settings=PlatformSettings(replay_source_year=2013, replay_target_start="2026-04-01"),
            instance=instance,
        )


@pytest.fixture
def pipeline(s3_endpoint: str, tmp_path: Path) -> Iterator[Pipeline]:
    with build_pipeline(s3_endpoint, tmp_path) as built:
        yield built
