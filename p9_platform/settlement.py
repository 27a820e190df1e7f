"""Settlement runs: keep every revision side by side and pick the best one per half hour."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from p9_platform.reads import SETTLEMENT_RUNS, Quality

RUN_RANK = {run: rank for rank, run in enumerate(SETTLEMENT_RUNS)}


def run_rank(runs: pd.Series) -> pd.Series:
    """Rank runs by settlement maturity (II lowest, DF highest); unknown runs raise."""
    ranks = runs.map(RUN_RANK)
    if ranks.isna().any():
        unknown = sorted(set(runs[ranks.isna()]))
        raise ValueError(f"unknown settlement run(s) {unknown}; expected one of {SETTLEMENT_RUNS}")
    return ranks.astype(int)


def best_view(reads: pd.DataFrame) -> pd.DataFrame:
    """Keep, per meter and half hour, the read from the most mature run that has a value.

    The order is the settlement timetable (II < SF < R1 < R2 < R3 < RF < DF), never arrival
    time, so a late SF file cannot replace an R1. A half hour missing in every run stays missing.
    """
    if reads.empty:
        return reads.copy()
    ranked = reads.assign(
        _has_value=reads["quality"] != Quality.MISSING,
        _rank=run_rank(reads["settlement_run"]),
    )
    ranked = ranked.sort_values(
        ["meter_id", "interval_start_utc", "_has_value", "_rank"], kind="stable"
    )
    best = ranked.drop_duplicates(["meter_id", "interval_start_utc"], keep="last")
    return best.drop(columns=["_has_value", "_rank"]).reset_index(drop=True)


def order_runs(runs: Iterable[str]) -> list[str]:
    """Return the distinct ``runs`` from least to most mature; unknown runs raise ValueError."""
    distinct = set(runs)
    unknown = sorted(distinct - RUN_RANK.keys())
    if unknown:
        raise ValueError(f"unknown settlement run(s) {unknown}; expected one of {SETTLEMENT_RUNS}")
    return sorted(distinct, key=RUN_RANK.__getitem__)


def runs_used(settled: pd.DataFrame) -> dict[tuple[str, str], str]:
    """Return, per meter and billing month (``YYYY-MM``), the runs that gave the settled reads
    a bill used, least mature first and comma-separated (``"SF,R1"``).

    Missing half hours are left out because they carry a placeholder run, not a run's value.
    """
    with_value = settled.loc[settled["quality"] != Quality.MISSING]
    if with_value.empty:
        return {}
    months = pd.to_datetime(with_value["settlement_date"]).dt.strftime("%Y-%m")
    pairs = with_value.assign(bill_month=months)
    result = {}
    for (meter_id, month), group in pairs.groupby(["meter_id", "bill_month"], observed=True):
        result[(str(meter_id), str(month))] = ",".join(order_runs(group["settlement_run"]))
    return result
