"""Typed parsing of well-formed meter files with pyarrow, ahead of the line-by-line readers.

Each reader first tries a typed parse: pyarrow reads the fields into typed arrays and the
checks run over whole arrays. The typed parse accepts a file only where it gives exactly what
the line-by-line reader gives. Anything else raises :class:`NeedsLineReader`, for example a
value the typed checks reject, a quote, a carriage return, a blank line or a non-ASCII byte.
The reader then runs its line-by-line path, which returns the same reads or raises
MeterFileError naming the file and the first bad line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from p9_platform.mpan import mpan_core_problem
from p9_platform.reads import MAX_WH_PER_HALF_HOUR

BYTE_ORDER_MARK = b"\xef\xbb\xbf"
NS_PER_MINUTE = 60 * 10**9
NS_PER_HALF_HOUR = 30 * NS_PER_MINUTE
_YEAR_2201_NS = int(np.datetime64("2201-01-01", "ns").astype(np.int64))
# Past 2**52, float64 cannot represent every whole number, so a rounded value may be inexact.
_MAX_EXACT_FLOAT = 2.0**52


class NeedsLineReader(Exception):
    """The file is not one the typed parse reads exactly as the line-by-line reader does."""


def read_typed_or_by_line(
    typed: Callable[[bytes, str], pd.DataFrame],
    by_line: Callable[[bytes, str], pd.DataFrame],
    content: bytes,
    source_key: str,
) -> pd.DataFrame:
    """Return ``typed(content, source_key)``, or ``by_line(...)`` when the typed parse declines."""
    try:
        return typed(content, source_key)
    except NeedsLineReader:
        return by_line(content, source_key)


def plain_bytes(content: bytes) -> bytes:
    """Return ``content`` without a byte-order mark, if it is ASCII with no quote or CR.

    Without quotes no field can span lines, so pyarrow's row ``i`` is line ``i`` of the body.
    A blank line is kept as a row of empty or null fields (see :func:`read_table`), which
    every typed check rejects, so files with blank lines go to the line reader.
    """
    body = content[len(BYTE_ORDER_MARK) :] if content.startswith(BYTE_ORDER_MARK) else content
    if not body.isascii() or b'"' in body or b"\r" in body or body.startswith(b"\n"):
        raise NeedsLineReader
    return body


def read_table(
    body: bytes,
    types: dict[str, pa.DataType],
    *,
    column_names: Sequence[str],
    skip_rows: int = 0,
    delimiter: str = ",",
    null_values: Sequence[str] = ("",),
) -> pa.Table:
    """Parse plain delimited bytes into the typed columns ``types`` (others are skipped).

    Only ``null_values`` (by default the empty field) are null, and only in non-text columns,
    so text such as ``NA`` is not taken as null. A blank line becomes a row of nulls. A row
    with a different field count or a value that does not convert raises NeedsLineReader.
    """
    try:
        return pa_csv.read_csv(
            pa.BufferReader(body),
            read_options=pa_csv.ReadOptions(column_names=list(column_names), skip_rows=skip_rows),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter,
                quote_char=False,
                double_quote=False,
                escape_char=False,
                ignore_empty_lines=False,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=types,
                include_columns=list(types),
                null_values=list(null_values),
                strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as error:
        raise NeedsLineReader from error


def text_type() -> pa.DataType:
    """Return the column type for text that repeats, decoded once per distinct value."""
    return pa.dictionary(pa.int32(), pa.string())


def map_distinct(
    column: pa.ChunkedArray, transform: Callable[[str], object]
) -> tuple[np.ndarray, np.ndarray]:
    """Apply ``transform`` once per distinct text value of a dictionary column.

    Returns the transformed distinct values (an object array) and, per row, the index into it.
    ``transform`` raises NeedsLineReader for a value the typed parse does not accept.
    """
    if column.num_chunks > 1:
        column = column.unify_dictionaries()
    if column.null_count:
        raise NeedsLineReader
    if column.num_chunks == 0:
        return np.empty(0, dtype=object), np.empty(0, dtype=np.int64)
    dictionary = column.chunk(0).dictionary.to_pylist()
    distinct = np.empty(len(dictionary), dtype=object)
    distinct[:] = [transform(value) for value in dictionary]
    codes = [chunk.indices.to_numpy(zero_copy_only=False) for chunk in column.chunks]
    return distinct, np.concatenate(codes).astype(np.int64, copy=False)


def check_text(column: pa.ChunkedArray, usual: str, accepted: Callable[[str], bool]) -> None:
    """Raise NeedsLineReader unless ``accepted`` holds for every value of a text column.

    Files repeat one value (``usual``) on every row, so that is compared in bulk first, which
    is far cheaper than dictionary-encoding the column while it is parsed.
    """
    if column.null_count:
        raise NeedsLineReader
    if pc.all(pc.equal(column, usual)).as_py() is not False:
        return
    if not all(accepted(value) for value in pc.unique(column).to_pylist()):
        raise NeedsLineReader


def take_objects(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Return ``values[codes]``, repeating whole runs because files list one meter at a time."""
    if len(codes) == 0:
        return values[codes]
    starts = np.flatnonzero(np.diff(codes)) + 1
    starts = np.concatenate(([0], starts))
    lengths = np.diff(np.concatenate((starts, [len(codes)])))
    return np.repeat(values[codes[starts]], lengths)


