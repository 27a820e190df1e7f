"""Rebuild sensors: files read for past settlement days rebuild exactly those days, and days
whose settled reads changed rebill exactly their months.

Each run carries the tags ``p9/rebuild_trigger`` and ``p9/rebuild_reason``, so the UI shows
which events requested it. The nightly schedules in jobs catch whatever these sensors missed.
"""

import datetime as dt

import dagster as dg

from jobs import billing_job, reads_job
from jobs.rebuilds import (
    RANGE_END_TAG,
    RANGE_START_TAG,
    changed_day_ranges,
    clip_ranges,
    day_range_request,
    day_ranges_to_rebuild,
    describe_days,
    existing_months,
    month_request,
)
from p9_platform.revisions import month_of
from resources import PlatformSettings

__all__ = [
    "RANGE_END_TAG",
    "RANGE_START_TAG",
    "day_ranges_to_rebuild",
    "new_reads_sensor",
    "rebill_sensor",
]


def _new_materializations(
    context: dg.SensorEvaluationContext, asset: str
) -> list[dg.EventLogRecord]:
    """Return materializations of ``asset`` after the sensor's cursor, oldest first, and move
    the cursor past them. Every event is seen once, even several per tick."""
    records: list[dg.EventLogRecord] = []
    cursor = context.cursor
    while True:
        page = context.instance.fetch_materializations(
            dg.AssetKey(asset), limit=1000, cursor=cursor, ascending=True
        )
        records.extend(page.records)
        if page.records:
            cursor = page.cursor
        if not page.has_more:
            break
    if records and cursor is not None:
        context.update_cursor(cursor)
    return records


@dg.sensor(job=reads_job, minimum_interval_seconds=60)
def new_reads_sensor(context: dg.SensorEvaluationContext, settings: PlatformSettings):
    """After new files are read, rebuild exactly the settlement days they cover, one run per
    range of consecutive days across every read since the last tick."""
    records = _new_materializations(context, "raw_meter_files")
    ranges = []
    event_ids = []
    for record in records:
        changed = changed_day_ranges(record)
        if changed:
            ranges.extend(day_ranges_to_rebuild(changed, settings))
            event_ids.append(record.storage_id)
    if not ranges:
        return dg.SkipReason("no raw_meter_files materialization read new files since last tick")

    first_id, last_id = event_ids[0], event_ids[-1]
    for start, end in clip_ranges(ranges, dt.datetime.now(dt.UTC)):
        yield day_range_request(
            run_key=f"files:{first_id}-{last_id}:{start}:{end}",
            days=(start, end),
            trigger="new_reads_sensor",
            reason=f"meter files read in raw_meter_files event(s) {first_id}..{last_id} "
            f"cover settlement days {start}..{end}",
        )


@dg.sensor(job=billing_job, minimum_interval_seconds=60)
def rebill_sensor(context: dg.SensorEvaluationContext):
    """When settled reads of past days change, rebill each month those days belong to, one
    run per month."""
    days_by_month: dict[dt.date, list[dt.date]] = {}
    last_id = 0
    for record in _new_materializations(context, "settled_half_hour_reads"):
        if record.partition_key is None:
            continue
        day = dt.date.fromisoformat(record.partition_key)
        days_by_month.setdefault(month_of(day), []).append(day)
        last_id = max(last_id, record.storage_id)
    if not days_by_month:
        return dg.SkipReason("no settled day changed since last tick")

    for month in existing_months(days_by_month, dt.datetime.now(dt.UTC)):
        yield month_request(
            run_key=f"settled:{month}:{last_id}",
            month=month,
            trigger="rebill_sensor",
            reason=f"settled reads changed for {describe_days(days_by_month[month])}",
        )
