"""The anomaly-detector contract every tsheads detector follows: pyod's API over one series, pandas around it.

``fit(X)`` learns what normal looks like from an unlabelled stretch of one series (1-D, ``(T, C)`` array,
Series or wide DataFrame); ``decision_function(X)`` gives one score per time step (higher = more
anomalous); ``predict(X)`` flags scores above ``threshold_``, the ``1 - contamination`` quantile of the fit
data's own scores, as in pyod. ``detect(df)`` does the same for every series of a long frame.

Channels: a subclass scores each channel (``_channel_scores``); each channel is calibrated on the fit data
(:class:`~tsheads.scoring.combine.Calibration`) and the per-step score is the largest calibrated channel
score, so an anomaly in any channel counts and channels of different scales are comparable.
"""

from __future__ import annotations

from typing import Iterator, Optional

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from ..errors import (
    DataTypeError,
    EmptyDataError,
    NonFiniteError,
    NonNumericValueError,
    SeriesTooShortError,
    TsheadsError,
)
from ..frames import Columns, validate
from ..scoring.combine import Calibration


class BaseDetector(BaseEstimator):
    """Shared ``fit``/``decision_function``/``predict``/``detect``; see module docstring.

    Subclasses set ``contamination`` in ``__init__`` and implement ``_fit_series`` and ``_channel_scores``.
    """

    #: whether NaN in the input is scored around (masked) rather than refused
    allow_nan = False

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self.allow_nan
        return tags

    # subclasses ------------------------------------------------------------------------------------
    def _min_length(self) -> int:
        """Fewest points a series needs (also where subclasses check their params)."""
        return 2

    def _fit_series(self, x: np.ndarray, observed: np.ndarray) -> Optional[dict]:
        """Learn from fit data ``(C, T)``; may return its :meth:`_channel_scores` output to save a pass."""
        raise NotImplementedError

    def _channel_scores(self, x: np.ndarray, observed: np.ndarray) -> dict:
        """``{"score": (C, T), **extras}``: raw per-channel scores plus named ``(T,)`` columns for ``detect``."""
        raise NotImplementedError

    def _series_copy(self, params: Optional[dict] = None):
        """A fresh, unfitted copy for one series of ``detect`` (subclasses may share read-only state, and use
        ``params``, this detector's parameters read once per ``detect``)."""
        return clone(self)

    def _extra_columns(self) -> list:
        """Names of the extra columns ``detect`` adds (beyond the score and the flag)."""
        return []

    def _check_detect(self) -> None:
        """Refuse settings ``detect`` cannot serve (it fits without labels)."""

    def _detect_series(self, series: list, n_fit: list) -> Iterator[tuple["BaseDetector", dict]]:
        """For each series ``(T, C)``: its own detector fitted on its first ``n_fit`` rows, and its :meth:`_score`.

        Subclasses may share work between series (forward passes of a network) as long as every series
        scores as it would alone.
        """
        for values, k in zip(series, n_fit):
            est = self._series_copy()
            yield est, est._fit_and_score(values, k)

    # pyod API --------------------------------------------------------------------------------------
    def fit(self, X, y=None):
        """Learn normal behaviour from ``X`` (unlabelled; ``y`` is ignored, as in pyod).

        A fit that fails leaves the detector unfitted, never half-fitted.

        Parameters
        ----------
        X : array_like, pandas.Series or pandas.DataFrame
            One series: 1-D, ``(T, C)`` (time, channels) or a wide frame with one column per channel.
        y : None
            Ignored; accepted for pyod/scikit-learn compatibility.

        Returns
        -------
        self : BaseDetector
            The fitted detector (``threshold_``, ``decision_scores_`` and ``labels_`` of the fit data set).
        """
        self._fit_output(X)
        return self

    def _fit_output(self, X) -> dict:
        """Fit on ``X`` and return the fit data's own :meth:`_score` output; a failed fit leaves no state."""
        try:
            self._check_contamination()
            x, observed = self._as_array(X, fitting=True)
            self.n_channels_ = x.shape[0]
            scores = self._fit_series(x, observed) or self._channel_scores(x, observed)
            self.channel_calibration_ = Calibration.fit(scores["score"])
            out = self._calibrated(scores)
            self.decision_scores_ = out["decision"]
            self.threshold_ = self._threshold(self.decision_scores_)
            self.labels_ = (self.decision_scores_ > self.threshold_).astype(np.int64)
        except BaseException:
            for name in [k for k in self.__dict__ if k.endswith("_") and not k.startswith("_")]:
                delattr(self, name)
            raise
        return out

    def decision_function(self, X) -> np.ndarray:
        """Anomaly score of every time step of ``X``, shape ``(T,)``; higher = more anomalous.

        Parameters
        ----------
        X : array_like, pandas.Series or pandas.DataFrame
            One series with the fit data's channels: 1-D, ``(T, C)`` (time, channels) or a wide frame.

        Returns
        -------
        ndarray
            Scores ``(T,)``, calibrated on the fit data (comparable with ``threshold_``).
        """
        return self._score(X)["decision"]

    def predict(self, X) -> np.ndarray:
        """0/1 per time step: 1 where the score exceeds ``threshold_``.

        Parameters
        ----------
        X : array_like, pandas.Series or pandas.DataFrame
            One series with the fit data's channels: 1-D, ``(T, C)`` (time, channels) or a wide frame.

        Returns
        -------
        ndarray of int64
            Flags ``(T,)``.
        """
        return (self.decision_function(X) > self.threshold_).astype(np.int64)

    def fit_predict(self, X, y=None) -> np.ndarray:
        """Fit on ``X`` and return the fit data's own 0/1 flags (``labels_``).

        Parameters
        ----------
        X : array_like, pandas.Series or pandas.DataFrame
            One series: 1-D, ``(T, C)`` (time, channels) or a wide frame with one column per channel.
        y : array_like, optional
            Passed to :meth:`fit` (ignored except by supervised detectors).

        Returns
        -------
        ndarray of int64
            Flags ``(T,)``: 1 where the score exceeds ``threshold_``.
        """
        return self.fit(X, y).labels_

    def channel_scores(self, X) -> np.ndarray:
        """Calibrated score of each channel, ``(T, C)`` (0 = typical of the fit data, 1 = its top 1 %).

        Parameters
        ----------
        X : array_like, pandas.Series or pandas.DataFrame
            One series with the fit data's channels: 1-D, ``(T, C)`` (time, channels) or a wide frame.

        Returns
        -------
        ndarray
            Scores ``(T, C)``; :meth:`decision_function` is their maximum over channels.
        """
        return self._score(X)["channels"].T

    # pandas API ------------------------------------------------------------------------------------
    def detect(self, df, *, id_col: str = "unique_id", time_col: str = "ds", target_col="y",
               fit_fraction: Optional[float] = None, score_col: str = "anomaly_score",
               flag_col: str = "is_anomaly", threshold_col: Optional[str] = None) -> pd.DataFrame:
        """Score every series of a long frame; returns it sorted, with score columns and a 0/1 flag.

        Each series gets its own copy of this detector, fitted on its first ``fit_fraction`` of rows
        (``None``: the whole series, i.e. unsupervised scoring of each series against itself). A series'
        flags are scores above the ``1 - contamination`` quantile of its fit rows' scores (as scored in the
        whole series), so about a ``contamination`` share of the fit rows is flagged. Rows are
        scored in time order; regular spacing is not required, duplicated timestamps are refused. Other
        columns are carried through. Subclasses add columns (e.g. one per head).

        Parameters
        ----------
        df : pandas.DataFrame
            Long frame with id, time and target column(s).
        id_col, time_col, target_col : str
            Names of the id, time and target column(s) (default ``unique_id``, ``ds``, ``y``).
        fit_fraction : float, optional
            Share of each series' rows, in (0, 1], to fit on; None: the whole series.
        score_col, flag_col : str
            Names of the added score and 0/1 flag columns (default ``anomaly_score``, ``is_anomaly``); they
            must not exist in ``df``.
        threshold_col : str, optional
            Also add each series' flag threshold under this name, e.g. to
            draw it with :func:`tsheads.plotting.plot_anomalies`.

        Returns
        -------
        pandas.DataFrame
            ``df`` validated and sorted by id and time, plus the subclass's columns, ``score_col`` and
            ``flag_col``.
        """
        columns = Columns(id_col, time_col, target_col)  # refuses one column named twice
        frac = fit_fraction
        if frac is not None and (isinstance(frac, bool) or not isinstance(frac, (float, int, np.floating))
                                 or not 0 < frac <= 1):
            raise TsheadsError(f"fit_fraction must be in (0, 1], got {fit_fraction!r}")
        outputs = [*self._extra_columns(), score_col, flag_col, *([threshold_col] if threshold_col is not None else [])]
        if any(not isinstance(c, str) for c in outputs) or len(set(outputs)) != len(outputs):
            raise TsheadsError(f"output column names must be distinct strings, got {outputs}")
        self._check_detect()
        frame, _ = validate(df, columns, require_freq=False, allow_nan=self.allow_nan,
                            min_length=self._min_length())
        clash = [c for c in outputs if c in frame.columns]
        if clash:
            raise TsheadsError(f"output column(s) {clash} would overwrite columns of df (labels?); rename them "
                               "or pass score_col=/flag_col=")
        ids = frame[columns.id].to_numpy()
        bounds = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1], True])
        values = frame[list(columns.targets)].to_numpy(dtype=np.float64)
        parts: dict[str, list] = {}
        from tqdm.auto import tqdm

        series = [values[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
        n_fit = [len(v) if frac is None else max(self._min_length(), int(round(frac * len(v)))) for v in series]
        # one bar over the series for detectors that take ``verbose`` (the tsheads one); classical ones are quiet
        fitted = tqdm(self._detect_series(series, n_fit), total=len(series), desc="detect", unit="series",
                      leave=False, disable=not getattr(self, "verbose", False) or len(series) < 2)
        for (est, out), k in zip(fitted, n_fit):
            # the threshold comes from the fit rows as scored here, in the whole series' context (edges,
            # rank-based combination), so that a ``contamination`` share of them is flagged
            threshold = est._threshold(out["decision"][:k])
            cols = {**out["extras"], score_col: out["decision"],
                    flag_col: (out["decision"] > threshold).astype(np.int64)}
            if threshold_col is not None:
                cols[threshold_col] = np.full(len(out["decision"]), threshold)
            for name, v in cols.items():
                parts.setdefault(name, []).append(v)
        for k, v in parts.items():
            frame[k] = np.concatenate(v)
        return frame

    # internals -------------------------------------------------------------------------------------
    def _score(self, X) -> dict:
        check_is_fitted(self, "threshold_")
        x, observed = self._as_array(X, fitting=False)
        return self._calibrated(self._channel_scores(x, observed))

    def _calibrated(self, scores: dict) -> dict:
        """Channel-calibrated scores of :meth:`_channel_scores` output: decision ``(T,)``, channels, extras."""
        channels = _finite(self.channel_calibration_(scores["score"]))
        extras = {k: _finite(v) for k, v in scores.items() if k != "score"}
        return {"decision": channels.max(0), "channels": channels, "extras": extras}

    def _fit_and_score(self, values: np.ndarray, n_fit: int) -> dict:
        """Fit on the first ``n_fit`` rows of one series ``values`` and return the whole series' scores.

        When the fit data is the whole series, its scores come from the fit itself (one pass, not two).
        """
        out = self._fit_output(values[:n_fit])
        return out if n_fit == len(values) else self._score(values)

    def _threshold(self, scores: np.ndarray) -> float:
        """The ``1 - contamination`` quantile of fit scores: what ``threshold_`` is (pyod's convention)."""
        return float(np.quantile(scores, 1.0 - self.contamination))

    def _check_contamination(self) -> None:
        c = self.contamination
        if isinstance(c, bool) or not isinstance(c, (int, float, np.floating)) or not 0 < c <= 0.5:
            raise TsheadsError(f"contamination must be in (0, 0.5], got {c!r}")

    def _as_array(self, X, fitting: bool) -> tuple[np.ndarray, np.ndarray]:
        """``X`` as ``(C, T)`` values divided by the fit data's largest magnitude, and an observed mask.

        Dividing by one constant per channel changes no detector's ranking, and it keeps squared errors
        and variances of series near 1e200 or 1e-200 inside float64.
        """
        x, observed = as_channels(X, allow_nan=self.allow_nan, min_length=self._min_length(), name=type(self).__name__)
        names = [str(c) for c in X.columns] if isinstance(X, pd.DataFrame) else None
        if fitting:
            self.input_scale_ = peak_scale(x)
            self.n_features_in_ = x.shape[0]
            self.feature_names_in_ = names
        else:
            if x.shape[0] != self.n_channels_:
                reshape = " (Reshape your data: one column per channel, (time, channels))" if np.ndim(X) == 1 else ""
                raise TsheadsError(f"X has {x.shape[0]} features, but {type(self).__name__} is expecting "
                                   f"{self.n_channels_} features as input: one per channel of the fit data{reshape}")
            fitted = getattr(self, "feature_names_in_", None)
            if names is not None and fitted is not None and names != fitted:
                raise TsheadsError(f"X has columns {names}; this detector was fitted on {fitted} (same order)")
        return x / self.input_scale_, observed


def peak_scale(x: np.ndarray) -> np.ndarray:
    """``(C, 1)`` largest magnitude of each channel of ``(C, T)`` values (1 for an all-zero channel)."""
    peak = np.abs(x).max(1, keepdims=True)
    return np.where(peak > 0, peak, 1.0)


def as_channels(X, allow_nan: bool, min_length: int = 1, name: str = "X",
                channels: Optional[int] = None) -> tuple[np.ndarray, np.ndarray]:
    """One series as ``(channels, time)``: 1-D array/Series, ``(T, C)`` array or a wide DataFrame.

    Errors follow scikit-learn's conventions (and wording) for sparse, complex, object and empty input;
    ``name`` (the estimator) and ``min_length`` (fewest time steps) go into the messages. ``channels``: the
    number expected (new points of a stream): fewer rows than channels is then no ambiguity, and a channel
    may be missing throughout.
    """
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):  # scipy.sparse matrices and arrays
        raise DataTypeError(f"sparse input is not supported by {name}: a series is dense; pass X.toarray()")
    if isinstance(X, pd.DataFrame):
        types = pd.api.types
        bad = [c for c in X.columns if not types.is_numeric_dtype(X[c]) or types.is_bool_dtype(X[c])]
        if bad:
            raise DataTypeError(f"columns {bad} are not numeric; pass one column per channel "
                                "(for a long frame with ids and timestamps use detect(df))")
        arr = X.to_numpy(dtype=np.float64)
    else:
        arr = _numbers(np.asarray(X.to_numpy() if isinstance(X, pd.Series) else X))
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise DataTypeError(f"X must be 1-D (time) or 2-D (time, channels); got shape {arr.shape}")
    if arr.size == 0:
        kind = "sample(s)" if arr.shape[0] == 0 else "feature(s)"
        raise EmptyDataError(f"X is empty: found array with 0 {kind} (shape={arr.shape}) while a minimum of 1 is "
                             "required.")
    if arr.shape[0] < min_length:
        raise SeriesTooShortError(f"{name} needs at least {min_length} time steps, got {arr.shape[0]} "
                                  f"(n_samples={arr.shape[0]})")
    if channels is not None:
        if arr.shape[1] != channels:
            raise DataTypeError(f"{name} has {arr.shape[1]} channel(s); the detector was fitted on {channels}")
    elif arr.shape[1] > arr.shape[0]:
        raise DataTypeError(f"X of shape {arr.shape} has more channels than time steps; pass (time, channels)")
    if np.isinf(arr).any():
        raise NonFiniteError(f"X holds {int(np.isinf(arr).sum())} infinite value(s)")
    observed = np.isfinite(arr)
    if not observed.all():
        if not allow_nan:
            raise NonFiniteError(f"X holds {int((~observed).sum())} NaN value(s); fill them first "
                                 "(tsheads.fill_gaps / ZeroShotForecaster.impute) or use TriangulationDetector, "
                                 "which scores around missing points")
        empty = np.flatnonzero(~observed.any(0))
        if len(empty) and channels is None:
            raise NonFiniteError(f"channel {int(empty[0])} of X has no finite value")
    return np.where(observed, arr, 0.0).T.copy(), observed.T.copy()


def _numbers(raw: np.ndarray) -> np.ndarray:
    """An array of numbers as float64; objects are converted (as scikit-learn does), other kinds refused."""
    if raw.dtype.kind == "c":
        raise DataTypeError(f"Complex data not supported: X must hold integer or float numbers, got dtype {raw.dtype}")
    if raw.dtype.kind == "O":
        try:
            return raw.astype(np.float64)
        except (TypeError, ValueError) as err:
            raise NonNumericValueError(f"X of dtype object holds a value that is not a number ({err})") from None
    if raw.dtype.kind not in "iuf":  # bool, datetime, strings are not measurements
        raise DataTypeError(f"X must hold integer or float numbers, got dtype {raw.dtype}")
    return raw.astype(np.float64)


def _finite(a: np.ndarray) -> np.ndarray:
    """Scores as finite floats: an overflow to inf becomes the largest float, NaN (none expected) 0."""
    return np.nan_to_num(np.asarray(a, dtype=np.float64), nan=0.0, posinf=np.finfo(np.float64).max,
                         neginf=-np.finfo(np.float64).max)
