"""Parsing S3 event notification bodies, shaped as S3 sends them (event version 2.1)."""

from __future__ import annotations

import json

import pytest

from sensors.events import EventParseError, decode_event_key, parse_notification


def _put_record(key: str, **object_fields: object) -> dict[str, object]:
    """Return one ObjectCreated:Put record with every field S3 fills in for a plain PUT."""
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "eu-west-2",
        "eventTime": "2026-11-30T08:15:02.417Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:AIDAEXAMPLEUPLOADER"},
        "requestParameters": {"sourceIPAddress": "192.0.2.10"},
        "responseElements": {
            "x-amz-request-id": "4QH2K3N8EXAMPLE",
            "x-amz-id-2": "c2VydmVyIGlkIGV4YW1wbGU=",
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "landing-created",
            "bucket": {
                "name": "p9-meter-data",
                "ownerIdentity": {"principalId": "A3EXAMPLEOWNER"},
                "arn": "arn:aws:s3:::p9-meter-data",
            },
            "object": {
                "key": key,
                "size": 1843,
                "eTag": "39795a62c5b15f6012e8f123f043b247",
                "sequencer": "00674AF2B66D1C3F42",
                **object_fields,
            },
        },
    }


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        # '+' is a space, '%2B' a literal plus and '%27' the quote.
        ("landing/Site+A/O%27Brien%2BSons+2026.csv", "landing/Site A/O'Brien+Sons 2026.csv"),
        # moto also escapes the slashes; the decoded key is the same.
        ("landing%2FSite+A%2FO%27Brien%2BSons+2026.csv", "landing/Site A/O'Brien+Sons 2026.csv"),
        ("landing/caf%C3%A9+%E2%82%AC.csv", "landing/café €.csv"),
        # Decoded once only: a key that contains "%2B" arrives as "%252B".
        ("landing/a%252Bb.csv", "landing/a%2Bb.csv"),
        ("landing/100%25.csv", "landing/100%.csv"),
        ("landing/plain.csv", "landing/plain.csv"),
    ],
)
def test_decode_event_key(encoded: str, decoded: str) -> None:
    assert decode_event_key(encoded) == decoded


def test_decode_event_key_rejects_invalid_utf8() -> None:
    with pytest.raises(EventParseError, match="does not decode to UTF-8"):
        decode_event_key("landing/%FF.csv")


def test_put_event_fields() -> None:
    body = json.dumps({"Records": [_put_record("landing/Site+A/O%27Brien%2BSons+2026.csv")]})
    notification = parse_notification(body)
    assert notification.is_test_event is False
    assert len(notification.events) == 1
    event = notification.events[0]
    assert event.key == "landing/Site A/O'Brien+Sons 2026.csv"
    assert event.bucket == "p9-meter-data"
    assert event.event_name == "ObjectCreated:Put"
    assert event.event_time == "2026-11-30T08:15:02.417Z"
    assert event.etag == "39795a62c5b15f6012e8f123f043b247"
    assert event.size == 1843
    assert event.sequencer == "00674AF2B66D1C3F42"
    assert event.version_id is None
    assert event.is_created is True


def test_versioned_bucket_event_has_version_id() -> None:
    record = _put_record("landing/a.csv", versionId="p9v.Wm3sQe8Lr0xNaT2")
    event = parse_notification(json.dumps({"Records": [record]})).events[0]
    assert event.version_id == "p9v.Wm3sQe8Lr0xNaT2"


def test_removed_event_is_not_created() -> None:
    record = _put_record("landing/a.csv")
    record["eventName"] = "ObjectRemoved:Delete"
    s3 = record["s3"]
    assert isinstance(s3, dict)
    # S3 sends no size or ETag for a deletion.
    s3["object"] = {"key": "landing/a.csv", "sequencer": "00674AF2B6"}
    event = parse_notification(json.dumps({"Records": [record]})).events[0]
    assert event.is_created is False
    assert event.etag is None
    assert event.size is None


def test_several_records_keep_order() -> None:
    body = json.dumps({"Records": [_put_record("landing/b.csv"), _put_record("landing/a.csv")]})
    keys = [event.key for event in parse_notification(body).events]
    assert keys == ["landing/b.csv", "landing/a.csv"]


def test_test_event_has_no_records() -> None:
    body = json.dumps(
        {
            "Service": "Amazon S3",
            "Event": "s3:TestEvent",
            "Time": "2026-11-30T08:00:00.000Z",
            "Bucket": "p9-meter-data",
            "RequestId": "7D1F0C2B9E3A4F60",
            "HostId": "cDk1LWxhbmRpbmctaG9zdC1pZA==",
        }
    )
    notification = parse_notification(body)
    assert notification.is_test_event is True
    assert notification.events == ()


def test_event_through_sns_envelope() -> None:
    inner = json.dumps({"Records": [_put_record("landing/Site+A/x%2By.csv")]})
    body = json.dumps(
        {
            "Type": "Notification",
            "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
            "TopicArn": "arn:aws:sns:eu-west-2:123456789012:p9-landing",
            "Subject": "Amazon S3 Notification",
            "Message": inner,
            "Timestamp": "2026-11-30T08:15:03.001Z",
        }
    )
    assert [event.key for event in parse_notification(body).events] == ["landing/Site A/x+y.csv"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "message body is not valid JSON"),
        ("[1, 2]", "message body is a JSON list"),
        ('{"detail-type": "Object Created"}', "expected an S3 event notification"),
        ('{"Records": [7]}', r"Records\[0\] is int"),
        ('{"Records": [{"eventName": "ObjectCreated:Put"}]}', "no dict field 's3'"),
        ('{"Type": "Notification", "Message": "{]"}', "SNS Message is not valid JSON"),
    ],
)
def test_malformed_body_rejected(body: str, message: str) -> None:
    with pytest.raises(EventParseError, match=message):
        parse_notification(body)


def test_record_without_key_rejected() -> None:
    record = _put_record("landing/a.csv")
    s3 = record["s3"]
    assert isinstance(s3, dict)
    del s3["object"]["key"]
    with pytest.raises(EventParseError, match="no str field 'key'"):
        parse_notification(json.dumps({"Records": [record]}))
