"""pandera schemas of tariff tables."""

from __future__ import annotations

import pandera.pandas as pa

_DECIMAL_OR_BLANK = r"^(-?\d+(\.\d+)?)?$"


def _valid_from_before_to(frame):  # type: ignore[no-untyped-def]
    return frame["valid_from"] <= frame["valid_to"]


TARIFF_DUOS_CHARGES = pa.DataFrameSchema(
    {
        "dno": pa.Column(str),
        "llfc": pa.Column(str, pa.Check.str_length(min_value=1)),
        "tariff_name": pa.Column(str),
        "valid_from": pa.Column("datetime64[ns]"),
        "valid_to": pa.Column("datetime64[ns]"),
        "red_p_per_kwh": pa.Column(str, pa.Check.str_matches(_DECIMAL_OR_BLANK)),
        "amber_p_per_kwh": pa.Column(str, pa.Check.str_matches(_DECIMAL_OR_BLANK)),
        "green_p_per_kwh": pa.Column(str, pa.Check.str_matches(_DECIMAL_OR_BLANK)),
        "fixed_p_per_day": pa.Column(str, pa.Check.str_matches(_DECIMAL_OR_BLANK)),
        "capacity_p_per_kva_per_day": pa.Column(str, pa.Check.str_matches(_DECIMAL_OR_BLANK)),
        "excess_capacity_p_per_kva_per_day": pa.Column(
            str, pa.Check.str_matches(_DECIMAL_OR_BLANK)
        ),
        "reactive_p_per_kvarh": pa.Column(str, pa.Check.str_matches(_DECIMAL_OR_BLANK)),
    },
    checks=[pa.Check(_valid_from_before_to, name="valid_from_before_to")],
    unique=["dno", "llfc", "tariff_name", "valid_from"],
    name="duos_charges",
)

TARIFF_LINE_LOSS_FACTORS = pa.DataFrameSchema(
    {
        "dno": pa.Column(str),
        "llfc": pa.Column(str),
        "settlement_date": pa.Column("datetime64[ns]"),
        "settlement_period": pa.Column(int, pa.Check.in_range(1, 50)),
        "llf": pa.Column(str),
        "llf_scaled": pa.Column(int, pa.Check.in_range(9_000_000, 20_000_000)),
    },
    unique=["dno", "llfc", "settlement_date", "settlement_period"],
    name="line_loss_factors",
)

TARIFF_LEVY_RATES = pa.DataFrameSchema(
    {
        "line_code": pa.Column(str),
        "band": pa.Column(str),
        "valid_from": pa.Column("datetime64[ns]"),
        "valid_to": pa.Column("datetime64[ns]"),
        "rate": pa.Column(str, pa.Check.str_matches(_DECIMAL_OR_BLANK)),
        "unit": pa.Column(str),
        "rate_micro": pa.Column(int),
        "source": pa.Column(str, pa.Check.str_length(min_value=1)),
    },
    checks=[pa.Check(_valid_from_before_to, name="valid_from_before_to")],
    unique=["line_code", "band", "valid_from"],
    name="levy_rates",
)
