"""Small hand-made tariff tables and reads, so every expected amount can be worked by hand.

Test tariff (all rates invented for tests, none is a published rate):

* contract TEST-1, valid 2026-01-01 to 2028-12-31: day 20 p/kWh until 2026-06-15, then
  22 p/kWh. Night 10 p/kWh from 00:30 to 07:30 local. Standing charge 30 p/day.
* DUoS TEST LLFC 100: red 10, amber 2, green 1 p/kWh; fixed 5.5 p/day; capacity 3 and excess
  capacity 4 p/kVA/day. Weekdays: red 17:00-19:00, amber 07:00-17:00 and 19:00-23:00, green
  otherwise; weekends all green. A winter season, December 2026 only, moves the start of red
  to 16:00.
* Line loss factor 1.05 on every period; transmission loss multiplier 1.01 (GSP group _T).
* Wholesale prices for June 2026 only: 60 GBP/MWh in odd settlement periods, 50 in even.
* Levies: RO 0.02 GBP/kWh, BSUoS 10 GBP/MWh, AAHEDC 0.05 p/kWh; CCL 0.005 GBP/kWh to
  2026-03-31 and 0.006 GBP/kWh from 2026-04-01.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from p9_platform.clock import day_intervals_utc, periods_in_day
from p9_platform.reads import build_reads
from p9_platform.tariffs import TariffTables, load_tariff_tables

FIRST_DAY = dt.date(2026, 1, 1)
LAST_DAY = dt.date(2028, 12, 31)

CHARGES = """tariff_name,open_llfcs,pcs,red_black_p_per_kwh,amber_yellow_p_per_kwh,\
green_p_per_kwh,fixed_p_per_mpan_per_day,capacity_p_per_kva_per_day,\
exceeded_capacity_p_per_kva_per_day,reactive_p_per_kvarh,closed_llfcs
Test LV Site Specific,100,0,10,2,1,5.5,3,4,,
"""

BANDS = """dno,valid_from,valid_to,day_type,band,start_local,end_local
TEST,2026-01-01,2028-12-31,weekday,green,00:00,07:00
TEST,2026-01-01,2028-12-31,weekday,amber,07:00,17:00
TEST,2026-01-01,2028-12-31,weekday,red,17:00,19:00
TEST,2026-01-01,2028-12-31,weekday,amber,19:00,23:00
TEST,2026-01-01,2028-12-31,weekday,green,23:00,24:00
TEST,2026-01-01,2028-12-31,weekend,green,00:00,24:00
TEST,2026-12-01,2026-12-31,weekday,green,00:00,07:00
TEST,2026-12-01,2026-12-31,weekday,amber,07:00,16:00
TEST,2026-12-01,2026-12-31,weekday,red,16:00,19:00
TEST,2026-12-01,2026-12-31,weekday,amber,19:00,23:00
TEST,2026-12-01,2026-12-31,weekday,green,23:00,24:00
TEST,2026-12-01,2026-12-31,weekend,green,00:00,24:00
"""

LEVIES = """line_code,band,valid_from,valid_to,rate,unit,source
ro,,2026-01-01,2028-12-31,0.02,GBP/kWh,test
bsuos,,2026-01-01,2028-12-31,10,GBP/MWh,test
aahedc,,2026-01-01,2028-12-31,0.05,p/kWh,test
ccl,,2026-01-01,2026-03-31,0.005,GBP/kWh,test
ccl,,2026-04-01,2028-12-31,0.006,GBP/kWh,test
"""

CONTRACTS = """contract_id,valid_from,valid_to,pricing,day_rate_p_per_kwh,\
night_rate_p_per_kwh,night_start_local,night_end_local,standing_charge_p_per_day,\
margin_p_per_kwh
TEST-1,2026-01-01,2026-06-15,fixed,20,10,00:30,07:30,30,
TEST-1,2026-06-16,2028-12-31,fixed,22,10,00:30,07:30,30,
"""

POINT_COLUMNS = (
    "meter_id,dno,llfc,gsp_group,contract_id,capacity_kva,tnuos_band,supply_start,supply_end"
)


def _d0265(first: dt.date, last: dt.date) -> str:
    lines = ["ZHD||D0265001|R|TEST|G|CAPG|20251001000000||||OPER", "DIS|TEST", "LLF|100"]
    for day in pd.date_range(first, last):
        lines.append(f"SDT|{day:%Y%m%d}")
        lines.extend(f"SPL|{sp}|1.050" for sp in range(1, periods_in_day(day.date()) + 1))
    lines.append(f"ZPT|{len(lines) + 1}|0")
    return "\n".join(lines) + "\n"


def _tlm(first: dt.date, last: dt.date) -> str:
    rows = ["gsp_group,settlement_date,settlement_period,tlm"]
    for day in pd.date_range(first, last):
        count = periods_in_day(day.date())
        rows.extend(f"_T,{day:%Y-%m-%d},{sp},1.0100000" for sp in range(1, count + 1))
    return "\n".join(rows) + "\n"


def _wholesale_june() -> str:
    """Return June 2026 wholesale prices: 60 GBP/MWh in odd periods, 50 in even ones."""
    rows = ["settlement_date,settlement_period,price_gbp_per_mwh"]
    for day in pd.date_range("2026-06-01", "2026-06-30"):
        rows.extend(f"{day:%Y-%m-%d},{sp},{60 if sp % 2 else 50}" for sp in range(1, 49))
    return "\n".join(rows) + "\n"


@pytest.fixture(scope="session")
def reference_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Write the test reference tables once per test run."""
    root = tmp_path_factory.mktemp("reference")
    (root / "duos").mkdir()
    (root / "duos" / "duos_tariff_files.csv").write_text(
        "dno,distributor_id,valid_from,valid_to,charges_file\n"
        "TEST,99,2026-01-01,2028-12-31,test_charges.csv\n"
    )
    (root / "duos" / "test_charges.csv").write_text(CHARGES)
    (root / "duos" / "duos_time_bands.csv").write_text(BANDS)
    (root / "llf").mkdir()
    (root / "llf" / "test.ptf").write_text(_d0265(FIRST_DAY, LAST_DAY))
    (root / "tlm").mkdir()
    (root / "tlm" / "tlm.csv").write_text(_tlm(FIRST_DAY, LAST_DAY))
    (root / "wholesale").mkdir()
    (root / "wholesale" / "wholesale_prices.csv").write_text(_wholesale_june())
    (root / "levies").mkdir()
    (root / "levies" / "levy_rates.csv").write_text(LEVIES)
    (root / "levies" / "vat_rates.csv").write_text(
        "valid_from,valid_to,standard_pct,reduced_pct,de_minimis_kwh_per_day\n"
        "2011-01-04,2099-12-31,20,5,33\n"
    )
    return root


