"""The landing sensor: every new object version under the landing prefix starts ingestion."""

import dagster as dg

from jobs import ingest_job
from resources import MeterBucket
from sensors.cursor import LandingCursor, new_versions


@dg.sensor(job=ingest_job, minimum_interval_seconds=60)
def landing_files_sensor(context: dg.SensorEvaluationContext, meter_bucket: MeterBucket):
    """Request one ingest run per new object version (key and ETag) under the landing prefix.

    A re-uploaded file is a new version even with the same content, because its last-modified
    time moves; a repeated tick over an unchanged bucket requests nothing.
    """
    cursor = LandingCursor.from_json(context.cursor)
    fresh, advanced = new_versions(meter_bucket.list_landing(), cursor)
    for item in fresh:
        yield dg.RunRequest(
            run_key=f"{item.key}|{item.etag}|{item.last_modified.isoformat()}",
            tags={"p9/landing_key": item.key[:255], "p9/etag": item.etag},
        )
    if fresh:
        context.log.info(f"{len(fresh)} new object version(s) under {meter_bucket.landing_prefix}")
    context.update_cursor(advanced.to_json())
