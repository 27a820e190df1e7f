"""The pipeline fixture of tests/pipeline, plus the full definitions to run jobs, sensors and
schedules against it, and small LCL files with a chosen value per half hour."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import dagster as dg
import pytest

from assets import ALL_ASSETS
from jobs import ALL_JOBS, ALL_SCHEDULES
from resources import PlatformSettings
from sensors import ALL_SENSORS
from tests.pipeline.conftest import Pipeline, pipeline, s3_endpoint  # noqa: F401

METER = "MAC000004"


def lcl_file(
    first_day: dt.date, days: int, kwh: Callable[[dt.datetime], str] = lambda _: "0.500"
) -> bytes:
    """Return an LCL CSV of ``METER`` for whole GMT days: ``kwh(start)`` per half hour.

    LCL stamps each half hour with its end in UTC; the days used here are in GMT, so UTC and
    UK clock time are the same.
    """
    lines = ["LCLid,tstp,energy(kWh/hh)"]
    first = dt.datetime.combine(first_day, dt.time())
    for index in range(days * 48):
        start = first + dt.timedelta(minutes=30 * index)
        end = start + dt.timedelta(minutes=30)
        lines.append(f"{METER},{end:%Y-%m-%d %H:%M:%S},{kwh(start)}")
    return ("\n".join(lines) + "\n").encode()


def definitions(pipeline: Pipeline) -> dg.Definitions:  # noqa: F811
    """Return every asset, job, schedule and sensor bound to the test pipeline's resources."""
    return dg.Definitions(
        assets=ALL_ASSETS,
        jobs=ALL_JOBS,
        schedules=ALL_SCHEDULES,
        sensors=ALL_SENSORS,
        resources={
            "meter_bucket": pipeline.bucket,
            "warehouse": pipeline.warehouse,
            "settings": pipeline.settings,
        },
    )


def run_request(
    defs: dg.Definitions, job_name: str, request: dg.RunRequest, instance: dg.DagsterInstance
) -> dg.ExecuteInProcessResult:
    """Execute one run request of ``job_name`` in process on ``instance``, as the daemon would."""
    result = defs.resolve_job_def(job_name).execute_in_process(
        instance=instance, tags=request.tags, partition_key=request.partition_key
    )
    assert result.success
    return result


def materialized_partitions(result: dg.ExecuteInProcessResult) -> dict[str, set[str]]:
    """Return the partition keys each asset materialized in one run."""
    found: dict[str, set[str]] = {}
    for event in result.get_asset_materialization_events():
        assert event.asset_key is not None
        found.setdefault(event.asset_key.to_user_string(), set()).add(str(event.partition))
    return found


@pytest.fixture
def no_replay(pipeline: Pipeline) -> Pipeline:  # noqa: F811
    """The pipeline without the demo replay, so each day holds only the files given."""
    pipeline.settings = PlatformSettings()
    return pipeline
