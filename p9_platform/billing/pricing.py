"""Rate lookups, volumes and exact amounts of every declared line, vectorised over the grid.

Each unit line's volume is summed per (meter, rate) group before it is priced, and each
day-based line is priced per live (meter, day) cell; Python integers carry the products, so
loss-adjusted volumes never overflow int64.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import numpy as np
import pandas as pd

from p9_platform.billing.calendar import MAX_PERIODS, MonthGrid
from p9_platform.billing.lines import (
    LINE_ITEMS,
    LINE_ORDER,
    LINES_BY_CODE,
    Basis,
    Element,
    LineItem,
    RateSource,
)
from p9_platform.billing.money import (
    FACTOR_SCALE,
    MICRO,
    NANOPENCE_PER_PENNY,
    apportion,
    nanopence_to_pence,
    rate_to_micro,
)
from p9_platform.billing.rates import NO_ROW, day_rows, slot_codes
from p9_platform.tariffs import TariffTables, decimal_rate

NOT_PUBLISHED = "rate not published in the shipped tables"
TLM_NOT_PUBLISHED = "transmission loss multiplier not published in the shipped tables"
DUOS_BANDS = ("red", "amber", "green")
NANOPENCE_PER_MICROPENNY = NANOPENCE_PER_PENNY // MICRO

# Volume scale of each basis: the integer volume is kWh x 1000 x scale.
BASIS_SCALE = {
    Basis.METERED_KWH: 1,
    Basis.GSP_KWH: FACTOR_SCALE,
    Basis.NBP_KWH: FACTOR_SCALE * FACTOR_SCALE,
}


def _micro_column(texts: pd.Series) -> np.ndarray:
    """Convert published rate text to micro-pence; a blank cell becomes ``NO_ROW``."""
    lookup: dict[str, int] = {}
    for text in texts.unique():
        rate = decimal_rate(text)
        lookup[text] = NO_ROW if rate is None else rate_to_micro(rate)
    return texts.map(lookup).to_numpy(dtype=np.int64)


@dataclasses.dataclass
class PricingContext:
    """The month's grid with every rate lookup resolved per meter, day and settlement period.

    Matrices indexed ``[meter, day]`` hold row numbers of the tariff tables (``NO_ROW`` where
    none is in force); arrays over the grid hold per-period values (0 for a missing factor).
    """

    points: pd.DataFrame
    grid: MonthGrid
    tables: TariffTables
    energy: np.ndarray
    contract_row: np.ndarray
    duos_row: np.ndarray
    vat_row: np.ndarray
    duos_band: np.ndarray
    energy_code: np.ndarray
    energy_values: list[object]
    llf: np.ndarray
    tlm: np.ndarray
    wholesale_micro: np.ndarray
    levy_row: dict[str, np.ndarray]
    pass_through: np.ndarray
    de_minimis: np.ndarray

    @classmethod
    def build(
        cls, points: pd.DataFrame, grid: MonthGrid, energy: np.ndarray, tables: TariffTables
    ) -> PricingContext:
        """Resolve every lookup for the supply points live in ``grid``."""
        days = grid.days
        contract_row = day_rows(tables.supply_contracts, ["contract_id"], points, days)
        duos_row = day_rows(tables.duos_charges, ["dno", "llfc"], points, days)
        vat_row = day_rows(tables.vat_rates, [], pd.DataFrame(index=[0]), days)[0]

        band_versions, band_codes, band_values = slot_codes(tables.duos_time_bands, ["dno"], "band")
        band_version = day_rows(band_versions, ["dno"], points, days)
        duos_band = _slot_lookup(grid, band_version, band_codes)
        band_index = np.array([DUOS_BANDS.index(value) for value in band_values] + [NO_ROW])
        duos_band = np.where(duos_band >= 0, band_index[duos_band], NO_ROW)

        unit_rates = tables.contract_unit_rates.assign(
            combo=tables.contract_unit_rates["band"]
            + "|"
            + tables.contract_unit_rates["rate_micro"].astype(str)
        )
        rate_versions, rate_codes, energy_values = slot_codes(unit_rates, ["contract_id"], "combo")
        rate_version = day_rows(rate_versions, ["contract_id"], points, days)
        energy_code = _slot_lookup(grid, rate_version, rate_codes)

        pricing = tables.supply_contracts["pricing"].to_numpy()
        first_contract = np.where(contract_row >= 0, contract_row, 0).max(axis=1)
        pass_through = (
            pricing[first_contract] == "pass_through"
            if len(pricing)
            else np.zeros(len(points), dtype=bool)
        )

        levy_row = {
            line.code: _levy_rows(tables.levy_rates, line.rate_key, points, days)
            for line in LINE_ITEMS
            if line.rate_source is RateSource.LEVY
        }
        context = cls(
            points=points,
            grid=grid,
            tables=tables,
            energy=energy,
            contract_row=contract_row,
            duos_row=duos_row,
            vat_row=vat_row,
            duos_band=duos_band,
            energy_code=energy_code,
            energy_values=energy_values,
            llf=_period_factors(grid, points, tables.line_loss_factors, ["dno", "llfc"], "llf"),
            tlm=_period_factors(
                grid, points, tables.transmission_loss_multipliers, ["gsp_group"], "tlm"
            ),
            wholesale_micro=_wholesale(grid, tables.wholesale_prices),
            levy_row=levy_row,
            pass_through=pass_through,
            de_minimis=np.zeros(len(points), dtype=bool),
        )
        context.de_minimis = context._de_minimis()
        return context

    def _de_minimis(self) -> np.ndarray:
        grid = self.grid
        used = np.bincount(grid.meter, self.energy, minlength=len(self.points))
        first_vat = self.vat_row[self.vat_row >= 0]
        if len(first_vat) == 0:
            return np.zeros(len(self.points), dtype=bool)
        limit_kwh = int(self.tables.vat_rates["de_minimis_kwh_per_day"].iloc[first_vat[0]])
        return used <= limit_kwh * 1000 * grid.live.sum(axis=1)

    def vat_percent(self, meter: int, reduced: bool) -> Decimal:
        """Return the VAT percent in force on the meter's first live day."""
        first_day = int(np.flatnonzero(self.grid.live[meter])[0])
        row = self.tables.vat_rates.iloc[self.vat_row[first_day]]
        return Decimal(row["reduced_pct"] if reduced else row["standard_pct"])

    def missing_tariffs(self, month: str) -> list[dict[str, object]]:
        """Return one exception per meter and tariff that does not cover all its live days."""
        grid = self.grid
        live = grid.live
        shape = live.shape
        checks: dict[str, np.ndarray] = {
            "supply contract": self.contract_row < 0,
            "DUoS tariff for the DNO and LLFC": self.duos_row < 0,
            "VAT rate": np.broadcast_to(self.vat_row < 0, shape),
        }
        fixed = ~self.pass_through[grid.meter]
        checks["DUoS time band"] = self._cell_any(self.duos_band < 0)
        checks["contract unit rate"] = self._cell_any(fixed & (self.energy_code < 0))
        checks["wholesale price"] = self._cell_any(~fixed & (self.wholesale_micro < 0))
        checks["line loss factor (D0265) for the DNO and LLFC"] = self._cell_any(self.llf == 0)
        tlm_missing = self._cell_any(self.tlm == 0)
        partly = (tlm_missing & live).any(axis=1) & ~(tlm_missing | ~live).all(axis=1)
        checks["transmission loss multiplier"] = tlm_missing & partly[:, None]
        for code, rows in self.levy_row.items():
            absent = rows < 0
            partial = (absent & live).any(axis=1) & ~(absent | ~live).all(axis=1)
            checks[f"{LINES_BY_CODE[code].description} rate"] = absent & partial[:, None]

        exceptions = []
        for tariff, missing in checks.items():
            missing = missing & live
            for meter in np.flatnonzero(missing.any(axis=1)):
                gap = grid.days[missing[meter]]
                meter_id = self.points.at[meter, "meter_id"]
                exceptions.append(
                    {
                        "meter_id": meter_id,
                        "bill_month": month,
                        "tariff": tariff,
                        "first_day": gap.min(),
                        "last_day": gap.max(),
                        "days": len(gap),
                        "reason": f"no {tariff} covers {len(gap)} live day(s) from "
                        f"{gap.min():%Y-%m-%d} to {gap.max():%Y-%m-%d}",
                    }
                )
        self._blocked = np.zeros(len(self.points), dtype=bool)
        for row in exceptions:
            self._blocked[self.points.index[self.points["meter_id"] == row["meter_id"]]] = True
        return exceptions

    def billable_meters(self) -> np.ndarray:
        """Return a mask of meters with every tariff in force on every live day."""
        return ~getattr(self, "_blocked", np.zeros(len(self.points), dtype=bool))

    def _cell_any(self, per_period: np.ndarray) -> np.ndarray:
        """Reduce a per-period mask to a (meter x day) mask: True where any period is set."""
        grid = self.grid
        matrix = np.zeros(grid.live.shape, dtype=bool)
        hit = np.bincount(grid.cell, per_period, minlength=len(grid.cell_meter)) > 0
        matrix[grid.cell_meter, grid.cell_day] = hit
        return matrix


