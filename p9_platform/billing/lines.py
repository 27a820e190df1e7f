"""The declared bill lines: what each charges, on which volume, at which rate, in which element.

Volume bases follow the industry's names: ``msp`` is metered kWh at the meter, ``gsp`` is
loss-adjusted kWh at the grid supply point (line loss factor x metered) and ``nbp`` is kWh at
the national balancing point (transmission loss multiplier x gsp).
"""

from __future__ import annotations

import dataclasses
from enum import StrEnum


class Element(StrEnum):
    """The groups of a bill a customer sees."""

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
    """Where a line's rate is looked up."""

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


E, N, P, T, IM, X = (
    Element.ENERGY,
    Element.NETWORK,
    Element.POLICY,
    Element.THIRD_PARTY,
    Element.IMBALANCE,
    Element.TAXES,
)
B = Basis
R = RateSource

LINE_ITEMS: tuple[LineItem, ...] = (
    LineItem("energy", "Energy", E, B.METERED_KWH, R.CONTRACT_BAND, "band", "fixed"),
    LineItem(
        "energy_pass_through",
        "Energy at wholesale price plus margin",
        E,
        B.METERED_KWH,
        R.WHOLESALE,
        "price",
        "pass_through",
    ),
    LineItem(
        "standing_charge", "Standing charge", E, B.DAY, R.CONTRACT_DAY, "standing_charge_p_per_day"
    ),
    LineItem(
        "duos_red", "Distribution use of system, red band", N, B.METERED_KWH, R.DUOS_BAND, "red"
    ),
    LineItem(
        "duos_amber",
        "Distribution use of system, amber band",
        N,
        B.METERED_KWH,
        R.DUOS_BAND,
        "amber",
    ),
    LineItem(
        "duos_green",
        "Distribution use of system, green band",
        N,
        B.METERED_KWH,
        R.DUOS_BAND,
        "green",
    ),
    LineItem("duos_fixed", "Distribution fixed charge", N, B.DAY, R.DUOS_DAY, "fixed_p_per_day"),
    LineItem(
        "duos_capacity",
        "Distribution capacity charge",
        N,
        B.KVA_DAY,
        R.DUOS_DAY,
        "capacity_p_per_kva_per_day",
    ),
    LineItem(
        "duos_excess_capacity",
        "Distribution excess capacity charge",
        N,
        B.EXCESS_KVA_DAY,
        R.DUOS_DAY,
        "excess_capacity_p_per_kva_per_day",
    ),
    LineItem(
        "duos_reactive",
        "Distribution excess reactive power",
        N,
        B.KVARH,
        R.DUOS_DAY,
        "reactive_p_per_kvarh",
    ),
    LineItem("tnuos_residual", "Transmission demand residual", N, B.DAY, R.LEVY, "tnuos_residual"),
    LineItem("bsuos", "Balancing services use of system", T, B.NBP_KWH, R.LEVY, "bsuos"),
    LineItem(
        "aahedc",
        "Assistance for areas with high distribution costs",
        T,
        B.GSP_KWH,
        R.LEVY,
        "aahedc",
    ),
    LineItem("elexon", "Elexon BSC charge", T, B.NBP_KWH, R.LEVY, "elexon"),
    LineItem("ro", "Renewables Obligation", P, B.METERED_KWH, R.LEVY, "ro"),
    LineItem("fit", "Feed-in Tariff levelisation", P, B.METERED_KWH, R.LEVY, "fit"),
    LineItem(
        "cfd_interim_levy",
        "Contracts for Difference interim levy",
        P,
        B.GSP_KWH,
        R.LEVY,
        "cfd_interim_levy",
    ),
    LineItem(
        "cfd_operational",
        "Contracts for Difference operational costs levy",
        P,
        B.GSP_KWH,
        R.LEVY,
        "cfd_operational",
    ),
    LineItem("cm_supplier", "Capacity Market supplier charge", P, B.GSP_KWH, R.LEVY, "cm_supplier"),
    LineItem(
        "cm_operational",
        "Capacity Market settlement costs levy",
        P,
        B.GSP_KWH,
        R.LEVY,
        "cm_operational",
    ),
    LineItem("nuclear_rab", "Nuclear RAB levy", P, B.GSP_KWH, R.LEVY, "nuclear_rab"),
    LineItem(
        "imbalance",
        "Imbalance at system price",
        IM,
        B.NBP_KWH,
        R.SYSTEM_PRICE,
        "sbp",
        "pass_through",
    ),
    LineItem("ccl", "Climate Change Levy", X, B.METERED_KWH, R.LEVY, "ccl"),
)

LINES_BY_CODE = {line.code: line for line in LINE_ITEMS}
LINE_ORDER = {code: position for position, code in enumerate(LINES_BY_CODE)}

# VAT is the one line charged on the bill's net total, not on a volume; see the engine.
VAT_LINE = LineItem("vat", "VAT", X, B.DAY, R.LEVY, "vat")
