"""The production tariffs job on PostgreSQL instance storage and a celery worker on RabbitMQ."""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

# NOTE: ReconstructableRepository is internal to Dagster. It points at definitions.py the way
# the workspace.yaml entry does, which the public dg.reconstructable cannot, because the
# module defines its jobs inside a Definitions object and not as module-level functions.
from dagster._core.definitions.reconstruct import ReconstructableRepository

from assets.tariffs import TARIFF_FIELDS
from tests.services.conftest import (
    PROJECT_ROOT,
    CeleryWorker,
    ProductionSetup,
    postgres_connection,
)

DUOS_DIR = PROJECT_ROOT / "data" / "reference" / "duos"


def count_duos_llfcs(duos_dir: Path) -> int:
    """Count the open LLFCs listed in every Annex 1 charges file, one per comma-separated entry."""
    count = 0
    for path in sorted(duos_dir.glob("*_annex1_lv_hv_charges.csv")):
        with path.open(newline="") as file:
            for row in csv.DictReader(file):
                count += sum(1 for llfc in row["open_llfcs"].split(",") if llfc.strip())
    return count


def stored_events(database: str, run_id: str, event_type: str) -> list[dg.EventLogEntry]:
    """Read a run's events of one type straight from the event_logs table."""
    connection = postgres_connection(database)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT event FROM event_logs WHERE run_id = %s AND dagster_event_type = %s",
                [run_id, event_type],
            )
            rows = cursor.fetchall()
    finally:
        connection.close()
    return [dg.deserialize_value(row[0], dg.EventLogEntry) for row in rows]


def stored_run_status(database: str, run_id: str) -> str | None:
    """Read a run's status straight from the runs table, or None when the run is not stored."""
    connection = postgres_connection(database)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT status FROM runs WHERE run_id = %s", [run_id])
            row = cursor.fetchone()
    finally:
        connection.close()
    return row[0] if row else None


@pytest.mark.services
def test_tariffs_job_on_celery_worker(
    production_setup: ProductionSetup,
    celery_worker: CeleryWorker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Another test may have imported definitions.py with the embedded deployment, and Dagster
    # reuses a loaded module of the same file, so drop it to load the production definitions.
    monkeypatch.delitem(sys.modules, "definitions", raising=False)
    job = ReconstructableRepository.for_file(
        str(PROJECT_ROOT / "definitions.py"), "defs", working_directory=str(PROJECT_ROOT)
    ).get_reconstructable_job("tariffs_job")

    result = dg.execute_job(job, instance=production_setup.instance)
    assert result.success, f"tariffs_job failed. Worker output:\n{celery_worker.log()}"
    database = production_setup.database
    run_id = result.run_id

    assert stored_run_status(database, run_id) == "SUCCESS"

    materialized = {
        entry.dagster_event.asset_key
        for entry in stored_events(database, run_id, "ASSET_MATERIALIZATION")
        if entry.dagster_event is not None
    }
    assert materialized == {dg.AssetKey(f"tariff_{field}") for field in TARIFF_FIELDS}

    engine_events = [
        entry.dagster_event
        for entry in stored_events(database, run_id, "ENGINE_EVENT")
        if entry.dagster_event is not None
    ]
    engine_messages = [event.message or "" for event in engine_events]
    submitted = (
        f'Submitting celery task for step "tariff_tables" to queue "{production_setup.queue}".'
    )
    assert submitted in engine_messages

    # The celery task reports an engine event that names the worker before it runs the step.
    worker_events = [
        event for event in engine_events if (event.message or "").endswith("in celery worker")
    ]
    assert len(worker_events) == 1
    assert worker_events[0].step_key == "tariff_tables"
    worker_hostname = worker_events[0].engine_event_data.metadata["Celery worker"].value
    assert str(worker_hostname).startswith(f"{celery_worker.name}@")

    step_starts = stored_events(database, run_id, "STEP_START")
    assert len(step_starts) == 1
    step_pid = step_starts[0].dagster_event.pid if step_starts[0].dagster_event else None
    assert step_pid is not None
    assert step_pid != os.getpid()
    # The worker runs in a session of its own, so a pool process of it has the worker's pid
    # as its group id. The pool process outlives the task, so it can still be looked up.
    assert os.getpgid(step_pid) == celery_worker.process.pid

    with duckdb.connect(str(production_setup.warehouse_path), read_only=True) as warehouse:
        row = warehouse.execute("SELECT count(*) FROM tariff.duos_charges").fetchone()
    assert row is not None
    assert row[0] == count_duos_llfcs(DUOS_DIR)