def _slot_lookup(grid: MonthGrid, version: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Return the code of every grid period from a (versions x day type x slot) matrix."""
    if codes.shape[0] == 0:
        return np.full(grid.size, NO_ROW, dtype=np.int64)
    per_period = version[grid.meter, grid.day]
    day_type = grid.weekend[grid.day].astype(np.int64)
    found = codes[np.maximum(per_period, 0), day_type, grid.slot]
    return np.where(per_period >= 0, found, NO_ROW)


def _period_factors(
    grid: MonthGrid, points: pd.DataFrame, table: pd.DataFrame, keys: list[str], name: str
) -> np.ndarray:
    """Return the scaled loss factor of every grid period, 0 where none is published."""
    result = np.zeros(grid.size, dtype=np.int64)
    days = grid.days
    in_month = table.loc[
        (table["settlement_date"] >= days[0]) & (table["settlement_date"] <= days[-1])
    ]
    series = points.loc[:, keys].drop_duplicates().reset_index(drop=True)
    series_of_meter = (
        points.loc[:, keys].merge(series.assign(_series=np.arange(len(series))), on=keys)
    )["_series"].to_numpy()
    cube = np.zeros((len(series), len(days), MAX_PERIODS), dtype=np.int64)
    matched = in_month.merge(series.assign(_series=np.arange(len(series))), on=keys)
    if len(matched):
        day = ((matched["settlement_date"] - days[0]) // pd.Timedelta(days=1)).to_numpy()
        period = matched["settlement_period"].to_numpy(dtype=np.int64) - 1
        cube[matched["_series"].to_numpy(), day, period] = matched[f"{name}_scaled"].to_numpy()
    result[:] = cube[series_of_meter[grid.meter], grid.day, grid.period - 1]
    return result


def _wholesale(grid: MonthGrid, prices: pd.DataFrame) -> np.ndarray:
    days = grid.days
    table = np.full((len(days), MAX_PERIODS), NO_ROW, dtype=np.int64)
    in_month = prices.loc[
        (prices["settlement_date"] >= days[0]) & (prices["settlement_date"] <= days[-1])
    ]
    if len(in_month):
        day = ((in_month["settlement_date"] - days[0]) // pd.Timedelta(days=1)).to_numpy()
        period = in_month["settlement_period"].to_numpy(dtype=np.int64) - 1
        table[day, period] = in_month["rate_micro"].to_numpy(dtype=np.int64)
    return table[grid.day, grid.period - 1]


def _levy_rows(
    levies: pd.DataFrame, code: str, points: pd.DataFrame, days: pd.DatetimeIndex
) -> np.ndarray:
    """Return the levy_rates row in force per meter and day; a banded row beats a blank band."""
    rows = levies.loc[levies["line_code"] == code]
    positions = np.flatnonzero((levies["line_code"] == code).to_numpy())
    general = rows.loc[rows["band"] == ""]
    banded = rows.loc[rows["band"] != ""]
    result = np.full((len(points), len(days)), NO_ROW, dtype=np.int64)
    band_blank = rows["band"].to_numpy() == ""
    if len(general):
        general_rows = day_rows(general, [], pd.DataFrame(index=[0]), days)[0]
        general_positions = positions[band_blank]
        mapped = np.where(general_rows >= 0, general_positions[np.maximum(general_rows, 0)], NO_ROW)
        result[:] = mapped[None, :]
    if len(banded):
        keys = points.loc[:, ["tnuos_band"]].rename(columns={"tnuos_band": "band"})
        banded_rows = day_rows(banded, ["band"], keys, days)
        banded_positions = positions[~band_blank]
        result = np.where(banded_rows >= 0, banded_positions[np.maximum(banded_rows, 0)], result)
    return result


@dataclasses.dataclass
class PricedLines:
    """Bill-line groups of a month and what the half-hour view needs to apportion them.

    ``groups`` has one row per meter, line, band and rate with the exact quantity and amount;
    ``unit_parts`` maps a group number to the grid positions it covers and their weights;
    ``cells`` has one row per meter, live day and day-based line with exact nanopence.
    """

    groups: pd.DataFrame
    unit_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]]
    cells: pd.DataFrame
    unpriced: pd.DataFrame


def _group_sum(groups: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Sum int64 ``values`` per group exactly.

    ``np.bincount`` adds in float64, which is exact while every partial sum stays below 2^53;
    that is checked on the absolute values, and larger sums go through an integer group-by.
    """
    if len(values) == 0:
        return np.zeros(size, dtype=np.int64)
    magnitude = np.bincount(groups, np.abs(values).astype(np.float64), minlength=size)
    if magnitude.max() < 2.0**52:
        return np.bincount(groups, values.astype(np.float64), minlength=size).astype(np.int64)
    sums = pd.Series(values).groupby(groups).sum()
    result = np.zeros(size, dtype=np.int64)
    result[sums.index.to_numpy()] = sums.to_numpy()
    return result


def _nbp_sum(groups: np.ndarray, gsp: np.ndarray, tlm: np.ndarray, size: int) -> np.ndarray:
    """Sum gsp x tlm per group exactly as Python integers.

    The product can pass int64, so the multiplier is split into ``FACTOR_SCALE + delta``;
    ``gsp x delta`` is small because a TLM is within a few percent of one.
    """
    delta = tlm - FACTOR_SCALE
    if np.abs(gsp).max(initial=0) * float(np.abs(delta).max(initial=0)) >= 2.0**62:
        raise OverflowError("nbp volume exceeds exact int64 arithmetic; bill fewer meters")
    base = _group_sum(groups, gsp, size).astype(object) * FACTOR_SCALE
    return base + _group_sum(groups, gsp * delta, size).astype(object)


def _round_to_nanopence(amount: np.ndarray, scale: int) -> np.ndarray:
    """Round exact amounts (Python ints in 10^-9/scale p) half up to whole nanopence."""
    if scale == 1:
        return np.array([int(value) for value in amount], dtype=np.int64)
    rounded = [
        (abs(int(value)) * 2 + scale) // (2 * scale) * (1 if value >= 0 else -1) for value in amount
    ]
    return np.array(rounded, dtype=np.int64)


def _unit_volume(
    line: LineItem, context: PricingContext, positions: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return the int64 volume at the line's scale and a float weight for each position."""
    energy = context.energy[positions]
    if line.basis is Basis.METERED_KWH:
        return energy, energy.astype(np.float64)
    gsp = energy * context.llf[positions]
    if line.basis is Basis.GSP_KWH:
        return gsp, gsp.astype(np.float64)
    weights = gsp.astype(np.float64) * context.tlm[positions]
    return gsp, weights


def _unit_rate_ids(
    line: LineItem, context: PricingContext, billable: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Return the grid positions the line charges, their rate ids and each id's rate."""
    grid = context.grid
    on = billable[grid.meter]
    tables = context.tables
    if line.rate_source is RateSource.CONTRACT_BAND:
        on = on & ~context.pass_through[grid.meter] & (context.energy_code >= 0)
        positions = np.flatnonzero(on)
        rate_ids = context.energy_code[positions]
        values = [str(value).split("|") for value in context.energy_values]
        return positions, rate_ids, [band for band, _ in values] if len(values) else []
    if line.rate_source is RateSource.DUOS_BAND:
        band = DUOS_BANDS.index(line.rate_key)
        duos = context.duos_row[grid.meter, grid.day]
        rates = _micro_column(tables.duos_charges[f"{line.rate_key}_p_per_kwh"])
        on = on & (context.duos_band == band) & (duos >= 0)
        on &= rates[np.maximum(duos, 0)] != NO_ROW
        positions = np.flatnonzero(on)
        return positions, duos[positions], [line.rate_key] * len(rates)
    rows = context.levy_row[line.code][grid.meter, grid.day]
    on = on & (rows >= 0)
    if line.code == "ccl":
        on &= ~context.de_minimis[grid.meter]
    if line.basis is Basis.NBP_KWH:
        on &= context.tlm > 0
    positions = np.flatnonzero(on)
    bands = tables.levy_rates["band"].tolist()
    return positions, rows[positions], bands


def _unit_rates(line: LineItem, context: PricingContext) -> np.ndarray:
    tables = context.tables
    if line.rate_source is RateSource.CONTRACT_BAND:
        return np.array(
            [int(str(value).split("|")[1]) for value in context.energy_values], dtype=np.int64
        )
    if line.rate_source is RateSource.DUOS_BAND:
        return _micro_column(tables.duos_charges[f"{line.rate_key}_p_per_kwh"])
    return tables.levy_rates["rate_micro"].to_numpy(dtype=np.int64)


GROUP_COLUMNS = [
    "meter",
    "line_code",
    "band",
    "rate_micro",
    "volume",
    "scale",
    "quantity_unit",
    "amount_nanopence",
]


def price_lines(context: PricingContext, billable: np.ndarray) -> PricedLines:
    """Price every declared line for the billable meters."""
    groups: list[pd.DataFrame] = []
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]] = []
    for line in LINE_ITEMS:
        if line.basis in BASIS_SCALE and line.rate_source in (
            RateSource.CONTRACT_BAND,
            RateSource.DUOS_BAND,
            RateSource.LEVY,
        ):
            frame, part = _price_unit_line(line, context, billable, len(parts))
            if frame is not None:
                groups.append(frame)
                parts.append(part)
        elif line.rate_source is RateSource.WHOLESALE:
            frame, part = _price_pass_through(line, context, billable, len(parts))
            if frame is not None:
                groups.append(frame)
                parts.append(part)
    cells = _price_day_lines(context, billable)
    day_groups = _day_groups(cells)
    all_groups = pd.concat([*groups, day_groups], ignore_index=True)
    return PricedLines(all_groups, parts, cells, _unpriced(context, billable))


def _price_unit_line(
    line: LineItem, context: PricingContext, billable: np.ndarray, part_number: int
) -> tuple[pd.DataFrame | None, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]]:
    positions, rate_ids, bands = _unit_rate_ids(line, context, billable)
    rates = _unit_rates(line, context)
    empty = np.zeros(0, dtype=np.int64)
    if len(positions) == 0:
        return None, (empty, empty, empty.astype(np.float64), None)
    size = max(len(rates), 1)
    key = context.grid.meter[positions] * size + rate_ids
    unique, group = np.unique(key, return_inverse=True)
    volume_values, weights = _unit_volume(line, context, positions)
    if line.basis is Basis.NBP_KWH:
        volume = _nbp_sum(group, volume_values, context.tlm[positions], len(unique))
    else:
        volume = _group_sum(group, volume_values, len(unique)).astype(object)
    rate = rates[unique % size]
    exact = volume * rate.astype(object)
    scale = BASIS_SCALE[line.basis]
    nano = _round_to_nanopence(exact, scale)
    frame = pd.DataFrame(
        {
            "meter": unique // size,
            "line_code": line.code,
            "band": [bands[index] if index < len(bands) else "" for index in unique % size],
            "rate_micro": rate,
            "volume": volume,
            "scale": scale,
            "quantity_unit": "kWh",
            "amount_nanopence": nano,
            "part": part_number,
        }
    )
    per_period = volume_values * rates[rate_ids] if line.basis is Basis.METERED_KWH else None
    return frame, (positions, group, weights, per_period)


