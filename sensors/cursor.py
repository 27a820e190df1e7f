"""The landing-prefix cursor: which object versions a listing has not seen yet.

S3 lists keys in name order, never by time, so every tick lists the whole prefix page by page
and this cursor decides what is new: anything modified after the high-water mark, or modified
at that very instant with a key and ETag not yet seen then.

NOTE: S3 stamps a multipart upload with the time it was started, so an upload that completes
after the cursor has moved past that time is never new to this cursor. An ingest run without a
key in its config lists the whole prefix and reads such a file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable

from resources.s3 import ObjectVersion


@dataclasses.dataclass(frozen=True)
class LandingCursor:
    """The newest last-modified instant seen, and the key/ETag pairs seen at that instant."""

    high_water: dt.datetime | None = None
    seen_at_high_water: frozenset[tuple[str, str]] = frozenset()

    def to_json(self) -> str:
        """Serialise for ``context.update_cursor``."""
        return json.dumps(
            {
                "high_water": self.high_water.isoformat() if self.high_water else None,
                "seen_at_high_water": sorted(self.seen_at_high_water),
            }
        )

    @classmethod
    def from_json(cls, text: str | None) -> LandingCursor:
        """Parse a stored cursor; an empty one means nothing has been seen."""
        if not text:
            return cls()
        data = json.loads(text)
        high_water = dt.datetime.fromisoformat(data["high_water"]) if data["high_water"] else None
        seen = frozenset((key, etag) for key, etag in data["seen_at_high_water"])
        return cls(high_water, seen)


def new_versions(
    listed: Iterable[ObjectVersion], cursor: LandingCursor, limit: int | None = None
) -> tuple[list[ObjectVersion], LandingCursor]:
    """Return the object versions the cursor has not seen, oldest first, and the cursor that
    includes them.

    With ``limit``, only the oldest ``limit`` versions are returned and the cursor stops at the
    last of them, so the rest are still new on the next call.
    """
    fresh = []
    for item in listed:
        if (
            cursor.high_water is None
            or item.last_modified > cursor.high_water
            or (
                item.last_modified == cursor.high_water
                and (item.key, item.etag) not in cursor.seen_at_high_water
            )
        ):
            fresh.append(item)
    if not fresh:
        return [], cursor

    fresh.sort(key=lambda item: (item.last_modified, item.key))
    if limit is not None:
        fresh = fresh[:limit]
    # Versions at the newest instant that were cut off sort after the ones kept, so they are
    # missing from ``at_newest`` and count as new next time.
    newest = fresh[-1].last_modified
    at_newest = {(item.key, item.etag) for item in fresh if item.last_modified == newest}
    if newest == cursor.high_water:
        at_newest |= cursor.seen_at_high_water
    return fresh, LandingCursor(newest, frozenset(at_newest))
