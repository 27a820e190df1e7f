"""The event sensor against moto S3 notifying a moto SQS queue."""

from __future__ import annotations

import json
import time

import pytest

from resources import LandingQueue, MeterBucket
from resources.sqs import connect_bucket_events
from sensors import sqs
from sensors.sqs import landing_events_sensor, pending_deletes
from tests.sensors.conftest import TRICKY_KEY, landing_keys, put, tick


def _queue_counts(queue: LandingQueue) -> tuple[int, int]:
    """Return (visible, in flight) messages; moto reports them exactly."""
    attributes = queue.client().get_queue_attributes(
        QueueUrl=queue.queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


def _send(queue: LandingQueue, body: object) -> None:
    text = body if isinstance(body, str) else json.dumps(body)
    queue.client().send_message(QueueUrl=queue.queue_url, MessageBody=text)


def _record(event_name: str, bucket: str, encoded_key: str) -> dict[str, object]:
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "eu-west-2",
        "eventTime": "2026-11-30T08:15:02.417Z",
        "eventName": event_name,
        "s3": {
            "s3SchemaVersion": "1.0",
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {"key": encoded_key, "size": 4, "eTag": "e1", "sequencer": "0067"},
        },
    }


def test_tricky_key_round_trips(bucket: MeterBucket, queue: LandingQueue) -> None:
    put(bucket, TRICKY_KEY)
    put(bucket, "landing/a%2Bb.csv")
    result = tick(landing_events_sensor, None, meter_bucket=bucket, landing_queue=queue)
    assert landing_keys(result) == [TRICKY_KEY, "landing/a%2Bb.csv"]
    tags = [request.tags["p9/landing_key"] for request in result.run_requests or []]
    assert tags == [TRICKY_KEY, "landing/a%2Bb.csv"]


def test_messages_deleted_on_next_tick(bucket: MeterBucket, queue: LandingQueue) -> None:
    put(bucket, "landing/a.csv")
    first = tick(landing_events_sensor, None, meter_bucket=bucket, landing_queue=queue)
    # The s3:TestEvent of the configuration and one ObjectCreated event, both received.
    assert landing_keys(first) == ["landing/a.csv"]
    assert len(pending_deletes(first.cursor)) == 2
    assert _queue_counts(queue) == (0, 2)

    second = tick(landing_events_sensor, first.cursor, meter_bucket=bucket, landing_queue=queue)
    assert landing_keys(second) == []
    assert pending_deletes(second.cursor) == []
    assert _queue_counts(queue) == (0, 0)


def test_failed_tick_requests_same_run_keys(endpoint: str, bucket: MeterBucket) -> None:
    short = LandingQueue(
        queue_url=f"{endpoint}/123456789012/{bucket.bucket}-short",
        endpoint_url=endpoint,
        access_key_id="testing",
        secret_access_key="testing",
        wait_time_seconds=0,
        visibility_timeout_seconds=1,
    )
    connect_bucket_events(short, bucket)
    put(bucket, TRICKY_KEY)
    first = tick(landing_events_sensor, None, meter_bucket=bucket, landing_queue=short)
    # The first tick's cursor is dropped, as when Dagster fails to store a tick.
    time.sleep(1.5)
    retried = tick(landing_events_sensor, None, meter_bucket=bucket, landing_queue=short)
    assert [r.run_key for r in retried.run_requests or []] == [
        r.run_key for r in first.run_requests or []
    ]
    assert landing_keys(retried) == [TRICKY_KEY]


def test_reupload_requested_again(bucket: MeterBucket, queue: LandingQueue) -> None:
    put(bucket, "landing/a.csv", b"same")
    first = tick(landing_events_sensor, None, meter_bucket=bucket, landing_queue=queue)
    put(bucket, "landing/a.csv", b"same")
    second = tick(landing_events_sensor, first.cursor, meter_bucket=bucket, landing_queue=queue)
    assert landing_keys(first) == ["landing/a.csv"]
    assert landing_keys(second) == ["landing/a.csv"]
    first_key = (first.run_requests or [])[0].run_key
    second_key = (second.run_requests or [])[0].run_key
    assert first_key != second_key


