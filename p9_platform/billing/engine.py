"""Price one billing month of settled half-hour reads into bills.

The plan aggregates first. Every read is placed on a grid of live (meter, day, settlement
period) cells, each line's volume is summed per meter and rate, and only those sums are priced,
in Python integers. :mod:`p9_platform.billing.money` states the rounding rule. A meter whose
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
DE_MINIMIS_BASIS = "de minimis, 33 kWh a day or less"


@dataclasses.dataclass(frozen=True)
class BillRun:
    """Everything one billing month produced.

    ``half_hourly``: one row per meter and settlement period of every live day: metered kWh,
    the cost of each bill element in nanopence and the unit cost in p/kWh.
    ``daily``: one row per meter, live day and day-based line, in exact nanopence.
    ``lines``: one row per meter, line, band and rate, with quantity, rate and amount in pence.
    A line whose rate is not published has ``priced`` False and a ``note``.
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


@dataclasses.dataclass(frozen=True)
class PlacedReads:
    """The month's reads laid on the grid, and per-meter facts for the bill.

    ``energy`` (Wh) and ``has_read`` are per grid period; ``estimated`` counts each meter's
    estimated reads and ``runs`` names the settlement runs its reads came from.
    """

    energy: np.ndarray
    has_read: np.ndarray
    estimated: np.ndarray
    runs: list[str]


def place_reads(reads: pd.DataFrame, grid: MonthGrid) -> PlacedReads:
    """Put each read with energy on its grid position.

    Reads outside the month, before a supply starts or after it ends are ignored. The reads
    are the settled best view, one per meter and half hour; a later duplicate replaces an
    earlier one.
    """
    meters = len(grid.meter_ids)
    days = len(grid.days)
    energy = np.zeros(grid.size, dtype=np.int64)
    has_read = np.zeros(grid.size, dtype=bool)
    # Index arithmetic is done in place on a few int64 arrays: at 10,000 meter-months each
    # temporary costs 120 MB.
    meter = _meter_codes(pd.Index(grid.meter_ids), reads["meter_id"].to_numpy())
    day = reads["settlement_date"].to_numpy(dtype="datetime64[ns]").view(np.int64).copy()
    day -= grid.days[0].value
    day //= 86_400 * 10**9
    period = reads["settlement_period"].to_numpy(dtype=np.int64)

    valid = (meter >= 0) & (day >= 0) & (day < days)
    flat = meter * days
    flat += day
    flat[~valid] = 0
    cells = grid.cell_index().reshape(-1)[flat]
    del flat
    valid &= (cells >= 0) & (period >= 1)
    # Only periods 47 to 50 can be out of range for their day.
    late = period > 46
    if late.any():
        valid[late] &= period[late] <= grid.periods_per_day[np.where(valid[late], day[late], 0)]
    del day

    quality = reads["quality"].to_numpy()
    quality_starts, quality_lengths = _value_runs(quality)
    first_quality = quality[quality_starts]
    is_missing = np.repeat(first_quality == Quality.MISSING.value, quality_lengths)
    values = reads["energy_wh"].array
    with_energy = valid & ~np.asarray(values.isna()) & ~is_missing
    position = grid.cell_offset[cells]
    del cells
    position += period
    position -= 1
    if with_energy.all():
        energy[position] = values.to_numpy(dtype=np.int64, na_value=0)
        has_read[position] = True
    else:
        chosen = position[with_energy]
        energy[chosen] = values.to_numpy(dtype=np.int64, na_value=0)[with_energy]
        has_read[chosen] = True
    del position

    is_estimated = valid & np.repeat(first_quality == Quality.ESTIMATED.value, quality_lengths)
    estimated = np.bincount(meter[is_estimated], minlength=meters).astype(np.int64)
    return PlacedReads(energy, has_read, estimated, _runs_by_meter(reads, meter, valid, meters))


def _value_runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the start and length of each run of equal consecutive values.

    Read columns of text (meter id, quality, run) are mostly long runs of one value, so each
    per-row test is done once per run and repeated, not once per row.
    """
    if len(values) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    return starts, np.diff(np.r_[starts, len(values)])


def _meter_codes(index: pd.Index, meter_ids: np.ndarray) -> np.ndarray:
    """Return each read's position in ``index`` (-1 if absent); unsorted reads work too."""
    starts, lengths = _value_runs(meter_ids)
    return np.repeat(index.get_indexer(meter_ids[starts]), lengths)


def _runs_by_meter(
    reads: pd.DataFrame, meter: np.ndarray, valid: np.ndarray, meters: int
) -> list[str]:
    """Name, per meter, the settlement runs its valid reads came from (comma-separated)."""
    if "settlement_run" not in reads or len(reads) == 0:
        return [""] * meters
    runs = reads["settlement_run"].to_numpy()
    starts, _ = _value_runs(runs)
    distinct = pd.unique(runs[starts])
    if len(distinct) == 1 and distinct[0] is not None:
        # One run for every read (the usual case).
        has_valid = np.bincount(meter[valid], minlength=meters) > 0
        return [str(distinct[0]) if flag else "" for flag in has_valid]
    run_codes, run_names = pd.factorize(runs)
    known = valid & (run_codes >= 0)
    seen = np.bincount(
        meter[known].astype(np.int64) * len(run_names) + run_codes[known],
        minlength=meters * len(run_names),
    ).reshape(meters, len(run_names))
    names = np.array([str(name) for name in run_names], dtype=object)
    return [",".join(sorted(names[row > 0])) for row in seen]


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
    placed = place_reads(reads, grid)
    energy, has_read = placed.energy, placed.has_read

    # A meter with no energy in the month cannot be billed.
    read_count = np.zeros(len(points), dtype=np.int64)
    np.add.at(read_count, grid.cell_meter, pricing.cell_sum(grid, has_read))
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

    exceptions.extend(meters_without_supply_point(reads, tables.supply_points, days, month))

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
    bills = summarise_bills(lines, context, placed, billable, month)
    return BillRun(
        half_hourly=half_hourly,
        daily=daily,
        lines=lines,
        bills=bills,
        exceptions=_exceptions_frame(exceptions),
        elements=element_split(lines),
    )


