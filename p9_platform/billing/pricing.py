"""Rate lookups, volumes and exact amounts of every declared line, vectorised over the grid.

Each unit line's volume is summed per (meter, rate) group before it is priced, and each
day-based line is priced per live (meter, day) cell. Volume x rate is multiplied in Python
integers, because a loss-adjusted volume times a rate can pass the int64 range.
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

ELEMENT_OF_LINE = {line.code: line.element.value for line in LINE_ITEMS}
NOT_PUBLISHED = "rate not published in the shipped tables"
TLM_NOT_PUBLISHED = "transmission loss multiplier not published in the shipped tables"
DUOS_BANDS = ("red", "amber", "green")

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

    Matrices indexed ``[meter, day]`` contain row numbers of the tariff tables, ``NO_ROW`` where
    none is in force. Arrays over the grid contain per-period values, 0 for a missing factor.
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
            wholesale_micro=_wholesale(grid, tables.wholesale_prices, bool(pass_through.any())),
            levy_row=levy_row,
            pass_through=pass_through,
            de_minimis=np.zeros(len(points), dtype=bool),
        )
        context.de_minimis = context._de_minimis()
        return context

    def _de_minimis(self) -> np.ndarray:
        grid = self.grid
        per_cell = cell_sum(grid, self.energy)
        used = np.zeros(len(self.points), dtype=np.int64)
        np.add.at(used, grid.cell_meter, per_cell)
        first_vat = self.vat_row[self.vat_row >= 0]
        if len(first_vat) == 0:
            return np.zeros(len(self.points), dtype=bool)
        limit_kwh = int(self.tables.vat_rates["de_minimis_kwh_per_day"].iloc[first_vat[0]])
        return used <= limit_kwh * 1000 * grid.live.sum(axis=1)

    def vat_percents(self) -> list[tuple[Decimal, Decimal]]:
        """Return each meter's (standard, reduced) VAT percent on its first live day."""
        first_day = np.argmax(self.grid.live, axis=1)
        rows = self.vat_row[first_day]
        vat = self.tables.vat_rates
        standard = [Decimal(text) for text in vat["standard_pct"]]
        reduced = [Decimal(text) for text in vat["reduced_pct"]]
        return [
            (standard[row], reduced[row]) if row >= 0 else (Decimal(0), Decimal(0)) for row in rows
        ]

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
        fixed = ~self.pass_through[:, None]
        checks["DUoS time band"] = self._cell_any(self.duos_band < 0)
        checks["contract unit rate"] = fixed & self._cell_any(self.energy_code < 0)
        if len(self.wholesale_micro):
            checks["wholesale price"] = ~fixed & self._cell_any(self.wholesale_micro < 0)
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
                named = self._name_tariff(tariff, int(meter))
                exceptions.append(
                    {
                        "meter_id": meter_id,
                        "bill_month": month,
                        "tariff": tariff,
                        "first_day": gap.min(),
                        "last_day": gap.max(),
                        "days": len(gap),
                        "reason": f"no {named} covers {len(gap)} live day(s) from "
                        f"{gap.min():%Y-%m-%d} to {gap.max():%Y-%m-%d}",
                    }
                )
        self._blocked = np.zeros(len(self.points), dtype=bool)
        for row in exceptions:
            self._blocked[self.points.index[self.points["meter_id"] == row["meter_id"]]] = True
        return exceptions

    def _name_tariff(self, tariff: str, meter: int) -> str:
        """Name the exact tariff a meter lacks, so the exception says what to load."""
        point = self.points.loc[self.points.index[meter]]
        if tariff == "supply contract":
            return f"supply contract {point['contract_id']}"
        if tariff.endswith("for the DNO and LLFC"):
            return tariff.replace("the DNO and LLFC", f"{point['dno']} LLFC {point['llfc']}")
        return tariff

    def billable_meters(self) -> np.ndarray:
        """Return a mask of meters with every tariff in force on every live day."""
        return ~getattr(self, "_blocked", np.zeros(len(self.points), dtype=bool))

    def _cell_any(self, per_period: np.ndarray) -> np.ndarray:
        """Reduce a per-period mask to a (meter x day) mask: True where any period is set."""
        grid = self.grid
        matrix = np.zeros(grid.live.shape, dtype=bool)
        if grid.size and per_period.any():
            hit = np.logical_or.reduceat(per_period, grid.cell_offset)
            matrix[grid.cell_meter, grid.cell_day] = hit
        return matrix