def _price_pass_through(
    line: LineItem, context: PricingContext, billable: np.ndarray, part_number: int
) -> tuple[pd.DataFrame | None, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]]:
    grid = context.grid
    on = billable[grid.meter] & context.pass_through[grid.meter] & (context.wholesale_micro >= 0)
    positions = np.flatnonzero(on)
    empty = np.zeros(0, dtype=np.int64)
    if len(positions) == 0:
        return None, (empty, empty, empty.astype(np.float64), None)
    contracts = context.contract_row[grid.meter[positions], grid.day[positions]]
    margin = _micro_column(context.tables.supply_contracts["margin_p_per_kwh"])
    margin = np.where(margin == NO_ROW, 0, margin)[contracts]
    rate = context.wholesale_micro[positions] + margin
    per_period = context.energy[positions] * rate
    unique, group = np.unique(grid.meter[positions], return_inverse=True)
    frame = pd.DataFrame(
        {
            "meter": unique,
            "line_code": line.code,
            "band": "half-hourly",
            "rate_micro": NO_ROW,
            "volume": _group_sum(group, context.energy[positions], len(unique)).astype(object),
            "scale": 1,
            "quantity_unit": "kWh",
            "amount_nanopence": _group_sum(group, per_period, len(unique)),
            "part": part_number,
        }
    )
    weights = per_period.astype(np.float64)
    return frame, (positions, group, weights, per_period)


