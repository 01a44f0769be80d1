"""Nixtla-style forecast column names, built and parsed in one place.

``model`` is the point forecast; ``model-lo-90`` / ``model-hi-90`` bound the 90% interval;
``model-q-0.1`` is the 0.1 quantile. Estimators name their outputs with :func:`interval_column` and
:func:`quantile_column`; :func:`parse_column` reads them back (for ``evaluate``), so the two sides
cannot drift apart.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Optional, Sequence

import numpy as np

from .errors import TsheadsError

_SUFFIX = re.compile(r"^(?P<model>.+)-(?P<kind>lo|hi|q)-(?P<value>\d+(?:\.\d+)?)$")


def format_number(value: float) -> str:
    """Shortest exact decimal: 90 -> '90', 97.5 -> '97.5', 1e-05 -> '0.00001' (never exponent form).

    Parameters
    ----------
    value : float
        A level or quantile.

    Returns
    -------
    str
        The number as written in column names.
    """
    return np.format_float_positional(float(value), trim="-")


def interval_column(model: str, side: str, level: float) -> str:
    """Name of an interval-bound column: ``interval_column("M", "lo", 90) == "M-lo-90"``.

    Parameters
    ----------
    model : str
        Model (point-forecast column) name.
    side : {"lo", "hi"}
        Lower or upper bound.
    level : float
        Interval level in percent.

    Returns
    -------
    str
        The column name.
    """
    return f"{model}-{side}-{format_number(level)}"


def quantile_column(model: str, q: float) -> str:
    """Name of a quantile column: ``quantile_column("M", 0.1) == "M-q-0.1"``.

    Parameters
    ----------
    model : str
        Model (point-forecast column) name.
    q : float
        Quantile level in (0, 1).

    Returns
    -------
    str
        The column name.
    """
    return f"{model}-q-{format_number(q)}"


class ParsedColumn(NamedTuple):
    """A band column name split into its parts (see :func:`parse_column`).

    Parameters
    ----------
    model : str
        Model (point-forecast column) name.
    kind : {"lo", "hi", "q"}
        Interval bound or quantile.
    value : float
        Interval level in percent, or quantile in (0, 1).
    """

    model: str
    kind: str
    value: float


def parse_column(name: str) -> Optional[ParsedColumn]:
    """Split ``"M-lo-90"`` into ``("M", "lo", 90.0)``; None for a point-forecast or other column.

    Quantiles written in percent (``M-q-10``) are read as 0.10.

    Parameters
    ----------
    name : str
        A column name.

    Returns
    -------
    ParsedColumn or None
        The parts, or None when ``name`` has no ``-lo-``/``-hi-``/``-q-`` suffix.
    """
    match = _SUFFIX.match(str(name))
    if match is None:
        return None
    value = float(match["value"])
    if match["kind"] == "q" and value >= 1:
        value /= 100.0
    return ParsedColumn(match["model"], match["kind"], value)


def check_levels(level) -> list:
    """Interval levels as a list of floats in (0, 100); a scalar is one level. Duplicates removed.

    Parameters
    ----------
    level : float or sequence of float or None
        Interval levels in percent (e.g. ``[80, 95]``); None means none.

    Returns
    -------
    list of float
        The levels in the given order.

    Raises
    ------
    TsheadsError
        If a level is not a number in (0, 100).
    """
    return _check_numbers(level, "interval levels must be percentages in (0, 100)", 0.0, 100.0)


def check_quantiles(quantiles) -> list:
    """Quantile levels as a list of floats in (0, 1); a scalar is one quantile. Duplicates removed.

    Parameters
    ----------
    quantiles : float or sequence of float or None
        Quantile levels (e.g. ``[0.1, 0.5, 0.9]``); None means none.

    Returns
    -------
    list of float
        The levels in the given order.

    Raises
    ------
    TsheadsError
        If a level is not a number in (0, 1).
    """
    return _check_numbers(quantiles, "quantiles must lie in (0, 1)", 0.0, 1.0)


def _check_numbers(values, message: str, low: float, high: float) -> list:
    if values is None:
        return []
    if np.isscalar(values):
        values = [values]
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise TsheadsError(f"{message}, got {v!r}")
        if not low < float(v) < high:
            raise TsheadsError(f"{message}, got {v!r}")
        out.append(float(v))
    return list(dict.fromkeys(out))


def interval_quantiles(levels: Sequence[float]) -> list:
    """The quantile levels that the interval bounds of ``levels`` stand for (90 -> 0.05, 0.95).

    Parameters
    ----------
    levels : sequence of float
        Interval levels in percent.

    Returns
    -------
    list of float
        Sorted, distinct quantile levels (rounded to 10 decimals).
    """
    return sorted({round(q, 10) for lv in levels for q in (0.5 - lv / 200.0, 0.5 + lv / 200.0)})


def band_levels(level: Sequence[float], quantiles: Sequence[float] = ()) -> list:
    """Quantile levels behind a forecast's band columns, in column order.

    The lower and upper bound of each interval level (80 -> 0.1, 0.9), then ``quantiles`` (see
    :func:`band_columns`).

    Parameters
    ----------
    level : sequence of float
        Interval levels in percent.
    quantiles : sequence of float, default ()
        Quantile levels in (0, 1).

    Returns
    -------
    list of float
        ``2 * len(level) + len(quantiles)`` levels, duplicates kept.
    """
    return [q for lv in level for q in (0.5 - lv / 200, 0.5 + lv / 200)] + list(quantiles)


def band_columns(model: str, level: Sequence[float], quantiles: Sequence[float], values: Sequence) -> dict:
    """``{column name: array}`` for arrays given in :func:`band_levels` order.

    Parameters
    ----------
    model : str
        Model (point-forecast column) name.
    level : sequence of float
        Interval levels in percent.
    quantiles : sequence of float
        Quantile levels in (0, 1).
    values : sequence of array
        One array per band, in :func:`band_levels` order.

    Returns
    -------
    dict
        ``model-lo-80``, ``model-hi-80``, ..., ``model-q-0.1``, ... mapped to their arrays.
    """
    names = [interval_column(model, side, lv) for lv in level for side in ("lo", "hi")]
    names += [quantile_column(model, q) for q in quantiles]
    if len(values) != len(names):
        raise ValueError(f"got {len(values)} arrays for {len(names)} band columns")
    return dict(zip(names, values))
