"""The listing sensor against moto S3: keys as stored, pages, versions and a changing bucket."""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import unquote_plus

import pytest

from resources import MeterBucket
from sensors import landing
from sensors.cursor import LandingCursor
from sensors.landing import landing_files_sensor
from tests.sensors.conftest import TRICKY_KEY, landing_keys, put, tick

# moto stamps last-modified to the second; waiting longer moves a re-upload past the cursor.
NEXT_SECOND = 1.1


def test_keys_round_trip_exactly(bucket: MeterBucket) -> None:
    keys = [TRICKY_KEY, "landing/a%2Bb.csv", "landing/café & co/€ 2026.csv"]
    for key in keys:
        put(bucket, key)
    result = tick(landing_files_sensor, None, meter_bucket=bucket)
    requested = landing_keys(result)
    assert sorted(requested) == sorted(keys)
    tags = {request.tags["p9/landing_key"] for request in result.run_requests or []}
    assert tags == set(keys)


def test_botocore_decodes_only_encoding_it_requested(bucket: MeterBucket) -> None:
    put(bucket, TRICKY_KEY)
    client = bucket.client()
    plain = client.list_objects_v2(Bucket=bucket.bucket, Prefix="landing/")
    assert [item["Key"] for item in plain["Contents"]] == [TRICKY_KEY]
    # Asked for by the caller, the encoding is left in place for the caller to undo.
    encoded = client.list_objects_v2(Bucket=bucket.bucket, Prefix="landing/", EncodingType="url")
    raw_key = encoded["Contents"][0]["Key"]
    assert raw_key != TRICKY_KEY
    assert "%2B" in raw_key
    assert unquote_plus(raw_key) == TRICKY_KEY


def test_first_tick_requests_every_version(bucket: MeterBucket) -> None:
    put(bucket, "landing/a.csv", b"first")
    put(bucket, "landing/b.csv", b"second")
    result = tick(landing_files_sensor, None, meter_bucket=bucket)
    assert sorted(landing_keys(result)) == ["landing/a.csv", "landing/b.csv"]
    etags = {request.tags["p9/etag"] for request in result.run_requests or []}
    # ETags of single-part uploads are the MD5 of the bytes.
    assert etags == {"8b04d5e3775d298e78455efc5ca404d5", "a9f0e61a137d86aa9db53465e0801612"}


def test_repeated_tick_requests_nothing(bucket: MeterBucket) -> None:
    put(bucket, "landing/a.csv")
    first = tick(landing_files_sensor, None, meter_bucket=bucket)
    again = tick(landing_files_sensor, first.cursor, meter_bucket=bucket)
    assert landing_keys(first) == ["landing/a.csv"]
    assert landing_keys(again) == []
    assert again.cursor == first.cursor


def test_reuploaded_key_requested_again(bucket: MeterBucket) -> None:
    put(bucket, TRICKY_KEY, b"v1")
    first = tick(landing_files_sensor, None, meter_bucket=bucket)
    time.sleep(NEXT_SECOND)
    put(bucket, TRICKY_KEY, b"v1")
    same_bytes = tick(landing_files_sensor, first.cursor, meter_bucket=bucket)
    time.sleep(NEXT_SECOND)
    put(bucket, TRICKY_KEY, b"v2")
    new_bytes = tick(landing_files_sensor, same_bytes.cursor, meter_bucket=bucket)

    assert landing_keys(first) == [TRICKY_KEY]
    assert landing_keys(same_bytes) == [TRICKY_KEY]
    assert landing_keys(new_bytes) == [TRICKY_KEY]
    run_keys = [
        str((result.run_requests or [])[0].run_key) for result in (first, same_bytes, new_bytes)
    ]
    assert len(set(run_keys)) == 3
    # Same bytes, same ETag: only the last-modified part of the run key moved.
    assert run_keys[0].split("|")[:2] == run_keys[1].split("|")[:2]
    assert run_keys[1].split("|")[1] != run_keys[2].split("|")[1]