TableMaker = Callable[..., TariffTables]


@pytest.fixture
def make_tables(reference_dir: Path, tmp_path: Path) -> TableMaker:
    """Return a function that loads the test tables with the given supply points.

    Each point is ``(meter_id, supply_start)`` or a dict of supply point columns.
    """

    def make(
        *points: tuple[str, str] | dict[str, str],
        contracts: str = CONTRACTS,
        time_of_use: str | None = None,
    ):
        rows = [POINT_COLUMNS]
        for point in points:
            values = {
                "dno": "TEST",
                "llfc": "100",
                "gsp_group": "_T",
                "contract_id": "TEST-1",
                "capacity_kva": "0",
                "tnuos_band": "",
                "supply_end": "",
            }
            if isinstance(point, tuple):
                values.update(meter_id=point[0], supply_start=point[1])
            else:
                values.update(point)
            rows.append(",".join(values[column] for column in POINT_COLUMNS.split(",")))
        (tmp_path / "supply_points.csv").write_text("\n".join(rows) + "\n")
        (tmp_path / "supply_contracts.csv").write_text(contracts)
        if time_of_use is not None:
            (tmp_path / "contract_time_of_use.csv").write_text(time_of_use)
        return load_tariff_tables(reference_dir, tmp_path)

    return make


def flat_reads(meter_id: str, first: dt.date, last: dt.date, wh: int = 1000) -> pd.DataFrame:
    """Return reads of ``wh`` watt-hours in every settlement period from ``first`` to ``last``."""
    starts = pd.DatetimeIndex(
        np.concatenate([day_intervals_utc(day.date()) for day in pd.date_range(first, last)])
    )
    count = len(starts)
    return build_reads(
        meter_id=pd.Series([meter_id] * count),
        interval_start_utc=pd.Series(starts),
        energy_wh=pd.Series(np.full(count, wh)),
        quality=pd.Series(["actual"] * count),
        source_key="test",
        source_line=pd.Series(np.arange(count)),
    )