def _slot_lookup(grid: MonthGrid, version: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Return the code of every grid period (int16) from a (versions x day type x slot) matrix.

    The matrix is folded per (meter, day) first, so the per-period step is one gather from a
    (cells x 48) table instead of a three-way index over every period.
    """
    if codes.shape[0] == 0:
        return np.full(grid.size, NO_ROW, dtype=np.int16)
    cell_version = version[grid.cell_meter, grid.cell_day]
    day_type = grid.weekend[grid.cell_day].astype(np.int64)
    per_cell = codes[np.maximum(cell_version, 0), day_type].astype(np.int16)
    per_cell[cell_version < 0] = NO_ROW
    return per_cell.reshape(-1)[grid.cell_slot_index()]


def _period_index(grid: MonthGrid) -> np.ndarray:
    """Return each grid period's position in a (days x 50) table of the month."""
    return grid.period_index()


def _period_factors(
    grid: MonthGrid, points: pd.DataFrame, table: pd.DataFrame, keys: list[str], name: str
) -> np.ndarray:
    """Return the scaled loss factor (int32) of every grid period, 0 where none is published."""
    days = grid.days
    in_month = table.loc[
        (table["settlement_date"] >= days[0]) & (table["settlement_date"] <= days[-1])
    ]
    series = points.loc[:, keys].drop_duplicates().reset_index(drop=True)
    numbered = series.assign(_series=np.arange(len(series)))
    series_of_meter = points.loc[:, keys].merge(numbered, on=keys, how="left")["_series"]
    cube = np.zeros((len(series), len(days) * MAX_PERIODS), dtype=np.int32)
    matched = in_month.merge(numbered, on=keys)
    if len(matched) == 0:
        return np.zeros(grid.size, dtype=np.int32)
    if len(matched):
        day = ((matched["settlement_date"] - days[0]) // pd.Timedelta(days=1)).to_numpy()
        period = matched["settlement_period"].to_numpy(dtype=np.int64) - 1
        cube[matched["_series"].to_numpy(), day * MAX_PERIODS + period] = matched[
            f"{name}_scaled"
        ].to_numpy()
    flat = _period_index(grid)
    if len(series) == 1:
        return cube[0][flat]
    return cube[series_of_meter.to_numpy()[grid.meter], flat]


def _wholesale(grid: MonthGrid, prices: pd.DataFrame, needed: bool) -> np.ndarray:
    """Return the wholesale price (micro-pence per kWh) of every period, ``NO_ROW`` if none.

    Only pass-through contracts need it, so without one the array is left empty.
    """
    if not needed:
        return np.zeros(0, dtype=np.int64)
    days = grid.days
    table = np.full(len(days) * MAX_PERIODS, NO_ROW, dtype=np.int64)
    in_month = prices.loc[
        (prices["settlement_date"] >= days[0]) & (prices["settlement_date"] <= days[-1])
    ]
    if len(in_month):
        day = ((in_month["settlement_date"] - days[0]) // pd.Timedelta(days=1)).to_numpy()
        period = in_month["settlement_period"].to_numpy(dtype=np.int64) - 1
        table[day * MAX_PERIODS + period] = in_month["rate_micro"].to_numpy(dtype=np.int64)
    return table[_period_index(grid)]


def _levy_rows(
    levies: pd.DataFrame, code: str, points: pd.DataFrame, days: pd.DatetimeIndex
) -> np.ndarray:
    """Return the levy_rates row in force per meter and day; a banded row beats a blank band."""
    is_code = (levies["line_code"] == code).to_numpy()
    if not is_code.any():
        return np.full((len(points), len(days)), NO_ROW, dtype=np.int64)
    rows = levies.loc[is_code]
    positions = np.flatnonzero(is_code)
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

    ``groups`` has one row per meter, line, band and rate with the exact quantity and amount.
    ``cells`` has one row per meter, live day and day-based line with exact nanopence.
    """

    groups: pd.DataFrame
    cells: pd.DataFrame
    unpriced: pd.DataFrame


def _group_sum(groups: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Sum int64 ``values`` per group exactly.

    ``np.bincount`` adds in float64, which is exact while every partial sum stays below 2^53;
    that is checked on the absolute values, and larger sums go through an integer group-by.
    """
    if len(values) == 0:
        return np.zeros(size, dtype=np.int64)
    as_float = values.astype(np.float64)
    if as_float.min() >= 0:
        # With no negative values, the final sums bound every partial sum.
        sums_float = np.bincount(groups, as_float, minlength=size)
        if sums_float.max() < 2.0**52:
            return sums_float.astype(np.int64)
    else:
        magnitude = np.bincount(groups, np.abs(as_float), minlength=size)
        if magnitude.max() < 2.0**52:
            return np.bincount(groups, as_float, minlength=size).astype(np.int64)
    sums = pd.Series(values).groupby(groups).sum()
    result = np.zeros(size, dtype=np.int64)
    result[sums.index.to_numpy()] = sums.to_numpy()
    return result


def cell_sum(grid: MonthGrid, values: np.ndarray) -> np.ndarray:
    """Sum per-period int64 ``values`` per live (meter, day) cell, exactly in int64.

    The grid lists each cell's periods contiguously, so one ``reduceat`` pass does it.
    """
    if grid.size == 0:
        return np.zeros(len(grid.cell_meter), dtype=np.int64)
    return np.add.reduceat(values.astype(np.int64, copy=False), grid.cell_offset)


def _nbp_cell_sum(grid: MonthGrid, gsp: np.ndarray, tlm: np.ndarray) -> np.ndarray:
    """Sum gsp x tlm per cell exactly, as Python integers.

    The product can pass int64, so the multiplier is split into ``FACTOR_SCALE + delta``;
    ``gsp x delta`` stays small because a TLM is within a few percent of one.
    """
    delta = tlm.astype(np.int64) - FACTOR_SCALE
    if np.abs(gsp).max(initial=0) * float(np.abs(delta).max(initial=0)) >= 2.0**62:
        raise OverflowError(
            "a half hour's nbp volume exceeds exact int64 arithmetic; check the reads' energy"
        )
    base = cell_sum(grid, gsp).astype(object) * FACTOR_SCALE
    return base + cell_sum(grid, gsp * delta).astype(object)


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
    "rate_id",
    "rate_micro",
    "volume",
    "scale",
    "quantity_unit",
    "amount_nanopence",
]


def price_lines(context: PricingContext, billable: np.ndarray) -> PricedLines:
    """Price every declared line for the billable meters."""
    volumes = CellVolumes.build(context)
    groups: list[pd.DataFrame] = []
    for line in LINE_ITEMS:
        if line.rate_source is RateSource.WHOLESALE:
            frame = _price_pass_through(line, context, billable)
        elif line.basis in BASIS_SCALE and line.rate_source is not RateSource.SYSTEM_PRICE:
            frame = _price_unit_line(line, context, billable, volumes)
        else:
            continue
        if frame is not None:
            groups.append(frame)
    cells = _price_day_lines(context, billable)
    day_groups = _day_groups(cells)
    all_groups = pd.concat([*groups, day_groups], ignore_index=True)
    return PricedLines(all_groups, cells, _unpriced(context, billable))


@dataclasses.dataclass(frozen=True)
class CellVolumes:
    """Volumes summed per live (meter, day) cell in one pass over the settlement periods.

    ``metered[c, b, e]`` is the Wh of cell ``c`` in DUoS band ``b`` and contract energy band
    ``e``, where the last index of each stands for "no band". ``periods`` counts the periods in
    the same shape.
    ``gsp`` is Wh x LLF per cell (10^-7 Wh); ``nbp`` is gsp x TLM per cell (10^-14 Wh, Python
    integers) and only meaningful where ``tlm_complete``.
    """

    metered: np.ndarray
    periods: np.ndarray
    gsp: np.ndarray
    nbp: np.ndarray | None
    tlm_complete: np.ndarray

    @classmethod
    def build(cls, context: PricingContext) -> CellVolumes:
        """Sum every volume basis per cell, band and energy band."""
        grid = context.grid
        cells = len(grid.cell_meter)
        energy_bands = len(context.energy_values) + 1
        # Built in place: each temporary over the periods costs 60 MB at 10,000 meter-months.
        key = grid.cell * (len(DUOS_BANDS) + 1)
        key += np.where(context.duos_band >= 0, context.duos_band, len(DUOS_BANDS))
        key *= energy_bands
        key += np.where(context.energy_code >= 0, context.energy_code, energy_bands - 1)
        size = cells * (len(DUOS_BANDS) + 1) * energy_bands
        shape = (cells, len(DUOS_BANDS) + 1, energy_bands)
        metered = _group_sum(key, context.energy, size).reshape(shape)
        periods = np.bincount(key, minlength=size).reshape(shape)
        gsp_values = context.energy * context.llf
        gsp = cell_sum(grid, gsp_values)
        has_tlm = context.tlm > 0
        if not has_tlm.any():
            return cls(metered, periods, gsp, None, np.zeros(cells, dtype=bool))
        tlm_complete = np.logical_and.reduceat(has_tlm, grid.cell_offset)
        nbp = _nbp_cell_sum(grid, gsp_values, context.tlm)
        return cls(metered, periods, gsp, nbp, tlm_complete)


def _cell_items(
    line: LineItem, context: PricingContext, billable: np.ndarray, volumes: CellVolumes
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Return the (cell, rate id, volume) items a unit line charges, and each id's band."""
    grid = context.grid
    cell_on = billable[grid.cell_meter]
    meter, day = grid.cell_meter, grid.cell_day
    if line.rate_source is RateSource.CONTRACT_BAND:
        cell_on &= ~context.pass_through[meter]
        counts = volumes.periods.sum(axis=1)[:, :-1]
        wh = volumes.metered.sum(axis=1)[:, :-1]
        cell, code = np.nonzero((counts > 0) & cell_on[:, None])
        bands = [str(value).split("|")[0] for value in context.energy_values]
        return cell, code, wh[cell, code], bands
    if line.rate_source is RateSource.DUOS_BAND:
        band = DUOS_BANDS.index(line.rate_key)
        rows = context.duos_row[meter, day]
        rates = _micro_column(context.tables.duos_charges[f"{line.rate_key}_p_per_kwh"])
        counts = volumes.periods[:, band, :].sum(axis=1)
        cell_on &= (counts > 0) & (rows >= 0)
        cell_on &= rates[np.maximum(rows, 0)] != NO_ROW
        cell = np.flatnonzero(cell_on)
        wh = volumes.metered[:, band, :].sum(axis=1)
        return cell, rows[cell], wh[cell], [line.rate_key] * len(rates)
    rows = context.levy_row[line.code][meter, day]
    cell_on &= rows >= 0
    if line.code == "ccl":
        cell_on &= ~context.de_minimis[meter]
    bands = context.tables.levy_rates["band"].tolist()
    if line.basis is Basis.METERED_KWH:
        cell = np.flatnonzero(cell_on)
        return cell, rows[cell], volumes.metered.sum(axis=(1, 2))[cell], bands
    if line.basis is Basis.GSP_KWH:
        cell = np.flatnonzero(cell_on)
        return cell, rows[cell], volumes.gsp[cell], bands
    if volumes.nbp is None:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, bands
    cell = np.flatnonzero(cell_on & volumes.tlm_complete)
    return cell, rows[cell], volumes.nbp[cell], bands


def _price_unit_line(
    line: LineItem, context: PricingContext, billable: np.ndarray, volumes: CellVolumes
) -> pd.DataFrame | None:
    """Sum a unit line's cell volumes per (meter, rate) and price each sum exactly."""
    if line.rate_source is RateSource.LEVY and (context.levy_row[line.code] < 0).all():
        return None
    cell, rate_ids, cell_volume, bands = _cell_items(line, context, billable, volumes)
    if len(cell) == 0:
        return None
    rates = _unit_rates(line, context)
    size = max(len(rates), 1)
    key = context.grid.cell_meter[cell] * size + rate_ids
    unique, group = np.unique(key, return_inverse=True)
    if cell_volume.dtype == object:
        volume = pd.Series(cell_volume).groupby(group).sum().to_numpy(dtype=object)
    else:
        volume = _group_sum(group, cell_volume.astype(np.int64), len(unique)).astype(object)
    rate = rates[unique % size]
    scale = BASIS_SCALE[line.basis]
    nano = _round_to_nanopence(volume * rate.astype(object), scale)
    return pd.DataFrame(
        {
            "meter": unique // size,
            "line_code": line.code,
            "band": [bands[index] if index < len(bands) else "" for index in unique % size],
            "rate_id": unique % size,
            "rate_micro": rate,
            "volume": volume,
            "scale": scale,
            "quantity_unit": "kWh",
            "amount_nanopence": nano,
        }
    )


def _price_pass_through(
    line: LineItem, context: PricingContext, billable: np.ndarray
) -> pd.DataFrame | None:
    """Price pass-through energy per half hour: Wh x (wholesale price + margin), exactly."""
    positions, _, _, per_period = _period_parts(line, context, billable)
    if len(positions) == 0 or per_period is None:
        return None
    grid = context.grid
    unique, group = np.unique(grid.meter[positions], return_inverse=True)
    return pd.DataFrame(
        {
            "meter": unique,
            "line_code": line.code,
            "band": "half-hourly",
            "rate_id": 0,
            "rate_micro": NO_ROW,
            "volume": _group_sum(group, context.energy[positions], len(unique)).astype(object),
            "scale": 1,
            "quantity_unit": "kWh",
            "amount_nanopence": _group_sum(group, per_period, len(unique)),
        }
    )


def _period_parts(
    line: LineItem, context: PricingContext, billable: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Return a unit line's grid positions, rate ids, weights and exact per-period amounts.

    Per-period amounts exist for metered and pass-through lines (already whole nanopence);
    loss-adjusted lines return None there and are apportioned by their weights instead.
    """
    grid = context.grid
    if line.rate_source is RateSource.WHOLESALE:
        if len(context.wholesale_micro) == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty.astype(np.float64), empty
        on = billable[grid.meter] & context.pass_through[grid.meter]
        on &= context.wholesale_micro >= 0
        positions = np.flatnonzero(on)
        contracts = context.contract_row[grid.meter[positions], grid.day[positions]]
        margin = _micro_column(context.tables.supply_contracts["margin_p_per_kwh"])
        margin = np.where(margin == NO_ROW, 0, margin)[contracts]
        rate = context.wholesale_micro[positions] + margin
        per_period = context.energy[positions] * rate
        zero = np.zeros(len(positions), dtype=np.int64)
        return positions, zero, per_period.astype(np.float64), per_period
    positions, rate_ids, _ = _unit_rate_ids(line, context, billable)
    volume, weights = _unit_volume(line, context, positions)
    if line.basis is Basis.METERED_KWH:
        return positions, rate_ids, weights, volume * _unit_rates(line, context)[rate_ids]
    return positions, rate_ids, weights, None


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
    if grid.size:
        cell_max = np.maximum.reduceat(context.energy, grid.cell_offset)
        np.maximum.at(max_wh, grid.cell_meter, cell_max)
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
        return pd.DataFrame(columns=GROUP_COLUMNS)
    grouped = cells.groupby(
        ["meter", "line_code", "rate_micro", "quantity_unit"], as_index=False
    ).agg(volume=("quantity_milli", "sum"), amount_nanopence=("amount_nanopence", "sum"))
    grouped["volume"] = grouped["volume"].astype(object)
    grouped["band"] = ""
    grouped["scale"] = 1
    grouped["rate_id"] = NO_ROW
    return grouped.loc[:, GROUP_COLUMNS]


def _unpriced(context: PricingContext, billable: np.ndarray) -> pd.DataFrame:
    """List each applicable line with no published rate (or volume) for a billable meter."""
    grid = context.grid
    live = grid.live
    meters = len(context.points)
    tlm_any = np.zeros(meters, dtype=bool)
    has_tlm = context.tlm > 0
    if has_tlm.any():
        np.logical_or.at(
            tlm_any, grid.cell_meter, np.logical_or.reduceat(has_tlm, grid.cell_offset)
        )
    duos_reactive = _micro_column(context.tables.duos_charges["reactive_p_per_kvarh"])
    frames = []
    for line in LINE_ITEMS:
        applies = billable.copy()
        if line.pricing == "pass_through":
            applies &= context.pass_through
        elif line.pricing == "fixed":
            applies &= ~context.pass_through
        if line.code == "ccl":
            applies &= ~context.de_minimis
        note = np.full(meters, "", dtype=object)
        if line.rate_source is RateSource.LEVY:
            no_rate = ((context.levy_row[line.code] < 0) | ~live).all(axis=1)
            note[no_rate] = NOT_PUBLISHED
            if line.basis is Basis.NBP_KWH:
                note[~no_rate & ~tlm_any] = TLM_NOT_PUBLISHED
        elif line.rate_source is RateSource.SYSTEM_PRICE:
            note[:] = NOT_PUBLISHED
        elif line.basis is Basis.KVARH and len(duos_reactive):
            rows = context.duos_row
            rate = np.where(rows >= 0, duos_reactive[np.maximum(rows, 0)], NO_ROW)
            charged = ((rate != NO_ROW) & (rate != 0) & live).any(axis=1)
            note[charged] = "no reactive power (kVArh) reads to charge"
        listed = np.flatnonzero(applies & (note != ""))
        if len(listed):
            frames.append(
                pd.DataFrame({"meter": listed, "line_code": line.code, "note": note[listed]})
            )
    if not frames:
        return pd.DataFrame(columns=["meter", "line_code", "note"])
    return pd.concat(frames, ignore_index=True)


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
            # Display only: the exact volume stays in the amount; a float keeps 15 digits.
            "quantity": groups["volume"].to_numpy(dtype=np.float64)
            / (1000.0 * groups["scale"].to_numpy(dtype=np.float64)),
            "quantity_unit": groups["quantity_unit"].to_numpy(),
            "rate_p": groups["rate_micro"].map(
                {rate: _rate_text(rate) for rate in groups["rate_micro"].unique()}
            ),
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
    frame["description"] = codes.map(
        {code: line.description for code, line in LINES_BY_CODE.items()}
    )
    frame["element"] = codes.map(ELEMENT_OF_LINE)
    frame["basis"] = codes.map({code: line.basis.value for code, line in LINES_BY_CODE.items()})
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
            "element": cells["line_code"].map(ELEMENT_OF_LINE),
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

    Lines on metered kWh keep their exact per-period amounts. Lines on loss-adjusted volume are
    apportioned by volume, and day-based lines in equal shares over the day's periods, both by
    the largest-remainder method. So each line's periods sum exactly to its nanopence.
    """
    grid = context.grid
    keep = billable[grid.meter]
    element_index = {element: index for index, element in enumerate(ELEMENTS)}
    costs = np.zeros((len(ELEMENTS), grid.size), dtype=np.int64)
    groups = priced.groups
    for line in LINE_ITEMS:
        rows = groups.loc[groups["line_code"] == line.code]
        if rows.empty or line.basis not in BASIS_SCALE:
            continue
        positions, rate_ids, weights, per_period = _period_parts(line, context, billable)
        element = element_index[line.element]
        if per_period is not None:
            np.add.at(costs[element], positions, per_period)
            continue
        # Map each period to its bill-line group, then apportion the group's nanopence.
        size = int(max(rate_ids.max(initial=0), rows["rate_id"].max())) + 1
        row_keys = pd.Index(rows["meter"].to_numpy(np.int64) * size + rows["rate_id"])
        group = row_keys.get_indexer(grid.meter[positions] * size + rate_ids)
        charged = group >= 0
        shares = apportion(
            rows["amount_nanopence"].to_numpy(dtype=np.int64), group[charged], weights[charged]
        )
        np.add.at(costs[element], positions[charged], shares)

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
