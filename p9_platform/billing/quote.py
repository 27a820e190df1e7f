"""Quote comparison: the cost of a meter's half-hour reads on another supplier's offer."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from p9_platform.billing.money import NANOPENCE_PER_PENNY, rate_to_micro, round_half_up
from p9_platform.clock import UK


@dataclasses.dataclass(frozen=True)
class Offer:
    """Another supplier's offer: day and night unit rates with the local time each starts.

    Rates are in pence as exact decimals: unit rates per kWh, the standing charge per day and
    the capacity charge per kVA per day.
    """

    day_rate_p_per_kwh: Decimal
    night_rate_p_per_kwh: Decimal
    day_starts: dt.time
    night_starts: dt.time
    standing_charge_p_per_day: Decimal
    capacity_p_per_kva_per_day: Decimal = Decimal(0)


@dataclasses.dataclass(frozen=True)
class QuoteComparison:
    """The offer's cost of the same reads beside the amount actually billed, in pence."""

    day_kwh: Decimal
    night_kwh: Decimal
    offer_pence: int
    billed_pence: int
    saving_pence: int
    saving_percent: Decimal

    @property
    def saving_pounds(self) -> Decimal:
        """Return the saving in pounds (negative when the offer costs more)."""
        return Decimal(self.saving_pence) / 100


def _is_night(local_minutes: np.ndarray, offer: Offer) -> np.ndarray:
    night = offer.night_starts.hour * 60 + offer.night_starts.minute
    day = offer.day_starts.hour * 60 + offer.day_starts.minute
    if night <= day:
        return (local_minutes >= night) & (local_minutes < day)
    return (local_minutes >= night) | (local_minutes < day)


def compare_offer(
    reads: pd.DataFrame, offer: Offer, live_days: int, capacity_kva: int, billed_pence: int
) -> QuoteComparison:
    """Price ``reads`` on ``offer`` and compare with the ``billed_pence`` for the same period.

    ``reads`` are one meter's half hours (``interval_start_utc``, ``energy_wh``; a missing
    energy counts as zero). The offer is priced like a bill line: exact nanopence, each of its
    four lines rounded half up to the penny. Compare like with like: ``billed_pence`` should be
    net of VAT when the offer is. The saving is billed minus offer, in percent of the billed
    amount to 2 decimals (0 when nothing was billed).
    """
    energy = reads["energy_wh"].fillna(0).to_numpy(dtype=np.int64)
    local = pd.DatetimeIndex(reads["interval_start_utc"]).tz_convert(UK)
    minutes = np.asarray(local.hour * 60 + local.minute)
    night = _is_night(minutes, offer)
    night_wh = int(energy[night].sum())
    day_wh = int(energy[~night].sum())

    def pence(nanopence: int) -> int:
        return round_half_up(nanopence, NANOPENCE_PER_PENNY)

    micro_to_nano = NANOPENCE_PER_PENNY // 10**6
    offer_pence = (
        pence(day_wh * rate_to_micro(offer.day_rate_p_per_kwh))
        + pence(night_wh * rate_to_micro(offer.night_rate_p_per_kwh))
        + pence(live_days * rate_to_micro(offer.standing_charge_p_per_day) * micro_to_nano)
        + pence(
            live_days
            * capacity_kva
            * rate_to_micro(offer.capacity_p_per_kva_per_day)
            * micro_to_nano
        )
    )
    saving = billed_pence - offer_pence
    percent = (
        (Decimal(saving) * 100 / Decimal(billed_pence)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        if billed_pence
        else Decimal(0)
    )
    return QuoteComparison(
        day_kwh=Decimal(day_wh) / 1000,
        night_kwh=Decimal(night_wh) / 1000,
        offer_pence=offer_pence,
        billed_pence=billed_pence,
        saving_pence=saving,
        saving_percent=percent,
    )
