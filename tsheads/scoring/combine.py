"""From raw per-head deviations to one anomaly score: smoothing, calibration on normal data, combination.

Pure numpy. Heads speak different units (a reconstruction error, a forecast error), so each head is
first calibrated on the fit data: ``(s - median) / (q99 - median)`` makes 0 "typical" and 1 "as large as
the top 1 % of the fit data" for every head. Calibrated heads can then be compared, averaged or maxed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: the fit-data quantile that maps to a calibrated score of 1
TAIL_QUANTILE = 0.99
#: order statistics of each head's fit scores kept as the reference of :func:`reference_rank_mean`
REFERENCE_LEVELS = 512
#: weight of ``log1p`` of how far a score lies beyond the fit data's largest, in :func:`reference_rank_mean`:
#: it orders the points past everything seen without letting one head's heavy tail outvote the others'
#: ranks (``evaluation.anomaly_settings_choice``: mean dev VUS-PR 0.363 at 0.05, 0.348 with none, 0.249 for
#: the raw excess)
TAIL_WEIGHT = 0.05


def moving_average(s: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average over the last axis that ignores NaN; all-NaN neighbourhoods stay NaN.

    Direct window sums (a convolution), not differences of a running sum: one huge value would otherwise
    wipe out the precision of every later window.
    """
    s = np.asarray(s, dtype=np.float64)
    if width <= 1:
        return s.copy()
    finite = np.isfinite(s)
    values = np.where(finite, s, 0.0).reshape(-1, s.shape[-1])
    counts = finite.astype(np.float64).reshape(-1, s.shape[-1])
    kernel = np.ones(width)
    t = s.shape[-1]
    idx = np.arange(t) + width - 1 - width // 2  # full-convolution index of the window centred on t
    total = np.stack([np.convolve(row, kernel)[idx] for row in values])
    count = np.stack([np.convolve(row, kernel)[idx] for row in counts])
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(count > 0.5, total / np.maximum(count, 1), np.nan)
    return out.reshape(s.shape)


def fill_undefined(s: np.ndarray, typical=None) -> np.ndarray:
    """NaN (points no head could score, e.g. the first few of a forecast) -> ``typical`` of the row.

    ``typical`` (one value per row): what the fit data calls typical (its calibration's median), so a
    point's value depends on nothing far away; None: the row's own median, else 0 (on the fit data
    itself, where both agree: filling with the median leaves the median where it was).
    """
    s = np.array(s, dtype=np.float64)
    rows = s.reshape(-1, s.shape[-1])
    fill = None if typical is None else np.broadcast_to(np.asarray(typical, dtype=np.float64).ravel(), len(rows))
    for i, row in enumerate(rows):
        bad = ~np.isfinite(row)
        if bad.any():
            row[bad] = fill[i] if fill is not None else np.median(row[~bad]) if (~bad).any() else 0.0
    return s


@dataclass(frozen=True)
class Calibration:
    """Per-row (head or channel) location and tail scale fitted on normal data; see module docstring."""

    loc: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, s: np.ndarray) -> "Calibration":
        """Fit on ``(rows, T)`` scores. A row with no spread (a constant fit series) gets a tiny scale."""
        s = np.asarray(s, dtype=np.float64)
        loc = np.median(s, axis=-1, keepdims=True)
        tail = np.quantile(s, TAIL_QUANTILE, axis=-1, keepdims=True) - loc
        mad = np.mean(np.abs(s - loc), axis=-1, keepdims=True)
        floor = 1e-9 * np.maximum(np.abs(loc), 1.0)
        scale = np.where(tail > floor, tail, np.maximum(mad, floor))
        return cls(loc, scale)

    @classmethod
    def fit_each(cls, arrays: list) -> list["Calibration"]:
        """:meth:`fit` on each of several same-shape arrays, in one pass over them stacked (each row's
        median and quantile are its own, so the results are those of separate fits; one call instead of one
        per head saves numpy's per-call overhead when ``detect`` fits thousands of short series)."""
        both = cls.fit(np.stack(arrays))
        return [cls(loc, scale) for loc, scale in zip(both.loc, both.scale)]

    def __call__(self, s: np.ndarray) -> np.ndarray:
        return (np.asarray(s, dtype=np.float64) - self.loc) / self.scale


