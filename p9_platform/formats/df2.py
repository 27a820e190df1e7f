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

import dataclasses
import datetime as dt
import re

import numpy as np
import pandas as pd
import pyarrow as pa

from p9_platform.formats.common import (
    check_mpan_cores,
    decode_text,
    file_lines,
    parse_energy_wh,
    quality_from_flags,
    raise_first,
    read_csv_by_line,
)
from p9_platform.formats.typed_csv import (
    NS_PER_HALF_HOUR,
    NS_PER_MINUTE,
    NeedsLineReader,
    checked_core,
    energy_wh,
    float_values,
    map_distinct,
    marker_line_starts,
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

FORMAT_NAME = "stark_df2"

ACTIVE_IMPORT_SENSORS = frozenset({"1", "2"})
SENSOR_NAMES = {"3": "reactive import", "4": "reactive export"}
STATUS_QUALITY = {"A": Quality.ACTUAL, "E": Quality.ESTIMATED}

_OUTSTATION_WITH_COMMA = re.compile(r"^#O[^\n]*,", re.MULTILINE | re.IGNORECASE)
_DATE_TEXT = re.compile(r"\d\d/\d\d/(\d\d){1,2}")
_TIME_TEXT = re.compile(r"\d\d:\d\d")


@dataclasses.dataclass(frozen=True)
class _ReadingRun:
    """Consecutive reading lines under one outstation and sensor."""

    core: str
    first_line: int
    line_count: int
    text: memoryview


def looks_like(head: str) -> bool:
    """Return True when the first line is the ``#F2`` marker."""
    lines = head.lstrip("\ufeff").splitlines()
    return bool(lines) and lines[0].strip().upper() == "#F2"


def read(content: bytes, source_key: str) -> pd.DataFrame:
    """Parse a DF2 file into normalised reads; raise MeterFileError naming the bad line."""
    return read_typed_or_by_line(_read_typed, _read_by_line, content, source_key)


def _read_typed(content: bytes, source_key: str) -> pd.DataFrame:
    body = plain_bytes(content)
    if not looks_like(body[:4096].decode("ascii")):
        raise NeedsLineReader
    runs = _reading_runs(body)
    if not runs:
        raise NeedsLineReader
    table = read_table(
        b"".join(run.text for run in runs),
        {"date": text_type(), "time": text_type(), "value": pa.float64(), "status": text_type()},
        column_names=("date", "time", "value", "status"),
    )
    counts = np.array([run.line_count for run in runs], dtype=np.int64)
    if table.num_rows != counts.sum():
        raise NeedsLineReader

    dates, date_codes = map_distinct(table["date"], _day_start_ns)
    times, time_codes = map_distinct(table["time"], _time_of_day_ns)
    ends = dates.astype(np.int64)[date_codes] + times.astype(np.int64)[time_codes]
    qualities, quality_codes = map_distinct(table["status"], _quality_of_status)
    numbers, missing = float_values(table["value"])
    if missing.any():
        raise NeedsLineReader

    cores = np.array([checked_core(run.core) for run in runs], dtype=object)
    first_lines = np.array([run.first_line for run in runs], dtype=np.int64)
    run_offsets = np.repeat(np.cumsum(counts) - counts, counts)
    lines = np.repeat(first_lines, counts) + np.arange(table.num_rows) - run_offsets
    return reads_from_arrays(
        meter_id=text_categorical(cores, np.arange(len(cores)), repeat=counts),
        interval_start_ns=ends - NS_PER_HALF_HOUR,
        energy_wh=energy_wh(numbers, missing, unit="kWh"),
        quality=text_categorical(qualities, quality_codes, QUALITY_DTYPE),
        source_key=source_key,
        source_line=lines,
    )


def _reading_runs(body: bytes) -> list[_ReadingRun]:
    """Split a DF2 body at its ``#`` lines into runs of reading lines, with their state.

    Follows the line reader: a ``#S`` applies until the next ``#O``, every ``#S`` must name
    sensor 1 or 2, and other ``#`` lines are ignored. Raises NeedsLineReader where that reader
    rejects the file or a ``#`` line has a comma.
    """
    marker_starts = marker_line_starts(body)
    if not marker_starts or marker_starts[0] != 0:
        raise NeedsLineReader

    # Runs keep views of the body, because copies of the runs would copy the whole file again.
    view = memoryview(body)
    runs = []
    outstation: str | None = None
    sensor: str | None = None
    line = 1
    for index, start in enumerate(marker_starts):
        end = body.find(b"\n", start)
        end = len(body) if end < 0 else end
        marker = body[start:end].decode("ascii")
        if "," in marker:
            raise NeedsLineReader
        first = marker.strip()
        kind = first.upper()[:2]
        if kind == "#O":
            outstation = first[2:].strip().split("-")[0]
            sensor = None
        elif kind == "#S":
            sensor = first[2:].strip()
            if sensor not in ACTIVE_IMPORT_SENSORS:
                raise NeedsLineReader

        following = marker_starts[index + 1] if index + 1 < len(marker_starts) else len(body)
        newlines = body.count(b"\n", end + 1, following)
        if end + 1 < following:
            if outstation is None or sensor is None:
                raise NeedsLineReader
            unterminated = 0 if body[following - 1] == ord("\n") else 1
            runs.append(
                _ReadingRun(
                    outstation, line + 1, newlines + unterminated, view[end + 1 : following]
                )
            )
        line += newlines + (1 if end < len(body) else 0)
    return runs


def _day_start_ns(value: str) -> int:
    text = value.strip()
    if not _DATE_TEXT.fullmatch(text):
        raise NeedsLineReader
    # Two-digit years (29/12/05) occur in real exports; %y maps 00-68 to 2000-2068.
    year_format = "%Y" if len(text) == 10 else "%y"
    try:
        day = dt.datetime.strptime(text, f"%d/%m/{year_format}")
    except ValueError as error:
        raise NeedsLineReader from error
    if not 1970 <= day.year <= 2200:
        raise NeedsLineReader
    return pd.Timestamp(day).value


def _time_of_day_ns(value: str) -> int:
    text = value.strip()
    if len(text) == 8 and text.endswith(":00"):
        text = text[:5]
    if not _TIME_TEXT.fullmatch(text):
        raise NeedsLineReader
    hour, minute = int(text[:2]), int(text[3:])
    if hour > 23 or minute not in (0, 30):
        raise NeedsLineReader
    return (hour * 60 + minute) * NS_PER_MINUTE


def _quality_of_status(value: str) -> str:
    quality = STATUS_QUALITY.get(value.strip()[-1:].upper())
    if quality is None:
        raise NeedsLineReader
    return str(quality.value)


def _read_by_line(content: bytes, source_key: str) -> pd.DataFrame:
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
