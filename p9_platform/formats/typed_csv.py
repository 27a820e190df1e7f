"""Typed parsing of well-formed meter files with pyarrow, ahead of the line-by-line readers.

Each reader first tries a typed parse: pyarrow reads the fields into typed arrays and the
checks run over whole arrays. The typed parse accepts a file only where it gives exactly what
the line-by-line reader gives. Anything else raises :class:`NeedsLineReader`, for example a
value the typed checks reject, a quote, a carriage return, a blank line or a non-ASCII byte.
The reader then runs its line-by-line path, which returns the same reads or raises
MeterFileError naming the file and the first bad line.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from p9_platform.mpan import mpan_core_problem
from p9_platform.reads import MAX_WH_PER_HALF_HOUR, narrowest_code_type

BYTE_ORDER_MARK = b"\xef\xbb\xbf"
NS_PER_MINUTE = 60 * 10**9
NS_PER_HALF_HOUR = 30 * NS_PER_MINUTE
_YEAR_2201_NS = int(np.datetime64("2201-01-01", "ns").astype(np.int64))
# Rows per block of the column arithmetic: 1 MiB of float64, small enough for malloc to reuse
# between blocks.
_BLOCK_ROWS = 131_072


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


def marker_line_starts(body: bytes, marker: bytes = b"#") -> list[int]:
    """Return the offsets of the lines of ``body`` that start with the one byte ``marker``.

    A search for one byte runs at memory speed (0.04 to 0.07 s on a 1.1 GB file on a 2-core
    machine), where a search for newline and marker together took 0.8 s on the same file.
    """
    starts = []
    found = body.find(marker)
    while found >= 0:
        if found == 0 or body[found - 1] == ord("\n"):
            starts.append(found)
        found = body.find(marker, found + 1)
    return starts


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

    Returns the transformed distinct values (an object array) and, per row, the index into it,
    in the narrowest signed integer type that fits every index. ``transform`` raises
    NeedsLineReader for a value the typed parse does not accept.
    """
    if column.null_count:
        raise NeedsLineReader
    # Each chunk has a dictionary of its own with a value or two, so they are matched here
    # rather than unified by pyarrow, which took 0.1 s of a 1.2 s read of a year of LCL data.
    position: dict[str, int] = {}
    chunk_positions = []
    for chunk in column.chunks:
        values = chunk.dictionary.to_pylist()
        chunk_positions.append([position.setdefault(value, len(position)) for value in values])
    distinct = np.empty(len(position), dtype=object)
    distinct[:] = [transform(value) for value in position]
    code_type = narrowest_code_type(len(distinct))
    codes = [
        np.asarray(positions, dtype=code_type)[chunk.indices.to_numpy(zero_copy_only=False)]
        for positions, chunk in zip(chunk_positions, column.chunks, strict=True)
    ]
    return distinct, np.concatenate(codes) if codes else np.empty(0, dtype=code_type)


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


def checked_core(value: str) -> str:
    """Return an MPAN core without spaces, as the line reader does after stripping the field."""
    stripped = value.strip()
    if mpan_core_problem(stripped) is not None:
        raise NeedsLineReader
    return stripped.replace(" ", "")


def fixed_width_chunks(column: pa.ChunkedArray, width: int) -> list[np.ndarray]:
    """Return each chunk of a text column as a (rows, width) uint8 view of its bytes.

    Raises NeedsLineReader unless every value has ``width`` bytes. The views share pyarrow's
    buffers, because a copy of a year of timestamps for 1,000 meters is about 300 MB.
    """
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
    return parts


