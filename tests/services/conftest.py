"""Fixtures for the production deployment on the PostgreSQL and RabbitMQ servers on 127.0.0.1.

The servers must be running: an unreachable server fails the tests instead of skipping them,
because a skipped test would hide a broken production deployment in CI.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import kombu
import psycopg2
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEPLOY_DIR = PROJECT_ROOT / "deploy" / "production"
VENV_BIN = Path(sys.executable).parent

POSTGRES_HOST = "127.0.0.1"
POSTGRES_PORT = 5432
POSTGRES_USER = "postgres"
# Trust authentication on the test servers, so the password is empty.
POSTGRES_PASSWORD = ""
RABBITMQ_HOST = "127.0.0.1"
RABBITMQ_PORT = 5672
BROKER_URL = f"pyamqp://guest:guest@{RABBITMQ_HOST}:{RABBITMQ_PORT}//"

CONNECT_TIMEOUT_SECONDS = 5
WORKER_READY_SECONDS = 60.0
WORKER_STOP_SECONDS = 20.0


def postgres_connection(database: str) -> psycopg2.extensions.connection:
    """Open an autocommit connection, as CREATE DATABASE cannot run inside a transaction."""
    connection = psycopg2.connect(
        host=POSTGRES_HOST,
        port=POSTGRES_PORT,
        user=POSTGRES_USER,
        password=POSTGRES_PASSWORD,
        dbname=database,
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
    )
    connection.autocommit = True
    return connection


@pytest.fixture(scope="session")
def services_reachable() -> None:
    """Fail, naming the server, unless PostgreSQL and RabbitMQ accept a login."""
    try:
        postgres_connection("postgres").close()
    except psycopg2.OperationalError as error:
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_HOST}:{POSTGRES_PORT} as user "
            f"{POSTGRES_USER!r}: {error}. Start PostgreSQL to run the services tests.",
            pytrace=False,
        )
    try:
        with kombu.Connection(BROKER_URL, connect_timeout=CONNECT_TIMEOUT_SECONDS) as connection:
            connection.ensure_connection(max_retries=1)
    # Refused connections and failed logins surface as several kombu and amqp error types.
    except Exception as error:
        pytest.fail(
            f"RabbitMQ is not reachable at {RABBITMQ_HOST}:{RABBITMQ_PORT} as user 'guest': "
            f"{error!r}. Start RabbitMQ to run the services tests.",
            pytrace=False,
        )


@pytest.fixture
def postgres_database(services_reachable: None) -> Iterator[str]:
    """Create a database with a unique name for one test and drop it afterwards."""
    name = f"p9_test_{uuid.uuid4().hex[:12]}"
    connection = postgres_connection("postgres")
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield name
    finally:
        # FORCE (PostgreSQL 13 and later) ends the connections that the run, the instance's
        # pools and the worker may still hold.
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.close()


@dataclasses.dataclass
class ProductionSetup:
    """The production instance of one test, its warehouse file and its celery queue."""

    instance: dg.DagsterInstance
    database: str
    warehouse_path: Path
    queue: str


@pytest.fixture
def production_setup(
    postgres_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ProductionSetup]:
    """Set the production environment and load deploy/production/dagster.yaml in a new home.

    The environment is set in this process, so that the celery worker started from it and
    the run executed in it read the same settings.
    """
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(DEPLOY_DIR / "dagster.yaml", dagster_home / "dagster.yaml")
    warehouse_path = tmp_path / "warehouse.duckdb"
    queue = f"p9-test-{uuid.uuid4().hex[:12]}"

    environment = {
        "DAGSTER_HOME": str(dagster_home),
        "DAGSTER_PG_HOST": POSTGRES_HOST,
        "DAGSTER_PG_PORT": str(POSTGRES_PORT),
        "DAGSTER_PG_USER": POSTGRES_USER,
        "DAGSTER_PG_PASSWORD": POSTGRES_PASSWORD,
        "DAGSTER_PG_DB": postgres_database,
        "P9_DEPLOYMENT": "production",
        "P9_WAREHOUSE": str(warehouse_path),
        "P9_CONTRACTS_DIR": str(PROJECT_ROOT / "data" / "demo"),
        "P9_CELERY_BROKER": BROKER_URL,
        # A queue of its own keeps parallel test runs on the same broker apart.
        "P9_CELERY_QUEUE": queue,
    }
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("P9_CELERY_BACKEND", raising=False)
    # `dagster-celery worker start` runs `celery` from PATH.
    monkeypatch.setenv("PATH", f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")

    with dg.DagsterInstance.get() as instance:
        yield ProductionSetup(
            instance=instance,
            database=postgres_database,
            warehouse_path=warehouse_path,
            queue=queue,
        )


@dataclasses.dataclass
class CeleryWorker:
    """A running `dagster-celery worker start` process and the file its output goes to."""

    process: subprocess.Popen[bytes]
    log_path: Path
    name: str

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def wait_until_ready(worker: CeleryWorker) -> None:
    """Wait for celery's "ready." log line; fail with the worker's output if it never comes."""
    deadline = time.monotonic() + WORKER_READY_SECONDS
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            pytest.fail(
                f"celery worker exited with code {worker.process.returncode} before it was "
                f"ready. Its output:\n{worker.log()}"
            )
        if " ready." in worker.log():
            return
        time.sleep(0.2)
    pytest.fail(
        f"celery worker not ready after {WORKER_READY_SECONDS} s. Its output:\n{worker.log()}"
    )


def stop_worker(worker: CeleryWorker) -> None:
    """Stop the worker's whole process group: the CLI, celery and its pool processes."""
    if worker.process.poll() is not None:
        return
    # The worker was started in a session of its own, so its group id is its pid.
    os.killpg(worker.process.pid, signal.SIGTERM)
    try:
        worker.process.wait(timeout=WORKER_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(worker.process.pid, signal.SIGKILL)
        worker.process.wait()


def delete_queue(queue: str) -> None:
    """Delete the test's queue, which celery declares durable, so that it ends with the test.

    NOTE: the run's rpc:// reply queue has a random name that the test cannot read, so it stays
    on the broker, empty, until RabbitMQ expires it one day later.
    """
    with kombu.Connection(BROKER_URL, connect_timeout=CONNECT_TIMEOUT_SECONDS) as connection:
        connection.default_channel.queue_delete(queue)


@pytest.fixture
def celery_worker(production_setup: ProductionSetup, tmp_path: Path) -> Iterator[CeleryWorker]:
    """Start a celery worker on the test's own queue, as deploy/production/README.md does."""
    log_path = tmp_path / "celery_worker.log"
    name = production_setup.queue
    command = [
        str(VENV_BIN / "dagster-celery"),
        "worker",
        "start",
        "--app",
        "dagster_celery.app",
        "--config-yaml",
        str(DEPLOY_DIR / "celery.yaml"),
        "--queue",
        production_setup.queue,
        "--name",
        name,
        "--loglevel",
        "INFO",
        # The rest goes to `celery worker`. One pool process is enough for one step, and
        # gossip, mingle and heartbeats only slow the start of a worker that runs alone.
        "--",
        "--concurrency",
        "1",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = CeleryWorker(process=process, log_path=log_path, name=name)
    try:
        wait_until_ready(worker)
        yield worker
    finally:
        stop_worker(worker)
        delete_queue(production_setup.queue)
