"""Stark DF2 half-hourly export.

Layout, one item per line::

    #F2                     file marker; may repeat
    #O 2204707514535        outstation: the MPAN core the readings below belong to
    #S 1                    sensor: 1 or 2 active import, 3 reactive import, 4 reactive export
    15/11/2005,00:30,1.0,A  date dd/mm/yyyy (or dd/mm/yy), time HH:MM, kWh, status A or E

Times are UTC and mark the end of the half hour (Chellow's ``hh_parser_df2`` subtracts 30
minutes), so ``30/03/2014,01:00`` is the half hour starting 00:30 UTC. Fields may be padded with
spaces. The format does not state a unit: values are read as kWh and the file is rejected when
they are implausible for kWh. Only active import (sensors 1 and 2) is read; a reactive sensor
rejects the file, because the normalised reads carry no channel.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from p9_platform.formats.common import (
    check_mpan_cores,
    decode_text,
    file_lines,
    parse_energy_wh,
    quality_from_flags,
    raise_first,
    read_csv_by_line,
)
from p9_platform.reads import MeterFileError, Quality, build_reads

FORMAT_NAME = "stark_df2"

ACTIVE_IMPORT_SENSORS = frozenset({"1", "2"})
SENSOR_NAMES = {"3": "reactive import", "4": "reactive export"}
STATUS_QUALITY = {"A": Quality.ACTUAL, "E": Quality.ESTIMATED}

_OUTSTATION_WITH_COMMA = re.compile(r"^#O[^\n]*,", re.MULTILINE | re.IGNORECASE)


def looks_like(head: str) -> bool:
    """Return True when the first line is the ``#F2`` marker."""
    lines = head.lstrip("\ufeff").splitlines()
    return bool(lines) and lines[0].strip().upper() == "#F2"


def read(content: bytes, source_key: str) -> pd.DataFrame:
    """Parse a DF2 file into normalised reads; raise MeterFileError naming the bad line."""
    text = decode_text(content, source_key)
    if not looks_like(text):
        raise MeterFileError(source_key, 1, "a first line '#F2'")
    _reject_outstation_with_commas(text, source_key)

    raw = read_csv_by_line(text, 4, source_key)
    lines = file_lines(raw)
    first = raw[0].fillna("").str.strip()
    marker = first.str.upper().str[:2]
    is_outstation = marker == "#O"
    is_sensor = marker == "#S"
    is_blank = (first == "") & raw[[1, 2, 3]].isna().all(axis=1)
    is_data = ~(first.str.startswith("#") | is_blank)

    outstation = first.where(is_outstation).str[2:].str.strip().str.split("-").str[0]
    sensor = first.where(is_sensor).str[2:].str.strip()
    _check_sensors(sensor.dropna(), lines, source_key)

    # A sensor line applies to the outstation above it, so sensors are filled forward only
    # within one outstation's section.
    section = is_outstation.cumsum()
    current_outstation = outstation.ffill()
    current_sensor = sensor.groupby(section).ffill()

    data = raw.loc[is_data]
    if data.empty:
        raise MeterFileError(
            source_key, None, "at least one reading line after '#O' and '#S', found none"
        )
    data_lines = lines[is_data]
    raise_first(
        source_key,
        current_outstation[is_data].isna(),
        lines,
        lambda _: "a '#O <MPAN core>' line before the first reading",
    )
    raise_first(
        source_key,
        current_sensor[is_data].isna(),
        lines,
        lambda _: "a '#S <sensor>' line after '#O' and before the readings",
    )
    raise_first(
        source_key,
        data[[1, 2, 3]].isna().any(axis=1),
        lines,
        lambda _: "4 comma-separated values: date, time, kWh, status",
    )

    cores = check_mpan_cores(current_outstation[is_data], data_lines, source_key)
    ends = _parse_end_times(data[0].str.strip(), data[1].str.strip(), data_lines, source_key)
    status = data[3].str.strip().str[-1:].str.upper()
    quality = quality_from_flags(status, STATUS_QUALITY, data_lines, source_key, "a status")
    energy = parse_energy_wh(
        data[2].str.strip(), data_lines, source_key, unit="kWh", unit_stated=False
    )
    return build_reads(
        meter_id=cores,
        interval_start_utc=ends - pd.Timedelta(minutes=30),
        energy_wh=energy,
        quality=quality,
        source_key=source_key,
        source_line=data_lines,
    )


def _reject_outstation_with_commas(text: str, source_key: str) -> None:
    # A '#O' line is a single item; trailing commas mean the export is damaged or another
    # layout, so the core cannot be trusted.
    found = _OUTSTATION_WITH_COMMA.search(text)
    if found:
        line = text.count("\n", 0, found.start()) + 1
        raise MeterFileError(
            source_key, line, "'#O <MPAN core>' with nothing after the core, found commas"
        )


def _check_sensors(sensor: pd.Series, lines: pd.Series, source_key: str) -> None:
    def message(row: object) -> str:
        value = sensor[row]
        name = SENSOR_NAMES.get(value)
        if name:
            return f"sensor 1 or 2 (active import); sensor {value} is {name}, which is not read"
        return f"sensor 1 or 2 (active import), found {value!r}"

    raise_first(source_key, ~sensor.isin(ACTIVE_IMPORT_SENSORS), lines, message)


def _parse_end_times(
    dates: pd.Series, times: pd.Series, lines: pd.Series, source_key: str
) -> pd.Series:
    # Seconds, when present, must be zero, so HH:MM:00 is cut to HH:MM before parsing.
    with_seconds = times.str.len() == 8
    times = times.where(~(with_seconds & times.str.endswith(":00")), times.str[:5])
    stamp = dates + " " + times
    ends = pd.to_datetime(stamp, format="%d/%m/%Y %H:%M", errors="coerce")
    short_year = ends.isna()
    if short_year.any():
        # Two-digit years (29/12/05) occur in real exports; %y maps 00-68 to 2000-2068.
        ends[short_year] = pd.to_datetime(
            stamp[short_year], format="%d/%m/%y %H:%M", errors="coerce"
        )
    raise_first(
        source_key,
        ends.isna(),
        lines,
        lambda row: f"a date dd/mm/yyyy and time HH:MM, found {stamp[row]!r}",
    )
    off_grid = ~np.isin(ends.dt.minute, [0, 30])
    raise_first(
        source_key,
        pd.Series(off_grid, index=ends.index),
        lines,
        lambda row: f"a time on the hour or half hour, found {times[row]!r}",
    )
    return ends.dt.tz_localize("UTC")
