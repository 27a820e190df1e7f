"""Partitions: settlement days and billing months, both on the UK clock.

Days and months are cut at UK local midnight, so a billing month is exactly the settlement dates
in it, and a day's window is 23, 24 or 25 hours long.
"""

from __future__ import annotations

import dagster as dg

FIRST_DAY = "2012-01-01"

settlement_days = dg.DailyPartitionsDefinition(start_date=FIRST_DAY, timezone="Europe/London")

billing_months = dg.MonthlyPartitionsDefinition(start_date=FIRST_DAY, timezone="Europe/London")
