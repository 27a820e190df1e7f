"""Supersession of half-hour reads within one settlement run.

Several files can carry the same meter, half hour and run: a data collector resends a corrected
file, or replaces an estimate with an actual. :func:`supersede` keeps one current read per key
and returns the others beside it, flagged with the read that replaced them, so nothing is lost.
Reads from different runs never supersede each other here; choosing between runs is
:func:`p9_platform.settlement.best_view`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from p9_platform.reads import READ_COLUMNS, Quality

KEY_COLUMNS = ["meter_id", "interval_start_utc", "settlement_run"]

# An actual beats an estimate whatever the file order, and a missing read never replaces a value.
QUALITY_RANK = {Quality.MISSING.value: 0, Quality.ESTIMATED.value: 1, Quality.ACTUAL.value: 2}


@dataclasses.dataclass(frozen=True)
class Supersession:
    """The current read per meter, half hour and run, and the reads they replaced.

    ``superseded`` has the read columns plus ``superseded_by_key`` and ``superseded_by_line``,
    the file and line of the current read that replaced each row.
    """

    current: pd.DataFrame
    superseded: pd.DataFrame


def supersede(reads: pd.DataFrame, file_order: Sequence[str]) -> Supersession:
    """Keep the winning read per meter, half hour and run; return the rest flagged.

    The winner has the best quality (actual, then estimated, then missing); among equals, the
    file latest in ``file_order`` wins, and within one file the later line. Raises ValueError
    when a read's source file is not in ``file_order``.
    """
    position = {key: index for index, key in enumerate(file_order)}
    if len(position) != len(file_order):
        raise ValueError("file_order lists a file twice; each file needs one position")
    file_rank = reads["source_key"].map(position)
    if file_rank.isna().any():
        unknown = sorted(set(reads.loc[file_rank.isna(), "source_key"]))
        raise ValueError(f"reads come from files not in file_order: {unknown}")
    quality_rank = reads["quality"].map(QUALITY_RANK)
    if quality_rank.isna().any():
        unknown = sorted(set(reads.loc[quality_rank.isna(), "quality"]))
        raise ValueError(f"unknown quality values {unknown}; expected {sorted(QUALITY_RANK)}")

    ranked = reads.assign(
        _quality=quality_rank.astype(int),
        _file=file_rank.astype(int),
        _line=reads["source_line"],
    ).sort_values([*KEY_COLUMNS, "_quality", "_file", "_line"], kind="stable")
    is_winner = ~ranked.duplicated(KEY_COLUMNS, keep="last")

    winners = ranked.loc[is_winner]
    losers = ranked.loc[~is_winner]
    winner_of_key = winners.set_index(KEY_COLUMNS)[["source_key", "source_line"]]
    replaced_by = winner_of_key.reindex(pd.MultiIndex.from_frame(losers[KEY_COLUMNS]))

    current = winners.loc[:, list(READ_COLUMNS)].sort_index()
    superseded = losers.loc[:, list(READ_COLUMNS)].assign(
        superseded_by_key=replaced_by["source_key"].to_numpy(),
        superseded_by_line=replaced_by["source_line"].to_numpy(dtype=np.int64),
    )
    return Supersession(
        current=current.reset_index(drop=True),
        superseded=superseded.sort_index().reset_index(drop=True),
    )
