"""Line loss factors from Elexon D0265 files in Pool Transfer Format (PTF).

A D0265 file starts with a ``ZHD`` header and one ``DIS|<distributor>`` line. Each LLFC then
has an ``LLF|<llfc>`` line, each of its settlement dates an ``SDT|<YYYYMMDD>`` line, and each
settlement period (46, 48 or 50 a day) an ``SPL|<period>|<factor>`` line. A
``ZPT|<line count>|<checksum>`` trailer ends the file.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from p9_platform.billing.money import FACTOR_SCALE

LLF_COLUMNS = ["dno", "llfc", "settlement_date", "settlement_period", "llf", "llf_scaled"]


@dataclasses.dataclass(frozen=True)
class D0265File:
    """The factors of one D0265 file and what its trailer claims.

    ``factors`` has one row per DNO, LLFC, settlement date and period. ``trailer_line_count`` is
    the count the ``ZPT`` line states and ``line_count`` the lines actually read, so a cut or
    truncated file shows as a mismatch.
    """

    factors: pd.DataFrame
    line_count: int
    trailer_line_count: int | None

    @property
    def trailer_matches(self) -> bool:
        """Return True when the trailer's line count equals the lines in the file."""
        return self.trailer_line_count == self.line_count


def scale_factor(text: str) -> int:
    """Scale a published loss factor to an integer count of 10^-7, rejecting finer values."""
    scaled = Decimal(text) * FACTOR_SCALE
    if scaled != scaled.to_integral_value():
        raise ValueError(f"loss factor {text} has more than 7 decimal places")
    return int(scaled)


def read_d0265(path: Path) -> D0265File:
    """Parse a D0265 PTF file into one row per LLFC, settlement date and period.

    Raises ValueError when a ``SPL`` line comes before its ``LLF`` or ``SDT`` line.
    """
    lines = path.read_text(encoding="ascii").splitlines()
    frame = pd.DataFrame({"text": lines})
    parts = frame["text"].str.split("|", expand=True)
    kind = parts[0]
    trailer = parts.loc[kind == "ZPT", 1]
    trailer_count = int(trailer.iloc[0]) if len(trailer) else None
    dno = parts.loc[kind == "DIS", 1]
    if dno.empty:
        raise ValueError(f"{path}: no DIS line names the distributor")

    # Carry each LLF and SDT value down to the SPL lines beneath it.
    llfc = parts[1].where(kind == "LLF").ffill()
    day = parts[1].where(kind == "SDT").ffill()
    is_period = kind == "SPL"
    if (llfc[is_period].isna() | day[is_period].isna()).any():
        raise ValueError(f"{path}: an SPL line comes before its LLF or SDT line")

    periods = parts.loc[is_period]
    texts = periods[2].str.strip()
    unique = {text: scale_factor(text) for text in texts.unique()}
    factors = pd.DataFrame(
        {
            "dno": dno.iloc[0],
            "llfc": llfc[is_period].to_numpy(),
            "settlement_date": pd.to_datetime(day[is_period].to_numpy(), format="%Y%m%d"),
            "settlement_period": periods[1].astype(np.int64).to_numpy(),
            "llf": texts.to_numpy(),
            "llf_scaled": texts.map(unique).astype(np.int64).to_numpy(),
        }
    )
    return D0265File(factors.loc[:, LLF_COLUMNS], len(lines), trailer_count)
