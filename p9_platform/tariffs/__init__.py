"""Tariff tables: network charges, loss factors, levies, taxes and supply contracts.

Every rate table is effective-dated with inclusive ``valid_from``/``valid_to`` settlement dates,
so a rate that changes mid-month applies from its own day. Published rates are kept as exact
decimal text and, where the engine needs them, as integers of micro-pence (see
:mod:`p9_platform.billing.money`), so no rate passes through binary floating point. Every field
of :class:`TariffTables` is a DataFrame of str, int, float and datetime64 columns, so it can be
stored in DuckDB and read back unchanged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from p9_platform.billing.money import FACTOR_SCALE, rate_to_micro
from p9_platform.tariffs.llf import LLF_COLUMNS, read_d0265

LOGGER = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REFERENCE_DIR = PROJECT_ROOT / "data" / "reference"
DEMO_DIR = PROJECT_ROOT / "data" / "demo"

DUOS_RATE_COLUMNS = {
    "red_black_p_per_kwh": "red_p_per_kwh",
    "amber_yellow_p_per_kwh": "amber_p_per_kwh",
    "green_p_per_kwh": "green_p_per_kwh",
    "fixed_p_per_mpan_per_day": "fixed_p_per_day",
    "capacity_p_per_kva_per_day": "capacity_p_per_kva_per_day",
    "exceeded_capacity_p_per_kva_per_day": "excess_capacity_p_per_kva_per_day",
    "reactive_p_per_kvarh": "reactive_p_per_kvarh",
}

# Published units of levy rates and the factor that turns each into pence per kWh or per day.
LEVY_UNITS_TO_PENCE = {
    "GBP/MWh": Decimal("0.1"),
    "GBP/kWh": Decimal(100),
    "p/kWh": Decimal(1),
    "GBP/day": Decimal(100),
    "p/day": Decimal(1),
}

TLM_COLUMNS = ["gsp_group", "settlement_date", "settlement_period", "tlm", "tlm_scaled"]
WHOLESALE_COLUMNS = ["settlement_date", "settlement_period", "price_gbp_per_mwh", "rate_micro"]


@dataclasses.dataclass(frozen=True)
class TariffTables:
    """All rate tables a bill needs, as loaded for one run.

    ``duos_charges``: one row per DNO, charging year and LLFC, rates as published text.
    ``duos_time_bands``: one row per DNO, year, day type and local half-hour slot, with its band.
    ``supply_contracts``: one row per contract version: pricing, standing charge, margin.
    ``contract_unit_rates``: one row per contract version, day type and local half-hour slot,
    with the energy band and its unit rate (day/night contracts expand to two bands).
    ``supply_points``: one row per meter: DNO, LLFC, GSP group, contract, capacity, supply dates.
    ``line_loss_factors``: one row per DNO, LLFC, settlement date and period (D0265).
    ``transmission_loss_multipliers``: one row per GSP group, settlement date and period.
    ``levy_rates``: one row per levy line, band and validity period, in micro-pence.
    ``wholesale_prices``: one row per settlement date and period, for pass-through contracts.
    ``vat_rates``: one row per validity period: standard and reduced rate, de minimis limit.
    """

    duos_charges: pd.DataFrame
    duos_time_bands: pd.DataFrame
    supply_contracts: pd.DataFrame
    contract_unit_rates: pd.DataFrame
    supply_points: pd.DataFrame
    line_loss_factors: pd.DataFrame
    transmission_loss_multipliers: pd.DataFrame
    levy_rates: pd.DataFrame
    wholesale_prices: pd.DataFrame
    vat_rates: pd.DataFrame


def _dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, format="%Y-%m-%d").astype("datetime64[ns]")


def _split_llfcs(text: str) -> list[str]:
    return [part.strip() for part in str(text).split(",") if part.strip()]


def _minutes(clock: pd.Series) -> pd.Series:
    parts = clock.str.split(":", expand=True).astype(int)
    return parts[0] * 60 + parts[1]


def _slots(frame: pd.DataFrame) -> pd.DataFrame:
    """Expand rows with ``start_local``/``end_local`` (UK clock time) into one row per slot.

    ``slot_minute`` is the local start of a half hour in minutes after midnight.
    """
    start = _minutes(frame["start_local"])
    end = _minutes(frame["end_local"])
    expanded = frame.assign(
        slot_minute=[list(range(s, e, 30)) for s, e in zip(start, end, strict=True)]
    )
    expanded = expanded.explode("slot_minute")
    expanded["slot_minute"] = expanded["slot_minute"].astype(np.int64)
    return expanded.drop(columns=["start_local", "end_local"]).reset_index(drop=True)


def decimal_rate(text: str) -> Decimal | None:
    """Parse a published rate; a blank cell is None (no such charge)."""
    cleaned = str(text).strip()
    return Decimal(cleaned) if cleaned and cleaned.lower() not in {"nan", "none"} else None


def load_duos_charges(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Load every DNO's Annex 1 LV/HV charges, one row per DNO, year and open LLFC.

    Blank cells stay empty text: a blank rate means the tariff has no such charge, which is
    not the same as a published zero.
    """
    duos_dir = reference_dir / "duos"
    index = pd.read_csv(duos_dir / "duos_tariff_files.csv", dtype=str)
    frames = []
    for row in index.itertuples(index=False):
        charges = pd.read_csv(duos_dir / row.charges_file, dtype=str, keep_default_na=False)
        charges = charges.rename(columns=DUOS_RATE_COLUMNS)
        charges["llfc"] = charges["open_llfcs"].map(_split_llfcs)
        charges = charges.explode("llfc").dropna(subset=["llfc"])
        charges["dno"] = row.dno
        charges["valid_from"] = row.valid_from
        charges["valid_to"] = row.valid_to
        charges["source_file"] = row.charges_file
        frames.append(charges)
    table = pd.concat(frames, ignore_index=True)
    table["valid_from"] = _dates(table["valid_from"])
    table["valid_to"] = _dates(table["valid_to"])
    keep = ["dno", "llfc", "tariff_name", "valid_from", "valid_to", *DUOS_RATE_COLUMNS.values()]
    return table.loc[:, [*keep, "source_file"]].reset_index(drop=True)