DAY_QUANTITY = {Basis.DAY: "days", Basis.KVA_DAY: "kVA days", Basis.EXCESS_KVA_DAY: "kVA days"}


def _price_day_lines(context: PricingContext, billable: np.ndarray) -> pd.DataFrame:
    """Price each day-based line once per live day of each billable meter, in nanopence.

    Quantities are in thousandths (of a day or a kVA day), so the excess capacity measured in
    VA stays exact: amount = quantity x rate (micro-pence) exactly in nanopence.
    """
    grid = context.grid
    cell_on = billable[grid.cell_meter]
    meter, day = grid.cell_meter[cell_on], grid.cell_day[cell_on]
    tables = context.tables
    capacity = context.points["capacity_kva"].to_numpy(dtype=np.int64)
    max_wh = np.zeros(len(context.points), dtype=np.int64)
    np.maximum.at(max_wh, grid.meter, context.energy)
    # NOTE: without reactive reads kVA is taken as kW (2 x the half hour's kWh), which
    # understates the maximum demand of a site with a poor power factor.
    excess_va = np.where(capacity > 0, np.maximum(2 * max_wh - capacity * 1000, 0), 0)

    frames = []
    for line in LINE_ITEMS:
        if line.basis not in DAY_QUANTITY:
            continue
        if line.rate_source is RateSource.CONTRACT_DAY:
            rows = context.contract_row[meter, day]
            rates = _micro_column(tables.supply_contracts[line.rate_key])
        elif line.rate_source is RateSource.DUOS_DAY:
            rows = context.duos_row[meter, day]
            rates = _micro_column(tables.duos_charges[line.rate_key])
        else:
            rows = context.levy_row[line.code][meter, day]
            rates = tables.levy_rates["rate_micro"].to_numpy(dtype=np.int64)
        if len(rates) == 0:
            continue
        rate = np.where(rows >= 0, rates[np.maximum(rows, 0)], NO_ROW)
        quantity = {
            Basis.DAY: np.full(len(meter), 1000, dtype=np.int64),
            Basis.KVA_DAY: capacity[meter] * 1000,
            Basis.EXCESS_KVA_DAY: excess_va[meter],
        }[line.basis]
        charged = (rate != NO_ROW) & (quantity > 0) & (rate != 0)
        frames.append(
            pd.DataFrame(
                {
                    "meter": meter[charged],
                    "day": day[charged],
                    "line_code": line.code,
                    "quantity_milli": quantity[charged],
                    "rate_micro": rate[charged],
                    "quantity_unit": DAY_QUANTITY[line.basis],
                    "amount_nanopence": quantity[charged] * rate[charged],
                }
            )
        )
    columns = [
        "meter",
        "day",
        "line_code",
        "quantity_milli",
        "rate_micro",
        "quantity_unit",
        "amount_nanopence",
    ]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True).loc[:, columns]