def test_repeated_tick_requests_nothing(bucket: MeterBucket, queue: LandingQueue) -> None:
    put(bucket, "landing/a.csv")
    first = tick(landing_events_sensor, None, meter_bucket=bucket, landing_queue=queue)
    second = tick(landing_events_sensor, first.cursor, meter_bucket=bucket, landing_queue=queue)
    third = tick(landing_events_sensor, second.cursor, meter_bucket=bucket, landing_queue=queue)
    assert landing_keys(second) == []
    assert landing_keys(third) == []
    assert third.cursor == json.dumps({"delete_next_tick": []})


def test_only_created_under_landing(bucket: MeterBucket, queue: LandingQueue) -> None:
    records = [
        _record("ObjectCreated:Put", bucket.bucket, "landing/in+scope.csv"),
        _record("ObjectRemoved:Delete", bucket.bucket, "landing/gone.csv"),
        _record("ObjectCreated:Copy", bucket.bucket, "quarantine/x.csv"),
        _record("ObjectCreated:Put", "another-bucket", "landing/elsewhere.csv"),
    ]
    _send(queue, {"Records": records})
    result = tick(landing_events_sensor, None, meter_bucket=bucket, landing_queue=queue)
    assert landing_keys(result) == ["landing/in scope.csv"]
    # The hand-sent message and the configuration's test event.
    assert len(pending_deletes(result.cursor)) == 2


def test_duplicate_events_one_request(bucket: MeterBucket, queue: LandingQueue) -> None:
    record = _record("ObjectCreated:Put", bucket.bucket, "landing/a.csv")
    _send(queue, {"Records": [record]})
    _send(queue, {"Records": [record]})
    result = tick(landing_events_sensor, None, meter_bucket=bucket, landing_queue=queue)
    assert landing_keys(result) == ["landing/a.csv"]
    assert len(pending_deletes(result.cursor)) == 3


def test_unreadable_message_left_on_queue(bucket: MeterBucket, queue: LandingQueue) -> None:
    _send(queue, "not an S3 event")
    first = tick(landing_events_sensor, None, meter_bucket=bucket, landing_queue=queue)
    # Only the test event is deleted; the unreadable message stays for a dead-letter queue.
    assert len(pending_deletes(first.cursor)) == 1
    tick(landing_events_sensor, first.cursor, meter_bucket=bucket, landing_queue=queue)
    assert _queue_counts(queue) == (0, 1)


def test_25_events_in_one_tick(bucket: MeterBucket, queue: LandingQueue) -> None:
    keys = [f"landing/m {index:02d}.csv" for index in range(25)]
    for key in keys:
        put(bucket, key)
    result = tick(landing_events_sensor, None, meter_bucket=bucket, landing_queue=queue)
    assert sorted(landing_keys(result)) == keys
    # 25 events and the test event.
    assert len(pending_deletes(result.cursor)) == 26


def test_receives_per_tick_bounded(
    bucket: MeterBucket, queue: LandingQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqs, "MAX_RECEIVES_PER_TICK", 2)
    keys = [f"landing/m {index:02d}.csv" for index in range(25)]
    for key in keys:
        put(bucket, key)
    first = tick(landing_events_sensor, None, meter_bucket=bucket, landing_queue=queue)
    second = tick(landing_events_sensor, first.cursor, meter_bucket=bucket, landing_queue=queue)
    # Two receives of 10 messages each, the first of them the test event: 19 keys, then 6.
    assert len(pending_deletes(first.cursor)) == 20
    assert len(landing_keys(first)) == 19
    assert len(landing_keys(second)) == 6
    assert sorted(landing_keys(first) + landing_keys(second)) == keys


def test_missing_queue_skips_tick(endpoint: str, bucket: MeterBucket) -> None:
    absent = LandingQueue(
        queue_url=f"{endpoint}/123456789012/p9-not-created",
        endpoint_url=endpoint,
        access_key_id="testing",
        secret_access_key="testing",
        wait_time_seconds=0,
    )
    stored = json.dumps({"delete_next_tick": []})
    result = tick(landing_events_sensor, stored, meter_bucket=bucket, landing_queue=absent)
    assert result.run_requests == []
    assert result.skip_message == f"SQS queue {absent.queue_url} does not exist"
    assert result.cursor == stored
