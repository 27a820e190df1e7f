import datetime as dt

from resources.s3 import ObjectVersion
from sensors.cursor import LandingCursor, new_versions

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(seconds=1)


def _obj(key: str, etag: str, at: dt.datetime) -> ObjectVersion:
    return ObjectVersion(key=key, etag=etag, size=10, last_modified=at)


def test_first_listing_returns_everything() -> None:
    fresh, cursor = new_versions([_obj("a", "1", T0), _obj("b", "2", T1)], LandingCursor())
    assert [item.key for item in fresh] == ["a", "b"]
    assert cursor.high_water == T1
    assert cursor.seen_at_high_water == frozenset({("b", "2")})


def test_repeated_tick_returns_nothing() -> None:
    listing = [_obj("a", "1", T0), _obj("b", "2", T1)]
    _, cursor = new_versions(listing, LandingCursor())
    fresh, again = new_versions(listing, cursor)
    assert fresh == []
    assert again == cursor


def test_same_second_new_key_is_seen() -> None:
    _, cursor = new_versions([_obj("a", "1", T1)], LandingCursor())
    fresh, after = new_versions([_obj("a", "1", T1), _obj("b", "2", T1)], cursor)
    assert [item.key for item in fresh] == ["b"]
    assert after.seen_at_high_water == frozenset({("a", "1"), ("b", "2")})


def test_reupload_with_same_content_is_new_version() -> None:
    _, cursor = new_versions([_obj("a", "1", T0)], LandingCursor())
    fresh, _ = new_versions([_obj("a", "1", T1)], cursor)
    assert [(item.key, item.last_modified) for item in fresh] == [("a", T1)]


def test_cursor_round_trips_through_json() -> None:
    _, cursor = new_versions([_obj("a b+'c", "1", T0)], LandingCursor())
    assert LandingCursor.from_json(cursor.to_json()) == cursor


def test_deleted_keys_and_empty_bucket_keep_cursor() -> None:
    _, cursor = new_versions([_obj("a", "1", T0)], LandingCursor())
    fresh, after = new_versions([], cursor)
    assert fresh == []
    assert after == cursor


def test_limit_keeps_oldest_and_stops_cursor() -> None:
    listing = [_obj("c", "3", T1), _obj("a", "1", T0), _obj("b", "2", T1)]
    fresh, cursor = new_versions(listing, LandingCursor(), limit=2)
    assert [item.key for item in fresh] == ["a", "b"]
    assert cursor.high_water == T1
    assert cursor.seen_at_high_water == frozenset({("b", "2")})
    rest, after = new_versions(listing, cursor, limit=2)
    assert [item.key for item in rest] == ["c"]
    assert after.seen_at_high_water == frozenset({("b", "2"), ("c", "3")})


def test_limit_larger_than_new_returns_all() -> None:
    fresh, cursor = new_versions([_obj("a", "1", T0)], LandingCursor(), limit=1000)
    assert [item.key for item in fresh] == ["a"]
    assert cursor.high_water == T0