def test_deleted_key_leaves_cursor(bucket: MeterBucket) -> None:
    put(bucket, "landing/a.csv")
    put(bucket, "landing/b.csv")
    first = tick(landing_files_sensor, None, meter_bucket=bucket)
    bucket.client().delete_object(Bucket=bucket.bucket, Key="landing/a.csv")
    after_delete = tick(landing_files_sensor, first.cursor, meter_bucket=bucket)
    assert landing_keys(after_delete) == []
    assert after_delete.cursor == first.cursor

    time.sleep(NEXT_SECOND)
    put(bucket, "landing/c.csv")
    after_upload = tick(landing_files_sensor, after_delete.cursor, meter_bucket=bucket)
    assert landing_keys(after_upload) == ["landing/c.csv"]


def test_empty_bucket_requests_nothing(bucket: MeterBucket) -> None:
    result = tick(landing_files_sensor, None, meter_bucket=bucket)
    assert landing_keys(result) == []
    assert LandingCursor.from_json(result.cursor) == LandingCursor()


def test_objects_outside_landing_ignored(bucket: MeterBucket) -> None:
    put(bucket, "quarantine/a.csv.0123")
    put(bucket, "landingx.csv")
    put(bucket, "landing/a.csv")
    result = tick(landing_files_sensor, None, meter_bucket=bucket)
    assert landing_keys(result) == ["landing/a.csv"]


def test_missing_bucket_skips_tick(endpoint: str) -> None:
    absent = MeterBucket(
        bucket="p9-sensor-not-created",
        endpoint_url=endpoint,
        access_key_id="testing",
        secret_access_key="testing",
    )
    stored = LandingCursor(
        dt.datetime(2026, 11, 30, 8, 15, tzinfo=dt.UTC), frozenset({("landing/a.csv", "e1")})
    ).to_json()
    result = tick(landing_files_sensor, stored, meter_bucket=absent)
    assert result.run_requests == []
    assert result.skip_message == "bucket p9-sensor-not-created does not exist"
    assert result.cursor == stored


def test_1500_keys_across_pages(bucket: MeterBucket, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = [f"landing/meters/{index:04d} +.csv" for index in range(1500)]
    client = bucket.client()
    for key in keys:
        client.put_object(Bucket=bucket.bucket, Key=key, Body=b"x")
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket.bucket, Prefix="landing/"
    )
    assert [len(page["Contents"]) for page in pages] == [1000, 500]

    # Two ticks of at most 1,000 requests cover every key once, and a third finds nothing.
    monkeypatch.setattr(landing, "MAX_RUN_REQUESTS_PER_TICK", 1000)
    first = tick(landing_files_sensor, None, meter_bucket=bucket)
    second = tick(landing_files_sensor, first.cursor, meter_bucket=bucket)
    third = tick(landing_files_sensor, second.cursor, meter_bucket=bucket)
    assert len(landing_keys(first)) == 1000
    assert len(landing_keys(second)) == 500
    assert landing_keys(third) == []
    assert sorted(landing_keys(first) + landing_keys(second)) == keys


def test_limit_splits_one_instant(bucket: MeterBucket, monkeypatch: pytest.MonkeyPatch) -> None:
    # Three keys written within one second share a last-modified time; a limit of two per tick
    # must still reach the third.
    monkeypatch.setattr(landing, "MAX_RUN_REQUESTS_PER_TICK", 2)
    # S3 stamps whole seconds, so the uploads start just after a second begins; a slow run
    # that still crosses a boundary tries again.
    for _ in range(5):
        time.sleep(1.02 - time.time() % 1)
        for key in ("landing/a.csv", "landing/b.csv", "landing/c.csv"):
            put(bucket, key)
        if len({item.last_modified for item in bucket.list_landing()}) == 1:
            break
    else:
        pytest.fail("three uploads never shared one last-modified second in five tries")
    first = tick(landing_files_sensor, None, meter_bucket=bucket)
    second = tick(landing_files_sensor, first.cursor, meter_bucket=bucket)
    third = tick(landing_files_sensor, second.cursor, meter_bucket=bucket)
    assert landing_keys(first) == ["landing/a.csv", "landing/b.csv"]
    assert landing_keys(second) == ["landing/c.csv"]
    assert landing_keys(third) == []
