"""Streaming anomaly scores: each batch of new points scored once, as scoring the whole series would score it.

A monitoring loop receives a few points at a time; re-scoring the whole history each time costs more and
more. Every head of :class:`~tsheads.estimators.anomaly.TriangulationDetector` looks at a bounded
neighbourhood placed on a grid from the series' start (reconstruction windows, forecast origins,
subsequences), and calibration is pointwise, so the newest points' scores need only the last few hundred
points and the absolute position of the first of them. The stream keeps those.

A point's score can still change while its neighbourhood fills (centred smoothing, the end-aligned last
window): ``update`` gives each point the score the series received so far gives it, like a whole-series
re-score at that moment would.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..errors import TsheadsError
from .detector_base import as_channels


class DetectorStream:
    """Scores new points of one series with a fitted detector; see the module docstring.

    Made by :meth:`TriangulationDetector.stream <tsheads.estimators.anomaly.TriangulationDetector.stream>`.

    Attributes
    ----------
    n_seen : int
        Points of the series so far (history plus every update).
    """

    def __init__(self, detector, history):
        check_is_fitted(detector, "threshold_")
        if detector.combine_ == "rank":
            raise TsheadsError("combine='rank' ranks each point within the whole scored series, so new points "
                               "cannot be scored alone; stream with combine='auto' (the default) or a pointwise rule")
        self.detector = detector
        x, observed = self._points(history, "history")
        self._begins_with_fit = detector._begins_with_fit(x, observed)
        self._x, self._observed, self._origin = x, observed, 0
        self._trim()

    @property
    def n_seen(self) -> int:
        return self._origin + self._x.shape[1]

    def update(self, X) -> np.ndarray:
        """Append ``X`` (new points, the fit data's channels; NaN allowed) and return their scores ``(len(X),)``.

        The scores equal ``detector.decision_function(series_so_far)[-len(X):]`` (up to float rounding),
        and are comparable with ``detector.threshold_``.
        """
        x, observed = self._points(X, "X")
        self._x = np.concatenate([self._x, x], axis=1)
        self._observed = np.concatenate([self._observed, observed], axis=1)
        det = self.detector
        scores = det._calibrated(det._channel_scores(self._x, self._observed, self._origin, self._begins_with_fit))
        self._trim()
        return scores["decision"][-x.shape[1]:]

    def _points(self, X, name: str) -> tuple[np.ndarray, np.ndarray]:
        det = self.detector
        x, observed = as_channels(X, allow_nan=True, min_length=1, name=name, channels=det.n_channels_)
        return x / det.input_scale_, observed

    def _trim(self) -> None:
        """Keep the last points that the next update's scores depend on (more than ``window_``, so a
        trimmed tail never holds a padded window)."""
        drop = self._x.shape[1] - self.detector._stream_memory()
        if drop > 0:
            self._x, self._observed = self._x[:, drop:], self._observed[:, drop:]
            self._origin += drop
