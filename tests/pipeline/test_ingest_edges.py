"""Files that must not stop ingestion or vanish from view, on moto S3 and a temporary warehouse."""

from tests.pipeline.conftest import Pipeline

HEADER = b"LCLid,tstp,energy(kWh/hh)\n"


def _lcl(meter: str, values: list[str]) -> bytes:
    # End-stamped UTC: the first value is the half hour from 00:00 to 00:30 on 10 October 2013.
    stamps = ["2013-10-10 00:30:00", "2013-10-10 01:00:00", "2013-10-10 01:30:00"]
    rows = [f"{meter},{stamp}, {value} " for stamp, value in zip(stamps, values, strict=False)]
    return HEADER + "\n".join(rows).encode() + b"\n"


def test_header_only_file_does_not_stop_ingest(pipeline: Pipeline) -> None:
    pipeline.upload("lcl/empty_export.csv", HEADER)
    pipeline.upload("lcl/MAC000777.csv", _lcl("MAC000777", ["0.100", "0.200"]))
    assert pipeline.materialize(["raw_meter_files"]).success

    files = pipeline.warehouse.query("SELECT key, status, rows FROM raw.meter_files ORDER BY key")
    assert files["status"].tolist() == ["read", "read"]
    assert files["rows"].tolist() == [2, 0]


def test_deleted_file_stays_in_inventory_as_absent(pipeline: Pipeline) -> None:
    pipeline.upload("lcl/MAC000777.csv", _lcl("MAC000777", ["0.100", "0.200"]))
    assert pipeline.materialize(["raw_meter_files"]).success
    pipeline.bucket.client().delete_object(
        Bucket=pipeline.bucket.bucket, Key="landing/lcl/MAC000777.csv"
    )
    assert pipeline.materialize(["raw_meter_files"]).success

    files = pipeline.warehouse.query("SELECT key, status FROM raw.meter_files")
    assert files["status"].tolist() == ["absent"]
    staged = pipeline.warehouse.query("SELECT count(*) AS n FROM raw.meter_file_reads")
    assert staged["n"].iloc[0] == 2


def test_meter_without_supply_point_is_an_exception(pipeline: Pipeline) -> None:
    pipeline.upload("lcl/MAC000777.csv", _lcl("MAC000777", ["0.100", "0.200", "0.300"]))
    pipeline.materialize_month("2013-10-01", "2013-10-31")

    exceptions = pipeline.warehouse.query(
        "SELECT reason FROM billing.bill_exceptions WHERE meter_id = 'MAC000777'"
    )
    assert exceptions["reason"].tolist() == [
        "meter MAC000777 has reads in 2013-10 but no supply point"
    ]


def test_resent_file_supersedes_and_keeps_old_rows(pipeline: Pipeline) -> None:
    pipeline.upload("lcl/MAC000777_a.csv", _lcl("MAC000777", ["0.100", "0.200"]))
    pipeline.upload("lcl/MAC000777_b.csv", _lcl("MAC000777", ["0.150", "0.250"]))
    assert pipeline.materialize(["raw_meter_files"]).success
    assert pipeline.materialize(["half_hour_reads"], "2013-10-10").success

    current = pipeline.warehouse.query(
        "SELECT energy_wh, source_key FROM core.half_hour_reads "
        "WHERE meter_id = 'MAC000777' ORDER BY interval_start_utc"
    )
    assert current["energy_wh"].tolist() == [150, 250]
    assert set(current["source_key"]) == {"landing/lcl/MAC000777_b.csv"}

    old = pipeline.warehouse.query(
        "SELECT energy_wh, source_key, superseded_by_key FROM core.superseded_half_hour_reads "
        "ORDER BY interval_start_utc"
    )
    assert old["energy_wh"].tolist() == [100, 200]
    assert set(old["source_key"]) == {"landing/lcl/MAC000777_a.csv"}
    assert set(old["superseded_by_key"]) == {"landing/lcl/MAC000777_b.csv"}