def load_duos_time_bands(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Load DUoS time bands (UK clock time) expanded to one row per half-hour slot.

    Each (DNO, year, day type) should cover all 48 slots exactly once. The tariff tests check
    the shipped file, and a slot left uncovered becomes a missing-tariff exception when billed.
    A seasonal rule is a second set of rows valid only for the season's days, listed after the
    year's rows: on those days it replaces them.
    """
    bands = pd.read_csv(reference_dir / "duos" / "duos_time_bands.csv", dtype=str)
    bands["valid_from"] = _dates(bands["valid_from"])
    bands["valid_to"] = _dates(bands["valid_to"])
    slots = _slots(bands)
    columns = ["dno", "valid_from", "valid_to", "day_type", "slot_minute", "band"]
    return slots.loc[:, columns]


def load_supply_contracts(path: Path) -> pd.DataFrame:
    """Load supply contracts, one row per contract version.

    ``pricing`` is ``fixed`` (unit rates by band) or ``pass_through`` (half-hourly wholesale
    price plus ``margin_p_per_kwh``). A missing ``pricing`` column means ``fixed``.
    """
    contracts = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "pricing" not in contracts:
        contracts["pricing"] = "fixed"
    if "margin_p_per_kwh" not in contracts:
        contracts["margin_p_per_kwh"] = ""
    contracts["valid_from"] = _dates(contracts["valid_from"])
    contracts["valid_to"] = _dates(contracts["valid_to"])
    unknown = set(contracts["pricing"]) - {"fixed", "pass_through"}
    if unknown:
        raise ValueError(f"{path}: unknown pricing {sorted(unknown)}; use fixed or pass_through")
    return contracts


def contract_unit_rates(contracts: pd.DataFrame, time_of_use: pd.DataFrame) -> pd.DataFrame:
    """Build the energy unit rate of every contract version, day type and local slot.

    A fixed contract with ``day_rate_p_per_kwh`` and ``night_rate_p_per_kwh`` gets a night band
    from ``night_start_local`` to ``night_end_local`` (which may wrap past midnight) and a day
    band elsewhere, on every day type. Rows of ``time_of_use`` (contract_id, valid_from,
    valid_to, day_type, band, start_local, end_local, rate_p_per_kwh) add time-of-use bands.
    """
    rows = []
    columns = ["contract_id", "valid_from", "valid_to"]
    day_night = contracts.loc[contracts.get("day_rate_p_per_kwh", pd.Series(dtype=str)) != ""]
    for row in day_night.to_dict("records"):
        night = set(_wrapped_slots(row["night_start_local"], row["night_end_local"]))
        for day_type in ("weekday", "weekend"):
            for slot in range(0, 24 * 60, 30):
                band = "night" if slot in night else "day"
                rows.append(
                    {
                        **{key: row[key] for key in columns},
                        "day_type": day_type,
                        "slot_minute": slot,
                        "band": band,
                        "rate_p_per_kwh": row[f"{band}_rate_p_per_kwh"],
                    }
                )
    frame = pd.DataFrame(
        rows, columns=[*columns, "day_type", "slot_minute", "band", "rate_p_per_kwh"]
    )
    if len(time_of_use):
        tou = time_of_use.assign(
            valid_from=_dates(time_of_use["valid_from"]), valid_to=_dates(time_of_use["valid_to"])
        )
        frame = pd.concat([frame, _slots(tou).loc[:, frame.columns]], ignore_index=True)
    frame["slot_minute"] = frame["slot_minute"].astype(np.int64)
    frame["rate_micro"] = [rate_to_micro(Decimal(text)) for text in frame["rate_p_per_kwh"]]
    frame["rate_micro"] = frame["rate_micro"].astype(np.int64)
    frame["valid_from"] = frame["valid_from"].astype("datetime64[ns]")
    frame["valid_to"] = frame["valid_to"].astype("datetime64[ns]")
    return frame


def _wrapped_slots(start_local: str, end_local: str) -> list[int]:
    start, end = (_minutes(pd.Series([start_local, end_local]))).tolist()
    if start <= end:
        return list(range(start, end, 30))
    return list(range(start, 24 * 60, 30)) + list(range(0, end, 30))


def load_supply_points(path: Path) -> pd.DataFrame:
    """Load supply points: DNO, LLFC, GSP group, contract, agreed capacity and supply dates.

    ``capacity_kva`` is the agreed import capacity in whole kVA, 0 where none is agreed.
    ``tnuos_band`` is the transmission demand residual band, blank where not yet assigned.
    """
    points = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in ("gsp_group", "tnuos_band"):
        if column not in points:
            points[column] = ""
    if "capacity_kva" not in points:
        points["capacity_kva"] = "0"
    points["capacity_kva"] = points["capacity_kva"].replace("", "0").astype(np.int64)
    points["supply_start"] = _dates(points["supply_start"])
    points["supply_end"] = pd.to_datetime(
        points["supply_end"].replace("", None), format="%Y-%m-%d"
    ).astype("datetime64[ns]")
    return points


def load_line_loss_factors(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Load every D0265 file under ``llf/``: one row per DNO, LLFC, settlement date and period.

    The shipped files are cuts of the published ones and keep the original trailer, so a
    trailer mismatch is logged, not raised.
    """
    frames = []
    for path in sorted((reference_dir / "llf").glob("*.ptf")):
        parsed = read_d0265(path)
        if not parsed.trailer_matches:
            LOGGER.info(
                "D0265 %s: trailer states %s lines, file has %s (a cut of the published file)",
                path.name,
                parsed.trailer_line_count,
                parsed.line_count,
            )
        frames.append(parsed.factors)
    if not frames:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in LLF_COLUMNS})
    return pd.concat(frames, ignore_index=True)


