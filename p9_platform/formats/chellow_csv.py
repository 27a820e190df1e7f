"""Shared rules of Chellow's two half-hour CSV layouts (see chellow_insert and chellow_simple).

Both carry, per row, an MPAN core (spaces allowed), a start time ``YYYY-MM-DD HH:MM``, a channel
type, a kWh value and a one-letter status. Times mark the START of the half hour. A time ending
in ``Z`` is UTC; a time without it is UK clock time, as Chellow's own ``parse_hh_start`` reads it,
so the repeated October hour needs both rows in time order (see
:func:`p9_platform.formats.common.utc_from_uk_clock`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from p9_platform.formats.common import (
    check_mpan_cores,
    parse_energy_wh,
    quality_from_flags,
    raise_first,
    utc_from_uk_clock,
)
from p9_platform.formats.typed_csv import (
    NS_PER_HALF_HOUR,
    NeedsLineReader,
    check_text,
    checked_core,
    energy_wh,
    float_values,
    iso_instants,
    map_distinct,
    text_type,
)
from p9_platform.reads import (
    QUALITY_DTYPE,
    Quality,
    build_reads,
    reads_from_arrays,
    text_categorical,
)

ACTIVE_CHANNEL = "ACTIVE"
STATUS_QUALITY = {"A": Quality.ACTUAL, "E": Quality.ESTIMATED}


def build_chellow_reads(
    *,
    cores: pd.Series,
    starts: pd.Series,
    channels: pd.Series,
    values: pd.Series,
    statuses: pd.Series,
    lines: pd.Series,
    source_key: str,
) -> pd.DataFrame:
    """Check and convert the five Chellow fields (all text) into normalised reads."""
    channels = channels.fillna("").str.strip().str.upper()
    raise_first(
        source_key,
        channels != ACTIVE_CHANNEL,
        lines,
        lambda row: f"channel type {ACTIVE_CHANNEL} (active import), found {channels[row]!r}",
    )
    meter_ids = check_mpan_cores(cores.fillna("").str.strip(), lines, source_key)
    starts_utc = parse_start_times(starts.fillna("").str.strip(), meter_ids, lines, source_key)
    quality = quality_from_flags(
        statuses.fillna("").str.strip().str.upper(), STATUS_QUALITY, lines, source_key, "a status"
    )
    energy = parse_energy_wh(
        values.fillna("").str.strip(), lines, source_key, unit="kWh", unit_stated=False
    )
    return build_reads(
        meter_id=meter_ids,
        interval_start_utc=starts_utc,
        energy_wh=energy,
        quality=quality,
        source_key=source_key,
        source_line=lines,
    )


# Column types for :func:`build_typed_chellow_reads`, by the names it reads.
TYPED_COLUMNS: dict[str, pa.DataType] = {
    "core": text_type(),
    "start": pa.string(),
    "channel": pa.string(),
    "value": pa.float64(),
    "status": text_type(),
}


def build_typed_chellow_reads(table: pa.Table, first_line: int, source_key: str) -> pd.DataFrame:
    """Check and convert the typed columns of :data:`TYPED_COLUMNS`, one row per file line.

    Only UTC start times (ending in ``Z``) are read here. UK clock times need the per-meter
    order of the repeated October hour, so they raise NeedsLineReader.
    """
    if table.num_rows == 0:
        raise NeedsLineReader
    check_text(table["channel"], ACTIVE_CHANNEL, _is_active_channel)
    cores, core_codes = map_distinct(table["core"], checked_core)
    starts = iso_instants(table["start"], "9999-99-99T99:99Z", multiple_of=NS_PER_HALF_HOUR)
    qualities, quality_codes = map_distinct(table["status"], _quality_of_status)
    numbers, missing = float_values(table["value"])
    if missing.any():
        raise NeedsLineReader
    return reads_from_arrays(
        meter_id=text_categorical(cores, core_codes),
        interval_start_ns=starts,
        energy_wh=energy_wh(numbers, missing, unit="kWh"),
        quality=text_categorical(qualities, quality_codes, QUALITY_DTYPE),
        source_key=source_key,
        source_line=np.arange(table.num_rows, dtype=np.int64) + first_line,
    )


def _is_active_channel(value: str) -> bool:
    return value.strip().upper() == ACTIVE_CHANNEL


def _quality_of_status(value: str) -> str:
    quality = STATUS_QUALITY.get(value.strip().upper())
    if quality is None:
        raise NeedsLineReader
    return str(quality.value)


def parse_start_times(
    text: pd.Series, meter_ids: pd.Series, lines: pd.Series, source_key: str
) -> pd.Series:
    """Parse ``YYYY-MM-DD HH:MM`` start times: UTC when they end in ``Z``, else UK clock time."""
    is_utc = text.str.endswith("Z")
    clock = text.str.removesuffix("Z").str.replace("T", " ", regex=False)
    parsed = pd.to_datetime(clock, format="%Y-%m-%d %H:%M", errors="coerce")
    raise_first(
        source_key,
        parsed.isna(),
        lines,
        lambda row: f"a start time YYYY-MM-DD HH:MM (Z for UTC), found {text[row]!r}",
    )
    raise_first(
        source_key,
        pd.Series(~np.isin(parsed.dt.minute, [0, 30]), index=parsed.index),
        lines,
        lambda row: f"a start time on the hour or half hour, found {text[row]!r}",
    )
    if is_utc.all():
        return parsed.dt.tz_localize("UTC")
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    result[is_utc] = parsed[is_utc].dt.tz_localize("UTC")
    local = ~is_utc
    result[local] = utc_from_uk_clock(parsed[local], meter_ids[local], lines[local], source_key)
    return result
