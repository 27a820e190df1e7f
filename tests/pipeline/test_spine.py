"""The whole graph for one real LCL household, replayed onto October 2026.

Expected values are computed here from the raw CSV with the standard library, independently of
the platform's readers, replay and bill engine.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from tests.pipeline.conftest import DAMAGED_FILE, LCL_DIR, Pipeline, build_pipeline

LONDON = ZoneInfo("Europe/London")

# October 2026 replays 3 October to 2 November 2013: 4,746 days (678 weeks) earlier, so each
# target day has the weekday and, for 25 October 2026 and 27 October 2013, the 50 periods of
# its source day.
SOURCE_FIRST = dt.date(2013, 10, 3)
SOURCE_LAST = dt.date(2013, 11, 2)


def _source_half_hours() -> list[tuple[dt.datetime, Decimal]]:
    """Return (UK clock start, kWh) of every half hour of MAC000002 on the source days."""
    rows = []
    with open(LCL_DIR / "MAC000002.csv", newline="") as handle:
        for record in csv.DictReader(handle):
            end = dt.datetime.strptime(record["tstp"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)
            start = (end - dt.timedelta(minutes=30)).astimezone(LONDON)
            if SOURCE_FIRST <= start.date() <= SOURCE_LAST:
                # Values such as 1.0779999 are float noise on a meter that counts watt-hours.
                kwh = Decimal(record["energy(kWh/hh)"].strip()).quantize(Decimal("0.001"))
                rows.append((start, kwh))
    return rows


def _lond_band(start: dt.datetime) -> str:
    """UKPN London 2026/27 bands: weekdays red 11-14 and 16-19, amber 07-11, 14-16 and
    19-23, green otherwise; weekends green all day."""
    if start.weekday() >= 5:
        return "green"
    hour = start.hour + start.minute / 60
    if 11 <= hour < 14 or 16 <= hour < 19:
        return "red"
    if 7 <= hour < 11 or 14 <= hour < 16 or 19 <= hour < 23:
        return "amber"
    return "green"


def _is_night(start: dt.datetime) -> bool:
    """The demo contract's night runs 00:30 to 07:30 UK clock time."""
    minute = start.hour * 60 + start.minute
    return 30 <= minute < 450