def _day_groups(cells: pd.DataFrame) -> pd.DataFrame:
    if cells.empty:
        return pd.DataFrame(columns=[*GROUP_COLUMNS, "part"])
    grouped = cells.groupby(
        ["meter", "line_code", "rate_micro", "quantity_unit"], as_index=False
    ).agg(volume=("quantity_milli", "sum"), amount_nanopence=("amount_nanopence", "sum"))
    grouped["volume"] = grouped["volume"].astype(object)
    grouped["band"] = ""
    grouped["scale"] = 1
    grouped["part"] = NO_ROW
    return grouped.loc[:, [*GROUP_COLUMNS, "part"]]


def _unpriced(context: PricingContext, billable: np.ndarray) -> pd.DataFrame:
    """List each applicable line with no published rate (or volume) for a billable meter."""
    grid = context.grid
    rows = []
    live = grid.live
    tlm_any = np.bincount(grid.meter, context.tlm > 0, minlength=len(context.points)) > 0
    duos_reactive = _micro_column(context.tables.duos_charges["reactive_p_per_kvarh"])
    for meter in np.flatnonzero(billable):
        reasons = {}
        for line in LINE_ITEMS:
            if line.pricing == "pass_through" and not context.pass_through[meter]:
                continue
            if line.pricing == "fixed" and context.pass_through[meter]:
                continue
            if line.code == "ccl" and context.de_minimis[meter]:
                continue
            if line.rate_source is RateSource.LEVY:
                if (context.levy_row[line.code][meter][live[meter]] < 0).all():
                    reasons[line.code] = NOT_PUBLISHED
                elif line.basis is Basis.NBP_KWH and not tlm_any[meter]:
                    reasons[line.code] = TLM_NOT_PUBLISHED
            elif line.rate_source is RateSource.SYSTEM_PRICE:
                reasons[line.code] = NOT_PUBLISHED
            elif line.basis is Basis.KVARH:
                duos = context.duos_row[meter][live[meter]]
                rate = duos_reactive[duos[duos >= 0]] if len(duos_reactive) else []
                if any(value not in (NO_ROW, 0) for value in rate):
                    reasons[line.code] = "no reactive power (kVArh) reads to charge"
        for code, reason in reasons.items():
            rows.append({"meter": meter, "line_code": code, "note": reason})
    return pd.DataFrame(rows, columns=["meter", "line_code", "note"])


