"""Benchmark the bill engine against DuckDB SQL and Polars implementations of the same lines.

Each run bills March 2026 (a 46-period day on the 29th) for ``--sizes`` meters on the shipped
SWEB 2025/26 tables: LV Site Specific Band 1 (LLFC 570), a benchmark contract of day 24.50 and
night 15.25 p/kWh (00:30-07:30 local) with a 35.50 p/day standing charge, and the published
RO and CCL rates. The lines compared are energy (day and night), standing charge, DUoS red,
amber and green, DUoS fixed, capacity and excess capacity, RO and CCL; every engine prices
exact integers and rounds each line half up to the penny. Reads are random whole watt-hours
(0 to 60 kWh a half hour, agreed capacity 50 to 200 kVA, so some sites exceed it).

Time is the median of ``--repeat`` rounds of the billing call only, with the three engines
interleaved in one child process after one untimed warm-up each. Memory is measured in a
separate child per engine: the peak resident memory (kernel high-water mark, reset after the
input is built) during one billing call, which includes the input frame (``input MB``, the
same for all engines). The parent checks that all three engines give the same pence on every
(meter, line, rate).

Run: ``.venv/bin/python benchmarks/billing.py --sizes 1000 10000``
(needs ``pip install -e '.[bench]'`` for Polars).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from p9_platform.billing.calendar import build_grid, month_days
from p9_platform.billing.engine import bill_month
from p9_platform.clock import day_intervals_utc
from p9_platform.tariffs import REFERENCE_DIR, TariffTables, load_tariff_tables

MONTH = dt.date(2026, 3, 1)
CONTRACT = """contract_id,valid_from,valid_to,pricing,day_rate_p_per_kwh,\
night_rate_p_per_kwh,night_start_local,night_end_local,standing_charge_p_per_day,\
margin_p_per_kwh
BENCH,2025-04-01,2026-03-31,fixed,24.50,15.25,00:30,07:30,35.50,
"""
COMPARED = [
    "energy",
    "standing_charge",
    "duos_red",
    "duos_amber",
    "duos_green",
    "duos_fixed",
    "duos_capacity",
    "duos_excess_capacity",
    "ro",
    "ccl",
]


def write_contracts(folder: Path, meters: int) -> None:
    """Write the benchmark supply points and contract."""
    capacity = np.random.default_rng(7).integers(50, 201, meters)
    points = pd.DataFrame(
        {
            "meter_id": [f"M{index:06d}" for index in range(meters)],
            "dno": "SWEB",
            "llfc": "570",
            "gsp_group": "_L",
            "contract_id": "BENCH",
            "capacity_kva": capacity,
            "tnuos_band": "",
            "supply_start": "2025-01-01",
            "supply_end": "",
        }
    )
    points.to_csv(folder / "supply_points.csv", index=False)
    (folder / "supply_contracts.csv").write_text(CONTRACT)


def make_reads(meters: int) -> pd.DataFrame:
    """Return one month of random reads in the normalised read columns billing uses.

    Meter ids are shared string objects (one per meter), as a categorical column read back
    to object would give; building a separate string per row would triple the input's size.
    """
    days = month_days(MONTH)
    per_day = [day_intervals_utc(day.date()) for day in days]
    starts = np.concatenate([index.tz_convert(None).to_numpy() for index in per_day])
    dates = np.concatenate(
        [np.full(len(index), day.to_datetime64()) for index, day in zip(per_day, days, strict=True)]
    )
    periods = np.concatenate([np.arange(1, len(index) + 1) for index in per_day])
    count = len(starts)
    names = np.array([f"M{index:06d}" for index in range(meters)], dtype=object)
    energy = np.random.default_rng(11).integers(0, 60_001, meters * count)
    return pd.DataFrame(
        {
            "meter_id": np.repeat(names, count),
            "interval_start_utc": pd.DatetimeIndex(np.tile(starts, meters)).tz_localize("UTC"),
            "settlement_date": np.tile(dates, meters).astype("datetime64[ns]"),
            "settlement_period": np.tile(periods, meters).astype(np.int64),
            "energy_wh": pd.array(energy, dtype="Int64"),
            "quality": np.repeat(np.array(["actual"], dtype=object), meters * count),
            "settlement_run": np.repeat(np.array(["SF"], dtype=object), meters * count),
        }
    )


def current_rss_mb() -> float:
    """Return this process's resident memory now, in MB (Linux /proc)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def ours(reads: pd.DataFrame, tables: TariffTables) -> pd.DataFrame:
    """Bill with the project's engine and keep the compared lines."""
    lines = bill_month(reads, tables, MONTH, half_hours=False).lines
    lines = lines.loc[lines["priced"] & lines["line_code"].isin(COMPARED)]
    return lines.loc[:, ["meter_id", "line_code", "rate_p", "amount_pence"]]


