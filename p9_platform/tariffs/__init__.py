"""Tariff tables: network (DUoS) charges and time bands, supply contracts and tax rates.

Every table is effective-dated with inclusive ``valid_from``/``valid_to`` settlement dates. Rates
are kept as exact decimal text from the published source and turned into integers only when a
bill is priced, so no rate ever passes through binary floating point.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

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


@dataclasses.dataclass(frozen=True)
class TariffTables:
    """All rate tables a bill needs, as loaded for one run."""

    duos_charges: pd.DataFrame
    duos_time_bands: pd.DataFrame
    supply_contracts: pd.DataFrame
    supply_points: pd.DataFrame
    ccl_rates: pd.DataFrame


def _dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, format="%Y-%m-%d")


def _split_llfcs(text: str) -> list[str]:
    return [part.strip() for part in str(text).split(",") if part.strip()]


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


def _minutes(clock: pd.Series) -> pd.Series:
    parts = clock.str.split(":", expand=True).astype(int)
    return parts[0] * 60 + parts[1]


def load_duos_time_bands(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Load DUoS time bands (UK clock time) expanded to one row per half-hour slot.

    ``slot_minute`` is the local start of the half hour in minutes after midnight. A test keeps
    each (DNO, year, day type) covering all 48 slots exactly once.
    """
    bands = pd.read_csv(reference_dir / "duos" / "duos_time_bands.csv", dtype=str)
    bands["valid_from"] = _dates(bands["valid_from"])
    bands["valid_to"] = _dates(bands["valid_to"])
    start = _minutes(bands["start_local"])
    end = _minutes(bands["end_local"])
    bands["slot_minute"] = [list(range(s, e, 30)) for s, e in zip(start, end, strict=True)]
    slots = bands.explode("slot_minute")
    slots["slot_minute"] = slots["slot_minute"].astype(np.int64)
    columns = ["dno", "valid_from", "valid_to", "day_type", "slot_minute", "band"]
    return slots.loc[:, columns].reset_index(drop=True)


def load_supply_contracts(path: Path) -> pd.DataFrame:
    """Load supply contracts: day/night energy unit rates and a standing charge."""
    contracts = pd.read_csv(path, dtype=str)
    contracts["valid_from"] = _dates(contracts["valid_from"])
    contracts["valid_to"] = _dates(contracts["valid_to"])
    contracts["night_start_minute"] = _minutes(contracts["night_start_local"])
    contracts["night_end_minute"] = _minutes(contracts["night_end_local"])
    return contracts


def load_supply_points(path: Path) -> pd.DataFrame:
    """Load supply points: which DNO, LLFC and contract each meter is billed on, and when."""
    points = pd.read_csv(path, dtype=str, keep_default_na=False)
    points["supply_start"] = _dates(points["supply_start"])
    points["supply_end"] = pd.to_datetime(points["supply_end"].replace("", None), format="%Y-%m-%d")
    return points


def load_ccl_rates(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Load Climate Change Levy main rates on electricity (GBP per kWh) by fiscal year."""
    rates = pd.read_csv(reference_dir / "levies" / "ccl_rates.csv", dtype=str)
    rates["valid_from"] = _dates(rates["valid_from"])
    rates["valid_to"] = _dates(rates["valid_to"])
    return rates


def load_tariff_tables(
    reference_dir: Path = REFERENCE_DIR, contracts_dir: Path = DEMO_DIR
) -> TariffTables:
    """Load every tariff table from the files the project ships."""
    return TariffTables(
        duos_charges=load_duos_charges(reference_dir),
        duos_time_bands=load_duos_time_bands(reference_dir),
        supply_contracts=load_supply_contracts(contracts_dir / "supply_contracts.csv"),
        supply_points=load_supply_points(contracts_dir / "supply_points.csv"),
        ccl_rates=load_ccl_rates(reference_dir),
    )


def decimal_rate(text: str) -> Decimal | None:
    """Parse a published rate; a blank cell is None (no such charge)."""
    cleaned = str(text).strip()
    return Decimal(cleaned) if cleaned and cleaned.lower() != "nan" else None


def covering_row(table: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """Return the rows of an effective-dated table in force on ``day``."""
    stamp = pd.Timestamp(day)
    return table[(table["valid_from"] <= stamp) & (table["valid_to"] >= stamp)]
