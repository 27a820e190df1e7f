"""A landing sensor's run request, run for real: the ingest job reads only the requested key."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import dagster as dg
import pytest

from assets.raw_files import INVENTORY_TABLE, STAGED_TABLE, raw_meter_files
from jobs import ingest_job
from resources import MeterBucket, Warehouse
from sensors.landing import landing_files_sensor
from tests.conftest import DEMO_DIR
from tests.sensors.conftest import TRICKY_KEY, put, tick

LCL_FILE = DEMO_DIR / "meter_files" / "lcl" / "MAC000016.csv"
DAMAGED_FILE = DEMO_DIR / "meter_files" / "damaged" / "MAC000099_bad_timestamp.csv"
OTHER_KEY = "landing/lcl/MAC000016 copy.csv"


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        yield test_instance


def _run(
    request: dg.RunRequest,
    bucket: MeterBucket,
    warehouse: Warehouse,
    instance: dg.DagsterInstance,
) -> dg.ExecuteInProcessResult:
    defs = dg.Definitions(
        assets=[raw_meter_files],
        jobs=[ingest_job],
        resources={"meter_bucket": bucket, "warehouse": warehouse},
    )
    return defs.resolve_job_def("ingest_job").execute_in_process(
        run_config=request.run_config, tags=request.tags, instance=instance
    )


def _request_for(requests: Sequence[dg.RunRequest], key: str) -> dg.RunRequest:
    return next(request for request in requests if request.tags["p9/landing_key"] == key)


def test_run_reads_only_requested_key(
    bucket: MeterBucket, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    content = LCL_FILE.read_bytes()
    put(bucket, TRICKY_KEY, content)
    put(bucket, OTHER_KEY, content)
    put(bucket, "landing/damaged/bad.csv", DAMAGED_FILE.read_bytes())
    requests = tick(landing_files_sensor, None, meter_bucket=bucket).run_requests or []
    assert len(requests) == 3

    result = _run(_request_for(requests, TRICKY_KEY), bucket, warehouse, instance)
    assert result.success
    inventory = warehouse.query(f"SELECT * FROM {INVENTORY_TABLE}")
    assert list(inventory["key"]) == [TRICKY_KEY]
    row = inventory.iloc[0]
    assert row["status"] == "read"
    # 721 half hours end-stamped 2013-01-01 00:00 to 2013-01-16 00:00: 15 days of 48 plus one.
    assert row["rows"] == 721
    assert str(row["first_settlement_date"])[:10] == "2012-12-31"
    assert str(row["last_settlement_date"])[:10] == "2013-01-15"
    staged = warehouse.query(f"SELECT source_key, count(*) AS n FROM {STAGED_TABLE} GROUP BY 1")
    assert staged.to_dict("records") == [{"source_key": TRICKY_KEY, "n": 721}]

    materialization = result.asset_materializations_for_node("raw_meter_files")[0]
    assert materialization.metadata["files_listed"].value == 1
    assert materialization.metadata["files_read"].value == 1

    # The quarantined file adds its row and keeps the one written before.
    damaged = _request_for(requests, "landing/damaged/bad.csv")
    assert _run(damaged, bucket, warehouse, instance).success
    statuses = warehouse.query(f"SELECT key, status FROM {INVENTORY_TABLE} ORDER BY key")
    assert statuses.to_dict("records") == [
        {"key": TRICKY_KEY, "status": "read"},
        {"key": "landing/damaged/bad.csv", "status": "quarantined"},
    ]


def test_repeated_request_reads_nothing(
    bucket: MeterBucket, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    put(bucket, TRICKY_KEY, LCL_FILE.read_bytes())
    request = (tick(landing_files_sensor, None, meter_bucket=bucket).run_requests or [])[0]
    assert _run(request, bucket, warehouse, instance).success
    again = _run(request, bucket, warehouse, instance)
    metadata = again.asset_materializations_for_node("raw_meter_files")[0].metadata
    assert metadata["files_read"].value == 0
    assert metadata["files_unchanged"].value == 1


def test_run_for_deleted_key_changes_nothing(
    bucket: MeterBucket, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    put(bucket, TRICKY_KEY, LCL_FILE.read_bytes())
    request = (tick(landing_files_sensor, None, meter_bucket=bucket).run_requests or [])[0]
    bucket.client().delete_object(Bucket=bucket.bucket, Key=TRICKY_KEY)
    result = _run(request, bucket, warehouse, instance)
    assert result.success
    assert not warehouse.table_exists(INVENTORY_TABLE)


def test_run_without_key_lists_everything(
    bucket: MeterBucket, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    put(bucket, TRICKY_KEY, LCL_FILE.read_bytes())
    put(bucket, OTHER_KEY, LCL_FILE.read_bytes())
    result = _run(dg.RunRequest(), bucket, warehouse, instance)
    assert result.success
    keys = warehouse.query(f"SELECT key FROM {INVENTORY_TABLE} ORDER BY key")["key"].tolist()
    assert keys == [TRICKY_KEY, OTHER_KEY]


def test_key_outside_landing_rejected(
    bucket: MeterBucket, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    request = dg.RunRequest(
        run_config={"ops": {"raw_meter_files": {"config": {"landing_key": "quarantine/a.csv"}}}}
    )
    with pytest.raises(ValueError, match="not under the landing prefix 'landing/'"):
        _run(request, bucket, warehouse, instance)