def shared_inputs(tables: TariffTables) -> dict[str, pd.DataFrame]:
    """Build the small lookup tables both comparison engines join to.

    ``calendar``: the local slot and weekend flag of every settlement period of the month.
    ``bands``: DUoS band and energy band of each (weekend, slot). ``rates``: every rate in
    micro-pence per day of the month (one contract, one DUoS row, levies by date).
    """
    days = month_days(MONTH)
    live = np.ones((1, len(days)), dtype=bool)
    grid = build_grid(np.array(["x"]), live, days)
    calendar = pd.DataFrame(
        {
            "settlement_date": days[grid.day],
            "settlement_period": grid.period,
            "slot": grid.slot,
            "weekend": grid.weekend[grid.day],
        }
    )
    duos_bands = tables.duos_time_bands
    duos_bands = duos_bands.loc[
        (duos_bands["dno"] == "SWEB")
        & (duos_bands["valid_from"] <= pd.Timestamp(MONTH))
        & (duos_bands["valid_to"] >= pd.Timestamp(MONTH))
    ]
    energy_bands = tables.contract_unit_rates
    bands = (
        duos_bands.assign(
            weekend=duos_bands["day_type"] == "weekend", slot=lambda f: f["slot_minute"] // 30
        )
        .loc[:, ["weekend", "slot", "band"]]
        .merge(
            energy_bands.assign(
                weekend=energy_bands["day_type"] == "weekend",
                slot=energy_bands["slot_minute"] // 30,
            )
            .loc[:, ["weekend", "slot", "band", "rate_micro"]]
            .rename(columns={"band": "energy_band", "rate_micro": "energy_micro"}),
            on=["weekend", "slot"],
        )
    )
    duos = tables.duos_charges
    row = duos.loc[
        (duos["dno"] == "SWEB")
        & (duos["llfc"] == "570")
        & (duos["valid_from"] <= pd.Timestamp(MONTH))
        & (duos["valid_to"] >= pd.Timestamp(MONTH))
    ].iloc[-1]
    levies = tables.levy_rates

    def levy(code: str) -> int:
        rates = levies.loc[
            (levies["line_code"] == code)
            & (levies["valid_from"] <= pd.Timestamp(MONTH))
            & (levies["valid_to"] >= pd.Timestamp(MONTH))
        ]
        return int(rates["rate_micro"].iloc[-1])

    def micro(text: str) -> int:
        return int(round(float(text) * 10**6))

    rates = pd.DataFrame(
        {
            "settlement_date": days,
            "standing_micro": micro(tables.supply_contracts["standing_charge_p_per_day"].iloc[0]),
            "red_micro": micro(row["red_p_per_kwh"]),
            "amber_micro": micro(row["amber_p_per_kwh"]),
            "green_micro": micro(row["green_p_per_kwh"]),
            "fixed_micro": micro(row["fixed_p_per_day"]),
            "capacity_micro": micro(row["capacity_p_per_kva_per_day"]),
            "excess_micro": micro(row["excess_capacity_p_per_kva_per_day"]),
            "ro_micro": levy("ro"),
            "ccl_micro": levy("ccl"),
        }
    )
    return {"calendar": calendar, "bands": bands, "rates": rates}


