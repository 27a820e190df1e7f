"""Raw meter files: the landing prefix of the meter bucket, file by file."""

import datetime as dt

import dagster as dg
import pandas as pd
from pydantic import Field

from assets.metadata import markdown_table
from p9_platform.formats import parse_meter_file
from p9_platform.ingest_keys import settlement_run_from_key
from p9_platform.reads import MeterFileError
from resources import MeterBucket, Warehouse
from resources.s3 import ObjectVersion

INVENTORY_TABLE = "raw.meter_files"
STAGED_TABLE = "raw.meter_file_reads"

INVENTORY_COLUMNS = [
    "key",
    "etag",
    "size_bytes",
    "last_modified_utc",
    "status",
    "format_name",
    "rows",
    "first_settlement_date",
    "last_settlement_date",
    "reason",
    "quarantine_key",
    "read_at_utc",
]


class RawMeterFilesConfig(dg.Config):
    """Run config of ``raw_meter_files``: one landing key to read, or none to list them all."""

    landing_key: str | None = Field(
        default=None,
        description="Read only this object (its exact S3 key); empty lists the landing prefix.",
    )


def _previous_inventory(warehouse: Warehouse) -> pd.DataFrame:
    if not warehouse.table_exists(INVENTORY_TABLE):
        return pd.DataFrame(columns=INVENTORY_COLUMNS)
    return warehouse.query(f"SELECT * FROM {INVENTORY_TABLE}")


@dg.asset(
    group_name="raw_meter_files",
    kinds={"s3", "duckdb"},
    check_specs=[
        dg.AssetCheckSpec(
            "no_quarantined_files",
            asset="raw_meter_files",
            description="Every file under the landing prefix could be read.",
        )
    ],
)
def raw_meter_files(
    context: dg.AssetExecutionContext,
    config: RawMeterFilesConfig,
    meter_bucket: MeterBucket,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """Inventory of every object under the landing prefix, one row per key (raw.meter_files),
    and the normalised reads of each readable file version (raw.meter_file_reads).

    Unpartitioned: files are listed whole because one file can hold any span of days. A file
    version (key and ETag) is read once; a re-uploaded file is read again and replaces the rows
    of its earlier version. An unreadable file is copied to the quarantine prefix with a JSON
    reason and its landing object is left untouched.

    With ``landing_key`` in the run config, as the landing sensors set it, only that object is
    read and only its inventory row is replaced, so a run per file does not list the bucket.
    """
    if config.landing_key is None:
        listed = list(meter_bucket.list_landing())
        context.log.info(
            f"Listed {len(listed)} objects under s3://{meter_bucket.bucket}/"
            f"{meter_bucket.landing_prefix}"
        )
    else:
        listed = _requested_version(context, meter_bucket, config.landing_key)
    previous = _previous_inventory(warehouse).set_index("key")

    inventory = []
    changed_ranges: list[tuple[str, str]] = []
    read_count = quarantined_count = unchanged_count = 0
    for obj in listed:
        if _same_version(previous, obj):
            inventory.append(previous.loc[obj.key].to_dict() | {"key": obj.key})
            unchanged_count += 1
            continue

        content = meter_bucket.read(obj.key)
        row: dict[str, object] = {
            "key": obj.key,
            "etag": obj.etag,
            "size_bytes": obj.size,
            "last_modified_utc": obj.last_modified,
            "read_at_utc": dt.datetime.now(dt.UTC),
        }
        try:
            parsed = parse_meter_file(content, obj.key)
        except MeterFileError as error:
            target = meter_bucket.quarantine(obj.key, obj.etag, content, error.as_dict())
            context.log.warning(f"Quarantined {obj.key} to {target}: {error}")
            warehouse.delete_rows(STAGED_TABLE, "source_key = ?", [obj.key])
            row |= {
                "status": "quarantined",
                "reason": str(error),
                "quarantine_key": target,
                "rows": 0,
            }
            quarantined_count += 1
        else:
            reads = parsed.reads.assign(file_last_modified_utc=obj.last_modified)
            # A file under landing/<run>/ holds that run's reads, whatever its format says.
            run = settlement_run_from_key(obj.key, meter_bucket.landing_prefix)
            if run is not None:
                reads = reads.assign(settlement_run=run)
            if reads.empty:
                # A header-only export is readable but contains no readings, so its old rows go.
                warehouse.delete_rows(STAGED_TABLE, "source_key = ?", [obj.key])
                context.log.warning(f"Read {obj.key} as {parsed.format_name}: no readings")
            else:
                warehouse.replace_rows(STAGED_TABLE, reads, "source_key = ?", [obj.key])
                first = reads["settlement_date"].min()
                last = reads["settlement_date"].max()
                row |= {"first_settlement_date": first, "last_settlement_date": last}
                changed_ranges.append((f"{first:%Y-%m-%d}", f"{last:%Y-%m-%d}"))
                context.log.info(f"Read {obj.key} as {parsed.format_name}: {len(reads)} rows")
            row |= {"status": "read", "format_name": parsed.format_name, "rows": len(reads)}
            read_count += 1
        inventory.append(row)

    if config.landing_key is None:
        inventory.extend(_absent_from_bucket(previous, listed, context))
    frame = pd.DataFrame(inventory, columns=INVENTORY_COLUMNS)
    if config.landing_key is None:
        warehouse.replace_table(INVENTORY_TABLE, frame)
    elif inventory:
        _replace_inventory_row(warehouse, frame, config.landing_key)

    context.log.info(
        f"{len(listed)} files: {read_count} read, {quarantined_count} quarantined, "
        f"{unchanged_count} unchanged since the last run"
    )
    quarantined = frame.loc[frame["status"] == "quarantined", ["key", "reason", "quarantine_key"]]
    return dg.MaterializeResult(
        metadata={
            "files_listed": len(listed),
            "files_read": read_count,
            "files_quarantined": int(len(quarantined)),
            "files_unchanged": unchanged_count,
            "changed_day_ranges": dg.MetadataValue.json(changed_ranges),
            "inventory": markdown_table(frame.drop(columns=["etag", "quarantine_key"])),
            "quarantine": markdown_table(quarantined, rows=50),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="no_quarantined_files",
                passed=quarantined.empty,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"quarantined_files": markdown_table(quarantined, rows=50)},
            )
        ],
    )


