"""Price one billing month of settled half-hour reads into bills.

The plan aggregates first: every read is placed on a grid of live (meter, day, settlement
period) cells, each line's volume is summed per meter and rate, and only those sums are priced,
in Python integers (see :mod:`p9_platform.billing.money` for the rounding rule). A meter whose
month is not fully covered by every tariff it needs gets no bill, only exceptions that name the
missing tariff and its days. A levy whose rate is not in the shipped tables for any day of the
month is listed as an unpriced bill line instead, so the gap is visible on the bill.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd

from p9_platform.billing import pricing
from p9_platform.billing.calendar import MonthGrid, build_grid, month_days
from p9_platform.billing.money import percent_of
from p9_platform.reads import Quality
from p9_platform.tariffs import TariffTables

__all__ = ["BillRun", "annual_totals", "bill_month", "element_split", "month_days"]

# Notice 701/19: supplies of up to 33 kWh a day (1,000 kWh a month) are de minimis, so they
# take the reduced rate of VAT and are excluded from the Climate Change Levy.
DE_MINIMIS_BASIS = "de minimis (33 kWh a day or less)"


@dataclasses.dataclass(frozen=True)
class BillRun:
    """Everything one billing month produced.

    ``half_hourly``: one row per meter and settlement period of every live day: metered kWh,
    the cost of each bill element in nanopence and the unit cost in p/kWh.
    ``daily``: one row per meter, live day and day-based line, in exact nanopence.
    ``lines``: one row per meter, line, band and rate: quantity, rate and amount in pence;
    lines whose rate is not published carry ``priced`` False and a ``note``.
    ``bills``: one row per meter: net, VAT and total in pence.
    ``exceptions``: one row per meter and missing tariff or reads, with the days affected.
    ``elements``: one row per meter and bill element: pence and percent of the net total.
    """

    half_hourly: pd.DataFrame
    daily: pd.DataFrame
    lines: pd.DataFrame
    bills: pd.DataFrame
    exceptions: pd.DataFrame
    elements: pd.DataFrame


EXCEPTION_COLUMNS = ["meter_id", "bill_month", "tariff", "first_day", "last_day", "days", "reason"]


def _live_matrix(points: pd.DataFrame, days: pd.DatetimeIndex) -> np.ndarray:
    starts = points["supply_start"].to_numpy()[:, None]
    ends = points["supply_end"].fillna(pd.Timestamp.max).to_numpy()[:, None]
    day_values = days.to_numpy()[None, :]
    return (starts <= day_values) & (day_values <= ends)


def place_reads(reads: pd.DataFrame, grid: MonthGrid) -> tuple[np.ndarray, np.ndarray]:
    """Put each read with energy on its grid position; return energy (Wh) and a read mask.

    Reads outside the month, before a supply starts or after it ends are ignored. The reads
    are the settled best view, one per meter and half hour; a later duplicate replaces an
    earlier one.
    """
    energy = np.zeros(grid.size, dtype=np.int64)
    has_read = np.zeros(grid.size, dtype=bool)
    with_energy = reads.loc[
        (reads["quality"] != Quality.MISSING) & reads["energy_wh"].notna(),
        ["meter_id", "settlement_date", "settlement_period", "energy_wh"],
    ]
    meter = pd.Index(grid.meter_ids).get_indexer(with_energy["meter_id"])
    day = ((with_energy["settlement_date"] - grid.days[0]) // pd.Timedelta(days=1)).to_numpy()
    period = with_energy["settlement_period"].to_numpy(dtype=np.int64)
    inside = (meter >= 0) & (day >= 0) & (day < len(grid.days))
    meter, day, period = meter[inside], day[inside], period[inside]
    cells = grid.cell_index()[meter, day]
    live = cells >= 0
    cells, period, day = cells[live], period[live], day[live]
    valid = (period >= 1) & (period <= grid.periods_per_day[day])
    position = grid.cell_offset[cells[valid]] + period[valid] - 1
    values = with_energy["energy_wh"].to_numpy()[inside][live][valid].astype(np.int64)
    energy[position] = values
    has_read[position] = True
    return energy, has_read


def _exceptions_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=EXCEPTION_COLUMNS)


def bill_month(
    reads: pd.DataFrame, tables: TariffTables, month_start: dt.date, half_hours: bool = True
) -> BillRun:
    """Bill every supply point live in the month starting ``month_start``.

    ``reads`` are the settled (best view) half-hour reads; rows outside the month are ignored.
    ``half_hours=False`` skips the half-hour view (``half_hourly`` is then empty), which is the
    largest output and not needed to total a bill.
    """
    month = f"{month_start:%Y-%m}"
    days = month_days(month_start)
    points = tables.supply_points.reset_index(drop=True)
    live = _live_matrix(points, days)
    points = points.loc[live.any(axis=1)].reset_index(drop=True)
    live = live[live.any(axis=1)]
    grid = build_grid(points["meter_id"].to_numpy(), live, days)
    energy, has_read = place_reads(reads, grid)

    # A meter with no energy in the month cannot be billed.
    read_count = np.bincount(grid.meter, has_read, minlength=len(points))
    exceptions = [
        {
            "meter_id": points.at[index, "meter_id"],
            "bill_month": month,
            "tariff": "half-hour reads",
            "first_day": days[live[index]].min(),
            "last_day": days[live[index]].max(),
            "days": int(live[index].sum()),
            "reason": f"no half-hour reads with energy in {month}",
        }
        for index in np.flatnonzero(read_count == 0)
    ]

    context = pricing.PricingContext.build(points, grid, energy, tables)
    exceptions.extend(context.missing_tariffs(month))
    billable = context.billable_meters()
    billable &= read_count > 0

    priced = pricing.price_lines(context, billable)
    lines = pricing.bill_lines(priced, context, billable, month)
    daily = pricing.daily_frame(priced, context, month)
    half_hourly = (
        pricing.half_hour_view(priced, context, energy, has_read, billable, month)
        if half_hours
        else pricing.empty_half_hour_view()
    )
    bills = summarise_bills(lines, context, energy, has_read, billable, month, reads)
    return BillRun(
        half_hourly=half_hourly,
        daily=daily,
        lines=lines,
        bills=bills,
        exceptions=_exceptions_frame(exceptions),
        elements=element_split(lines),
    )


def summarise_bills(
    lines: pd.DataFrame,
    context: pricing.PricingContext,
    energy: np.ndarray,
    has_read: np.ndarray,
    billable: np.ndarray,
    month: str,
    reads: pd.DataFrame,
) -> pd.DataFrame:
    """Total each billable meter's lines and add VAT at the rate its use qualifies for.

    VAT is charged on the net total (the sum of the rounded lines) and rounded half up once.
    """
    grid = context.grid
    meters = np.flatnonzero(billable)
    size = len(context.points)
    energy_wh = np.bincount(grid.meter, energy, minlength=size).astype(np.int64)
    periods = np.bincount(grid.meter, minlength=size)
    read_periods = np.bincount(grid.meter, has_read, minlength=size).astype(np.int64)
    live_days = grid.live.sum(axis=1)
    net = lines.groupby("meter_id")["amount_pence"].sum()
    unpriced = lines.loc[~lines["priced"]].groupby("meter_id")["line_code"].agg(",".join)
    estimated = _quality_counts(reads, Quality.ESTIMATED)
    runs = _settlement_runs(reads)

    rows = []
    for index in meters:
        meter_id = context.points.at[index, "meter_id"]
        net_pence = int(net.get(meter_id, 0))
        reduced = bool(context.de_minimis[index])
        vat_pct = context.vat_percent(int(index), reduced)
        vat = percent_of(net_pence, vat_pct)
        rows.append(
            {
                "meter_id": meter_id,
                "bill_month": month,
                "live_days": int(live_days[index]),
                "kwh": float(energy_wh[index]) / 1000.0,
                "energy_wh": int(energy_wh[index]),
                "half_hours": int(periods[index]),
                "missing_half_hours": int(periods[index] - read_periods[index]),
                "estimated_half_hours": int(estimated.get(meter_id, 0)),
                "settlement_runs": runs.get(meter_id, ""),
                "net_pence": net_pence,
                "vat_rate_pct": float(vat_pct),
                "vat_basis": DE_MINIMIS_BASIS if reduced else "standard",
                "vat_pence": vat,
                "total_pence": net_pence + vat,
                "unpriced_lines": unpriced.get(meter_id, ""),
            }
        )
    return pd.DataFrame(rows, columns=BILL_COLUMNS)


BILL_COLUMNS = [
    "meter_id",
    "bill_month",
    "live_days",
    "kwh",
    "energy_wh",
    "half_hours",
    "missing_half_hours",
    "estimated_half_hours",
    "settlement_runs",
    "net_pence",
    "vat_rate_pct",
    "vat_basis",
    "vat_pence",
    "total_pence",
    "unpriced_lines",
]


def _quality_counts(reads: pd.DataFrame, quality: Quality) -> pd.Series:
    if reads.empty:
        return pd.Series(dtype=np.int64)
    return reads.loc[reads["quality"] == quality].groupby("meter_id").size()


def _settlement_runs(reads: pd.DataFrame) -> dict[str, str]:
    if reads.empty or "settlement_run" not in reads:
        return {}
    pairs = reads.loc[:, ["meter_id", "settlement_run"]].dropna().drop_duplicates()
    return {
        str(meter_id): ",".join(sorted(group["settlement_run"]))
        for meter_id, group in pairs.groupby("meter_id")
    }


def element_split(lines: pd.DataFrame) -> pd.DataFrame:
    """Return each meter's pence per bill element and its percent of the net total (2 dp).

    Percent is of the net (before VAT); a bill with a zero net total gets 0 percent.
    """
    columns = ["meter_id", "bill_month", "element", "amount_pence", "percent"]
    if lines.empty:
        return pd.DataFrame(columns=columns)
    split = lines.groupby(["meter_id", "bill_month", "element"], as_index=False)[
        "amount_pence"
    ].sum()
    net = split.groupby("meter_id")["amount_pence"].transform("sum")
    percent = [
        float((Decimal(int(part)) * 100 / Decimal(int(total))).quantize(Decimal("0.01")))
        if total
        else 0.0
        for part, total in zip(split["amount_pence"], net, strict=True)
    ]
    split["percent"] = percent
    return split.loc[:, columns]


def annual_totals(bills: pd.DataFrame, year_start_month: int = 4) -> pd.DataFrame:
    """Sum monthly bills into one row per meter and year of 12 months.

    ``year_start_month`` 4 gives UK fiscal years (April to March), labelled by the calendar
    year they start in; 1 gives calendar years.
    """
    months = pd.PeriodIndex(bills["bill_month"], freq="M")
    start_year = np.where(months.month >= year_start_month, months.year, months.year - 1)
    frame = bills.assign(year=start_year)
    totals = frame.groupby(["meter_id", "year"], as_index=False).agg(
        months=("bill_month", "nunique"),
        kwh=("kwh", "sum"),
        net_pence=("net_pence", "sum"),
        vat_pence=("vat_pence", "sum"),
        total_pence=("total_pence", "sum"),
    )
    return totals
