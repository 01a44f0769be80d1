"""Choosing and weighting forecast candidates per series from their rolling-origin backtest errors.

Input: ``errors`` of shape ``(n_series, n_candidates)``, each a candidate's mean scaled error over a
series' backtest origins (MASE-like: absolute error divided by the series' seasonal-naive scale), NaN
where a candidate could not run on that series. Output: weights of the same shape, each row summing to 1
and zero on NaN candidates. Rules are named strings so a validation suite can compare them and an
estimator can take one as a parameter:

- ``"best"``: all weight on the lowest error.
- ``"inverse_top<k>"``: weights proportional to ``1 / error`` over the ``k`` lowest errors.
- ``"inverse2_top<k>"``: weights proportional to ``1 / error**2`` over the ``k`` lowest errors (leans harder on
  the best, for series where one candidate, e.g. a weekly seasonal naive, is far ahead).
- ``"equal_top<k>"``: equal weights over the ``k`` lowest errors.
- ``"evidence<c>_top<k>"`` (e.g. ``"evidence0.33_top3"``): over the ``k`` lowest errors, weights proportional to
  ``(own lowest / own error) ** max(1, c * sqrt(n))``, ``n`` being the series' backtest points (origins x
  horizon; a candidate that ran at fewer origins averages fewer), times the frame prior's factor to the power
  -2 as in ``inverse2`` (:func:`with_frame_prior`). The more points a series' own errors average, the surer
  their order, so the weights lean harder on its best; what the other series say weighs the same whatever
  ``n``, and a series without errors of its own weighs the frame's verdict as ``inverse2`` does. With ``c``
  0.33 a monthly series backtested on two origins of 18 points weighs like ``inverse2``, a half-hourly one on
  two origins of 336 points with an exponent of 8.6.
- any of these with ``_within<r>`` (e.g. ``"inverse2_top3_within2"``): candidates whose error exceeds ``r``
  times the lowest get no weight, so one candidate far ahead of the rest (a weekly seasonal naive on
  half-hourly demand) is not diluted by them.

The default, :data:`DEFAULT_RULE`, was chosen on validation windows only (the M1, M3 and M4-hourly *training*
parts and corpus series), together with the estimator's frame prior, by one score (relative MASE + coverage
error; ``evaluation/rule_prior_choice.py``): ``inverse_top3`` at prior 16 (clean 70214a7: 0.7670 against 0.7696
for ``evidence0.33_top3`` at prior 8, the pair before), and again, at prior 12, once the pooled linear candidate
had joined the defaults (clean 1278f08: 0.7615 against 0.7656 for ``evidence0.33_top3`` at 8). The ``evidence``
rules do better on long backtests (M4 hourly 0.960 against 0.973) and buy less coverage from the prior.

A series' own backtest is a few origins, so its errors are noisy; :func:`with_frame_prior` lets them lean on
how each candidate did on the *other* series of the same frame (its :func:`frame_standing`), and gives series
too short for any backtest the frame's verdict instead of one fixed candidate. Pure numpy.
"""

from __future__ import annotations

import re

import numpy as np

from .errors import TsheadsError

#: rules compared by ``evaluation.rule_prior_choice`` and ``evaluation.combination_choice``
RULES = ("best", "inverse_top2", "inverse_top3", "inverse_top5", "inverse2_top2", "inverse2_top3", "inverse2_top5",
         "equal_top2", "equal_top3", "inverse_top3_within2", "inverse2_top3_within2", "inverse2_top3_within1.5",
         "evidence0.25_top3", "evidence0.33_top3", "evidence0.5_top3")
#: the rule used when none is given (see module docstring)
DEFAULT_RULE = "inverse_top3"
_RULE = re.compile(r"^(?P<kind>inverse2?|equal|evidence(?P<c>\d+(\.\d+)?))_top(?P<k>[1-9]\d*)"
                   r"(_within(?P<r>[1-9]\d*(\.\d+)?))?$")


