"""Checks and conversions that several readers share.

Every function here raises :class:`MeterFileError` at the first offending row, naming the file
line, so a rejected file can be fixed without searching for the problem.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from p9_platform.clock import UK
from p9_platform.mpan import mpan_core_problem
from p9_platform.reads import MAX_WH_PER_HALF_HOUR, MeterFileError, Quality

_COMMENT_LINE = re.compile(r"^#.*$", re.MULTILINE)
_PARSER_LINE = re.compile(r"line (\d+)")


def decode_text(content: bytes, source_key: str) -> str:
    """Decode UTF-8 (with or without a byte-order mark), naming the line of a bad byte."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise MeterFileError(source_key, line, "UTF-8 text, found an undecodable byte") from error


def blank_comment_lines(text: str) -> str:
    """Empty every line that starts with ``#``, keeping the line count so numbers still match."""
    return _COMMENT_LINE.sub("", text)


def read_csv_by_line(
    text: str, column_count: int, source_key: str, separator: str = ","
) -> pd.DataFrame:
    """Parse delimited text into ``column_count`` string columns, one row per file line.

    Blank lines are kept as all-null rows, so row ``i`` is always file line ``i + 1``. Empty
    fields and the fields missing from a short row are both null; callers that must tell them
    apart count the commas themselves. A row with more fields is rejected.
    """
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=separator,
            # DTC flows are pipe-delimited with no quoting, so a quote is ordinary text there.
            quoting=csv.QUOTE_NONE if separator == "|" else csv.QUOTE_MINIMAL,
            header=None,
            names=list(range(column_count)),
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
            index_col=False,
        )
    except pd.errors.ParserError as error:
        found = _PARSER_LINE.search(str(error))
        line = int(found.group(1)) if found else None
        raise MeterFileError(
            source_key, line, f"at most {column_count} {separator!r}-separated fields on each line"
        ) from error


def raise_first(
    source_key: str,
    bad: pd.Series,
    lines: pd.Series,
    expected: Callable[[object], str],
) -> None:
    """Raise MeterFileError for the first True row of ``bad``; ``expected`` builds the message.

    ``expected`` receives the index label of that row.
    """
    if not bad.any():
        return
    first = bad.index[bad.to_numpy()][0]
    raise MeterFileError(source_key, int(lines[first]), expected(first))


def check_mpan_cores(cores: pd.Series, lines: pd.Series, source_key: str) -> pd.Series:
    """Return the cores without spaces, rejecting the file at the first invalid core."""
    distinct = pd.unique(cores.to_numpy())
    problems = {value: mpan_core_problem(str(value)) for value in distinct}
    bad = cores.map(lambda value: problems[value] is not None).astype(bool)
    raise_first(source_key, bad, lines, lambda row: str(problems[cores[row]]))
    return cores.str.replace(" ", "", regex=False)


def parse_energy_wh(
    values: pd.Series,
    lines: pd.Series,
    source_key: str,
    *,
    unit: str,
    unit_stated: bool,
    missing: pd.Series | None = None,
) -> pd.Series:
    """Convert energy text in ``unit`` ("kWh" or "Wh") to exact integer watt-hours.

    Rows flagged in ``missing`` must be empty and stay null. Negative values are rejected
    because every reader here reads import consumption. Values above
    ``MAX_WH_PER_HALF_HOUR`` are rejected; when the file does not state its unit, the message
    says the values may be in a different unit, because a Wh file read as kWh is the usual cause.
    """
    is_missing = missing if missing is not None else pd.Series(False, index=values.index)
    numbers = pd.to_numeric(values.where(~is_missing), errors="coerce")
    bad_number = numbers.isna() & ~is_missing
    raise_first(
        source_key,
        bad_number,
        lines,
        lambda row: f"an energy value in {unit}, found {values[row]!r}",
    )
    raise_first(
        source_key,
        numbers < 0,
        lines,
        lambda row: f"a non-negative import energy value, found {values[row]!r}",
    )

    scale = 1000.0 if unit == "kWh" else 1.0
    exact = numbers.to_numpy(dtype=float) * scale
    too_big = pd.Series(exact > MAX_WH_PER_HALF_HOUR, index=values.index)
    limit_kwh = MAX_WH_PER_HALF_HOUR // 1000

    def too_big_message(row: object) -> str:
        base = f"at most {limit_kwh} kWh in a half hour, found {values[row]!r} {unit}"
        if unit_stated:
            return base
        return f"{base}; the format does not state its unit, so the file may not be in {unit}"

    raise_first(source_key, too_big, lines, too_big_message)

    if unit == "Wh":
        fractional = pd.Series(np.abs(exact - np.round(exact)) > 1e-6, index=values.index)
        fractional &= ~is_missing
        raise_first(
            source_key,
            fractional,
            lines,
            lambda row: f"a whole number of Wh, found {values[row]!r}",
        )
    wh = np.round(exact)
    return pd.Series(wh, index=values.index).astype("Int64")


def quality_from_flags(
    flags: pd.Series,
    meaning: Mapping[str, Quality],
    lines: pd.Series,
    source_key: str,
    field: str,
) -> pd.Series:
    """Map a status column to :class:`Quality`, rejecting the first flag not in ``meaning``."""
    mapped = flags.map({flag: str(quality.value) for flag, quality in meaning.items()})
    known = ", ".join(sorted(meaning))
    raise_first(
        source_key,
        mapped.isna(),
        lines,
        lambda row: f"{field} one of {known}, found {flags[row]!r}",
    )
    return mapped


def utc_from_uk_clock(
    local: pd.Series,
    meters: pd.Series,
    lines: pd.Series,
    source_key: str,
) -> pd.Series:
    """Convert naive UK clock times to UTC.

    A time in the hour the clocks skip in March does not exist and is rejected. A time in the
    hour repeated in October is ambiguous: the first row for a meter is taken as BST and the
    second as GMT, because files list half hours in time order. A third row for the same meter
    and clock time is rejected as a duplicate.
    """
    as_summer = local.dt.tz_localize(UK, ambiguous=True, nonexistent="NaT")
    raise_first(
        source_key,
        as_summer.isna(),
        lines,
        lambda row: f"a UK clock time that exists, found {local[row]} (the clocks skip that hour)",
    )
    ambiguous = local.dt.tz_localize(UK, ambiguous="NaT", nonexistent="shift_forward").isna()
    if not ambiguous.any():
        return as_summer.dt.tz_convert("UTC")

    occurrence = (
        pd.DataFrame({"meter": meters, "local": local})
        .loc[ambiguous]
        .groupby(["meter", "local"], sort=False)
        .cumcount()
    )
    raise_first(
        source_key,
        (occurrence > 1).reindex(local.index, fill_value=False),
        lines,
        lambda row: f"at most two rows for the repeated clock time {local[row]}, found a third",
    )
    is_summer = pd.Series(True, index=local.index)
    is_summer.loc[occurrence.index] = occurrence.to_numpy() == 0
    localised = local.dt.tz_localize(UK, ambiguous=is_summer.to_numpy(), nonexistent="NaT")
    return localised.dt.tz_convert("UTC")


def file_lines(frame: pd.DataFrame, first_line: int = 1) -> pd.Series:
    """Return the file line of each row of a frame read with :func:`read_csv_by_line`."""
    return pd.Series(np.arange(len(frame), dtype=np.int64) + first_line, index=frame.index)
