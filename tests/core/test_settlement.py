import pandas as pd
import pytest

from p9_platform.reads import Quality
from p9_platform.settlement import best_view

START = pd.Timestamp("2026-05-01 09:00", tz="UTC")


def _read(run: str, wh: int | None, quality: str = "actual", meter: str = "M1") -> dict:
    return {
        "meter_id": meter,
        "interval_start_utc": START,
        "settlement_run": run,
        "energy_wh": wh,
        "quality": Quality.MISSING.value if wh is None else quality,
    }


def _best(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame["energy_wh"] = frame["energy_wh"].astype("Int64")
    return best_view(frame)


def test_r1_beats_sf_whatever_the_arrival_order() -> None:
    best = _best([_read("R1", 1200), _read("SF", 1000)])
    assert best["settlement_run"].tolist() == ["R1"]
    assert best["energy_wh"].tolist() == [1200]


def test_df_replaces_rf() -> None:
    best = _best([_read("RF", 900), _read("DF", 950)])
    assert best["settlement_run"].tolist() == ["DF"]


def test_missing_later_run_keeps_earlier_value() -> None:
    best = _best([_read("SF", 1000), _read("R1", None)])
    assert best["settlement_run"].tolist() == ["SF"]
    assert best["energy_wh"].tolist() == [1000]


def test_meters_are_kept_apart() -> None:
    best = _best([_read("SF", 1, meter="A"), _read("R1", 2, meter="B")])
    assert sorted(best["meter_id"]) == ["A", "B"]


def test_unknown_run_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown settlement run"):
        _best([_read("XX", 1)])