def iso_instants(column: pa.ChunkedArray, template: str, *, multiple_of: int = 1) -> np.ndarray:
    """Parse fixed-width ISO 8601 times into nanoseconds since 1970 (UTC or naive).

    ``template`` spells each value byte by byte: ``9`` a digit, ``T`` a space or ``T`` between
    date and time, anything else itself. A final ``Z`` marks UTC. pyarrow's ISO 8601 cast then
    rejects dates and times that do not exist (30 February, 24:00). Years outside 1970..2200
    are left to the line reader, and so are instants that are not a whole ``multiple_of``
    nanoseconds. The result is a new int64 array the caller may change.
    """
    for text in fixed_width_chunks(column, len(template)):
        _check_separators(text, template)
    # A final Z marks UTC, which pyarrow reads only into a UTC-zoned type.
    target = pa.timestamp("ns", tz="UTC") if template.endswith("Z") else pa.timestamp("ns")
    # pyarrow casts a chunked array one chunk after another. The cast releases the GIL, so
    # the chunks are shared out between threads, one per core.
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        parts = list(pool.map(lambda chunk: _cast_chunk(chunk, target, multiple_of), column.chunks))
    values = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
    if len(values) and (values.min() < 0 or values.max() >= _YEAR_2201_NS):
        raise NeedsLineReader
    return values


def _cast_chunk(chunk: pa.Array, target: pa.DataType, multiple_of: int) -> np.ndarray:
    try:
        instants = pc.cast(chunk, target)
    except pa.ArrowInvalid as error:
        raise NeedsLineReader from error
    values = instants.to_numpy(zero_copy_only=False).view(np.int64)
    if multiple_of != 1 and (values % multiple_of).any():
        raise NeedsLineReader
    return values


def _check_separators(text: np.ndarray, template: str) -> None:
    # Only the separators are checked byte by byte: pyarrow's ISO 8601 cast rejects any
    # non-digit where a digit belongs, so a full byte check would repeat its work.
    if not len(text):
        return
    for position, kind in enumerate(template):
        if kind == "9":
            continue
        found = text[:, position]
        if kind == "T":
            if not ((found == ord(" ")) | (found == ord("T"))).all():
                raise NeedsLineReader
        elif not (found == ord(kind)).all():
            raise NeedsLineReader


def float_values(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Return a float64 column as values (NaN where null) and its null mask."""
    combined = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if len(combined) == 0:
        return np.empty(0, dtype=float), np.zeros(0, dtype=bool)
    missing = combined.is_null().to_numpy(zero_copy_only=False)
    # A float array converts its nulls to NaN, so they need no filling first.
    return combined.to_numpy(zero_copy_only=False), missing


def energy_wh(numbers: np.ndarray, missing: np.ndarray, *, unit: str) -> pd.arrays.IntegerArray:
    """Convert numbers in ``unit`` to watt-hours as common.parse_energy_wh does.

    A value that parse_energy_wh rejects (not finite, negative, above the half-hour maximum or,
    in Wh, not whole) raises NeedsLineReader so its line is reported.
    """
    return pd.arrays.IntegerArray(watt_hours(numbers, missing, unit=unit), missing.copy())


def watt_hours(numbers: np.ndarray, missing: np.ndarray, *, unit: str) -> np.ndarray:
    """Return what :func:`energy_wh` returns as plain int64, zero where ``missing``."""
    scale = 1000.0 if unit == "kWh" else 1.0
    result = np.empty(len(numbers), dtype=np.int64)
    # Works a block at a time into the one result array: a whole-column float temporary is
    # 140 MB at a year of 1,000 meters, and fresh pages cost more than the arithmetic.
    for start in range(0, len(numbers), _BLOCK_ROWS):
        block = slice(start, start + _BLOCK_ROWS)
        exact = np.multiply(numbers[block], scale)
        np.copyto(exact, 0.0, where=missing[block])
        # NaN fails both comparisons and an infinity fails one, so this rejects non-finite.
        if not (exact.min() >= 0 and exact.max() <= MAX_WH_PER_HALF_HOUR):
            raise NeedsLineReader
        rounded = np.round(exact)
        if unit == "Wh" and (np.abs(exact - rounded) > 1e-6).any():
            raise NeedsLineReader
        result[block] = rounded
    return result
