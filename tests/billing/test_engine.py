"""Hand-worked bills on the test tariff of conftest.py.

Every expected amount is worked in the comments from the tariff and the reads, never taken
from the engine's output. June 2026 starts on a Monday: 22 weekdays and 8 weekend days.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from p9_platform.billing.engine import BillRun, annual_totals, bill_month
from p9_platform.billing.money import NANOPENCE_PER_PENNY
from p9_platform.billing.pricing import ELEMENT_COLUMNS, NOT_PUBLISHED

from .conftest import CONTRACTS, flat_reads


def amounts(run: BillRun, meter_id: str) -> dict[tuple[str, str], int]:
    """Return priced pence by (line code, rate) for one meter."""
    lines = run.lines.loc[(run.lines["meter_id"] == meter_id) & run.lines["priced"]]
    return {(row.line_code, row.rate_p): int(row.amount_pence) for row in lines.itertuples()}


def pence(run: BillRun, meter_id: str, code: str) -> int:
    lines = run.lines.loc[(run.lines["meter_id"] == meter_id) & (run.lines["line_code"] == code)]
    return int(lines["amount_pence"].sum())


@pytest.fixture
def june(make_tables) -> BillRun:
    tables = make_tables(("A", "2026-01-01"))
    reads = flat_reads("A", dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    return bill_month(reads, tables, dt.date(2026, 6, 1))


def test_energy_rate_change_mid_month(june):
    # 1 kWh a period. Night 00:30-07:30 is 14 periods, day 34, every day.
    # Day 1-15 June: 15 x 34 = 510 kWh at 20 p = 10200 p; 16-30 June 510 kWh at 22 p = 11220 p.
    # Night: 30 x 14 = 420 kWh at 10 p = 4200 p.
    got = amounts(june, "A")
    assert got[("energy", "20")] == 10200
    assert got[("energy", "22")] == 11220
    assert got[("energy", "10")] == 4200


def test_standing_and_fixed_charges_per_day(june):
    # 30 live days: 30 x 30 p = 900 p standing; 30 x 5.5 p = 165 p DUoS fixed.
    assert pence(june, "A", "standing_charge") == 900
    assert pence(june, "A", "duos_fixed") == 165


def test_duos_time_bands(june):
    # Weekday: red 17-19 is 4 periods, amber 07-17 and 19-23 is 28, green 16; weekend green 48.
    # Red 22 x 4 = 88 kWh x 10 p = 880 p; amber 22 x 28 = 616 kWh x 2 p = 1232 p;
    # green 22 x 16 + 8 x 48 = 736 kWh x 1 p = 736 p.
    assert pence(june, "A", "duos_red") == 880
    assert pence(june, "A", "duos_amber") == 1232
    assert pence(june, "A", "duos_green") == 736


def test_levies_on_each_volume_basis(june):
    # Metered 1440 kWh; gsp = 1.05 x 1440 = 1512 kWh; nbp = 1.01 x 1512 = 1527.12 kWh.
    # RO 2 p x 1440 = 2880 p. AAHEDC 0.05 p x 1512 = 75.6 p -> 76 p.
    # BSUoS 10 GBP/MWh = 1 p/kWh x 1527.12 = 1527.12 p -> 1527 p. CCL 0.6 p x 1440 = 864 p.
    assert pence(june, "A", "ro") == 2880
    assert pence(june, "A", "aahedc") == 76
    assert pence(june, "A", "bsuos") == 1527
    assert pence(june, "A", "ccl") == 864
    quantities = june.lines.set_index("line_code")["quantity"]
    assert quantities["aahedc"] == pytest.approx(1512.0)
    assert quantities["bsuos"] == pytest.approx(1527.12)


def test_bill_total_and_vat(june):
    # Net: 10200 + 11220 + 4200 + 900 + 880 + 1232 + 736 + 165 + 2880 + 76 + 1527 + 864
    # = 34880 p. 48 kWh a day is above 33, so VAT is 20%: 6976 p; total 41856 p.
    bill = june.bills.set_index("meter_id").loc["A"]
    assert bill["net_pence"] == 34880
    assert bill["vat_rate_pct"] == 20.0
    assert bill["vat_pence"] == 6976
    assert bill["total_pence"] == 41856


def test_unpublished_levies_listed_not_charged(june):
    lines = june.lines.set_index("line_code")
    for code in ("fit", "cfd_interim_levy", "cm_supplier", "elexon", "tnuos_residual"):
        assert not lines.loc[code, "priced"]
        assert lines.loc[code, "note"] == NOT_PUBLISHED
        assert lines.loc[code, "amount_pence"] == 0
    assert june.exceptions.empty


def test_monthly_lines_equal_half_hour_sums(june):
    half_hours = june.half_hourly
    assert len(half_hours) == 30 * 48
    lines = june.lines
    for element, column in ELEMENT_COLUMNS.items():
        by_lines = int(lines.loc[lines["element"] == element.value, "amount_nanopence"].sum())
        assert int(half_hours[column].sum()) == by_lines, element
    total = int(half_hours["total_nanopence"].sum())
    assert total == int(lines["amount_nanopence"].sum())
    # Every line's nanopence round to its pence, so the rounded half-hour total is the net
    # within half a penny per line.
    assert abs(total / NANOPENCE_PER_PENNY - june.bills["net_pence"].iloc[0]) <= 0.5 * len(lines)


def test_half_hour_unit_cost(june):
    # 1 June 00:00-00:30 local is a day-rate green weekday period: energy 20 p + DUoS green 1 p
    # + RO 2 p + AAHEDC 0.0525 p + BSUoS 1.0605 p + CCL 0.6 p = 24.713 p of unit charges,
    # plus that period's share of 30 p standing and 5.5 p fixed (35.5 p / 48 = 0.7395833 p).
    first = june.half_hourly.iloc[0]
    assert first["settlement_period"] == 1
    assert first["total_nanopence"] / NANOPENCE_PER_PENNY == pytest.approx(24.713 + 35.5 / 48)
    assert first["unit_cost_p_per_kwh"] == pytest.approx(24.713 + 35.5 / 48)


def test_seasonal_time_bands(make_tables):
    # December 2026 has 23 weekdays and 8 weekend days, and its season puts red at 16:00-19:00:
    # red 23 x 6 = 138 kWh x 10 p = 1380 p; amber 23 x 26 = 598 kWh x 2 p = 1196 p;
    # green 23 x 16 + 8 x 48 = 752 kWh x 1 p = 752 p.
    tables = make_tables(("A", "2026-01-01"))
    reads = flat_reads("A", dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    run = bill_month(reads, tables, dt.date(2026, 12, 1))
    assert pence(run, "A", "duos_red") == 1380
    assert pence(run, "A", "duos_amber") == 1196
    assert pence(run, "A", "duos_green") == 752


def test_leap_year_february(make_tables):
    # February 2028 has 29 days: standing 29 x 30 = 870 p; fixed 29 x 5.5 = 159.5 p, a tie
    # rounded half up to 160 p; 29 x 48 = 1392 kWh.
    tables = make_tables(("A", "2026-01-01"))
    reads = flat_reads("A", dt.date(2028, 2, 1), dt.date(2028, 2, 29))
    run = bill_month(reads, tables, dt.date(2028, 2, 1))
    assert pence(run, "A", "standing_charge") == 870
    assert pence(run, "A", "duos_fixed") == 160
    assert run.bills["kwh"].iloc[0] == 1392.0
    assert run.bills["live_days"].iloc[0] == 29


def test_autumn_clock_change_month(make_tables):
    # 25 October 2026 has 50 periods; local 01:00 and 01:30 happen twice, both at night, so
    # that day has 16 night and 34 day periods. Night 30 x 14 + 16 = 436 kWh x 10 p = 4360 p;
    # day 31 x 34 = 1054 kWh x 22 p = 23188 p. Standing is counted per day: 31 x 30 = 930 p;
    # fixed 31 x 5.5 = 170.5 p -> 171 p. 25 October is a Sunday, all green:
    # green 22 x 16 + 9 x 48 + 2 = 786 kWh.
    tables = make_tables(("A", "2026-01-01"))
    reads = flat_reads("A", dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    run = bill_month(reads, tables, dt.date(2026, 10, 1))
    got = amounts(run, "A")
    assert got[("energy", "10")] == 4360
    assert got[("energy", "22")] == 23188
    assert pence(run, "A", "standing_charge") == 930
    assert pence(run, "A", "duos_fixed") == 171
    assert pence(run, "A", "duos_green") == 786
    assert run.bills["half_hours"].iloc[0] == 1490
    assert len(run.half_hourly) == 1490


def test_spring_clock_change_and_ccl_before_fiscal_year(make_tables):
    # 29 March 2026 has 46 periods: local 01:00-02:00 (two night periods) is skipped, so
    # night 30 x 14 + 12 = 432 kWh x 10 p = 4320 p and day 31 x 34 = 1054 kWh x 20 p = 21080 p.
    # CCL before 1 April 2026 is 0.005 GBP/kWh: 1486 kWh x 0.5 p = 743 p.
    tables = make_tables(("A", "2026-01-01"))
    reads = flat_reads("A", dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    run = bill_month(reads, tables, dt.date(2026, 3, 1))
    got = amounts(run, "A")
    assert got[("energy", "10")] == 4320
    assert got[("energy", "20")] == 21080
    assert pence(run, "A", "ccl") == 743
    assert run.bills["kwh"].iloc[0] == 1486.0


def test_ccl_after_fiscal_year(make_tables):
    # April 2026: 30 x 48 = 1440 kWh at the new 0.006 GBP/kWh = 864 p.
    tables = make_tables(("A", "2026-01-01"))
    reads = flat_reads("A", dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    run = bill_month(reads, tables, dt.date(2026, 4, 1))
    assert pence(run, "A", "ccl") == 864
    assert run.lines.set_index("line_code").loc["ccl", "rate_p"] == "0.6"


def test_supply_starting_mid_month(make_tables):
    # Supply from 10 June: 21 live days, so 21 x 30 = 630 p standing and 21 x 48 = 1008 kWh;
    # reads from 1 to 9 June are ignored.
    tables = make_tables(("B", "2026-06-10"))
    reads = flat_reads("B", dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    run = bill_month(reads, tables, dt.date(2026, 6, 1))
    assert pence(run, "B", "standing_charge") == 630
    assert run.bills["kwh"].iloc[0] == 1008.0
    assert run.bills["live_days"].iloc[0] == 21
    assert len(run.daily.loc[run.daily["line_code"] == "standing_charge"]) == 21


def test_de_minimis_vat_and_no_ccl(make_tables):
    # 0.5 kWh a period: 24 kWh a day, within 33, so VAT is 5% and no CCL is charged.
    # Energy 255 x 20 + 255 x 22 + 210 x 10 = 5100 + 5610 + 2100; standing 900;
    # DUoS red 44 x 10 = 440, amber 308 x 2 = 616, green 368 x 1 = 368, fixed 165;
    # RO 720 x 2 = 1440; AAHEDC 756 x 0.05 = 37.8 -> 38; BSUoS 763.56 -> 764.
    # Net 17541 p; VAT 5% = 877.05 -> 877 p; total 18418 p.
    tables = make_tables(("C", "2026-01-01"))
    reads = flat_reads("C", dt.date(2026, 6, 1), dt.date(2026, 6, 30), wh=500)
    run = bill_month(reads, tables, dt.date(2026, 6, 1))
    bill = run.bills.iloc[0]
    assert "ccl" not in set(run.lines["line_code"])
    assert bill["net_pence"] == 17541
    assert bill["vat_rate_pct"] == 5.0
    assert bill["vat_pence"] == 877
    assert bill["total_pence"] == 18418


def test_capacity_and_excess_capacity(make_tables):
    # Agreed capacity 1 kVA; 1 kWh a half hour is 2 kW, taken as 2 kVA, so 1 kVA excess.
    # Capacity 30 days x 1 kVA x 3 p = 90 p; excess 30 x 1 x 4 p = 120 p.
    tables = make_tables({"meter_id": "D", "supply_start": "2026-01-01", "capacity_kva": "1"})
    reads = flat_reads("D", dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    run = bill_month(reads, tables, dt.date(2026, 6, 1))
    assert pence(run, "D", "duos_capacity") == 90
    assert pence(run, "D", "duos_excess_capacity") == 120


def test_missing_duos_tariff_is_an_exception(make_tables):
    tables = make_tables({"meter_id": "E", "supply_start": "2026-01-01", "dno": "NONE"})
    reads = flat_reads("E", dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    run = bill_month(reads, tables, dt.date(2026, 6, 1))
    assert run.bills.empty
    assert run.lines.empty
    duos = run.exceptions.set_index("tariff").loc["DUoS tariff for the DNO and LLFC"]
    assert duos["meter_id"] == "E"
    assert duos["bill_month"] == "2026-06"
    assert duos["days"] == 30


def test_contract_ending_mid_month_is_an_exception(make_tables):
    # Only the first contract version (to 15 June) exists: 16-30 June, 15 days, are uncovered.
    first_version = "\n".join(CONTRACTS.splitlines()[:2]) + "\n"
    tables = make_tables(("A", "2026-01-01"), contracts=first_version)
    reads = flat_reads("A", dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    run = bill_month(reads, tables, dt.date(2026, 6, 1))
    assert run.bills.empty
    gap = run.exceptions.set_index("tariff").loc["supply contract"]
    assert gap["days"] == 15
    assert gap["first_day"] == pd.Timestamp("2026-06-16")
    assert gap["last_day"] == pd.Timestamp("2026-06-30")


def test_meter_without_reads_is_an_exception(make_tables):
    tables = make_tables(("A", "2026-01-01"), ("F", "2026-01-01"))
    reads = flat_reads("A", dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    run = bill_month(reads, tables, dt.date(2026, 6, 1))
    assert list(run.bills["meter_id"]) == ["A"]
    assert list(run.exceptions["meter_id"]) == ["F"]


def test_annual_totals_by_fiscal_year(june):
    march = june.bills.assign(bill_month="2027-03", total_pence=100, net_pence=80, vat_pence=20)
    april = june.bills.assign(bill_month="2027-04")
    totals = annual_totals(pd.concat([june.bills, march, april]))
    by_year = totals.set_index("year")["total_pence"]
    assert by_year[2026] == 41856 + 100
    assert by_year[2027] == 41856


def test_element_split_percent(june):
    # Energy 10200 + 11220 + 4200 + 900 = 26520 of 34880 p = 76.03%.
    split = june.elements.set_index("element")
    assert split.loc["energy", "amount_pence"] == 26520
    assert split.loc["energy", "percent"] == 76.03
