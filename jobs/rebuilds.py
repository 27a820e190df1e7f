"""Which settlement days and billing months to rebuild, from the instance's event log.

The rebuild sensors and the nightly schedules share these helpers. Each read of new meter
files records the day ranges those files cover (``changed_day_ranges`` on raw_meter_files). A
day is stale when such a read came after the day's last build. A month is stale when one of
its days was settled after the month's last bill. Event log storage ids grow with time, so
comparing them orders events without trusting clocks.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import dagster as dg

from assets.partitions import billing_months, settlement_days
from p9_platform.revisions import (
    contiguous_ranges,
    merge_day_ranges,
    month_of,
    stale_days,
    stale_months,
)
from resources import PlatformSettings

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
# Shown on every rebuild run in the UI: what requested it and why.
TRIGGER_TAG = "p9/rebuild_trigger"
REASON_TAG = "p9/rebuild_reason"

READS_JOB_ASSETS = ("half_hour_reads", "settled_half_hour_reads", "settlement_run_changes")
BILLING_JOB_ASSETS = ("half_hourly_bill_lines", "bill_lines", "bills", "bill_versions")

DayRange = tuple[dt.date, dt.date]
UK = ZoneInfo("Europe/London")


def day_ranges_to_rebuild(
    changed: list[tuple[str, str]], settings: PlatformSettings
) -> list[DayRange]:
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


def changed_day_ranges(record: dg.EventLogRecord) -> list[tuple[str, str]]:
    """Return the ``changed_day_ranges`` a raw_meter_files materialization recorded."""
    materialization = record.asset_materialization
    entry = materialization.metadata.get("changed_day_ranges") if materialization else None
    if entry is None:
        return []
    value = json.loads(entry.value) if isinstance(entry.value, str) else entry.value
    return [(str(start), str(end)) for start, end in value]


def file_reads(
    instance: dg.DagsterInstance, settings: PlatformSettings
) -> list[tuple[int, list[DayRange]]]:
    """Return every read of new files: its storage id and the day ranges it changes."""
    events = []
    cursor = None
    while True:
        page = instance.fetch_materializations(
            dg.AssetKey("raw_meter_files"), limit=1000, cursor=cursor, ascending=True
        )
        for record in page.records:
            changed = changed_day_ranges(record)
            if changed:
                events.append((record.storage_id, day_ranges_to_rebuild(changed, settings)))
        if not page.has_more:
            return events
        cursor = page.cursor


def last_builds(instance: dg.DagsterInstance, assets: Iterable[str]) -> dict[dt.date, int]:
    """Return, per partition (its first day), the storage id of its last complete build.

    A partition counts as built as of its oldest latest materialization across ``assets``,
    so a run that failed after its first asset leaves the partition stale. A partition some
    asset never materialized is absent.
    """
    latest: dict[str, int] | None = None
    for asset in assets:
        ids = instance.get_latest_storage_id_by_partition(
            dg.AssetKey(asset), dg.DagsterEventType.ASSET_MATERIALIZATION
        )
        if latest is None:
            latest = dict(ids)
        else:
            latest = {key: min(value, ids[key]) for key, value in latest.items() if key in ids}
    return {dt.date.fromisoformat(key): value for key, value in (latest or {}).items()}


def last_complete_day(now: dt.datetime) -> dt.date:
    """Return the last settlement day that has ended at ``now``: a day partition exists only
    once its UK day is over, and a month partition once its last day is."""
    return now.astimezone(UK).date() - dt.timedelta(days=1)


def clip_ranges(ranges: Iterable[DayRange], now: dt.datetime) -> list[DayRange]:
    """Cut day ranges to the settlement-day partitions that exist at ``now``, merged."""
    first = settlement_days.start.date()
    last = last_complete_day(now)
    clipped = [(max(start, first), min(end, last)) for start, end in ranges]
    return merge_day_ranges((start, end) for start, end in clipped if start <= end)


def existing_months(months: Iterable[dt.date], now: dt.datetime) -> list[dt.date]:
    """Keep the months whose billing partition exists at ``now`` (the month has ended)."""
    first = billing_months.start.date()
    last = month_of(last_complete_day(now) + dt.timedelta(days=1)) - dt.timedelta(days=1)
    return sorted(month for month in set(months) if first <= month <= last)


def stale_day_ranges(
    instance: dg.DagsterInstance, settings: PlatformSettings, now: dt.datetime
) -> list[DayRange]:
    """Return the existing day partitions that a file read after their last build touches."""
    stale = stale_days(file_reads(instance, settings), last_builds(instance, READS_JOB_ASSETS))
    return clip_ranges(contiguous_ranges(stale), now)


def stale_month_starts(instance: dg.DagsterInstance, now: dt.datetime) -> list[dt.date]:
    """Return the existing month partitions with a day settled after the month's last bill."""
    settled = last_builds(instance, ["settled_half_hour_reads"])
    billed = last_builds(instance, BILLING_JOB_ASSETS)
    return existing_months(stale_months(settled, billed), now)


def day_range_request(run_key: str, days: DayRange, trigger: str, reason: str) -> dg.RunRequest:
    """Return a run request of reads_job over one range of days, tagged with why."""
    return dg.RunRequest(
        run_key=run_key,
        tags={
            RANGE_START_TAG: days[0].isoformat(),
            RANGE_END_TAG: days[1].isoformat(),
            TRIGGER_TAG: trigger,
            REASON_TAG: reason,
        },
    )


def month_request(run_key: str, month: dt.date, trigger: str, reason: str) -> dg.RunRequest:
    """Return a run request of billing_job for one month, tagged with why."""
    return dg.RunRequest(
        run_key=run_key,
        partition_key=month.isoformat(),
        tags={TRIGGER_TAG: trigger, REASON_TAG: reason},
    )


def describe_days(days: Iterable[dt.date], limit: int = 10) -> str:
    """Return days as short text for a run tag, e.g. ``2026-11-10..2026-11-12``."""
    parts = [
        start.isoformat() if start == end else f"{start}..{end}"
        for start, end in contiguous_ranges(days)
    ]
    listed = ", ".join(parts[:limit])
    return listed if len(parts) <= limit else f"{listed} and {len(parts) - limit} more ranges"
