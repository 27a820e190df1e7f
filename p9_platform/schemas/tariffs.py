"""pandera schemas of tariff tables."""

from __future__ import annotations

import pandera.pandas as pa

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
