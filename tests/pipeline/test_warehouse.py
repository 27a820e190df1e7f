"""The DuckDB warehouse resource: partition writes and the column types they leave."""

from pathlib import Path

import pandas as pd

from resources import Warehouse


def _reads_of(meter: str, key: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "meter_id": pd.Categorical([meter, meter]),
            "source_key": pd.Categorical([key, key]),
            "energy_wh": [100, 200],
        }
    )


def test_categorical_text_is_stored_as_varchar(tmp_path: Path) -> None:
    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    warehouse.replace_rows(
        "raw.reads", _reads_of("1200000000001", "a.csv"), "source_key = ?", ["a.csv"]
    )
    # A second file brings a meter the first file's categories do not contain.
    warehouse.replace_rows(
        "raw.reads", _reads_of("1900000000002", "b.csv"), "source_key = ?", ["b.csv"]
    )
    warehouse.replace_rows(
        "raw.reads", _reads_of("1900000000002", "b.csv"), "source_key = ?", ["b.csv"]
    )

    stored = warehouse.query("SELECT meter_id, source_key, energy_wh FROM raw.reads ORDER BY 1, 3")
    assert stored.to_dict("records") == [
        {"meter_id": "1200000000001", "source_key": "a.csv", "energy_wh": 100},
        {"meter_id": "1200000000001", "source_key": "a.csv", "energy_wh": 200},
        {"meter_id": "1900000000002", "source_key": "b.csv", "energy_wh": 100},
        {"meter_id": "1900000000002", "source_key": "b.csv", "energy_wh": 200},
    ]
    types = warehouse.query(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'reads' AND column_name IN ('meter_id', 'source_key')"
    )
    assert set(types["data_type"]) == {"VARCHAR"}


def test_replace_table_stores_varchar(tmp_path: Path) -> None:
    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    warehouse.replace_table("raw.reads", _reads_of("1200000000001", "a.csv"))
    types = warehouse.query(
        "SELECT data_type FROM information_schema.columns "
        "WHERE table_name = 'reads' AND column_name = 'meter_id'"
    )
    assert types["data_type"].tolist() == ["VARCHAR"]


def test_categorical_numbers_keep_their_type(tmp_path: Path) -> None:
    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    warehouse.replace_table("raw.codes", pd.DataFrame({"code": pd.Categorical([3, 7, 3])}))
    types = warehouse.query(
        "SELECT data_type FROM information_schema.columns WHERE table_name = 'codes'"
    )
    assert types["data_type"].tolist() == ["BIGINT"]
    assert warehouse.query("SELECT code FROM raw.codes")["code"].tolist() == [3, 7, 3]
