"""Readers for the meter data formats suppliers receive, chosen by content.

Each reader module offers ``looks_like(head)`` over the first few kilobytes of text and
``read(content, source_key)`` returning normalised reads. :func:`parse_meter_file` picks the
reader whose ``looks_like`` matches; the file name is never trusted on its own.
"""

from __future__ import annotations

from types import ModuleType

from p9_platform.formats import (
    bg_csv,
    chellow_insert,
    chellow_simple,
    df2,
    dtc,
    lcl,
    wide_daily,
)
from p9_platform.reads import MeterFileError, ParsedFile

# Each looks_like checks a distinct first line (header, marker or field pattern), so at most
# one reader matches; the order only puts the cheapest checks first.
READERS: tuple[ModuleType, ...] = (
    dtc,
    df2,
    lcl,
    chellow_simple,
    wide_daily,
    chellow_insert,
    bg_csv,
)

SNIFF_BYTES = 8192


def detect_format(content: bytes) -> ModuleType | None:
    """Return the reader module that recognises ``content``, or None."""
    head = content[:SNIFF_BYTES].decode("utf-8", errors="replace")
    for reader in READERS:
        if reader.looks_like(head):
            return reader
    return None


def parse_meter_file(content: bytes, source_key: str) -> ParsedFile:
    """Detect the format of one file and parse it, raising MeterFileError if it cannot be read."""
    reader = detect_format(content)
    if reader is None:
        known = ", ".join(r.FORMAT_NAME for r in READERS)
        first_line = content[:200].decode("utf-8", errors="replace").splitlines()[:1]
        found = first_line[0] if first_line else ""
        raise MeterFileError(
            source_key, 1, f"a known meter data format ({known}), found first line {found!r}"
        )
    return ParsedFile(
        source_key=source_key,
        format_name=reader.FORMAT_NAME,
        reads=reader.read(content, source_key),
    )
