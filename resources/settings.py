"""Platform settings that are not secrets: where contracts live and the demo replay."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
from pydantic import Field

from p9_platform.replay import Replay
from p9_platform.tariffs import DEMO_DIR, REFERENCE_DIR


class PlatformSettings(dg.ConfigurableResource):
    """Where tariff and contract files are read from, and whether demo reads are replayed."""

    reference_dir: str = str(REFERENCE_DIR)
    contracts_dir: str = str(DEMO_DIR)
    replay_source_year: int | None = Field(
        default=None, description="Year of real reads to replay onto a tariff year (demo only)."
    )
    replay_target_start: str | None = Field(
        default=None, description="First day (YYYY-MM-DD) of the tariff year replayed onto."
    )

    def replay(self) -> Replay | None:
        """Return the demo replay, or None when reads are billed only where they fall."""
        if self.replay_source_year is None or self.replay_target_start is None:
            return None
        return Replay(self.replay_source_year, dt.date.fromisoformat(self.replay_target_start))

    def reference_path(self) -> Path:
        """Return the folder of published reference tables (DUoS, levies)."""
        return Path(self.reference_dir)

    def contracts_path(self) -> Path:
        """Return the folder with supply_points.csv and supply_contracts.csv."""
        return Path(self.contracts_dir)
