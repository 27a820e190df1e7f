"""``p9 bill``: print a meter's monthly bill from the DuckDB warehouse.

The billing assets write the frames of :class:`p9_platform.billing.engine.BillRun` to
``billing.bills``, ``billing.bill_lines`` and ``billing.half_hourly_lines``; this command only
reads them.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import duckdb
import pandas as pd

from p9_platform.billing.money import NANOPENCE_PER_PENNY, format_pounds

DEFAULT_WAREHOUSE = Path("var/warehouse.duckdb")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``bill`` subcommand."""
    parser = subparsers.add_parser("bill", help="print a meter's bill for one month")
    parser.add_argument("--meter", required=True, help="meter id, as in supply_points.csv")
    parser.add_argument("--month", required=True, help="billing month, YYYY-MM")
    parser.add_argument(
        "--half-hours", action="store_true", help="also print the cost of every half hour"
    )
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=DEFAULT_WAREHOUSE,
        help=f"DuckDB warehouse file (default {DEFAULT_WAREHOUSE})",
    )
    parser.set_defaults(handler=run)


def _query(connection: duckdb.DuckDBPyConnection, sql: str, meter: str, month: str) -> pd.DataFrame:
    return connection.execute(sql, [meter, month]).df()


def run(arguments: argparse.Namespace) -> int:
    """Print the bill; return 0, or 1 when the warehouse or the bill is missing."""
    if not re.fullmatch(r"\d{4}-\d{2}", arguments.month):
        print(f"invalid --month {arguments.month!r}: expected YYYY-MM", file=sys.stderr)
        return 1
    if not arguments.warehouse.exists():
        print(
            f"warehouse not found: {arguments.warehouse}; materialise the bills first "
            "or pass --warehouse",
            file=sys.stderr,
        )
        return 1
    with duckdb.connect(str(arguments.warehouse), read_only=True) as connection:
        bills = _query(
            connection,
            "SELECT * FROM billing.bills WHERE meter_id = ? AND bill_month = ?",
            arguments.meter,
            arguments.month,
        )
        if bills.empty:
            print(
                f"no bill for meter {arguments.meter} in {arguments.month}; "
                "see billing.bill_exceptions for why",
                file=sys.stderr,
            )
            return 1
        lines = _query(
            connection,
            "SELECT * FROM billing.bill_lines WHERE meter_id = ? AND bill_month = ?",
            arguments.meter,
            arguments.month,
        )
        print(format_bill(bills.iloc[0], lines))
        if arguments.half_hours:
            half_hours = _query(
                connection,
                "SELECT * FROM billing.half_hourly_lines WHERE meter_id = ? AND bill_month = ? "
                "ORDER BY interval_start_utc",
                arguments.meter,
                arguments.month,
            )
            print(format_half_hours(half_hours))
    return 0


def format_bill(bill: pd.Series, lines: pd.DataFrame) -> str:
    """Render one bill: its lines, the element split, VAT and total."""
    out = [
        f"Bill for meter {bill['meter_id']}, {bill['bill_month']} "
        f"({bill['live_days']} live days, {bill['kwh']:.3f} kWh)",
        *_missing_warning(bill),
        "",
        f"{'line':<52} {'quantity':>14} {'rate':>16} {'amount':>12}",
    ]

    priced = lines.loc[lines["priced"].astype(bool)]
    for line in priced.itertuples():
        shows_band = line.band and line.band not in line.description
        label = line.description + (f" ({line.band})" if shows_band else "")
        quantity = f"{line.quantity:,.3f} {line.quantity_unit}"
        rate = f"{line.rate_p} {line.rate_unit}"
        out.append(f"{label:<52} {quantity:>14} {rate:>16} {format_pounds(line.amount_pence):>12}")

    net = int(bill["net_pence"])
    out.append(f"{'Net':<84} {format_pounds(net):>12}")
    out.append(
        f"{'VAT at ' + format(bill['vat_rate_pct'], 'g') + '% (' + bill['vat_basis'] + ')':<84} "
        f"{format_pounds(int(bill['vat_pence'])):>12}"
    )
    out.append(f"{'Total':<84} {format_pounds(int(bill['total_pence'])):>12}")

    out.append("")
    out.append("Element split of the net total:")
    split = priced.groupby("element")["amount_pence"].sum()
    for element, pence in split.items():
        share = 100 * pence / net if net else 0.0
        out.append(f"  {element:<24} {format_pounds(int(pence)):>12} {share:6.2f}%")

    unpriced = lines.loc[~lines["priced"].astype(bool)]
    if len(unpriced):
        out.append("")
        out.append("Not charged on this bill:")
        for line in unpriced.itertuples():
            out.append(f"  {line.description}: {line.note}")
    return "\n".join(out)


def format_half_hours(half_hours: pd.DataFrame) -> str:
    """Render the half-hour view: kWh, cost and unit cost of every settlement period."""
    out = ["", f"{'UTC start':<26} {'SP':>3} {'kWh':>9} {'cost p':>12} {'p/kWh':>9}"]
    for row in half_hours.itertuples():
        cost = row.total_nanopence / NANOPENCE_PER_PENNY
        unit = "" if pd.isna(row.unit_cost_p_per_kwh) else f"{row.unit_cost_p_per_kwh:9.4f}"
        out.append(
            f"{str(row.interval_start_utc):<26} {row.settlement_period:>3} "
            f"{row.kwh:9.3f} {cost:12.4f} {unit:>9}"
        )
    return "\n".join(out)


def _missing_warning(bill: pd.Series) -> list[str]:
    """Warn when half hours without a reading were billed as zero kWh."""
    missing = int(bill.get("missing_half_hours", 0) or 0)
    if missing == 0:
        return []
    total = int(bill["half_hours"])
    return [f"Warning: {missing} of {total} half hours have no reading and count as zero kWh."]
