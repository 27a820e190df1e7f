"""The landing sensor: every new object version under the landing prefix starts ingestion."""

from __future__ import annotations

import dagster as dg
from botocore.exceptions import ClientError

from assets.raw_files import RawMeterFilesConfig
from jobs import ingest_job
from resources import MeterBucket
from sensors.cursor import LandingCursor, new_versions

# Dagster stores every run request of a tick with the tick, so a first tick over a full bucket
# is split. The cursor stops at the last version requested and the next tick continues there.
MAX_RUN_REQUESTS_PER_TICK = 1000


def ingest_run_request(key: str, etag: str, version: str) -> dg.RunRequest:
    """Build the ingest run for one object version, reading only that key.

    ``version`` distinguishes uploads of the same bytes (a last-modified time or an event
    sequencer). The run key names the version, so Dagster launches it once per sensor however
    many ticks request it.
    """
    return dg.RunRequest(
        run_key=f"{key}|{etag}|{version}",
        run_config=dg.RunConfig(ops={"raw_meter_files": RawMeterFilesConfig(landing_key=key)}),
        tags={"p9/landing_key": key[:255], "p9/etag": etag},
    )


@dg.sensor(job=ingest_job, minimum_interval_seconds=60)
def landing_files_sensor(
    context: dg.SensorEvaluationContext, meter_bucket: MeterBucket
) -> dg.SensorResult | dg.SkipReason:
    """Request one ingest run per new object version (key and ETag) under the landing prefix.

    A re-uploaded file is a new version even with the same content, because its last-modified
    time moves. A repeated tick over an unchanged bucket requests nothing. A bucket that does
    not exist yet skips the tick and keeps the cursor.
    """
    location = f"s3://{meter_bucket.bucket}/{meter_bucket.landing_prefix}"
    cursor = LandingCursor.from_json(context.cursor)
    try:
        listed = list(meter_bucket.list_landing())
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "NoSuchBucket":
            raise
        context.log.warning(f"Bucket {meter_bucket.bucket} does not exist; skipping this tick")
        return dg.SkipReason(f"bucket {meter_bucket.bucket} does not exist")

    fresh, advanced = new_versions(listed, cursor, limit=MAX_RUN_REQUESTS_PER_TICK)
    context.log.info(
        f"Listed {len(listed)} objects under {location}; requesting {len(fresh)} ingest run(s)"
    )
    if len(fresh) == MAX_RUN_REQUESTS_PER_TICK:
        context.log.info(
            f"Reached the limit of {MAX_RUN_REQUESTS_PER_TICK} run requests per tick; "
            "any further new versions are requested on the next tick"
        )
    return dg.SensorResult(
        run_requests=[
            ingest_run_request(item.key, item.etag, item.last_modified.isoformat())
            for item in fresh
        ],
        cursor=advanced.to_json(),
    )
