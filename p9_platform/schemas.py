"""pandera schemas for each stage, and a validator that separates failing rows.

Schemas are checked inside the assets (a pandera DagsterType would discard the validated frame);
failing rows are kept with their reasons so they can be quarantined and shown in the UI.
"""

from __future__ import annotations

import dataclasses

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

BILL_LINES = pa.DataFrameSchema(
    {
        "meter_id": pa.Column(str),
        "bill_month": pa.Column(str, pa.Check.str_matches(r"^\d{4}-\d{2}$")),
        "line_code": pa.Column(str),
        "quantity": pa.Column(float, pa.Check.ge(0)),
        "amount_pence": pa.Column(int),
    },
    unique=["meter_id", "bill_month", "line_code", "rate_p"],
    name="bill_lines",
)


def _total_is_net_plus_vat(frame: pd.DataFrame) -> pd.Series:
    return frame["total_pence"] == frame["net_pence"] + frame["vat_pence"]


BILLS = pa.DataFrameSchema(
    {
        "meter_id": pa.Column(str),
        "bill_month": pa.Column(str),
        "net_pence": pa.Column(int),
        "vat_pence": pa.Column(int, pa.Check.ge(0)),
        "total_pence": pa.Column(int),
        "vat_rate_pct": pa.Column(float, pa.Check.isin([5.0, 20.0])),
    },
    checks=[pa.Check(_total_is_net_plus_vat, name="total_is_net_plus_vat")],
    unique=["meter_id", "bill_month"],
    name="bills",
)

TARIFF_DUOS_CHARGES = pa.DataFrameSchema(
    {
        "dno": pa.Column(str),
        "llfc": pa.Column(str, pa.Check.str_length(min_value=1)),
        "tariff_name": pa.Column(str),
        "valid_from": pa.Column("datetime64[ns]"),
        "valid_to": pa.Column("datetime64[ns]"),
        "red_p_per_kwh": pa.Column(str, pa.Check.str_matches(r"^(-?\d+(\.\d+)?)?$")),
        "amber_p_per_kwh": pa.Column(str, pa.Check.str_matches(r"^(-?\d+(\.\d+)?)?$")),
        "green_p_per_kwh": pa.Column(str, pa.Check.str_matches(r"^(-?\d+(\.\d+)?)?$")),
        "fixed_p_per_day": pa.Column(str, pa.Check.str_matches(r"^(-?\d+(\.\d+)?)?$")),
    },
    checks=[pa.Check(lambda f: f["valid_from"] <= f["valid_to"], name="valid_from_before_to")],
    unique=["dno", "llfc", "valid_from"],
    name="duos_charges",
)


@dataclasses.dataclass(frozen=True)
class Validation:
    """The rows that passed a schema, the rows that failed, and why each failed."""

    valid: pd.DataFrame
    invalid: pd.DataFrame
    failure_cases: pd.DataFrame

    @property
    def passed(self) -> bool:
        """Return True when no row and no column failed."""
        return self.failure_cases.empty


def validate(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> Validation:
    """Validate ``frame`` lazily and split it into passing and failing rows.

    A failure that names no row (a missing column, a wrong dtype) fails every row, because no
    row of such a frame can be trusted.
    """
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases.copy()
        if cases["index"].isna().any():
            return Validation(frame.iloc[:0], frame, cases)
        bad_index = pd.Index(cases["index"].dropna().unique())
        bad = frame.index.isin(bad_index)
        return Validation(frame.loc[~bad], frame.loc[bad], cases)
    return Validation(frame, frame.iloc[:0], pd.DataFrame())
