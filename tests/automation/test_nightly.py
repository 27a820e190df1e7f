"""The nightly schedules on a real SQLite instance, and a two-month billing backfill."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg

from jobs import nightly_reads_schedule, nightly_rebill_schedule
from jobs.rebuilds import RANGE_END_TAG, RANGE_START_TAG, TRIGGER_TAG
from tests.automation.conftest import Pipeline, definitions, lcl_file, run_request

# 02:30 and 05:30 on Saturday 5 December 2026, UK clock (GMT).
READS_TIME = dt.datetime(2026, 12, 5, 2, 30, tzinfo=ZoneInfo("Europe/London"))
REBILL_TIME = dt.datetime(2026, 12, 5, 5, 30, tzinfo=ZoneInfo("Europe/London"))


def _tick(schedule: dg.ScheduleDefinition, pipeline: Pipeline, when: dt.datetime):
    with dg.build_schedule_context(
        instance=pipeline.instance,
        scheduled_execution_time=when,
        resources={"settings": pipeline.settings},
        repository_def=definitions(pipeline).get_repository_def(),
    ) as context:
        return schedule.evaluate_tick(context)


def test_nightly_rebuilds_missed_days_then_month(no_replay: Pipeline) -> None:
    pipeline = no_replay
    defs = definitions(pipeline)
    assert pipeline.materialize(dg.AssetSelection.groups("tariff_tables")).success
    # Files for three past days were read, but no sensor built them.
    pipeline.upload("lcl/three_days.csv", lcl_file(dt.date(2026, 11, 10), 3))
    assert pipeline.materialize(["raw_meter_files"]).success

    reads = _tick(nightly_reads_schedule, pipeline, READS_TIME)
    assert len(reads.run_requests) == 1
    request = reads.run_requests[0]
    assert request.tags[RANGE_START_TAG] == "2026-11-10"
    assert request.tags[RANGE_END_TAG] == "2026-11-12"
    assert request.tags[TRIGGER_TAG] == "nightly_reads_schedule"
    run_request(defs, "reads_job", request, pipeline.instance)

    rebill = _tick(nightly_rebill_schedule, pipeline, REBILL_TIME)
    assert [r.partition_key for r in rebill.run_requests] == ["2026-11-01"]
    run_request(defs, "billing_job", rebill.run_requests[0], pipeline.instance)

    # Everything is now built after its inputs, so both schedules skip.
    assert _tick(nightly_reads_schedule, pipeline, READS_TIME).run_requests == []
    assert _tick(nightly_rebill_schedule, pipeline, REBILL_TIME).run_requests == []


def test_nightly_skips_days_not_ended(no_replay: Pipeline) -> None:
    # A file that reaches 5 December: at 02:30 that day only days up to the 4th exist.
    no_replay.upload("lcl/recent.csv", lcl_file(dt.date(2026, 12, 3), 3))
    assert no_replay.materialize(["raw_meter_files"]).success
    request = _tick(nightly_reads_schedule, no_replay, READS_TIME).run_requests[0]
    assert request.tags[RANGE_START_TAG] == "2026-12-03"
    assert request.tags[RANGE_END_TAG] == "2026-12-04"
    assert _tick(nightly_rebill_schedule, no_replay, REBILL_TIME).run_requests == []


def _row_counts(pipeline: Pipeline) -> dict[str, int]:
    counts = {}
    for table in (
        "billing.bills",
        "billing.bill_lines",
        "billing.bill_versions",
        "billing.bill_line_versions",
    ):
        counts[table] = int(pipeline.warehouse.query(f"SELECT count(*) AS n FROM {table}")["n"][0])
    return counts


def test_billing_backfill_reruns_without_duplicates(no_replay: Pipeline) -> None:
    pipeline = no_replay
    pipeline.upload("lcl/two_months.csv", lcl_file(dt.date(2026, 10, 1), 61))
    assert pipeline.materialize(["raw_meter_files"]).success
    assert pipeline.materialize(dg.AssetSelection.groups("tariff_tables")).success
    assert pipeline.materialize(
        ["half_hour_reads", "settled_half_hour_reads"], "2026-10-01", "2026-11-30"
    ).success

    # One run over both months, as `dagster asset materialize --partition-range` starts it.
    bills = dg.AssetSelection.groups("bills")
    assert pipeline.materialize(bills, "2026-10-01", "2026-11-01").success
    first = _row_counts(pipeline)
    assert first["billing.bills"] == 2
    assert first["billing.bill_versions"] == 2

    assert pipeline.materialize(bills, "2026-10-01", "2026-11-01").success
    assert _row_counts(pipeline) == first
