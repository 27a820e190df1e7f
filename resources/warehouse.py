"""The DuckDB warehouse: one file, one schema per layer, partition-wise replacement."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd

SCHEMAS = ("raw", "core", "tariff", "billing", "forecast")

# DuckDB allows one writing process per file; a second one waits and retries briefly.
LOCK_RETRY_SECONDS = 60.0


class Warehouse(dg.ConfigurableResource):
    """A DuckDB database file holding every table the platform writes."""

    path: str

    @contextlib.contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open the database, creating the file and its schemas on first use."""
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + LOCK_RETRY_SECONDS
        while True:
            try:
                connection = duckdb.connect(self.path)
                break
            except duckdb.IOException as error:
                if "lock" not in str(error).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        try:
            for schema in SCHEMAS:
                connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            yield connection
        finally:
            connection.close()

    def query(self, sql: str, parameters: list[object] | None = None) -> pd.DataFrame:
        """Run a query and return its result as a pandas frame."""
        with self.connect() as connection:
            return connection.execute(sql, parameters or []).df()

    def table_exists(self, table: str) -> bool:
        """Return True when ``schema.table`` exists."""
        schema, name = table.split(".")
        found = self.query(
            "SELECT count(*) AS n FROM information_schema.tables "
            "WHERE table_schema = ? AND table_name = ?",
            [schema, name],
        )
        return bool(found["n"].iloc[0])

    def delete_rows(self, table: str, where: str, parameters: list[object]) -> None:
        """Delete the rows of ``table`` matching ``where``; a missing table has none."""
        if not self.table_exists(table):
            return
        with self.connect() as connection:
            connection.execute(f"DELETE FROM {table} WHERE {where}", parameters)

    def replace_table(self, table: str, frame: pd.DataFrame) -> int:
        """Replace the whole of ``table`` with ``frame``; return the rows written."""
        with self.connect() as connection:
            connection.register("incoming", frame)
            connection.execute(f"CREATE OR REPLACE TABLE {table} AS {_select_incoming(frame)}")
            connection.unregister("incoming")
        return len(frame)

    def replace_rows(
        self, table: str, frame: pd.DataFrame, where: str, parameters: list[object]
    ) -> int:
        """Delete the rows matching ``where`` and insert ``frame``, in one transaction.

        This is how every partitioned asset writes, so rerunning a partition replaces it
        instead of appending it twice. The table is created from ``frame`` on first write;
        an empty first write only deletes, because an empty frame has no column types to give.
        """
        if frame.empty and not self.table_exists(table):
            return 0
        incoming = _select_incoming(frame)
        with self.connect() as connection:
            connection.register("incoming", frame)
            connection.execute("BEGIN TRANSACTION")
            try:
                connection.execute(f"CREATE TABLE IF NOT EXISTS {table} AS {incoming} LIMIT 0")
                connection.execute(f"DELETE FROM {table} WHERE {where}", parameters)
                connection.execute(f"INSERT INTO {table} BY NAME {incoming}")
                connection.execute("COMMIT")
            except Exception:
                connection.execute("ROLLBACK")
                raise
            finally:
                connection.unregister("incoming")
        return len(frame)


def _select_incoming(frame: pd.DataFrame) -> str:
    """Return the SELECT of a registered frame with its categorical text columns as VARCHAR.

    DuckDB reads a pandas categorical of text as an ENUM of the values in that frame, so a table
    created from one file's reads would reject the next file's meters. Categoricals of numbers
    or times keep their type.
    """
    categorical = [
        name
        for name, dtype in frame.dtypes.items()
        if isinstance(dtype, pd.CategoricalDtype)
        and pd.api.types.is_object_dtype(dtype.categories.dtype)
    ]
    if not categorical:
        return "SELECT * FROM incoming"
    casts = ", ".join(f'CAST("{name}" AS VARCHAR) AS "{name}"' for name in categorical)
    return f"SELECT * REPLACE ({casts}) FROM incoming"
