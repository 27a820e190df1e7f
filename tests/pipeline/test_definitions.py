"""The definitions shown to a data engineer in the UI: groups, partitions, checks, jobs."""

from typing import Any

import dagster as dg
import pytest

from definitions import build_definitions

GROUPS_IN_FLOW_ORDER = [
    "raw_meter_files",
    "half_hour_reads",
    "settlement_revisions",
    "tariff_tables",
    "bills",
    "forecasts",
]


@pytest.fixture(scope="module")
def graph() -> Any:
    return build_definitions("embedded").resolve_asset_graph()


def test_six_groups(graph: Any) -> None:
    groups = {graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups == set(GROUPS_IN_FLOW_ORDER)


@pytest.mark.parametrize(
    ("asset", "cadence"),
    [
        ("half_hour_reads", "DAILY"),
        ("settled_half_hour_reads", "DAILY"),
        ("bills", "MONTHLY"),
        ("bill_lines", "MONTHLY"),
        ("half_hourly_bill_lines", "MONTHLY"),
    ],
)
def test_partitions_on_uk_clock(graph: Any, asset: str, cadence: str) -> None:
    partitions = graph.get(dg.AssetKey(asset)).partitions_def
    assert isinstance(partitions, dg.TimeWindowPartitionsDefinition)
    assert partitions.timezone == "Europe/London"
    assert partitions.cron_schedule == {"DAILY": "0 0 * * *", "MONTHLY": "0 0 1 * *"}[cadence]


def test_changed_day_maps_to_its_month(graph: Any) -> None:
    # 25 October 2026 (a 50-period day) belongs to the October bill and no other.
    mapping = dg.TimeWindowPartitionMapping()
    days = graph.get(dg.AssetKey("settled_half_hour_reads")).partitions_def
    bills = graph.get(dg.AssetKey("half_hourly_bill_lines")).partitions_def
    result = mapping.get_downstream_partitions_for_partitions(
        days.empty_subset().with_partition_keys(["2026-10-25"]), days, bills
    )
    months = list(result.get_partition_keys())
    assert list(months) == ["2026-10-01"]


@pytest.mark.parametrize(
    ("asset", "check"),
    [
        ("raw_meter_files", "no_quarantined_files"),
        ("half_hour_reads", "reads_schema"),
        ("half_hour_reads", "meter_days_complete"),
        ("bill_lines", "bill_lines_schema"),
        ("bills", "bills_schema"),
        ("bills", "every_supply_billed"),
        ("bills", "bills_on_complete_reads"),
        ("tariff_duos_charges", "duos_charges_schema"),
    ],
)
def test_checks_declared(graph: Any, asset: str, check: str) -> None:
    assert dg.AssetCheckKey(dg.AssetKey(asset), check) in graph.asset_check_keys


def test_definitions_load_for_both_deployments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("P9_CELERY_BROKER", "pyamqp://guest@127.0.0.1//")
    for deployment in ("embedded", "production"):
        defs = build_definitions(deployment)
        assert defs.resolve_job_def("billing_job") is not None
