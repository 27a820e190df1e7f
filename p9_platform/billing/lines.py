"""The declared bill lines: what each charges, on which volume and under which bill element."""

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

    METERED_KWH = "metered kWh"
    DAY = "day"


@dataclasses.dataclass(frozen=True)
class LineItem:
    """One bill line: its code, wording, element and volume basis."""

    code: str
    description: str
    element: Element
    basis: Basis


LINE_ITEMS: tuple[LineItem, ...] = (
    LineItem("energy_day", "Energy, day units", Element.ENERGY, Basis.METERED_KWH),
    LineItem("energy_night", "Energy, night units", Element.ENERGY, Basis.METERED_KWH),
    LineItem("standing_charge", "Standing charge", Element.ENERGY, Basis.DAY),
    LineItem("duos_red", "Network use, red band units", Element.NETWORK, Basis.METERED_KWH),
    LineItem("duos_amber", "Network use, amber band units", Element.NETWORK, Basis.METERED_KWH),
    LineItem("duos_green", "Network use, green band units", Element.NETWORK, Basis.METERED_KWH),
    LineItem("duos_fixed", "Network fixed charge", Element.NETWORK, Basis.DAY),
    LineItem("ccl", "Climate Change Levy", Element.TAXES, Basis.METERED_KWH),
)

LINES_BY_CODE = {line.code: line for line in LINE_ITEMS}
