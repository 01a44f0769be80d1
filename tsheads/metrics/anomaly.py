"""Anomaly-detection metrics, numerically identical to the TSB-AD benchmark.

Every function takes ``labels`` (1-D, binary: 1 = anomalous point) and ``scores`` (1-D, same
length, higher = more anomalous) and returns a float. The definitions are those of TSB-AD 1.5
(``TSB_AD.evaluation.metrics.get_metrics``; Liu & Paparrizos, NeurIPS 2024), so numbers can be
compared with the published TSB-AD leaderboards; ``tests/test_metrics_anomaly.py`` checks them
against outputs of TSB-AD itself to 1e-6 relative. TSB-AD's reporting names:

=========================  ==================  =================================================
function                   TSB-AD key          definition
=========================  ==================  =================================================
:func:`auc_roc`            ``AUC-ROC``         ``sklearn.metrics.roc_auc_score``
:func:`auc_pr`             ``AUC-PR``          ``sklearn.metrics.average_precision_score``
:func:`vus_roc`            ``VUS-ROC``         volume under the range-ROC surface (see below)
:func:`vus_pr`             ``VUS-PR``          volume under the range-PR surface
:func:`point_f1`           ``Standard-F1``     best point-wise F1 over all thresholds
:func:`point_adjusted_f1`  ``PA-F1``           best F1 after point adjustment, 100 thresholds
:func:`event_f1`           ``Event-based-F1``  best event-recall / point-precision F1
:func:`range_f1`           ``R-based-F1``      best range-based F1 (Tatbul et al. 2018)
=========================  ==================  =================================================

Scores versus predictions
-------------------------
The threshold-dependent F1 metrics follow TSB-AD's default, the *oracle* threshold: the best F1
over a grid of thresholds on the scores (``pred = scores > t`` for ``t`` in
``linspace(min, max, 100)``; :func:`point_f1` uses every distinct score). Passing a **boolean**
array instead (``dtype=bool``) evaluates it as fixed binary predictions, like TSB-AD's
``get_metrics(..., pred=...)``. A 0/1 array of another dtype is treated as scores; for a
non-constant one the search gives the same value as the boolean path (every threshold in
``[0, 1)`` reproduces the predictions, ``t = 1`` predicts nothing), except for
:func:`point_f1`, whose search carries TSB-AD's ``+1e-5`` in the F1 denominator.

TSB-AD quirks reproduced on purpose (so results stay comparable)
----------------------------------------------------------------
* ``PA-F1``: the backward fill of point adjustment never reaches index 0, so an anomaly range
  starting at index 0 and first detected later keeps point 0 as a miss.
* ``Event-based-F1``: an anomaly range that ends at the last index is searched for a detection
  without its last point (a single-point anomaly at the last index can never be detected).
* ``R-based-F1``: an all-ones prediction is read as containing no predicted range (so its
  range precision is 0), as TSB-AD's range extraction does.
* ``Standard-F1`` adds ``1e-5`` to the F1 denominator (a perfect detector scores 0.999995), and
  ``Event-based-F1`` adds ``1e-15``.

VUS (Paparrizos et al., VLDB 2022)
----------------------------------
TSB-AD's ``get_metrics`` uses its ``version='opt'`` implementation (``RangeAUC_volume_opt``,
``thre=250``); its ``'opt_mem'`` variant returns the same numbers. For every buffer length
``w = 0 .. sliding_window`` the labels are softened: points within ``w // 2`` after/before an
anomaly range get weight ``sqrt(1 - d / w)`` (``d`` = distance, sums clipped at 1). For 250
thresholds (the scores at ranks ``linspace(0, n-1, 250)``, ``pred = scores >= t``):

* ``TP = sum(pred * soft_label)``, ``P' = P + (TP - TP_inside) / 2`` (``P`` = number of anomalous
  points, ``TP_inside`` = predicted anomalous points),
* ``TPR = min(TP / P', 1) * existence``, where ``existence`` is the fraction of buffered regions
  (ranges widened by ``w // 2`` and merged when they touch) holding any prediction,
* ``FPR = (#pred - TP) / (n - P')``, ``precision = TP / #pred``.

The range-ROC area (trapezoids, with (0, 0) and (1, 1) appended) and the range-AP
(``sum(dTPR * precision)``) are averaged over the ``sliding_window + 1`` buffer lengths. This
module computes all thresholds and buffer lengths at once with cumulative sums over the points
sorted by the threshold at which they turn positive, instead of TSB-AD's nested loops.

Inputs must be 1-D, of equal length, scores finite, labels in {0, 1} with at least one
anomalous and one normal point; otherwise a :class:`~tsheads.errors.TsheadsError` subclass is
raised (the AUC of a single-class labelling is undefined: :class:`UndefinedMetricError`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn import metrics as _skm

from tsheads.errors import (
    DataTypeError,
    EmptyDataError,
    NonFiniteError,
    TsheadsError,
    UndefinedMetricError,
)

__all__ = [
    "anomaly_metrics",
    "auc_pr",
    "auc_roc",
    "event_f1",
    "flag_runs",
    "point_adjusted_f1",
    "point_f1",
    "range_f1",
    "vus_pr",
    "vus_roc",
]

_EVENT_EPS = 1e-15  # TSB-AD's basic_metricor.eps in the event-F1 denominator
_POINT_F1_EPS = 1e-5  # TSB-AD's metric_PointF1 denominator term


# ----------------------------------------------------------------------------- validation
def _as_1d(x: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - exotic inputs
        raise DataTypeError(f"{name}: cannot convert to a numeric array ({exc})") from exc
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise DataTypeError(f"{name}: expected a real numeric array, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise DataTypeError(f"{name}: complex values are not supported")
    if arr.ndim != 1:
        raise TsheadsError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    if arr.size == 0:
        raise EmptyDataError(f"{name}: array is empty")
    return arr


def _validate(labels: Any, scores: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    """Return ``(labels as int64 0/1, scores as float64 or bool, scores_is_bool)``."""
    lab = _as_1d(labels, "labels")
    sc = _as_1d(scores, "scores")
    if lab.shape[0] != sc.shape[0]:
        raise TsheadsError(
            f"labels and scores must have the same length, got {lab.shape[0]} and {sc.shape[0]}"
        )
    if lab.dtype != np.bool_:
        bad = ~((lab == 0) | (lab == 1))  # NaN compares unequal, so it is caught here
        if bad.any():
            first = lab[np.flatnonzero(bad)[0]]
            raise DataTypeError(
                f"labels must be binary (0 = normal, 1 = anomaly); found {int(bad.sum())} "
                f"other value(s), e.g. {first!r}"
            )
    lab = lab.astype(np.int64)
    n_pos = int(lab.sum())
    if n_pos == 0:
        raise UndefinedMetricError(
            "labels contain no anomaly (no 1s): the metric is undefined without a positive point"
        )
    if n_pos == lab.shape[0]:
        raise UndefinedMetricError(
            "labels contain no normal point (all 1s): the metric is undefined without a negative point"
        )
    is_bool = sc.dtype == np.bool_
    if not is_bool:
        sc = sc.astype(np.float64)
        finite = np.isfinite(sc)
        if not finite.all():
            raise NonFiniteError(
                f"scores contain {int((~finite).sum())} NaN/inf value(s) "
                f"(first at index {int(np.flatnonzero(~finite)[0])})"
            )
    return lab, sc, is_bool


def _check_positive_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise TsheadsError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


# ------------------------------------------------------------------------------- helpers
def flag_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and inclusive end indices of the runs of ``True`` (or 1) in a 1-D array.

    Parameters
    ----------
    mask : numpy.ndarray
        1-D boolean or 0/1 array, e.g. labels or a detector's flags.

    Returns
    -------
    starts, ends : numpy.ndarray
        Index of the first and of the last point of each run, in order.
    """
    m = np.concatenate(([False], mask.astype(bool), [False]))
    d = np.diff(m.astype(np.int8))
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1


