"""S3 event notifications as an SQS message body: the object events it contains.

S3 URL-encodes the object key in an event notification the way an HTML form does: a space
arrives as '+', a literal '+' as '%2B' and other bytes of the UTF-8 key as '%XX'. Only keys
from events are decoded here. A ListObjectsV2 listing through boto3 returns keys as stored.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any
from urllib.parse import unquote_plus


class EventParseError(ValueError):
    """A message body that is not an S3 event notification."""


@dataclasses.dataclass(frozen=True)
class ObjectEvent:
    """One record of an S3 event notification, with its object key decoded."""

    event_name: str
    event_time: str
    bucket: str
    key: str
    etag: str | None = None
    size: int | None = None
    version_id: str | None = None
    sequencer: str | None = None

    @property
    def is_created(self) -> bool:
        """True for every ``ObjectCreated:*`` event (Put, Post, Copy, multipart upload)."""
        return self.event_name.startswith("ObjectCreated:")


@dataclasses.dataclass(frozen=True)
class Notification:
    """The object events of one message; none for the test event S3 sends on configuration."""

    events: tuple[ObjectEvent, ...] = ()
    is_test_event: bool = False


def decode_event_key(raw: str) -> str:
    """Decode an object key as S3 encodes it in event notifications.

    Raises EventParseError when the percent-escapes do not form UTF-8.
    """
    try:
        return unquote_plus(raw, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as error:
        raise EventParseError(f"object key {raw!r} does not decode to UTF-8: {error}") from error


def parse_notification(body: str) -> Notification:
    """Parse an SQS message body sent by S3, directly or through an SNS topic.

    Raises EventParseError, naming the missing or invalid field, for any other body.
    """
    document = _load_json(body, "message body")
    # Through SNS (without raw message delivery) the S3 document is a string in "Message".
    if document.get("Type") == "Notification" and "Message" in document:
        document = _load_json(document["Message"], "SNS Message")

    if document.get("Event") == "s3:TestEvent":
        return Notification(is_test_event=True)
    records = document.get("Records")
    if not isinstance(records, list):
        raise EventParseError(
            f"expected an S3 event notification with a Records list; found keys {sorted(document)}"
        )
    return Notification(
        events=tuple(_parse_record(record, index) for index, record in enumerate(records))
    )


def _load_json(text: object, what: str) -> dict[str, Any]:
    if not isinstance(text, str):
        raise EventParseError(f"{what} is {type(text).__name__}, expected a JSON string")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise EventParseError(f"{what} is not valid JSON: {error}") from error
    if not isinstance(document, dict):
        raise EventParseError(f"{what} is a JSON {type(document).__name__}, expected an object")
    return document


def _parse_record(record: object, index: int) -> ObjectEvent:
    if not isinstance(record, dict):
        raise EventParseError(f"Records[{index}] is {type(record).__name__}, expected an object")
    s3 = _field(record, "s3", dict, index)
    bucket = _field(s3, "bucket", dict, index)
    item = _field(s3, "object", dict, index)
    size = item.get("size")
    return ObjectEvent(
        event_name=_field(record, "eventName", str, index),
        event_time=_field(record, "eventTime", str, index),
        bucket=_field(bucket, "name", str, index),
        key=decode_event_key(_field(item, "key", str, index)),
        etag=item.get("eTag"),
        size=size if isinstance(size, int) else None,
        version_id=item.get("versionId"),
        sequencer=item.get("sequencer"),
    )


def _field(container: dict[str, Any], name: str, kind: type, index: int) -> Any:
    value = container.get(name)
    if not isinstance(value, kind):
        raise EventParseError(
            f"Records[{index}] has no {kind.__name__} field {name!r} (found {value!r})"
        )
    return value