def agreement_weights(scores: np.ndarray) -> np.ndarray:
    """Weights ``(H,)`` of ``H`` calibrated head scores ``(H, T)`` by how well each agrees with the others.

    A head's weight is its mean Spearman correlation with the other heads, floored at 0: a head that only
    one-off fires where nobody else sees anything (noise) is down-weighted, heads that point at the same
    regions share the vote. All-disagreeing (or fewer than two) heads fall back to equal weights.
    """
    from scipy.stats import rankdata

    h = len(scores)
    if h < 2:
        return np.ones(h)
    ranks = rankdata(scores, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(ranks)
    corr = np.nan_to_num(corr, nan=0.0)
    mean_other = (corr.sum(1) - np.diag(corr)) / (h - 1)
    w = np.clip(mean_other, 0.0, None)
    return w / w.sum() if w.sum() > 0 else np.full(h, 1.0 / h)


def rank_mean(scores: np.ndarray) -> np.ndarray:
    """Mean over heads (axis 0) of each head's rank along time (last axis), scaled to [0, 1].

    Each head votes with the ordering it gives the scored series, so no head's scale (or a heavy tail in
    one of them) can drown the others: a stretch that several heads rank high beats one that a single head
    scores extremely. Ties share their mean rank.
    """
    from scipy.stats import rankdata

    t = scores.shape[-1]
    return (rankdata(scores, axis=-1) - 1).mean(0) / max(t - 1, 1)


def reference_levels(scores: np.ndarray) -> np.ndarray:
    """``(..., R)`` evenly spaced order statistics of fit scores ``(..., T)`` (all of them when ``T <= R``)."""
    s = np.sort(np.asarray(scores, dtype=np.float64), axis=-1)
    if s.shape[-1] > REFERENCE_LEVELS:
        s = s[..., np.linspace(0, s.shape[-1] - 1, REFERENCE_LEVELS).round().astype(int)]
    return s


def reference_share(scores: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each score's share of the fit data's scores below it (ties count half) and its excess beyond the largest.

    ``scores`` ``(H, C, T)`` calibrated; ``reference`` ``(H, C, R)`` from :func:`reference_levels`; both
    results ``(H, C, T)``, the excess in calibrated units (0 within the fit range).
    """
    share, excess = np.empty(scores.shape, dtype=np.float64), np.empty(scores.shape, dtype=np.float64)
    for h in range(scores.shape[0]):
        for c in range(scores.shape[1]):
            ref, s = reference[h, c], scores[h, c]
            below = np.searchsorted(ref, s, side="left") + np.searchsorted(ref, s, side="right")
            share[h, c] = below / (2.0 * len(ref))
            excess[h, c] = np.maximum(s - ref[-1], 0.0)
    return share, excess


def size_factor(sizes, shape: tuple) -> np.ndarray:
    """``k / (k + 1)`` for each count ``k`` of ``sizes`` (``shape``, at least 1; ``inf``: 1).

    The chance that a new score from the same law as ``k`` exchangeable fit scores is not above all of them
    (a conformal p-value's complement): a reference drawn from a few whole-cycle comparisons cannot rank a
    point beyond all normal data as surely as one drawn from thousands.
    """
    k = np.asarray(sizes, dtype=np.float64)
    if k.shape != tuple(shape) or np.isnan(k).any() or (k < 1).any():
        raise ValueError(f"sizes must be counts of at least 1 (or inf) of shape {tuple(shape)}, got {k!r}")
    factor = np.ones_like(k)
    finite = np.isfinite(k)
    factor[finite] = k[finite] / (k[finite] + 1.0)
    return factor


def reference_rank_mean(scores: np.ndarray, reference: np.ndarray, tail_weight: float | None = None,
                        weights=None, power: float = 1.0, sizes=None) -> np.ndarray:
    """Mean over heads (axis 0) of each score's rank among the fit data's scores of its head and channel.

    ``weights`` ``(H,)`` (non-negative, not all zero) make it a weighted mean; None weighs heads equally.
    ``power``: the power mean's exponent (1: the arithmetic mean; larger: nearer the largest rank, so one head
    that alone places a point beyond its fit data counts for more than an average over heads allows).
    ``sizes`` ``(H, C)``: how many independent fit scores each reference stands for; each rank (tail term
    included) is scaled by :func:`size_factor` before the mean.

    ``scores`` ``(H, C, T)`` calibrated; ``reference`` ``(H, C, R)`` from :func:`reference_levels`. A score's
    rank is the share of fit scores below it (ties count half), plus ``tail_weight * log1p`` of how far it
    lies beyond the largest fit score in calibrated units, so points past everything seen still differ
    (None: :data:`TAIL_WEIGHT`, read at call time). Like :func:`rank_mean` on the fit data itself, but a
    point's value depends on nothing else that is scored (an extreme stretch elsewhere in the scored series
    does not push every other point's rank down).
    """
    share, excess = reference_share(scores, reference)
    ranks = share + (TAIL_WEIGHT if tail_weight is None else tail_weight) * np.log1p(excess)  # >= 0
    if sizes is not None:
        ranks = ranks * size_factor(sizes, scores.shape[:2])[..., None]
    if power != 1.0:
        ranks = ranks ** power
    if weights is None:
        mean = ranks.mean(0)
    else:
        weights = np.asarray(weights, dtype=np.float64)
        mean = np.tensordot(weights / weights.sum(), ranks, axes=1)
    return mean if power == 1.0 else mean ** (1.0 / power)


def reference_tail_evidence(scores: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Mean over heads (axis 0) of ``-log`` of each score's tail share among the fit data's scores (Fisher).

    ``scores`` ``(H, C, T)`` calibrated; ``reference`` ``(H, C, R)`` from :func:`reference_levels`. The tail
    share is the share of fit scores at or above the score (ties count half), at least ``1 / (2 R)``; beyond
    the largest fit score ``log1p`` of the excess (calibrated units) is added. Unlike the mean of ranks, one
    head that sees what no fit point showed (a whole cycle gone, which the point-level heads miss) lifts the
    combined score far above the ordinary fluctuations of the others.
    """
    share, excess = reference_share(scores, reference)
    floor = 1.0 / (2.0 * reference.shape[-1])
    return (-np.log(np.maximum(1.0 - share, floor)) + np.log1p(excess)).mean(0)


def combine(scores: np.ndarray, method: str, weights=None) -> np.ndarray:
    """Combine calibrated head scores ``(H, ...)`` over heads: ``"max"``, ``"mean"``, ``"rank"``
    (:func:`rank_mean`) or ``"weighted"`` (by ``weights``)."""
    if method == "rank":
        return rank_mean(scores)
    if method == "max":
        return scores.max(0)
    if method == "mean":
        return scores.mean(0)
    if method == "weighted":
        return np.tensordot(np.asarray(weights, dtype=np.float64), scores, axes=1)
    raise ValueError(f"unknown combination {method!r}")
