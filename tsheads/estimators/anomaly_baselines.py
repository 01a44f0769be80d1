"""Classical anomaly detectors, with the same pyod/pandas API as :class:`TriangulationDetector`.

They are the peers of the NAB benchmark and honest fallbacks for users; each wraps a well-kept library:

- :class:`SubPCADetector`: PCA reconstruction error of sliding windows (scikit-learn).
- :class:`WindowIForestDetector`: IsolationForest on sliding windows (scikit-learn).
- :class:`MatrixProfileDetector`: distance of each subsequence to its nearest neighbour (stumpy).
- :class:`STLResidualDetector`: residual of a robust STL decomposition, or of simple exponential smoothing
  when the series has no cycle (statsmodels).

Window lengths default to the series' dominant period (:func:`~tsheads.scoring.windows.period_width`)
on the fit data, else ``default_window``.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..errors import TsheadsError
from ..scoring.windows import dominant_period, period_width, spread_to_points, subsequences
from .base import check_positive_int
from .detector_base import BaseDetector


class _WindowDetector(BaseDetector):
    """Shared: the window length and per-channel standardisation fitted on the fit data."""

    default_window = 32

    #: shortest window the method can use
    min_window = 2

    def _min_length(self) -> int:
        if self.window is not None:
            check_positive_int(self.window, "window")
            if self.window < self.min_window:
                raise TsheadsError(f"window must be at least {self.min_window}, got {self.window}")
        self._check_params()
        return 2 * (self.window or 4)

    def _check_params(self) -> None:
        """Subclasses check their own settings here (``__init__`` only stores them)."""

    def _learn_window(self, x: np.ndarray) -> None:
        width = self.window if self.window is not None else period_width(x, default=self.default_window)
        self.window_ = int(min(width, max(self.min_window, x.shape[1] // 2)))
        self.loc_ = x.mean(1, keepdims=True)
        spread = x.std(1, keepdims=True)
        self.scale_ = np.where(spread > 0, spread, 1.0)

    def _windows(self, x: np.ndarray) -> np.ndarray:
        if x.shape[1] < self.window_:
            raise TsheadsError(f"{type(self).__name__} needs at least window_={self.window_} steps, got {x.shape[1]}")
        return subsequences((x - self.loc_) / self.scale_, self.window_)

    def _channel_scores(self, x, observed) -> dict:
        per_window = self._window_scores(self._windows(x))
        return {"score": spread_to_points(per_window, x.shape[1], self.window_)[None, :]}


class SubPCADetector(_WindowDetector):
    """Squared PCA reconstruction error of each sliding window (TSB-AD's Sub-PCA).

    Parameters
    ----------
    window : int, optional
        Sliding-window length; None: the fit data's dominant period (clipped to 4..256), else 32.
    n_components : int or float, default 0.9
        Principal components kept: an int, or a float in (0, 1) for the share of variance to keep.
    contamination : float, default 0.1
        Expected share of anomalies, in (0, 0.5]; ``threshold_`` is the ``1 - contamination`` quantile of
        the fit data's scores.
    """

    def __init__(self, window: Optional[int] = None, n_components: float = 0.9, contamination: float = 0.1):
        self.window = window
        self.n_components = n_components
        self.contamination = contamination

    def _check_params(self) -> None:
        k = self.n_components
        ok_int = isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k >= 1
        ok_share = isinstance(k, (float, np.floating)) and 0 < k < 1
        if not (ok_int or ok_share):
            raise TsheadsError(f"n_components must be a positive integer or a share in (0, 1), got {k!r}")

    def _fit_series(self, x, observed):
        from sklearn.decomposition import PCA

        self._learn_window(x)
        windows = self._windows(x)
        if not windows.std(0).any():  # a constant fit series: nothing to learn, every window is "normal"
            self.pca_ = None
            return
        k = self.n_components
        if isinstance(k, (int, np.integer)) and not isinstance(k, bool):
            k = int(min(k, *windows.shape))
        self.pca_ = PCA(n_components=k, svd_solver="full").fit(windows)

    def _window_scores(self, windows):
        if self.pca_ is None:
            return ((windows - windows.mean(1, keepdims=True)) ** 2).sum(1)
        rebuilt = self.pca_.inverse_transform(self.pca_.transform(windows))
        return ((windows - rebuilt) ** 2).sum(1)


class WindowIForestDetector(_WindowDetector):
    """IsolationForest (scikit-learn) on sliding windows; a window is anomalous when it isolates quickly.

    Parameters
    ----------
    window : int, optional
        Sliding-window length; None: the fit data's dominant period (clipped to 4..256), else 32.
    n_estimators : int, default 100
        Trees in the forest.
    contamination : float, default 0.1
        Expected share of anomalies, in (0, 0.5]; ``threshold_`` is the ``1 - contamination`` quantile of
        the fit data's scores.
    random_state : int, optional
        Seed of the forest.
    """

    def __init__(self, window: Optional[int] = None, n_estimators: int = 100, contamination: float = 0.1,
                 random_state: Optional[int] = None):
        self.window = window
        self.n_estimators = n_estimators
        self.contamination = contamination
        self.random_state = random_state

    def _check_params(self) -> None:
        check_positive_int(self.n_estimators, "n_estimators")
        rs = self.random_state
        if rs is not None and (isinstance(rs, bool) or not isinstance(rs, (int, np.integer)) or rs < 0):
            raise TsheadsError(f"random_state must be None or a non-negative integer, got {rs!r}")

    def _fit_series(self, x, observed):
        from sklearn.ensemble import IsolationForest

        self._learn_window(x)
        self.forest_ = IsolationForest(n_estimators=self.n_estimators, random_state=self.random_state)
        self.forest_.fit(self._windows(x))

    def _window_scores(self, windows):
        return -self.forest_.score_samples(windows)


class MatrixProfileDetector(_WindowDetector):
    """Matrix-profile discords (stumpy): each window's z-normalised distance to its nearest other window.

    The profile is a self-join of the series being scored, so a pattern counts as normal when it recurs
    anywhere in that series (the usual discord definition); fitting only sets the window and calibration.

    Parameters
    ----------
    window : int, optional
        Sliding-window length (at least 3); None: the fit data's dominant period (clipped to 4..256), else 32.
    contamination : float, default 0.1
        Expected share of anomalies, in (0, 0.5]; ``threshold_`` is the ``1 - contamination`` quantile of
        the fit data's scores.
    """

    min_window = 3  # stumpy's shortest subsequence

    def __init__(self, window: Optional[int] = None, contamination: float = 0.1):
        self.window = window
        self.contamination = contamination

    def _fit_series(self, x, observed):
        self._learn_window(x)

    def _channel_scores(self, x, observed) -> dict:
        try:
            import stumpy
        except ImportError:  # pragma: no cover - stumpy ships with the [anomaly] extra
            raise TsheadsError("MatrixProfileDetector needs stumpy: pip install 'tsheads[anomaly]'") from None
        m = self.window_
        if x.shape[1] < 2 * m:
            raise TsheadsError(f"MatrixProfileDetector needs at least 2 * window_ = {2 * m} steps, got {x.shape[1]}")
        rows = []
        for ch in x:
            if np.ptp(ch) == 0:
                rows.append(np.zeros(len(ch)))
                continue
            profile = stumpy.stump(ch, m)[:, 0].astype(np.float64)
            rows.append(spread_to_points(np.nan_to_num(profile, posinf=0.0), len(ch), m))
        return {"score": np.stack(rows)}


class STLResidualDetector(BaseDetector):
    """Absolute residual of a robust STL fit (statsmodels), or of exponential smoothing without a cycle.

    Without a cycle (or with fewer than ``2 * period + 1`` points) the residual is that of simple exponential
    smoothing's one-step forecasts.

    Parameters
    ----------
    period : int, optional
        Seasonal period, at least 2; None: the dominant period of the fit data (no cycle if none is found).
    contamination : float, default 0.1
        Expected share of anomalies, in (0, 0.5]; ``threshold_`` is the ``1 - contamination`` quantile of
        the fit data's scores.
    """

    def __init__(self, period: Optional[int] = None, contamination: float = 0.1):
        self.period = period
        self.contamination = contamination

    def _min_length(self) -> int:
        if self.period is not None:
            check_positive_int(self.period, "period")
            if self.period < 2:
                raise TsheadsError(f"period must be at least 2 (or None to detect it), got {self.period}")
        return 4

    def _fit_series(self, x, observed):
        found = [p for p in (dominant_period(ch) for ch in x) if p] if self.period is None else [self.period]
        self.period_ = int(max(found)) if found and max(found) >= 2 else None

    def _channel_scores(self, x, observed) -> dict:
        from statsmodels.tsa.holtwinters import SimpleExpSmoothing
        from statsmodels.tsa.seasonal import STL

        rows = []
        for ch in x:
            if np.ptp(ch) == 0:
                rows.append(np.zeros(len(ch)))
            elif self.period_ is not None and len(ch) >= 2 * self.period_ + 1:
                rows.append(np.abs(STL(ch, period=self.period_, robust=True).fit().resid))
            else:
                fitted = SimpleExpSmoothing(ch, initialization_method="estimated").fit().fittedvalues
                rows.append(np.abs(ch - fitted))
        return {"score": np.stack(rows)}
