"""Exact money: integer amounts inside, whole pence on the bill, one rounding rule.

The rounding rule of P9 platform:

* Volumes are integers. Metered energy is in watt-hours. Loss factors are scaled to integer
  counts of 10^-7 (:data:`FACTOR_SCALE`), because published LLFs have 3 decimals and TLMs 7.
  So the loss-adjusted gsp volume is Wh x LLF in units of 10^-7 Wh, and the nbp volume is
  Wh x LLF x TLM in units of 10^-14 Wh. No volume is rounded.
* Rates are integers of a millionth of a penny (micro-pence) per kWh, per day or per kVA a day.
  A rate with more than six decimals of a penny is rejected, never rounded.
* The exact amount of a bill line (one charge at one rate for one meter and month) is the sum of
  volume x rate over its half hours or days, in Python integers, so nothing overflows.
* That exact amount is rounded half up (ties away from zero) first to whole nanopence
  (10^-9 p) and then to whole pence: 108.5 p becomes 109 p. For lines on metered energy or on
  days the first step changes nothing, because Wh x micro-pence per kWh is already nanopence.
* The half-hour view apportions each bill line's nanopence over its half hours in proportion to
  their volume by the largest-remainder method. Day charges go in equal shares over the day's
  half hours. So the half hours of a line sum exactly to its nanopence, and rounding that sum
  gives the line's pence.
* VAT is charged on the sum of the rounded bill lines and rounded half up to the penny once.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np

NANOPENCE_PER_PENNY = 10**9
MICRO = 10**6
FACTOR_SCALE = 10**7


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
    values = np.asarray(amounts, dtype=np.int64)
    magnitude = (np.abs(values) + NANOPENCE_PER_PENNY // 2) // NANOPENCE_PER_PENNY
    return np.where(values >= 0, magnitude, -magnitude).astype(np.int64)


def percent_of(pence: int, rate_pct: Decimal) -> int:
    """Return ``rate_pct`` percent of ``pence``, rounded half up to the penny."""
    return int((Decimal(pence) * rate_pct / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_pounds(pence: int) -> str:
    """Format whole pence as pounds, e.g. 123456 -> '£1,234.56'."""
    sign = "-" if pence < 0 else ""
    pounds, rest = divmod(abs(pence), 100)
    return f"{sign}£{pounds:,}.{rest:02d}"


def apportion(totals: np.ndarray, groups: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Split integer ``totals`` over the items of each group by the largest-remainder method.

    ``groups[i]`` is the index into ``totals`` of item ``i`` and ``weights[i]`` its share
    (non-negative). The result is an integer per item, and the items of each group sum exactly
    to that group's total. Floating point only orders the remainders, so two items with equal
    weights may swap a unit, but the group sums are always exact. A group whose weights are all
    zero gets equal shares.
    """
    totals = np.asarray(totals, dtype=np.int64)
    groups = np.asarray(groups, dtype=np.int64)
    weights = np.asarray(weights, dtype=np.float64)
    if len(groups) == 0:
        return np.zeros(0, dtype=np.int64)
    size = len(totals)
    weight_sum = np.bincount(groups, weights, minlength=size)
    count = np.bincount(groups, minlength=size)
    no_weight = weight_sum[groups] == 0
    weights = np.where(no_weight, 1.0, weights)
    weight_sum = np.where(weight_sum == 0, count, weight_sum)

    exact = totals[groups].astype(np.float64) * weights / weight_sum[groups]
    base = np.floor(exact).astype(np.int64)
    remainder = exact - base
    allocated = np.zeros(size, dtype=np.int64)
    np.add.at(allocated, groups, base)
    deficit = totals - allocated

    # Hand out the missing units to the largest remainders of each group. Float error can also
    # leave a group one unit over, so that unit is taken back from the smallest remainders.
    order = np.lexsort((-remainder, groups))
    rank = _rank_within(groups[order])
    share = base.copy()
    plus = rank < deficit[groups[order]]
    share[order[plus]] += 1
    order_low = np.lexsort((remainder, groups))
    rank_low = _rank_within(groups[order_low])
    minus = rank_low < -deficit[groups[order_low]]
    share[order_low[minus]] -= 1
    return share


def _rank_within(sorted_groups: np.ndarray) -> np.ndarray:
    """Return each item's position inside its run of equal group ids (input sorted by group)."""
    positions = np.arange(len(sorted_groups))
    starts = np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]
    first = np.maximum.accumulate(np.where(starts, positions, 0))
    return positions - first
