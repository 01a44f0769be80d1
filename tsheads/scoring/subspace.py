"""The subspace head: how far each sliding window of the series lies from the fit data's principal subspace.

Sub-PCA (TSB-AD's name for PCA on sliding windows) is the classical detector that beat every rule over the network's
heads on the dev data and on NAB: a window whose shape no combination of the fit data's main window shapes can
rebuild is anomalous, at the scale of the series' own cycle. The network's heads see other things (a point hidden
from a 512-point window, a forecast, a 64-point shape), so this head adds Sub-PCA's view to the triangulation
instead of leaving it to a peer.

Per channel, the fit data's windows of ``width`` points (its dominant period, see :func:`subspace_width`) give a
mean and the principal directions that keep :data:`SUBSPACE_VARIANCE` of their variance (PCA). A window's deviation
is the root mean square of what those directions leave unexplained; each point gets the mean over the windows that
cover it. Windows holding an unobserved point are not scored (nor fitted). With ``level_free``, each window is
compared less its own mean (its shape, as the cycle head compares cycles): a series that wanders to levels the fit
data never held (a random walk) is then not a deviation by itself, and neither is a cycle that flattens out (a
window of little but noise lies near every subspace): a cycle that does not happen is the cycle head's to see. The
mean and directions are kept as float32, as a saved detector keeps them, so rescoring after a load agrees.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from .windows import MAX_WIDTH, MIN_WIDTH, period_width, spread_to_points

#: share of the fit windows' variance the kept principal directions explain (Sub-PCA's usual 0.9)
SUBSPACE_VARIANCE = 0.9
#: windows projected at a time (bounds the memory of long series)
CHUNK = 16384


def subspace_width(x: np.ndarray, observed: np.ndarray, season_length: Optional[int] = None) -> Optional[int]:
    """The head's window for fit data ``(C, T)``: ``season_length`` if given, else :func:`period_width`, at most
    ``MAX_WIDTH`` (longer windows would cost far more and leave few of them to fit) and at most what leaves each
    half of the fit data two windows (see :func:`fit_subspace`); None (the head is flat) when that is under
    ``MIN_WIDTH`` points."""
    width = int(season_length) if season_length is not None else period_width(x, observed)
    width = min(width, MAX_WIDTH, x.shape[1] // 2 - 1)
    return width if width >= MIN_WIDTH else None


def _windows(row: np.ndarray, seen: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Sliding windows ``(T - width + 1, width)`` of one channel (a view, no copy) and whether each is wholly
    observed."""
    view = np.lib.stride_tricks.sliding_window_view(row, width)
    return view, np.lib.stride_tricks.sliding_window_view(seen, width).all(1)


def _shapes(windows: np.ndarray, level_free: bool) -> np.ndarray:
    """Windows as the head compares them: less their own mean when ``level_free`` (a copy), else as they are."""
    return windows - windows.mean(1, keepdims=True) if level_free else windows