def _pence(kwh: Decimal, rate: str) -> int:
    return int((kwh * Decimal(rate)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@pytest.fixture(scope="module")
def october(s3_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """One household and a damaged file, run through every stage for October 2026 once."""
    with build_pipeline(s3_endpoint, tmp_path_factory.mktemp("october")) as pipeline:
        pipeline.upload("lcl/MAC000002.csv", (LCL_DIR / "MAC000002.csv").read_bytes())
        pipeline.upload("damaged/MAC000099_bad_timestamp.csv", DAMAGED_FILE.read_bytes())
        pipeline.materialize_month("2026-10-01", "2026-10-31")
        yield pipeline


def test_replayed_october_kwh_matches_raw_file(october: Pipeline) -> None:
    source = _source_half_hours()
    # 30 days of 48 half hours and the 50 of 27 October 2013.
    assert len(source) == 30 * 48 + 50
    expected_kwh = sum(kwh for _, kwh in source)

    bills = october.warehouse.query(
        "SELECT * FROM billing.bills WHERE meter_id = 'MAC000002' AND bill_month = '2026-10'"
    )
    assert len(bills) == 1
    assert Decimal(str(bills["kwh"].iloc[0])).quantize(Decimal("0.001")) == expected_kwh

    reads = october.warehouse.query(
        "SELECT count(*) AS n, count(replayed_from_utc) AS replayed "
        "FROM core.settled_half_hour_reads WHERE meter_id = 'MAC000002'"
    )
    assert reads["n"].iloc[0] == 30 * 48 + 50
    assert reads["replayed"].iloc[0] == 30 * 48 + 50


def test_replayed_october_bill_lines_match_hand_pricing(october: Pipeline) -> None:
    source = _source_half_hours()
    by_band = {"red": Decimal(0), "amber": Decimal(0), "green": Decimal(0)}
    night = day = Decimal(0)
    for start, kwh in source:
        by_band[_lond_band(start)] += kwh
        if _is_night(start):
            night += kwh
        else:
            day += kwh
    expected = {
        "energy_day": _pence(day, "24.50"),
        "energy_night": _pence(night, "15.25"),
        "standing_charge": _pence(Decimal(31), "35.50"),  # 1100.5 p rounds half up to 1101 p
        # UKPN London 2026/27 Non-Domestic Aggregated or CT No Residual (LLFC 199).
        "duos_red": _pence(by_band["red"], "9.881"),
        "duos_amber": _pence(by_band["amber"], "0.673"),
        "duos_green": _pence(by_band["green"], "0.057"),
        "duos_fixed": _pence(Decimal(31), "5.87"),
    }
    # The energy line is split by the contract's day and night bands.
    lines = october.warehouse.query(
        "SELECT CASE WHEN line_code = 'energy' THEN 'energy_' || band ELSE line_code END AS code, "
        "sum(amount_pence) AS pence FROM billing.bill_lines "
        "WHERE meter_id = 'MAC000002' AND bill_month = '2026-10' GROUP BY 1"
    ).set_index("code")["pence"]
    for code, pence in expected.items():
        assert lines[code] == pence, code

    bill = october.warehouse.query(
        "SELECT * FROM billing.bills WHERE meter_id = 'MAC000002' AND bill_month = '2026-10'"
    ).iloc[0]
    # Under 33 kWh a day: de minimis, so VAT at 5% and no Climate Change Levy.
    assert lines.get("ccl", 0) == 0
    assert bill["net_pence"] == lines.sum()
    vat = int((Decimal(int(lines.sum())) * Decimal("0.05")).quantize(Decimal(1), ROUND_HALF_UP))
    assert bill["vat_pence"] == vat
    assert bill["total_pence"] == lines.sum() + vat


def test_damaged_file_is_quarantined_with_file_and_line(october: Pipeline) -> None:
    files = october.warehouse.query("SELECT key, status, reason FROM raw.meter_files ORDER BY 1")
    assert files["status"].tolist() == ["quarantined", "read"]
    reason = files["reason"].iloc[0]
    assert "landing/damaged/MAC000099_bad_timestamp.csv" in reason
    assert "line 4" in reason

    listed = october.bucket.client().list_objects_v2(
        Bucket=october.bucket.bucket, Prefix=october.bucket.quarantine_prefix
    )
    keys = [item["Key"] for item in listed["Contents"]]
    assert any(key.endswith(".reason.json") for key in keys)
    assert len(keys) == 2

    event = october.instance.get_latest_materialization_event(dg.AssetKey("raw_meter_files"))
    assert event is not None
    assert event.asset_materialization.metadata["files_quarantined"].value == 1


def test_rerun_gives_same_rows_and_totals(october: Pipeline) -> None:
    def snapshot() -> dict[str, int]:
        counts = {}
        for table in (
            "raw.meter_file_reads",
            "core.half_hour_reads",
            "core.settled_half_hour_reads",
            "billing.half_hourly_lines",
            "billing.bill_lines",
            "billing.bills",
        ):
            counts[table] = int(
                october.warehouse.query(f"SELECT count(*) AS n FROM {table}")["n"][0]
            )
        counts["total"] = int(
            october.warehouse.query("SELECT sum(total_pence) AS t FROM billing.bills")["t"][0]
        )
        return counts

    first = snapshot()
    october.materialize_month("2026-10-01", "2026-10-31")
    assert snapshot() == first


def test_month_without_tariff_names_what_is_missing(pipeline: Pipeline) -> None:
    pipeline.upload("lcl/MAC000002.csv", (LCL_DIR / "MAC000002.csv").read_bytes())
    pipeline.materialize_month("2013-10-01", "2013-10-31")
    exceptions = pipeline.warehouse.query(
        "SELECT reason FROM billing.bill_exceptions "
        "WHERE meter_id = 'MAC000002' AND bill_month = '2013-10'"
    )
    # One exception per missing tariff, each naming it.
    reason = "; ".join(exceptions["reason"])
    assert "supply contract P9-FIXED-2026" in reason
    assert "DUoS tariff for LOND LLFC 199" in reason
    if pipeline.warehouse.table_exists("billing.bills"):
        bills = pipeline.warehouse.query("SELECT count(*) AS n FROM billing.bills")
        assert bills["n"].iloc[0] == 0
