"""pandera schema of normalised half-hour reads."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from p9_platform.clock import periods_in_day
from p9_platform.reads import SETTLEMENT_RUNS, Quality

# A 10 MW site uses 5,000 kWh in a half hour; more than that from one meter is not plausible.
MAX_WH_PER_HALF_HOUR = 5_000_000


def _period_fits_day(frame: pd.DataFrame) -> pd.Series:
    lengths = {day: periods_in_day(day.date()) for day in frame["settlement_date"].unique()}
    return frame["settlement_period"] <= frame["settlement_date"].map(lengths)


def _energy_null_only_when_missing(frame: pd.DataFrame) -> pd.Series:
    return frame["energy_wh"].isna() == (frame["quality"] == Quality.MISSING)


HALF_HOUR_READS = pa.DataFrameSchema(
    {
        "meter_id": pa.Column(str, pa.Check.str_length(min_value=1)),
        "interval_start_utc": pa.Column(pd.DatetimeTZDtype(tz="UTC")),
        "settlement_date": pa.Column("datetime64[ns]"),
        "settlement_period": pa.Column(int, pa.Check.in_range(1, 50)),
        "energy_wh": pa.Column("Int64", pa.Check.in_range(0, MAX_WH_PER_HALF_HOUR), nullable=True),
        "kwh": pa.Column("Float64", nullable=True),
        "quality": pa.Column(str, pa.Check.isin([q.value for q in Quality])),
        "settlement_run": pa.Column(str, pa.Check.isin(list(SETTLEMENT_RUNS))),
        "source_key": pa.Column(str),
        "source_line": pa.Column(int, pa.Check.ge(1)),
        "replayed_from_utc": pa.Column(pd.DatetimeTZDtype(tz="UTC"), nullable=True),
    },
    checks=[
        pa.Check(_period_fits_day, name="period_within_day_length"),
        pa.Check(_energy_null_only_when_missing, name="energy_null_only_when_missing"),
    ],
    unique=["meter_id", "interval_start_utc", "settlement_run"],
    name="half_hour_reads",
    coerce=False,
)