DUCKDB_SQL = """
WITH hh AS (
    SELECT r.meter_id, r.settlement_date, r.energy_wh::BIGINT AS wh, c.slot, c.weekend
    FROM reads r JOIN calendar c USING (settlement_date, settlement_period)
    WHERE r.energy_wh IS NOT NULL
),
sums AS (
    SELECT hh.meter_id, hh.settlement_date, b.band, b.energy_band, b.energy_micro,
           sum(hh.wh) AS wh, max(hh.wh) AS max_wh
    FROM hh JOIN bands b USING (weekend, slot)
    GROUP BY ALL
),
priced AS (
    SELECT s.*, t.* EXCLUDE (settlement_date) FROM sums s JOIN rates t USING (settlement_date)
),
meter AS (
    SELECT meter_id, sum(wh) AS wh, max(max_wh) AS max_wh,
           count(DISTINCT settlement_date) AS days
    FROM priced GROUP BY meter_id
),
unit AS (
    SELECT meter_id, 'energy' AS line_code, energy_micro AS rate_micro,
           sum(wh::HUGEINT * energy_micro) AS nano FROM priced GROUP BY ALL
    UNION ALL
    SELECT meter_id, 'duos_' || band, CASE band WHEN 'red' THEN red_micro
           WHEN 'amber' THEN amber_micro ELSE green_micro END,
           sum(wh::HUGEINT * CASE band WHEN 'red' THEN red_micro
               WHEN 'amber' THEN amber_micro ELSE green_micro END)
    FROM priced GROUP BY ALL
    UNION ALL
    SELECT meter_id, 'ro', ro_micro, sum(wh::HUGEINT * ro_micro) FROM priced GROUP BY ALL
    UNION ALL
    SELECT p.meter_id, 'ccl', ccl_micro, sum(p.wh::HUGEINT * ccl_micro)
    FROM priced p JOIN meter m USING (meter_id)
    WHERE m.wh > 33000 * m.days GROUP BY ALL
),
day_cells AS (
    SELECT DISTINCT p.meter_id, p.settlement_date, p.standing_micro, p.fixed_micro,
           p.capacity_micro, p.excess_micro, k.capacity_kva,
           greatest(2 * m.max_wh - k.capacity_kva * 1000, 0) AS excess_va
    FROM priced p JOIN meter m USING (meter_id) JOIN points k USING (meter_id)
),
daily AS (
    SELECT meter_id, 'standing_charge' AS line_code, standing_micro AS rate_micro,
           sum(standing_micro::HUGEINT * 1000) AS nano FROM day_cells GROUP BY ALL
    UNION ALL
    SELECT meter_id, 'duos_fixed', fixed_micro, sum(fixed_micro::HUGEINT * 1000)
    FROM day_cells GROUP BY ALL
    UNION ALL
    SELECT meter_id, 'duos_capacity', capacity_micro,
           sum(capacity_kva::HUGEINT * 1000 * capacity_micro)
    FROM day_cells WHERE capacity_kva > 0 GROUP BY ALL
    UNION ALL
    SELECT meter_id, 'duos_excess_capacity', excess_micro,
           sum(excess_va::HUGEINT * excess_micro)
    FROM day_cells WHERE excess_va > 0 GROUP BY ALL
)
SELECT meter_id, line_code, rate_micro,
       ((2 * nano + 1000000000) // 2000000000)::BIGINT AS amount_pence
FROM (SELECT * FROM unit UNION ALL SELECT * FROM daily)
WHERE nano > 0
"""


def with_duckdb(reads: pd.DataFrame, inputs: dict[str, pd.DataFrame], points) -> pd.DataFrame:
    """Bill the compared lines in one DuckDB SQL query (aggregate first, then price)."""
    with duckdb.connect() as connection:
        for name, frame in {**inputs, "reads": reads, "points": points}.items():
            connection.register(name, frame)
        return connection.execute(DUCKDB_SQL).df()


