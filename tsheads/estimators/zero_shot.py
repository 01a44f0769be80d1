"""Zero-shot forecasting, imputation and embeddings from the pretrained dual-space encoder.

``ZeroShotForecaster`` needs no training: ``predict(h, df=df)`` forecasts any long frame with the
bundled weights. ``fit(df)`` keeps the frame for ``predict(h)`` and, with ``fine_tune="head"`` or
``"all"``, adapts the model to it first, on all but the last part of each series: that part is held out
to stop training early and keep the best weights (never worse than zero-shot there). Point forecasts are
the median of the quantile head by default (``point="mean"`` uses the MSE-trained mean head); quantiles
and intervals come from the quantile head (levels 0.01 ... 0.99, interpolated in between).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError
from tqdm.auto import tqdm

from ..errors import SeriesTooShortError, TsheadsError, WeightsError
from ..forecast_columns import band_columns, band_levels, check_levels, check_quantiles
from ..frames import Columns, fill_gaps, to_long
from ..inference import ShortRoute, embed_arrays, forecast_routed, impute_arrays, interpolate_quantiles
from ..pretrained import SHORT, SHORT_HISTORY, has_short, load_pretrained
from ..timegrid import resolution_index, step_seconds
from ..windows import Panel, forecast_frame, sliding_windows
from .base import check_positive_int
from .pretrained import PretrainedForecaster

#: network batches per inference chunk: bounds the working memory of predict for any number of series
CHUNK_BATCHES = 16
#: most held-out sequences (windows x channels) scored at each fine-tuning validation check
MAX_VALIDATION_ROWS = 256


class ZeroShotForecaster(PretrainedForecaster):
    """Pretrained forecaster; also imputes gaps (:meth:`impute`) and embeds series (:meth:`transform`).

    Parameters
    ----------
    weights : str or path, optional
        Path stem of a model file (``<stem>.safetensors`` + ``<stem>.json``); None = bundled model.
    context_length : int, optional
        How many recent points the model sees (at most the model's 512; None = all 512).
    short_history : "auto", int or None, default "auto"
        Series with at most this many points of history are forecast by the bundled short network
        (``tsheads.pretrained.SHORT``: a 128-point context, for the short monthly, quarterly and yearly series
        that fill a tenth of the 512-point context, at about 5.7 times the rows per second) when the horizon is
        within its 96 steps. ``"auto"``: ``tsheads.pretrained.SHORT_HISTORY`` (128, chosen on M validation
        windows: ``evaluation.encoder_choice``) with the bundled weights and no fine-tuning, else off; None: off.
    point : {"median", "mean"}, default "median"
        ``"median"`` is the 0.5 quantile (the default, as it scored better than the mean head on held-out
        data: ETTh1's validation block and the last horizon of M1/M3 training parts); ``"mean"`` the
        MSE-trained mean head.
    batch_size : int, default 512
        Series per forward pass at inference.
    fine_tune : {None, "head", "all"}, default None
        None (zero-shot), ``"head"`` (forecast head only) or ``"all"``.
    fine_tune_steps, fine_tune_batch_size, learning_rate : int, int, float
        Fine-tuning budget (AdamW minibatches; defaults 200, 64 and 1e-4).
    fine_tune_horizon : int, optional
        Future length of the training windows (default: the model's 96, or less for short series).
    fine_tune_validation : int, float or None, default 0.1
        Held-out part of each series for fine-tuning: a number of last points, or a fraction of the median
        series length (at least the fine-tuning horizon either way). Training windows never reach into it;
        the loss on windows whose futures lie in it is checked before training (zero-shot) and every
        ``max(5, fine_tune_steps // 20)`` steps, and the weights with the lowest loss are kept, so
        fine-tuning cannot end worse than zero-shot there; a ``UserWarning`` says when zero-shot stays
        best. Series too short to hold it out train on everything, with a warning. None: no validation
        split (all steps, last weights).
    fine_tune_patience : int or None, default 5
        Validation checks without improvement after which fine-tuning stops early; None: never.
    random_state : int, optional
        Seed for fine-tuning (the zero-shot path is deterministic anyway).
    device : str, default "cpu"
        Torch device, e.g. ``"cpu"`` or ``"cuda"``.
    precision : {"float32", "bfloat16"}, default "float32"
        ``"bfloat16"``: autocast inference, about 2.5x faster on CPUs with bf16 instructions (forecasts move
        by about 0.3 %); fine-tuning always runs in float32.
    alias : str, optional
        Name of the forecast column (default ``"TSHeads"``).
    verbose : bool, default False
        Progress bars.

    Attributes
    ----------
    fit_history_ : list of float
        Training loss per fine-tuning step (empty without fine-tuning).
    fine_tune_report_ : dict or None
        After fine-tuning (None without): ``validation_points`` held out per series (0: no split),
        ``validation_windows``, ``zero_shot_loss`` and ``best_loss`` (validation loss before training and
        of the kept weights), ``best_step`` (0: the zero-shot weights), ``steps_run``, ``stopped_early``,
        ``kept_zero_shot`` and ``evaluations`` (``[step, validation loss]`` pairs); the losses are None
        without a split.
    """

    def __init__(self, weights=None, context_length: Optional[int] = None, short_history="auto",
                 point: str = "median", batch_size: int = 512, fine_tune: Optional[str] = None,
                 fine_tune_steps: int = 200, fine_tune_batch_size: int = 64, learning_rate: float = 1e-4,
                 fine_tune_horizon: Optional[int] = None, fine_tune_validation: Union[int, float, None] = 0.1,
                 fine_tune_patience: Optional[int] = 5, random_state: Optional[int] = None,
                 device: str = "cpu", precision: str = "float32", alias: Optional[str] = None,
                 verbose: bool = False):
        self.weights = weights
        self.context_length = context_length
        self.short_history = short_history
        self.point = point
        self.batch_size = batch_size
        self.fine_tune = fine_tune
        self.fine_tune_steps = fine_tune_steps
        self.fine_tune_batch_size = fine_tune_batch_size
        self.learning_rate = learning_rate
        self.fine_tune_horizon = fine_tune_horizon
        self.fine_tune_validation = fine_tune_validation
        self.fine_tune_patience = fine_tune_patience
        self.random_state = random_state
        self.device = device
        self.precision = precision
        self.alias = alias
        self.verbose = verbose

    def _check_params(self) -> None:
        """Refuse bad settings with a TsheadsError before any work (``__init__`` only stores them)."""
        if self.point not in ("mean", "median"):
            raise TsheadsError(f"point must be 'mean' or 'median', got {self.point!r}")
        if self.fine_tune not in (None, "head", "all"):
            raise TsheadsError(f"fine_tune must be None, 'head' or 'all', got {self.fine_tune!r}")
        if self.fine_tune_horizon is not None:
            check_positive_int(self.fine_tune_horizon, "fine_tune_horizon")
        vs = self.fine_tune_validation
        points = isinstance(vs, (int, np.integer)) and not isinstance(vs, bool) and vs >= 1
        fraction = isinstance(vs, (float, np.floating)) and 0 < vs < 1
        if not (vs is None or points or fraction):
            raise TsheadsError("fine_tune_validation must be None, a number of points >= 1 or a fraction in (0, 1), "
                               f"got {vs!r}")
        if self.fine_tune_patience is not None:
            check_positive_int(self.fine_tune_patience, "fine_tune_patience")
        self._check_model_params()
        if self.short_history not in (None, "auto"):
            check_positive_int(self.short_history, "short_history")
            if self.fine_tune is not None:
                raise TsheadsError("short_history routes short series to the bundled short-context model, which "
                                   "fine-tuning does not train: pass short_history=None with fine_tune")
            if not has_short():
                raise TsheadsError(f"short_history={self.short_history} needs the bundled {SHORT}, which this "
                                   "installation does not have: pass short_history=None")

    def _short_history(self) -> Optional[int]:
        """The longest history forecast by the short-context companion (see ``short_history``), or None."""
        if self.short_history != "auto":
            return self.short_history
        bundled = self.weights is None and self.fine_tune is None and has_short()
        return SHORT_HISTORY if bundled else None

    def _short_route(self) -> Optional[ShortRoute]:
        """The companion and its threshold for ``forecast_routed`` (cached like the default model), or None."""
        limit = self._short_history()
        return None if limit is None else ShortRoute(self._companion(), int(limit))

    def _companion(self):
        """The bundled short-context network on ``device``, loaded once (cached like the default model)."""
        cache = self.__dict__.get("_short_cache")
        if cache is None or cache[0] != self.device:
            cache = (self.device, load_pretrained(SHORT, device=self.device))
            self.__dict__["_short_cache"] = cache
        return cache[1]

    # fit / predict ---------------------------------------------------------------------------------
    def _fit_panel(self, panel: Panel) -> None:
        model = self._load()
        self.fit_history_, self.fine_tune_report_ = [], None
        if self.fine_tune is not None:
            self.fit_history_, self.fine_tune_report_ = self._fine_tune(model, panel)
        self.model_ = model

    def _fine_tune(self, model, panel: Panel) -> tuple[list, dict]:
        """Fine-tune ``model`` in place on ``panel``, with the held-out validation part when there is room."""
        from ..training import fine_tune, fine_tune_validated

        horizon = self.fine_tune_horizon or model.config.horizon
        horizon = check_positive_int(horizon, "fine_tune_horizon")
        longest = int(panel.lengths.max())
        horizon = min(horizon, model.config.horizon, max(1, longest // 2))
        context, min_context = self._context(model), min(horizon, 8)
        budget = (self.fine_tune, self.fine_tune_steps, self.fine_tune_batch_size, self.learning_rate, self._seed,
                  self.verbose)
        n_val = self._validation_points(panel, horizon)
        if n_val:
            try:
                train = sliding_windows(panel, context, horizon, stride=_stride(panel, horizon, skip_last=n_val),
                                        min_context=min_context, skip_last=n_val)
                n_valid = int(np.clip(panel.lengths - min_context - horizon + 1, 0, n_val - horizon + 1).sum())
                stride = max(1, -(-n_valid * panel.n_channels // MAX_VALIDATION_ROWS))
                valid = sliding_windows(panel, context, horizon, stride=stride, min_context=min_context,
                                        within_last=n_val)
            except SeriesTooShortError:
                warnings.warn(f"fine-tuning without a validation split: no series is long enough to hold out its last "
                              f"{n_val} points and still train on {min_context + horizon} before them (longest: "
                              f"{longest}); the last weights are kept unchecked, and they may forecast worse than "
                              "zero-shot. Lower fine_tune_validation or fine_tune_horizon.", UserWarning, stacklevel=4)
            else:
                history, report = fine_tune_validated(model, train, valid, *budget,
                                                      patience=self.fine_tune_patience)
                return history, {"validation_points": n_val, "validation_windows": len(valid.past), **report}
        windows = sliding_windows(panel, context, horizon, stride=_stride(panel, horizon), min_context=min_context)
        history = fine_tune(model, windows, *budget)
        return history, {"validation_points": 0, "validation_windows": 0, "zero_shot_loss": None, "best_loss": None,
                         "best_step": len(history), "steps_run": len(history), "stopped_early": False,
                         "kept_zero_shot": False, "evaluations": []}

    def _validation_points(self, panel: Panel, horizon: int) -> int:
        """Points held out at the end of each series for fine-tuning (0: no split), at least ``horizon``."""
        vs = self.fine_tune_validation
        if vs is None:
            return 0
        n = int(vs) if isinstance(vs, (int, np.integer)) else int(round(vs * float(np.median(panel.lengths))))
        return max(n, horizon)

    def predict(self, h=None, level: Optional[Sequence[float]] = None, quantiles: Optional[Sequence[float]] = None,
                df=None, *, id_col: str = "unique_id", time_col: str = "ds", target_col: str = "y", freq=None):
        """Forecast ``h`` steps after each series of ``df`` (zero-shot), or of the fitted frame.

        ``predict(h=48, df=df)`` and ``predict(df, 48)`` both work without ``fit``.

        Parameters
        ----------
        h : int
            Horizon in steps of the series' frequency.
        level : sequence of float, optional
            Interval levels in percent, at most 98 (e.g. ``[80, 95]``): adds ``<alias>-lo-80`` / ``-hi-80`` columns.
        quantiles : sequence of float, optional
            Quantile levels in [0.01, 0.99] (e.g. ``[0.1, 0.9]``): adds ``<alias>-q-0.1`` ... columns.
        df : pandas.DataFrame or pandas.Series, optional
            History to forecast from (long, wide or one Series); default: the frame given to ``fit``.
        id_col, time_col, target_col : str
            Names of the id, time and target column(s) of ``df`` (default ``unique_id``, ``ds``, ``y``).
        freq : str, pandas.DateOffset or int, optional
            Sampling frequency of ``df``; None: inferred.

        Returns
        -------
        pandas.DataFrame
            Long frame ``id, time, <alias>`` plus the band columns, ``h`` rows per series.
        """
        if isinstance(h, (pd.DataFrame, pd.Series)):  # predict(df, h) spelling
            if df is not None or (level is not None and not isinstance(level, (int, np.integer))):
                raise TsheadsError("call predict(df, h) or predict(h, level, quantiles, df=df)")
            df, h, level = h, level, None
        if df is None:
            if not hasattr(self, "panel_"):
                raise NotFittedError("call fit(df) first, or pass the history: predict(h, df=df)")
            return super().predict(h, level, quantiles)
        panel = self._panel(df, Columns(id_col, time_col, target_col), freq)
        h = check_positive_int(h)
        level, quantiles = check_levels(level), check_quantiles(quantiles)
        point, extra = self._forecast(panel, h, level, quantiles)
        return forecast_frame(panel, point, self.model_name, extra)

    def _forecast(self, panel: Panel, h: int, level: list, quantiles: list):
        self._check_params()
        model = self._model()
        if any(lv > 98 for lv in level):
            raise TsheadsError(f"levels above 98 need quantiles beyond the trained 0.01/0.99; got {level}")
        levels = model.config.quantiles
        wanted = band_levels(level, quantiles)
        n = panel.n_series
        point = np.empty((n, h))
        bands = np.empty((n, len(wanted), h))
        # Series go through in chunks, so the working set (context windows and every trained quantile,
        # 99 x h per series) stays bounded however many series there are; only the output grows with n.
        chunk = max(1, int(self.batch_size)) * CHUNK_BATCHES
        # v2 networks know the sampling resolution; v1-shaped ones (the shipped short network among them) ignore it
        resolution = resolution_index(step_seconds(panel.freq))
        short = self._short_route()
        for start in tqdm(range(0, n, chunk), desc="forecast", unit="chunk", leave=False,
                          disable=not self.verbose or n <= chunk):
            stop = min(n, start + chunk)
            part = panel.take(start, stop)
            x, observed = part.tail(self._context(model))
            mean, quants = forecast_routed(model, x, observed, h, part.lengths, short, batch_size=self.batch_size,
                                           precision=self.precision, resolution=resolution)
            mean, quants = mean[:, 0], quants[:, 0]  # (m, h), (m, Q, h)
            point[start:stop] = mean if self.point == "mean" else quants[:, levels.index(0.5)]
            if wanted:
                bands[start:stop] = interpolate_quantiles(levels, quants, wanted)  # (m, L, h)
        return point, band_columns(self.model_name, level, quantiles, [bands[:, k] for k in range(len(wanted))])

    def _predict_panel(self, h, level, quantiles):
        return self._forecast(self.panel_, h, level, quantiles)

    # imputation and embeddings ---------------------------------------------------------------------
    def impute(self, df, *, head: str = "mean", id_col: str = "unique_id", time_col: str = "ds", target_col="y",
               freq=None, indicator: str = "is_imputed") -> pd.DataFrame:
        """Fill NaN values and missing time stamps of every series by masked reconstruction.

        Returns the frame on each series' regular grid (inserted rows included) with the targets filled,
        other columns carried over (NaN on inserted rows) and a boolean ``indicator`` column marking
        imputed rows. ``head``: ``"mean"`` of both reconstructions (the default: lowest error on ETTh1's
        validation block for hybrid and block masks), ``"time"`` or ``"fft"``. A series
        with a whole context window (512 points) missing raises: nothing inside it anchors the fill.

        Parameters
        ----------
        df : pandas.DataFrame or pandas.Series
            Series with NaN targets and/or missing time stamps (long, wide or one Series).
        head : {"mean", "time", "fft"}, default "mean"
            Reconstruction head that fills the gaps.
        id_col, time_col, target_col : str
            Names of the id, time and target column(s) of ``df`` (default ``unique_id``, ``ds``, ``y``).
        freq : str, pandas.DateOffset or int, optional
            Sampling frequency of ``df``; None: inferred.
        indicator : str, default "is_imputed"
            Name of the boolean column marking imputed rows.

        Returns
        -------
        pandas.DataFrame
            Long frame on each series' regular grid, targets filled.
        """
        self._check_params()
        columns = Columns(id_col, time_col, target_col)
        if indicator in (columns.id, columns.time, *columns.targets):
            raise TsheadsError(f"indicator column {indicator!r} would overwrite a data column; choose another name")
        long = to_long(df, columns)
        full = fill_gaps(long, freq, method="nan", columns=columns, indicator=None)
        panel = Panel.from_data(full, columns, freq=freq, allow_nan=True, min_length=1)
        model = self._model()
        values = panel.values.copy()
        lengths = panel.lengths
        for length in np.unique(lengths):
            which = np.flatnonzero(lengths == length)
            rows = panel.indptr[:-1][which][:, None] + np.arange(length)[None, :]  # (k, length)
            block = values[rows].transpose(0, 2, 1)  # (k, C, length)
            observed = np.isfinite(block)
            if not observed.any(-1).all():
                raise TsheadsError("a series has a target column with no finite value; nothing to impute from")
            filled = impute_arrays(model, np.where(observed, block, 0.0), observed, head,
                                   self.batch_size, self.verbose, names=panel.ids[which], precision=self.precision)
            values[rows] = filled.transpose(0, 2, 1)
        out = pd.DataFrame({columns.id: np.repeat(panel.ids, lengths), columns.time: panel.times})
        for j, target in enumerate(columns.targets):
            out[target] = values[:, j]
        out[indicator] = ~np.isfinite(panel.values).all(axis=1)
        others = [c for c in long.columns if c not in (columns.id, columns.time, *columns.targets, indicator)]
        if others:  # carry the user's other columns; rows inserted for gaps get NaN there
            out = out.merge(long[[columns.id, columns.time, *others]], on=[columns.id, columns.time], how="left")
        return out

    def transform(self, df, kind: str = "semantic", *, id_col: str = "unique_id", time_col: str = "ds",
                  target_col: str = "y", freq=None) -> pd.DataFrame:
        """Embeddings of each series' last ``context_length`` points.

        ``kind="semantic"``: one row per series, the register tokens (``n_registers * d_model`` columns,
        ``emb_0`` ...), a compact summary for clustering, retrieval or classification.
        ``kind="detailed"``: one row per (series, patch), the patch tokens (``d_model`` columns), which
        keep where in the window things happen.

        Parameters
        ----------
        df : pandas.DataFrame or pandas.Series
            Series to embed (long, wide or one Series).
        kind : {"semantic", "detailed"}, default "semantic"
            Which tokens to return.
        id_col, time_col, target_col : str
            Names of the id, time and target column(s) of ``df`` (default ``unique_id``, ``ds``, ``y``).
        freq : str, pandas.DateOffset or int, optional
            Sampling frequency of ``df``; None: inferred.

        Returns
        -------
        pandas.DataFrame
            Float32 columns ``emb_0`` ...; index ``id`` (semantic) or ``(id, patch)`` (detailed).
        """
        if kind not in ("semantic", "detailed"):
            raise TsheadsError(f"kind must be 'semantic' or 'detailed', got {kind!r}")
        columns = Columns(id_col, time_col, target_col)
        panel = self._panel(df, columns, freq)
        model = self._model()
        x, observed = panel.tail(self._context(model))
        semantic, detailed = embed_arrays(model, x, observed, self.batch_size, self.verbose, self.precision)
        ids = pd.Index(panel.ids, name=columns.id)
        if kind == "semantic":
            emb = semantic[:, 0]
            return pd.DataFrame(emb, index=ids, columns=[f"emb_{i}" for i in range(emb.shape[1])])
        emb = detailed[:, 0]  # (n, P, d)
        index = pd.MultiIndex.from_product([ids, np.arange(emb.shape[1])], names=[columns.id, "patch"])
        return pd.DataFrame(emb.reshape(-1, emb.shape[2]), index=index,
                            columns=[f"emb_{i}" for i in range(emb.shape[2])])

    # persistence -----------------------------------------------------------------------------------
    def save(self, path) -> Path:
        """Write the (fine-tuned) model as ``<path>.safetensors`` + ``<path>.json`` with these params.

        Parameters
        ----------
        path : str or path
            File stem; a ``.safetensors`` or ``.json`` suffix is dropped.

        Returns
        -------
        pathlib.Path
            The ``.safetensors`` file written.
        """
        from ..nn.weights import save_model

        # "auto" is resolved, so the reloaded forecaster (whose weights are then a file) routes as this one did
        params = {k: v for k, v in self.get_params().items() if k != "weights"}
        params["short_history"] = self._short_history()
        meta = {"estimator": type(self).__name__, "params": params,
                "fine_tune_report": getattr(self, "fine_tune_report_", None)}
        return save_model(self._model(), path, meta=meta)

    @classmethod
    def load(cls, path, device: str = "cpu") -> "ZeroShotForecaster":
        """Rebuild a saved forecaster; ``predict(h, df=df)`` then reproduces the saved model's forecasts.

        Parameters
        ----------
        path : str or path
            File stem; a ``.safetensors`` or ``.json`` suffix is dropped.
        device : str, default "cpu"
            Torch device to load the model onto.

        Returns
        -------
        ZeroShotForecaster
            The forecaster with the saved parameters and model; it holds no fitted frame.

        Raises
        ------
        WeightsError
            If the files are missing, corrupt or were not written by this class.
        """
        from ..nn.weights import load_model, model_stem, read_config

        _, meta = read_config(path)
        if meta.get("estimator") != cls.__name__:
            raise WeightsError(f"{path} was saved by {meta.get('estimator') or 'no estimator'}, not by {cls.__name__}")
        params = meta.get("params", {})
        if not isinstance(params, dict):
            raise WeightsError(f"{path}: saved estimator parameters must be a JSON object")
        params = {**params, "device": device}
        try:
            est = cls(weights=str(model_stem(path)), **params)
        except TypeError as exc:
            raise WeightsError(f"{path}: saved parameters do not fit {cls.__name__} ({exc})") from None
        est.model_ = load_model(path, device=device)
        est.fit_history_, est.fine_tune_report_ = [], meta.get("fine_tune_report")
        return est


def forecast(df, h: int, *, level: Optional[Sequence[float]] = None, quantiles: Optional[Sequence[float]] = None,
             id_col: str = "unique_id", time_col: str = "ds", target_col="y", freq=None, **params) -> pd.DataFrame:
    """Zero-shot forecasts of every series of a long frame in one stateless call.

    The functional twin of ``tsheads forecast``: ``ZeroShotForecaster(**params).predict(h, ..., df=df)``.

    Parameters
    ----------
    df : pandas.DataFrame or pandas.Series
        Long frame (``id_col``, ``time_col``, ``target_col``), wide frame or one series.
    h : int
        Steps to forecast after each series' last time stamp.
    level : sequence of float, optional
        Prediction-interval levels in percent (``TSHeads-lo-80`` ...).
    quantiles : sequence of float, optional
        Quantile levels in (0, 1) (``TSHeads-q-0.1`` ...).
    id_col, time_col, target_col : str
        Column names of ``df``.
    freq : str or int, optional
        Frequency when it cannot be inferred.
    **params
        :class:`ZeroShotForecaster` parameters, e.g. ``context_length``, ``precision``, ``alias``.

    Returns
    -------
    pandas.DataFrame
        ``h`` rows per series: the id and time columns, the point forecast and the requested bands.
    """
    return ZeroShotForecaster(**params).predict(h, level=level, quantiles=quantiles, df=df, id_col=id_col,
                                                time_col=time_col, target_col=target_col, freq=freq)


def _stride(panel: Panel, horizon: int, max_windows: int = 20000, skip_last: int = 0) -> int:
    """A window stride that keeps the number of fine-tuning windows near ``max_windows``."""
    total = int(np.maximum(panel.lengths - skip_last - horizon, 0).sum())
    return max(1, total // max_windows)
