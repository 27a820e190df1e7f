"""A revision file for past days, end to end: sensors, runs, settled reads and bill versions.

The meter uses 0.5 kWh every half hour of November 2026 at initial settlement (SF). An R1 file
then raises the 12:00-12:30 half hour of Tuesday 10 to Thursday 12 November by 1 kWh each.
Expected pence are worked out here from the demo contract (day 24.50 p/kWh, night 00:30-07:30
at 15.25 p/kWh) and the UKPN London DUoS red band rate (9.881 p/kWh, weekdays 11-14 and 16-19).
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from jobs.rebuilds import REASON_TAG, TRIGGER_TAG
from sensors import RANGE_END_TAG, RANGE_START_TAG, new_reads_sensor, rebill_sensor
from tests.automation.conftest import (
    METER,
    Pipeline,
    definitions,
    lcl_file,
    materialized_partitions,
    run_request,
)

NOVEMBER = dt.date(2026, 11, 1)
R1_DAYS = ["2026-11-10", "2026-11-11", "2026-11-12"]


def _r1_kwh(start: dt.datetime) -> str:
    return "1.500" if start.hour == 12 and start.minute == 0 else "0.500"


def _tick(sensor: dg.SensorDefinition, pipeline: Pipeline, cursor: str | None):
    with dg.build_sensor_context(
        instance=pipeline.instance,
        cursor=cursor,
        resources={"settings": pipeline.settings},
        definitions=definitions(pipeline),
    ) as context:
        return sensor.evaluate_tick(context)


@pytest.fixture
def billed_november(no_replay: Pipeline) -> Pipeline:
    """November 2026 read, settled and billed from the SF file alone (bill version 1)."""
    no_replay.upload("lcl/MAC000004.csv", lcl_file(NOVEMBER, 30))
    no_replay.materialize_month("2026-11-01", "2026-11-30")
    return no_replay


def test_r1_rebuilds_three_days_and_month(billed_november: Pipeline) -> None:
    pipeline = billed_november
    defs = definitions(pipeline)
    # Move both sensors past the events of the first build.
    reads_cursor = _tick(new_reads_sensor, pipeline, None).cursor
    rebill_cursor = _tick(rebill_sensor, pipeline, None).cursor

    pipeline.upload("R1/lcl/MAC000004_r1.csv", lcl_file(dt.date(2026, 11, 10), 3, _r1_kwh))
    assert pipeline.materialize(["raw_meter_files"]).success

    reads_tick = _tick(new_reads_sensor, pipeline, reads_cursor)
    assert len(reads_tick.run_requests) == 1
    request = reads_tick.run_requests[0]
    assert request.tags[RANGE_START_TAG] == "2026-11-10"
    assert request.tags[RANGE_END_TAG] == "2026-11-12"
    assert request.tags[TRIGGER_TAG] == "new_reads_sensor"
    assert "2026-11-10..2026-11-12" in request.tags[REASON_TAG]

    rebuilt = materialized_partitions(run_request(defs, "reads_job", request, pipeline.instance))
    assert rebuilt == {
        "half_hour_reads": set(R1_DAYS),
        "settled_half_hour_reads": set(R1_DAYS),
        "settlement_run_changes": set(R1_DAYS),
    }

    rebill_tick = _tick(rebill_sensor, pipeline, rebill_cursor)
    assert [r.partition_key for r in rebill_tick.run_requests] == ["2026-11-01"]
    assert rebill_tick.run_requests[0].tags[TRIGGER_TAG] == "rebill_sensor"
    billed = materialized_partitions(
        run_request(defs, "billing_job", rebill_tick.run_requests[0], pipeline.instance)
    )
    assert set(billed) == {"half_hourly_bill_lines", "bill_lines", "bills", "bill_versions"}
    assert all(keys == {"2026-11-01"} for keys in billed.values())

    # The next ticks find only the events of these runs: no further day, and the same month.
    after_reads = _tick(new_reads_sensor, pipeline, reads_tick.cursor)
    assert after_reads.run_requests == []


def test_r1_settles_and_changes_kwh(billed_november: Pipeline) -> None:
    pipeline = billed_november
    pipeline.upload("R1/lcl/MAC000004_r1.csv", lcl_file(dt.date(2026, 11, 10), 3, _r1_kwh))
    pipeline.materialize_month("2026-11-01", "2026-11-30")
    assert pipeline.materialize(["settlement_run_changes"], "2026-11-01", "2026-11-30").success

    runs = pipeline.warehouse.query(
        "SELECT settlement_run, count(*) AS n FROM core.half_hour_reads "
        "WHERE settlement_date BETWEEN '2026-11-10' AND '2026-11-12' GROUP BY 1 ORDER BY 1"
    )
    # Both runs are kept side by side: 48 half hours a day of each.
    assert runs.set_index("settlement_run")["n"].to_dict() == {"R1": 144, "SF": 144}

    settled = pipeline.warehouse.query(
        "SELECT settlement_run, count(*) AS n, sum(energy_wh) AS wh "
        "FROM core.settled_half_hour_reads GROUP BY 1 ORDER BY 1"
    ).set_index("settlement_run")
    assert settled.loc["R1", "n"] == 144
    assert settled.loc["R1", "wh"] == 3 * (47 * 500 + 1500)
    assert settled.loc["SF", "n"] == 27 * 48

    changes = pipeline.warehouse.query(
        "SELECT settlement_date, from_run, to_run, from_kwh, to_kwh, change_kwh "
        "FROM core.settlement_run_changes ORDER BY 1"
    )
    assert len(changes) == 3
    assert changes["from_run"].tolist() == ["SF"] * 3
    assert changes["to_run"].tolist() == ["R1"] * 3
    assert changes["from_kwh"].tolist() == [24.0] * 3
    assert changes["to_kwh"].tolist() == [25.0] * 3
    assert changes["change_kwh"].tolist() == [1.0] * 3


def test_bill_versions_show_pounds_per_line(billed_november: Pipeline) -> None:
    pipeline = billed_november
    pipeline.upload("R1/lcl/MAC000004_r1.csv", lcl_file(dt.date(2026, 11, 10), 3, _r1_kwh))
    pipeline.materialize_month("2026-11-01", "2026-11-30")

    versions = pipeline.warehouse.query(
        "SELECT * FROM billing.bill_versions WHERE meter_id = ? ORDER BY version", [METER]
    )
    assert versions["version"].tolist() == [1, 2]
    assert versions["runs_used"].tolist() == ["SF", "SF,R1"]
    # Net: 12,495 energy day + 3,203 night + 1,065 standing + 1,245 red + 141 amber + 22 green
    # + 176 DUoS fixed = 18,347 p; VAT 5% of 18,347 = 917.35, so 917 p.
    assert versions["net_pence"].tolist() == [18347, 18451]
    assert versions["total_pence"].tolist() == [19264, 19374]
    # VAT on 18,451 p is 922.55, so 923 p: the total moves by 104 + 6 p.
    assert versions["change_total_pence"].iloc[1] == 110

    changes = pipeline.warehouse.query(
        "SELECT line_code, band, previous_quantity, quantity, previous_amount_pence, "
        "amount_pence, change_pence, direction FROM billing.bill_line_changes "
        "WHERE meter_id = ? AND version = 2 ORDER BY line_code",
        [METER],
    )
    assert changes["line_code"].tolist() == ["duos_red", "energy"]
    red = changes.iloc[0]
    # 21 weekdays x 12 red half hours x 0.5 kWh = 126 kWh, then 129 kWh at 9.881 p:
    # 1,245.006 p rounds to 1,245 p and 1,274.649 p to 1,275 p.
    assert (red["previous_quantity"], red["quantity"]) == (126.0, 129.0)
    assert (red["previous_amount_pence"], red["amount_pence"]) == (1245, 1275)
    assert red["change_pence"] == 30
    assert red["direction"] == "debit"
    energy = changes.iloc[1]
    # 1,020 day half hours x 0.5 kWh = 510 kWh, then 513 kWh at 24.50 p: 12,495 p and
    # 12,568.5 p, which rounds half up to 12,569 p.
    assert energy["band"] == "day"
    assert (energy["previous_amount_pence"], energy["amount_pence"]) == (12495, 12569)
    assert energy["change_pence"] == 74

    # The first version's lines stay queryable next to the current ones.
    old_lines = pipeline.warehouse.query(
        "SELECT sum(amount_pence) AS pence FROM billing.bill_line_versions "
        "WHERE meter_id = ? AND version = 1",
        [METER],
    )
    assert old_lines["pence"].iloc[0] == 18347
    current = pipeline.warehouse.query("SELECT net_pence FROM billing.bills")
    assert current["net_pence"].tolist() == [18451]


def test_rebill_without_change_adds_no_version(billed_november: Pipeline) -> None:
    billed_november.materialize_month("2026-11-01", "2026-11-30")
    versions = billed_november.warehouse.query("SELECT version FROM billing.bill_versions")
    assert versions["version"].tolist() == [1]


@pytest.mark.parametrize(
    ("first_run", "second_run", "kept_run"),
    [("R1", "SF", "R1"), ("RF", "DF", "DF")],
)
def test_more_mature_run_wins_whatever_arrives_last(
    no_replay: Pipeline, first_run: str, second_run: str, kept_run: str
) -> None:
    day = dt.date(2026, 11, 10)
    first_kwh = "0.700" if first_run == kept_run else "0.300"
    second_kwh = "0.300" if first_run == kept_run else "0.700"
    no_replay.upload(f"{first_run}/day.csv", lcl_file(day, 1, lambda _: first_kwh))
    no_replay.materialize(["raw_meter_files"])
    no_replay.materialize(["half_hour_reads", "settled_half_hour_reads"], "2026-11-10")
    no_replay.upload(f"{second_run}/day.csv", lcl_file(day, 1, lambda _: second_kwh))
    no_replay.materialize(["raw_meter_files"])
    no_replay.materialize(["half_hour_reads", "settled_half_hour_reads"], "2026-11-10")

    settled = no_replay.warehouse.query(
        "SELECT settlement_run, count(*) AS n, sum(energy_wh) AS wh "
        "FROM core.settled_half_hour_reads GROUP BY 1"
    )
    assert settled["settlement_run"].tolist() == [kept_run]
    assert settled["n"].tolist() == [48]
    assert settled["wh"].tolist() == [48 * 700]
