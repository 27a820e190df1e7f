"""Pass-through and time-of-use contracts, and a bill on the shipped London tables."""

from __future__ import annotations

import datetime as dt

from p9_platform.billing.engine import bill_month
from p9_platform.billing.pricing import NOT_PUBLISHED, TLM_NOT_PUBLISHED
from p9_platform.tariffs import load_tariff_tables

from .conftest import CONTRACTS, flat_reads

PASS_THROUGH = CONTRACTS + "TEST-PT,2026-01-01,2028-12-31,pass_through,,,,,30,1.5\n"

TIME_OF_USE_CONTRACT = CONTRACTS + "TOU-1,2026-01-01,2028-12-31,fixed,,,,,30,\n"
TIME_OF_USE = """contract_id,valid_from,valid_to,day_type,band,start_local,end_local,rate_p_per_kwh
TOU-1,2026-01-01,2028-12-31,weekday,off-peak,00:00,16:00,18
TOU-1,2026-01-01,2028-12-31,weekday,peak,16:00,19:00,40
TOU-1,2026-01-01,2028-12-31,weekday,off-peak,19:00,24:00,18
TOU-1,2026-01-01,2028-12-31,weekend,weekend,00:00,24:00,15
"""


def line_pence(run, code: str) -> int:
    return int(run.lines.loc[run.lines["line_code"] == code, "amount_pence"].sum())


def test_pass_through_energy(make_tables):
    # 1 kWh a period; each day has 24 odd periods at 6 p and 24 even at 5 p, plus 1.5 p margin:
    # 24 x 7.5 + 24 x 6.5 = 336 p a day, 30 days = 10080 p.
    tables = make_tables(
        {"meter_id": "P", "supply_start": "2026-01-01", "contract_id": "TEST-PT"},
        contracts=PASS_THROUGH,
    )
    reads = flat_reads("P", dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    run = bill_month(reads, tables, dt.date(2026, 6, 1))
    assert line_pence(run, "energy_pass_through") == 10080
    assert "energy" not in set(run.lines["line_code"])
    assert line_pence(run, "standing_charge") == 900
    imbalance = run.lines.set_index("line_code").loc["imbalance"]
    assert not imbalance["priced"]
    assert imbalance["note"] == NOT_PUBLISHED


def test_pass_through_without_prices_is_an_exception(make_tables):
    # Wholesale prices are shipped for June only, so July cannot be billed.
    tables = make_tables(
        {"meter_id": "P", "supply_start": "2026-01-01", "contract_id": "TEST-PT"},
        contracts=PASS_THROUGH,
    )
    reads = flat_reads("P", dt.date(2026, 7, 1), dt.date(2026, 7, 31))
    run = bill_month(reads, tables, dt.date(2026, 7, 1))
    assert run.bills.empty
    assert run.exceptions.set_index("tariff").loc["wholesale price", "days"] == 31


def test_time_of_use_bands(make_tables):
    # June 2026: 22 weekdays, 8 weekend days, 1 kWh a period.
    # Peak 16:00-19:00 is 6 periods: 22 x 6 = 132 kWh x 40 p = 5280 p.
    # Weekday off-peak 42 periods: 22 x 42 = 924 kWh x 18 p = 16632 p.
    # Weekend 8 x 48 = 384 kWh x 15 p = 5760 p.
    tables = make_tables(
        {"meter_id": "T", "supply_start": "2026-01-01", "contract_id": "TOU-1"},
        contracts=TIME_OF_USE_CONTRACT,
        time_of_use=TIME_OF_USE,
    )
    reads = flat_reads("T", dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    run = bill_month(reads, tables, dt.date(2026, 6, 1))
    energy = run.lines.loc[run.lines["line_code"] == "energy"].set_index("band")
    assert energy.loc["peak", "amount_pence"] == 5280
    assert energy.loc["off-peak", "amount_pence"] == 16632
    assert energy.loc["weekend", "amount_pence"] == 5760


def test_demo_meter_on_shipped_london_tables():
    # LOND LLFC 199 (Non-Domestic Aggregated No Residual), April 2026, 0.3 kWh a period:
    # 30 x 48 x 0.3 = 432 kWh, 14.4 kWh a day, so de minimis: VAT 5% and no CCL.
    # Standing 30 x 35.50 = 1065 p; DUoS fixed 30 x 5.87 = 176.1 -> 176 p.
    # Weekday green 00:00-07:00 and 23:00-24:00 is 16 periods; April 2026 has 22 weekdays
    # and 8 weekend days (all green): green = (22 x 16 + 8 x 48) x 0.3 = 220.8 kWh
    # x 0.057 p = 12.5856 -> 13 p.
    tables = load_tariff_tables()
    reads = flat_reads("MAC000002", dt.date(2026, 4, 1), dt.date(2026, 4, 30), wh=300)
    run = bill_month(reads, tables, dt.date(2026, 4, 1))
    meter_lines = run.lines.loc[run.lines["meter_id"] == "MAC000002"].set_index("line_code")
    assert meter_lines.loc["standing_charge", "amount_pence"] == 1065
    assert meter_lines.loc["duos_fixed", "amount_pence"] == 176
    assert meter_lines.loc["duos_green", "amount_pence"] == 13
    assert "ccl" not in meter_lines.index
    assert meter_lines.loc["bsuos", "note"] == TLM_NOT_PUBLISHED
    assert meter_lines.loc["ro", "note"] == NOT_PUBLISHED
    bill = run.bills.set_index("meter_id").loc["MAC000002"]
    assert bill["vat_rate_pct"] == 5.0
    # The five other demo meters have no reads here: exceptions, not bills.
    assert len(run.bills) == 1
    assert set(run.exceptions["tariff"]) == {"half-hour reads"}