def load_transmission_loss_multipliers(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Load TLMs (columns of :data:`TLM_COLUMNS`) from ``tlm/tlm.csv`` when it is shipped.

    No openly licensed TLM file for the current years is shipped, so the table is usually
    empty and lines on nbp volume are reported as not published.
    """
    path = reference_dir / "tlm" / "tlm.csv"
    if not path.exists():
        return _empty_tlm()
    tlm = pd.read_csv(path, dtype=str)
    tlm["settlement_date"] = _dates(tlm["settlement_date"])
    tlm["settlement_period"] = tlm["settlement_period"].astype(np.int64)
    tlm["tlm_scaled"] = [_scale_tlm(text) for text in tlm["tlm"]]
    tlm["tlm_scaled"] = tlm["tlm_scaled"].astype(np.int64)
    return tlm.loc[:, TLM_COLUMNS]


def _scale_tlm(text: str) -> int:
    scaled = Decimal(text) * FACTOR_SCALE
    if scaled != scaled.to_integral_value():
        raise ValueError(f"transmission loss multiplier {text} has more than 7 decimal places")
    return int(scaled)


def _empty_tlm() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "gsp_group": pd.Series(dtype=str),
            "settlement_date": pd.Series(dtype="datetime64[ns]"),
            "settlement_period": pd.Series(dtype=np.int64),
            "tlm": pd.Series(dtype=str),
            "tlm_scaled": pd.Series(dtype=np.int64),
        }
    )


def load_levy_rates(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Load levy and tax rates by line, band and validity period, scaled to micro-pence.

    ``rate_micro`` is micro-pence per kWh for unit levies and per day for daily ones. The
    published ``rate`` and ``unit`` are kept beside it for the bill and the audit trail.
    """
    levies = pd.read_csv(
        reference_dir / "levies" / "levy_rates.csv", dtype=str, keep_default_na=False
    )
    levies["valid_from"] = _dates(levies["valid_from"])
    levies["valid_to"] = _dates(levies["valid_to"])
    unknown = set(levies["unit"]) - set(LEVY_UNITS_TO_PENCE)
    if unknown:
        raise ValueError(f"levy_rates.csv: unknown units {sorted(unknown)}")
    levies["rate_micro"] = [
        rate_to_micro(Decimal(rate) * LEVY_UNITS_TO_PENCE[unit])
        for rate, unit in zip(levies["rate"], levies["unit"], strict=True)
    ]
    levies["rate_micro"] = levies["rate_micro"].astype(np.int64)
    return levies


def load_wholesale_prices(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Load half-hourly wholesale prices (GBP/MWh) for pass-through contracts, if shipped."""
    path = reference_dir / "wholesale" / "wholesale_prices.csv"
    if not path.exists():
        return pd.DataFrame(
            {
                "settlement_date": pd.Series(dtype="datetime64[ns]"),
                "settlement_period": pd.Series(dtype=np.int64),
                "price_gbp_per_mwh": pd.Series(dtype=str),
                "rate_micro": pd.Series(dtype=np.int64),
            }
        )
    prices = pd.read_csv(path, dtype=str)
    prices["settlement_date"] = _dates(prices["settlement_date"])
    prices["settlement_period"] = prices["settlement_period"].astype(np.int64)
    prices["rate_micro"] = [
        rate_to_micro(Decimal(text) * LEVY_UNITS_TO_PENCE["GBP/MWh"])
        for text in prices["price_gbp_per_mwh"]
    ]
    prices["rate_micro"] = prices["rate_micro"].astype(np.int64)
    return prices.loc[:, WHOLESALE_COLUMNS]


def load_vat_rates(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Load VAT rates on electricity: standard and reduced percent and the de minimis limit."""
    vat = pd.read_csv(reference_dir / "levies" / "vat_rates.csv", dtype=str)
    vat["valid_from"] = _dates(vat["valid_from"])
    vat["valid_to"] = _dates(vat["valid_to"])
    return vat


def load_tariff_tables(
    reference_dir: Path = REFERENCE_DIR, contracts_dir: Path = DEMO_DIR
) -> TariffTables:
    """Load every tariff table from the files the project ships."""
    contracts = load_supply_contracts(contracts_dir / "supply_contracts.csv")
    tou_path = contracts_dir / "contract_time_of_use.csv"
    time_of_use = pd.read_csv(tou_path, dtype=str) if tou_path.exists() else pd.DataFrame()
    return TariffTables(
        duos_charges=load_duos_charges(reference_dir),
        duos_time_bands=load_duos_time_bands(reference_dir),
        supply_contracts=contracts,
        contract_unit_rates=contract_unit_rates(contracts, time_of_use),
        supply_points=load_supply_points(contracts_dir / "supply_points.csv"),
        line_loss_factors=load_line_loss_factors(reference_dir),
        transmission_loss_multipliers=load_transmission_loss_multipliers(reference_dir),
        levy_rates=load_levy_rates(reference_dir),
        wholesale_prices=load_wholesale_prices(reference_dir),
        vat_rates=load_vat_rates(reference_dir),
    )


def covering_rows(table: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """Return the rows of an effective-dated table in force on ``day``."""
    stamp = pd.Timestamp(day)
    return table[(table["valid_from"] <= stamp) & (table["valid_to"] >= stamp)]
