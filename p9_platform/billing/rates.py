"""Effective-dated rate lookups as dense arrays: which table row is in force on each day.

Tables are small (a few thousand rows at most) and a month has at most 31 days, so the lookups
are built once per distinct key and then indexed by meter, day and slot in the hot path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from p9_platform.billing.calendar import SLOTS_PER_DAY

NO_ROW = -1


def day_rows(
    table: pd.DataFrame, key_columns: list[str], keys: pd.DataFrame, days: pd.DatetimeIndex
) -> np.ndarray:
    """Return a (len(keys) x days) matrix of the ``table`` row in force, ``NO_ROW`` where none.

    Rows match on ``key_columns`` (none: every row matches) and on ``valid_from <= day <=
    valid_to``. Where versions overlap, the row later in the table wins, so a revised version
    appended after the original replaces it from its own ``valid_from``.
    """
    result = np.full((len(keys), len(days)), NO_ROW, dtype=np.int64)
    if len(table) == 0 or len(keys) == 0:
        return result
    # Resolve each distinct key once; meters sharing a key share its row.
    if key_columns:
        distinct_keys = keys.loc[:, key_columns].drop_duplicates().reset_index(drop=True)
        numbered_keys = distinct_keys.assign(_code=np.arange(len(distinct_keys)))
        codes = (
            keys.loc[:, key_columns]
            .merge(numbered_keys, on=key_columns, how="left")["_code"]
            .to_numpy(dtype=np.int64)
        )
    else:
        codes = np.zeros(len(keys), dtype=np.int64)
        distinct_keys = pd.DataFrame(index=[0])
    per_key = np.full((len(distinct_keys), len(days)), NO_ROW, dtype=np.int64)
    numbered = table.assign(_row=np.arange(len(table)))
    left = distinct_keys.loc[:, key_columns].assign(_key=np.arange(len(distinct_keys)))
    if key_columns:
        matched = left.merge(numbered, on=key_columns, how="inner")
    else:
        matched = left.merge(numbered, how="cross")
    matched = matched.sort_values("_row", kind="stable")
    day_values = days.to_numpy()
    for key, row, start, end in zip(
        matched["_key"], matched["_row"], matched["valid_from"], matched["valid_to"], strict=True
    ):
        covered = (day_values >= np.datetime64(start)) & (day_values <= np.datetime64(end))
        per_key[key, covered] = row
    result[:] = per_key[codes]
    return result


def slot_codes(
    table: pd.DataFrame, version_columns: list[str], value_column: str
) -> tuple[pd.DataFrame, np.ndarray, list[object]]:
    """Index a slot table (one row per version, day type and local slot) as dense codes.

    Returns the versions (unique ``version_columns`` with ``valid_from``/``valid_to``), a
    (versions x 2 x 48) matrix of codes (day type 0 weekday, 1 weekend; ``NO_ROW`` where a slot
    is not covered) and the values the codes stand for.
    """
    columns = [*version_columns, "valid_from", "valid_to"]
    versions = table.loc[:, columns].drop_duplicates().reset_index(drop=True)
    codes = np.full((len(versions), 2, SLOTS_PER_DAY), NO_ROW, dtype=np.int64)
    if table.empty:
        return versions, codes, []
    values, value_codes = np.unique(table[value_column].astype(str), return_inverse=True)
    version = versions.assign(_version=np.arange(len(versions))).merge(
        table.loc[:, columns].assign(_position=np.arange(len(table))), on=columns
    )
    version = version.sort_values("_position")["_version"].to_numpy()
    day_type = np.where(table["day_type"].to_numpy() == "weekend", 1, 0)
    slot = (table["slot_minute"].to_numpy() // 30).astype(np.int64)
    codes[version, day_type, slot] = value_codes
    return versions, codes, list(values)
