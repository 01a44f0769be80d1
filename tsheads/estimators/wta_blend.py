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

from ..errors import TsheadsError
from ..frames import Columns
from ..windows import Panel

#: the shares of the way tried (``validated_weight="auto"``, and ``anchor_weight="auto"`` towards the anchor);
#: ties go to the smaller one
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


def validated_points(panel: Panel, h: int, season_length, **kwargs) -> np.ndarray:
    """``(n, h)`` point forecasts of :class:`~tsheads.estimators.validated.ValidatedForecaster` (its defaults, and
    ``season_length`` and ``kwargs``) after each series of the univariate ``panel``, in panel order."""
    from .validated import ValidatedForecaster

    est = ValidatedForecaster(season_length=season_length, **kwargs)
    fc = est.fit(panel.long_frame(Columns()), freq=panel.freq).predict(h)  # default names: no clash with its column
    return fc[est.model_name].to_numpy(np.float64).reshape(panel.n_series, h)


def mean_steps(panel: Panel) -> np.ndarray:
    """``(n, 1)`` each series' mean absolute change from one point to the next (1 where it never changes):
    the scale of MASE, so the choice weighs series as the M-competition scores do."""
    from .wta import step_unit

    x, observed = panel.tail(int(panel.lengths.max(initial=1)))
    return step_unit(x[:, :1], observed[:, :1], np.ones((panel.n_series, 1, 1)))[:, 0]


def log_factor(model: np.ndarray, target: np.ndarray, weight: float) -> np.ndarray:
    """``(n, h)`` the factor ``(target / model) ** weight`` that moves ``model`` ``weight`` of the way to ``target``
    geometrically; 1 for a series whose two paths are not all above 0."""
    positive = (target > 0).all(axis=1, keepdims=True) & (model > 0).all(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.where(positive, target, 1.0) / np.where(positive, model, 1.0)
        return np.where(positive, np.exp(weight * np.log(ratio)), 1.0)


def blended(model: np.ndarray, target: np.ndarray, weight: float, log: bool = False) -> np.ndarray:
    """``model`` moved ``weight`` of the way to ``target`` (same shape): along a line, where ``target`` is finite,
    or with ``log`` (a forecaster of logarithms, ``(n, h)``) by :func:`log_factor`."""
    if log:
        return model * log_factor(model, target, weight)
    return np.where(np.isfinite(target), model + weight * (target - model), model)


def choose_weight(model: np.ndarray, target: np.ndarray, truth: np.ndarray, unit: np.ndarray, grid=WEIGHTS,
                  log: bool = False, target_name: str = "validated") -> tuple[float, dict]:
    """The share from ``grid`` whose path (:func:`blended`, as ``predict`` moves) has the lowest mean absolute
    error on the held-out points ``truth`` (NaN where unobserved; ``unit`` divides each series' or window's
    errors), and the errors of the model (``"model"``), the ``target`` (``target_name``) and that path
    (``"blend"``). Also the anchor weight's choice (:func:`tsheads.estimators.wta._anchor_check`)."""
    seen = np.isfinite(truth) & np.isfinite(model) & np.isfinite(target)
    count = max(int(seen.sum()), 1)

    def error(w: float) -> float:
        return float((np.abs(blended(model, target, w, log) - truth) / unit)[seen].sum() / count)

    errors = {float(w): error(w) for w in grid}
    best = min(errors, key=lambda w: (errors[w], w))
    return best, {"model": error(0.0), target_name: error(1.0), "blend": errors[best]}


def move_towards(panel: Panel, point: np.ndarray, weight: float, season_length, horizon: int, log: bool = False,
                 stacklevel: int = 2, **kwargs) -> np.ndarray:
    """``(n, h)`` what moves ``point`` ``weight`` of the way to the validated combination's forecast after
    ``panel`` (:func:`blended`): added to every output, or with ``log`` a factor on it. The combination
    forecasts the fitted ``horizon`` and keeps the first ``h`` steps, so a shorter forecast is the start of the
    longer one, as the forecaster's own is. No move (with a warning; ``stacklevel`` as for
    :func:`warnings.warn`) where the combination cannot forecast the frame."""
    try:
        target = validated_points(panel, horizon, season_length, **kwargs)[:, :point.shape[1]]
    except TsheadsError as err:
        warnings.warn(f"the self-validated combination cannot forecast this frame ({err}), so the forecasts stay "
                      f"the network's instead of moving {weight:g} of the way to it", UserWarning,
                      stacklevel=stacklevel)
        return np.ones_like(point) if log else np.zeros_like(point)
    return log_factor(point, target, weight) if log else blended(point, target, weight) - point


def moved(values: np.ndarray, move: np.ndarray, log: bool) -> np.ndarray:
    """``values`` (``(n, ..., h)``) moved by :func:`move_towards`' ``move`` (``(n, h)``)."""
    move = move.reshape(move.shape[:1] + (1,) * (values.ndim - 2) + move.shape[1:])
    return values * move if log else values + move
