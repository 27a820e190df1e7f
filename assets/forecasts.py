"""Forecasts: next year's use and cost per meter."""

import dataclasses

import dagster as dg
import pandas as pd

from assets.metadata import bar_chart, markdown_table
from assets.settlement import SETTLED_TABLE
from assets.tariffs import TARIFF_FIELDS, read_tariff_tables
from p9_platform.billing.engine import bill_month
from p9_platform.forecasting import (
    DATED_KEYS,
    SERIES_KEYS,
    forecast_reads,
    repeat_dated_values,
    roll_rates_forward,
    seasonal_profile,
)
from p9_platform.normalise import coerce_read_dtypes
from resources import Warehouse

FORECAST_TABLE = "forecast.monthly_forecasts"
FORECAST_MONTHS = 12


@dg.asset(
    group_name="forecasts",
    deps=["settled_half_hour_reads", *[f"tariff_{field}" for field in TARIFF_FIELDS]],
    kinds={"duckdb", "pandas"},
)
def consumption_forecasts(
    context: dg.AssetExecutionContext, warehouse: Warehouse
) -> dg.MaterializeResult:
    """Twelve-month forecast of use and cost (forecast.monthly_forecasts), one row per meter and
    month; unpartitioned, rebuilt whole from all settled reads.

    Use comes from each meter's seasonal profile; cost is the forecast reads billed at the
    latest rates rolled forward, because future rates are not yet published.
    """
    reads = coerce_read_dtypes(warehouse.query(f"SELECT * FROM {SETTLED_TABLE}"))
    last_day = reads["settlement_date"].max()
    first_month = (last_day + pd.offsets.MonthBegin(1)).date()
    horizon_end = (pd.Timestamp(first_month) + pd.DateOffset(months=FORECAST_MONTHS)).date()
    context.log.info(
        f"Profiling {len(reads)} settled half hours of {reads['meter_id'].nunique()} meters; "
        f"forecasting {FORECAST_MONTHS} months from {first_month}"
    )

    future = forecast_reads(seasonal_profile(reads), first_month, FORECAST_MONTHS)
    tables = read_tariff_tables(warehouse)
    rolled = dataclasses.replace(
        tables,
        **{
            field: roll_rates_forward(getattr(tables, field), keys, first_month, horizon_end)
            for field, keys in SERIES_KEYS.items()
        },
        **{
            field: repeat_dated_values(getattr(tables, field), keys, horizon_end)
            for field, keys in DATED_KEYS.items()
        },
    )

    rows = []
    for month_start in pd.date_range(first_month, periods=FORECAST_MONTHS, freq="MS"):
        run = bill_month(future, rolled, month_start.date())
        month_reads = future.loc[
            future["settlement_date"].dt.to_period("M") == month_start.to_period("M")
        ]
        use = month_reads.groupby("meter_id", observed=True)["energy_wh"].sum() / 1000
        costs = run.bills.set_index("meter_id")["total_pence"] if len(run.bills) else pd.Series()
        reasons = run.exceptions.groupby("meter_id", observed=True)["reason"].agg("; ".join)
        for meter_id, kwh in use.items():
            priced = meter_id in costs.index
            rows.append(
                {
                    "meter_id": meter_id,
                    "month": f"{month_start:%Y-%m}",
                    "kwh": float(kwh),
                    "cost_pence": int(costs[meter_id]) if priced else None,
                    "cost_note": "" if priced else reasons.get(meter_id, "not billed"),
                }
            )
    columns = ["meter_id", "month", "kwh", "cost_pence", "cost_note"]
    forecast = pd.DataFrame(rows, columns=columns)
    forecast["basis"] = f"seasonal profile of reads to {last_day:%Y-%m-%d}; latest rates"

    written = warehouse.replace_table(FORECAST_TABLE, forecast)
    context.log.info(f"Wrote {written} meter-months to {FORECAST_TABLE}")
    totals = forecast.groupby("month", observed=True)["kwh"].sum()
    return dg.MaterializeResult(
        metadata={
            "rows": written,
            "meters": int(forecast["meter_id"].nunique()),
            "first_month": str(first_month),
            "preview": markdown_table(forecast, rows=24),
            "kwh_by_month": bar_chart(totals, "Forecast kWh by month, all meters", "kWh"),
        }
    )
