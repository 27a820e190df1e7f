"""pandera schema of normalised half-hour reads, and the completeness report per meter-day.

The schema checks each row (and the uniqueness of meter, half hour and run); completeness needs
every row of a meter-day at once, so :func:`incomplete_meter_days` reports it separately.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from p9_platform.clock import is_half_hour_aligned, periods_in_day, settlement_date_and_period
from p9_platform.reads import MAX_WH_PER_HALF_HOUR, SETTLEMENT_RUNS, Quality


def _day_lengths(dates: pd.Series) -> pd.Series:
    lengths = {day: periods_in_day(day.date()) for day in dates.unique()}
    return dates.map(lengths)


def _period_fits_day(frame: pd.DataFrame) -> pd.Series:
    return frame["settlement_period"] <= _day_lengths(frame["settlement_date"])


def _period_matches_start(frame: pd.DataFrame) -> pd.Series:
    derived = settlement_date_and_period(frame["interval_start_utc"])
    return (derived["settlement_date"] == frame["settlement_date"]) & (
        derived["settlement_period"] == frame["settlement_period"]
    )


def _start_on_half_hour(frame: pd.DataFrame) -> pd.Series:
    return is_half_hour_aligned(frame["interval_start_utc"])


def _energy_null_only_when_missing(frame: pd.DataFrame) -> pd.Series:
    return frame["energy_wh"].isna() == (frame["quality"] == Quality.MISSING)


def _kwh_matches_wh(frame: pd.DataFrame) -> pd.Series:
    expected = frame["energy_wh"].astype("Float64") / 1000.0
    same = (frame["kwh"] - expected).abs() < 1e-9
    return same.fillna(frame["kwh"].isna() & expected.isna()).astype(bool)


HALF_HOUR_READS = pa.DataFrameSchema(
    {
        "meter_id": pa.Column(str, pa.Check.str_length(min_value=1)),
        "interval_start_utc": pa.Column(pd.DatetimeTZDtype(tz="UTC")),
        "settlement_date": pa.Column("datetime64[ns]"),
        "settlement_period": pa.Column(int, pa.Check.in_range(1, 50)),
        "energy_wh": pa.Column(
            "Int64",
            pa.Check.in_range(0, MAX_WH_PER_HALF_HOUR, error="plausible_half_hour_energy"),
            nullable=True,
        ),
        "kwh": pa.Column("Float64", nullable=True),
        "quality": pa.Column(str, pa.Check.isin([q.value for q in Quality])),
        "settlement_run": pa.Column(str, pa.Check.isin(list(SETTLEMENT_RUNS))),
        "source_key": pa.Column(str),
        # Line 0 marks a row no file gave, such as a gap filled as missing.
        "source_line": pa.Column(int, pa.Check.ge(0)),
        "replayed_from_utc": pa.Column(pd.DatetimeTZDtype(tz="UTC"), nullable=True),
    },
    checks=[
        pa.Check(_period_fits_day, name="period_within_day_length"),
        pa.Check(_period_matches_start, name="period_matches_interval_start"),
        pa.Check(_start_on_half_hour, name="interval_start_on_half_hour"),
        pa.Check(_energy_null_only_when_missing, name="energy_null_only_when_missing"),
        pa.Check(_kwh_matches_wh, name="kwh_equals_energy_wh"),
    ],
    unique=["meter_id", "interval_start_utc", "settlement_run"],
    name="half_hour_reads",
    coerce=False,
)


def incomplete_meter_days(reads: pd.DataFrame) -> pd.DataFrame:
    """Return the meter-days (per run) that lack a value for some settlement period.

    Columns: meter_id, settlement_date, settlement_run, periods_in_day, periods_with_value,
    periods_estimated, periods_missing. A period counts as missing when it has no row or only
    a ``missing`` row. Days at the edge of a file's data are reported too, because a caller
    cannot tell a partial first day from a gap without the supply dates.
    """
    keys = ["meter_id", "settlement_date", "settlement_run"]
    columns = [
        *keys,
        "periods_in_day",
        "periods_with_value",
        "periods_estimated",
        "periods_missing",
    ]
    if reads.empty:
        return pd.DataFrame({name: pd.Series([], dtype=object) for name in columns})
    flagged = reads.assign(
        _has_value=reads["quality"] != Quality.MISSING,
        _estimated=reads["quality"] == Quality.ESTIMATED,
    )
    per_period = flagged.groupby([*keys, "settlement_period"], sort=False, observed=True).agg(
        has_value=("_has_value", "any"), estimated=("_estimated", "all")
    )
    per_period["estimated"] &= per_period["has_value"]
    days = per_period.groupby(level=keys, sort=True, observed=True).agg(
        periods_with_value=("has_value", "sum"), periods_estimated=("estimated", "sum")
    )
    days = days.reset_index()
    days["periods_in_day"] = _day_lengths(days["settlement_date"])
    days["periods_missing"] = days["periods_in_day"] - days["periods_with_value"]
    return days.loc[days["periods_missing"] > 0, columns].reset_index(drop=True)