LINE_COLUMNS = [
    "meter_id",
    "bill_month",
    "line_code",
    "description",
    "element",
    "basis",
    "band",
    "quantity",
    "quantity_unit",
    "rate_p",
    "rate_unit",
    "amount_nanopence",
    "amount_pence",
    "priced",
    "note",
]


def _rate_text(rate_micro: int) -> str:
    if rate_micro == NO_ROW:
        return "half-hourly"
    return format((Decimal(int(rate_micro)) / MICRO).normalize(), "f")


def bill_lines(
    priced: PricedLines, context: PricingContext, billable: np.ndarray, month: str
) -> pd.DataFrame:
    """Turn priced groups into bill lines rounded once to pence, plus the unpriced lines."""
    groups = priced.groups
    meter_ids = context.points["meter_id"].to_numpy()
    frame = pd.DataFrame(
        {
            "meter_id": meter_ids[groups["meter"].to_numpy(dtype=np.int64)],
            "bill_month": month,
            "line_code": groups["line_code"].to_numpy(),
            "band": groups["band"].to_numpy(),
            "quantity": [
                float(Decimal(int(volume)) / (1000 * int(scale)))
                for volume, scale in zip(groups["volume"], groups["scale"], strict=True)
            ],
            "quantity_unit": groups["quantity_unit"].to_numpy(),
            "rate_p": [_rate_text(rate) for rate in groups["rate_micro"]],
            "amount_nanopence": groups["amount_nanopence"].to_numpy(dtype=np.int64),
            "priced": True,
            "note": "",
        }
    )
    frame["amount_pence"] = nanopence_to_pence(frame["amount_nanopence"].to_numpy())
    unpriced = priced.unpriced
    if len(unpriced):
        missing = pd.DataFrame(
            {
                "meter_id": meter_ids[unpriced["meter"].to_numpy(dtype=np.int64)],
                "bill_month": month,
                "line_code": unpriced["line_code"].to_numpy(),
                "band": "",
                "quantity": 0.0,
                "quantity_unit": "",
                "rate_p": "",
                "amount_nanopence": 0,
                "amount_pence": 0,
                "priced": False,
                "note": unpriced["note"].to_numpy(),
            }
        )
        frame = pd.concat([frame, missing], ignore_index=True)
    codes = frame["line_code"]
    frame["description"] = codes.map(lambda code: LINES_BY_CODE[code].description)
    frame["element"] = codes.map(lambda code: LINES_BY_CODE[code].element.value)
    frame["basis"] = codes.map(lambda code: LINES_BY_CODE[code].basis.value)
    frame["rate_unit"] = np.where(
        frame["quantity_unit"] == "kWh",
        "p/kWh",
        np.where(frame["quantity_unit"] == "days", "p/day", "p/kVA/day"),
    )
    frame.loc[~frame["priced"], "rate_unit"] = ""
    frame["amount_nanopence"] = frame["amount_nanopence"].astype(np.int64)
    frame["amount_pence"] = frame["amount_pence"].astype(np.int64)
    frame["quantity"] = frame["quantity"].astype(float)
    order = frame["line_code"].map(LINE_ORDER)
    frame = (
        frame.assign(_order=order)
        .sort_values(["meter_id", "_order", "band", "rate_p"], kind="stable")
        .drop(columns="_order")
    )
    return frame.loc[:, LINE_COLUMNS].reset_index(drop=True)