def _absent_from_bucket(
    previous: pd.DataFrame, listed: list[ObjectVersion], context: dg.AssetExecutionContext
) -> list[dict[str, object]]:
    """Keep inventory rows of read files no longer in the bucket, marked ``absent``.

    Their reads stay in use, because landing files are often archived once read; withdrawing a
    wrong file takes a corrected upload under the same key. Marking the row keeps the reads
    traceable to a file that is gone.
    """
    present = {obj.key for obj in listed}
    absent = previous.loc[~previous.index.isin(present) & (previous["rows"].fillna(0) > 0)]
    if len(absent):
        context.log.warning(
            f"{len(absent)} read file(s) are no longer in the bucket; their reads stay in use"
        )
    return [row.to_dict() | {"key": key, "status": "absent"} for key, row in absent.iterrows()]


def _same_version(previous: pd.DataFrame, obj: ObjectVersion) -> bool:
    """Return True when this key was read before at this ETag and last-modified time."""
    if obj.key not in previous.index:
        return False
    seen = previous.loc[obj.key]
    return bool(
        seen["etag"] == obj.etag
        and pd.Timestamp(seen["last_modified_utc"]) == pd.Timestamp(obj.last_modified)
    )


def _requested_version(
    context: dg.AssetExecutionContext, meter_bucket: MeterBucket, key: str
) -> list[ObjectVersion]:
    """Return the object now at ``key`` as a one-item listing, or none when it was deleted."""
    if not key.startswith(meter_bucket.landing_prefix):
        raise ValueError(
            f"landing_key {key!r} is not under the landing prefix "
            f"{meter_bucket.landing_prefix!r}; give a key from s3://{meter_bucket.bucket}/"
            f"{meter_bucket.landing_prefix} or leave landing_key empty"
        )
    found = meter_bucket.current_version(key)
    if found is None:
        context.log.warning(f"s3://{meter_bucket.bucket}/{key} no longer exists; nothing to read")
        return []
    context.log.info(f"Reading only s3://{meter_bucket.bucket}/{key} (ETag {found.etag})")
    return [found]


def _replace_inventory_row(warehouse: Warehouse, frame: pd.DataFrame, key: str) -> None:
    """Replace the inventory row of ``key``, keeping every other row as it is now.

    Runs for other keys write their rows while this one parses, so writing back the inventory
    read at the start would drop theirs. DuckDB gives the open file to one process at a time,
    which makes this read and write one step. UNION BY NAME widens a column that an earlier
    write created from only NULLs.
    """
    with warehouse.connect() as connection:
        connection.register("incoming", frame)
        connection.execute(
            f"CREATE TABLE IF NOT EXISTS {INVENTORY_TABLE} AS SELECT * FROM incoming LIMIT 0"
        )
        connection.execute(
            f"CREATE OR REPLACE TABLE {INVENTORY_TABLE} AS "
            f"SELECT * FROM {INVENTORY_TABLE} WHERE key <> ? "
            "UNION ALL BY NAME SELECT * FROM incoming",
            [key],
        )
        connection.unregister("incoming")
