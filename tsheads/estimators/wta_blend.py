"""How far a WTA forecaster's forecasts move towards tsheads' self-validated combination.

The hypotheses of :class:`~tsheads.estimators.wta.WTAForecaster` are offsets from an anchor path, and after
training its forecasts move part of the way back to that anchor where the held-out windows say so. On the
short M1 / M3 series the trained heads forecast those windows no better than the anchor (a Theta-like level
and trend), so the forecaster was the anchor there and lost to ETS and Theta (README). tsheads has a stronger
classical forecast: :class:`~tsheads.estimators.validated.ValidatedForecaster` (network, naive family, Theta
and a pooled linear model, weighted on backtests). Here the forecaster checks on each series' last held-out
window (its last ``h`` points, which no training window forecast) how far towards that combination to move,
as the anchor weight does towards the anchor: a combination of two forecasts is usually better than either.
Those points are inside the forecaster's own held-out windows, which chose its early stopping, kernel widths
and anchor weight, so its error there is somewhat optimistic and the choice leans towards the forecaster; the
combination's is out of sample (it sees only the points before them). Through the combination's frame prior
and pooled linear model, a series' moved forecast depends on the other series of the frame.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import TsheadsError
from ..windows import Panel

#: the shares of the way tried (``validated_weight="auto"``); ties go to the smaller one
WEIGHTS = tuple(i / 10 for i in range(11))
#: fewest points a series keeps before its held-out window to take part in the choice
MIN_HISTORY = 8


def truncated(panel: Panel, drop: int) -> tuple[Panel, np.ndarray]:
    """The series of ``panel`` without their last ``drop`` points, and which series kept enough to take part
    (at least :data:`MIN_HISTORY` points before them)."""
    keep = panel.lengths - drop >= MIN_HISTORY
    rows = np.flatnonzero(keep)
    pieces = [np.arange(panel.indptr[i], panel.indptr[i + 1] - drop) for i in rows]
    index = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)
    lengths = panel.lengths[rows] - drop
    return Panel(panel.ids[rows], panel.times[index], panel.values[index], np.r_[0, np.cumsum(lengths)],
                 panel.freq, panel.columns), keep


def panel_frame(panel: Panel) -> pd.DataFrame:
    """The univariate ``panel`` as a long frame ``unique_id, ds, y``."""
    return pd.DataFrame({"unique_id": np.repeat(panel.ids, panel.lengths), "ds": panel.times,
                         "y": panel.values[:, 0]})


def validated_points(panel: Panel, h: int, season_length, **kwargs) -> np.ndarray:
    """``(n, h)`` point forecasts of :class:`~tsheads.estimators.validated.ValidatedForecaster` (its defaults, and
    ``season_length`` and ``kwargs``) after each series of the univariate ``panel``, in panel order."""
    from .validated import ValidatedForecaster

    est = ValidatedForecaster(season_length=season_length, **kwargs)
    fc = est.fit(panel_frame(panel), freq=panel.freq).predict(h)
    return fc[est.model_name].to_numpy(np.float64).reshape(panel.n_series, h)


def mean_steps(panel: Panel) -> np.ndarray:
    """``(n, 1)`` each series' mean absolute change from one point to the next (1 where it never changes):
    the scale of MASE, so the choice weighs series as the M-competition scores do."""
    steps = np.array([np.nanmean(np.abs(np.diff(panel.series(i)[:, 0]))) if panel.lengths[i] > 1 else np.nan
                      for i in range(panel.n_series)])
    return np.where(np.isfinite(steps) & (steps > 0), steps, 1.0)[:, None]


def blended(model: np.ndarray, target: np.ndarray, weight: float, log: bool = False) -> np.ndarray:
    """``model`` ``(n, h)`` moved ``weight`` of the way to ``target``: along a line, or with ``log`` (a forecaster
    of logarithms) geometrically, ``model * (target / model) ** weight``, where a series whose two paths are
    not all above 0 does not move; nor does a step where ``target`` is not finite."""
    if not log:
        return np.where(np.isfinite(target), model + weight * (target - model), model)
    positive = (target > 0).all(axis=1, keepdims=True) & (model > 0).all(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.where(positive, target, 1.0) / np.where(positive, model, 1.0)
        path = model * np.exp(weight * np.log(ratio))
    return np.where(positive, path, model)


def choose_weight(model: np.ndarray, validated: np.ndarray, truth: np.ndarray, unit: np.ndarray,
                  grid=WEIGHTS, log: bool = False) -> tuple[float, dict]:
    """The share from ``grid`` whose path (:func:`blended`, as ``predict`` will move) has the lowest mean absolute
    error on the held-out points ``truth`` (``(n, h)``, NaN where unobserved), each series' errors over ``unit``;
    and the errors of the model (``"model"``), the combination (``"validated"``) and that path (``"blend"``)."""
    seen = np.isfinite(truth) & np.isfinite(model) & np.isfinite(validated)
    count = max(int(seen.sum()), 1)

    def error(w: float) -> float:
        return float((np.abs(blended(model, validated, w, log) - truth) / unit)[seen].sum() / count)

    errors = {float(w): error(w) for w in grid}
    best = min(errors, key=lambda w: (errors[w], w))
    return best, {"model": error(0.0), "validated": error(1.0), "blend": errors[best]}


def check_weight(value) -> None:
    """Refuse a ``validated_weight`` other than "auto" or a number in [0, 1]."""
    number = isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool)
    if not ((isinstance(value, str) and value == "auto") or (number and 0 <= value <= 1)):
        raise TsheadsError(f"validated_weight must be 'auto' or a number in [0, 1], got {value!r}")


def move_towards(panel: Panel, point: np.ndarray, weight: float, season_length, horizon: int, log: bool = False,
                 stacklevel: int = 2, **kwargs) -> np.ndarray:
    """``(n, h)`` what moves ``point`` ``weight`` of the way to the validated combination's forecast after
    ``panel`` (:func:`blended`): added to every output, or with ``log`` a factor on it. The combination
    forecasts the fitted ``horizon`` and keeps the first ``h`` steps, so a shorter forecast is the start of the
    longer one, as the forecaster's own is. No move at weight 0, nor (with a warning; ``stacklevel`` as for
    :func:`warnings.warn`) where the combination cannot forecast the frame."""
    still = np.ones_like(point) if log else np.zeros_like(point)
    if weight == 0:
        return still
    try:
        target = validated_points(panel, horizon, season_length, **kwargs)[:, :point.shape[1]]
    except TsheadsError as err:
        warnings.warn(f"the self-validated combination cannot forecast this frame ({err}), so the forecasts stay "
                      f"the network's instead of moving {weight:g} of the way to it", UserWarning,
                      stacklevel=stacklevel)
        return still
    path = blended(point, target, weight, log)
    if not log:
        return path - point
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(path == point, 1.0, path / point)


def moved(values: np.ndarray, move: np.ndarray, log: bool) -> np.ndarray:
    """``values`` (``(n, ..., h)``) moved by :func:`move_towards`' ``move`` (``(n, h)``)."""
    move = move.reshape(move.shape[:1] + (1,) * (values.ndim - 2) + move.shape[1:])
    return values * move if log else values + move
