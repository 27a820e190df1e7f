"""Turn staged reads into complete settlement days: every half hour present, gaps marked missing."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from p9_platform.clock import day_intervals_utc, settlement_date_and_period
from p9_platform.reads import DEFAULT_RUN, READ_COLUMNS, TEXT_COLUMNS, Quality


def meter_spans(reads: pd.DataFrame) -> pd.DataFrame:
    """Return each meter's first and last interval start, and its latest source file."""
    # Source keys compare as text, which a reader's categorical does not allow.
    spans = (
        reads.assign(source_key=reads["source_key"].astype(str))
        .groupby("meter_id", observed=True)
        .agg(
            first_start_utc=("interval_start_utc", "min"),
            last_start_utc=("interval_start_utc", "max"),
            source_key=("source_key", "max"),
        )
    )
    return spans.reset_index()


def fill_gaps(reads: pd.DataFrame, spans: pd.DataFrame, days: list[dt.date]) -> pd.DataFrame:
    """Add a ``missing`` row for every half hour of ``days`` a meter's data span covers but
    no file gave.

    A meter's span runs from its first to its last half hour across all files, so a meter that
    left the supply is not padded with missing rows after its last read. Missing rows carry the
    meter's latest file as source, line 0 and the default run.
    """
    if spans.empty or not days:
        return reads.loc[:, list(READ_COLUMNS)].copy()
    grid_starts = pd.DatetimeIndex(np.concatenate([day_intervals_utc(day) for day in days]))
    grid = spans.merge(pd.DataFrame({"interval_start_utc": grid_starts}), how="cross")
    inside = (grid["interval_start_utc"] >= grid["first_start_utc"]) & (
        grid["interval_start_utc"] <= grid["last_start_utc"]
    )
    grid = grid.loc[inside, ["meter_id", "interval_start_utc", "source_key"]]
    present = reads.set_index(["meter_id", "interval_start_utc"]).index
    absent = grid.loc[~grid.set_index(["meter_id", "interval_start_utc"]).index.isin(present)]
    if absent.empty:
        return reads.loc[:, list(READ_COLUMNS)].copy()

    clock = settlement_date_and_period(absent["interval_start_utc"].reset_index(drop=True))
    gaps = pd.DataFrame(
        {
            "meter_id": absent["meter_id"].to_numpy(),
            "interval_start_utc": absent["interval_start_utc"].to_numpy(),
            "settlement_date": clock["settlement_date"].to_numpy(),
            "settlement_period": clock["settlement_period"].to_numpy(),
            "energy_wh": pd.array([pd.NA] * len(absent), dtype="Int64"),
            "kwh": pd.array([pd.NA] * len(absent), dtype="Float64"),
            "quality": Quality.MISSING.value,
            "settlement_run": DEFAULT_RUN,
            "source_key": absent["source_key"].to_numpy(),
            "source_line": np.zeros(len(absent), dtype=np.int64),
            "replayed_from_utc": pd.Series(
                pd.NaT, index=range(len(absent)), dtype="datetime64[ns, UTC]"
            ),
        }
    )
    gaps["interval_start_utc"] = pd.to_datetime(gaps["interval_start_utc"], utc=True)
    combined = pd.concat([reads.loc[:, list(READ_COLUMNS)], gaps], ignore_index=True)
    return combined.sort_values(["meter_id", "interval_start_utc"], ignore_index=True)


def coerce_read_dtypes(rows: pd.DataFrame) -> pd.DataFrame:
    """Give read columns their canonical dtypes, e.g. after a round trip through DuckDB.

    DuckDB returns timestamps in microseconds and integers with nulls as floats; the read
    schema expects nanosecond UTC timestamps and nullable integers.
    """
    typed = rows.loc[:, list(READ_COLUMNS)].copy()
    for column in ("interval_start_utc", "replayed_from_utc"):
        typed[column] = pd.to_datetime(typed[column], utc=True).astype("datetime64[ns, UTC]")
    typed["settlement_date"] = pd.to_datetime(typed["settlement_date"]).astype("datetime64[ns]")
    typed["energy_wh"] = typed["energy_wh"].astype("Int64")
    typed["kwh"] = typed["kwh"].astype("Float64")
    typed["settlement_period"] = typed["settlement_period"].astype(np.int64)
    typed["source_line"] = typed["source_line"].astype(np.int64)
    for column in TEXT_COLUMNS:
        typed[column] = typed[column].astype(str)
    return typed.reset_index(drop=True)