def _segment_max(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Max of ``values[s:e+1]`` for disjoint, increasing, non-empty inclusive segments."""
    idx = np.empty(2 * len(starts), dtype=np.int64)
    idx[0::2] = starts
    idx[1::2] = ends + 1
    if idx[-1] == len(values):
        idx = idx[:-1]
    return np.maximum.reduceat(values, idx)[0::2]


def _oracle_thresholds(scores: np.ndarray, n_thresholds: int) -> np.ndarray:
    # TSB-AD: thresholds = np.linspace(score.min(), score.max(), 100); pred = score > threshold
    return np.linspace(scores.min(), scores.max(), n_thresholds)


def _f1(tp: np.ndarray | float, n_true: float, n_pred: np.ndarray | float) -> np.ndarray:
    """Point-wise F1 ``2 TP / (#true + #pred)`` (0 when TP = 0), as sklearn's f1_score."""
    tp = np.asarray(tp, dtype=np.float64)
    denom = n_true + np.asarray(n_pred, dtype=np.float64)
    return np.where(tp > 0, 2.0 * tp / np.where(denom > 0, denom, 1.0), 0.0)


# ------------------------------------------------------------------------- AUC metrics
def auc_roc(labels: Any, scores: Any) -> float:
    """Area under the point-wise ROC curve (TSB-AD's ``AUC-ROC``).

    Computed with :func:`sklearn.metrics.roc_auc_score`, exactly as TSB-AD does. Ties in
    ``scores`` count half (trapezoidal rule). Needs at least one anomalous and one normal point.

    Parameters
    ----------
    labels
        1-D binary ground truth (1 = anomalous point), with at least one 0 and one 1.
    scores
        1-D anomaly scores of the same length, higher = more anomalous.

    Returns
    -------
    float
        AUC-ROC in ``[0, 1]`` (0.5 = random ranking).
    """
    lab, sc, _ = _validate(labels, scores)
    return float(_skm.roc_auc_score(lab, sc.astype(np.float64)))


def auc_pr(labels: Any, scores: Any) -> float:
    """Area under the point-wise precision-recall curve (TSB-AD's ``AUC-PR``).

    TSB-AD 1.5 reports :func:`sklearn.metrics.average_precision_score` (step-wise
    ``sum((R_k - R_{k-1}) * P_k)``), *not* the trapezoidal ``auc(recall, precision)``, which
    interpolates linearly and tends to be optimistic; this function uses the same call.

    Parameters
    ----------
    labels
        1-D binary ground truth (1 = anomalous point), with at least one 0 and one 1.
    scores
        1-D anomaly scores of the same length, higher = more anomalous.

    Returns
    -------
    float
        AUC-PR in ``[0, 1]`` (a random ranking scores about the anomaly rate).
    """
    lab, sc, _ = _validate(labels, scores)
    return float(_skm.average_precision_score(lab, sc.astype(np.float64)))


# ------------------------------------------------------------------------------- VUS
def _vus(labels: np.ndarray, scores: np.ndarray, sliding_window: int, n_thresholds: int) -> tuple[float, float]:
    """(VUS-ROC, VUS-PR) of TSB-AD's ``RangeAUC_volume_opt``; see the module docstring."""
    n = labels.shape[0]
    W = sliding_window
    K = n_thresholds
    P = float(labels.sum())
    is_pos = labels == 1
    starts, ends = flag_runs(is_pos)

    # Thresholds: scores at ranks linspace(0, n-1, K) of the descending sort; pred = s >= thr.
    thr = np.sort(scores)[::-1][np.linspace(0, n - 1, K).astype(int)]
    neg_thr = -thr  # non-decreasing
    # first threshold index at which each point is predicted (K = never; cannot happen here)
    k_of = np.searchsorted(neg_thr, -scores, side="left")
    n_pred = np.cumsum(np.bincount(k_of, minlength=K + 1))[:K].astype(np.float64)
    tp_inside = np.cumsum(np.bincount(k_of[is_pos], minlength=K + 1))[:K].astype(np.float64)

    # Points whose soft label can be non-zero for some w <= W: ranges widened by W // 2.
    H = W // 2
    cover = np.zeros(n + 1, dtype=np.int64)
    np.add.at(cover, np.maximum(starts - H, 0), 1)
    np.add.at(cover, np.minimum(ends + H, n - 1) + 1, -1)
    support = np.flatnonzero(np.cumsum(cover)[:n] > 0)
    col = np.full(n, -1, dtype=np.int64)
    col[support] = np.arange(support.size)
    pos_cols = col[is_pos]
    # order support points by the threshold index at which they become predicted
    k_sup = k_of[support]
    order = np.argsort(k_sup, kind="stable")
    n_le_k = np.searchsorted(k_sup[order], np.arange(K), side="right")  # #support pts with k_of <= k

    # Buffered regions per half-width h (shared by w = 2h and 2h + 1): existence counts.
    region_cache: dict[int, tuple[np.ndarray, int]] = {}

    def existence_counts(h: int) -> tuple[np.ndarray, int]:
        if h in region_cache:
            return region_cache[h]
        brk = np.flatnonzero(ends[:-1] + h < starts[1:] - h)  # TSB-AD's new_sequence merge rule
        rs = np.concatenate(([max(starts[0] - h, 0)], starts[brk + 1] - h))
        re = np.concatenate((ends[brk] + h, [min(ends[-1] + h, n - 1)]))
        k_reg = np.searchsorted(neg_thr, -_segment_max(scores, rs, re), side="left")
        counts = np.cumsum(np.bincount(k_reg, minlength=K + 1))[:K].astype(np.float64)
        region_cache[h] = (counts, rs.size)
        return region_cache[h]

    auc = np.empty(W + 1)
    ap = np.empty(W + 1)
    for w in range(W + 1):
        h = w // 2
        if h > 0:
            d = np.arange(1, h + 1)
            weight = np.sqrt(1.0 - d / w)
            after = (ends[:, None] + d[None, :]).ravel()
            before = (starts[:, None] - d[None, :]).ravel()
            wts = np.tile(weight, starts.size)
            ok_a = after < n
            ok_b = before >= 0
            # astype: bincount of an empty selection is int64 even with float weights (an anomaly that
            # touches either end of the series has no buffer on that side)
            soft = np.bincount(col[after[ok_a]], weights=wts[ok_a], minlength=support.size).astype(np.float64)
            soft += np.bincount(col[before[ok_b]], weights=wts[ok_b], minlength=support.size)
            np.minimum(soft, 1.0, out=soft)
        else:
            soft = np.zeros(support.size)
        soft[pos_cols] = 1.0
        csum = np.concatenate(([0.0], np.cumsum(soft[order])))
        tp = csum[n_le_k]
        exist, n_regions = existence_counts(h)

        p_new = (P + (P + tp - tp_inside)) / 2.0
        tpr = np.minimum(tp / p_new, 1.0) * (exist / n_regions)
        fpr = (n_pred - tp) / (n - p_new)
        prec = tp / n_pred

        tpr_c = np.concatenate(([0.0], tpr, [1.0]))
        fpr_c = np.concatenate(([0.0], fpr, [1.0]))
        auc[w] = np.dot(np.diff(fpr_c), (tpr_c[1:] + tpr_c[:-1]) / 2.0)
        ap[w] = np.dot(np.diff(tpr_c[:-1]), prec)
    return float(auc.mean()), float(ap.mean())


def vus_roc(labels: Any, scores: Any, sliding_window: int = 100, *, n_thresholds: int = 250) -> float:
    """Volume under the range-based ROC surface (TSB-AD's ``VUS-ROC``).

    Mean over buffer lengths ``0..sliding_window`` of the range-AUC-ROC, which tolerates
    detections slightly before/after an anomaly and rewards detecting each anomaly at all
    (definition in the module docstring; TSB-AD ``get_metrics`` default ``version='opt'``,
    ``thre=250`` = ``n_thresholds``). TSB-AD's benchmark passes a per-dataset
    ``sliding_window`` (its estimated period); 100 is ``get_metrics``' default.

    Parameters
    ----------
    labels
        1-D binary ground truth (1 = anomalous point), with at least one 0 and one 1.
    scores
        1-D anomaly scores of the same length, higher = more anomalous.
    sliding_window
        Largest buffer length around each anomaly range, in time steps (default 100).
    n_thresholds
        Number of score thresholds per buffer length (default 250, TSB-AD's ``thre``).

    Returns
    -------
    float
        VUS-ROC in ``[0, 1]``.
    """
    lab, sc, _ = _validate(labels, scores)
    w = _check_positive_int(sliding_window, "sliding_window", 0)
    k = _check_positive_int(n_thresholds, "n_thresholds", 1)
    return _vus(lab, sc.astype(np.float64), w, k)[0]


def vus_pr(labels: Any, scores: Any, sliding_window: int = 100, *, n_thresholds: int = 250) -> float:
    """Volume under the range-based precision-recall surface (TSB-AD's ``VUS-PR``).

    Mean over buffer lengths ``0..sliding_window`` of the range-AP
    ``sum_k (TPR_k - TPR_{k-1}) * precision_k`` over 250 score thresholds; see
    :func:`vus_roc` and the module docstring. TSB-AD recommends VUS-PR as its main ranking metric.

    Parameters
    ----------
    labels
        1-D binary ground truth (1 = anomalous point), with at least one 0 and one 1.
    scores
        1-D anomaly scores of the same length, higher = more anomalous.
    sliding_window
        Largest buffer length around each anomaly range, in time steps (default 100).
    n_thresholds
        Number of score thresholds per buffer length (default 250, TSB-AD's ``thre``).

    Returns
    -------
    float
        VUS-PR in ``[0, 1]``.
    """
    lab, sc, _ = _validate(labels, scores)
    w = _check_positive_int(sliding_window, "sliding_window", 0)
    k = _check_positive_int(n_thresholds, "n_thresholds", 1)
    return _vus(lab, sc.astype(np.float64), w, k)[1]


# ---------------------------------------------------------------------- threshold F1s
def point_f1(labels: Any, scores: Any) -> float:
    """Best point-wise F1 over every score threshold (TSB-AD's ``Standard-F1``).

    Scores: ``max(2 P R / (P + R + 1e-5))`` over :func:`sklearn.metrics.precision_recall_curve`
    (``pred = scores >= t``), TSB-AD's formula including its ``1e-5``. Boolean predictions:
    the plain F1 ``2 TP / (#anomalies + #predicted)`` (0 when nothing is hit).

    Parameters
    ----------
    labels
        1-D binary ground truth (1 = anomalous point), with at least one 0 and one 1.
    scores
        1-D anomaly scores of the same length (higher = more anomalous), or a boolean array of
        fixed predictions.

    Returns
    -------
    float
        Best (or, for boolean predictions, the) point-wise F1 in ``[0, 1]``.
    """
    lab, sc, is_bool = _validate(labels, scores)
    if is_bool:
        return float(_f1(np.sum(sc & (lab == 1)), lab.sum(), sc.sum()))
    precision, recall, _ = _skm.precision_recall_curve(lab, sc)
    return float(np.max(2 * (precision * recall) / (precision + recall + _POINT_F1_EPS)))


def _pa_true_positives(pred_any: np.ndarray, first_pred: Any, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """TP after point adjustment; ``pred_any``: (thresholds x) ranges, any point predicted."""
    lengths = (ends - starts + 1).astype(np.float64)
    tp = (pred_any * lengths).sum(axis=-1)
    if starts[0] == 0:
        # TSB-AD's backward fill stops at index 1: point 0 stays a miss unless predicted itself
        tp = tp - (pred_any[..., 0] & ~first_pred)
    return tp


def point_adjusted_f1(labels: Any, scores: Any, *, n_thresholds: int = 100) -> float:
    """Best F1 after point adjustment (TSB-AD's ``PA-F1``; Xu et al. 2018).

    Point adjustment marks a whole anomaly range as detected once any point of it is
    predicted; F1 is then point-wise against ``labels``. With scores, the best value over
    ``pred = scores > t`` for ``t`` in ``linspace(min, max, n_thresholds)`` is returned (TSB-AD's
    oracle threshold); a boolean array is evaluated directly. PA-F1 is known to be inflated
    (a random detector hitting long ranges scores highly); report it only for comparison.
    Reproduces TSB-AD's treatment of a range that starts at index 0 (module docstring).

    Parameters
    ----------
    labels
        1-D binary ground truth (1 = anomalous point), with at least one 0 and one 1.
    scores
        1-D anomaly scores of the same length (higher = more anomalous), or a boolean array of
        fixed predictions.
    n_thresholds
        Number of evenly spaced score thresholds searched (default 100, TSB-AD's).

    Returns
    -------
    float
        PA-F1 in ``[0, 1]``.
    """
    lab, sc, is_bool = _validate(labels, scores)
    k = _check_positive_int(n_thresholds, "n_thresholds", 1)
    starts, ends = flag_runs(lab == 1)
    P = float(lab.sum())
    neg = lab == 0
    if is_bool:
        cs = np.concatenate(([0], np.cumsum(sc)))
        pred_any = (cs[ends + 1] - cs[starts]) > 0
        tp = _pa_true_positives(pred_any, np.bool_(sc[0]), starts, ends)
        fp = float(np.sum(sc & neg))
        return float(_f1(tp, P, tp + fp))
    thr = _oracle_thresholds(sc, k)
    neg_sorted = np.sort(sc[neg])
    fp = neg_sorted.size - np.searchsorted(neg_sorted, thr, side="right")  # #neg scores > t
    pred_any = _segment_max(sc, starts, ends)[None, :] > thr[:, None]
    tp = _pa_true_positives(pred_any, sc[0] > thr, starts, ends)
    return float(np.max(_f1(tp, P, tp + fp)))


def event_f1(labels: Any, scores: Any, *, n_thresholds: int = 100) -> float:
    """Best event-wise F1 (TSB-AD's ``Event-based-F1``).

    Recall is counted over events (the fraction of anomaly ranges with at least one predicted
    point), precision over points (``TP / #predicted``); ``F1 = 2 R P / (R + P + 1e-15)``.
    This rewards finding every event without letting long ranges dominate, while false
    alarms still cost precision. Scores: best over ``pred = scores > t``,
    ``t`` in ``linspace(min, max, n_thresholds)``; a boolean array is evaluated directly.
    Reproduces TSB-AD's handling of a range ending at the last index (module docstring).

    Parameters
    ----------
    labels
        1-D binary ground truth (1 = anomalous point), with at least one 0 and one 1.
    scores
        1-D anomaly scores of the same length (higher = more anomalous), or a boolean array of
        fixed predictions.
    n_thresholds
        Number of evenly spaced score thresholds searched (default 100, TSB-AD's).

    Returns
    -------
    float
        Event-based F1 in ``[0, 1]``.
    """
    lab, sc, is_bool = _validate(labels, scores)
    k = _check_positive_int(n_thresholds, "n_thresholds", 1)
    starts, ends = flag_runs(lab == 1)
    n = lab.shape[0]
    if ends[-1] == n - 1:
        ends = ends.copy()
        ends[-1] -= 1  # TSB-AD's _get_events closes a final event at len - 2
    searchable = ends >= starts
    n_events = starts.size
    pos = lab == 1
    if is_bool:
        cs = np.concatenate(([0], np.cumsum(sc)))
        hit = np.zeros(n_events, dtype=bool)
        hit[searchable] = (cs[ends[searchable] + 1] - cs[starts[searchable]]) > 0
        rec = hit.sum() / n_events
        n_pred = sc.sum()
        prec = np.sum(sc & pos) / n_pred if n_pred > 0 else 0.0
        return float(2 * rec * prec / (rec + prec + _EVENT_EPS))
    thr = _oracle_thresholds(sc, k)
    if searchable.any():
        emax = _segment_max(sc, starts[searchable], ends[searchable])
        hits = (emax[None, :] > thr[:, None]).sum(axis=1)
    else:
        hits = np.zeros(k)
    rec = hits / n_events
    s_all = np.sort(sc)
    s_pos = np.sort(sc[pos])
    n_pred = s_all.size - np.searchsorted(s_all, thr, side="right")
    tp = s_pos.size - np.searchsorted(s_pos, thr, side="right")
    prec = np.where(n_pred > 0, tp / np.maximum(n_pred, 1), 0.0)
    return float(np.max(2 * rec * prec / (rec + prec + _EVENT_EPS)))


def _range_recall(a_starts, a_ends, a_len, b_mask_cs, b_start_cs, b_mask, b_has_runs, alpha):
    """Tatbul et al. range recall of ranges ``a`` against binary series ``b`` (flat bias).

    ``b_mask_cs`` / ``b_start_cs`` are cumulative sums (leading 0) of ``b`` and of its
    run-start indicator, so the overlap size and the number of ``b`` ranges touching each
    ``a`` range (cardinality) are O(1) per range.
    """
    if a_starts.size == 0:
        return 0.0
    overlap = b_mask_cs[a_ends + 1] - b_mask_cs[a_starts]
    existence = float(np.count_nonzero(overlap))
    if b_has_runs:
        card = b_start_cs[a_ends + 1] - b_start_cs[a_starts + 1] + b_mask[a_starts]
        factor = np.where(card > 0, 1.0 / np.maximum(card, 1), 0.0)
    else:
        factor = np.zeros(a_starts.size)
    overlap_reward = float(np.sum(overlap / a_len * factor))
    return (alpha * existence + (1 - alpha) * overlap_reward) / a_starts.size


def _range_f1_binary(lab_info, pred: np.ndarray, alpha: float) -> float:
    l_starts, l_ends, l_len, l_mask, l_cs, l_start_cs = lab_info
    p_int = pred.astype(np.int64)
    p_starts, p_ends = flag_runs(pred)
    # TSB-AD's range extraction finds no range in an all-ones series
    p_has_runs = not (p_starts.size == 1 and p_starts[0] == 0 and p_ends[0] == pred.size - 1)
    if not p_has_runs:
        p_starts = p_ends = p_starts[:0]
    p_cs = np.concatenate(([0], np.cumsum(p_int)))
    p_start_ind = np.zeros(pred.size + 1, dtype=np.int64)
    p_start_ind[p_starts + 1] = 1
    p_start_cs = np.cumsum(p_start_ind)
    recall = _range_recall(l_starts, l_ends, l_len, p_cs, p_start_cs, p_int, p_has_runs, alpha)
    precision = _range_recall(
        p_starts, p_ends, (p_ends - p_starts + 1).astype(np.float64), l_cs, l_start_cs, l_mask, True, 0.0
    )
    if recall + precision == 0:
        return 0.0
    return 2 * recall * precision / (recall + precision)


def range_f1(labels: Any, scores: Any, *, alpha: float = 0.2, n_thresholds: int = 100) -> float:
    """Best range-based F1 (Tatbul et al., NeurIPS 2018; TSB-AD's ``R-based-F1``).

    Range recall per anomaly range = ``alpha * existence + (1 - alpha) * overlap * cardinality``
    with flat positional bias (``overlap`` = fraction of the range predicted, ``cardinality`` =
    1 / number of predicted ranges touching it), averaged over ranges; range precision is the
    same with the roles swapped and ``alpha = 0``. It credits partial overlap of ranges and
    penalises fragmented detections, unlike point-wise F1. Scores: best over
    ``pred = scores > t``, ``t`` in ``linspace(min, max, n_thresholds)``; a boolean array is
    evaluated directly. ``alpha = 0.2`` is TSB-AD's value.

    Parameters
    ----------
    labels
        1-D binary ground truth (1 = anomalous point), with at least one 0 and one 1.
    scores
        1-D anomaly scores of the same length (higher = more anomalous), or a boolean array of
        fixed predictions.
    alpha
        Weight of existence (any overlap) against overlap size in range recall, in ``[0, 1]``.
    n_thresholds
        Number of evenly spaced score thresholds searched (default 100, TSB-AD's).

    Returns
    -------
    float
        Range-based F1 in ``[0, 1]``.
    """
    lab, sc, is_bool = _validate(labels, scores)
    k = _check_positive_int(n_thresholds, "n_thresholds", 1)
    alpha = float(alpha)
    if not 0.0 <= alpha <= 1.0:
        raise TsheadsError(f"alpha must lie in [0, 1], got {alpha!r}")
    l_starts, l_ends = flag_runs(lab == 1)
    l_start_ind = np.zeros(lab.size + 1, dtype=np.int64)
    l_start_ind[l_starts + 1] = 1
    lab_info = (
        l_starts,
        l_ends,
        (l_ends - l_starts + 1).astype(np.float64),
        lab,
        np.concatenate(([0], np.cumsum(lab))),
        np.cumsum(l_start_ind),
    )
    if is_bool:
        return float(_range_f1_binary(lab_info, sc, alpha))
    thr = _oracle_thresholds(sc, k)
    return float(max(_range_f1_binary(lab_info, sc > t, alpha) for t in thr))


# ------------------------------------------------------------------------------ all-in-one
def anomaly_metrics(labels: Any, scores: Any, sliding_window: int = 100) -> dict[str, float]:
    """All metrics above under TSB-AD's reporting keys (as ``get_metrics`` minus Affiliation-F).

    Boolean ``scores`` are invalid here (the AUC/VUS metrics need a ranking); evaluate
    binary predictions with the individual F1 functions instead.

    Parameters
    ----------
    labels
        1-D binary ground truth (1 = anomalous point), with at least one 0 and one 1.
    scores
        1-D anomaly scores of the same length, higher = more anomalous.
    sliding_window
        Largest buffer length around each anomaly range, in time steps (default 100).

    Returns
    -------
    dict of str to float
        ``AUC-PR``, ``AUC-ROC``, ``VUS-PR``, ``VUS-ROC``, ``Standard-F1``, ``PA-F1``, ``Event-based-F1``
        and ``R-based-F1``.
    """
    lab, sc, is_bool = _validate(labels, scores)
    if is_bool:
        raise DataTypeError(
            "anomaly_metrics needs real-valued scores, got a boolean array; "
            "pass predictions to the individual F1 functions instead"
        )
    w = _check_positive_int(sliding_window, "sliding_window", 0)
    v_roc, v_pr = _vus(lab, sc, w, 250)
    return {
        "AUC-PR": auc_pr(lab, sc),
        "AUC-ROC": auc_roc(lab, sc),
        "VUS-PR": v_pr,
        "VUS-ROC": v_roc,
        "Standard-F1": point_f1(lab, sc),
        "PA-F1": point_adjusted_f1(lab, sc),
        "Event-based-F1": event_f1(lab, sc),
        "R-based-F1": range_f1(lab, sc),
    }
