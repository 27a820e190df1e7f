"""``p9 reads FILE...``: print the normalised half hours of local meter files.

Files are read in the order given; when two carry the same meter, half hour and run, the later
file (or an actual over an estimate) wins, as in ingestion. The exit code is 1 when any file is
rejected, with the file, line and reason on standard error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from p9_platform.clock import periods_in_day
from p9_platform.formats import parse_meter_file
from p9_platform.ingest import supersede
from p9_platform.reads import MeterFileError, Quality

SUMMARY_COLUMNS = [
    "meter_id",
    "settlement_date",
    "settlement_run",
    "periods_in_day",
    "periods_present",
    "periods_missing",
    "periods_estimated",
    "kwh",
]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``reads`` subcommand."""
    parser = subparsers.add_parser(
        "reads",
        help="print the normalised half hours of meter data files as CSV",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="meter data file")
    parser.add_argument(
        "--summary",
        action="store_true",
        help="print one row per meter, settlement day and run: periods present, missing and "
        "estimated, and total kWh",
    )
    parser.set_defaults(handler=run)


def run(arguments: argparse.Namespace) -> int:
    """Read every file, print reads or the summary to stdout; return the exit code."""
    frames = []
    for path in arguments.files:
        try:
            content = path.read_bytes()
        except OSError as error:
            print(f"p9 reads: cannot read {path}: {error.strerror}", file=sys.stderr)
            return 1
        try:
            parsed = parse_meter_file(content, str(path))
        except MeterFileError as error:
            where = f"{error.source_key}, line {error.line}" if error.line else error.source_key
            print(f"p9 reads: rejected {where}: expected {error.expected}", file=sys.stderr)
            return 1
        frames.append(parsed.reads)

    # Empty frames are left out, because pandas is changing how they affect column types.
    reads = pd.concat([frame for frame in frames if len(frame)] or frames, ignore_index=True)
    current = supersede(reads, [str(path) for path in arguments.files]).current
    current = current.sort_values(["meter_id", "interval_start_utc", "settlement_run"])
    if arguments.summary:
        table = summarise(current)
    else:
        table = current.assign(settlement_date=current["settlement_date"].dt.strftime("%Y-%m-%d"))
    table.to_csv(sys.stdout, index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
    return 0


def summarise(reads: pd.DataFrame) -> pd.DataFrame:
    """Summarise reads per meter, settlement date and run (see SUMMARY_COLUMNS).

    ``periods_missing`` counts the day's periods with no value, whether a ``missing`` row or no
    row at all, so a day cut short by the end of a file shows as incomplete.
    """
    keys = ["meter_id", "settlement_date", "settlement_run"]
    flagged = reads.assign(
        _present=reads["quality"] != Quality.MISSING,
        _estimated=reads["quality"] == Quality.ESTIMATED,
    )
    days = flagged.groupby(keys, sort=True, observed=True).agg(
        periods_present=("_present", "sum"),
        periods_estimated=("_estimated", "sum"),
        energy_wh=("energy_wh", "sum"),
    )
    days = days.reset_index()
    dates = days["settlement_date"]
    days["periods_in_day"] = dates.map({day: periods_in_day(day.date()) for day in dates.unique()})
    days["periods_missing"] = days["periods_in_day"] - days["periods_present"]
    days["kwh"] = days["energy_wh"].astype("Float64") / 1000.0
    days["settlement_date"] = dates.dt.strftime("%Y-%m-%d")
    return days.loc[:, SUMMARY_COLUMNS]
