"""British Gas style half-hourly CSV: one row per meter and UTC day.

Layout, no header, 51 fields a row::

    2292056799106,E04M00872,06/07/2008,0.262,,0.252,...   MPAN core, meter serial, dd/mm/yyyy,
                                                          then 48 kWh values

The 48 values are the half hours of the UTC day, the first starting 00:00 UTC (Chellow's
``hh_parser_bg_csv`` adds 30 minutes per column to UTC midnight), so a clock-change day is
still 48 values and becomes 46 or 50 settlement periods once mapped to UK days. An empty cell is
a half hour without a reading and becomes a ``missing`` read. The file states no unit and no
status: values are read as kWh, rejected when implausible for kWh, and counted as actual.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa

from p9_platform.formats.common import (
    check_mpan_cores,
    decode_text,
    file_lines,
    parse_energy_wh,
    raise_first,
    read_csv_by_line,
)
from p9_platform.formats.typed_csv import (
    NS_PER_HALF_HOUR,
    NeedsLineReader,
    checked_core,
    energy_wh,
    float_values,
    map_distinct,
    plain_bytes,
    read_table,
    read_typed_or_by_line,
    text_type,
)
from p9_platform.reads import (
    QUALITY_DTYPE,
    MeterFileError,
    Quality,
    build_reads,
    reads_from_arrays,
    text_categorical,
)

FORMAT_NAME = "bg_csv"

VALUES_PER_DAY = 48
FIELD_COUNT = 3 + VALUES_PER_DAY

_FIRST_FIELDS = re.compile(r"^[^,]*,[^,]*,\s*\d{1,2}/\d{1,2}/\d{4}\s*,")


def looks_like(head: str) -> bool:
    """Return True when the first line has 51 fields and the third is a dd/mm/yyyy date."""
    lines = head.lstrip("\ufeff").splitlines()
    if not lines:
        return False
    first = lines[0]
    return bool(_FIRST_FIELDS.match(first)) and first.count(",") == FIELD_COUNT - 1


def read(content: bytes, source_key: str) -> pd.DataFrame:
    """Parse a BG CSV into normalised reads; raise MeterFileError naming the bad line."""
    return read_typed_or_by_line(_read_typed, _read_by_line, content, source_key)


def _read_typed(content: bytes, source_key: str) -> pd.DataFrame:
    names = [f"f{field}" for field in range(FIELD_COUNT)]
    value_names = names[3:]
    types: dict[str, pa.DataType] = {"f0": text_type(), "f2": text_type()}
    types.update({name: pa.float64() for name in value_names})
    table = read_table(plain_bytes(content), types, column_names=names)
    if table.num_rows == 0:
        raise NeedsLineReader
    cores, core_codes = map_distinct(table["f0"], checked_core)
    date_text, date_codes = map_distinct(table["f2"], str.strip)
    dates = pd.to_datetime(pd.Series(date_text, dtype=object), format="%d/%m/%Y", errors="coerce")
    if dates.isna().any():
        raise NeedsLineReader
    day_ns = dates.to_numpy().astype(np.int64)[date_codes]

    columns = [float_values(table[name]) for name in value_names]
    numbers = np.column_stack([values for values, _ in columns]).ravel()
    missing = np.column_stack([nulls for _, nulls in columns]).ravel()
    energy = energy_wh(numbers, missing, unit="kWh")

    row_count = table.num_rows
    offsets = np.arange(VALUES_PER_DAY, dtype=np.int64) * NS_PER_HALF_HOUR
    starts = (day_ns[:, None] + offsets[None, :]).ravel()
    qualities = np.array([Quality.ACTUAL.value, Quality.MISSING.value], dtype=object)
    return reads_from_arrays(
        meter_id=text_categorical(cores, core_codes, repeat=VALUES_PER_DAY),
        interval_start_ns=starts,
        energy_wh=energy,
        quality=text_categorical(qualities, missing.astype(np.int8), QUALITY_DTYPE),
        source_key=source_key,
        source_line=np.repeat(np.arange(1, row_count + 1), VALUES_PER_DAY),
    )


def _read_by_line(content: bytes, source_key: str) -> pd.DataFrame:
    text = decode_text(content, source_key)
    raw = read_csv_by_line(text, FIELD_COUNT, source_key)
    lines = file_lines(raw)

    blank = raw.isna().all(axis=1)
    commas = pd.Series(text.split("\n")[: len(raw)], index=raw.index).str.count(",")
    raise_first(
        source_key,
        ~blank & (commas != FIELD_COUNT - 1),
        lines,
        lambda row: (
            f"{FIELD_COUNT} fields (MPAN core, meter serial, date, 48 kWh values), "
            f"found {commas[row] + 1}"
        ),
    )
    rows = raw.loc[~blank]
    if rows.empty:
        raise MeterFileError(source_key, None, "at least one meter-day row, found none")
    row_lines = lines[~blank]

    cores = check_mpan_cores(rows[0].fillna("").str.strip(), row_lines, source_key)
    date_text = rows[2].fillna("").str.strip()
    days = pd.to_datetime(date_text, format="%d/%m/%Y", errors="coerce")
    raise_first(
        source_key,
        days.isna(),
        row_lines,
        lambda row: f"a date dd/mm/yyyy in field 3, found {date_text[row]!r}",
    )

    values = rows[list(range(3, FIELD_COUNT))].to_numpy().ravel()
    value_lines = pd.Series(np.repeat(row_lines.to_numpy(), VALUES_PER_DAY))
    value_text = pd.Series(values).str.strip()
    missing = value_text.isna() | (value_text == "")
    energy = parse_energy_wh(
        value_text,
        value_lines,
        source_key,
        unit="kWh",
        unit_stated=False,
        missing=missing,
    )
    offsets = np.tile(np.arange(VALUES_PER_DAY) * np.timedelta64(30, "m"), len(rows))
    day_starts = np.repeat(days.to_numpy(), VALUES_PER_DAY)
    starts = pd.Series(day_starts + offsets).dt.tz_localize("UTC")
    quality = pd.Series(np.where(missing, Quality.MISSING, Quality.ACTUAL))
    return build_reads(
        meter_id=pd.Series(np.repeat(cores.to_numpy(), VALUES_PER_DAY)),
        interval_start_utc=starts,
        energy_wh=energy,
        quality=quality,
        source_key=source_key,
        source_line=value_lines,
    )