def checked_core(value: str) -> str:
    """Return an MPAN core without spaces, as the line reader does after stripping the field."""
    stripped = value.strip()
    if mpan_core_problem(stripped) is not None:
        raise NeedsLineReader
    return stripped.replace(" ", "")


def fixed_width_bytes(column: pa.ChunkedArray, width: int) -> np.ndarray:
    """Return a text column as a (rows, width) uint8 array when every value has ``width`` bytes."""
    parts = []
    for chunk in column.chunks:
        if chunk.null_count:
            raise NeedsLineReader
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)
        offsets = offsets[chunk.offset : chunk.offset + len(chunk) + 1]
        if len(chunk) and not (np.diff(offsets) == width).all():
            raise NeedsLineReader
        data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
        parts.append(data.reshape(-1, width))
    if not parts:
        return np.empty((0, width), dtype=np.uint8)
    return np.concatenate(parts)


def iso_instants(column: pa.ChunkedArray, template: str) -> np.ndarray:
    """Parse fixed-width ISO 8601 times into nanoseconds since 1970 (UTC or naive).

    ``template`` spells each value byte by byte: ``9`` a digit, ``T`` a space or ``T`` between
    date and time, anything else itself. A final ``Z`` marks UTC. pyarrow's ISO 8601 cast then
    rejects dates and times that do not exist (30 February, 24:00). Years outside 1970..2200
    are left to the line reader.
    """
    text = fixed_width_bytes(column, len(template))
    # Only the separators are checked byte by byte: pyarrow's ISO 8601 cast below rejects any
    # non-digit where a digit belongs, so a full byte check would repeat its work.
    for position, kind in enumerate(template):
        if kind == "9" or not len(text):
            continue
        found = text[:, position]
        if kind == "T":
            if not ((found == ord(" ")) | (found == ord("T"))).all():
                raise NeedsLineReader
        elif not (found == ord(kind)).all():
            raise NeedsLineReader
    # A final Z marks UTC, which pyarrow reads only into a UTC-zoned type.
    target = pa.timestamp("ns", tz="UTC") if template.endswith("Z") else pa.timestamp("ns")
    try:
        instants = pc.cast(column, target).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid as error:
        raise NeedsLineReader from error
    values = instants.view(np.int64)
    if len(values) and (values.min() < 0 or values.max() >= _YEAR_2201_NS):
        raise NeedsLineReader
    return values


def float_values(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Return a float64 column as values (NaN where null) and its null mask."""
    combined = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if len(combined) == 0:
        return np.empty(0, dtype=float), np.zeros(0, dtype=bool)
    missing = combined.is_null().to_numpy(zero_copy_only=False)
    values = pc.fill_null(combined, np.nan).to_numpy(zero_copy_only=False)
    return values, missing


def energy_wh(numbers: np.ndarray, missing: np.ndarray, *, unit: str) -> pd.arrays.IntegerArray:
    """Convert numbers in ``unit`` to watt-hours as common.parse_energy_wh does.

    A value that parse_energy_wh rejects (not finite, negative, above the half-hour maximum or,
    in Wh, not whole) raises NeedsLineReader so its line is reported.
    """
    scale = 1000.0 if unit == "kWh" else 1.0
    exact = numbers * scale
    if missing.any():
        exact = np.where(missing, 0.0, exact)
    if len(exact) == 0:
        return integer_array(exact, missing)
    # NaN fails both comparisons and an infinity fails one, so this also rejects non-finite.
    if not (exact.min() >= 0 and exact.max() <= MAX_WH_PER_HALF_HOUR):
        raise NeedsLineReader
    wh = np.round(exact)
    if unit == "Wh" and (np.abs(exact - wh) > 1e-6).any():
        raise NeedsLineReader
    return pd.arrays.IntegerArray(wh.astype(np.int64), missing.copy())


def integer_array(rounded: np.ndarray, missing: np.ndarray) -> pd.arrays.IntegerArray:
    """Return whole-number floats as an Int64 array, null where ``missing``."""
    values = np.where(missing, 0.0, rounded)
    if len(values) and np.abs(values).max() > _MAX_EXACT_FLOAT:
        raise NeedsLineReader
    return pd.arrays.IntegerArray(values.astype(np.int64), missing.copy())
