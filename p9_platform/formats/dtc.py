"""Data Transfer Catalogue (DTC) flows: the pipe-delimited envelope and half-hourly advances.

Every flow is one record a line, fields separated by ``|`` with a trailing ``|``::

    ZHV|<file id>|<flow id and version, D0379001>|<from role>|<from MPID>|<to role>|...
    ...records...
    ZPT|<file id>|<record count between ZHV and ZPT>|<checksum>|<group count>|<created>|

The envelope is checked before any record is read. The trailer's file id must match the header's,
and its record count must equal the lines between header and trailer. Its group count, when
given, must equal the number of top-level group records.

Flows are described by :data:`FLOWS` (record id to field names, plus which fields hold the
meter, day and values), so a flow whose layout is confirmed from a public source is added as
data. Only layouts seen in public files are listed: D0379 (from a supplier's published producer
code and its tests) and D0010 (a real sample file). D0036 and D0275 are not listed because no
public copy of their group layout was found.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from p9_platform.clock import periods_in_day
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
    NeedsLineReader,
    energy_wh,
    float_values,
    map_distinct,
    plain_bytes,
    read_table,
    read_typed_or_by_line,
    text_type,
)
from p9_platform.mpan import mpan_core_problem
from p9_platform.reads import (
    QUALITY_DTYPE,
    MeterFileError,
    Quality,
    build_reads,
    reads_from_arrays,
    text_categorical,
)

FORMAT_NAME = "dtc_flow"

HEADER_ID = "ZHV"
TRAILER_ID = "ZPT"
# The widest record handled (ZHV) has 12 fields plus the empty one after the trailing pipe.
MAX_FIELDS = 16


@dataclasses.dataclass(frozen=True)
class HalfHourFields:
    """Where a half-hourly flow keeps each part of a read, as (record id, field name) pairs."""

    meter: tuple[str, str]
    measurement_quantity: tuple[str, str]
    day: tuple[str, str]
    value: tuple[str, str]
    flag: tuple[str, str]
    # "UTC": each day record starts at 00:00 UTC and has 48 values. "UK": a settlement day of
    # 46, 48 or 50 periods from local midnight.
    day_clock: str
    unit: str
    flag_quality: Mapping[str, Quality]
    accepted_quantities: frozenset[str] = frozenset({"AI"})


@dataclasses.dataclass(frozen=True)
class FlowLayout:
    """One DTC flow: its record layouts and, for half-hourly flows, where the reads are."""

    flow_id: str
    title: str
    records: Mapping[str, tuple[str, ...]]
    group_record: str
    half_hour: HalfHourFields | None = None
    # Why the flow is recognised but not read on the half-hour path.
    not_half_hourly: str = ""


D0379 = FlowLayout(
    flow_id="D0379",
    title="Half Hourly Advances UTC",
    records={
        "25B": ("mpan_core", "measurement_quantity_id", "supplier_id"),
        "26B": ("settlement_date",),
        "66L": ("actual_estimated_indicator", "period_consumption_kwh"),
    },
    group_record="25B",
    half_hour=HalfHourFields(
        meter=("25B", "mpan_core"),
        measurement_quantity=("25B", "measurement_quantity_id"),
        day=("26B", "settlement_date"),
        value=("66L", "period_consumption_kwh"),
        flag=("66L", "actual_estimated_indicator"),
        day_clock="UTC",
        unit="kWh",
        flag_quality={"A": Quality.ACTUAL, "E": Quality.ESTIMATED},
    ),
)

D0010 = FlowLayout(
    flow_id="D0010",
    title="Meter Readings",
    records={
        "026": ("mpan_core", "validation_status"),
        "028": ("meter_serial", "reading_method"),
        "030": ("register_id", "reading_date_time", "register_reading"),
    },
    group_record="026",
    not_half_hourly=(
        "a half-hourly flow; D0010 carries meter register readings (cumulative register values "
        "on a date), which are not half-hour consumption and are not read on this path"
    ),
)

FLOWS: dict[str, FlowLayout] = {flow.flow_id: flow for flow in (D0379, D0010)}


def looks_like(head: str) -> bool:
    """Return True when the first line is a DTC ``ZHV`` header."""
    return head.lstrip("\ufeff").startswith(HEADER_ID + "|")


def read(content: bytes, source_key: str) -> pd.DataFrame:
    """Check the envelope of a DTC flow and read its half-hourly advances.

    Raises MeterFileError for a broken envelope, an unknown flow, a flow that carries no
    half-hourly data (D0010) and any bad record.
    """
    return read_typed_or_by_line(_read_typed_d0379, _read_by_line, content, source_key)


def _read_typed_d0379(content: bytes, source_key: str) -> pd.DataFrame:
    """Read a D0379 flow laid out as meter, then per UTC day a 26B and its 48 66L records.

    Only the header, trailer and 25B lines are split in Python. The 66L lines go to pyarrow
    as one pipe-delimited table, so any other layout raises NeedsLineReader.
    """
    body = plain_bytes(content).rstrip(b"\n")
    buffer = np.frombuffer(body, dtype=np.uint8)
    newlines = np.flatnonzero(buffer == ord("\n"))
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [len(body)]))
    if len(starts) < 4 or ((ends - starts) < len("66L|")).any():
        raise NeedsLineReader
    body_count = len(starts) - 2
    spec = D0379.half_hour
    assert spec is not None

    # The first four bytes of every line, read as one little-endian uint32 from an unaligned
    # view, tell the record id with a single gather.
    windows = np.ndarray((len(body) - 3,), dtype="<u4", buffer=body, strides=(1,))
    heads = windows[starts]
    is_value, is_day, is_meter = (
        heads == int.from_bytes(f"{record_id}|".encode("ascii"), "little")
        for record_id in ("66L", "26B", "25B")
    )
    if int(is_value.sum() + is_day.sum() + is_meter.sum()) != body_count:
        raise NeedsLineReader
    meter_lines = np.flatnonzero(is_meter)
    day_lines = np.flatnonzero(is_day)
    if len(day_lines) == 0 or meter_lines[0] != 1:
        raise NeedsLineReader
    _check_d0379_envelope(body, starts, ends, len(meter_lines))

    # Every meter line is followed by a day line (or another meter line or the trailer), and
    # every day line by 48 value lines.
    values_per_day = 48
    structure = np.flatnonzero(~is_value)
    gaps = np.diff(structure)
    if (gaps[is_meter[structure[:-1]]] != 1).any():
        raise NeedsLineReader
    if (gaps[is_day[structure[:-1]]] != values_per_day + 1).any():
        raise NeedsLineReader
    if ((ends - starts)[day_lines] != len("26B|YYYYMMDD|")).any():
        raise NeedsLineReader
    if (buffer[ends[day_lines] - 1] != ord("|")).any():
        raise NeedsLineReader

    cores = np.array(
        [_checked_meter_line(body[starts[line] : ends[line]], spec) for line in meter_lines],
        dtype=object,
    )
    day_numbers = np.zeros(len(day_lines), dtype=np.int64)
    for position in range(4, 12):
        digit = buffer[starts[day_lines] + position] - np.uint8(ord("0"))
        if (digit > 9).any():
            raise NeedsLineReader
        day_numbers = day_numbers * 10 + digit
    distinct_days, day_codes = np.unique(day_numbers, return_inverse=True)
    day_ns = np.array([_utc_day_ns(int(day)) for day in distinct_days], dtype=np.int64)

    view = memoryview(body)
    first_values = starts[day_lines + 1].tolist()
    last_values_end = (ends[day_lines + values_per_day] + 1).tolist()
    table = read_table(
        b"".join(view[a:b] for a, b in zip(first_values, last_values_end, strict=True)),
        {"flag": text_type(), "value": pa.float64()},
        column_names=("record", "flag", "value", "end"),
        delimiter="|",
    )
    if table.num_rows != len(day_lines) * values_per_day:
        raise NeedsLineReader
    qualities, quality_codes = map_distinct(
        table["flag"], lambda flag: _quality_of_flag(flag, spec)
    )
    numbers, missing = float_values(table["value"])
    if missing.any():
        raise NeedsLineReader

    offsets = np.arange(values_per_day, dtype=np.int64)
    interval_starts = (day_ns[day_codes][:, None] + offsets * NS_PER_HALF_HOUR).ravel()
    # A meter line may have no day lines, and its core must not become an empty category.
    meters_with_days, meter_of_day = np.unique(
        np.searchsorted(meter_lines, day_lines) - 1, return_inverse=True
    )
    lines = (day_lines[:, None] + 2 + offsets).ravel()
    return reads_from_arrays(
        meter_id=text_categorical(cores[meters_with_days], meter_of_day, repeat=values_per_day),
        interval_start_ns=interval_starts,
        energy_wh=energy_wh(numbers, missing, unit=spec.unit),
        quality=text_categorical(qualities, quality_codes, QUALITY_DTYPE),
        source_key=source_key,
        source_line=lines,
    )


def _check_d0379_envelope(
    body: bytes, starts: np.ndarray, ends: np.ndarray, meter_count: int
) -> None:
    header = body[: ends[0]].decode("ascii").split("|")
    trailer = body[starts[-1] :].decode("ascii").split("|")
    if len(header) > MAX_FIELDS or len(trailer) > MAX_FIELDS or len(header) < 3:
        raise NeedsLineReader

    def field(fields: list[str], position: int) -> str:
        return fields[position].strip() if position < len(fields) else ""

    if field(header, 0) != HEADER_ID or FLOWS.get(field(header, 2)[:5]) is not D0379:
        raise NeedsLineReader
    if field(trailer, 0) != TRAILER_ID or field(trailer, 1) != field(header, 1):
        raise NeedsLineReader
    stated_records = field(trailer, 2)
    if not stated_records.isdigit() or int(stated_records) != len(starts) - 2:
        raise NeedsLineReader
    stated_groups = field(trailer, 4)
    if stated_groups and (not stated_groups.isdigit() or int(stated_groups) != meter_count):
        raise NeedsLineReader


def _checked_meter_line(line: bytes, spec: HalfHourFields) -> str:
    fields = line.decode("ascii").split("|")
    if len(fields) > MAX_FIELDS or len(fields) < 4 or fields[3] == "":
        raise NeedsLineReader
    core = fields[1].strip()
    if mpan_core_problem(core) is not None:
        raise NeedsLineReader
    if fields[2].strip() not in spec.accepted_quantities:
        raise NeedsLineReader
    return core


def _utc_day_ns(yyyymmdd: int) -> int:
    try:
        day = dt.datetime.strptime(f"{yyyymmdd:08d}", "%Y%m%d")
    except ValueError as error:
        raise NeedsLineReader from error
    if not 1970 <= day.year <= 2200:
        raise NeedsLineReader
    return pd.Timestamp(day).value


def _quality_of_flag(flag: str, spec: HalfHourFields) -> str:
    quality = spec.flag_quality.get(flag.strip().upper())
    if quality is None:
        raise NeedsLineReader
    return str(quality.value)


def _read_by_line(content: bytes, source_key: str) -> pd.DataFrame:
    text = decode_text(content, source_key).rstrip("\r\n")
    raw = read_csv_by_line(text, MAX_FIELDS, source_key, separator="|")
    lines = file_lines(raw)
    record_ids = raw[0].fillna("").str.strip()

    flow = _flow_of(raw, source_key)
    body = _check_envelope(raw, record_ids, lines, flow, source_key)
    if flow.half_hour is None:
        raise MeterFileError(source_key, 1, flow.not_half_hourly)
    return _read_half_hours(body, record_ids[body.index], lines[body.index], flow, source_key)


def _flow_of(raw: pd.DataFrame, source_key: str) -> FlowLayout:
    header_id = str(raw.at[0, 0]).strip()
    if header_id != HEADER_ID:
        raise MeterFileError(source_key, 1, f"a {HEADER_ID} header record, found {header_id!r}")
    flow_and_version = str(raw.at[0, 2]).strip() if pd.notna(raw.at[0, 2]) else ""
    flow = FLOWS.get(flow_and_version[:5])
    if flow is None:
        known = ", ".join(sorted(FLOWS))
        raise MeterFileError(
            source_key,
            1,
            f"a flow with a confirmed layout ({known}), found {flow_and_version!r} in field 3 "
            "of the header",
        )
    return flow


def _check_envelope(
    raw: pd.DataFrame,
    record_ids: pd.Series,
    lines: pd.Series,
    flow: FlowLayout,
    source_key: str,
) -> pd.DataFrame:
    """Check header, trailer and counts; return the body rows between them."""
    last = raw.index[-1]
    trailer_line = int(lines[last])
    if last == 0 or record_ids[last] != TRAILER_ID:
        raise MeterFileError(
            source_key, trailer_line, f"a {TRAILER_ID} trailer record as the last line"
        )
    header_file_id = _field(raw, 0, 1)
    trailer_file_id = _field(raw, last, 1)
    if trailer_file_id != header_file_id:
        raise MeterFileError(
            source_key,
            trailer_line,
            f"the trailer file id {header_file_id!r} of the header, found {trailer_file_id!r}",
        )

    body = raw.iloc[1:-1]
    body_ids = record_ids[body.index]
    stated_records = _field(raw, last, 2)
    if not stated_records.isdigit() or int(stated_records) != len(body):
        raise MeterFileError(
            source_key,
            trailer_line,
            f"a trailer record count equal to the {len(body)} records between header and "
            f"trailer, found {stated_records!r}",
        )
    unknown = ~body_ids.isin(list(flow.records))
    known = ", ".join(flow.records)
    raise_first(
        source_key,
        unknown,
        lines,
        lambda row: f"a {flow.flow_id} record ({known}), found {body_ids[row]!r}",
    )
    stated_groups = _field(raw, last, 4)
    groups = int((body_ids == flow.group_record).sum())
    if stated_groups and (not stated_groups.isdigit() or int(stated_groups) != groups):
        raise MeterFileError(
            source_key,
            trailer_line,
            f"a trailer group count equal to the {groups} {flow.group_record} records, "
            f"found {stated_groups!r}",
        )
    for record_id, fields in flow.records.items():
        rows = body.loc[body_ids == record_id]
        if rows[len(fields)].isna().any():
            first = rows.index[rows[len(fields)].isna().to_numpy()][0]
            raise MeterFileError(
                source_key,
                int(lines[first]),
                f"{len(fields)} fields in record {record_id} ({', '.join(fields)})",
            )
    return body


def _field(raw: pd.DataFrame, row: int, column: int) -> str:
    value = raw.at[row, column]
    return "" if pd.isna(value) else str(value).strip()


def _read_half_hours(
    body: pd.DataFrame,
    record_ids: pd.Series,
    lines: pd.Series,
    flow: FlowLayout,
    source_key: str,
) -> pd.DataFrame:
    spec = flow.half_hour
    assert spec is not None

    def column(record_field: tuple[str, str]) -> pd.Series:
        record_id, name = record_field
        position = flow.records[record_id].index(name) + 1
        return body[position].where(record_ids == record_id).str.strip()

    is_meter = record_ids == spec.meter[0]
    is_day = record_ids == spec.day[0]
    is_value = record_ids == spec.value[0]
    meter_group = is_meter.cumsum()
    day_group = is_day.cumsum()

    meter = column(spec.meter).ffill()
    quantity = column(spec.measurement_quantity).ffill()
    # A day record belongs to the meter group above it, so the day is not carried across
    # meter groups.
    day = column(spec.day).groupby(meter_group).ffill()

    raise_first(
        source_key,
        is_day & (meter_group == 0),
        lines,
        lambda _: f"a {spec.meter[0]} meter record before the first {spec.day[0]} record",
    )
    raise_first(
        source_key,
        is_value & day.isna(),
        lines,
        lambda _: f"a {spec.day[0]} day record before the {spec.value[0]} records",
    )

    meter_rows = body.index[is_meter]
    meter_lines = lines[meter_rows]
    check_mpan_cores(meter[meter_rows], meter_lines, source_key)
    bad_quantity = ~quantity[meter_rows].isin(spec.accepted_quantities)
    raise_first(
        source_key,
        bad_quantity,
        meter_lines,
        lambda row: (
            f"measurement quantity {', '.join(sorted(spec.accepted_quantities))} (active "
            f"import), found {quantity[row]!r}; other quantities are not read"
        ),
    )

    day_rows = body.index[is_day]
    day_text = day[day_rows]
    days = pd.to_datetime(day_text, format="%Y%m%d", errors="coerce")
    raise_first(
        source_key,
        days.isna(),
        lines[day_rows],
        lambda row: f"a date YYYYMMDD in record {spec.day[0]}, found {day_text[row]!r}",
    )
    _check_values_per_day(day_group, is_value, days, lines, meter, spec, source_key)

    values = body.loc[is_value]
    value_lines = lines[values.index]
    position = values.groupby(day_group[is_value]).cumcount().to_numpy()
    day_of_value = day_group[is_value].map(pd.Series(days.to_numpy(), index=day_group[day_rows]))
    if spec.day_clock == "UTC":
        day_starts = day_of_value.dt.tz_localize("UTC")
    else:
        day_starts = day_of_value.dt.tz_localize("Europe/London").dt.tz_convert("UTC")
    starts = day_starts + pd.to_timedelta(position * 30, unit="m")

    flags = column(spec.flag)[values.index].str.upper()
    quality = quality_from_flags(
        flags, spec.flag_quality, value_lines, source_key, "an actual/estimated indicator"
    )
    energy = parse_energy_wh(
        column(spec.value)[values.index],
        value_lines,
        source_key,
        unit=spec.unit,
        unit_stated=True,
    )
    return build_reads(
        meter_id=meter[values.index],
        interval_start_utc=starts,
        energy_wh=energy,
        quality=quality,
        source_key=source_key,
        source_line=value_lines,
    )


def _check_values_per_day(
    day_group: pd.Series,
    is_value: pd.Series,
    days: pd.Series,
    lines: pd.Series,
    meter: pd.Series,
    spec: HalfHourFields,
    source_key: str,
) -> None:
    counts = is_value.groupby(day_group).sum()
    found = day_group[days.index].map(counts).fillna(0).astype(int)
    if spec.day_clock == "UTC":
        expected = pd.Series(48, index=days.index)
    else:
        lengths = {day: periods_in_day(day.date()) for day in days.unique()}
        expected = days.map(lengths)

    def message(row: object) -> str:
        if spec.day_clock == "UTC":
            reason = "a UTC day always has 48 half hours"
        else:
            reason = f"the UK settlement day {days[row].date()} has {expected[row]} periods"
        return (
            f"{expected[row]} {spec.value[0]} records after this {spec.day[0]} record for MPAN "
            f"{meter[row]} because {reason}, found {found[row]}"
        )

    raise_first(source_key, found != expected, lines, message)