def check_rule(rule: str) -> tuple[str, int, float, float]:
    """``rule`` as ``(kind, k, ratio, c)``: ``"best"`` is ``("equal", 1, inf, 0)``; a TsheadsError for anything
    else.

    Parameters
    ----------
    rule : str
        A rule name (see module docstring).

    Returns
    -------
    tuple of (str, int, float, float)
        Weighting kind (``"inverse"``, ``"inverse2"``, ``"equal"`` or ``"evidence"``), how many candidates it
        keeps, the largest error, as a multiple of the lowest, that may still get weight (inf: no cut), and the
        evidence rule's ``c`` (0 for the others).
    """
    if rule == "best":
        return "equal", 1, np.inf, 0.0
    match = _RULE.match(str(rule))
    if match is None or (match["c"] is not None and float(match["c"]) <= 0):
        raise TsheadsError(f"combination rule must be 'best', 'inverse_top<k>', 'inverse2_top<k>', 'equal_top<k>' or "
                           f"'evidence<c>_top<k>' (c > 0), optionally with '_within<r>' (r >= 1), got {rule!r}")
    kind = "evidence" if match["c"] is not None else match["kind"]
    return kind, int(match["k"]), float(match["r"]) if match["r"] else np.inf, float(match["c"] or 0.0)


def combination_weights(errors: np.ndarray, rule: str = DEFAULT_RULE, points=None, own=None) -> np.ndarray:
    """Weights per series and candidate from mean backtest errors (see module docstring).

    Ties keep the earlier candidate. Zero errors (a candidate that was exact on every origin) share the
    weight equally under the inverse rules. A row with no finite error gets equal weights on every
    candidate, so the caller decides what such series use.

    Parameters
    ----------
    errors : ndarray
        ``(n, c)`` non-negative mean scaled errors, NaN for candidates that did not run.
    rule : str, default DEFAULT_RULE
        A rule name.
    points : array_like, optional
        ``(n,)`` backtest points behind each series' errors (origins x horizon), for the ``evidence`` rules; None
        counts none (their exponent is then 1).
    own : ndarray, optional
        ``(n, c)`` the series' own errors when ``errors`` lean on the frame (:func:`with_frame_prior`); the
        ``evidence`` rules sharpen only these. None: ``errors`` are the series' own.

    Returns
    -------
    ndarray
        ``(n, c)`` weights, rows summing to 1.
    """
    kind, k, ratio, c = check_rule(rule)
    errors = np.asarray(errors, dtype=np.float64)
    if errors.ndim != 2:
        raise TsheadsError(f"errors must be (n_series, n_candidates), got shape {errors.shape}")
    if kind == "evidence":
        points = np.zeros(len(errors)) if points is None else np.asarray(points, dtype=np.float64)
        if points.shape != errors.shape[:1] or not np.all(points >= 0):
            raise TsheadsError(f"rule {rule!r} needs the backtest points of each of the {errors.shape[0]} series "
                               f"(non-negative), got {points!r}")
        exponent = np.maximum(1.0, c * np.sqrt(points))[:, None]
        own = errors if own is None else np.asarray(own, dtype=np.float64)
    usable = np.isfinite(errors)
    ranked = np.where(usable, errors, np.inf)
    order = np.argsort(ranked, axis=1, kind="stable")
    keep = np.zeros_like(usable)
    np.put_along_axis(keep, order[:, :k], True, axis=1)
    keep &= usable
    if np.isfinite(ratio):  # far behind the best: no weight (a zero lowest error keeps only exact ties)
        keep &= ~(ranked > ratio * ranked.min(axis=1, keepdims=True))
    if kind == "equal":
        raw = keep.astype(np.float64)
    else:
        exact = keep & (errors == 0)
        with np.errstate(divide="ignore", over="ignore"):
            if kind == "evidence":
                inverse = _evidence_weights(errors, own, keep & ~exact, exponent)
            else:
                power = 2.0 if kind == "inverse2" else 1.0
                inverse = np.where(keep & ~exact, 1.0 / np.where(keep, errors, 1.0) ** power, 0.0)
        raw = np.where(exact.any(axis=1, keepdims=True), exact.astype(np.float64), inverse)
    total = raw.sum(axis=1, keepdims=True)
    equal = np.full_like(raw, 1.0 / max(errors.shape[1], 1))
    return np.where(total > 0, raw / np.where(total > 0, total, 1.0), equal)


