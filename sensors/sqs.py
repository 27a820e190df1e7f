"""The landing event sensor: S3 event notifications from an SQS queue start ingestion.

A tick deletes nothing it received itself. It returns its run requests together with the
receipt handles of the messages behind them, and Dagster stores both before it launches a
run. The next tick deletes those messages. If a tick fails, its messages become visible
again after the visibility timeout and are requested again under the same run keys, which
Dagster launches once.

Messages that do not parse as S3 notifications are left on the queue and logged each time.
NOTE: without a redrive policy (dead-letter queue) on the queue, such a message comes back
after every visibility timeout.
"""

from __future__ import annotations

import collections
import json

import dagster as dg

from jobs import ingest_job
from resources import MeterBucket
from resources.sqs import LandingQueue, QueueMessage, QueueNotFoundError
from sensors.events import EventParseError, ObjectEvent, parse_notification
from sensors.landing import ingest_run_request

# Receives per tick, each returning up to 10 messages. Messages beyond that wait for the next tick.
MAX_RECEIVES_PER_TICK = 10


def pending_deletes(cursor: str | None) -> list[str]:
    """Return the receipt handles that the previous tick left for this one to delete."""
    if not cursor:
        return []
    return list(json.loads(cursor)["delete_next_tick"])


@dg.sensor(job=ingest_job, minimum_interval_seconds=30)
def landing_events_sensor(
    context: dg.SensorEvaluationContext, meter_bucket: MeterBucket, landing_queue: LandingQueue
) -> dg.SensorResult | dg.SkipReason:
    """Request one ingest run per object created under the landing prefix, as S3 notified it."""
    client = landing_queue.client()
    try:
        handles = pending_deletes(context.cursor)
        if handles:
            errors = landing_queue.delete(handles, client)
            context.log.info(
                f"Deleted {len(handles) - len(errors)} message(s) handled by the previous tick"
            )
            if errors:
                # Those messages come back and are requested again under the same run keys.
                context.log.warning(f"Failed to delete {len(errors)} message(s): {errors[0]}")
        received = _receive_batches(landing_queue, client)
    except QueueNotFoundError as error:
        context.log.warning(f"{error}; skipping this tick")
        return dg.SkipReason(str(error))

    requests: dict[str, dg.RunRequest] = {}
    to_delete: list[str] = []
    counts: collections.Counter[str] = collections.Counter()
    for message in received:
        try:
            notification = parse_notification(message.body)
        except EventParseError as error:
            counts["unreadable"] += 1
            context.log.warning(f"Left message {message.message_id} on the queue: {error}")
            continue
        to_delete.append(message.receipt_handle)
        if notification.is_test_event:
            counts["test"] += 1
        for event in notification.events:
            kind = _classify(event, meter_bucket)
            counts[kind] += 1
            if kind == "requested":
                request = _run_request(event)
                requests.setdefault(str(request.run_key), request)

    context.log.info(
        f"Received {len(received)} message(s) from {landing_queue.queue_url}: "
        f"{counts['requested']} object(s) created under {meter_bucket.landing_prefix} "
        f"({len(requests)} distinct run request(s)), {counts['test']} test event(s), "
        f"{counts['other_event']} other event(s), {counts['outside_landing']} outside the "
        f"landing prefix, {counts['unreadable']} unreadable"
    )
    return dg.SensorResult(
        run_requests=list(requests.values()),
        cursor=json.dumps({"delete_next_tick": to_delete}),
    )


def _receive_batches(landing_queue: LandingQueue, client: object) -> list[QueueMessage]:
    received: list[QueueMessage] = []
    for _ in range(MAX_RECEIVES_PER_TICK):
        batch = landing_queue.receive(client)
        if not batch:
            break
        received.extend(batch)
    return received


def _classify(event: ObjectEvent, meter_bucket: MeterBucket) -> str:
    if not event.is_created:
        return "other_event"
    if event.bucket != meter_bucket.bucket or not event.key.startswith(meter_bucket.landing_prefix):
        return "outside_landing"
    return "requested"


def _run_request(event: ObjectEvent) -> dg.RunRequest:
    # S3 orders events of one key by sequencer; moto sends none, so fall back on the time.
    version = event.sequencer or event.event_time
    return ingest_run_request(event.key, event.etag or "", version)