def with_polars(reads: pd.DataFrame, inputs: dict[str, pd.DataFrame], points) -> pd.DataFrame:
    """Bill the compared lines with Polars lazy frames (aggregate first, then price)."""
    import polars as pl

    frame = pl.from_pandas(
        reads.loc[:, ["meter_id", "settlement_date", "settlement_period", "energy_wh"]]
    ).lazy()
    calendar = pl.from_pandas(inputs["calendar"]).lazy()
    bands = pl.from_pandas(inputs["bands"]).lazy()
    rates = pl.from_pandas(inputs["rates"]).lazy()
    capacity = pl.from_pandas(points.loc[:, ["meter_id", "capacity_kva"]]).lazy()

    sums = (
        frame.drop_nulls("energy_wh")
        .join(calendar, on=["settlement_date", "settlement_period"])
        .join(bands, on=["weekend", "slot"])
        .group_by(["meter_id", "settlement_date", "band", "energy_band", "energy_micro"])
        .agg(pl.col("energy_wh").sum().alias("wh"), pl.col("energy_wh").max().alias("max_wh"))
        .join(rates, on="settlement_date")
    ).collect()
    meter = sums.group_by("meter_id").agg(
        pl.col("wh").sum().alias("total_wh"),
        pl.col("max_wh").max().alias("month_max_wh"),
        pl.col("settlement_date").n_unique().alias("days"),
    )
    wide = pl.Int128
    band_rate = (
        pl.when(pl.col("band") == "red")
        .then(pl.col("red_micro"))
        .when(pl.col("band") == "amber")
        .then(pl.col("amber_micro"))
        .otherwise(pl.col("green_micro"))
    )

    def unit(code, rate) -> pl.DataFrame:
        return (
            sums.with_columns(rate_micro=rate, line_code=code)
            .group_by(["meter_id", "line_code", "rate_micro"])
            .agg((pl.col("wh").cast(wide) * pl.col("rate_micro")).sum().alias("nano"))
        )

    ccl = (
        sums.join(meter, on="meter_id")
        .filter(pl.col("total_wh") > 33000 * pl.col("days"))
        .with_columns(rate_micro=pl.col("ccl_micro"), line_code=pl.lit("ccl"))
        .group_by(["meter_id", "line_code", "rate_micro"])
        .agg((pl.col("wh").cast(wide) * pl.col("rate_micro")).sum().alias("nano"))
    )
    cells = (
        sums.select(
            "meter_id",
            "settlement_date",
            "standing_micro",
            "fixed_micro",
            "capacity_micro",
            "excess_micro",
        )
        .unique()
        .join(meter, on="meter_id")
        .join(capacity.collect(), on="meter_id")
        .with_columns(
            excess_va=pl.max_horizontal(
                2 * pl.col("month_max_wh") - pl.col("capacity_kva") * 1000, pl.lit(0)
            )
        )
    )

    def daily(code, rate, quantity) -> pl.DataFrame:
        return (
            cells.with_columns(rate_micro=rate, line_code=pl.lit(code), quantity=quantity)
            .filter(pl.col("quantity") > 0)
            .group_by(["meter_id", "line_code", "rate_micro"])
            .agg((pl.col("quantity").cast(wide) * pl.col("rate_micro")).sum().alias("nano"))
        )

    parts = [
        unit(pl.lit("energy"), pl.col("energy_micro")),
        unit(pl.lit("duos_") + pl.col("band"), band_rate),
        unit(pl.lit("ro"), pl.col("ro_micro")),
        ccl,
        daily("standing_charge", pl.col("standing_micro"), pl.lit(1000)),
        daily("duos_fixed", pl.col("fixed_micro"), pl.lit(1000)),
        daily("duos_capacity", pl.col("capacity_micro"), pl.col("capacity_kva") * 1000),
        daily("duos_excess_capacity", pl.col("excess_micro"), pl.col("excess_va")),
    ]
    result = pl.concat(
        [part.select(["meter_id", "line_code", "rate_micro", "nano"]) for part in parts],
        how="vertical_relaxed",
    ).filter(pl.col("nano") > 0)
    result = result.with_columns(
        amount_pence=((2 * pl.col("nano") + 1_000_000_000) // 2_000_000_000).cast(pl.Int64)
    )
    return result.drop("nano").to_pandas()


def normalise(lines: pd.DataFrame) -> pd.DataFrame:
    """Key lines by meter, line and rate text, so all engines compare on equal terms."""
    frame = lines.copy()
    if "rate_micro" in frame:
        frame["rate_p"] = [
            np.format_float_positional(value / 10**6, trim="-") for value in frame["rate_micro"]
        ]
    frame = frame.loc[:, ["meter_id", "line_code", "rate_p", "amount_pence"]]
    frame["amount_pence"] = frame["amount_pence"].astype(np.int64)
    return frame.sort_values(["meter_id", "line_code", "rate_p"]).reset_index(drop=True)


ENGINES = ("ours", "duckdb", "polars")


def engine_calls(meters: int, folder: Path) -> tuple[dict, int]:
    """Build the input once and return a zero-argument billing call per engine."""
    tables = load_tariff_tables(REFERENCE_DIR, folder)
    reads = make_reads(meters)
    inputs = shared_inputs(tables)
    points = tables.supply_points
    calls = {
        "ours": lambda: ours(reads, tables),
        "duckdb": lambda: with_duckdb(reads, inputs, points),
        "polars": lambda: with_polars(reads, inputs, points),
    }
    return calls, len(reads)


def peak_child(engine: str, meters: int, folder: Path, output: Path) -> None:
    """Bill once with one engine; write its lines, input RSS and peak RSS during the call.

    The kernel's high-water mark (VmHWM) is reset after the input is built (writing 5 to
    /proc/self/clear_refs, Linux 4.0 and later), so the peak is that of the billing call on
    top of the input it reads.
    """
    calls, _ = engine_calls(meters, folder)
    input_mb = current_rss_mb()
    Path("/proc/self/clear_refs").write_text("5")
    lines = calls[engine]()
    status = Path("/proc/self/status").read_text().splitlines()
    peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    normalise(lines).to_parquet(output.with_suffix(".parquet"))
    output.write_text(json.dumps({"peak_mb": peak_kb / 1024, "input_mb": input_mb}))


def timing_child(meters: int, repeat: int, folder: Path, output: Path) -> None:
    """Time every engine in one process, interleaved round by round.

    Interleaving spreads any load from other processes evenly over the engines; each engine
    gets one untimed warm-up, and the median of ``repeat`` rounds is reported.
    """
    calls, rows = engine_calls(meters, folder)
    for call in calls.values():
        call()
    seconds: dict[str, list[float]] = {engine: [] for engine in ENGINES}
    for _ in range(repeat):
        for engine in ENGINES:
            start = time.perf_counter()
            calls[engine]()
            seconds[engine].append(time.perf_counter() - start)
    medians = {engine: statistics.median(values) for engine, values in seconds.items()}
    output.write_text(json.dumps({"seconds": medians, "rows": rows}))


def run_child(*arguments: str) -> None:
    subprocess.run([sys.executable, __file__, *arguments], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds (median)")
    parser.add_argument("--peak", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--timing", nargs=3, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.peak:
        engine, meters, folder, output = arguments.peak
        peak_child(engine, int(meters), Path(folder), Path(output))
        return
    if arguments.timing:
        meters, folder, output = arguments.timing
        timing_child(int(meters), arguments.repeat, Path(folder), Path(output))
        return

    print(
        f"{'meter-months':>12} {'engine':>7} {'median s':>9} {'peak MB':>8} "
        f"{'input MB':>9} {'agrees':>7}"
    )
    for meters in arguments.sizes:
        with tempfile.TemporaryDirectory() as temp:
            folder = Path(temp)
            write_contracts(folder, meters)
            timing = folder / "timing.json"
            run_child("--repeat", str(arguments.repeat), "--timing", str(meters), temp, str(timing))
            seconds = json.loads(timing.read_text())["seconds"]
            results = {}
            for engine in ENGINES:
                output = folder / f"{engine}.json"
                run_child("--peak", engine, str(meters), temp, str(output))
                results[engine] = json.loads(output.read_text())
                results[engine]["lines"] = pd.read_parquet(output.with_suffix(".parquet"))
            reference = results["ours"]["lines"]
            for engine, result in results.items():
                agrees = result["lines"].equals(reference)
                print(
                    f"{meters:>12} {engine:>7} {seconds[engine]:>9.3f} "
                    f"{result['peak_mb']:>8.0f} {result['input_mb']:>9.0f} {str(agrees):>7}"
                )
                if not agrees:
                    merged = reference.merge(
                        result["lines"],
                        on=["meter_id", "line_code", "rate_p"],
                        how="outer",
                        suffixes=("_ours", f"_{engine}"),
                        indicator=True,
                    )
                    differ = merged.loc[
                        (merged["_merge"] != "both")
                        | (merged["amount_pence_ours"] != merged[f"amount_pence_{engine}"])
                    ]
                    print(differ.head(10).to_string())


if __name__ == "__main__":
    main()