DAILY_COLUMNS = [
    "meter_id",
    "bill_month",
    "settlement_date",
    "line_code",
    "element",
    "quantity",
    "quantity_unit",
    "rate_micro",
    "amount_nanopence",
]


def daily_frame(priced: PricedLines, context: PricingContext, month: str) -> pd.DataFrame:
    """Return the day-based lines, one row per meter, live day and line, in exact nanopence."""
    cells = priced.cells
    if cells.empty:
        return pd.DataFrame(columns=DAILY_COLUMNS)
    meter_ids = context.points["meter_id"].to_numpy()
    frame = pd.DataFrame(
        {
            "meter_id": meter_ids[cells["meter"].to_numpy(dtype=np.int64)],
            "bill_month": month,
            "settlement_date": context.grid.days[cells["day"].to_numpy(dtype=np.int64)],
            "line_code": cells["line_code"].to_numpy(),
            "element": cells["line_code"].map(lambda c: LINES_BY_CODE[c].element.value),
            "quantity": cells["quantity_milli"].to_numpy(dtype=np.int64) / 1000.0,
            "quantity_unit": cells["quantity_unit"].to_numpy(),
            "rate_micro": cells["rate_micro"].to_numpy(dtype=np.int64),
            "amount_nanopence": cells["amount_nanopence"].to_numpy(dtype=np.int64),
        }
    )
    return frame.loc[:, DAILY_COLUMNS]


