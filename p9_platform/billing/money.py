"""Exact money: integer nanopence inside, whole pence on the bill, one rounding rule.

The rounding rule of P9 platform:

* A half-hourly or daily amount is exact: watt-hours times a rate in millionths of a penny per
  kWh gives nanopence (10^-9 p) with no rounding at all.
* Each bill line (one charge at one rate in one month) is the sum of its exact amounts, rounded
  once to the whole penny, half away from zero (ROUND_HALF_UP): 108.5 p becomes 109 p.
* VAT is charged on the sum of the rounded bill lines and rounded once in the same way.

So a bill's lines always equal the rounded sums of the half-hourly lines beneath them.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np

NANOPENCE_PER_PENNY = 10**9
MICRO = 10**6


def rate_to_micro(rate: Decimal) -> int:
    """Scale a rate in pence (per kWh or per day) to integer millionths of a penny.

    Raises ValueError for a rate with more than six decimal places, which would not be exact.
    """
    scaled = rate * MICRO
    if scaled != scaled.to_integral_value():
        raise ValueError(f"rate {rate} has more than 6 decimal places of a penny")
    return int(scaled)


def round_half_up(numerator: int, denominator: int) -> int:
    """Divide two integers and round to the nearest whole number, ties away from zero."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    magnitude = (abs(numerator) * 2 + denominator) // (2 * denominator)
    return magnitude if numerator >= 0 else -magnitude


def nanopence_to_pence(amounts: np.ndarray) -> np.ndarray:
    """Round an array of nanopence amounts to whole pence under the rule above."""
    values = np.asarray(amounts, dtype=object)
    return np.array([round_half_up(int(v), NANOPENCE_PER_PENNY) for v in values], dtype=np.int64)


def percent_of(pence: int, rate_pct: Decimal) -> int:
    """Return ``rate_pct`` percent of ``pence``, rounded half up to the penny."""
    return int((Decimal(pence) * rate_pct / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_pounds(pence: int) -> str:
    """Format whole pence as pounds, e.g. 123456 -> '£1,234.56'."""
    sign = "-" if pence < 0 else ""
    pounds, rest = divmod(abs(pence), 100)
    return f"{sign}£{pounds:,}.{rest:02d}"
