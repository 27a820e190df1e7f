"""Tariff tables: published network charges and levies, and the supplier's own contracts."""

import dataclasses

import dagster as dg

from assets.metadata import markdown_table, schema_check
from p9_platform.schemas import TARIFF_DUOS_CHARGES
from p9_platform.tariffs import TariffTables, load_tariff_tables
from resources import PlatformSettings, Warehouse

TARIFF_FIELDS = [field.name for field in dataclasses.fields(TariffTables)]

# Tables with a pandera schema; each gets an asset check that shows its failing rows.
TABLE_SCHEMAS = {"duos_charges": TARIFF_DUOS_CHARGES}


def tariff_table_name(field: str) -> str:
    """Return the warehouse table that holds one field of TariffTables."""
    return f"tariff.{field}"


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            f"tariff_{field}",
            group_name="tariff_tables",
            kinds={"duckdb", "csv"},
            description=f"The {field.replace('_', ' ')} table (tariff.{field}), effective-dated "
            "by valid_from and valid_to settlement dates; unpartitioned, reloaded whole.",
        )
        for field in TARIFF_FIELDS
    ],
    check_specs=[
        dg.AssetCheckSpec(f"{field}_schema", asset=f"tariff_{field}") for field in TABLE_SCHEMAS
    ],
)
def tariff_tables(
    context: dg.AssetExecutionContext, warehouse: Warehouse, settings: PlatformSettings
):
    """Load every tariff table from the files the project ships and the contract folder."""
    tables = load_tariff_tables(settings.reference_path(), settings.contracts_path())

    for field in TARIFF_FIELDS:
        frame = getattr(tables, field)
        checks = []
        if field in TABLE_SCHEMAS:
            schema = TABLE_SCHEMAS[field]
            checks.append(schema_check(f"tariff_{field}", f"{field}_schema", frame, schema))
        rows = warehouse.replace_table(tariff_table_name(field), frame)
        context.log.info(f"Loaded {rows} rows into {tariff_table_name(field)}")

        yield dg.MaterializeResult(
            asset_key=f"tariff_{field}",
            metadata={"rows": rows, "preview": markdown_table(frame)},
            check_results=checks,
        )


def read_tariff_tables(warehouse: Warehouse) -> TariffTables:
    """Read the tariff tables back from the warehouse, as the tariff assets wrote them."""
    frames = {
        field: warehouse.query(f"SELECT * FROM {tariff_table_name(field)}")
        for field in TARIFF_FIELDS
    }
    return TariffTables(**frames)
