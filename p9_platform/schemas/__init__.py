"""pandera schemas for each stage, and a validator that separates failing rows.

Schemas are checked inside the assets (a pandera DagsterType would discard the validated frame);
failing rows are kept with their reasons so they can be quarantined and shown in the UI.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pandera.pandas as pa

from p9_platform.schemas.billing import BILL_LINES, BILLS
from p9_platform.schemas.reads import HALF_HOUR_READS
from p9_platform.schemas.tariffs import TARIFF_DUOS_CHARGES

__all__ = [
    "BILLS",
    "BILL_LINES",
    "HALF_HOUR_READS",
    "TARIFF_DUOS_CHARGES",
    "Validation",
    "validate",
]


@dataclasses.dataclass(frozen=True)
class Validation:
    """The rows that passed a schema, the rows that failed, and why each failed."""

    valid: pd.DataFrame
    invalid: pd.DataFrame
    failure_cases: pd.DataFrame

    def invalid_with_reasons(self) -> pd.DataFrame:
        """Return the failing rows with a ``reason`` column naming each failed check."""
        if self.invalid.empty:
            return self.invalid.assign(reason=pd.Series([], dtype=str))
        cases = self.failure_cases.dropna(subset=["index"])
        described = cases["check"].astype(str) + " on " + cases["column"].fillna("row").astype(str)
        reasons = described.groupby(cases["index"]).agg(lambda texts: "; ".join(sorted(set(texts))))
        reason = self.invalid.index.map(reasons).fillna("the frame failed as a whole")
        return self.invalid.assign(reason=list(reason))

    @property
    def passed(self) -> bool:
        """Return True when no row and no column failed."""
        return self.failure_cases.empty


def validate(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> Validation:
    """Validate ``frame`` lazily and split it into passing and failing rows.

    A failure that names no row (a missing column, a wrong dtype) fails every row, because no
    row of such a frame can be trusted.
    """
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases.copy()
        if cases["index"].isna().any():
            return Validation(frame.iloc[:0], frame, cases)
        bad_index = pd.Index(cases["index"].dropna().unique())
        bad = frame.index.isin(bad_index)
        return Validation(frame.loc[~bad], frame.loc[bad], cases)
    return Validation(frame, frame.iloc[:0], pd.DataFrame())
