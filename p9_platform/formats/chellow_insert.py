"""Chellow general-import CSV of half-hourly data.

Layout, no header (lines starting with ``#`` are comments)::

    insert,hh_datum,22 4862 4512 332,2008-01-01 00:00Z,ACTIVE,3.77,A

Fields after the action and type: MPAN core, start time, channel type, kWh, status (A or E,
often with a trailing space). Start times and units follow :mod:`p9_platform.formats.chellow_csv`.
"""

from __future__ import annotations

import pandas as pd

from p9_platform.formats.chellow_csv import build_chellow_reads
from p9_platform.formats.common import (
    blank_comment_lines,
    decode_text,
    file_lines,
    raise_first,
    read_csv_by_line,
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
