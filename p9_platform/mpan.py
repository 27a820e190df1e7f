"""MPAN core: the 13-digit id of a metering point, with its check digit.

The core is a 2-digit distributor id, 10 digits allocated by the distributor and a check digit.
The check digit is the sum of the first 12 digits times the weights
3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43, taken modulo 11 and then modulo 10 (the rule in
Chellow's ``parse_mpan_core``; every MPAN in the public D0010 and Chellow samples passes it).
"""

from __future__ import annotations

import pandas as pd

CHECK_WEIGHTS: tuple[int, ...] = (3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43)
CORE_LENGTH = 13


def check_digit(first_twelve: str) -> int:
    """Return the check digit for the first 12 digits of an MPAN core."""
    if len(first_twelve) != 12 or not first_twelve.isdigit():
        raise ValueError(f"expected 12 digits, found {first_twelve!r}")
    total = sum(
        int(digit) * weight for digit, weight in zip(first_twelve, CHECK_WEIGHTS, strict=True)
    )
    return total % 11 % 10


def mpan_core_problem(core: str) -> str | None:
    """Return why ``core`` is not a valid MPAN core, or None when it is valid.

    Spaces are ignored, because files print the core grouped as ``22 4862 4512 332``.
    """
    digits = core.replace(" ", "")
    if len(digits) != CORE_LENGTH or not digits.isdigit():
        return f"an MPAN core of 13 digits, found {core!r}"
    expected = check_digit(digits[:12])
    if int(digits[12]) != expected:
        return f"an MPAN core whose check digit is {expected}, found {core!r}"
    return None


def normalise_mpan_core(core: str) -> str:
    """Return ``core`` without spaces, raising ValueError when it is not a valid MPAN core."""
    problem = mpan_core_problem(core)
    if problem is not None:
        raise ValueError(f"expected {problem}")
    return core.replace(" ", "")


def invalid_mpan_cores(cores: pd.Series) -> pd.Series:
    """Return a boolean series, True where a value (spaces removed) is not a valid MPAN core.

    Vectorised over the distinct values, because a file repeats one core on thousands of rows.
    """
    distinct = pd.unique(cores.to_numpy())
    bad = {value: mpan_core_problem(str(value)) is not None for value in distinct}
    return cores.map(bad).astype(bool)
