"""The shipped tariff tables: they load, cover what the demo meters need, and stay exact."""

from __future__ import annotations

import dataclasses

import duckdb
import pandas as pd
import pytest

from p9_platform.schemas.tariffs import (
    TARIFF_DUOS_CHARGES,
    TARIFF_LEVY_RATES,
    TARIFF_LINE_LOSS_FACTORS,
)
from p9_platform.tariffs import REFERENCE_DIR, TariffTables, load_tariff_tables
from p9_platform.tariffs.llf import read_d0265, scale_factor


@pytest.fixture(scope="module")
def tables() -> TariffTables:
    return load_tariff_tables()


def test_d0265_trailer_mismatch_detected():
    # The shipped cut keeps the published trailer (2969079 lines) over 17889 lines.
    parsed = read_d0265(REFERENCE_DIR / "llf" / "llflond20260401_cut.ptf")
    assert parsed.trailer_line_count == 2969079
    assert parsed.line_count == 17889
    assert not parsed.trailer_matches


def test_d0265_clock_change_days():
    factors = read_d0265(REFERENCE_DIR / "llf" / "llfsweb20250401_cut.ptf").factors
    lv_site = factors.loc[factors["llfc"] == "570"]
    per_day = lv_site.groupby("settlement_date").size()
    assert per_day[pd.Timestamp("2025-10-26")] == 50
    assert per_day[pd.Timestamp("2026-03-29")] == 46
    assert len(per_day) == 365


def test_london_llfc_199_covers_the_demo_year(tables):
    llf = tables.line_loss_factors
    demo = llf.loc[(llf["dno"] == "LOND") & (llf["llfc"] == "199")]
    assert demo["settlement_date"].min() == pd.Timestamp("2026-04-01")
    assert demo["settlement_date"].max() == pd.Timestamp("2027-03-31")
    # 1.097 on the published file scales to 10970000 (10^-7 units).
    assert set(demo.loc[demo["llf"] == "1.097", "llf_scaled"]) == {10_970_000}


def test_scale_factor_rejects_finer_values():
    assert scale_factor("1.0083893") == 10_083_893
    with pytest.raises(ValueError):
        scale_factor("1.00838931")


def test_time_bands_cover_every_slot_once(tables):
    counts = tables.duos_time_bands.groupby(["dno", "valid_from", "day_type"]).size()
    assert (counts == 48).all()
    unique = tables.duos_time_bands.drop_duplicates(
        ["dno", "valid_from", "day_type", "slot_minute"]
    )
    assert len(unique) == len(tables.duos_time_bands)


def test_levy_units_scaled_to_micro_pence(tables):
    levies = tables.levy_rates.set_index(["line_code", "valid_from"])["rate_micro"]
    # BSUoS 13.74 GBP/MWh = 1.374 p/kWh; CCL 0.00801 GBP/kWh = 0.801 p/kWh;
    # RO 0.03306058 GBP/kWh = 3.306058 p/kWh.
    assert levies[("bsuos", pd.Timestamp("2026-04-01"))] == 1_374_000
    assert levies[("ccl", pd.Timestamp("2026-04-01"))] == 801_000
    assert levies[("ro", pd.Timestamp("2025-04-01"))] == 3_306_058


def test_demo_contract_expands_to_day_and_night(tables):
    rates = tables.contract_unit_rates
    assert len(rates) == 96
    night = rates.loc[rates["band"] == "night", "slot_minute"]
    # 00:30 to 07:30 is 14 slots on each of the two day types.
    assert len(night) == 28
    assert night.min() == 30
    assert night.max() == 420


def test_demo_points_on_london_199(tables):
    points = tables.supply_points
    assert set(points["llfc"]) == {"199"}
    assert set(points["dno"]) == {"LOND"}
    assert set(points["contract_id"]) == {"P9-FIXED-2026"}


def test_schemas_accept_shipped_tables(tables):
    TARIFF_DUOS_CHARGES.validate(tables.duos_charges)
    TARIFF_LINE_LOSS_FACTORS.validate(tables.line_loss_factors)
    TARIFF_LEVY_RATES.validate(tables.levy_rates)


def test_tables_round_trip_duckdb(tables):
    with duckdb.connect() as connection:
        back = {}
        for field in dataclasses.fields(tables):
            frame = getattr(tables, field.name)  # noqa: F841 - read by DuckDB's scan
            back[field.name] = connection.execute("SELECT * FROM frame").df()
    restored = TariffTables(**back)
    for field in dataclasses.fields(tables):
        original = getattr(tables, field.name)
        assert list(getattr(restored, field.name).columns) == list(original.columns)
        assert len(getattr(restored, field.name)) == len(original)
