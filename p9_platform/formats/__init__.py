"""Readers for the meter data formats suppliers receive, chosen by content.

Each reader module offers ``looks_like(head)`` over the first few kilobytes of text and
``read(content, source_key)`` returning normalised reads. :func:`parse_meter_file` picks the
reader whose ``looks_like`` matches; the file name is never trusted on its own.
"""

from __future__ import annotations

from types import ModuleType

from p9_platform.formats import lcl
from p9_platform.reads import MeterFileError, ParsedFile

READERS: tuple[ModuleType, ...] = (lcl,)

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
        raise MeterFileError(source_key, 1, f"a known meter data format ({known})")
    return ParsedFile(
        source_key=source_key,
        format_name=reader.FORMAT_NAME,
        reads=reader.read(content, source_key),
    )