ELEMENTS = list(Element)
ELEMENT_COLUMNS = {element: f"{element.name.lower()}_nanopence" for element in Element}
HALF_HOUR_COLUMNS = [
    "meter_id",
    "bill_month",
    "interval_start_utc",
    "settlement_date",
    "settlement_period",
    "energy_wh",
    "kwh",
    "has_read",
    *ELEMENT_COLUMNS.values(),
    "total_nanopence",
    "unit_cost_p_per_kwh",
]


def empty_half_hour_view() -> pd.DataFrame:
    """Return an empty half-hour view with its columns."""
    return pd.DataFrame(columns=HALF_HOUR_COLUMNS)


def half_hour_view(
    priced: PricedLines,
    context: PricingContext,
    energy: np.ndarray,
    has_read: np.ndarray,
    billable: np.ndarray,
    month: str,
) -> pd.DataFrame:
    """Spread every bill line over its half hours: the cost of each element per period.

    Lines on metered kWh keep their exact per-period amounts; lines on loss-adjusted volume are
    apportioned by volume, and day-based lines in equal shares over the day's periods, both by
    the largest-remainder method, so each line's periods sum exactly to its nanopence.
    """
    grid = context.grid
    keep = billable[grid.meter]
    element_index = {element: index for index, element in enumerate(ELEMENTS)}
    costs = np.zeros((len(ELEMENTS), grid.size), dtype=np.int64)
    groups = priced.groups
    for part_number, (positions, group, weights, per_period) in enumerate(priced.unit_parts):
        if len(positions) == 0:
            continue
        rows = groups.loc[groups["part"] == part_number]
        element = element_index[LINES_BY_CODE[rows["line_code"].iloc[0]].element]
        if per_period is not None:
            shares = per_period
        else:
            shares = apportion(rows["amount_nanopence"].to_numpy(dtype=np.int64), group, weights)
        np.add.at(costs[element], positions, shares)

    cells = priced.cells
    if len(cells):
        cell_number = grid.cell_index()[
            cells["meter"].to_numpy(dtype=np.int64), cells["day"].to_numpy(dtype=np.int64)
        ]
        counts = grid.periods_per_day[grid.cell_day[cell_number]]
        positions = np.repeat(grid.cell_offset[cell_number], counts) + _ramp(counts)
        item_group = np.repeat(np.arange(len(cells)), counts)
        shares = apportion(
            cells["amount_nanopence"].to_numpy(dtype=np.int64),
            item_group,
            np.ones(len(item_group)),
        )
        line_elements = (
            cells["line_code"]
            .map(lambda code: element_index[LINES_BY_CODE[code].element])
            .to_numpy(dtype=np.int64)
        )
        np.add.at(costs, (line_elements[item_group], positions), shares)

    total = costs.sum(axis=0)
    kwh = energy / 1000.0
    with np.errstate(divide="ignore", invalid="ignore"):
        unit_cost = np.where(energy > 0, total / NANOPENCE_PER_PENNY / kwh, np.nan)
    frame = pd.DataFrame(
        {
            "meter_id": context.points["meter_id"].to_numpy()[grid.meter[keep]],
            "bill_month": month,
            "interval_start_utc": grid.interval_start_utc()[keep],
            "settlement_date": grid.days[grid.day[keep]],
            "settlement_period": grid.period[keep],
            "energy_wh": energy[keep],
            "kwh": kwh[keep],
            "has_read": has_read[keep],
        }
    )
    for element_name, column in ELEMENT_COLUMNS.items():
        frame[column] = costs[element_index[element_name]][keep]
    frame["total_nanopence"] = total[keep]
    frame["unit_cost_p_per_kwh"] = unit_cost[keep]
    return frame.loc[:, HALF_HOUR_COLUMNS]


def _ramp(counts: np.ndarray) -> np.ndarray:
    """Return 0..n-1 for each n in ``counts``, concatenated."""
    offsets = np.r_[0, np.cumsum(counts)[:-1]]
    return np.arange(int(counts.sum())) - np.repeat(offsets, counts)
