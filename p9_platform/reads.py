"""The normalised half-hour read: one table shape for every meter data format.

A reader turns one file into rows of :data:`READ_COLUMNS`. ``energy_wh`` is the exact quantity
billing uses (integer watt-hours); ``kwh`` is the same value for people to read. A half hour
with no reading has quality ``missing`` and null energy, never a zero.

The four text columns (meter, quality, run and source key) repeat a few values over millions
of rows, so readers return them as pandas categoricals: a year of 1,000 meters is 17.5 million
rows, and object columns of Python strings cost more to build than parsing the file. Frames
read back from the warehouse hold plain strings in the same columns (:data:`TEXT_COLUMNS`);
the read schema accepts either, and groupings over them pass ``observed=True``.
"""

from __future__ import annotations

import dataclasses
from enum import StrEnum

import numpy as np
import pandas as pd

from p9_platform.clock import UK, settlement_date_and_period


class Quality(StrEnum):
    """The origin of a half-hour value: metered, estimated, or no reading at all."""

    ACTUAL = "actual"
    ESTIMATED = "estimated"
    MISSING = "missing"


# Settlement runs from least to most mature (BSC SVA). A read from a later run in this order
# replaces an earlier one for billing, whenever it arrives.
SETTLEMENT_RUNS: tuple[str, ...] = ("II", "SF", "R1", "R2", "R3", "RF", "DF")

# Files that do not name their run are taken as initial settlement.
DEFAULT_RUN = "SF"

# A 10 MW site uses 5,000 kWh in a half hour; more than that from one meter is not plausible.
MAX_WH_PER_HALF_HOUR = 5_000_000

READ_COLUMNS: tuple[str, ...] = (
    "meter_id",
    "interval_start_utc",
    "settlement_date",
    "settlement_period",
    "energy_wh",
    "kwh",
    "quality",
    "settlement_run",
    "source_key",
    "source_line",
    "replayed_from_utc",
)

TEXT_COLUMNS: tuple[str, ...] = ("meter_id", "quality", "settlement_run", "source_key")

# Fixed categories, so reads of several files concatenate without falling back to objects.
QUALITY_DTYPE = pd.CategoricalDtype([quality.value for quality in Quality])
RUN_DTYPE = pd.CategoricalDtype(list(SETTLEMENT_RUNS))


class MeterFileError(ValueError):
    """A meter file that cannot be read: names the file, the line and what was expected."""

    def __init__(self, source_key: str, line: int | None, expected: str) -> None:
        self.source_key = source_key
        self.line = line
        self.expected = expected
        where = f"{source_key}, line {line}" if line is not None else source_key
        super().__init__(f"{where}: {expected}")

    def as_dict(self) -> dict[str, object]:
        """Return the reason as a JSON-ready dict for the quarantine record."""
        return {"file": self.source_key, "line": self.line, "expected": self.expected}


@dataclasses.dataclass(frozen=True)
class ParsedFile:
    """The normalised reads of one file and the format it was recognised as."""

    source_key: str
    format_name: str
    reads: pd.DataFrame


def build_reads(
    *,
    meter_id: pd.Series,
    interval_start_utc: pd.Series,
    energy_wh: pd.Series,
    quality: pd.Series,
    source_key: str,
    source_line: pd.Series,
    settlement_run: str = DEFAULT_RUN,
) -> pd.DataFrame:
    """Assemble a frame of :data:`READ_COLUMNS` from a reader's columns.

    The settlement date and period are derived from the UTC start, so every reader gets the
    46/48/50-period days right in the same way.
    """
    starts = pd.to_datetime(interval_start_utc, utc=True)
    if starts.isna().any():
        # NaT has no settlement date, so this path keeps the per-date derivation's handling.
        dates, periods = _settlement_clock_per_date(starts)
        return _frame_of_columns(
            meter_id=_categorical_of_series(meter_id),
            interval_start_utc=starts.array.copy(),
            settlement_date=dates,
            settlement_period=periods,
            energy_wh=pd.array(energy_wh, dtype="Int64", copy=True),
            quality=_categorical_of_series(quality, QUALITY_DTYPE),
            source_key=source_key,
            source_line=source_line.astype(np.int64).to_numpy(),
            settlement_run=settlement_run,
        )
    return reads_from_arrays(
        meter_id=_categorical_of_series(meter_id),
        interval_start_ns=starts.array.asi8.copy(),
        energy_wh=pd.array(energy_wh, dtype="Int64", copy=True),
        quality=_categorical_of_series(quality, QUALITY_DTYPE),
        source_key=source_key,
        source_line=source_line.astype(np.int64).to_numpy(),
        settlement_run=settlement_run,
    )


