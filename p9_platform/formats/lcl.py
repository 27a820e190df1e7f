"""Low Carbon London smart-meter CSV: ``LCLid,tstp,energy(kWh/hh)``.

``tstp`` is UTC and marks the end of the half hour (the trial logged the energy consumed in the
past 30 minutes), so a read stamped 00:00 belongs to the half hour starting 23:30 the day before.
Values are padded with spaces, and the London Datastore uses the token ``Null`` for no reading.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from p9_platform.formats.common import (
    file_lines,
    parse_energy_wh,
    raise_first,
    read_csv_by_line,
)
from p9_platform.formats.typed_csv import (
    NS_PER_HALF_HOUR,
    NeedsLineReader,
    energy_wh,
    float_values,
    iso_instants,
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

FORMAT_NAME = "lcl_csv"
HEADER = ("LCLid", "tstp", "energy(kWh/hh)")


def looks_like(head: str) -> bool:
    """Return True when the first line of a file is the LCL header."""
    first = head.lstrip("\ufeff").splitlines()[0] if head else ""
    return tuple(part.strip() for part in first.split(",")) == HEADER


def read(content: bytes, source_key: str) -> pd.DataFrame:
    """Parse an LCL CSV into normalised reads; raise MeterFileError naming the bad line."""
    return read_typed_or_by_line(_read_typed, _read_by_line, content, source_key)


def _read_typed(content: bytes, source_key: str) -> pd.DataFrame:
    body = plain_bytes(content)
    if not looks_like(body[:4096].decode("ascii")):
        raise NeedsLineReader
    names = ("id", "time", "energy")
    try:
        # Unpadded values parse straight to float64, with "Null" and the empty field as null.
        table = read_table(
            body,
            {"id": text_type(), "time": pa.string(), "energy": pa.float64()},
            column_names=names,
            skip_rows=1,
            null_values=("", "Null"),
        )
        numbers, is_null = float_values(table["energy"])
    except NeedsLineReader:
        table = read_table(
            body,
            {"id": text_type(), "time": pa.string(), "energy": pa.string()},
            column_names=names,
            skip_rows=1,
        )
        numbers, is_null = _padded_kwh(table["energy"])
    if not (np.isfinite(numbers) | is_null).all():
        raise NeedsLineReader
    meters, meter_codes = map_distinct(table["id"], str.strip)
    # Each time stamps the end of its half hour.
    starts = iso_instants(table["time"], "9999-99-99 99:99:99")
    starts -= NS_PER_HALF_HOUR
    energy = energy_wh(numbers, is_null, unit="kWh")

    row_count = len(starts)
    qualities = np.array([Quality.MISSING.value, Quality.ACTUAL.value], dtype=object)
    return reads_from_arrays(
        meter_id=text_categorical(meters, meter_codes),
        interval_start_ns=starts,
        energy_wh=energy,
        quality=text_categorical(qualities, (~is_null).astype(np.int8), QUALITY_DTYPE),
        source_key=source_key,
        source_line=np.arange(2, row_count + 2, dtype=np.int64),
    )


def _padded_kwh(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    # Real LCL files pad the value with spaces, and "Null" (or nothing) means no reading.
    text = pc.utf8_trim_whitespace(column)
    is_null = pc.is_in(text, pa.array(["Null", ""]))
    try:
        numbers = pc.cast(pc.if_else(is_null, "0", text), pa.float64())
    except pa.ArrowInvalid as error:
        raise NeedsLineReader from error
    return (
        numbers.to_numpy(zero_copy_only=False),
        is_null.to_numpy(zero_copy_only=False),
    )


def _read_by_line(content: bytes, source_key: str) -> pd.DataFrame:
    text = content.decode("utf-8-sig")
    if not looks_like(text):
        raise MeterFileError(source_key, 1, f"a header {','.join(HEADER)}")
    raw = read_csv_by_line(text, len(HEADER), source_key)
    lines = file_lines(raw)
    # Line 1 is the header, and a blank line carries no reading. A file of the header alone
    # is an export with nothing in it, and gives no reads.
    rows = raw.iloc[1:]
    rows = rows.loc[~rows.isna().all(axis=1)]
    row_lines = lines[rows.index]

    time_text = rows[1].fillna("").str.strip()
    ends = pd.to_datetime(time_text, format="%Y-%m-%d %H:%M:%S", errors="coerce")
    raise_first(
        source_key,
        ends.isna(),
        row_lines,
        lambda row: f"a timestamp YYYY-MM-DD HH:MM:SS, found {time_text[row]!r}",
    )

    value_text = rows[2].fillna("").str.strip()
    is_null = value_text.isin(["Null", ""])
    energy = parse_energy_wh(
        value_text, row_lines, source_key, unit="kWh", unit_stated=True, missing=is_null
    )

    starts = ends.dt.tz_localize("UTC") - pd.Timedelta(minutes=30)
    quality = pd.Series(np.where(is_null, Quality.MISSING, Quality.ACTUAL), index=rows.index)
    return build_reads(
        meter_id=rows[0].fillna("").str.strip(),
        interval_start_utc=starts,
        energy_wh=energy,
        quality=quality,
        source_key=source_key,
        source_line=row_lines,
    )
