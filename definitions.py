"""The Dagster definitions of P9 platform: every asset, job, schedule, sensor and resource."""

from __future__ import annotations

import os

import dagster as dg

from assets import ALL_ASSETS
from jobs import ALL_JOBS, ALL_SCHEDULES
from resources import build_resources
from sensors import ALL_SENSORS


def build_executor(deployment: str) -> dg.ExecutorDefinition:
    """Run steps in one process on the embedded default; on celery workers in production.

    The embedded warehouse is one DuckDB file, which takes one writing process at a time, so
    steps there run one after another in the run's own process.

    Production reads ``P9_CELERY_BROKER`` (required), ``P9_CELERY_BACKEND`` (default
    ``rpc://``) and ``P9_CELERY_QUEUE`` (default ``dagster``), and raises ValueError when the
    broker URL is missing. Workers must listen on the same broker and queue.
    """
    if deployment == "production":
        from dagster_celery import celery_executor

        if not os.environ.get("P9_CELERY_BROKER"):
            raise ValueError(
                "P9_CELERY_BROKER is not set: the production deployment needs the celery "
                "broker URL, e.g. pyamqp://user:password@rabbitmq-host:5672//"
            )
        # Broker and backend URLs can carry passwords, and configured values can show in the
        # Dagster UI, so the config names the variables and Dagster reads them at run start.
        backend = {"env": "P9_CELERY_BACKEND"} if os.environ.get("P9_CELERY_BACKEND") else "rpc://"
        return celery_executor.configured(
            {
                "broker": {"env": "P9_CELERY_BROKER"},
                "backend": backend,
                "config_source": {
                    "task_default_queue": os.environ.get("P9_CELERY_QUEUE", "dagster"),
                },
            }
        )
    return dg.in_process_executor


def build_definitions(deployment: str | None = None) -> dg.Definitions:
    """Build the definitions for ``deployment`` (default: ``P9_DEPLOYMENT`` or embedded)."""
    deployment = deployment or os.environ.get("P9_DEPLOYMENT", "embedded")
    return dg.Definitions(
        assets=ALL_ASSETS,
        jobs=ALL_JOBS,
        schedules=ALL_SCHEDULES,
        sensors=ALL_SENSORS,
        resources=build_resources(deployment),
        executor=build_executor(deployment),
    )


defs = build_definitions()