def meters_without_supply_point(
    reads: pd.DataFrame, supply_points: pd.DataFrame, days: pd.DatetimeIndex, month: str
) -> list[dict[str, object]]:
    """Return one exception per meter with reads in the month but no supply point to bill.

    Without this a new customer's reads would sit unbilled with nothing to say so.
    """
    in_month = reads.loc[reads["settlement_date"].isin(days)]
    unknown = sorted(set(in_month["meter_id"]) - set(supply_points["meter_id"]))
    rows: list[dict[str, object]] = []
    for meter_id in unknown:
        dates = in_month.loc[in_month["meter_id"] == meter_id, "settlement_date"]
        rows.append(
            {
                "meter_id": meter_id,
                "bill_month": month,
                "tariff": "supply point",
                "first_day": dates.min(),
                "last_day": dates.max(),
                "days": int(dates.nunique()),
                "reason": f"meter {meter_id} has reads in {month} but no supply point",
            }
        )
    return rows


def summarise_bills(
    lines: pd.DataFrame,
    context: pricing.PricingContext,
    placed: PlacedReads,
    billable: np.ndarray,
    month: str,
) -> pd.DataFrame:
    """Total each billable meter's lines and add VAT at the rate its use qualifies for.

    VAT is charged on the net total (the sum of the rounded lines) and rounded half up once,
    at the rate in force on the meter's first live day of the month.
    """
    grid = context.grid
    meters = np.flatnonzero(billable)
    size = len(context.points)
    # Per-meter totals from per-cell sums: one contiguous pass over the periods each.
    energy_wh = np.zeros(size, dtype=np.int64)
    np.add.at(energy_wh, grid.cell_meter, pricing.cell_sum(grid, placed.energy))
    read_periods = np.zeros(size, dtype=np.int64)
    np.add.at(read_periods, grid.cell_meter, pricing.cell_sum(grid, placed.has_read))
    periods = np.zeros(size, dtype=np.int64)
    np.add.at(periods, grid.cell_meter, grid.periods_per_day[grid.cell_day])
    live_days = grid.live.sum(axis=1)
    meter_ids = context.points["meter_id"].to_numpy()
    net = (
        lines.groupby("meter_id", observed=True)["amount_pence"]
        .sum()
        .reindex(meter_ids, fill_value=0)
    )
    unpriced = _unpriced_codes(lines, meter_ids)
    vat_pct = context.vat_percents()
    reduced = context.de_minimis[meters]
    percent = [
        vat_pct[index][1 if flag else 0] for index, flag in zip(meters, reduced, strict=True)
    ]
    net_pence = net.to_numpy(dtype=np.int64)[meters]
    vat = np.array(
        [percent_of(int(amount), pct) for amount, pct in zip(net_pence, percent, strict=True)],
        dtype=np.int64,
    )
    bills = pd.DataFrame(
        {
            "meter_id": meter_ids[meters],
            "bill_month": month,
            "live_days": live_days[meters].astype(np.int64),
            "kwh": energy_wh[meters] / 1000.0,
            "energy_wh": energy_wh[meters],
            "half_hours": periods[meters].astype(np.int64),
            "missing_half_hours": (periods - read_periods)[meters].astype(np.int64),
            "estimated_half_hours": placed.estimated[meters],
            "settlement_runs": [placed.runs[index] for index in meters],
            "net_pence": net_pence,
            "vat_rate_pct": [float(pct) for pct in percent],
            "vat_basis": np.where(reduced, DE_MINIMIS_BASIS, "standard"),
            "vat_pence": vat,
            "total_pence": net_pence + vat,
            "unpriced_lines": unpriced[meters],
        }
    )
    return bills.loc[:, BILL_COLUMNS]


def _unpriced_codes(lines: pd.DataFrame, meter_ids: np.ndarray) -> np.ndarray:
    """Return, per meter, the codes of its unpriced lines joined by commas, in line order."""
    codes = np.full(len(meter_ids), "", dtype=object)
    unpriced = lines.loc[~lines["priced"], ["meter_id", "line_code"]]
    index = pd.Index(meter_ids)
    for code, group in unpriced.groupby("line_code", sort=False, observed=True):
        rows = index.get_indexer(group["meter_id"])
        separator = np.where(codes[rows] == "", "", ",")
        codes[rows] = codes[rows] + separator + str(code)
    return codes


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


def element_split(lines: pd.DataFrame) -> pd.DataFrame:
    """Return each meter's pence per bill element and its percent of the net total (2 dp).

    Percent is of the net (before VAT); a bill with a zero net total gets 0 percent.
    """
    columns = ["meter_id", "bill_month", "element", "amount_pence", "percent"]
    if lines.empty:
        return pd.DataFrame(columns=columns)
    split = lines.groupby(["meter_id", "bill_month", "element"], as_index=False, observed=True)[
        "amount_pence"
    ].sum()
    net = split.groupby("meter_id", observed=True)["amount_pence"].transform("sum")
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
    totals = frame.groupby(["meter_id", "year"], as_index=False, observed=True).agg(
        months=("bill_month", "nunique"),
        kwh=("kwh", "sum"),
        net_pence=("net_pence", "sum"),
        vat_pence=("vat_pence", "sum"),
        total_pence=("total_pence", "sum"),
    )
    return totals
