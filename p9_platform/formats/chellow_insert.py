"""Chellow general-import CSV of half-hourly data.

Layout, no header (lines starting with ``#`` are comments)::

    insert,hh_datum,22 4862 4512 332,2008-01-01 00:00Z,ACTIVE,3.77,A

Fields after the action and type: MPAN core, start time, channel type, kWh, status (A or E,
often with a trailing space). Start times and units follow :mod:`p9_platform.formats.chellow_csv`.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from p9_platform.formats.chellow_csv import (
    TYPED_COLUMNS,
    build_chellow_reads,
    build_typed_chellow_reads,
)
from p9_platform.formats.common import (
    blank_comment_lines,
    decode_text,
    file_lines,
    raise_first,
    read_csv_by_line,
)
from p9_platform.formats.typed_csv import (
    NeedsLineReader,
    check_text,
    marker_line_starts,
    plain_bytes,
    read_table,
    read_typed_or_by_line,
)
from p9_platform.reads import MeterFileError

FORMAT_NAME = "chellow_insert_csv"

PREFIX = ("insert", "hh_datum")


def looks_like(head: str) -> bool:
    """Return True when the first line that is not a comment starts ``insert,hh_datum,``."""
    for line in head.lstrip("\ufeff").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        return [part.strip().lower() for part in stripped.split(",")[:2]] == list(PREFIX)
    return False


def read(content: bytes, source_key: str) -> pd.DataFrame:
    """Parse a Chellow ``insert,hh_datum`` CSV; raise MeterFileError naming the bad line."""
    return read_typed_or_by_line(_read_typed, _read_by_line, content, source_key)


def _read_typed(content: bytes, source_key: str) -> pd.DataFrame:
    body = plain_bytes(content)
    if marker_line_starts(body):
        raise NeedsLineReader
    names = ("action", "type", "core", "start", "channel", "value", "status")
    types = {"action": pa.string(), "type": pa.string(), **TYPED_COLUMNS}
    table = read_table(body, types, column_names=names)
    check_text(table["action"], PREFIX[0], lambda value: value.strip().lower() == PREFIX[0])
    check_text(table["type"], PREFIX[1], lambda value: value.strip() == PREFIX[1])
    return build_typed_chellow_reads(table, 1, source_key)


def _read_by_line(content: bytes, source_key: str) -> pd.DataFrame:
    text = blank_comment_lines(decode_text(content, source_key))
    raw = read_csv_by_line(text, 7, source_key)
    lines = file_lines(raw)
    rows = raw.loc[~raw.isna().all(axis=1)]
    if rows.empty:
        raise MeterFileError(source_key, None, "at least one 'insert,hh_datum' row, found none")
    row_lines = lines[rows.index]

    action = rows[0].fillna("").str.strip().str.lower() + "," + rows[1].fillna("").str.strip()
    raise_first(
        source_key,
        action != ",".join(PREFIX),
        row_lines,
        lambda row: f"a row starting 'insert,hh_datum', found {action[row]!r}",
    )
    return build_chellow_reads(
        cores=rows[2],
        starts=rows[3],
        channels=rows[4],
        values=rows[5],
        statuses=rows[6],
        lines=row_lines,
        source_key=source_key,
    )