def _principal(windows: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and principal directions ``(K, width)`` of some windows: the fewest leading right singular vectors of
    the centred windows whose share of the variance exceeds :data:`SUBSPACE_VARIANCE` (scikit-learn's
    ``PCA(n_components=share)`` rule, from numpy's SVD directly: a detector over many short series fits three of
    these per series, and the estimator's checks cost more than the SVD). None kept with fewer than two windows
    or no spread among them."""
    mean = windows.mean(0) if len(windows) else np.zeros(width)
    if len(windows) < 2 or not windows.std(0).any():
        return mean, np.zeros((0, width))
    _, singular, rows = np.linalg.svd(windows - mean, full_matrices=False)
    share = np.cumsum(singular ** 2) / np.sum(singular ** 2)
    return mean, rows[:int(np.searchsorted(share, SUBSPACE_VARIANCE, side="right")) + 1]


def fit_subspace(x: np.ndarray, observed: np.ndarray, width: int, level_free: bool = False
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Means ``(3, C, width)`` and principal directions ``(3, C, K, width)`` (zero rows pad the models that keep
    fewer), float32, of three models per channel: every wholly observed fit window (model 0, which scores later
    data), and those wholly in the first or the second half of the fit points (models 1 and 2); and whether each
    channel ``(C,)`` had at least two wholly observed windows in each half of the fit data. A channel that had not
    (gaps) is left flat, as the cycle head leaves a channel with no fit cycle: with no whole fit window its fit
    scores would have no spread and every later window would score beyond them; with one half empty its fit
    windows would be scored in-sample or against nothing, and the threshold set from them would be wrong
    (half of the later clean points flagged in a test, or a changed cycle missed).

    The fit data's own windows are scored by the half model that never saw them (see
    :func:`subspace_deviations`): scored by a model fitted on them, short fit data would look far more normal
    than later clean data (fit on 2.2 cycles of a noisy cycle, a fifth of later clean points crossed a threshold
    set for a tenth in an ad-hoc check), and the threshold, a quantile of the fit scores, would be too low.
    """
    half = x.shape[1] // 2
    models, fitted = [], []
    for row, seen in zip(x, observed):
        view, whole = _windows(row, seen, width)
        starts = np.arange(len(view))
        parts = [whole, whole & (starts + width <= half), whole & (starts >= half)]
        models.append([_principal(_shapes(view[part], level_free), width) for part in parts])
        fitted.append(all(part.sum() >= 2 for part in parts))
    k = max(len(d) for channel in models for _, d in channel)
    means = np.zeros((3, len(models), width))
    directions = np.zeros((3, len(models), k, width))
    for c, channel in enumerate(models):
        for m, (mean, basis) in enumerate(channel):
            means[m, c], directions[m, c, :len(basis)] = mean, basis
    return means.astype(np.float32), directions.astype(np.float32), np.array(fitted)


def _rms(view: np.ndarray, rows: np.ndarray, mean: np.ndarray, basis: np.ndarray, level_free: bool) -> np.ndarray:
    """Root mean square of what ``basis`` leaves unexplained of the windows ``rows`` of a sliding ``view``, copied
    :data:`CHUNK` windows at a time (a long series' windows are never all copied at once)."""
    out = np.empty(len(rows))
    for lo in range(0, len(rows), CHUNK):
        windows = _shapes(view[rows[lo:lo + CHUNK]], level_free)
        centred = np.clip(windows - mean, -1e100, 1e100)  # squares of absurd outliers stay finite
        residual = centred - (centred @ basis.T) @ basis
        out[lo:lo + CHUNK] = np.sqrt(np.mean(residual ** 2, axis=1))
    return out


def subspace_deviations(x: np.ndarray, observed: np.ndarray, means: np.ndarray, directions: np.ndarray,
                        origin: int = 0, fit_length: Optional[int] = None, level_free: bool = False,
                        halves: bool = False) -> np.ndarray:
    """Deviations ``(C, T)`` of each point: the mean RMS residual of the windows that cover it (NaN where none is
    wholly observed), from :func:`fit_subspace`'s models.

    ``fit_length``: the series (from ``origin`` on) is part of one that begins with the fit data of that length,
    whose windows (wholly inside it) are scored as at fit: by the half model that did not see them (a window
    centred in the first half by model 2, else by model 1). ``origin > 0``: ``x`` is the tail of a longer series
    from that point on, and its first ``width - 1`` points, which miss windows the whole series has, are NaN.
    ``halves``: other windows get the mean of the two half models' residuals (models fitted on as many windows as
    the ones that score the fit data), instead of model 0's."""
    width = means.shape[-1]
    out = np.full(x.shape, np.nan)
    if x.shape[1] < width:
        return out
    means, directions = means.astype(np.float64), directions.astype(np.float64)
    starts = origin + np.arange(x.shape[1] - width + 1)
    inside = starts + width <= fit_length if fit_length is not None else np.zeros(len(starts), dtype=bool)
    model = np.where(inside, np.where(starts + width / 2 < (fit_length or 0) // 2, 2, 1), -1 if halves else 0)
    for c, (row, seen) in enumerate(zip(x, observed)):
        view, whole = _windows(row, seen, width)
        rms = np.zeros(len(view))
        for m in np.unique(model):
            rows = np.flatnonzero(model == m)
            rms[rows] = np.mean([_rms(view, rows, means[k, c], directions[k, c], level_free)
                                 for k in ((1, 2) if m < 0 else (m,))], axis=0)
        scored = np.where(whole, rms, 0.0)
        covered = spread_to_points(whole.astype(np.float64), x.shape[1], width)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[c] = np.where(covered > 0, spread_to_points(scored, x.shape[1], width) / covered, np.nan)
    if origin > 0:
        out[:, :width - 1] = np.nan
    return out
