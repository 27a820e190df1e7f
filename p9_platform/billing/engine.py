"""Price one billing month of settled half-hour reads into bills.

The plan aggregates nothing until every amount is exact: each half hour of metered energy gets
its unit-rate lines in integer nanopence, each live supply day gets its day-based lines, and
only then are lines summed and rounded once (see :mod:`p9_platform.billing.money`). A meter
whose month is not fully covered by every tariff it needs gets no bill, only an exception that
names the missing tariff and days.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd

from p9_platform.billing.lines import LINES_BY_CODE, Basis
from p9_platform.billing.money import (
    NANOPENCE_PER_PENNY,
    nanopence_to_pence,
    percent_of,
    rate_to_micro,
)
from p9_platform.clock import UK
from p9_platform.reads import Quality
from p9_platform.tariffs import TariffTables, decimal_rate

# VAT Notice 701/19: supplies of up to 33 kWh a day are de minimis, so they take the reduced
# rate of VAT and are excluded from the Climate Change Levy.
DE_MINIMIS_WH_PER_DAY = 33_000
VAT_STANDARD_PCT = Decimal("20")
VAT_REDUCED_PCT = Decimal("5")


@dataclasses.dataclass(frozen=True)
class BillRun:
    """Everything one billing month produced."""

    half_hourly: pd.DataFrame
    daily: pd.DataFrame
    lines: pd.DataFrame
    bills: pd.DataFrame
    exceptions: pd.DataFrame


def month_days(month_start: dt.date) -> pd.DatetimeIndex:
    """Return every settlement date in the calendar month starting ``month_start``."""
    start = pd.Timestamp(month_start)
    return pd.date_range(start, start + pd.offsets.MonthEnd(0), freq="D")


def live_supply_days(supply_points: pd.DataFrame, days: pd.DatetimeIndex) -> pd.DataFrame:
    """Return one row per meter and day its supply is live within ``days``."""
    grid = supply_points.merge(pd.DataFrame({"settlement_date": days}), how="cross")
    ends = grid["supply_end"].fillna(pd.Timestamp.max)
    live = (grid["supply_start"] <= grid["settlement_date"]) & (grid["settlement_date"] <= ends)
    return grid.loc[live].reset_index(drop=True)


def _in_force(frame: pd.DataFrame) -> pd.Series:
    return (frame["valid_from"] <= frame["settlement_date"]) & (
        frame["settlement_date"] <= frame["valid_to"]
    )


def _attach_effective(
    days: pd.DataFrame, table: pd.DataFrame, keys: list[str], label: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Join the row of ``table`` in force on each day; return joined days and uncovered days."""
    joined = days.merge(table, on=keys, how="left") if keys else days.merge(table, how="cross")
    covered = joined.loc[_in_force(joined)].drop(columns=["valid_from", "valid_to"])
    covered = covered.drop_duplicates(["meter_id", "settlement_date"])
    present = days.set_index(["meter_id", "settlement_date"]).index
    found = covered.set_index(["meter_id", "settlement_date"]).index
    missing = days.loc[~present.isin(found), ["meter_id", "settlement_date"]]
    describe = days.loc[missing.index].apply(lambda row: label.format(**row), axis=1)
    missing = missing.assign(tariff=describe.to_numpy() if len(missing) else [])
    return covered, missing


