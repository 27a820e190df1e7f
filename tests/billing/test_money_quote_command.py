"""Rounding rule, apportionment, quote comparison and the ``p9 bill`` command."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import duckdb
import numpy as np
import pytest

from p9_platform.billing.engine import bill_month
from p9_platform.billing.money import (
    apportion,
    nanopence_to_pence,
    percent_of,
    round_half_up,
)
from p9_platform.billing.quote import Offer, compare_offer
from p9_platform.cli import main
from p9_platform.tariffs import TariffTables, load_tariff_tables

from .conftest import flat_reads


def test_round_half_up_ties_away_from_zero():
    assert round_half_up(1085, 10) == 109  # 108.5 p -> 109 p
    assert round_half_up(-1085, 10) == -109
    assert round_half_up(1084, 10) == 108


def test_nanopence_to_pence_on_half_penny():
    values = np.array([108_500_000_000, 108_499_999_999, -500_000_000])
    assert nanopence_to_pence(values).tolist() == [109, 108, -1]


def test_vat_rounds_half_up_once():
    # 5% of 10 p is 0.5 p -> 1 p; 5% of 30 p is 1.5 p -> 2 p; 20% of 12 p is 2.4 p -> 2 p.
    assert percent_of(10, Decimal(5)) == 1
    assert percent_of(30, Decimal(5)) == 2
    assert percent_of(12, Decimal(20)) == 2


def test_apportion_sums_exactly_per_group():
    # 100 split 1:1:1 gives 34, 33, 33 (largest remainders first); 7 split 1:0 stays whole.
    shares = apportion(np.array([100, 7]), np.array([0, 0, 0, 1, 1]), np.ones(5) * [1, 1, 1, 1, 0])
    assert sorted(shares[:3].tolist()) == [33, 33, 34]
    assert shares[3:].tolist() == [7, 0]


def test_quote_comparison_by_hand():
    # 48 periods of 1 kWh on 1 June 2026. Offer: night from 23:00 to 07:00 local is 16
    # periods at 9 p = 144 p; day 32 periods at 18 p = 576 p; standing 1 day x 40 p;
    # capacity 1 day x 10 kVA x 2.5 p = 25 p. Offer 785 p against 1000 p billed: saving
    # 215 p, 21.50%.
    reads = flat_reads("A", dt.date(2026, 6, 1), dt.date(2026, 6, 1))
    offer = Offer(
        day_rate_p_per_kwh=Decimal("18"),
        night_rate_p_per_kwh=Decimal("9"),
        day_starts=dt.time(7, 0),
        night_starts=dt.time(23, 0),
        standing_charge_p_per_day=Decimal("40"),
        capacity_p_per_kva_per_day=Decimal("2.5"),
    )
    result = compare_offer(reads, offer, live_days=1, capacity_kva=10, billed_pence=1000)
    assert result.night_kwh == Decimal(16)
    assert result.day_kwh == Decimal(32)
    assert result.offer_pence == 785
    assert result.saving_pence == 215
    assert result.saving_pounds == Decimal("2.15")
    assert result.saving_percent == Decimal("21.50")


@pytest.fixture
def warehouse(make_tables, tmp_path):
    tables = make_tables(("A", "2026-01-01"))
    reads = flat_reads("A", dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    run = bill_month(reads, tables, dt.date(2026, 6, 1))
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE SCHEMA billing")
        for field, table in (
            ("bills", "bills"),
            ("lines", "bill_lines"),
            ("half_hourly", "half_hourly_lines"),
        ):
            frame = getattr(run, field)  # noqa: F841 - read by DuckDB's replacement scan
            connection.execute(f"CREATE TABLE billing.{table} AS SELECT * FROM frame")
    return path


def test_bill_command_prints_lines_and_total(warehouse, capsys):
    code = main(["bill", "--meter", "A", "--month", "2026-06", "--warehouse", str(warehouse)])
    output = capsys.readouterr().out
    assert code == 0
    assert "Standing charge" in output
    assert "£348.80" in output  # net 34880 p, worked in test_engine
    assert "£418.56" in output  # total 41856 p
    assert "rate not published in the shipped tables" in output


def test_bill_command_half_hours(warehouse, capsys):
    code = main(
        [
            "bill",
            "--meter",
            "A",
            "--month",
            "2026-06",
            "--half-hours",
            "--warehouse",
            str(warehouse),
        ]
    )
    output = capsys.readouterr().out
    assert code == 0
    assert output.count("+00:00") == 1440  # 30 days x 48 periods, one line each


def test_bill_command_unknown_meter(warehouse, capsys):
    code = main(["bill", "--meter", "Z", "--month", "2026-06", "--warehouse", str(warehouse)])
    assert code == 1
    assert "no bill for meter Z" in capsys.readouterr().err


def test_bill_command_missing_warehouse(tmp_path, capsys):
    missing = tmp_path / "none.duckdb"
    code = main(["bill", "--meter", "A", "--month", "2026-06", "--warehouse", str(missing)])
    assert code == 1
    assert "warehouse not found" in capsys.readouterr().err


def test_bill_run_frames_round_trip_duckdb(make_tables):
    tables = make_tables(("A", "2026-01-01"))
    reads = flat_reads("A", dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    run = bill_month(reads, tables, dt.date(2026, 6, 1))
    with duckdb.connect() as connection:
        for field in dataclasses.fields(run):
            frame = getattr(run, field.name)
            if frame.empty:
                continue
            back = connection.execute("SELECT * FROM frame").df()
            assert list(back.columns) == list(frame.columns), field.name


def test_tariff_tables_round_trip_bills_alike():
    # The assets store each tariff table in DuckDB and bill from what they read back.
    tables = load_tariff_tables()
    restored = {}
    with duckdb.connect() as connection:
        for field in dataclasses.fields(tables):
            frame = getattr(tables, field.name)  # noqa: F841 - read by DuckDB's scan
            connection.execute(f"CREATE TABLE {field.name} AS SELECT * FROM frame")
            restored[field.name] = connection.execute(f"SELECT * FROM {field.name}").df()
    reads = flat_reads("MAC000002", dt.date(2026, 4, 1), dt.date(2026, 4, 30), wh=300)
    original = bill_month(reads, tables, dt.date(2026, 4, 1))
    again = bill_month(reads, TariffTables(**restored), dt.date(2026, 4, 1))
    assert again.bills.equals(original.bills)
    assert again.lines.equals(original.lines)
