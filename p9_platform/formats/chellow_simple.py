"""Chellow "simple" half-hourly CSV.

Layout, one header line then one row per half hour::

    MPAN core, Channel Type, Time, Value, Status
    2204707514535, ACTIVE, 2005-09-15 00:00, 1.0, A

Start times and units follow :mod:`p9_platform.formats.chellow_csv`.
"""

from __future__ import annotations

import pandas as pd

from p9_platform.formats.chellow_csv import (
    TYPED_COLUMNS,
    build_chellow_reads,
    build_typed_chellow_reads,
)
from p9_platform.formats.common import decode_text, file_lines, read_csv_by_line
from p9_platform.formats.typed_csv import (
    NeedsLineReader,
    plain_bytes,
    read_table,
    read_typed_or_by_line,
)
from p9_platform.reads import MeterFileError

FORMAT_NAME = "chellow_simple_csv"

HEADER = ("mpan core", "channel type", "time", "value", "status")


def looks_like(head: str) -> bool:
    """Return True when the first line is the simple CSV header (case and spaces ignored)."""
    lines = head.lstrip("\ufeff").splitlines()
    if not lines:
        return False
    return tuple(part.strip().lower() for part in lines[0].split(",")) == HEADER


def read(content: bytes, source_key: str) -> pd.DataFrame:
    """Parse a Chellow simple CSV; raise MeterFileError naming the bad line."""
    return read_typed_or_by_line(_read_typed, _read_by_line, content, source_key)


def _read_typed(content: bytes, source_key: str) -> pd.DataFrame:
    body = plain_bytes(content)
    if not looks_like(body[:4096].decode("ascii")):
        raise NeedsLineReader
    names = ("core", "channel", "start", "value", "status")
    table = read_table(body, TYPED_COLUMNS, column_names=names, skip_rows=1)
    return build_typed_chellow_reads(table, 2, source_key)


def _read_by_line(content: bytes, source_key: str) -> pd.DataFrame:
    text = decode_text(content, source_key)
    if not looks_like(text):
        raise MeterFileError(
            source_key, 1, "a header 'MPAN core, Channel Type, Time, Value, Status'"
        )
    raw = read_csv_by_line(text, 5, source_key)
    lines = file_lines(raw)
    rows = raw.iloc[1:]
    rows = rows.loc[~rows.isna().all(axis=1)]
    if rows.empty:
        raise MeterFileError(source_key, None, "at least one row after the header, found none")
    return build_chellow_reads(
        cores=rows[0],
        starts=rows[2],
        channels=rows[1],
        values=rows[3],
        statuses=rows[4],
        lines=lines[rows.index],
        source_key=source_key,
    )
