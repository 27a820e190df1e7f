"""pandera schemas of bill lines and bills, in step with the frames of the bill engine."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

BILL_LINES = pa.DataFrameSchema(
    {
        "meter_id": pa.Column(str),
        "bill_month": pa.Column(str, pa.Check.str_matches(r"^\d{4}-\d{2}$")),
        "line_code": pa.Column(str),
        "element": pa.Column(str),
        "band": pa.Column(str),
        "quantity": pa.Column(float, pa.Check.ge(0)),
        "rate_p": pa.Column(str),
        "amount_nanopence": pa.Column(int),
        "amount_pence": pa.Column(int),
        "priced": pa.Column(bool),
        "note": pa.Column(str),
    },
    unique=["meter_id", "bill_month", "line_code", "band", "rate_p"],
    name="bill_lines",
)


def _total_is_net_plus_vat(frame: pd.DataFrame) -> pd.Series:
    return frame["total_pence"] == frame["net_pence"] + frame["vat_pence"]


BILLS = pa.DataFrameSchema(
    {
        "meter_id": pa.Column(str),
        "bill_month": pa.Column(str),
        "live_days": pa.Column(int, pa.Check.in_range(1, 31)),
        "net_pence": pa.Column(int),
        "vat_pence": pa.Column(int, pa.Check.ge(0)),
        "total_pence": pa.Column(int),
        "vat_rate_pct": pa.Column(float, pa.Check.isin([5.0, 20.0])),
    },
    checks=[pa.Check(_total_is_net_plus_vat, name="total_is_net_plus_vat")],
    unique=["meter_id", "bill_month"],
    name="bills",
)
