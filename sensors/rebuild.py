"""Rebuild sensors: new reads rebuild exactly their settlement days, and changed days rebill
their months."""

import datetime as dt
import json

import dagster as dg
import pandas as pd

from jobs import billing_job, reads_job
from resources import PlatformSettings

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def day_ranges_to_rebuild(
    changed: list[tuple[str, str]], settings: PlatformSettings
) -> list[tuple[dt.date, dt.date]]:
    """Return the settlement-day ranges to rebuild for changed file date ranges.

    Where the demo replay is on, days of the source year also change their replayed days.
    """
    ranges = [(dt.date.fromisoformat(a), dt.date.fromisoformat(b)) for a, b in changed]
    replay = settings.replay()
    if replay is not None and any(
        start.year <= replay.source_year <= end.year for start, end in ranges
    ):
        ranges.append((replay.target_start, replay.target_end))
    return ranges


def _clip_to_partitions(start: dt.date, end: dt.date, keys: list[str]) -> tuple[str, str] | None:
    inside = [key for key in keys if start.isoformat() <= key <= end.isoformat()]
    return (inside[0], inside[-1]) if inside else None


def _new_materializations(
    context: dg.SensorEvaluationContext, asset: str
) -> list[dg.EventLogRecord]:
    """Return materializations of ``asset`` after the sensor's cursor, oldest first, and move
    the cursor past them. Every event is seen once, even several per tick."""
    result = context.instance.fetch_materializations(
        dg.AssetKey(asset), limit=1000, cursor=context.cursor, ascending=True
    )
    if result.records:
        context.update_cursor(result.cursor)
    return list(result.records)


@dg.sensor(job=reads_job, minimum_interval_seconds=60)
def new_reads_sensor(context: dg.SensorEvaluationContext, settings: PlatformSettings):
    """After new files are read, rebuild exactly the settlement days they touch, one run per
    contiguous range of days."""
    keys = reads_job.partitions_def.get_partition_keys()  # type: ignore[union-attr]
    for record in _new_materializations(context, "raw_meter_files"):
        materialization = record.asset_materialization
        entry = materialization.metadata.get("changed_day_ranges") if materialization else None
        changed = json.loads(str(entry.value)) if entry is not None else []
        for start, end in day_ranges_to_rebuild(changed, settings):
            clipped = _clip_to_partitions(start, end, keys)
            if clipped is None:
                continue
            yield dg.RunRequest(
                run_key=f"{record.storage_id}:{clipped[0]}:{clipped[1]}",
                tags={RANGE_START_TAG: clipped[0], RANGE_END_TAG: clipped[1]},
            )


@dg.sensor(job=billing_job, minimum_interval_seconds=60)
def rebill_sensor(context: dg.SensorEvaluationContext):
    """When settled reads of a day change, rebill the month that day belongs to, once per tick."""
    months: dict[str, int] = {}
    for record in _new_materializations(context, "settled_half_hour_reads"):
        if record.partition_key is None:
            continue
        month = pd.Timestamp(record.partition_key).strftime("%Y-%m-01")
        months[month] = record.storage_id
    for month, storage_id in sorted(months.items()):
        yield dg.RunRequest(run_key=f"{month}:{storage_id}", partition_key=month)
