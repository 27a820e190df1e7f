"""Wide daily CSV: one row per meter and UK settlement day, our own supplier-facing layout.

Layout: a header line, then one row per meter-day::

    mpan_core,settlement_date,unit,flags,p01,p02,...,p50
    2248624512332,2025-10-26,kWh,AAAA...A,0.512,0.498,...,0.530

* ``mpan_core``: 13 digits, check digit verified; spaces are ignored.
* ``settlement_date``: ``YYYY-MM-DD``, the UK settlement date.
* ``unit``: ``kWh`` or ``Wh`` for every value in the row; Wh values must be whole numbers.
* ``flags``: one letter per settlement period of that day, in order: ``A`` actual,
  ``E`` estimated, ``M`` missing. Its length is the number of periods the row carries and must
  be the day's length: 46 when the clocks go forward, 50 when they go back, 48 otherwise.
* ``p01`` .. ``pNN``: the value of settlement period 1..NN in UK clock time (period 1 starts at
  local midnight; on a 50-period day periods 3-4 and 5-6 cover the repeated hour 01:00-02:00,
  first BST then GMT). The header has 46, 48 or 50 period columns; a file that holds any
  50-period day needs all 50. Cells after the day's last period must be empty, and a cell is
  empty exactly when its flag is ``M``.

A row whose flags do not match the day's length (say 48 on a 46- or 50-period day) is rejected,
because the layout counts settlement periods, not wall-clock half hours, and guessing which
half hours a producer meant would shift every later value by an hour.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import numpy as np
import pandas as pd
import pyarrow as pa

from p9_platform.clock import local_midnight_utc, periods_in_day
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
    float_values,
    map_distinct,
    plain_bytes,
    read_table,
    read_typed_or_by_line,
    text_type,
    watt_hours,
)
from p9_platform.reads import (
    QUALITY_DTYPE,
    MeterFileError,
    Quality,
    build_reads,
    reads_from_arrays,
    text_categorical,
)

FORMAT_NAME = "wide_daily_csv"

LEADING_COLUMNS = ("mpan_core", "settlement_date", "unit", "flags")
PERIOD_COLUMN_COUNTS = (46, 48, 50)
UNITS = ("kWh", "Wh")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
FLAG_QUALITY = {"A": Quality.ACTUAL, "E": Quality.ESTIMATED, "M": Quality.MISSING}


def period_columns(count: int) -> list[str]:
    """Return the period column names ``p01`` .. ``pNN``."""
    return [f"p{period:02d}" for period in range(1, count + 1)]


def looks_like(head: str) -> bool:
    """Return True when the first line starts with the wide daily leading columns."""
    lines = head.lstrip("\ufeff").splitlines()
    if not lines:
        return False
    names = tuple(part.strip().lower() for part in lines[0].split(","))
    return names[: len(LEADING_COLUMNS)] == LEADING_COLUMNS


def read(content: bytes, source_key: str) -> pd.DataFrame:
    """Parse a wide daily CSV into normalised reads; raise MeterFileError naming the bad line."""
    return read_typed_or_by_line(_read_typed, _read_by_line, content, source_key)


def _read_typed(content: bytes, source_key: str) -> pd.DataFrame:
    body = plain_bytes(content)
    try:
        period_count = _check_header(body[:4096].decode("ascii"), source_key)
    except MeterFileError as error:
        raise NeedsLineReader from error
    cell_names = period_columns(period_count)
    types: dict[str, pa.DataType] = {name: text_type() for name in LEADING_COLUMNS}
    types.update({name: pa.float64() for name in cell_names})
    table = read_table(body, types, column_names=[*LEADING_COLUMNS, *cell_names], skip_rows=1)
    if table.num_rows == 0:
        raise NeedsLineReader

    cores, core_codes = map_distinct(table["mpan_core"], checked_core)
    days, day_codes = map_distinct(table["settlement_date"], _day_of_text)
    day_lengths = np.array([periods_in_day(day) for day in days], dtype=np.int64)
    if (day_lengths > period_count).any():
        raise NeedsLineReader
    units, unit_codes = map_distinct(table["unit"], _checked_unit)
    flags, flag_codes = map_distinct(table["flags"], lambda value: value.strip().upper())
    if any(set(flag) - set(FLAG_QUALITY) for flag in flags):
        raise NeedsLineReader
    lengths = day_lengths[day_codes]
    flag_lengths = np.array([len(flag) for flag in flags], dtype=np.int64)
    if (flag_lengths[flag_codes] != lengths).any():
        raise NeedsLineReader

    columns = [float_values(table[name]) for name in cell_names]
    flag_matrix = _flag_matrix(pd.Series(flags, dtype=object), period_count)
    midnights = np.array(
        [pd.Timestamp(local_midnight_utc(day)).value for day in days], dtype=np.int64
    )
    cells = _Cells.empty(int(lengths.sum()))
    cell_ends = np.cumsum(lengths)
    # A block of rows at a time, so the (rows, periods) matrices stay small: whole-file
    # matrices and their masked copies were 140 MB each at a year of 1,000 meters.
    for first in range(0, table.num_rows, _BLOCK_ROWS):
        rows = slice(first, first + _BLOCK_ROWS)
        first_cell = int(cell_ends[first] - lengths[first])
        end_cell = int(cell_ends[rows][-1])
        _check_and_fill_block(
            cells,
            slice(first_cell, end_cell),
            numbers=np.column_stack([values[rows] for values, _ in columns]),
            is_empty=np.column_stack([nulls[rows] for _, nulls in columns]),
            lengths=lengths[rows],
            flag_rows=flag_matrix[flag_codes[rows]],
            units=units,
            row_unit_codes=unit_codes[rows],
            row_midnights=midnights[day_codes[rows]],
        )

    day_values = np.array([np.datetime64(day, "ns") for day in days], dtype="datetime64[ns]")
    return reads_from_arrays(
        meter_id=text_categorical(cores, core_codes, repeat=lengths),
        interval_start_ns=cells.starts,
        energy_wh=pd.arrays.IntegerArray(cells.watt_hours, cells.missing),
        quality=pd.Categorical.from_codes(cells.quality, dtype=QUALITY_DTYPE, validate=False),
        source_key=source_key,
        source_line=np.repeat(np.arange(2, table.num_rows + 2, dtype=np.int64), lengths),
        settlement_clock=(np.repeat(day_values[day_codes], lengths), cells.period),
    )


# Rows of the file per block of the typed parse: about 400,000 cells.
_BLOCK_ROWS = 8_192


def _quality_codes_by_byte() -> np.ndarray:
    """Return the quality category code of each flag letter, indexed by its byte value."""
    codes = np.zeros(256, dtype=np.int8)
    for flag, quality in FLAG_QUALITY.items():
        codes[ord(flag)] = QUALITY_DTYPE.categories.get_loc(quality.value)
    return codes


_QUALITY_OF_FLAG = _quality_codes_by_byte()


@dataclasses.dataclass(frozen=True)
class _Cells:
    """The settlement periods of a file, one entry per period in row and period order."""

    watt_hours: np.ndarray
    missing: np.ndarray
    quality: np.ndarray
    period: np.ndarray
    starts: np.ndarray

    @classmethod
    def empty(cls, count: int) -> _Cells:
        return cls(
            watt_hours=np.empty(count, dtype=np.int64),
            missing=np.empty(count, dtype=bool),
            quality=np.empty(count, dtype=np.int8),
            period=np.empty(count, dtype=np.int64),
            starts=np.empty(count, dtype=np.int64),
        )


def _check_and_fill_block(
    cells: _Cells,
    positions: slice,
    *,
    numbers: np.ndarray,
    is_empty: np.ndarray,
    lengths: np.ndarray,
    flag_rows: np.ndarray,
    units: np.ndarray,
    row_unit_codes: np.ndarray,
    row_midnights: np.ndarray,
) -> None:
    """Check a block of rows and write its periods to ``cells`` at ``positions``.

    Raises NeedsLineReader where a cell is filled past the day's end, a cell is empty without
    an ``M`` flag (or filled with one), or a value is not plausible in its unit.
    """
    in_day = np.arange(numbers.shape[1]) < lengths[:, None]
    if (~is_empty & ~in_day).any():
        raise NeedsLineReader
    if (in_day & ((flag_rows == ord("M")) != is_empty)).any():
        raise NeedsLineReader

    # Each row's periods are a prefix of its cells, so a boolean mask keeps them in row and
    # period order, and whatever is per row repeats by the row's day length.
    missing = is_empty[in_day]
    values = numbers[in_day]
    if (row_unit_codes == row_unit_codes[0]).all():
        unit = str(units[row_unit_codes[0]])
        cells.watt_hours[positions] = watt_hours(values, missing, unit=unit)
    else:
        cell_unit_codes = np.repeat(row_unit_codes, lengths)
        for code in np.unique(row_unit_codes):
            chosen = cell_unit_codes == code
            cells.watt_hours[positions][chosen] = watt_hours(
                values[chosen], missing[chosen], unit=str(units[code])
            )
    cells.missing[positions] = missing
    cells.quality[positions] = _QUALITY_OF_FLAG[flag_rows[in_day]]
    period = np.broadcast_to(np.arange(1, numbers.shape[1] + 1), in_day.shape)[in_day]
    cells.period[positions] = period
    cells.starts[positions] = (period - 1) * NS_PER_HALF_HOUR + np.repeat(row_midnights, lengths)


def _day_of_text(value: str) -> dt.date:
    text = value.strip()
    if not _ISO_DATE.fullmatch(text):
        raise NeedsLineReader
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError as error:
        raise NeedsLineReader from error


def _checked_unit(value: str) -> str:
    unit = value.strip()
    if unit not in UNITS:
        raise NeedsLineReader
    return unit


def _read_by_line(content: bytes, source_key: str) -> pd.DataFrame:
    text = decode_text(content, source_key)
    period_count = _check_header(text, source_key)
    raw = read_csv_by_line(text, len(LEADING_COLUMNS) + period_count, source_key)
    lines = file_lines(raw)
    rows = raw.iloc[1:]
    rows = rows.loc[~rows.isna().all(axis=1)]
    if rows.empty:
        raise MeterFileError(source_key, None, "at least one meter-day row, found none")
    row_lines = lines[rows.index]

    cores = check_mpan_cores(rows[0].fillna("").str.strip(), row_lines, source_key)
    date_text = rows[1].fillna("").str.strip()
    days = pd.to_datetime(date_text, format="%Y-%m-%d", errors="coerce")
    raise_first(
        source_key,
        days.isna(),
        row_lines,
        lambda row: f"settlement_date as YYYY-MM-DD, found {date_text[row]!r}",
    )
    units = rows[2].fillna("").str.strip()
    raise_first(
        source_key,
        ~units.isin(UNITS),
        row_lines,
        lambda row: f"unit kWh or Wh, found {units[row]!r}",
    )

    distinct_days = {day: day.date() for day in days.unique()}
    lengths = days.map({day: periods_in_day(date) for day, date in distinct_days.items()})
    raise_first(
        source_key,
        lengths > period_count,
        row_lines,
        lambda row: (
            f"period columns p01..p{lengths[row]} because {days[row].date()} has "
            f"{lengths[row]} settlement periods, found only p01..p{period_count:02d} in the header"
        ),
    )
    flags = rows[3].fillna("").str.strip().str.upper()
    _check_flags(flags, lengths, days, row_lines, source_key)

    cells = rows[list(range(len(LEADING_COLUMNS), len(LEADING_COLUMNS) + period_count))]
    cell_text = cells.apply(lambda column: column.str.strip()).to_numpy(dtype=object)
    is_empty = pd.isna(cell_text) | (cell_text == "")
    period_index = np.arange(period_count)
    in_day = period_index[None, :] < lengths.to_numpy()[:, None]
    _check_cells_after_day(is_empty, in_day, lengths, days, row_lines, source_key)

    flag_matrix = _flag_matrix(flags, period_count)
    flagged_missing = flag_matrix == ord("M")
    mismatch = in_day & (flagged_missing != is_empty)
    _raise_cell_mismatch(mismatch, flagged_missing, row_lines, source_key)

    # Flatten to one entry per period that exists on the row's day.
    row_position, period = np.nonzero(in_day)
    value_lines = pd.Series(row_lines.to_numpy()[row_position])
    value_text = pd.Series(cell_text[row_position, period])
    missing = pd.Series(flagged_missing[row_position, period])
    value_units = units.to_numpy()[row_position]
    energy = pd.Series(pd.array([pd.NA] * len(value_text), dtype="Int64"))
    for unit in UNITS:
        chosen = pd.Series(value_units == unit)
        if chosen.any():
            energy[chosen] = parse_energy_wh(
                value_text[chosen],
                value_lines[chosen],
                source_key,
                unit=unit,
                unit_stated=True,
                missing=missing[chosen],
            )

    midnights = days.map({day: local_midnight_utc(date) for day, date in distinct_days.items()})
    midnight_values = (
        pd.to_datetime(midnights, utc=True).dt.tz_localize(None).to_numpy()[row_position]
    )
    starts = pd.Series(midnight_values + period * np.timedelta64(30, "m")).dt.tz_localize("UTC")
    quality_codes = flag_matrix[in_day]
    quality = pd.Series(
        np.select(
            [quality_codes == ord("A"), quality_codes == ord("E")],
            [Quality.ACTUAL.value, Quality.ESTIMATED.value],
            Quality.MISSING.value,
        )
    )
    return build_reads(
        meter_id=pd.Series(cores.to_numpy()[row_position]),
        interval_start_utc=starts,
        energy_wh=energy,
        quality=quality,
        source_key=source_key,
        source_line=value_lines,
    )


def _check_header(text: str, source_key: str) -> int:
    first = text.split("\n", 1)[0].rstrip("\r")
    names = [part.strip().lower() for part in first.split(",")]
    periods = names[len(LEADING_COLUMNS) :]
    if tuple(names[: len(LEADING_COLUMNS)]) != LEADING_COLUMNS or not (
        len(periods) in PERIOD_COLUMN_COUNTS and periods == period_columns(len(periods))
    ):
        raise MeterFileError(
            source_key,
            1,
            "a header mpan_core,settlement_date,unit,flags followed by p01..p46, p01..p48 or "
            f"p01..p50, found {first[:120]!r}",
        )
    return len(periods)


def _day_note(length: int) -> str:
    if length == 46:
        return " (the clocks go forward)"
    if length == 50:
        return " (the clocks go back)"
    return ""


def _check_flags(
    flags: pd.Series,
    lengths: pd.Series,
    days: pd.Series,
    lines: pd.Series,
    source_key: str,
) -> None:
    flag_lengths = flags.str.len()

    def wrong_length(row: object) -> str:
        day: dt.date = days[row].date()
        return (
            f"flags for {lengths[row]} settlement periods because {day} has {lengths[row]}"
            f"{_day_note(int(lengths[row]))}, found {flag_lengths[row]}"
        )

    raise_first(source_key, flag_lengths != lengths, lines, wrong_length)
    bad_letters = flags.str.contains(r"[^AEM]", regex=True)
    raise_first(
        source_key,
        bad_letters,
        lines,
        lambda row: f"flags made of A, E and M only, found {flags[row]!r}",
    )


def _check_cells_after_day(
    is_empty: np.ndarray,
    in_day: np.ndarray,
    lengths: pd.Series,
    days: pd.Series,
    lines: pd.Series,
    source_key: str,
) -> None:
    extra = pd.Series((~is_empty & ~in_day).any(axis=1), index=lengths.index)

    def message(row: object) -> str:
        length = int(lengths[row])
        return (
            f"no values after p{length:02d} because {days[row].date()} has {length} settlement "
            f"periods{_day_note(length)}, found a value in a later column"
        )

    raise_first(source_key, extra, lines, message)


def _flag_matrix(flags: pd.Series, width: int) -> np.ndarray:
    """Return flag letters as an (rows, width) array of byte codes, padded with spaces."""
    padded = flags.str.pad(width, side="right").str.encode("ascii")
    joined = b"".join(padded.tolist())
    return np.frombuffer(joined, dtype=np.uint8).reshape(len(flags), width)


def _raise_cell_mismatch(
    mismatch: np.ndarray, flagged_missing: np.ndarray, lines: pd.Series, source_key: str
) -> None:
    bad_rows = np.nonzero(mismatch.any(axis=1))[0]
    if len(bad_rows) == 0:
        return
    row = int(bad_rows[0])
    period = int(np.nonzero(mismatch[row])[0][0]) + 1
    if flagged_missing[row, period - 1]:
        expected = f"an empty p{period:02d} because its flag is M, found a value"
    else:
        expected = f"a value in p{period:02d} because its flag is not M, found an empty cell"
    raise MeterFileError(source_key, int(lines.iloc[row]), expected)