def price_days(days: pd.DataFrame, tables: TariffTables) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Attach the contract, DUoS and CCL rates in force to each live day.

    Returns the priced days and the days some tariff does not cover, each with the tariff named.
    Every tariff is checked against every live day, so one exception lists all that is missing.
    """
    contracts = tables.supply_contracts.drop(columns=["night_start_local", "night_end_local"])
    duos = tables.duos_charges.drop(columns=["source_file"])
    ccl = tables.ccl_rates.rename(columns={"rate_gbp_per_kwh": "ccl_gbp_per_kwh"})
    lookups: tuple[tuple[pd.DataFrame, list[str], str], ...] = (
        (contracts, ["contract_id"], "supply contract {contract_id}"),
        (duos, ["dno", "llfc"], "DUoS tariff for {dno} LLFC {llfc}"),
        (ccl, [], "Climate Change Levy rate"),
    )
    priced = days
    missing = []
    for table, keys, label in lookups:
        _, uncovered = _attach_effective(days, table, keys, label)
        priced, _ = _attach_effective(priced, table, keys, label)
        missing.append(uncovered)
    return priced, pd.concat(missing, ignore_index=True)


def describe_missing(missing: pd.DataFrame, month: str) -> pd.DataFrame:
    """Turn uncovered days into one exception per meter naming each missing tariff and days."""
    rows = []
    for meter_id, group in missing.groupby("meter_id", sort=True):
        parts = []
        for tariff, days in group.groupby("tariff", sort=True):
            first = days["settlement_date"].min().date()
            last = days["settlement_date"].max().date()
            parts.append(f"no {tariff} covers {len(days)} day(s) from {first} to {last}")
        rows.append({"meter_id": meter_id, "bill_month": month, "reason": "; ".join(parts)})
    return pd.DataFrame(rows, columns=["meter_id", "bill_month", "reason"])


def _micro(texts: pd.Series, scale: Decimal = Decimal(1)) -> pd.Series:
    """Convert decimal rate text to integer micro-pence; blank cells become NA (no charge)."""
    lookup = {}
    for text in texts.dropna().unique():
        rate = decimal_rate(text)
        lookup[text] = pd.NA if rate is None else rate_to_micro(rate * scale)
    return texts.map(lookup).astype("Int64")


def annotate_half_hours(
    reads: pd.DataFrame, priced_days: pd.DataFrame, tables: TariffTables
) -> pd.DataFrame:
    """Join each half hour with its day's rates, its DUoS time band and its day/night band."""
    frame = reads.merge(priced_days, on=["meter_id", "settlement_date"], how="inner")
    local = frame["interval_start_utc"].dt.tz_convert(UK)
    frame["slot_minute"] = (local.dt.hour * 60 + local.dt.minute).astype(np.int64)
    frame["day_type"] = np.where(frame["settlement_date"].dt.weekday >= 5, "weekend", "weekday")

    bands = tables.duos_time_bands
    frame = frame.merge(bands, on=["dno", "day_type", "slot_minute"], how="left")
    frame = frame.loc[_in_force(frame)].drop(columns=["valid_from", "valid_to"])

    start = frame["night_start_minute"]
    end = frame["night_end_minute"]
    slot = frame["slot_minute"]
    is_night = np.where(
        start <= end, (slot >= start) & (slot < end), (slot >= start) | (slot < end)
    )
    frame["is_night"] = is_night
    return frame.reset_index(drop=True)


