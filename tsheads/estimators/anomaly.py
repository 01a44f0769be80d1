"""Anomaly detection that triangulates the heads of the pretrained dual-space model.

Independent opinions about each time step: can the time head rebuild it when it is hidden, can the FFT
head, did the forecast head expect it, and does its shape (the encoder's embedding of the subsequence)
resemble anything in the fit data, and does each whole seasonal cycle resemble a cycle of the fit data (the
cycle head, :mod:`tsheads.scoring.cycles`)? Each head's deviations are smoothed and calibrated on the fit data
(:mod:`tsheads.scoring.combine`), then combined. ``combine="auto"`` needs no labels: each head ranks every
scored point among its own scores of the fit data and the ranks are averaged
(:func:`~tsheads.scoring.combine.reference_rank_mean`), the rule chosen on the dev data of
``evaluation.anomaly_settings_choice`` and kept by ``evaluation.probe_choice``.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import numpy as np
import pandas as pd

from ..errors import TsheadsError, WeightsError
from ..scoring.coarse import COARSE_FACTOR, MIN_COARSE_BLOCKS, block_count, coarse_deviations
from ..scoring.combine import (
    Calibration,
    agreement_weights,
    combine,
    fill_undefined,
    moving_average,
    reference_levels,
    reference_rank_mean,
    reference_tail_evidence,
)
from ..scoring.cycles import MIN_PERIOD, cycle_bank, cycle_distances, cycles, fit_period, independent_cycles
from ..scoring.heads import (
    EMBED_STRIDE,
    EMBED_WIDTH,
    MAX_BANK,
    MIN_HISTORY,
    SCORE_HEADS,
    Packed,
    RowCache,
    bank_embeddings,
    head_deviations,
    model_outputs,
    thinned,
    windows_to_points,
)
from ..scoring.probes import MIN_PROBE_LENGTH, probe_copies, separation
from ..scoring.subspace import fit_subspace, subspace_deviations, subspace_width
from .base import check_positive_int
from .detector_base import BaseDetector, as_channels, peak_scale
from .pretrained import PretrainedModelMixin

if TYPE_CHECKING:
    from .anomaly_stream import DetectorStream

#: the network's heads (:data:`~tsheads.scoring.heads.SCORE_HEADS`) and the ``cycle`` head
#: (:mod:`tsheads.scoring.cycles`), which compares whole seasonal cycles with those of the fit data: the default
#: heads before the subspace head joined them
CYCLE_HEADS = (*SCORE_HEADS, "cycle")
#: the heads used by default: :data:`CYCLE_HEADS` and the ``subspace`` head (:mod:`tsheads.scoring.subspace`,
#: Sub-PCA's view), chosen on dev data by ``evaluation.subspace_head_choice``
DEFAULT_HEADS = (*CYCLE_HEADS, "subspace")
#: every head there is: the defaults and the ``coarse`` head (:mod:`tsheads.scoring.coarse`), the time head's
#: rebuild of the series averaged over blocks of points
HEAD_NAMES = (*DEFAULT_HEADS, "coarse")
COMBINE_RULES = ("auto", "probe", "fisher", "rank", "agreement", "max", "mean", "supervised")
#: probe copies of the fit data whose planted anomalies weigh the heads under ``combine="probe"``
PROBE_COPIES = 2
MASK_LAYOUTS = ("spread", "block")
ERRORS = ("squared", "absolute")
#: units of the rebuild heads' deviations (see ``rebuild_scale``)
REBUILD_SCALES = ("window", "absolute")
#: the largest ``power`` (the power mean of ranks is then close to their maximum)
MAX_POWER = 64.0
#: each head's vote in ``combine="auto"``'s mean over heads when ``votes`` is None (a head not named: 1): ``time``
#: and ``fft`` read one reconstruction pass, so they share one vote (``evaluation.cycle_level_choice``), and the
#: heads that compare the series with the fit data's own shapes (``embedding``, ``cycle``, ``subspace``) count
#: twice (``evaluation.votes_subspace_choice``: mean dev VUS-PR 0.523 against 0.492 with them at 1)
DEFAULT_VOTES: dict = {"time": 0.5, "fft": 0.5, "embedding": 2.0, "cycle": 2.0, "subspace": 2.0}
#: whether the subspace head compares windows less their own mean (shapes, not levels), fixed at fit
#: (``subspace_level_free_``); see :mod:`tsheads.scoring.subspace`
SUBSPACE_LEVEL_FREE = True
#: whether the subspace head scores data after the fit data with the two half models that score the fit data
#: (:func:`~tsheads.scoring.subspace.subspace_deviations`, ``halves``) instead of the model of every fit window;
#: fixed at fit (``subspace_halves_``). Off: ``evaluation.subspace_halves_choice`` found it lower on the dev data
#: (0.509 against 0.523) and flagging 85 % of a clean series fit on 2.2 cycles
SUBSPACE_HALVES = False
#: which network scores the history heads' rows (see ``history_network``)
HISTORY_NETWORKS = ("window", "auto")
#: what ``combine="supervised"`` chooses among (each head alone plus these rules)
SUPERVISED_CANDIDATES = ("auto", "fisher", "rank", "agreement", "max", "mean")
#: ``detect`` runs the network over groups of series with about this many points in all (bounds its memory)
DETECT_GROUP_POINTS = 1 << 17
#: the cycle head's ranks among its fit scores are scaled by ``k / (k + 1)`` for the ``k`` fit cycles scored that do
#: not overlap (:func:`~tsheads.scoring.combine.size_factor`), so a fit on two or three cycles, scored from a
#: handful of cycle pairs, cannot rank every later clean cycle beyond all normal data. Read at fit time (fixed as
#: ``cycle_count_ranks_``); off: ``evaluation.cycle_count_choice`` did not choose it.
COUNT_FIT_CYCLES = False
#: the cycle head compares cycles' shapes, each pair's mean difference taken out (a slow drift of the level is no
#: deviation; :func:`~tsheads.scoring.cycles.nearest_rms`). Read at fit time (fixed as ``cycle_level_free_``).
#: Chosen with :data:`DEFAULT_VOTES` on dev data (``evaluation.cycle_level_choice``: mean VUS-PR 0.406 against 0.385
#: for level-kept cycles and equal votes; clean short fits flagged 7.5 % against 8.9 % at contamination 0.1).
LEVEL_FREE_CYCLES = True
#: points between the starts of the embedding head's bank subsequences (a divisor of
#: :data:`~tsheads.scoring.heads.EMBED_STRIDE`, the step of the subsequences it scores; see
#: :func:`~tsheads.scoring.heads.bank_embeddings`). Read at fit time; the bank is saved as built. Chosen with
#: ``power=2`` on dev data (``evaluation.bank_stride_choice``: mean VUS-PR 0.452 against 0.406 for the scored grid
#: at power 1; clean short fits flagged 5.1 % against 7.5 % at contamination 0.1).
BANK_STRIDE = 4


class TriangulationDetector(PretrainedModelMixin, BaseDetector):
    """Zero-shot (or fine-tuned) anomaly detector from the time, FFT and forecast heads (pyod-style API).

    Missing values (NaN) are allowed: they are never model inputs, and the points themselves are scored
    only through their smoothed neighbours (a gap is not an anomaly by itself).

    Parameters
    ----------
    heads : str or sequence of str, default :data:`DEFAULT_HEADS`
        Heads to use, any of ``("time", "fft", "forecast", "embedding", "cycle", "coarse", "subspace")`` (see
        :mod:`tsheads.scoring.heads`, :mod:`tsheads.scoring.cycles`, :mod:`tsheads.scoring.coarse` and
        :mod:`tsheads.scoring.subspace`); all but ``coarse`` by default. The cycle head joined the defaults on dev data
        (``python -m evaluation.cycle_head_choice``: mean VUS-PR of ``auto`` 0.345 with it, 0.315 without, over injected
        and generated whole-cycle anomalies). The ``coarse`` head (the time head's rebuild of the series averaged over
        blocks of :data:`~tsheads.scoring.coarse.COARSE_FACTOR` points, for changes slower than a window) is flat when
        the fit data hold fewer than :data:`~tsheads.scoring.coarse.MIN_COARSE_BLOCKS` blocks (a partial last block
        counts); its windows are cut and strided in blocks (``stride`` counts blocks there). It is not a default head
        (``evaluation.coarse_head_choice``: the default's mean dev VUS-PR fell from 0.452 to 0.387 with it). The
        ``subspace`` head (:mod:`tsheads.scoring.subspace`) scores each sliding window of the fit data's dominant period
        (``season_length`` if given), less its own mean, by how far it lies from the principal subspace of the fit
        data's windows, as the Sub-PCA detector does; it is flat when the fit data is too short for two windows in each
        half. It joined the defaults on dev data (``python -m evaluation.subspace_head_choice``: mean VUS-PR 0.468 with
        it, 0.452 without, and flags that moved less).
    combine : str, default "auto"
        How head scores become one score, per channel:

        - ``"auto"`` (no labels): the mean over heads (weighted by ``votes``; the power mean of ``power``, 2 by
          default) of each time step's rank among that head's scores of the fit data (beyond the largest, a
          little more the further out). A step's score depends on the fit data and on the windows around it
          only, not on how extreme the rest of the scored series is.
        - ``"probe"`` (no labels): as ``"auto"``, with each head weighted by its average precision on anomalies
          planted in two copies of the fit data (:mod:`tsheads.scoring.probes`: spikes, level shifts, noise
          bursts, flat and sped-up stretches, whole cycles flattened or shifted), so the heads that see
          anomalies in this series get the vote (``probe_quality_``). Fitting scores the copies too; fit data
          under 512 points weighs the heads as ``"auto"`` does (``votes``). Not the default: on dev data it
          lost on the injected anomalies (``python -m evaluation.probe_choice``: 0.337 against 0.366, though
          0.409 against 0.330 on whole-cycle anomalies) and moved the flags more when the fit part grew
          by 1 %.
        - ``"fisher"`` (no labels): the mean over heads of ``-log`` of each time step's tail share among that
          head's fit-data scores (Fisher's method, :func:`~tsheads.scoring.combine.reference_tail_evidence`):
          one head far beyond anything in the fit data outweighs ordinary fluctuations of the others.
        - ``"rank"``: the mean over heads of each head's rank of every time step within the scored input
          (relative to the series being scored, as a matrix-profile self-join is; score a whole series at
          once). The default before version 0.2.
        - ``"agreement"``: calibrated scores weighted by how much each head agrees with the others on the fit
          data (:func:`~tsheads.scoring.combine.agreement_weights`); pointwise, so slices score like the whole.
        - ``"max"`` / ``"mean"`` of the calibrated scores (pointwise), or one head's name.
        - ``"supervised"``: ``fit(X, y)`` picks the head or rule with the best AUC-PR on labels ``y`` of the
          fit data (TSPulse's per-dataset choice).
    window : int, default 512
        Points of context each score sees (16 to the model's 512; shorter windows are left-padded; fit data
        shorter than the window cut it to their length). With the bundled weights, a window so cut of at most
        ``tsheads.pretrained.DETECT_SHORT_WINDOW`` points (and a ``forecast_history`` of at most 128) runs on
        the short network where the installation ships it (``tsheads.pretrained.SHORT``: a
        128-point context, about 5.7 times the rows per second of the 512-point network, chosen on dev data by
        ``evaluation.detector_network_choice``); otherwise on the 512-point one (except the rows
        ``history_network`` sends to the short network).
    stride : int, optional
        Step between reconstruction windows (default ``window // 2``; smaller = more overlap, slower).
    horizon : int, default 16
        The forecast head predicts this many steps (at most 96) from each origin (origins every ``horizon``
        points), so a point is compared with a forecast made 1 to ``horizon`` steps before it.
    smoothing : int, default 32
        Width of the centred moving average over each head's deviations (1 = none), at most an eighth of the
        fit data's length (see ``_smoothing``). The defaults of
        ``smoothing``, ``mask``, ``error`` and ``combine`` were chosen on injected anomalies in non-test data
        (``python -m evaluation.anomaly_settings_choice``).
    mask : {"spread", "block"}, default "spread"
        How the reconstruction heads hide points: ``"spread"`` (every 4th patch, so each hidden patch has
        visible neighbours: local shape) or ``"block"`` (a contiguous quarter of the window, rebuilt from the
        rest: longer patterns such as a missing cycle).
    error : {"squared", "absolute"}, default "squared"
        Deviation measure (squared lets a single large deviation stand out).
    contamination : float, default 0.1
        Expected share of anomalies, in (0, 0.5]; ``threshold_`` is the ``1 - contamination`` quantile of
        the fit data's scores (pyod's convention).
    fine_tune : bool, default False
        Adapt every weight to the fit data with the pretraining objective (masked reconstruction in both
        spaces plus the forecast) before scoring.
    fine_tune_steps, fine_tune_batch_size, learning_rate : int, int, float
        Fine-tuning budget (AdamW minibatches; defaults 100, 32 and 1e-4).
    weights : str or path, optional
        Path stem of a model file; None = the bundled pretrained model.
    batch_size : int, default 512
        Windows per forward pass.
    random_state : int, optional
        Seed for fine-tuning (zero-shot scoring is deterministic).
    device : str, default "cpu"
        Torch device.
    season_length : int, optional
        Cycle length (points) of the ``cycle`` head; None = the fit data's dominant autocorrelation period. With
        no cycle found, or fit data shorter than two cycles, the head is flat (``cycle_period_`` is None).
    forecast_history : int, optional
        Points of history the ``forecast`` head sees before each origin; None = the whole window. 64 (the
        ``embedding`` head's subsequence) lets one forward pass serve both heads: a third fewer network rows,
        at a small cost on the dev data (``evaluation.forecast_history_choice``).
    precision : {"float32", "bfloat16"}, default "float32"
        Arithmetic of the forward pass; ``"bfloat16"`` is about 2x faster on CPU.
    verbose : bool, default False
        Progress bar while fine-tuning.
    rebuild_scale : {"window", "absolute"}, default "window"
        Units of the ``time`` and ``fft`` heads' rebuild deviations: each over the median deviation of the window that
        rebuilt it, or as they are. How well a window is rebuilt varies with the window's offset as much as
        with the data, so absolute deviations put the fit part and later windows on different scales. On the
        four dev sets (``evaluation.rebuild_scale_choice``) relative deviations raised the default's mean
        VUS-PR from 0.369 to 0.380 with the same worst flag move (0.030); on NAB (the test) they lowered it
        from 0.397 to 0.347 (0.384 to 0.361 with the defaults of version 0.2), so ``"absolute"`` is the better
        setting on data like NAB's and on near-constant quantized signals (README, known limits). A level
        shift that moves a whole window is then seen by the other heads only. Detectors saved before this
        parameter existed load with ``"absolute"``.
    history_network : {"auto", "window"}, default "auto"
        Which network scores the rows of the history heads (``forecast``: the points before each origin;
        ``embedding``: 64-point subsequences). ``"auto"``: the rows the bundled short network holds (128-point
        context, about 5.7 times the rows per second) run on it where the weights are the bundled ones and
        nothing is fine-tuned: the embedding head's subsequences, and the forecast head's histories when
        ``forecast_history`` is at most 128 (None, the whole window, stays on the window's network); nothing
        when no head has such rows. ``"window"``: every row on the network the window selects, which pads each
        row to its context (512 points with the default window). The ``time`` and ``fft`` heads stay on the
        window's network. A saved detector keeps both networks; with ``weights`` naming a saved detector's
        model, the history network saved beside it (``<weights>.history.safetensors``) plays the short
        network's part. On the dev data (``evaluation.history_network_choice``) ``"auto"`` scored a mean VUS-PR
        of 0.351 against 0.347 at 1.3 times the series per second; with ``forecast_history=128`` it is 1.5 to 1.8
        times as fast again but flags more clean points (4.1 % at contamination 0.02, over the 4 % bound), so that is an
        option, not the default (the default before version 0.2 was ``"window"``).
    power : float, default 3.0
        Exponent of the power mean over heads of ``combine="auto"`` and ``"probe"`` (and of ``"auto"`` among
        ``"supervised"``'s candidates), fixed at fit (``power_``), 1 to 64: 1 averages the
        heads' ranks; larger values move toward their maximum, so a point that one head alone places beyond
        its fit data counts for more (``max`` itself flags unstably). Chosen on dev data with the subspace head
        among the defaults (``evaluation.power_subspace_choice``: mean VUS-PR 0.492 against 0.468 for 2; 4 and 6
        scored higher but moved flags by more than 0.05). Larger powers flag more than ``contamination`` of clean
        data after short fits (a cyclic series fit on 2.2 cycles, contamination 0.1: 2.1 % of the rest flagged
        with 3, 10.6 % with 4, 55 % with 6). The default was 2 before; saved detectors keep the power they were
        fit with.
    votes : dict, optional
        Each head's weight in ``combine="auto"``'s mean over heads (and in ``"auto"`` among ``"supervised"``'s
        candidates), fixed at fit (``votes_``): a mapping of head names to non-negative numbers; a head not
        named has 1. None: :data:`DEFAULT_VOTES`, ``{"time": 0.5, "fft": 0.5, "embedding": 2, "cycle": 2,
        "subspace": 2}``: the two rebuild heads read one reconstruction pass (``evaluation.cycle_level_choice``:
        mean dev VUS-PR 0.406 against 0.385 with equal votes), and the heads that compare the series with the fit
        data's own shapes count twice (``evaluation.votes_subspace_choice``: 0.523 against 0.492). ``{}`` counts
        every head alike. Saved detectors keep the votes they were fit with.
    """

    allow_nan = True

    def __init__(self, heads=DEFAULT_HEADS, combine: str = "auto", window: int = 512, stride: Optional[int] = None,
                 horizon: int = 16, smoothing: int = 32, mask: str = "spread", error: str = "squared",
                 contamination: float = 0.1, fine_tune: bool = False,
                 fine_tune_steps: int = 100, fine_tune_batch_size: int = 32, learning_rate: float = 1e-4,
                 weights=None, batch_size: int = 512, random_state: Optional[int] = None, device: str = "cpu",
                 precision: str = "float32", verbose: bool = False, season_length: Optional[int] = None,
                 forecast_history: Optional[int] = None, rebuild_scale: str = "window",
                 history_network: str = "auto", power: float = 3.0, votes: Optional[dict] = None):
        self.heads = heads
        self.combine = combine
        self.window = window
        self.stride = stride
        self.horizon = horizon
        self.smoothing = smoothing
        self.mask = mask
        self.error = error
        self.contamination = contamination
        self.fine_tune = fine_tune
        self.fine_tune_steps = fine_tune_steps
        self.fine_tune_batch_size = fine_tune_batch_size
        self.learning_rate = learning_rate
        self.weights = weights
        self.batch_size = batch_size
        self.random_state = random_state
        self.device = device
        self.precision = precision
        self.verbose = verbose
        self.season_length = season_length
        self.forecast_history = forecast_history
        self.rebuild_scale = rebuild_scale
        self.history_network = history_network
        self.power = power
        self.votes = votes

    # checks ----------------------------------------------------------------------------------------
    def _heads(self) -> tuple:
        if isinstance(self.heads, str):
            heads = (self.heads,)
        elif isinstance(self.heads, (list, tuple)):
            heads = tuple(self.heads)
        else:  # sets have no order, and the column order of score_heads must not depend on hashing
            raise TsheadsError(f"heads must be a head name or a list/tuple of names from {HEAD_NAMES}, "
                               f"got {self.heads!r}")
        if not heads or any(h not in HEAD_NAMES for h in heads) or len(set(heads)) != len(heads):
            raise TsheadsError(f"heads must be distinct names from {HEAD_NAMES}, got {self.heads!r}")
        return heads

    def _min_length(self) -> int:
        heads = self._heads()
        if self.combine not in COMBINE_RULES and self.combine not in heads:
            raise TsheadsError(f"combine must be one of {COMBINE_RULES} or a head in {heads}, got {self.combine!r}")
        check_positive_int(self.window, "window")
        if not 16 <= self.window <= 512:
            raise TsheadsError(f"window must be between 16 and the model's 512 points, got {self.window}")
        if self.stride is not None:
            check_positive_int(self.stride, "stride")
            if self.stride > self.window:
                raise TsheadsError(f"stride ({self.stride}) must not exceed window ({self.window}): "
                                   "points between windows would go unscored")
        check_positive_int(self.horizon, "horizon")
        if self.horizon > 96:
            raise TsheadsError(f"horizon must be at most the forecast head's 96 steps, got {self.horizon}")
        check_positive_int(self.smoothing, "smoothing")
        if self.mask not in MASK_LAYOUTS:
            raise TsheadsError(f"mask must be one of {MASK_LAYOUTS}, got {self.mask!r}")
        if self.error not in ERRORS:
            raise TsheadsError(f"error must be one of {ERRORS}, got {self.error!r}")
        if self.season_length is not None:
            check_positive_int(self.season_length, "season_length")
            if self.season_length < MIN_PERIOD:
                raise TsheadsError(f"season_length must be at least {MIN_PERIOD} points (a whole cycle the cycle "
                                   f"head compares), got {self.season_length}")
        if self.forecast_history is not None:
            check_positive_int(self.forecast_history, "forecast_history")
            if not MIN_HISTORY <= self.forecast_history <= 512:
                raise TsheadsError(f"forecast_history must be between {MIN_HISTORY} and the model's 512 points "
                                   f"(or None for the whole window), got {self.forecast_history}")
        if not isinstance(self.fine_tune, (bool, np.bool_)):
            raise TsheadsError(f"fine_tune must be True or False, got {self.fine_tune!r}")
        if self.rebuild_scale not in REBUILD_SCALES:
            raise TsheadsError(f"rebuild_scale must be one of {REBUILD_SCALES}, got {self.rebuild_scale!r}")
        if self.history_network not in HISTORY_NETWORKS:
            raise TsheadsError(f"history_network must be one of {HISTORY_NETWORKS}, got {self.history_network!r}")
        if not _is_power(self.power):
            raise TsheadsError(f"power must be a number from 1 to {MAX_POWER:g}, got {self.power!r}")
        self._votes()
        self._check_model_params()
        return 2

    def _bundled_name(self, window: Optional[int] = None) -> str:
        """The bundled network for a ``window`` (default ``self.window``; a fit cuts it to the fit data): the
        short-window one where it ships, the window is routed to it and every row fits its context."""
        from ..pretrained import DEFAULT, DETECT_SHORT_WINDOW, SHORT, SHORT_CONTEXT, ships

        window = self.window if window is None else window
        fits = window <= DETECT_SHORT_WINDOW and (self.forecast_history or 0) <= SHORT_CONTEXT
        return SHORT if fits and ships(SHORT) else DEFAULT

    def _network_for(self, window: int):
        """The network that scores with this (effective) window: ``weights``, else the bundled one it selects."""
        name = None if self.weights is not None else self._bundled_name(window)
        return self._checked_model(self._pretrained(name), window)

    def _history_network(self, window: int):
        """The network for the history heads' rows its context holds (embedded subsequences; forecast
        histories of at most its context) beside the one the (effective) ``window`` selects: the bundled short
        one under ``history_network="auto"`` where it ships, the weights are the bundled ones and nothing is
        fine-tuned; else None (the window's network scores every row)."""
        from ..pretrained import SHORT, SHORT_CONTEXT, ships

        heads = self._heads()
        history = self.forecast_history
        used = "embedding" in heads or ("forecast" in heads and history is not None and history <= SHORT_CONTEXT)
        if self.history_network != "auto" or self.fine_tune or not used:
            return None
        if self.weights is not None:  # a saved detector's model: the history network saved beside it, if any
            return self._saved_history_network()
        if not ships(SHORT) or self._bundled_name(window) == SHORT:
            return None
        return self._pretrained(SHORT)

    def _saved_history_network(self):
        """The history network saved beside ``weights`` (checked, cached), or None where there is none."""
        stem = _history_stem(self.weights)
        if not stem.with_name(stem.name + ".json").is_file():
            return None
        cache = self.__dict__.setdefault("_history_cache", {})
        if (str(stem), self.device) not in cache:
            cache[(str(stem), self.device)] = _load_history_network(stem, self._pretrained(), self.device)
        return cache[(str(stem), self.device)]

    def _checked_model(self, model, window: Optional[int] = None):
        """``model``, once its context holds the (effective) ``window`` and ``forecast_history`` and its head
        ``horizon``."""
        window = self.window if window is None else window
        context = model.config.context_length
        limits = (("window", window, context), ("forecast_history", self.forecast_history, context),
                  ("horizon", self.horizon, model.config.horizon))
        for name, value, most in limits:
            if value is not None and value > most:
                what = "forecast head's horizon" if name == "horizon" else "context"
                raise TsheadsError(f"{name}={value} exceeds the {most}-point {what} of the model in use "
                                   f"({_model_source(self, model, window)}): pass {name} <= {most}")
        return model

    # fitting ---------------------------------------------------------------------------------------
    def fit(self, X, y=None):
        """Calibrate each head on ``X`` (normal data); ``y`` (0/1 per step) only for ``combine="supervised"``.

        Parameters
        ----------
        X : array_like, pandas.Series or pandas.DataFrame
            One series: 1-D, or ``(T, C)`` / a wide frame with one column per channel; NaN allowed.
        y : array_like, optional
            0/1 anomaly labels per time step, used only by ``combine="supervised"`` (ignored otherwise).

        Returns
        -------
        self : TriangulationDetector
            The fitted detector.
        """
        self._fit_labels = y
        try:
            return super().fit(X)
        finally:
            del self._fit_labels

    def _dense_bank(self) -> bool:
        """Whether the embedding head's bank is denser than its scored grid (built apart: :meth:`_bank`)."""
        return "embedding" in self._heads() and BANK_STRIDE != EMBED_STRIDE

    @contextmanager
    def _shared_rows(self):
        """Within: network rows are kept (:class:`RowCache`) when ``combine="probe"``, whose copies of the fit
        data share most windows with it, so those go through the network once; else, with a dense bank, the
        embedding rows (the scored subsequences of the fit data are bank subsequences too)."""
        self.__dict__["_row_cache"] = RowCache() if self.combine == "probe" else \
            RowCache(passes=("embed",)) if self._dense_bank() else None
        try:
            yield
        finally:
            del self.__dict__["_row_cache"]

    def _fit_series(self, x: np.ndarray, observed: np.ndarray) -> dict:
        with self._shared_rows():
            return self._fit_series_cached(x, observed)

    def _fit_series_cached(self, x: np.ndarray, observed: np.ndarray) -> dict:
        self.__dict__.pop("model_", None)  # a refit starts from the pretrained (or given) weights again
        self.power_ = float(self.power)
        self.votes_ = self._votes()
        self.window_ = effective_window(self.window, x.shape[1], self._pretrained().config.patch_length)
        name = self._bundled_name(self.window_) if self.weights is None else None
        model = self._checked_model(self._load(name) if self.fine_tune else self._pretrained(name), self.window_)
        self.fit_history_ = self._tune(model, x, observed) if self.fine_tune else []
        self.model_ = model
        self.history_model_ = self._history_network(self.window_)
        heads = self._heads()
        self.embedding_bank_ = self.embedding_bank_starts_ = None
        self.fit_length_, self.fit_digest_ = x.shape[1], _digest(x, observed)
        self.smoothing_width_ = None
        self.smoothing_width_ = self._smoothing()
        self.coarse_factor_ = COARSE_FACTOR if "coarse" in heads else None
        outputs = self._outputs(x, observed)
        if "embedding" in heads:  # the fit data's subsequences are the bank of normal shapes
            starts, emb = self._bank(x, observed) if self._dense_bank() else outputs["embedding"]
            scored = outputs["embedding"][0]
            if max(starts.max() - scored.min(), scored.max() - starts.min()) < EMBED_WIDTH:
                # no scored subsequence has a bank entry it does not overlap: the scored ones are the bank, whose
                # span (under a subsequence) keeps the head flat (head_deviations), as before the bank grew denser
                starts, emb = outputs["embedding"]
            keep = thinned(np.arange(len(emb)), MAX_BANK)  # a dense bank comes thinned already
            self.embedding_bank_ = emb[keep].astype(np.float32)
            self.embedding_bank_starts_ = starts[keep]
        self.cycle_period_ = self.cycle_bank_ = self.cycle_bank_starts_ = None
        self.cycle_level_free_ = bool(LEVEL_FREE_CYCLES)
        if "cycle" in heads:
            self.cycle_period_ = fit_period(x, observed, self.season_length)
            if self.cycle_period_ is not None:
                self.cycle_bank_, self.cycle_bank_starts_ = cycle_bank(x, observed, self.cycle_period_)
        self.subspace_mean_ = self.subspace_directions_ = self.subspace_fitted_ = None
        self.subspace_level_free_ = bool(SUBSPACE_LEVEL_FREE)
        self.subspace_halves_ = bool(SUBSPACE_HALVES)
        width = subspace_width(x, observed, self.season_length) if "subspace" in heads else None
        if width is not None:
            self.subspace_mean_, self.subspace_directions_, self.subspace_fitted_ = fit_subspace(
                x, observed, width, self.subspace_level_free_)
        scored_cycles = []
        smoothed = self._smoothed_deviations(x, observed, outputs, fit_data=True, scored_cycles=scored_cycles)
        self.cycle_fit_cycles_ = scored_cycles[0] if scored_cycles else None
        self.cycle_count_ranks_ = bool(COUNT_FIT_CYCLES)
        self.head_calibration_ = dict(zip(heads, Calibration.fit_each([smoothed[h] for h in heads])))
        calibrated = {h: self.head_calibration_[h](smoothed[h]) for h in heads}
        self.head_reference_ = reference_levels(np.stack([calibrated[h] for h in heads]))  # (H, C, R)
        summary = np.stack([calibrated[h].max(0) for h in heads])  # (H, T): channel-max per head
        self.head_weights_ = dict(zip(heads, agreement_weights(summary).tolist()))
        self.combine_ = self._resolve_rule(calibrated, heads)
        self.probe_quality_ = self._probe_quality(x, observed) if self.combine_ == "probe" else None
        return self._assemble(calibrated)

    def _probe_quality(self, x, observed) -> Optional[dict]:
        """Each head's average precision on anomalies planted in copies of the fit data (``combine="probe"``).

        The copies are scored as the fit data is (against its banks, leaving out the entries that overlap), with
        the heads' fit calibrations;
        their windows go through the network together, so windows that no planted anomaly touches are
        computed once. None when the fit data is too short for a copy (the heads then weigh the same).
        """
        copies = probe_copies(x, observed, self.cycle_period_, PROBE_COPIES, self._seed)
        if not copies:
            return None
        ready = self.__dict__.get("_precomputed", {})  # detect sends the copies of many series together
        keys = [(_digest(y, observed), self.window_) for y, _ in copies]
        outputs = [ready[k] for k in keys] if all(k in ready for k in keys) else \
            self._model_outputs([y for y, _ in copies], [observed] * len(copies), self.window_)
        quality = {h: [] for h in self._heads()}
        for (y, labels), out in zip(copies, outputs):
            for h, v in self._smoothed_deviations(y, observed, out, fit_data=True).items():
                quality[h].append(separation(labels, self.head_calibration_[h](v).max(0)))
        return {h: float(np.mean(v)) for h, v in quality.items()}

    def _probe_parts(self, x, observed) -> list:
        """The probe copies a fit on ``x`` (scaled fit data) will score, as ``(values, observed)`` pairs."""
        if self.combine != "probe" or x.shape[1] < MIN_PROBE_LENGTH:
            return []
        period = fit_period(x, observed, self.season_length) if "cycle" in self._heads() else None
        return [(y, observed) for y, _ in probe_copies(x, observed, period, PROBE_COPIES, self._seed)]

    def _probe_weights(self, heads: list) -> Optional[np.ndarray]:
        """Weights of ``heads`` under ``combine="probe"``: their probe quality, or, with none (fit data too short
        for a probe copy, or no head found a planted anomaly), ``auto``'s (:meth:`_auto_weights`)."""
        quality = self.__dict__.get("probe_quality_")
        if quality is None:
            return self._auto_weights(heads)
        weights = np.array([quality[h] for h in heads], dtype=np.float64)
        return weights if weights.sum() > 0 else self._auto_weights(heads)

    def _tune(self, model, x, observed) -> list:
        from ..training import fine_tune
        from ..windows import Windows

        t = x.shape[1]
        future_len = max(1, min(model.config.horizon, t // 2))
        ends = np.arange(min(8, t - future_len), t - future_len + 1, max(1, (t - future_len) // 2000))
        past_pos = ends[:, None] + np.arange(-self.window_, 0)[None, :]
        fut_pos = ends[:, None] + np.arange(future_len)[None, :]

        def take(pos):
            inside = pos >= 0
            safe = np.clip(pos, 0, t - 1)
            return (np.where(inside[:, None], x[:, safe].transpose(1, 0, 2), 0.0).astype(np.float32),
                    inside[:, None] & observed[:, safe].transpose(1, 0, 2))

        past, past_obs = take(past_pos)
        future, future_obs = take(fut_pos)
        windows = Windows(past, past_obs, future, future_obs, np.zeros(len(ends), dtype=np.int64))
        return fine_tune(model, windows, "all", self.fine_tune_steps, self.fine_tune_batch_size, self.learning_rate,
                         self._seed, self.verbose, objective="masked")

    def _resolve_rule(self, calibrated: dict, heads: tuple) -> str:
        if self.combine != "supervised":
            return self.combine
        y = self._fit_labels
        if y is None:
            raise TsheadsError("combine='supervised' needs labels: fit(X, y) with y = 0/1 per time step of X")
        y = np.asarray(y)
        if y.shape != (calibrated[heads[0]].shape[1],) or not np.isin(y, (0, 1)).all():
            raise TsheadsError(f"y must hold one 0/1 label per time step of X ({calibrated[heads[0]].shape[1]}), "
                               f"got shape {y.shape}")
        if y.min() == y.max():
            raise TsheadsError("combine='supervised' needs both normal and anomalous steps in y")
        from ..metrics.anomaly import auc_pr

        candidates = list(heads) + list(SUPERVISED_CANDIDATES)
        quality = {rule: auc_pr(y, self._assemble(calibrated, rule)["score"].max(0)) for rule in candidates}
        self.supervised_quality_ = quality
        return max(candidates, key=lambda r: quality[r])

    # scoring ---------------------------------------------------------------------------------------
    def _outputs(self, x, observed, origin: int = 0) -> dict:
        """The network's outputs for one scaled series (:func:`~tsheads.scoring.heads.model_outputs`).

        ``detect`` runs the network over many series at once and hands each series' detector its outputs
        (``_precomputed``, keyed by :func:`_digest` of the scaled arrays); otherwise they are computed here.
        """
        ready = None if origin else self._ready(x, observed)
        if ready is not None:
            return ready
        return self._model_outputs([x], [observed], self.window_, origin=origin)[0]

    def _ready(self, x, observed, *kind):
        """What ``detect`` precomputed for this scaled series (keyed ``(digest, window_, *kind)``: ``kind`` empty
        for :meth:`_outputs`, ``"bank"``, or ``"coarse"`` and the coarse window), or None."""
        return self.__dict__.get("_precomputed", {}).get((_digest(x, observed), self.window_, *kind))

    def _bank(self, x, observed) -> tuple:
        """The fit data's subsequences every ``BANK_STRIDE`` points (:func:`~tsheads.scoring.heads.bank_embeddings`),
        from ``detect``'s shared passes when it sent them."""
        ready = self._ready(x, observed, "bank")
        return ready if ready is not None else self._bank_outputs([x], [observed], self.window_)[0]

    def _bank_outputs(self, xs, observeds, window: int, model=None, history_model=None) -> list:
        """:func:`~tsheads.scoring.heads.bank_embeddings` of these scaled fit series, networks as in
        :meth:`_model_outputs`."""
        if model is None:
            model, history_model = self._model(), self.__dict__.get("history_model_")
        return bank_embeddings(self._checked_model(model, window), Packed.of(xs, observeds), self._network_heads(),
                               stride=BANK_STRIDE, forecast_history=self.forecast_history,
                               batch_size=self.batch_size, precision=self.precision,
                               cache=self.__dict__.get("_row_cache"), history_model=history_model)

    def _model_outputs(self, xs, observeds, window: int, origin: int = 0, model=None, history_model=None) -> list:
        """:func:`model_outputs` of ``model`` and ``history_model`` for these scaled series (default: the fitted
        networks, else the pretrained one for every head)."""
        if model is None:
            model, history_model = self._model(), self.__dict__.get("history_model_")
        model = self._checked_model(model, window)
        return model_outputs(model, Packed.of(xs, observeds), self._network_heads(), window=window,
                             stride=self._stride(window), horizon=self.horizon, layout=self.mask,
                             forecast_history=self.forecast_history,
                             batch_size=self.batch_size, precision=self.precision, origin=origin,
                             cache=self.__dict__.get("_row_cache"), relative=self.rebuild_scale == "window",
                             history_model=history_model)

    def _stride(self, window: int) -> int:
        """Step between the reconstruction windows of ``window`` points (or blocks): ``stride``, at most the window;
        None: half the window."""
        return min(self.stride, window) if self.stride else max(1, window // 2)

    def _smoothing(self) -> int:
        """Width of the moving average: ``smoothing``, at most an eighth of the fit data's length.

        The threshold is a quantile of the fit data's smoothed scores, which hold about ``fit length / width``
        independent values; with fewer than eight the quantile is a guess and later data crosses it far more
        often than ``contamination`` says (random walks of 120 points, fit on 60, contamination 0.1: 48 % of
        the rest flagged with width 30, 38 % with 7). A wider window also gives a short series plateaus of
        tied scores. Fit data of 256 points or more keep the full ``smoothing`` (32 by default).
        """
        width = self.__dict__.get("smoothing_width_")  # fixed at fit (files saved before it used fit length // 2)
        return width if width is not None else max(1, min(self.smoothing, self.fit_length_ // 8))

    def _smoothed_deviations(self, x, observed, outputs: dict, fit_data: bool = False, origin: int = 0,
                             begins_with_fit: Optional[bool] = None, scored_cycles: Optional[list] = None) -> dict:
        """Smoothed deviations per head; ``origin``/``begins_with_fit`` for the tail of a longer series;
        ``scored_cycles``: a list that gets the cycle head's count of independent fit cycles per channel (see
        :meth:`_cycle_deviations`)."""
        banks = self.embedding_bank_ is not None or self.cycle_bank_ is not None or self._subspace_width() is not None
        starts_fit = not fit_data and banks and (
            begins_with_fit if begins_with_fit is not None else self._begins_with_fit(x, observed))
        # the fit data is scored against the bank as kept (float32), so rescoring it later agrees
        raw = head_deviations(outputs, x.shape[1], self._network_heads(), bank=self.embedding_bank_,
                              bank_starts=self.embedding_bank_starts_, begins_with_fit=fit_data or starts_fit,
                              origin=origin)
        if "cycle" in self._heads():
            raw["cycle"] = self._cycle_deviations(x, observed, fit_data, origin, starts_fit, scored_cycles)
        if "coarse" in self._heads():
            raw["coarse"] = self._coarse(x, observed, origin)
        if "subspace" in self._heads():
            raw["subspace"] = self._subspace(x, observed, origin, fit_data or starts_fit)
        raw = {h: raw[h] for h in self._heads()}
        power = 2 if self.error == "squared" else 1
        # deviations are in units of the fit data's peak (see BaseDetector._as_array); the cap keeps sums of
        # squares of absurd outliers finite
        return {h: fill_undefined(moving_average(np.minimum(v, 1e100) ** power, self._smoothing()),
                                  None if fit_data else self.head_calibration_[h].loc)
                for h, v in raw.items()}

    def _coarse_window(self) -> Optional[int]:
        """Blocks per window of the coarse head: the window cut to the fit data's blocks
        (:func:`effective_window`); None (the head is flat) without the head or with fewer than
        :data:`~tsheads.scoring.coarse.MIN_COARSE_BLOCKS` fit blocks."""
        factor = self.__dict__.get("coarse_factor_")
        if factor is None:
            return None
        return coarse_window(self.window, self.fit_length_, factor, self.model_.config.patch_length)

    def _coarse(self, x, observed, origin: int = 0) -> np.ndarray:
        """The coarse head's raw deviations ``(C, T)`` of a scaled series (``detect`` sends them precomputed)."""
        window = self._coarse_window()
        if window is None:
            return np.zeros(x.shape)
        ready = None if origin else self._ready(x, observed, "coarse", window)
        if ready is not None:
            return ready
        return self._coarse_outputs([x], [observed], window, self.coarse_factor_, origin=origin)[0]

    def _coarse_outputs(self, xs, observeds, window: int, factor: int, origin: int = 0, model=None) -> list:
        """:func:`~tsheads.scoring.coarse.coarse_deviations` of these scaled series on ``model`` (default: the
        fitted network, which a saved detector keeps; its context holds the coarse window, which is at most the
        fit's)."""
        if model is None:
            model = self.model_
        return coarse_deviations(self._checked_model(model, window), xs, observeds, factor=factor, window=window,
                                 stride=self._stride(window), origin=origin, layout=self.mask,
                                 batch_size=self.batch_size, precision=self.precision,
                                 cache=self.__dict__.get("_row_cache"),
                                 relative=self.rebuild_scale == "window")

    def _subspace_width(self) -> Optional[int]:
        """The subspace head's window, None when it is flat (or not used)."""
        mean = self.__dict__.get("subspace_mean_")
        return None if mean is None else mean.shape[-1]

    def _subspace(self, x, observed, origin: int = 0, begins_with_fit: bool = False) -> np.ndarray:
        """The subspace head's raw deviations ``(C, T)`` (:mod:`tsheads.scoring.subspace`); flat (0) when the fit
        data was too short for its window, and in a channel whose gaps left it under two whole fit windows.
        ``begins_with_fit``: the fit data's windows are scored as at fit."""
        if self._subspace_width() is None:
            return np.zeros(x.shape)
        out = subspace_deviations(x, observed, self.subspace_mean_, self.subspace_directions_, origin,
                                  self.fit_length_ if begins_with_fit else None, self.subspace_level_free_,
                                  self.__dict__.get("subspace_halves_", False))
        out[~self.subspace_fitted_] = 0.0
        return out

    def _network_heads(self) -> tuple:
        return tuple(h for h in self._heads() if h in SCORE_HEADS)

    def _cycle_deviations(self, x, observed, fit_data: bool, origin: int, begins_with_fit: bool,
                          scored_cycles: Optional[list] = None):
        """The cycle head's raw deviations ``(C, T)``; flat (0) when the fit data showed no usable cycle, and in a
        channel where no fit cycle could be scored (gaps everywhere): its calibration would have no spread, and
        every later cycle would score far beyond it.

        ``scored_cycles``: this is the fit itself; the list gets the count per channel of scored cycles that do
        not overlap (:func:`~tsheads.scoring.cycles.independent_cycles`), which the flat channels come from."""
        period = self.cycle_period_
        if period is None:
            return np.zeros(x.shape)
        starts, windows = cycles(x, observed, period, origin)
        # the fit data is scored against the bank as kept (float32), so rescoring it later agrees
        begins = True if fit_data else begins_with_fit
        distances = cycle_distances(starts, windows, period, self.cycle_bank_, self.cycle_bank_starts_, begins, origin,
                                    level_free=self.__dict__.get("cycle_level_free_", False))
        if scored_cycles is not None:
            scored_cycles.append(independent_cycles(starts, distances, period))
        counts = scored_cycles[-1] if scored_cycles else self.__dict__.get("cycle_fit_cycles_")
        points = windows_to_points(starts, distances, x.shape[1], period)
        if counts is not None:  # None: saved before the count, when such channels were scored as they came
            points[np.asarray(counts) == 0] = 0.0
        return points

    def _begins_with_fit(self, x, observed) -> bool:
        """Whether the (scaled) series ``x`` begins with the fit data."""
        return x.shape[1] >= self.fit_length_ and \
            _digest(x[:, :self.fit_length_], observed[:, :self.fit_length_]) == self.fit_digest_

    def _assemble(self, calibrated: dict, rule: Optional[str] = None) -> dict:
        """Per-channel combined score plus one channel-max column per head."""
        rule = rule or self.combine_
        heads = list(calibrated)
        stacked = np.stack([calibrated[h] for h in heads])  # (H, C, T)
        if rule in heads:
            score = stacked[heads.index(rule)]
        elif rule == "auto":
            score = reference_rank_mean(stacked, self.head_reference_, power=self._power(),
                                        weights=self._auto_weights(heads), sizes=self._reference_sizes(heads))
        elif rule == "probe":
            score = reference_rank_mean(stacked, self.head_reference_, weights=self._probe_weights(heads),
                                        power=self._power(), sizes=self._reference_sizes(heads))
        elif rule == "fisher":
            score = reference_tail_evidence(stacked, self.head_reference_)
        elif rule == "rank":
            score = combine(stacked, "rank")
        elif rule == "agreement":
            score = combine(stacked, "weighted", [self.head_weights_[h] for h in heads])
        else:
            score = combine(stacked, rule)
        return {"score": score, **{f"score_{h}": calibrated[h].max(0) for h in heads}}

    def _reference_sizes(self, heads: list) -> Optional[np.ndarray]:
        """``(H, C)`` independent fit scores behind each head's reference: the cycle head's fit cycles that do not
        overlap, many (``inf``) for the others; None when the ranks are not scaled (``COUNT_FIT_CYCLES`` off at
        fit, detectors fitted before, or no usable cycle)."""
        counts = self.__dict__.get("cycle_fit_cycles_")
        if counts is None or "cycle" not in heads or not self.__dict__.get("cycle_count_ranks_", False):
            return None
        sizes = np.full((len(heads), len(counts)), np.inf)
        sizes[heads.index("cycle")] = [n if n > 0 else np.inf for n in counts]  # none scored: the head is flat
        return sizes

    def _votes(self) -> dict:
        """Each used head's vote from ``votes`` (None: :data:`DEFAULT_VOTES`); TsheadsError if malformed."""
        given = DEFAULT_VOTES if self.votes is None else self.votes
        heads = self._heads()
        if not isinstance(given, dict) or not set(given) <= set(HEAD_NAMES) \
                or not all(_is_vote(v) for v in given.values()):
            raise TsheadsError(f"votes must map head names {HEAD_NAMES} to non-negative numbers, got {given!r}")
        votes = {h: float(given.get(h, 1.0)) for h in heads}
        if not any(votes.values()):
            raise TsheadsError(f"votes must give at least one of the heads {heads} a positive vote, got {given!r}")
        return votes

    def _auto_weights(self, heads: list) -> Optional[list]:
        """The heads' votes fixed at fit, for ``reference_rank_mean``; None (equal) when they are all alike, as
        for detectors fitted before votes existed."""
        votes = self.__dict__.get("votes_")
        return None if votes is None else vote_weights(votes, heads)

    def _power(self) -> float:
        """The power mean's exponent fixed at fit (``threshold_`` was set with it); 1 for detectors fitted before."""
        return self.__dict__.get("power_", 1.0)

    def _channel_scores(self, x, observed, origin: int = 0, begins_with_fit: Optional[bool] = None) -> dict:
        """Scores of ``x`` (scaled ``(C, L)``); ``origin``/``begins_with_fit``: ``x`` is the tail of a longer series."""
        smoothed = self._smoothed_deviations(x, observed, self._outputs(x, observed, origin), origin=origin,
                                             begins_with_fit=begins_with_fit)
        return self._assemble({h: self.head_calibration_[h](smoothed[h]) for h in self._heads()})

    # streaming -------------------------------------------------------------------------------------
    def stream(self, history) -> "DetectorStream":
        """A scorer of points as they arrive after ``history`` (the series so far, often the fit data).

        ``stream.update(new)`` returns the scores of the new points, the same as
        ``decision_function(history + everything so far)[-len(new):]``, computed from a bounded tail.

        Parameters
        ----------
        history : array_like, pandas.Series or pandas.DataFrame
            The series up to now, with the fit data's channels (at least one point).

        Returns
        -------
        DetectorStream
        """
        from .anomaly_stream import DetectorStream

        return DetectorStream(self, history)

    def _stream_memory(self) -> int:
        """Points a stream keeps before the new ones: enough for every window, forecast and smoothing."""
        half = self._smoothing()
        history = max(self.window_, self.forecast_history or 0)
        coarse = self._coarse_window()
        if coarse is not None:  # every window of blocks that rebuilds a new point, and the block before them
            history = max(history, (coarse + 1) * self.coarse_factor_)
        shapes = max(EMBED_WIDTH, self.cycle_period_ or 0, self._subspace_width() or 0)
        return history + self.horizon + shapes + half + 1

    def _extra_columns(self) -> list:
        return [f"score_{h}" for h in self._heads()]

    def _check_detect(self) -> None:
        if self.combine == "supervised":
            raise TsheadsError("detect fits each series without labels, so combine='supervised' cannot choose; "
                               "fit(X, y) on labelled data and use the chosen rule (combine_) instead")

    def _detect_series(self, series: list, n_fit: list):
        """Series go through the network together, a group at a time (the fit part and the whole series of
        each); each series' detector then fits and scores from its share of the outputs, as it would alone."""
        if self.fine_tune:  # every series tunes its own network
            yield from super()._detect_series(series, n_fit)
            return
        # the networks each series' fit will load (by its effective window), never a fitted model_
        patch, params = self._pretrained().config.patch_length, self.get_params(deep=False)
        dense_bank, coarse_head = self._dense_bank(), "coarse" in self._heads()
        for group in _groups([len(v) for v in series], DETECT_GROUP_POINTS):
            by_window, fit_parts, by_coarse = {}, {}, {}
            for i in group:
                x, observed = as_channels(series[i], allow_nan=True)
                scale = peak_scale(x[:, :n_fit[i]])
                window = effective_window(self.window, n_fit[i], patch)
                coarse = coarse_window(self.window, n_fit[i], COARSE_FACTOR, patch) if coarse_head else None
                fit_part = (x[:, :n_fit[i]] / scale, observed[:, :n_fit[i]])
                fit_parts.setdefault(window, {}).setdefault(_digest(*fit_part), fit_part)
                for part in (fit_part, (x / scale, observed), *self._probe_parts(*fit_part)):
                    by_window.setdefault(window, {}).setdefault(_digest(*part), part)
                    if coarse is not None:  # on the series' own network (the fit window's)
                        by_coarse.setdefault((window, coarse), {}).setdefault(_digest(*part), part)
            with self._shared_rows():
                networks = {w: (self._network_for(w), self._history_network(w)) for w in by_window}
                outputs = {}
                if dense_bank:  # the fit parts' banks, in shared passes too (first: the scored rows reuse theirs)
                    outputs.update({(key, window, "bank"): bank for window, arrays in fit_parts.items()
                                    for key, bank in zip(arrays, self._bank_outputs(
                                        *zip(*arrays.values()), window, model=networks[window][0],
                                        history_model=networks[window][1]))})
                outputs.update({(key, window): out for window, arrays in by_window.items()
                                for key, out in zip(arrays, self._model_outputs(
                                    *zip(*arrays.values()), window, model=networks[window][0],
                                    history_model=networks[window][1]))})
                outputs.update({(key, window, "coarse", coarse): out for (window, coarse), arrays in by_coarse.items()
                                for key, out in zip(arrays, self._coarse_outputs(
                                    *zip(*arrays.values()), coarse, COARSE_FACTOR, model=networks[window][0]))})
            for i in group:
                est = self._series_copy(params)
                est._precomputed = outputs
                try:
                    yield est, est._fit_and_score(series[i], n_fit[i])
                finally:
                    del est._precomputed

    def _series_copy(self, params: Optional[dict] = None):
        """An unfitted copy with ``params`` (default: this detector's; ``detect`` reads them once, as sklearn's
        clone reads them per copy, a millisecond a series). Copies share the loaded pretrained weights
        (read-only unless fine-tuning, which loads its own)."""
        est = type(self)(**(self.get_params(deep=False) if params is None else params))
        if not self.fine_tune:
            self._pretrained()
            est.__dict__["_pretrained_cache"] = self.__dict__.get("_pretrained_cache")
            est.__dict__["_history_cache"] = self.__dict__.setdefault("_history_cache", {})
        return est

    def score_heads(self, X) -> pd.DataFrame:
        """Calibrated score of each head (channel-max), one column per head, one row per time step.

        Parameters
        ----------
        X : array_like, pandas.Series or pandas.DataFrame
            One series with the fit data's channels.

        Returns
        -------
        pandas.DataFrame
            One column per head in ``heads`` order; ``X``'s index when ``X`` is a pandas object.
        """
        extras = self._score(X)["extras"]
        index = X.index if isinstance(X, (pd.Series, pd.DataFrame)) else None
        return pd.DataFrame({h: extras[f"score_{h}"] for h in self._heads()}, index=index)

    # persistence -----------------------------------------------------------------------------------
    def save(self, path) -> Path:
        """Write the model (``<path>.safetensors``) and the fitted calibration and params (``<path>.json``).

        With the embedding or the cycle head, the fit data's banks (embeddings, cycles) go to a third
        safetensors file next to them; a network for the history rows (``history_network="auto"``) goes to
        ``<path>.history.safetensors`` and ``<path>.history.json``.

        Parameters
        ----------
        path : str or path
            File stem; a ``.safetensors`` or ``.json`` suffix is dropped.

        Returns
        -------
        pathlib.Path
            The model's ``.safetensors`` file.
        """
        from sklearn.utils.validation import check_is_fitted

        from ..nn.weights import save_model

        check_is_fitted(self, "threshold_")
        params = {k: (v.item() if isinstance(v, np.generic) else v)  # numpy scalars are not JSON
                  for k, v in self.get_params().items() if k != "weights"}
        params["heads"] = list(self._heads())
        state = {
            "n_channels": self.n_channels_, "threshold": self.threshold_, "combine": self.combine_,
            "head_weights": self.head_weights_, "input_scale": self.input_scale_.ravel().tolist(),
            "feature_names": self.feature_names_in_, "fit_length": self.fit_length_, "fit_digest": self.fit_digest_,
            "head_calibration": {h: [c.loc.ravel().tolist(), c.scale.ravel().tolist()]
                                 for h, c in self.head_calibration_.items()},
            "channel_calibration": [self.channel_calibration_.loc.ravel().tolist(),
                                    self.channel_calibration_.scale.ravel().tolist()],
            "head_reference": self.head_reference_.tolist(),
            "cycle_period": self.cycle_period_, "smoothing_width": self._smoothing(),
            "probe_quality": self.__dict__.get("probe_quality_"),
            "embedding_grid": 1,  # subsequences on the fixed grid (files without it kept an end-aligned one)
            "history_network": self.__dict__.get("history_model_") is not None, "power": self._power(),
            "cycle_fit_cycles": self.__dict__.get("cycle_fit_cycles_"),
            "cycle_count_ranks": bool(self.__dict__.get("cycle_count_ranks_", False)),
            "cycle_level_free": bool(self.__dict__.get("cycle_level_free_", False)),
            "votes": self.__dict__.get("votes_"),
            "coarse_factor": self.__dict__.get("coarse_factor_"),
            "subspace_width": self._subspace_width(),
            "subspace_fitted": None if self._subspace_width() is None else self.subspace_fitted_.tolist(),
            "subspace_level_free": bool(self.__dict__.get("subspace_level_free_", False)),
            "subspace_halves": bool(self.__dict__.get("subspace_halves_", False)),
        }
        meta = {"estimator": type(self).__name__, "params": params, "state": state}
        if state["history_network"]:  # first, so a main file never names a history file that is not there
            save_model(self.history_model_, _history_stem(path), meta={"estimator": type(self).__name__,
                                                                       "part": "history network"})
        out = save_model(self.model_, path, meta=meta)
        banks = {}
        if self.embedding_bank_ is not None:
            banks.update(embedding_bank=self.embedding_bank_, starts=self.embedding_bank_starts_)
        if self.cycle_bank_ is not None:
            banks.update(cycle_bank=self.cycle_bank_, cycle_starts=self.cycle_bank_starts_)
        if self._subspace_width() is not None:
            banks.update(subspace_mean=self.subspace_mean_, subspace_directions=self.subspace_directions_)
        if banks:
            from safetensors.numpy import save_file

            from ..files import written_whole

            with written_whole([_bank_path(path)], "bank file") as (temp,):
                save_file({k: np.ascontiguousarray(v, dtype=np.int64 if "starts" in k else np.float32)
                           for k, v in banks.items()}, str(temp))
        if not state["history_network"]:  # one saved before under this name would be taken on a refit
            stem = _history_stem(path)
            for suffix in (".json", ".safetensors"):
                stem.with_name(stem.name + suffix).unlink(missing_ok=True)
        return out

    @classmethod
    def load(cls, path, device: str = "cpu") -> "TriangulationDetector":
        """Rebuild a saved detector; it scores exactly as the saved one did (files with the embedding head saved
        before its subsequences moved onto a fixed grid load with a warning: their embedding scores differ).

        Every inconsistency in the files raises :class:`~tsheads.errors.WeightsError`; nothing is unpickled.

        Parameters
        ----------
        path : str or path
            File stem; a ``.safetensors`` or ``.json`` suffix is dropped.
        device : str, default "cpu"
            Torch device to load the model onto.

        Returns
        -------
        TriangulationDetector
            The fitted detector.
        """
        from ..nn.weights import load_model, model_stem, read_config

        _, meta = read_config(path)
        try:
            if meta.get("estimator") != cls.__name__:
                raise ValueError(f"it holds a {meta.get('estimator')!r}")
            params, state = dict(meta["params"]), meta["state"]
            params.setdefault("rebuild_scale", "absolute")  # files saved before it existed were calibrated so
            params.setdefault("history_network", "window")  # files saved before it ran every head on one network
            params.setdefault("power", 1.0)  # files saved before it combined heads by their arithmetic mean
            params.setdefault("votes", {})  # files saved before votes counted every head alike
            est = cls(weights=str(model_stem(path)), **{**params, "heads": tuple(params["heads"]), "device": device})
            est._min_length()  # every parameter valid (and the device usable)
            heads = est._heads()
            c = int(state["n_channels"])
            est.n_channels_, est.threshold_, est.combine_ = c, float(state["threshold"]), str(state["combine"])
            est.head_weights_ = {str(k): float(v) for k, v in state["head_weights"].items()}
            est.input_scale_ = _column(state["input_scale"], c, positive=True)
            names = state["feature_names"]
            est.feature_names_in_ = None if names is None else [str(n) for n in names]
            est.fit_length_, est.fit_digest_ = int(state["fit_length"]), str(state["fit_digest"])
            if set(state["head_calibration"]) != set(heads) or set(est.head_weights_) != set(heads):
                raise ValueError(f"calibrations for {sorted(state['head_calibration'])}, heads {list(heads)}")
            est.head_calibration_ = {h: _calibration(state["head_calibration"][h], c) for h in heads}
            est.channel_calibration_ = _calibration(state["channel_calibration"], c)
            est.head_reference_ = _reference(state["head_reference"], len(heads), c)
            if not np.isfinite(est.threshold_) or c < 1 or est.combine_ not in (*COMBINE_RULES, *heads) \
                    or est.combine_ == "supervised":
                raise ValueError("threshold, channel count or combination rule out of range")
        except TsheadsError as exc:
            raise WeightsError(f"{path}: saved parameters are invalid ({exc})") from None
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise WeightsError(f"{path}: not a valid saved {cls.__name__} ({type(exc).__name__}: {exc})") from None
        est.model_ = load_model(path, device=device)
        est.window_ = effective_window(est.window, est.fit_length_, est.model_.config.patch_length)
        try:
            est._checked_model(est.model_, est.window_)
        except TsheadsError as exc:
            raise WeightsError(f"{path}: saved parameters do not fit its network ({exc})") from None
        est.history_model_ = None  # files saved before history_network scored every head on one network
        if state.get("history_network"):
            est.history_model_ = _load_history_network(_history_stem(path), est.model_, device)
        power = state.get("power", 1.0)  # files saved before it averaged the heads' ranks
        if not _is_power(power):
            raise WeightsError(f"{path}: saved power must be a number from 1 to {MAX_POWER:g}, got {power!r}")
        est.power_ = float(power)
        votes = state.get("votes")  # absent before votes: the heads counted alike
        if votes is not None and (not isinstance(votes, dict) or set(votes) != set(heads)
                                  or not all(_is_vote(v) for v in votes.values()) or not any(votes.values())):
            raise WeightsError(f"{path}: saved votes must give each head a non-negative number, got {votes!r}")
        est.votes_ = None if votes is None else {h: float(votes[h]) for h in heads}
        est.fit_history_ = []
        est.embedding_bank_ = est.embedding_bank_starts_ = None
        est.cycle_bank_ = est.cycle_bank_starts_ = None
        period = state.get("cycle_period")  # absent in files saved before the cycle head existed
        if period is not None and (isinstance(period, bool) or not isinstance(period, int) or period < MIN_PERIOD
                                   or period > est.fit_length_ or "cycle" not in heads):
            raise WeightsError(f"{path}: saved cycle_period must be an integer from {MIN_PERIOD} to the fit length "
                               f"with the cycle head, got {period!r}")
        width = state.get("smoothing_width")  # absent before it was saved: those files used fit length // 2
        if width is None:
            width = max(1, min(est.smoothing, est.fit_length_ // 2))
        if isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= max(1, est.smoothing):
            raise WeightsError(f"{path}: saved smoothing_width must be an integer from 1 to smoothing, got {width!r}")
        est.smoothing_width_ = width
        if "embedding" in heads and state.get("embedding_grid") is None:
            warnings.warn(f"{path} was saved before the embedding head's subsequences moved onto a fixed grid: its "
                          "embedding bank and calibration hold an end-aligned subsequence, so its embedding scores "
                          "differ from those it gave when saved (most near series ends); refit it to restore "
                          "them", UserWarning, stacklevel=2)
        quality = state.get("probe_quality")  # absent before the probe rule: never needed by those files
        if quality is not None and (not isinstance(quality, dict) or set(quality) != set(heads) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and 0.0 <= v <= 1.0 for v in quality.values())):
            raise WeightsError(f"{path}: saved probe_quality must map each head to a number in [0, 1]")
        if quality is None and est.combine_ == "probe" and est.fit_length_ >= MIN_PROBE_LENGTH:
            raise WeightsError(f"{path}: a detector fitted with combine='probe' on {est.fit_length_} points needs "
                               "its saved probe_quality")
        est.probe_quality_ = None if quality is None else {h: float(quality[h]) for h in heads}
        est.cycle_period_ = period
        factor = state.get("coarse_factor")  # absent before the coarse head existed
        if ("coarse" in heads) != (factor is not None) or (factor is not None and (
                isinstance(factor, bool) or not isinstance(factor, int) or factor < 2)):
            raise WeightsError(f"{path}: saved coarse_factor must be an integer of at least 2 with the coarse head "
                               f"(and absent without it), got {factor!r}")
        est.coarse_factor_ = factor
        counts = state.get("cycle_fit_cycles")  # absent before the count: those channels were scored as they came
        if counts is not None and (period is None or not isinstance(counts, list) or len(counts) != c or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts)):
            raise WeightsError(f"{path}: saved cycle_fit_cycles must be a count per channel (with a cycle_period), "
                               f"got {counts!r}")
        est.cycle_fit_cycles_ = counts
        est.cycle_count_ranks_ = state.get("cycle_count_ranks", False)  # absent before: never scaled
        est.cycle_level_free_ = state.get("cycle_level_free", False)  # absent before: levels compared too
        est.subspace_level_free_ = state.get("subspace_level_free", False)
        est.subspace_halves_ = state.get("subspace_halves", False)
        for key in ("cycle_count_ranks", "cycle_level_free", "subspace_level_free", "subspace_halves"):
            if not isinstance(state.get(key, False), bool):
                raise WeightsError(f"{path}: saved {key} must be true or false, got {state[key]!r}")
        banked = "embedding" in heads or period is not None or state.get("subspace_width") is not None
        tensors = _bank_tensors(path) if banked else {}  # the bank file, read once for every head that keeps one
        if "embedding" in heads:
            est.embedding_bank_, est.embedding_bank_starts_ = _load_bank(tensors, path, c, "embedding_bank", "starts")
        if period is not None:
            est.cycle_bank_, est.cycle_bank_starts_ = _load_bank(tensors, path, c, "cycle_bank", "cycle_starts",
                                                                 width=period, allow_nan=True)
        est.subspace_mean_, est.subspace_directions_, est.subspace_fitted_ = _load_subspace(tensors, path, state,
                                                                                            heads, c)
        return est


def coarse_window(window: int, fit_length: int, factor: int, patch: int) -> Optional[int]:
    """The coarse head's window (blocks) for fit data of ``fit_length`` points: :func:`effective_window` of its
    blocks; None when they are fewer than :data:`~tsheads.scoring.coarse.MIN_COARSE_BLOCKS`."""
    blocks = block_count(fit_length, factor)
    return effective_window(window, blocks, patch) if blocks >= MIN_COARSE_BLOCKS else None


def effective_window(window: int, fit_length: int, patch: int) -> int:
    """The window used: ``window``, cut to the fit data's length (whole patches) when that is shorter.

    A fit part shorter than the window would be scored as one left-padded window, while later data is
    scored in full windows; the reconstruction heads err differently in the two (on a noisy sine, fit on
    300 points, full windows put the fit part's median calibrated time score at 0.6 instead of 0), so the
    calibration would not carry over and the share flagged would jump with the fit length.
    """
    return max(patch, min(window, fit_length // patch * patch))


def _model_source(det, model, window: int) -> str:
    """Where ``det``'s network ``model`` (for this effective ``window``) came from, for messages."""
    if det.__dict__.get("model_") is model:
        return "the fitted model" if det.weights is None else f"the fitted model, from {det.weights}"
    return str(det.weights) if det.weights is not None else f"bundled {det._bundled_name(window)}"


def _reference(values, n_heads: int, n_channels: int) -> np.ndarray:
    """A saved ``head_reference_``: finite, sorted, ``(heads, channels, levels)``; ValueError otherwise."""
    ref = np.asarray(values, dtype=np.float64)
    if ref.ndim != 3 or ref.shape[:2] != (n_heads, n_channels) or ref.shape[2] < 1 \
            or not np.isfinite(ref).all() or (np.diff(ref, axis=-1) < 0).any():
        raise ValueError(f"head_reference must be sorted finite levels per head and channel, got shape {ref.shape}")
    return ref


def _groups(lengths: list, budget: int) -> list:
    """Consecutive runs of indices whose lengths sum to at most ``budget`` (a longer one goes alone)."""
    groups, current, total = [], [], 0
    for i, n in enumerate(lengths):
        if current and total + n > budget:
            groups.append(current)
            current, total = [], 0
        current.append(i)
        total += n
    return groups + [current] if current else groups


def _column(values, n: int, positive: bool = False) -> np.ndarray:
    """A saved per-channel vector as ``(n, 1)``, finite (and > 0 if ``positive``), else ValueError."""
    a = np.asarray(values, dtype=np.float64).reshape(-1, 1)
    if a.shape != (n, 1) or not np.isfinite(a).all() or (positive and (a <= 0).any()):
        raise ValueError(f"expected {n} finite{' positive' if positive else ''} value(s), got {values!r}")
    return a


def _calibration(pair, n: int) -> Calibration:
    return Calibration(_column(pair[0], n), _column(pair[1], n, positive=True))


def _digest(x: np.ndarray, observed: np.ndarray) -> str:
    """Fingerprint of (scaled) fit data, to recognise a scored series that begins with it."""
    import hashlib

    h = hashlib.sha256(np.ascontiguousarray(np.where(observed, x, 0.0)).tobytes())
    h.update(np.ascontiguousarray(observed).tobytes())
    return h.hexdigest()


def vote_weights(votes: dict, heads) -> Optional[list]:
    """``heads``' weights for :func:`~tsheads.scoring.combine.reference_rank_mean` from ``votes`` (a head not named:
    1); None when they are all alike, so an equal vote is exactly the plain mean."""
    weights = [float(votes.get(h, 1.0)) for h in heads]
    return None if len(set(weights)) == 1 else weights


def _is_vote(value) -> bool:
    """Whether ``value`` is a finite non-negative real number (a head's vote)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)) \
        and bool(np.isfinite(value)) and value >= 0


def _is_power(value) -> bool:
    """Whether ``value`` is a real number from 1 to :data:`MAX_POWER` (``power``, and the ``power_`` a file saves)."""
    return not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating)) \
        and 1.0 <= float(value) <= MAX_POWER


def _load_history_network(stem, model, device: str):
    """The history network saved at ``stem`` beside a detector's main ``model``; refuses a file that is not one
    (another model saved under that name, a different patch length, a shorter forecast head)."""
    from ..nn.weights import load_model, read_config

    _, meta = read_config(stem)
    history = load_model(stem, device=device)
    if meta.get("part") != "history network" or history.config.patch_length != model.config.patch_length \
            or history.config.horizon < model.config.horizon:
        raise WeightsError(f"{stem}.json is not the history network of the detector beside it (its part, patch "
                           f"length or horizon differ): save the detector again")
    return history


def _history_stem(path) -> Path:
    """Stem of the history rows' network saved beside a detector's main one (``history_network="auto"``)."""
    from ..nn.weights import model_stem

    stem = model_stem(path)
    return stem.with_name(stem.name + ".history")


def _bank_path(path) -> Path:
    from ..nn.weights import model_stem

    stem = model_stem(path)
    return stem.with_name(stem.name + ".bank.safetensors")


def _bank_tensors(path) -> dict:
    """The arrays of the bank file saved next to the model; never unpickles."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    file = _bank_path(path)
    if not file.is_file():
        raise WeightsError(f"{file} not found: a detector with the embedding, cycle or subspace head saves its "
                           "fit-data banks there")
    try:
        return load_file(str(file))
    except (SafetensorError, OSError, ValueError) as exc:
        raise WeightsError(f"{file} is not a valid bank file ({type(exc).__name__}: {exc})") from None


def _load_bank(tensors: dict, path, n_channels: int, name: str, starts_name: str, width: Optional[int] = None,
               allow_nan: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A head's normal bank (``name``) and its starts from the bank file's ``tensors`` (:func:`_bank_tensors`).

    ``width``: the entries' last dimension must be this (the cycle head's period); ``allow_nan``: NaN marks
    unobserved points (the cycle bank), infinities are still refused."""
    if name not in tensors or starts_name not in tensors:
        raise WeightsError(f"{_bank_path(path)} is not a valid bank file (no {name} or {starts_name})")
    bank, starts = tensors[name], tensors[starts_name]
    valid = (np.isfinite(bank) | np.isnan(bank)) if allow_nan else np.isfinite(bank)
    if bank.ndim != 3 or bank.shape[1] != n_channels or not valid.all() \
            or starts.shape != bank.shape[:1] or (width is not None and bank.shape[2] != width):
        raise WeightsError(f"{_bank_path(path)}: {name} must be a finite (entries, {n_channels}, "
                           f"{'dim' if width is None else width}) array with one start per entry")
    return bank, starts.astype(np.int64)


def _load_subspace(tensors: dict, path, state: dict, heads: tuple, n_channels: int) -> tuple:
    """The subspace head's saved means ``(3, C, width)``, directions ``(3, C, K, width)`` (from the bank file's
    ``tensors``) and fitted channels ``(C,)`` (:func:`~tsheads.scoring.subspace.fit_subspace`); all None when it
    is flat or not used (and in files saved before it existed)."""
    width = state.get("subspace_width")
    if width is not None and (isinstance(width, bool) or not isinstance(width, int) or width < 1
                              or "subspace" not in heads):
        raise WeightsError(f"{path}: saved subspace_width must be a positive integer with the subspace head, "
                           f"got {width!r}")
    if width is None:
        return None, None, None
    mean, directions = tensors.get("subspace_mean"), tensors.get("subspace_directions")
    if mean is None or directions is None or mean.shape != (3, n_channels, width) or directions.ndim != 4 \
            or directions.shape[:2] + directions.shape[3:] != (3, n_channels, width) \
            or not (np.isfinite(mean).all() and np.isfinite(directions).all()):
        raise WeightsError(f"{_bank_path(path)}: the subspace head needs a finite subspace_mean (3, {n_channels}, "
                           f"{width}) and subspace_directions (3, {n_channels}, K, {width})")
    fitted = state.get("subspace_fitted")
    if not isinstance(fitted, list) or len(fitted) != n_channels or not all(isinstance(f, bool) for f in fitted):
        raise WeightsError(f"{path}: saved subspace_fitted must be one true/false per channel with the subspace "
                           f"head, got {fitted!r}")
    return mean, directions, np.array(fitted, dtype=bool)


def detect(df, *, fit_fraction: Optional[float] = None, id_col: str = "unique_id", time_col: str = "ds",
           target_col="y", score_col: str = "anomaly_score", flag_col: str = "is_anomaly",
           threshold_col: Optional[str] = None, **params) -> pd.DataFrame:
    """Anomaly scores and flags for every series of a long frame, zero-shot.

    Shorthand for ``TriangulationDetector(**params).detect(df, ...)``; see
    :meth:`BaseDetector.detect <tsheads.estimators.detector_base.BaseDetector.detect>`.

    Parameters
    ----------
    df : pandas.DataFrame
        Long frame with id, time and target column(s); NaN targets allowed.
    fit_fraction : float, optional
        Each series' detector is fitted on its first ``fit_fraction`` of rows; None: the whole series.
    id_col, time_col, target_col : str
        Names of the id, time and target column(s) (default ``unique_id``, ``ds``, ``y``).
    score_col, flag_col : str
        Names of the added score and 0/1 flag columns (default ``anomaly_score``, ``is_anomaly``).
    threshold_col : str, optional
        Also add each series' flag threshold under this name.
    **params
        Settings of :class:`TriangulationDetector`.

    Returns
    -------
    pandas.DataFrame
        ``df`` validated and sorted, plus one ``score_<head>`` column per head, the score and the flag.
    """
    return TriangulationDetector(**params).detect(df, fit_fraction=fit_fraction, id_col=id_col, time_col=time_col,
                                                  target_col=target_col, score_col=score_col, flag_col=flag_col,
                                                  threshold_col=threshold_col)
