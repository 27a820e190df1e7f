"""moto S3 and SQS on 127.0.0.1, a fresh bucket and queue per test, and a sensor tick helper."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import dagster as dg
import pytest

from resources import LandingQueue, MeterBucket
from resources.local_s3 import local_s3
from resources.sqs import connect_bucket_events

if TYPE_CHECKING:
    # Dagster does not export the type that evaluate_tick returns.
    from dagster._core.definitions.sensor_definition import SensorExecutionData

# The key every round-trip test uses: a space, a quote and a plus sign, which S3 events encode.
TRICKY_KEY = "landing/Site A/O'Brien+Sons 2026.csv"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with local_s3(port=0) as url:
        yield url


@pytest.fixture
def bucket(endpoint: str) -> MeterBucket:
    meter_bucket = MeterBucket(
        bucket=f"p9-sensor-{uuid.uuid4().hex[:12]}",
        endpoint_url=endpoint,
        access_key_id="testing",
        secret_access_key="testing",
    )
    meter_bucket.client().create_bucket(
        Bucket=meter_bucket.bucket,
        CreateBucketConfiguration={"LocationConstraint": meter_bucket.region_name},
    )
    return meter_bucket


@pytest.fixture
def queue(endpoint: str, bucket: MeterBucket) -> LandingQueue:
    """A queue that the bucket notifies; it contains the s3:TestEvent of the configuration."""
    landing_queue = LandingQueue(
        queue_url=f"{endpoint}/123456789012/{bucket.bucket}-events",
        endpoint_url=endpoint,
        access_key_id="testing",
        secret_access_key="testing",
        wait_time_seconds=0,
    )
    connect_bucket_events(landing_queue, bucket)
    return landing_queue


def put(bucket: MeterBucket, key: str, body: bytes = b"meter data") -> None:
    bucket.client().put_object(Bucket=bucket.bucket, Key=key, Body=body)


def tick(
    sensor: dg.SensorDefinition, cursor: str | None, **resources: object
) -> SensorExecutionData:
    """Evaluate one tick the way the daemon does, with ``cursor`` from the previous tick."""
    context = dg.build_sensor_context(cursor=cursor, resources=resources)
    return sensor.evaluate_tick(context)


def landing_keys(result: SensorExecutionData) -> list[str]:
    """Return the landing key each run request reads, in request order."""
    return [
        request.run_config["ops"]["raw_meter_files"]["config"]["landing_key"]
        for request in result.run_requests or []
    ]