def _unit_line_rates(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Return, per unit-rate line, the rate in micro-pence per kWh on each half hour (NA: none)."""
    day_rate = _micro(frame["day_rate_p_per_kwh"])
    night_rate = _micro(frame["night_rate_p_per_kwh"])
    rates = {
        "energy_day": day_rate.where(~frame["is_night"]),
        "energy_night": night_rate.where(frame["is_night"]),
        "ccl": _micro(frame["ccl_gbp_per_kwh"], Decimal(100)).where(~frame["is_de_minimis"]),
    }
    for band in ("red", "amber", "green"):
        band_rate = _micro(frame[f"{band}_p_per_kwh"])
        rates[f"duos_{band}"] = band_rate.where(frame["band"] == band)
    return rates


def half_hourly_lines(frame: pd.DataFrame, month: str) -> pd.DataFrame:
    """Price every half hour with energy on each unit-rate line, exactly in nanopence."""
    with_energy = frame.loc[frame["quality"] != Quality.MISSING].reset_index(drop=True)
    pieces = []
    for code, rate in _unit_line_rates(with_energy).items():
        charged = rate.notna()
        if not charged.any():
            continue
        part = with_energy.loc[
            charged,
            ["meter_id", "interval_start_utc", "settlement_date", "settlement_period", "energy_wh"],
        ].copy()
        part["line_code"] = code
        part["rate_micro"] = rate[charged].astype(np.int64).to_numpy()
        part["energy_wh"] = part["energy_wh"].astype(np.int64)
        part["amount_nanopence"] = part["energy_wh"] * part["rate_micro"]
        pieces.append(part)
    columns = [
        "meter_id",
        "interval_start_utc",
        "settlement_date",
        "settlement_period",
        "line_code",
        "energy_wh",
        "rate_micro",
        "amount_nanopence",
    ]
    if not pieces:
        return pd.DataFrame(columns=[*columns, "element", "bill_month"])
    lines = pd.concat(pieces, ignore_index=True).loc[:, columns]
    lines["element"] = lines["line_code"].map(lambda code: LINES_BY_CODE[code].element.value)
    lines["bill_month"] = month
    return lines.sort_values(["meter_id", "interval_start_utc", "line_code"], ignore_index=True)


def daily_lines(priced_days: pd.DataFrame, month: str) -> pd.DataFrame:
    """Price the day-based lines once per live supply day, exactly in nanopence."""
    pieces = []
    for code, column in (
        ("standing_charge", "standing_charge_p_per_day"),
        ("duos_fixed", "fixed_p_per_day"),
    ):
        rate = _micro(priced_days[column])
        charged = rate.notna()
        part = priced_days.loc[charged, ["meter_id", "settlement_date"]].copy()
        part["line_code"] = code
        part["rate_micro"] = rate[charged].astype(np.int64).to_numpy()
        part["amount_nanopence"] = part["rate_micro"] * (NANOPENCE_PER_PENNY // 10**6)
        pieces.append(part)
    lines = pd.concat(pieces, ignore_index=True)
    lines["element"] = lines["line_code"].map(lambda code: LINES_BY_CODE[code].element.value)
    lines["bill_month"] = month
    return lines.sort_values(["meter_id", "settlement_date", "line_code"], ignore_index=True)


def bill_lines(half_hourly: pd.DataFrame, daily: pd.DataFrame) -> pd.DataFrame:
    """Sum exact amounts per meter, line and rate, and round each bill line once to pence."""
    unit = half_hourly.groupby(["meter_id", "bill_month", "line_code", "rate_micro"]).agg(
        quantity_wh=("energy_wh", "sum"), amount_nanopence=("amount_nanopence", "sum")
    )
    unit["quantity"] = unit["quantity_wh"] / 1000.0
    days = daily.groupby(["meter_id", "bill_month", "line_code", "rate_micro"]).agg(
        quantity=("settlement_date", "count"), amount_nanopence=("amount_nanopence", "sum")
    )
    lines = pd.concat([unit.drop(columns="quantity_wh"), days]).reset_index()
    lines["description"] = lines["line_code"].map(lambda c: LINES_BY_CODE[c].description)
    lines["element"] = lines["line_code"].map(lambda c: LINES_BY_CODE[c].element.value)
    is_day = lines["line_code"].map(lambda c: LINES_BY_CODE[c].basis is Basis.DAY)
    lines["quantity_unit"] = np.where(is_day, "days", "kWh")
    lines["rate_p"] = lines["rate_micro"].map(lambda r: str(Decimal(int(r)) / 10**6))
    lines["rate_unit"] = np.where(is_day, "p/day", "p/kWh")
    lines["amount_pence"] = nanopence_to_pence(lines["amount_nanopence"].to_numpy())
    order = {line: i for i, line in enumerate(LINES_BY_CODE)}
    lines = lines.sort_values(
        ["meter_id", "line_code", "rate_micro"],
        key=lambda s: s.map(order) if s.name == "line_code" else s,
    )
    columns = [
        "meter_id",
        "bill_month",
        "line_code",
        "description",
        "element",
        "quantity",
        "quantity_unit",
        "rate_p",
        "rate_unit",
        "amount_nanopence",
        "amount_pence",
    ]
    return lines.loc[:, columns].reset_index(drop=True)


def summarise_bills(
    lines: pd.DataFrame, month_reads: pd.DataFrame, live: pd.DataFrame, de_minimis: pd.Series
) -> pd.DataFrame:
    """Total each meter's bill lines, add VAT at the rate its use qualifies for."""
    rows = []
    for meter_id, meter_lines in lines.groupby("meter_id", sort=True):
        reads = month_reads.loc[month_reads["meter_id"] == meter_id]
        net = int(meter_lines["amount_pence"].sum())
        reduced = bool(de_minimis.get(meter_id, False))
        vat_pct = VAT_REDUCED_PCT if reduced else VAT_STANDARD_PCT
        vat = percent_of(net, vat_pct)
        rows.append(
            {
                "meter_id": meter_id,
                "bill_month": meter_lines["bill_month"].iloc[0],
                "live_days": int((live["meter_id"] == meter_id).sum()),
                "kwh": float(reads["energy_wh"].sum()) / 1000.0,
                "half_hours": len(reads),
                "missing_half_hours": int((reads["quality"] == Quality.MISSING).sum()),
                "estimated_half_hours": int((reads["quality"] == Quality.ESTIMATED).sum()),
                "settlement_runs": ",".join(sorted(reads["settlement_run"].dropna().unique())),
                "net_pence": net,
                "vat_rate_pct": float(vat_pct),
                "vat_basis": "de minimis (33 kWh a day or less)" if reduced else "standard",
                "vat_pence": vat,
                "total_pence": net + vat,
            }
        )
    return pd.DataFrame(rows)


def bill_month(reads: pd.DataFrame, tables: TariffTables, month_start: dt.date) -> BillRun:
    """Bill every supply point live in the month starting ``month_start``.

    ``reads`` are the settled (best view) half-hour reads; rows outside the month are ignored.
    """
    month = f"{month_start:%Y-%m}"
    days = month_days(month_start)
    live = live_supply_days(tables.supply_points, days)
    month_reads = reads.loc[reads["settlement_date"].isin(days)]
    month_reads = month_reads.merge(
        live[["meter_id", "settlement_date"]], on=["meter_id", "settlement_date"], how="inner"
    )

    metered = set(month_reads.loc[month_reads["quality"] != Quality.MISSING, "meter_id"])
    unread = sorted(set(live["meter_id"]) - metered)
    exceptions = [
        pd.DataFrame(
            {
                "meter_id": unread,
                "bill_month": month,
                "reason": f"no half-hour reads with energy in {month}",
            }
        )
    ]
    live = live.loc[live["meter_id"].isin(metered)]

    priced_days, missing = price_days(live, tables)
    exceptions.append(describe_missing(missing, month))
    billable = sorted(metered - set(missing["meter_id"]))
    priced_days = priced_days.loc[priced_days["meter_id"].isin(billable)]
    month_reads = month_reads.loc[month_reads["meter_id"].isin(billable)]

    used_wh = month_reads.groupby("meter_id")["energy_wh"].sum()
    live_count = priced_days.groupby("meter_id").size()
    de_minimis = used_wh.astype(np.int64) <= DE_MINIMIS_WH_PER_DAY * live_count.reindex(
        used_wh.index
    )
    priced_days = priced_days.assign(
        is_de_minimis=priced_days["meter_id"].map(de_minimis).fillna(False).astype(bool)
    )

    frame = annotate_half_hours(month_reads, priced_days, tables)
    half_hourly = half_hourly_lines(frame, month)
    daily = daily_lines(priced_days, month)
    lines = bill_lines(half_hourly, daily) if billable else bill_lines(half_hourly, daily).iloc[:0]
    bills = summarise_bills(lines, month_reads, priced_days, de_minimis)
    all_exceptions = pd.concat(exceptions, ignore_index=True)
    return BillRun(half_hourly, daily, lines, bills, all_exceptions)
