"""The declared bill lines: what each charges, on which volume, at which rate, in which element.

Volume bases follow the industry's names. ``msp`` is metered kWh at the meter. ``gsp`` is
loss-adjusted kWh at the grid supply point (line loss factor x metered). ``nbp`` is kWh at the
national balancing point (transmission loss multiplier x gsp).
"""

from __future__ import annotations

import dataclasses
from enum import StrEnum


class Element(StrEnum):
    """A group of bill lines shown to the customer as one subtotal."""

    ENERGY = "energy"
    NETWORK = "network"
    POLICY = "renewables and policy"
    THIRD_PARTY = "third party"
    IMBALANCE = "imbalance"
    TAXES = "taxes"


class Basis(StrEnum):
    """The volume a line is charged on."""

    METERED_KWH = "msp kWh"
    GSP_KWH = "gsp kWh"
    NBP_KWH = "nbp kWh"
    DAY = "day"
    KVA_DAY = "kVA day"
    EXCESS_KVA_DAY = "excess kVA day"
    KVARH = "kVArh"


class RateSource(StrEnum):
    """The table a line's rate is looked up in."""

    CONTRACT_BAND = "contract unit rate of the half hour's energy band"
    CONTRACT_DAY = "contract daily charge"
    WHOLESALE = "half-hourly wholesale price plus contract margin"
    DUOS_BAND = "DUoS unit rate of the half hour's red/amber/green band"
    DUOS_DAY = "DUoS daily charge"
    LEVY = "levy_rates table"
    SYSTEM_PRICE = "system buy price per settlement period"


@dataclasses.dataclass(frozen=True)
class LineItem:
    """One bill line: its code, wording, element, volume basis and rate lookup.

    ``rate_key`` is the column (for contract and DUoS rates), the band (for DUoS unit rates) or
    the ``line_code`` of ``levy_rates``. ``pricing`` limits a line to contracts of that pricing.
    """

    code: str
    description: str
    element: Element
    basis: Basis
    rate_source: RateSource
    rate_key: str
    pricing: str | None = None


LINE_ITEMS: tuple[LineItem, ...] = (
    LineItem(
        "energy",
        "Energy",
        Element.ENERGY,
        Basis.METERED_KWH,
        RateSource.CONTRACT_BAND,
        "band",
        "fixed",
    ),
    LineItem(
        "energy_pass_through",
        "Energy at wholesale price plus margin",
        Element.ENERGY,
        Basis.METERED_KWH,
        RateSource.WHOLESALE,
        "price",
        "pass_through",
    ),
    LineItem(
        "standing_charge",
        "Standing charge",
        Element.ENERGY,
        Basis.DAY,
        RateSource.CONTRACT_DAY,
        "standing_charge_p_per_day",
    ),
    LineItem(
        "duos_red",
        "Distribution use of system, red band",
        Element.NETWORK,
        Basis.METERED_KWH,
        RateSource.DUOS_BAND,
        "red",
    ),
    LineItem(
        "duos_amber",
        "Distribution use of system, amber band",
        Element.NETWORK,
        Basis.METERED_KWH,
        RateSource.DUOS_BAND,
        "amber",
    ),
    LineItem(
        "duos_green",
        "Distribution use of system, green band",
        Element.NETWORK,
        Basis.METERED_KWH,
        RateSource.DUOS_BAND,
        "green",
    ),
    LineItem(
        "duos_fixed",
        "Distribution fixed charge",
        Element.NETWORK,
        Basis.DAY,
        RateSource.DUOS_DAY,
        "fixed_p_per_day",
    ),
    LineItem(
        "duos_capacity",
        "Distribution capacity charge",
        Element.NETWORK,
        Basis.KVA_DAY,
        RateSource.DUOS_DAY,
        "capacity_p_per_kva_per_day",
    ),
    LineItem(
        "duos_excess_capacity",
        "Distribution excess capacity charge",
        Element.NETWORK,
        Basis.EXCESS_KVA_DAY,
        RateSource.DUOS_DAY,
        "excess_capacity_p_per_kva_per_day",
    ),
    LineItem(
        "duos_reactive",
        "Distribution excess reactive power",
        Element.NETWORK,
        Basis.KVARH,
        RateSource.DUOS_DAY,
        "reactive_p_per_kvarh",
    ),
    LineItem(
        "tnuos_residual",
        "Transmission demand residual",
        Element.NETWORK,
        Basis.DAY,
        RateSource.LEVY,
        "tnuos_residual",
    ),
    LineItem(
        "bsuos",
        "Balancing services use of system",
        Element.THIRD_PARTY,
        Basis.NBP_KWH,
        RateSource.LEVY,
        "bsuos",
    ),
    LineItem(
        "aahedc",
        "Assistance for areas with high distribution costs",
        Element.THIRD_PARTY,
        Basis.GSP_KWH,
        RateSource.LEVY,
        "aahedc",
    ),
    LineItem(
        "elexon", "Elexon BSC charge", Element.THIRD_PARTY, Basis.NBP_KWH, RateSource.LEVY, "elexon"
    ),
    LineItem(
        "ro", "Renewables Obligation", Element.POLICY, Basis.METERED_KWH, RateSource.LEVY, "ro"
    ),
    LineItem(
        "fit",
        "Feed-in Tariff levelisation",
        Element.POLICY,
        Basis.METERED_KWH,
        RateSource.LEVY,
        "fit",
    ),
    LineItem(
        "cfd_interim_levy",
        "Contracts for Difference interim levy",
        Element.POLICY,
        Basis.GSP_KWH,
        RateSource.LEVY,
        "cfd_interim_levy",
    ),
    LineItem(
        "cfd_operational",
        "Contracts for Difference operational costs levy",
        Element.POLICY,
        Basis.GSP_KWH,
        RateSource.LEVY,
        "cfd_operational",
    ),
    LineItem(
        "cm_supplier",
        "Capacity Market supplier charge",
        Element.POLICY,
        Basis.GSP_KWH,
        RateSource.LEVY,
        "cm_supplier",
    ),
    LineItem(
        "cm_operational",
        "Capacity Market settlement costs levy",
        Element.POLICY,
        Basis.GSP_KWH,
        RateSource.LEVY,
        "cm_operational",
    ),
    LineItem(
        "nuclear_rab",
        "Nuclear RAB levy",
        Element.POLICY,
        Basis.GSP_KWH,
        RateSource.LEVY,
        "nuclear_rab",
    ),
    LineItem(
        "imbalance",
        "Imbalance at system price",
        Element.IMBALANCE,
        Basis.NBP_KWH,
        RateSource.SYSTEM_PRICE,
        "sbp",
        "pass_through",
    ),
    LineItem(
        "ccl", "Climate Change Levy", Element.TAXES, Basis.METERED_KWH, RateSource.LEVY, "ccl"
    ),
)

LINES_BY_CODE = {line.code: line for line in LINE_ITEMS}
LINE_ORDER = {code: position for position, code in enumerate(LINES_BY_CODE)}
