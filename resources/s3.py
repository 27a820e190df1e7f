"""The meter bucket: where meter files land, and where unreadable ones are quarantined."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import boto3
import dagster as dg
from pydantic import Field


@dataclasses.dataclass(frozen=True)
class ObjectVersion:
    """One listed object: key, ETag (without quotes), size in bytes and last-modified (UTC)."""

    key: str
    etag: str
    size: int
    last_modified: dt.datetime


class MeterBucket(dg.ConfigurableResource):
    """An S3 bucket with a landing prefix for meter files and a quarantine prefix."""

    bucket: str
    landing_prefix: str = "landing/"
    quarantine_prefix: str = "quarantine/"
    endpoint_url: str | None = Field(default=None, description="Leave empty for real S3.")
    region_name: str = "eu-west-2"
    access_key_id: str | None = None
    secret_access_key: str | None = None

    def client(self) -> Any:
        """Return a boto3 S3 client for this bucket's endpoint."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region_name,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
        )

    def list_landing(self, start_after: str | None = None) -> Iterator[ObjectVersion]:
        """List every object under the landing prefix, page by page (1,000 keys a page).

        Keys come back exactly as stored. botocore requests ``EncodingType=url`` on its own
        and decodes the keys again before returning them (botocore 1.44, ``handlers.py``), so
        nothing here may unquote them a second time. Raises botocore's ``NoSuchBucket`` when
        the bucket does not exist.
        """
        paginator = self.client().get_paginator("list_objects_v2")
        arguments: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self.landing_prefix}
        if start_after:
            arguments["StartAfter"] = start_after
        for page in paginator.paginate(**arguments):
            for item in page.get("Contents", []):
                yield _object_version(item)

    def current_version(self, key: str) -> ObjectVersion | None:
        """Return the object now stored at ``key``, or None when there is none.

        Uses the listing call, not HEAD, because HEAD gives last-modified to the second while
        a listing may give milliseconds, and an inventory compares the two.
        """
        listed = self.client().list_objects_v2(Bucket=self.bucket, Prefix=key, MaxKeys=1)
        # Any other key starting with ``key`` is longer, so it sorts after ``key`` itself.
        for item in listed.get("Contents", []):
            if item["Key"] == key:
                return _object_version(item)
        return None

    def read(self, key: str) -> bytes:
        """Return the bytes of one object."""
        body = self.client().get_object(Bucket=self.bucket, Key=key)["Body"]
        return bytes(body.read())

    def quarantine(self, key: str, etag: str, content: bytes, reason: dict[str, object]) -> str:
        """Copy a file under the quarantine prefix with a JSON reason beside it.

        The landing object is left as it is, so fixing and re-uploading it is all it takes to
        have it read again. Returns the quarantine key of the copy.
        """
        relative = key.removeprefix(self.landing_prefix)
        target = f"{self.quarantine_prefix}{relative}.{etag}"
        client = self.client()
        client.put_object(Bucket=self.bucket, Key=target, Body=content)
        record = {"landing_key": key, "etag": etag, **reason}
        client.put_object(
            Bucket=self.bucket,
            Key=f"{target}.reason.json",
            Body=json.dumps(record, indent=2, default=str).encode(),
            ContentType="application/json",
        )
        return target


def _object_version(item: dict[str, Any]) -> ObjectVersion:
    """Convert one ``Contents`` entry of a ListObjectsV2 response."""
    return ObjectVersion(
        key=item["Key"],
        etag=item["ETag"].strip('"'),
        size=int(item["Size"]),
        last_modified=item["LastModified"].astimezone(dt.UTC),
    )