def _evidence_weights(errors: np.ndarray, own: np.ndarray, keep: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    """Unnormalised ``evidence`` weights on ``keep``: the own errors' ratios to their lowest to the power
    ``exponent`` (relative to the lowest, so large exponents stay finite), times ``(errors / own) ** -2`` (the
    frame prior's factor, as ``inverse2`` weighs it); where a row has no own error, ``errors ** -2`` (the frame's
    verdict alone)."""
    mine = keep & np.isfinite(own) & (own > 0)
    lowest = np.where(mine, own, np.inf).min(axis=1, keepdims=True)
    sharp = np.where(mine, (np.where(np.isfinite(lowest), lowest, 1.0) / np.where(mine, own, 1.0)) ** exponent, 1.0)
    factor = np.where(mine, errors / np.where(mine, own, 1.0), errors)
    factor = factor / np.where(keep, factor, np.inf).min(axis=1, keepdims=True)  # scaled: no overflow when squared
    return np.where(keep, sharp / np.where(keep, factor, 1.0) ** 2, 0.0)


def frame_standing(errors: np.ndarray) -> np.ndarray:
    """Per series, each candidate's mean log ratio of its error to the best error, over the *other* series.

    Leave-one-out, so a series' prior never contains its own errors and a one-series frame has none. Rows
    whose best error is zero (or that have no error) add nothing.

    Parameters
    ----------
    errors : ndarray
        ``(n, c)`` mean scaled backtest errors, NaN where a candidate did not run.

    Returns
    -------
    ndarray
        ``(n, c)`` standings (0: always the best; log 2: twice the best's error on the geometric average),
        NaN where no other series ran the candidate.
    """
    e = np.asarray(errors, dtype=np.float64)
    finite = np.isfinite(e)
    best = np.where(finite, e, np.inf).min(axis=1, keepdims=True)
    ok = finite & np.isfinite(best) & (best > 0)
    ratio = np.where(ok, np.log(np.where(ok, e, 1.0) / np.where(ok, best, 1.0)), 0.0)
    others_total = ratio.sum(axis=0)[None] - ratio
    others = ok.sum(axis=0)[None] - ok
    return np.where(others > 0, others_total / np.maximum(others, 1), np.nan)


def with_frame_prior(errors: np.ndarray, strength: float, available: np.ndarray) -> np.ndarray:
    """Backtest errors leaning on the rest of the frame: each times ``exp(strength * standing)``.

    With ``strength`` 1 a candidate that was on average twice as bad as the best on the other series has its
    own error doubled. A candidate no other series ran gets the geometric mean of the row's other factors. A
    series without any backtest error gets ``exp(strength * standing)`` on its ``available`` candidates (the
    frame's verdict alone), NaN where the frame has none either. ``strength`` 0 returns ``errors`` unchanged.

    Parameters
    ----------
    errors : ndarray
        ``(n, c)`` mean scaled backtest errors, NaN where a candidate did not run.
    strength : float
        Non-negative weight of the frame's standing.
    available : ndarray of bool
        ``(n, c)`` candidates that have a forecast for each series (used for series without errors).

    Returns
    -------
    ndarray
        ``(n, c)`` errors to rank, NaN where a candidate may not be chosen.
    """
    errors = np.asarray(errors, dtype=np.float64)
    if strength == 0:
        return errors
    if available is None:
        raise TsheadsError("with_frame_prior needs `available` (which candidates have a forecast per series)")
    # capped at e^50 so that a hopeless candidate's error stays finite (its weight all but vanishes)
    exponent = np.minimum(strength * frame_standing(errors), 50.0)
    factor = np.exp(exponent)
    # a candidate no other series ran gets the row's geometric-mean factor: neither favoured nor penalised
    known = np.isfinite(exponent) & np.isfinite(errors)
    count = known.sum(axis=1, keepdims=True)
    neutral = np.exp(np.where(known, exponent, 0.0).sum(axis=1, keepdims=True) / np.maximum(count, 1))
    out = errors * np.where(np.isfinite(factor), factor, neutral)
    empty = ~np.isfinite(errors).any(axis=1)
    out[empty] = np.where(np.asarray(available, dtype=bool) & np.isfinite(factor), factor, np.nan)[empty]
    return out


def mean_scaled_errors(forecasts: np.ndarray, actuals: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Mean over origins and steps of ``|actual - forecast| / scale``: the errors the rules rank.

    Parameters
    ----------
    forecasts : ndarray
        ``(n, c, k, h)`` backtest forecasts of ``c`` candidates at ``k`` origins; NaN where missing.
    actuals : ndarray
        ``(n, k, h)`` the values they forecast (NaN for missing origins).
    scale : ndarray
        ``(n,)`` positive per-series scale (e.g. in-sample seasonal-naive MAE).

    Returns
    -------
    ndarray
        ``(n, c)`` errors; NaN where a candidate has no forecast at any origin of the series.
    """
    err = np.abs(actuals[:, None] - forecasts) / scale[:, None, None, None]
    count = np.isfinite(err).sum(axis=(2, 3))
    total = np.where(np.isfinite(err), err, 0.0).sum(axis=(2, 3))
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)