def reads_from_arrays(
    *,
    meter_id: pd.Categorical,
    interval_start_ns: np.ndarray,
    energy_wh: pd.arrays.IntegerArray,
    quality: pd.Categorical,
    source_key: str,
    source_line: np.ndarray,
    settlement_run: str = DEFAULT_RUN,
    settlement_clock: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Assemble the frame :func:`build_reads` returns from arrays that are already typed.

    ``meter_id`` is a categorical of str, ``quality`` a categorical of :data:`QUALITY_DTYPE`,
    ``interval_start_ns`` is int64 nanoseconds since 1970 UTC (no NaT) and ``source_line`` is
    int64. The frame takes the arrays over without copying or checking them, so the caller
    must not change them later. A reader whose file gives settlement dates and periods passes
    them as ``settlement_clock`` (naive datetime64[ns] dates, int64 periods) to skip deriving
    them from the starts. The read schema checks that the two agree.
    """
    if settlement_clock is None:
        dates, periods = _settlement_clock_arrays(interval_start_ns)
    else:
        dates, periods = settlement_clock
    return _frame_of_columns(
        meter_id=meter_id,
        # From int64 with tz="UTC", pandas takes the nanoseconds as UTC without a copy. From a
        # datetime64 view it would localize them into a new array.
        interval_start_utc=pd.DatetimeIndex(interval_start_ns, tz="UTC").array,
        settlement_date=dates,
        settlement_period=periods,
        energy_wh=energy_wh,
        quality=quality,
        source_key=source_key,
        source_line=source_line,
        settlement_run=settlement_run,
    )


def _frame_of_columns(
    *,
    meter_id: pd.Categorical,
    interval_start_utc: pd.api.extensions.ExtensionArray,
    settlement_date: np.ndarray,
    settlement_period: np.ndarray,
    energy_wh: pd.arrays.IntegerArray,
    quality: pd.Categorical,
    source_key: str,
    source_line: np.ndarray,
    settlement_run: str,
) -> pd.DataFrame:
    row_count = len(meter_id)
    run_dtype = RUN_DTYPE if settlement_run in SETTLEMENT_RUNS else None
    # The arrays are owned by the frame from here, so pandas must not copy them into
    # consolidated blocks, which cost as much as parsing a file.
    columns = {
        "meter_id": meter_id,
        "interval_start_utc": interval_start_utc,
        "settlement_date": settlement_date,
        "settlement_period": settlement_period,
        "energy_wh": energy_wh,
        "kwh": pd.arrays.FloatingArray(_kwh_of(energy_wh), energy_wh.isna()),
        "quality": quality,
        "settlement_run": _repeated_text(settlement_run, row_count, run_dtype),
        "source_key": _repeated_text(source_key, row_count),
        "source_line": source_line,
        "replayed_from_utc": pd.DatetimeIndex(np.full(row_count, _NAT_NS), tz="UTC").array,
    }
    return pd.DataFrame(columns, columns=list(READ_COLUMNS), copy=False)


def _kwh_of(energy_wh: pd.arrays.IntegerArray) -> np.ndarray:
    kwh = energy_wh.to_numpy(dtype=np.float64, na_value=np.nan)
    # In place, because a second array of this size costs more in fresh pages than the division.
    kwh /= 1000.0
    return kwh


def _repeated_text(
    value: str, count: int, dtype: pd.CategoricalDtype | None = None
) -> pd.Categorical:
    return text_categorical(
        np.array([value], dtype=object), np.zeros(1, np.int8), dtype, repeat=count
    )


def text_categorical(
    values: np.ndarray,
    codes: np.ndarray,
    dtype: pd.CategoricalDtype | None = None,
    *,
    repeat: int | np.ndarray = 1,
) -> pd.Categorical:
    """Return ``values[codes]``, each row ``repeat`` times, as a categorical.

    ``repeat`` is one count for every row or an array of counts, one per row.

    No Python object is built per row. ``values`` is an object array of str that may repeat a
    value, because two spellings can clean to one. Each value should be used by some code,
    because an unused value stays as an empty category. ``dtype``, when given, fixes the
    categories, and every value must be one of them.
    """
    if dtype is None:
        categories, position = np.unique(values.astype(object), return_inverse=True)
        dtype = pd.CategoricalDtype(pd.Index(categories, dtype=object))
    else:
        position = dtype.categories.get_indexer(values)
        if (position < 0).any():
            unknown = sorted(set(values[position < 0]))
            raise ValueError(
                f"invalid category values {unknown}, expected one of {list(dtype.categories)}"
            )
    row_codes = position.astype(narrowest_code_type(len(dtype.categories)))[codes]
    if not np.array_equal(repeat, 1):
        row_codes = np.repeat(row_codes, repeat)
    return pd.Categorical.from_codes(row_codes, dtype=dtype, validate=False)


def narrowest_code_type(count: int) -> type[np.signedinteger]:
    """Return the smallest signed integer type that fits the codes 0 .. ``count`` - 1."""
    for code_type in (np.int8, np.int16, np.int32):
        if count <= np.iinfo(code_type).max + 1:
            return code_type
    return np.int64


def _categorical_of_series(
    values: pd.Series, dtype: pd.CategoricalDtype | None = None
) -> pd.Categorical:
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    codes, uniques = pd.factorize(values.astype(str).to_numpy(), sort=False)
    return text_categorical(np.asarray(uniques, dtype=object), codes, dtype)


def settlement_clock_by_date(starts_utc: pd.Series) -> pd.DataFrame:
    """Return the same frame as :func:`settlement_date_and_period`, without per-row localising.

    Localising every row to Europe/London took about 9 seconds per million rows with pandas
    2.3.3 on a 2-core machine. Here the UK offset is looked up once per UTC hour in the span of
    the input and the local midnight once per date, then both are copied to the rows.
    """
    if starts_utc.isna().any():
        dates, periods = _settlement_clock_per_date(starts_utc)
    else:
        dates, periods = _settlement_clock_arrays(starts_utc.array.asi8)
    return pd.DataFrame(
        {"settlement_date": dates, "settlement_period": periods}, index=starts_utc.index
    )


_NS_PER_HOUR = 3_600 * 10**9
# pandas stores NaT as the smallest int64.
_NAT_NS = np.iinfo(np.int64).min
_NS_PER_HALF_HOUR = _NS_PER_HOUR // 2
# The lookup table below has one entry per UTC half hour; past this span (20 years) the
# per-date path is used.
_MAX_TABLE_HALF_HOURS = 20 * 366 * 48


def _settlement_clock_arrays(instants: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return settlement dates (naive datetime64[ns]) and periods (int64) for UTC starts.

    ``instants`` is int64 nanoseconds since 1970 UTC, without NaT. Since 1970, UK local
    midnight and every change of UK offset fall on a whole UTC hour, so all instants in one
    UTC half hour share a settlement date and period. Both are derived once per half hour of
    the input's span and looked up by row.
    """
    if len(instants) == 0:
        return np.array([], dtype="datetime64[ns]"), np.array([], dtype=np.int64)
    first = int(instants.min()) // _NS_PER_HALF_HOUR
    last = int(instants.max()) // _NS_PER_HALF_HOUR
    if first < 0 or last - first > _MAX_TABLE_HALF_HOURS:
        starts = pd.Series(pd.DatetimeIndex(instants.view("datetime64[ns]"), tz="UTC"))
        return _settlement_clock_per_date(starts)

    grid = pd.Series(
        pd.date_range(
            pd.Timestamp(first * _NS_PER_HALF_HOUR, tz="UTC"),
            periods=last - first + 1,
            freq="30min",
        )
    )
    table_dates, table_periods = _settlement_clock_per_date(grid)
    index = instants // _NS_PER_HALF_HOUR
    index -= first
    periods = table_periods[index]
    # The dates overwrite the index they are looked up by, which saves a whole-column array:
    # take reads each index before it writes the same position.
    dates = np.take(table_dates.view(np.int64), index, out=index, mode="wrap")
    return dates.view("datetime64[ns]"), periods


def _settlement_clock_per_date(starts_utc: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    local_dates = starts_utc.dt.tz_convert(UK).dt.tz_localize(None).dt.normalize()
    codes, dates = pd.factorize(local_dates, sort=False)
    if len(dates) == 0:
        clock = settlement_date_and_period(starts_utc)
        return (
            clock["settlement_date"].to_numpy(),
            clock["settlement_period"].to_numpy(),
        )
    midnights = pd.DatetimeIndex(dates).tz_localize(UK).tz_convert("UTC")
    midnight_utc = pd.Series(midnights[codes], index=starts_utc.index)
    period = ((starts_utc - midnight_utc) // pd.Timedelta(minutes=30)).astype(np.int64) + 1
    return local_dates.to_numpy(), period.to_numpy()


def empty_reads() -> pd.DataFrame:
    """Return an empty frame with the read columns and their dtypes."""
    return build_reads(
        meter_id=pd.Series([], dtype=str),
        interval_start_utc=pd.Series([], dtype="datetime64[ns, UTC]"),
        energy_wh=pd.Series([], dtype="Int64"),
        quality=pd.Series([], dtype=str),
        source_key="",
        source_line=pd.Series([], dtype=np.int64),
    )
