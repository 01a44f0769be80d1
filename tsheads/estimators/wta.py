"""Winner-takes-all multi-hypothesis forecaster on the pretrained encoder (after TimeMCL, ICML 2025).

``fit(df)`` trains ``K`` whole-horizon hypothesis heads and ``K`` score heads (and fine-tunes the
encoder at a lower rate) on sliding windows of the frame, keeping each series' last points for early
stopping and calibration. ``predict`` turns the weighted hypotheses into a predictive distribution by
putting a Gaussian kernel on each; the kernel width per horizon step is fitted on the held-out windows
to minimise CRPS, and quantile levels are recalibrated on the same windows so intervals cover what they
claim (:mod:`tsheads.mixture`). Median, quantiles and intervals come from the recalibrated mixture, the
mean and sample paths from the mixture itself; :meth:`WTAForecaster.predict_hypotheses` returns the
paths and their weights. The whole mixture then moves part of the way to tsheads' self-validated combination,
as far as each series' last held-out window says (:mod:`tsheads.estimators.wta_blend`).
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from ..errors import SeriesTooShortError, TsheadsError, WeightsError
from ..forecast_columns import band_columns, band_levels, check_levels, check_quantiles
from ..frames import Columns
from ..inference import capped_exp
from ..nn.losses import SCORE_KINDS, WTA_MODES
from ..timegrid import future_times
from ..windows import Panel, Windows, forecast_frame, sliding_windows
from .base import check_positive_int
from .pretrained import PretrainedForecaster, check_positive_number, check_random_state
from .wta_blend import (
    MIN_HISTORY,
    WEIGHTS,
    choose_weight,
    mean_steps,
    move_towards,
    moved,
    truncated,
    validated_points,
)

MAX_TRAIN_ROWS = 60000   # training windows x channels kept in memory (about 150 MB at context 512)
MAX_VALID_ROWS = 2048    # held-out windows x channels scored after every epoch
KERNEL_UNITS = ("level", "step")
TRANSFORMS = ("auto", "log")  # besides None


class WTAForecaster(PretrainedForecaster):
    """K weighted forecast hypotheses per series, trained with a winner-takes-all loss.

    Parameters
    ----------
    h : int
        Horizon of the hypothesis heads; ``predict`` may ask for up to ``h`` steps.
    context_length : int, optional
        Points of history the model sees (default and maximum: the backbone's 512).
    n_hypotheses : int, default 8
        Number of hypothesis heads ``K`` (and score heads).
    wta : {"relaxed", "hard", "annealed"}, default "relaxed"
        ``"relaxed"``: winner weight ``1 - epsilon``, the rest share ``epsilon``; ``"annealed"``: softmin
        weights, temperature decaying geometrically from ``temperature[0]`` to ``temperature[1]`` over
        ``max_epochs``. See :func:`tsheads.nn.losses.wta_loss`.
    epsilon : float, default 0.1
        Share of the loss weight the losing hypotheses get with ``wta="relaxed"``, in [0, 1).
    temperature : (float, float), default (1.0, 0.01)
        Start and end temperature of ``wta="annealed"``.
    score_weight : float, default 0.5
        Weight of the score heads' cross-entropy against the winning hypothesis.
    score_heads : {"softmax", "sigmoid"}, default "softmax"
        ``"softmax"``: one cross-entropy over the ``K`` scores, weights = their softmax; ``"sigmoid"``: TimeMCL's
        ``K`` independent binary cross-entropies, weights = the sigmoids normalised to sum 1.
    season_length : int, "auto" or None, default "auto"
        Hypotheses are learned as offsets from the seasonal-naive path (the last ``season_length`` points
        repeated; 1 = the level-and-trend path of ``anchor``), a skip connection that lets the heads start
        from a strong baseline (the *anchor*) and learn only what it misses. ``"auto"``: the cycle found in
        the training part (:func:`seasonal_anchor`; 1 where the series show none); None: hypotheses are
        learned whole. After training, forecasts are moved part of the way towards the anchor path where
        that helps on the held-out windows (``anchor_weight``).
    anchor : "auto", "held_out", "last" or (alpha, beta), default "auto"
        Shape of the anchor where its period is 1: the exponentially smoothed level (weight ``alpha`` in
        (0, 1], or None to fit it per series as simple exponential smoothing does) plus ``beta`` (in [0, 2])
        times the fitted slope per step, after the Theta method (:mod:`tsheads.nn.anchors`). ``"auto"``: the
        pair from a small grid whose path is closest to the training windows' futures (mean absolute error
        in units of each window's mean step; ``anchor_alpha_``, ``anchor_beta_``); ``"held_out"``: the same
        grid scored on the held-out windows at each series' end (full contexts, as at prediction; the
        held-out check of ``anchor_weight`` then compares the network with an anchor chosen on the same
        windows, which leans towards the anchor); ``"last"``: the last value (1, 0). Periods above 1 always
        use the seasonal-naive path.
    anchor_weight : float in [0, 1] or "auto", default "auto"
        Share of the way the forecast moves from the network's point towards the anchor path; the whole
        mixture moves with it, so intervals keep the network's shape and width. A combination of two
        forecasts is usually better than either (as in the M4 benchmarks). ``"auto"``: the weight from
        0, 0.1, ..., 1 with the lowest held-out mean absolute error in units of each window's mean step
        (``anchor_weight_``); 0 keeps the network's forecast, 1 is the anchor's.
    validated_weight : float in [0, 1] or "auto", default "auto"
        Share of the way the forecast (after ``anchor_weight``) then moves towards tsheads' self-validated
        combination (:class:`~tsheads.estimators.validated.ValidatedForecaster` with its defaults), the whole
        mixture with it. ``"auto"``: the share from 0, 0.1, ..., 1 with the lowest mean absolute error on each
        series' last ``h`` points, forecast from before them (in units of each series' mean absolute step;
        ``validated_weight_``; 0, with a warning, where no series is long enough for that check, or with
        ``joint=True`` one is not). A number is used as given; 0 leaves the combination out. Those points are
        inside the held-out windows that chose the early stopping and ``anchor_weight``, so the forecaster's
        error there is somewhat optimistic. The combination reads the whole frame, so a series' forecast then
        depends on its frame mates.
    deseasonalise : bool or "auto", default "auto"
        Divide each series by its multiplicative seasonal factors before the network sees it and multiply
        them back into every forecast, quantile, hypothesis and sample, as the M4 benchmarks (Naive2, Theta)
        do; a series is adjusted only where it passes the M4 seasonality test and is positive
        (:func:`tsheads.candidates.seasonal_factors`). The period is the frequency's (12 monthly, 4
        quarterly, 24 hourly), else the anchor's, else the cycle at least a tenth of the series show (integer
        time stamps). ``"auto"``: only where the anchor found no common cycle
        (``season_length_`` 1), so short monthly or quarterly series get the Naive2 anchor while long
        series with one shared cycle keep the seasonal-naive one.
    transform : {"auto", "log"} or None, default None
        ``"log"``: the network learns the logarithm of each (seasonally adjusted) series, so its offsets
        from the anchor are relative changes, and every forecast, quantile, hypothesis and sample is mapped
        back with ``exp`` (quantiles map exactly; the mean is the log-normal kernels' mean). Needs every
        target value above 0. ``"auto"``: the log where every value of the training frame is above 0 and the
        anchor is seasonal (``season_length_`` above 1), else none (``transform_``). None: the series as they
        are. On validation windows the log lowered M4 hourly's OWA from 0.639 to 0.528 (seasonal anchor),
        raised it on every yearly and quarterly group (a trend compounds in log space), and with a daily anchor
        on positive hourly corpus series scored 0.879 against 0.876, so it is not the default (README).
    backbone : {"pretrained", "random"} or path, default "pretrained"
        ``"pretrained"``: the bundled encoder (hypothesis heads start at its forecast quantiles);
        ``"random"``: untrained, with ``context_length`` rounded up to the patch length; or the path stem
        of a saved :class:`~tsheads.nn.model.DualSpaceModel`.
    max_epochs, steps_per_epoch, batch_size : int
        Training budget (defaults 40, 50, 64); an epoch is ``steps_per_epoch`` minibatches.
    learning_rate, backbone_learning_rate : float
        AdamW rates of the heads and of the encoder (defaults 3e-4 and 0). At 0 the pretrained encoder stays
        frozen: on M1/M3/M4 validation windows that forecast as well as fine-tuning it at 3e-5 and trained
        2-5 times faster (README); a positive rate fine-tunes it.
    validation_size : int or float, default 0.1
        Held-out points at the end of every series (int), or that fraction of the median length (float);
        at least ``h``. Used for early stopping and for the kernel widths.
    patience : int, default 5
        Epochs without validation improvement before training stops (best weights are kept).
    kernel_unit : {"auto", "level", "step"}, default "auto"
        What a kernel width is measured in, per series: ``"level"`` the context's standard deviation (the
        network's own scale), ``"step"`` the context's mean absolute change from one point to the next (the
        scale of a random walk's errors, right where the level wanders far more than it moves per step);
        ``"auto"`` fits both on the held-out windows and keeps the one with the lower CRPS (``kernel_unit_``).
    point : {"median", "mean"}, default "median"
        Point forecast column: median or mean of the mixture. With ``transform`` "log" the anchor weight moves
        the mean of the logs, so the reported mean (of the exponentials) sits above the anchor path even at
        ``anchor_weight_`` 1; the median maps exactly.
    joint : bool, default False
        Treat all series of the frame as channels of one system (they must share their time stamps), so a
        hypothesis is a joint trajectory of all of them (as GluonTS's multivariate grouper).
    predict_batch_size : int, default 512
        Sequences per forward pass at prediction.
    random_state, device, precision, alias, verbose
        As in :class:`~tsheads.ZeroShotForecaster` (the default alias is ``"WTA"``).

    Attributes
    ----------
    model_ : WTAModel
        The trained :class:`~tsheads.nn.wta.WTAModel`.
    bandwidth_ : ndarray
        Kernel width per horizon step, in units of ``kernel_unit_``.
    kernel_unit_ : str
        ``"level"`` or ``"step"``: the unit of ``bandwidth_`` (see ``kernel_unit``).
    pit_table_ : ndarray
        Quantiles of the held-out PIT values; maps requested levels to calibrated mixture levels.
    history_ : list of dict
        One record per epoch (training loss, validation distortion, score cross-entropy, temperature).
    heads_won_ : ndarray of int
        How often each head is the best one on the held-out windows.
    n_heads_used_ : int
        Heads that win at least once (a warning is raised when some never do: collapsed heads).
    season_length_ : int
        The anchor's period used (0: none).
    anchor_alpha_, anchor_beta_ : float
        The anchor's level smoothing (None: fitted per series) and slope share (1 and 0 for the last value
        or a seasonal-naive path).
    deseasonal_period_ : int
        Period of the seasonal factors divided out (0: none; see ``deseasonalise``).
    transform_ : str or None
        ``"log"`` where the network learned the series' logarithm (see ``transform``), else None.
    anchor_check_ : dict
        Mean absolute error on the held-out windows of the network's point forecast (``"model"``), the anchor
        (``"anchor"``) and their combination with ``anchor_weight_`` (``"blend"``), in units of each window's
        mean absolute step (the scale of MASE; of the logs with ``transform_`` "log"). A warning says so where
        the network alone is worse than the anchor.
    anchor_weight_ : float
        Share of the way forecasts move towards the anchor path (see ``anchor_weight``).
    fallback_ : bool
        Whether forecasts are the anchor's (``anchor_weight_`` 1).
    validated_weight_ : float
        Share of the way forecasts move towards the self-validated combination (see ``validated_weight``).
    validated_check_ : dict
        Mean absolute error on each series' last ``h`` points, in units of its mean absolute step, of the
        forecaster (``"model"``), the combination (``"validated"``) and the path at ``validated_weight_``
        (``"blend"``); empty where the combination took no part.
    validated_season_ : int or None
        Season length given to the combination (None: it reads the frequency's periods itself).
    validation_coverage_ : dict
        Empirical coverage of the 80 % and 95 % intervals on the held-out windows. Those windows also
        calibrate the intervals, so this checks the calibration in-sample (it is close to nominal by
        construction); judge coverage on data the model has not seen, e.g. with ``cross_validation``.
    noise_correlation_ : ndarray or None
        With ``joint=True`` and several series: the correlation across series of the held-out errors around
        each window's nearest hypothesis (Ledoit-Wolf shrunk); ``sample(..., noise="correlated")`` draws its
        kernel noise with it. None for other forecasters.
    noise_series_ : list of str or None
        The series (in order) ``noise_correlation_`` belongs to.
    """

    default_alias = "WTA"

    def __init__(self, h: int, context_length: Optional[int] = None, n_hypotheses: int = 8, wta: str = "relaxed",
                 epsilon: float = 0.1, temperature: tuple = (1.0, 0.01), score_weight: float = 0.5,
                 score_heads: str = "softmax", season_length="auto", anchor="auto", anchor_weight="auto",
                 validated_weight="auto", deseasonalise="auto", transform=None, backbone="pretrained",
                 max_epochs: int = 40, steps_per_epoch: int = 50, batch_size: int = 64,
                 learning_rate: float = 3e-4, backbone_learning_rate: float = 0.0, validation_size=0.1,
                 patience: int = 5, kernel_unit: str = "auto", point: str = "median", joint: bool = False,
                 predict_batch_size: int = 512,
                 random_state: Optional[int] = None, device: str = "cpu", precision: str = "float32",
                 alias: Optional[str] = None, verbose: bool = False):
        self.h = h
        self.context_length = context_length
        self.n_hypotheses = n_hypotheses
        self.wta = wta
        self.epsilon = epsilon
        self.temperature = temperature
        self.score_weight = score_weight
        self.score_heads = score_heads
        self.season_length = season_length
        self.anchor = anchor
        self.anchor_weight = anchor_weight
        self.validated_weight = validated_weight
        self.deseasonalise = deseasonalise
        self.transform = transform
        self.backbone = backbone
        self.max_epochs = max_epochs
        self.steps_per_epoch = steps_per_epoch
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.backbone_learning_rate = backbone_learning_rate
        self.validation_size = validation_size
        self.patience = patience
        self.kernel_unit = kernel_unit
        self.point = point
        self.joint = joint
        self.predict_batch_size = predict_batch_size
        self.random_state = random_state
        self.device = device
        self.precision = precision
        self.alias = alias
        self.verbose = verbose

    # settings ----------------------------------------------------------------------------------------
    def _check_params(self) -> None:
        """Refuse bad settings with a TsheadsError before any work (``__init__`` only stores them)."""
        check_positive_int(self.h, "h")
        if self.context_length is not None:
            check_positive_int(self.context_length, "context_length")
        if self.wta not in WTA_MODES:
            raise TsheadsError(f"wta must be one of {WTA_MODES}, got {self.wta!r}")
        eps = self.epsilon
        if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating)) or not 0 <= eps < 1:
            raise TsheadsError(f"epsilon must be in [0, 1), got {eps!r}")
        t = self.temperature
        if not isinstance(t, (tuple, list)) or len(t) != 2:
            raise TsheadsError(f"temperature must be a (start, end) pair, got {t!r}")
        start, end = (check_positive_number(v, "temperature") for v in t)
        if end > start:
            raise TsheadsError(f"temperature must decrease (start >= end), got {t!r}")
        check_positive_number(self.score_weight, "score_weight", allow_zero=True)
        if self.score_heads not in SCORE_KINDS:
            raise TsheadsError(f"score_heads must be one of {SCORE_KINDS}, got {self.score_heads!r}")
        if self.season_length is not None and not (isinstance(self.season_length, str)
                                                   and self.season_length == "auto"):
            check_positive_int(self.season_length, "season_length")
        _anchor_pair(self.anchor)
        for name in ("anchor_weight", "validated_weight"):
            share = getattr(self, name)
            if not ((isinstance(share, str) and share == "auto") or (_is_number(share) and 0 <= share <= 1)):
                raise TsheadsError(f"{name} must be 'auto' or a number in [0, 1], got {share!r}")
        if not (isinstance(self.deseasonalise, (bool, np.bool_)) or self.deseasonalise == "auto"):
            raise TsheadsError(f"deseasonalise must be True, False or 'auto', got {self.deseasonalise!r}")
        if self.transform is not None and not (isinstance(self.transform, str) and self.transform in TRANSFORMS):
            raise TsheadsError(f"transform must be None or one of {TRANSFORMS}, got {self.transform!r}")
        check_positive_number(self.backbone_learning_rate, "backbone_learning_rate", allow_zero=True)
        if not isinstance(self.backbone, (str, Path)):
            raise TsheadsError(f"backbone must be 'pretrained', 'random' or a path, got {self.backbone!r}")
        vs = self.validation_size
        points = isinstance(vs, (int, np.integer)) and not isinstance(vs, bool) and vs >= 1
        fraction = isinstance(vs, (float, np.floating)) and 0 < vs < 1
        if not (points or fraction):
            raise TsheadsError(f"validation_size must be a number of points >= 1 or a fraction in (0, 1), got {vs!r}")
        if self.kernel_unit not in ("auto", *KERNEL_UNITS):
            raise TsheadsError(f"kernel_unit must be 'auto' or one of {KERNEL_UNITS}, got {self.kernel_unit!r}")
        if self.point not in ("mean", "median"):
            raise TsheadsError(f"point must be 'mean' or 'median', got {self.point!r}")
        if not isinstance(self.joint, (bool, np.bool_)):
            raise TsheadsError(f"joint must be True or False, got {self.joint!r}")
        self._check_model_params(("n_hypotheses", "max_epochs", "steps_per_epoch", "batch_size", "patience",
                                  "predict_batch_size"))

    # fit ---------------------------------------------------------------------------------------------
    def _build_model(self, season: int):
        """The untrained WTA network on the chosen backbone, seeded by ``random_state``."""
        import torch

        from ..nn.config import EncoderConfig
        from ..nn.weights import load_model
        from ..nn.wta import WTAConfig, WTAModel
        from ..pretrained import load_pretrained

        h, k = int(self.h), int(self.n_hypotheses)
        with torch.random.fork_rng():
            torch.manual_seed(self._seed)
            if str(self.backbone) == "random":
                patch = EncoderConfig.patch_length
                context = self.context_length or EncoderConfig.context_length
                context = -(-int(context) // patch) * patch
                config = WTAConfig(EncoderConfig(context_length=context), h, k, season, self.score_heads)
                return WTAModel(config).to(self.device)
            base = load_pretrained(device="cpu") if str(self.backbone) == "pretrained" else load_model(self.backbone)
            return WTAModel.from_pretrained(base, h, k, season, self.score_heads).to(self.device)

    def _deseasonal_period(self, panel: Panel, found: list) -> int:
        """Period of the seasonal factors to divide out (0: none), from ``deseasonalise``, the frequency, the
        anchor, or else the cycle at least a tenth of the series show (``found``: :func:`found_periods`)."""
        from ..candidates import season_lengths

        if self.deseasonalise is False or (self.deseasonalise == "auto" and self.season_length_ > 1):
            return 0
        natural = season_lengths(panel.freq, int(panel.lengths.max()) // 3)
        if natural:
            return natural[0]
        return self.season_length_ if self.season_length_ > 1 else _most_common(found, share=0.1)

    def _validation_points(self, system: Panel) -> int:
        vs = self.validation_size
        n = int(vs) if isinstance(vs, (int, np.integer)) else int(round(vs * float(np.median(system.lengths))))
        return max(n, int(self.h))

    def _fit_panel(self, panel: Panel) -> None:
        import torch

        from ..nn.losses import hypothesis_errors
        from ..training import standardised_pairs, train_wta, wta_outputs

        self._check_params()
        n_val = self._validation_points(panel)
        if isinstance(self.season_length, str):
            from ..nn.config import EncoderConfig

            longest = int(self.context_length or EncoderConfig.context_length)
            scaled = _unit_scaled(panel)
            found = found_periods(_joint_panel(scaled) if self.joint else scaled, n_val, longest)
            self.season_length_ = anchor_period(found)
        else:
            found, self.season_length_ = [], int(self.season_length or 0)
        self.deseasonal_period_ = self._deseasonal_period(panel, found)
        self.transform_ = _fitted_transform(panel, self.transform, self.season_length_)
        # factors from the points before the held-out ones, so the held-out check stays out of sample
        adjusted = self._model_space(deseasonalised(panel, self.deseasonal_period_, 0, held_out=n_val)[0])
        system = _unit_scaled(_joint_panel(adjusted) if self.joint else adjusted)
        model = self._build_model(self.season_length_)
        context, h = self._context(model), int(self.h)
        if self.season_length_ > context:
            raise TsheadsError(f"season_length {self.season_length} exceeds context_length {context}")
        longest = int(system.lengths.max())
        if longest - n_val - h < 1:
            raise SeriesTooShortError(
                f"the longest series has {longest} points; training needs more than h ({h}) + the held-out "
                f"validation points ({n_val}) in at least one series. Lower validation_size or h.")
        # full contexts, as at prediction, unless the typical series is too short for them
        min_context = int(np.clip(np.median(system.lengths) - n_val - h, 1, context))
        min_context = min(min_context, longest - n_val - h)
        rows = system.n_channels
        n_train = int(np.maximum(system.lengths - n_val - h - min_context + 1, 0).sum())
        n_valid = int(np.clip(system.lengths - min_context - h + 1, 0, n_val - h + 1).sum())
        rng = np.random.default_rng(self._seed)
        train = _at_most(sliding_windows(system, context, h, stride=max(1, -(-n_train * rows // MAX_TRAIN_ROWS)),
                                         min_context=min_context, skip_last=n_val), MAX_TRAIN_ROWS, rng)
        try:
            valid = _at_most(sliding_windows(system, context, h, stride=max(1, -(-n_valid * rows // MAX_VALID_ROWS)),
                                             min_context=min_context, within_last=n_val), MAX_VALID_ROWS, rng)
        except SeriesTooShortError:
            raise SeriesTooShortError(f"no series has a held-out window of {h} steps after {min_context} points of "
                                      "context; lower validation_size or h") from None
        network_context = model.config.context_length
        held_out, pairs = standardised_pairs(valid, network_context), standardised_pairs(train, network_context)
        if self.season_length_ == 1:
            chosen_on = {"auto": pairs, "held_out": held_out}.get(self.anchor) if isinstance(self.anchor, str) else None
            model.set_anchor(*(_anchor_pair(self.anchor) if chosen_on is None else choose_anchor(chosen_on, h, rng)))
        self.anchor_alpha_, self.anchor_beta_ = model.config.anchor_alpha, model.config.anchor_beta
        history = train_wta(
            model, pairs, held_out, mode=self.wta, epsilon=float(self.epsilon),
            temperature=tuple(float(t) for t in self.temperature), score_weight=float(self.score_weight),
            max_epochs=int(self.max_epochs), steps_per_epoch=int(self.steps_per_epoch),
            batch_size=int(self.batch_size), learning_rate=float(self.learning_rate),
            backbone_learning_rate=float(self.backbone_learning_rate), patience=int(self.patience),
            seed=self._seed, verbose=self.verbose)
        past, obs, future, fobs = held_out
        hyp, logits = wta_outputs(model, past, obs, self.predict_batch_size)
        winners = hypothesis_errors(hyp, torch.from_numpy(future), torch.from_numpy(fobs)).argmin(-1).numpy()
        hyp, weights = hyp.double().numpy(), model.probabilities(logits.double()).numpy()
        future = future.astype(np.float64)
        ones = np.ones(past.shape[:2] + (1,))
        units = {"level": ones, "step": step_unit(past.astype(np.float64), obs, ones)}
        self.heads_won_ = np.bincount(winners, minlength=int(self.n_hypotheses))
        self.n_heads_used_ = int((self.heads_won_ > 0).sum())
        sigma = self._calibrate(hyp, weights, future, fobs, units)
        point = self._point(hyp, weights, sigma)
        with torch.no_grad():
            anchor = model.anchor(torch.from_numpy(past), torch.from_numpy(obs)).double().numpy()
        fixed = not isinstance(self.anchor_weight, str)
        self.anchor_weight_, self.anchor_check_ = _anchor_check(
            point, anchor, future, fobs, units["step"], (float(self.anchor_weight),) if fixed else WEIGHTS)
        if self.anchor_weight_ > 0:  # kernel widths and calibration of the mixture as predict moves it
            self._calibrate(hyp + (self.anchor_weight_ * (anchor[..., :h] - point))[:, :, None, :], weights,
                            future, fobs, units)
        self.history_ = history
        self.model_ = model
        self._fit_validated_weight(panel)
        self.noise_series_ = None if self.noise_correlation_ is None else [str(i) for i in panel.ids]
        if self.anchor_check_["model"] > self.anchor_check_["anchor"]:
            period = self.season_length_ or 1
            smoothing = "fitted per series" if self.anchor_alpha_ is None else f"{self.anchor_alpha_:g}"
            shape = (f"period {period}" if period > 1 else
                     f"level smoothing {smoothing}, slope share {self.anchor_beta_:g}")
            warnings.warn(f"the trained hypotheses forecast the held-out windows worse than their anchor "
                          f"({shape}; mean absolute error {self.anchor_check_['model']:.3f} vs "
                          f"{self.anchor_check_['anchor']:.3f}), so forecasts move {self.anchor_weight_:g} of the "
                          f"way to the anchor path (anchor_weight_; error {self.anchor_check_['blend']:.3f}) with "
                          "the network's spread around it; train longer or on more data", UserWarning, stacklevel=3)
        if self.n_heads_used_ < int(self.n_hypotheses):
            others = " or ".join(repr(m) for m in ("relaxed", "annealed") if m != self.wta)
            warnings.warn(f"only {self.n_heads_used_} of {self.n_hypotheses} hypothesis heads win on any held-out "
                          f"window (collapsed heads); try wta={others}, fewer hypotheses or a longer training "
                          "(max_epochs, steps_per_epoch)", UserWarning, stacklevel=3)

    @property
    def fallback_(self) -> bool:
        """Whether forecasts are the anchor's (``anchor_weight_`` 1); derived, so it never disagrees with it."""
        return self.anchor_weight_ == 1.0

    def _fit_validated_weight(self, panel: Panel) -> None:
        """``validated_weight_`` and ``validated_check_`` from each series' last ``h`` points, forecast by the
        trained forecaster and by the self-validated combination from the points before them (:mod:`.wta_blend`).
        A number given as ``validated_weight`` is kept as it is; the check then only reports."""
        self.validated_season_ = self._validated_season(panel)
        fixed = self.validated_weight != "auto"
        self.validated_weight_, self.validated_check_ = (float(self.validated_weight) if fixed else 0.0), {}
        h = int(self.h)
        past, keep = truncated(panel, h)
        if self.validated_weight == 0 or not keep.any() or (self.joint and not keep.all()):
            if not fixed:
                warnings.warn(f"no series has {h} points to check the move towards the self-validated combination "
                              f"on after {MIN_HISTORY} points, so validated_weight_ is 0", UserWarning, stacklevel=4)
            return
        truth = np.stack([panel.series(i)[-h:, 0] for i in np.flatnonzero(keep)])
        model = self._forecast(past, h, [], [], towards_validated=False)[0]
        try:
            validated = validated_points(past, h, self.validated_season_, **self._validated_settings())
        except TsheadsError as err:
            warnings.warn(f"the self-validated combination cannot forecast the held-out windows ({err}), so "
                          f"validated_weight_ is {self.validated_weight_:g}", UserWarning, stacklevel=4)
            return
        grid = (self.validated_weight_,) if fixed else WEIGHTS
        self.validated_weight_, self.validated_check_ = choose_weight(
            model, validated, truth, mean_steps(past), grid, log=self.transform_ == "log")

    def _validated_season(self, panel: Panel):
        """The combination's season length: the user's ``season_length``; on integer time stamps the period
        found in fitting (seasonal factors', else the anchor's; None if neither); else None, so that it reads
        the day, week and year from the frequency."""
        given = self.season_length
        if isinstance(given, (int, np.integer)) and not isinstance(given, bool) and given > 1:
            return int(given)
        if not isinstance(panel.freq, (int, np.integer)):
            return None
        found = self.deseasonal_period_ if self.deseasonal_period_ > 1 else self.season_length_
        return int(found) if found > 1 else None

    def _validated_settings(self) -> dict:
        """ValidatedForecaster settings besides the season: the seed and device, and a backbone given as a file
        (the shipped network otherwise)."""
        custom = str(self.backbone) not in ("pretrained", "random")
        return {"weights": self.backbone if custom else None, "random_state": self._seed, "device": self.device}

    def _towards_validated(self, values: np.ndarray, panel: Panel, h: int, point: Optional[np.ndarray] = None,
                           mixture: Optional[tuple] = None, stacklevel: int = 4) -> np.ndarray:
        """``values`` (``(n, ..., h)`` in data units) moved ``validated_weight_`` of the way from the forecaster's
        ``point`` (when not given, the median of ``mixture``, :meth:`_per_series` arrays) to the combination's
        forecast (:func:`.wta_blend.move_towards`; ``stacklevel`` of its warning: 4 reaches the user from a
        public method that calls this)."""
        weight = float(getattr(self, "validated_weight_", 0.0))
        if weight == 0:
            return values
        if point is None:
            point = self._forecast(panel, h, [], [], towards_validated=False, mixture=mixture)[0]
        log = self.transform_ == "log"
        move = move_towards(panel, point, weight, self.validated_season_, int(self.h), log=log,
                            stacklevel=stacklevel, **self._validated_settings())
        return moved(values, move, log)

    def _calibrate(self, hyp, weights, future, fobs, units: dict) -> np.ndarray:
        """Fit ``kernel_unit_``, ``bandwidth_``, ``pit_table_``, ``noise_correlation_`` and ``validation_coverage_``
        on held-out windows (hypotheses ``(n, C, K, h)``, weights ``(n, K)``, ``units`` per window ``(n, C, 1)``);
        the widths ``(n, C, h)``."""
        from ..mixture import fit_bandwidth, kernel_correlation

        fits = {}
        for name in (KERNEL_UNITS if self.kernel_unit == "auto" else (self.kernel_unit,)):
            # the default grid spans 0.001..3 context deviations; the same span, counted in this unit
            grid = np.geomspace(1e-3, 3.0, 48) / float(np.median(units[name]))
            width = fit_bandwidth(hyp / units[name][..., None], weights, future / units[name], fobs, grid)
            fits[name] = (width, _held_out_crps(hyp, weights, width * units[name], future, fobs))
        self.kernel_unit_ = min(fits, key=lambda name: fits[name][1])  # ties: "level", listed first
        self.bandwidth_ = fits[self.kernel_unit_][0]
        sigma = np.broadcast_to(self.bandwidth_ * units[self.kernel_unit_], hyp.shape[:2] + hyp.shape[-1:])
        self.pit_table_ = _pit_table(hyp, weights, sigma, future, fobs)
        self.noise_correlation_ = kernel_correlation(hyp, future, fobs, sigma) if self.joint else None
        self.validation_coverage_ = _coverage(hyp, weights, sigma, self.pit_table_, future, fobs, (80, 95))
        return sigma

    def _point(self, hyp: np.ndarray, weights: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        """The point forecast ``(n, C, h)`` of hypotheses ``(n, C, K, h)`` with kernel widths ``(n, C, h)``, as
        ``predict`` makes it (the recalibrated median, or the mean)."""
        from ..mixture import mixture_quantiles, recalibrated_levels

        n, c, k, h = hyp.shape
        means = hyp.transpose(0, 1, 3, 2).reshape(n * c, h, k)
        w = np.broadcast_to(np.repeat(weights, c, axis=0)[:, None, :], means.shape)
        if self.point == "mean":
            return (w * means).sum(-1).reshape(n, c, h)
        levels = recalibrated_levels([0.5], self.pit_table_)
        return mixture_quantiles(means, w, sigma.reshape(n * c, h), levels)[..., 0].reshape(n, c, h)

    # predict -----------------------------------------------------------------------------------------
    def _history(self, df, columns: Columns, freq) -> Panel:
        if df is not None:
            return self._panel(df, columns, freq)
        if not hasattr(self, "panel_"):
            raise NotFittedError("this forecaster holds no training frame (it was loaded from a file); "
                                 "pass the history: predict(h, df=df)")
        return self.panel_

    def _horizon(self, h) -> int:
        if h is None:
            return int(self.h)
        h = check_positive_int(h)
        if h > int(self.h):
            raise TsheadsError(f"h={h} is longer than the hypothesis heads' horizon {self.h}; refit with a larger h")
        return h

    def _model_space(self, panel: Panel) -> Panel:
        """``panel`` (seasonally adjusted) as the network sees it: its logarithm where ``transform_`` is "log"."""
        if self.transform_ != "log":
            return panel
        if not _positive(panel):
            raise TsheadsError("this forecaster learned the logarithm of its series (transform_='log'), so it needs "
                               "every target value above 0; this history has values <= 0: forecast it with a "
                               "forecaster fitted with transform=None")
        return replace(panel, values=np.log(panel.values))

    def _mixture(self, panel: Panel, h: int):
        """System-shaped hypotheses ``(N, C, K, h)``, weights ``(N, K)`` and kernel widths ``(N, C, h)`` in the
        network's space (seasonally adjusted; logarithms with ``transform_`` "log"), and the seasonal factors
        ``(N, C, h)`` that :func:`_data_units` multiplies back in."""
        from ..inference import hypotheses_arrays

        check_is_fitted(self, "model_")
        adjusted, factors = deseasonalised(panel, self.deseasonal_period_, h)
        adjusted = self._model_space(adjusted)
        system = _joint_panel(adjusted) if self.joint else adjusted
        x, observed = system.tail(self._context(self.model_))
        hyp, weights, scale = hypotheses_arrays(self.model_, x, observed, self.predict_batch_size, self.verbose,
                                                self.precision)
        kernel_unit = step_unit(x, observed, scale) if self.kernel_unit_ == "step" else scale
        hyp, sigma = hyp[..., :h], kernel_unit * self.bandwidth_[:h]
        if self.anchor_weight_ > 0:  # the mixture moves so that its point goes that share of the way to the anchor
            unit = np.where(scale > 0, scale, 1.0)
            point = unit * self._point(hyp / unit[..., None], weights, sigma / unit)
            shift = self.anchor_weight_ * (self._anchor_path(x, observed)[..., :h] - point)
            hyp = hyp + shift[:, :, None, :]
        factors = factors[..., 0][None] if self.joint else factors.transpose(0, 2, 1)  # (N, C, h)
        return hyp, weights, sigma, factors

    def _anchor_path(self, x: np.ndarray, observed: np.ndarray) -> np.ndarray:
        """The model's anchor path ``(N, C, horizon)`` of contexts ``(N, C, T)`` in the contexts' units (the
        network's space: seasonally adjusted, logarithms with ``transform_`` "log").

        Computed on the contexts' z-scores and mapped back (the path is affine-equivariant), so series near
        the float limits do not overflow; a constant context gets its constant.
        """
        import torch

        from ..inference import standardise

        z, loc, scale = standardise(x, observed)
        with torch.no_grad():
            path = self.model_.anchor(torch.from_numpy(z).double(), torch.from_numpy(observed)).numpy()
        return loc + scale * path

    def _per_series(self, hyp, weights, sigma, factors):
        """System-shaped arrays -> one row per series: ``(n, K, h)``, ``(n, K)``, ``(n, h)``, ``(n, h)``."""
        if self.joint:
            c = hyp.shape[1]
            return hyp[0], np.repeat(weights, c, axis=0), sigma[0], factors[0]
        return hyp[:, 0], weights, sigma[:, 0], factors[:, 0]

    def predict(self, h: Optional[int] = None, level: Optional[Sequence[float]] = None,
                quantiles: Optional[Sequence[float]] = None, df=None, *, id_col: str = "unique_id",
                time_col: str = "ds", target_col: str = "y", freq=None) -> pd.DataFrame:
        """Forecast after each fitted series, or after each series of ``df`` (new history for the trained model).

        Parameters
        ----------
        h : int, optional
            Horizon, at most (and by default) the fitted ``h``.
        level : sequence of float, optional
            Interval levels in percent (e.g. ``[80, 95]``): adds ``<alias>-lo-80`` / ``<alias>-hi-80`` ... columns.
        quantiles : sequence of float, optional
            Quantile levels in (0, 1) (e.g. ``[0.1, 0.9]``): adds ``<alias>-q-0.1`` ... columns.
        df : pandas.DataFrame or pandas.Series, optional
            History to forecast from; default: the frame given to ``fit``.
        id_col, time_col, target_col : str
            Names of the id, time and target column(s) of ``df`` (default ``unique_id``, ``ds``, ``y``).
        freq : str, pandas.DateOffset or int, optional
            Sampling frequency of ``df``; None: inferred.

        Returns
        -------
        pandas.DataFrame
            Long frame ``id, time, <alias>`` plus the band columns, ``h`` rows per series.
        """
        check_is_fitted(self, "model_")
        panel = self._history(df, Columns(id_col, time_col, target_col), freq)
        h = self._horizon(h)
        level, quantiles = check_levels(level), check_quantiles(quantiles)
        point, extra = self._forecast(panel, h, level, quantiles)
        return forecast_frame(panel, point, self.model_name, extra)

    def _predict_panel(self, h, level, quantiles):
        return self._forecast(self.panel_, self._horizon(h), level, quantiles)

    def _forecast(self, panel: Panel, h: int, level: list, quantiles: list, towards_validated: bool = True,
                  mixture: Optional[tuple] = None):
        """Point and band columns; ``mixture``: :meth:`_per_series` arrays already computed for ``panel``."""
        from ..mixture import mixture_quantiles, recalibrated_levels

        hyp, weights, sigma, factors = self._per_series(*self._mixture(panel, h)) if mixture is None else mixture
        mean = _mixture_mean(hyp, weights, sigma, factors, self.transform_) if self.point == "mean" else None
        # in units of each series' largest magnitude, where the bisection's precision is relative, however
        # tiny or huge the series (powers of two: exact both ways)
        exponents = _binary_exponents(np.maximum(np.abs(hyp).max(axis=(1, 2)), sigma.max(axis=1)))[:, None]
        hyp, sigma = np.ldexp(hyp, -exponents[..., None]), np.ldexp(sigma, -exponents)
        wanted = band_levels(level, quantiles) + [0.5]
        means = hyp.transpose(0, 2, 1)  # (n, h, K)
        w = np.broadcast_to(weights[:, None, :], means.shape)
        values = mixture_quantiles(means, w, sigma, recalibrated_levels(wanted, self.pit_table_))  # (n, h, L)
        values = np.ldexp(values, exponents[..., None]).transpose(0, 2, 1)  # (n, L, h)
        values = _data_units(values, factors, self.transform_).transpose(0, 2, 1)
        point = values[..., -1] if mean is None else mean
        if towards_validated:  # the whole mixture moves with the point (the point last, so it moves once)
            both = np.concatenate([values.transpose(0, 2, 1), point[:, None, :]], axis=1)
            both = self._towards_validated(both, panel, h, point, stacklevel=5)  # predict -> _forecast -> here
            values, point = both[:, :-1].transpose(0, 2, 1), both[:, -1]
        return point, band_columns(self.model_name, level, quantiles, [values[..., k] for k in range(len(wanted) - 1)])

    def predict_hypotheses(self, h: Optional[int] = None, df=None, *, id_col: str = "unique_id",
                           time_col: str = "ds", target_col: str = "y", freq=None) -> pd.DataFrame:
        """The ``K`` hypothesis paths per series, with their weights (moved as the point is: ``anchor_weight_`` and
        ``validated_weight_``).

        Parameters
        ----------
        h : int, optional
            Horizon, at most (and by default) the fitted ``h``.
        df : pandas.DataFrame or pandas.Series, optional
            History to forecast from; default: the frame given to ``fit``.
        id_col, time_col, target_col : str
            Names of the id, time and target column(s) of ``df`` (default ``unique_id``, ``ds``, ``y``).
        freq : str, pandas.DateOffset or int, optional
            Sampling frequency of ``df``; None: inferred.

        Returns
        -------
        pandas.DataFrame
            Columns ``id, time, hypothesis, weight, <alias>``, ``K * h`` rows per series; the weights of a
            series sum to 1.
        """
        check_is_fitted(self, "model_")
        panel = self._history(df, Columns(id_col, time_col, target_col), freq)
        h = self._horizon(h)
        mixture = self._per_series(*self._mixture(panel, h))
        hyp, weights, _, factors = mixture
        paths = self._towards_validated(_data_units(hyp, factors, self.transform_), panel, h, mixture=mixture)
        return _paths_frame(panel, paths, "hypothesis", self.model_name, weight=weights)

    def sample(self, n_samples: int = 100, h: Optional[int] = None, df=None, *, random_state=None,
               id_col: str = "unique_id", time_col: str = "ds", target_col: str = "y", freq=None,
               noise: str = "independent") -> pd.DataFrame:
        """``n_samples`` paths per series from the mixture: columns ``id, time, sample, <model>``.

        Each path follows one hypothesis (drawn by weight) plus kernel noise, independent per step; with
        ``joint=True`` the hypothesis is drawn once for all series, so paths keep their joint shape.

        Parameters
        ----------
        n_samples : int, default 100
            Paths per series.
        h : int, optional
            Horizon, at most (and by default) the fitted ``h``.
        df : pandas.DataFrame or pandas.Series, optional
            History to forecast from; default: the frame given to ``fit``.
        random_state : int, optional
            Seed of the draws; default: the estimator's ``random_state`` (0 if None).
        id_col, time_col, target_col : str
            Names of the id, time and target column(s) of ``df`` (default ``unique_id``, ``ds``, ``y``).
        freq : str, pandas.DateOffset or int, optional
            Sampling frequency of ``df``; None: inferred.
        noise : {"independent", "correlated"}, default "independent"
            Kernel noise across series: independent, or (``joint=True``, the fitted set of series) correlated
            as their held-out errors were (``noise_correlation_``). On exchange-rate validation windows the
            correlated noise scored a worse CRPS-sum on every sampling seed (0.00755 against 0.00744:
            ``evaluation.wta_noise_choice``), so it is not the default.

        Returns
        -------
        pandas.DataFrame
            Columns ``id, time, sample, <alias>``, ``n_samples * h`` rows per series.
        """
        from ..mixture import sample_mixture

        if noise not in ("independent", "correlated"):
            raise TsheadsError(f"noise must be 'independent' or 'correlated', got {noise!r}")
        n_samples = check_positive_int(n_samples, "n_samples")
        check_random_state(random_state)
        check_is_fitted(self, "model_")
        panel = self._history(df, Columns(id_col, time_col, target_col), freq)
        h = self._horizon(h)
        hyp, weights, sigma, factors = self._mixture(panel, h)
        rng = np.random.default_rng(self._seed if random_state is None else random_state)
        correlation = getattr(self, "noise_correlation_", None) if noise == "correlated" else None
        if correlation is None and noise == "correlated":
            raise TsheadsError("noise='correlated' needs a joint forecaster fitted on several series "
                               "(noise_correlation_ is None)")
        if correlation is not None and [str(i) for i in panel.ids] != self.noise_series_:
            raise TsheadsError(f"noise='correlated' holds the correlation of the {len(self.noise_series_)} series "
                               f"it was fitted on ({', '.join(self.noise_series_[:4])}...); this frame has "
                               f"{panel.n_series} others or in another order: forecast the fitted series, or use "
                               "noise='independent'")
        mixture = self._per_series(hyp, weights, sigma, factors)
        paths = sample_mixture(hyp, weights, sigma, n_samples, rng, correlation)  # (N, S, C, h)
        paths = paths[0].transpose(1, 0, 2) if self.joint else paths[:, :, 0]  # (n, S, h)
        paths = self._towards_validated(_data_units(paths, mixture[3], self.transform_), panel, h, mixture=mixture)
        return _paths_frame(panel, paths, "sample", self.model_name)

    # persistence ---------------------------------------------------------------------------------------
    def save(self, path) -> Path:
        """Write ``<path>.safetensors`` (the network) + ``<path>.json`` (params, kernel widths, head counts).

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

        check_is_fitted(self, "model_")
        params = {k: _json_safe(v) for k, v in self.get_params().items()}
        meta = {"estimator": type(self).__name__, "params": params, "bandwidth": self.bandwidth_.tolist(),
                "pit_table": self.pit_table_.tolist(),
                "heads_won": self.heads_won_.tolist(), "validation_coverage": self.validation_coverage_,
                "fallback": bool(self.fallback_), "anchor_weight": float(self.anchor_weight_),
                "anchor_check": self.anchor_check_, "validated_weight": float(self.validated_weight_),
                "validated_check": self.validated_check_, "validated_season": self.validated_season_,
                "kernel_unit": self.kernel_unit_, "deseasonal_period": int(self.deseasonal_period_),
                "transform": self.transform_,
                "noise_correlation": None if getattr(self, "noise_correlation_", None) is None
                else self.noise_correlation_.tolist(), "noise_series": getattr(self, "noise_series_", None)}
        return save_model(self.model_, path, meta=meta)

    @classmethod
    def load(cls, path, device: str = "cpu") -> "WTAForecaster":
        """Rebuild a saved forecaster; ``predict(h, df=df)`` then reproduces the saved one's forecasts.

        Parameters
        ----------
        path : str or path
            File stem; a ``.safetensors`` or ``.json`` suffix is dropped.
        device : str, default "cpu"
            Torch device to load the model onto.

        Returns
        -------
        WTAForecaster
            The fitted forecaster; it holds no training frame, so ``predict`` needs ``df``.

        Raises
        ------
        WeightsError
            If the files are missing, corrupt, inconsistent or were not written by this class.
        """
        from ..nn.weights import load_model, read_config

        config, meta = read_config(path, "WTAModel")
        params = meta.get("params")
        if meta.get("estimator") != cls.__name__ or not isinstance(params, dict):
            raise WeightsError(f"{path} does not hold a saved {cls.__name__}")
        try:
            est = cls(**{**params, "device": device})
            est._check_params()
        except (TypeError, TsheadsError) as exc:
            raise WeightsError(f"{path}: saved parameters do not fit {cls.__name__} ({exc})") from None
        bandwidth = np.asarray(meta.get("bandwidth"), dtype=np.float64) if isinstance(meta.get("bandwidth"), list) \
            else np.empty(0)
        if bandwidth.shape != (config.horizon,) or not np.all(np.isfinite(bandwidth)) or np.any(bandwidth < 0):
            raise WeightsError(f"{path}: kernel widths must be {config.horizon} finite non-negative numbers")
        from ..mixture import PIT_GRID

        table = np.asarray(meta.get("pit_table"), dtype=np.float64) if isinstance(meta.get("pit_table"), list) \
            else np.empty(0)
        if table.shape != PIT_GRID.shape or not np.all(np.isfinite(table)) or np.any(np.diff(table) < 0) \
                or table.min() < 0 or table.max() > 1:
            raise WeightsError(f"{path}: the PIT table must be {len(PIT_GRID)} increasing numbers in [0, 1]")
        if int(est.h) != config.horizon or int(est.n_hypotheses) != config.n_hypotheses \
                or est.score_heads != config.scores:
            raise WeightsError(f"{path}: saved parameters disagree with the network's shape")
        est.model_ = load_model(path, device=device, architecture="WTAModel")
        est.bandwidth_ = bandwidth
        est.pit_table_ = table
        heads = meta.get("heads_won")
        est.heads_won_ = np.asarray(heads if isinstance(heads, list) else [], dtype=np.int64)
        est.n_heads_used_ = int((est.heads_won_ > 0).sum())
        est.validation_coverage_ = meta.get("validation_coverage", {})
        est.season_length_ = int(config.season_length)
        est.anchor_alpha_, est.anchor_beta_ = config.anchor_alpha, float(config.anchor_beta)
        fallback = meta.get("fallback", False)  # files from before version 0.2 have none
        if not isinstance(fallback, bool):
            raise WeightsError(f"{path}: 'fallback' must be true or false, got {fallback!r}")
        weight = meta.get("anchor_weight", 1.0 if fallback else 0.0)  # older files: all or nothing
        if not (_is_number(weight) and 0 <= weight <= 1):
            raise WeightsError(f"{path}: 'anchor_weight' must be a number in [0, 1], got {weight!r}")
        est.anchor_weight_, est.anchor_check_ = float(weight), meta.get("anchor_check", {})
        weight, season = meta.get("validated_weight", 0.0), meta.get("validated_season")  # older files: none
        if not (_is_number(weight) and 0 <= weight <= 1):
            raise WeightsError(f"{path}: 'validated_weight' must be a number in [0, 1], got {weight!r}")
        if season is not None and not (isinstance(season, int) and not isinstance(season, bool) and season > 1):
            raise WeightsError(f"{path}: 'validated_season' must be null or an integer above 1, got {season!r}")
        est.validated_weight_, est.validated_season_ = float(weight), season
        est.validated_check_ = meta.get("validated_check", {})
        est.kernel_unit_ = meta.get("kernel_unit", "level")  # files from before version 0.2: the level unit
        if est.kernel_unit_ not in KERNEL_UNITS:
            raise WeightsError(f"{path}: 'kernel_unit' must be one of {KERNEL_UNITS}, got {est.kernel_unit_!r}")
        period = meta.get("deseasonal_period", 0)  # files from before version 0.2: no seasonal factors
        if isinstance(period, bool) or not isinstance(period, int) or period < 0:
            raise WeightsError(f"{path}: 'deseasonal_period' must be a non-negative integer, got {period!r}")
        est.deseasonal_period_ = period
        est.transform_ = meta.get("transform")  # files from before the transform existed: None
        if est.transform_ not in (None, "log"):
            raise WeightsError(f"{path}: 'transform' must be null or 'log', got {est.transform_!r}")
        est.noise_correlation_ = _saved_correlation(path, meta.get("noise_correlation"))  # older files: None
        series = meta.get("noise_series")
        if est.noise_correlation_ is not None and not (
                isinstance(series, list) and len(series) == len(est.noise_correlation_)
                and all(isinstance(i, str) for i in series)):
            raise WeightsError(f"{path}: 'noise_series' must name the {len(est.noise_correlation_)} series of "
                               "'noise_correlation'")
        est.noise_series_ = series if est.noise_correlation_ is not None else None
        est.history_ = []
        return est


def _saved_correlation(path, value) -> Optional[np.ndarray]:
    """A saved ``noise_correlation_``: None, or a symmetric positive definite matrix with a unit diagonal."""
    if value is None:
        return None
    from ..mixture import is_correlation

    try:
        corr = np.asarray(value, dtype=np.float64) if isinstance(value, list) else np.empty(0)
    except (TypeError, ValueError):  # ragged or non-numeric
        corr = np.empty(0)
    if not is_correlation(corr):
        raise WeightsError(f"{path}: 'noise_correlation' must be a symmetric positive definite matrix with a "
                           "unit diagonal, or null")
    return corr


def seasonal_anchor(system: Panel, n_val: int, context: int, max_series: int = 512) -> int:
    """The anchor's period for ``season_length="auto"``: the cycle most series' training parts show.

    The most common of :func:`found_periods` wins if at least half of the series (and channels) show one,
    else 1: the level-and-trend anchor (:func:`anchor_period`).
    """
    return anchor_period(found_periods(system, n_val, context, max_series))


def anchor_period(found: list) -> int:
    """The most common of the ``found`` periods if at least half the entries show one, else 1."""
    return _most_common(found, share=0.5) or 1


def found_periods(system: Panel, n_val: int, context: int, max_series: int = 512) -> list:
    """:func:`~tsheads.scoring.windows.dominant_period` (or None) of each series' and channel's training part.

    Up to ``max_series`` series, evenly spaced; only the points before the ``n_val`` held-out ones.
    """
    from ..scoring.windows import dominant_period

    found = []
    picks = np.unique(np.linspace(0, system.n_series - 1, min(system.n_series, max_series)).astype(int))
    for i in picks:
        part = system.values[system.indptr[i]:system.indptr[i + 1] - n_val]
        for ch in range(part.shape[1]):
            found.append(dominant_period(part[:, ch], low=2, high=context) if len(part) else None)
    return found


def _most_common(found: list, share: float) -> int:
    """The most common period in ``found`` if at least ``share`` of the entries show one, else 0."""
    periods = [p for p in found if p is not None]
    if not periods or len(periods) < share * len(found):
        return 0
    values, counts = np.unique(periods, return_counts=True)
    return int(values[counts.argmax()])


def deseasonalised(panel: Panel, period: int, h: int, held_out: int = 0) -> tuple[Panel, np.ndarray]:
    """``panel`` divided by each series' seasonal factors, and the factors of its next ``h`` steps ``(n, h, C)``.

    Factors come from :func:`tsheads.candidates.seasonal_factors` (all ones for a series that fails the M4
    seasonality test, is not positive or has gaps), fitted on each series but its last ``held_out`` points
    and indexed by position from the series' start, as Naive2 does. ``period`` 0 or 1: nothing changes.
    The loop is per series, but each factor fit is one short decomposition (about a millisecond).
    """
    from ..candidates import seasonal_factors

    future = np.ones((panel.n_series, h, panel.n_channels))
    if period <= 1:
        return panel, future
    divisors = np.ones_like(panel.values)
    for i, (lo, hi) in enumerate(zip(panel.indptr[:-1], panel.indptr[1:])):
        for c in range(panel.n_channels):
            y = panel.values[lo:max(hi - held_out, lo), c]
            peak = np.max(np.abs(y), initial=0.0)
            # in units of the series' peak (a power of two: exact), so huge or tiny series get the same factors
            f = seasonal_factors(np.ldexp(y, -_binary_exponents(peak)) if np.isfinite(peak) else y, period)
            divisors[lo:hi, c] = f[np.arange(hi - lo) % len(f)]
            future[i, :, c] = f[np.arange(hi - lo, hi - lo + h) % len(f)]
    return replace(panel, values=panel.values / divisors), future


def _positive(panel: Panel) -> bool:
    """Whether every value of ``panel`` that is not missing is above 0 (and one is there)."""
    values = panel.values[~np.isnan(panel.values)]
    return values.size > 0 and bool(np.all(values > 0))


def _fitted_transform(panel: Panel, transform, season: int) -> Optional[str]:
    """``transform_`` of a fit on ``panel`` with the anchor's period ``season``: "log" or None (see
    ``WTAForecaster``'s ``transform``)."""
    if transform is None or (transform == "auto" and season <= 1):
        return None
    if _positive(panel):
        return "log"
    if transform == "log":
        raise TsheadsError("transform='log' needs every target value above 0; this frame has values <= 0: use "
                           "transform=None (or 'auto', which takes the log only where every value is above 0)")
    return None


def _data_units(values: np.ndarray, factors: np.ndarray, transform) -> np.ndarray:
    """Per-series values ``(n, ..., h)`` from the network's space to data units: the seasonal factors ``(n, h)``
    back in, after ``exp`` where ``transform`` is "log" (:func:`tsheads.inference.capped_exp`)."""
    factors = factors.reshape(factors.shape[:1] + (1,) * (values.ndim - 2) + factors.shape[-1:])
    if transform == "log":  # factors inside the exp, so the cap holds for the product
        return capped_exp(values + np.log(factors))
    return values * factors


def _mixture_mean(hyp: np.ndarray, weights: np.ndarray, sigma: np.ndarray, factors: np.ndarray,
                  transform) -> np.ndarray:
    """Mean ``(n, h)`` in data units of the kernel mixtures (hypotheses ``(n, K, h)``, weights ``(n, K)``, widths
    and seasonal factors ``(n, h)``): of the Gaussian kernels, or with ``transform`` "log" of their exponentials
    (a log-normal kernel's mean is ``exp(mu + sigma^2 / 2)``)."""
    if transform == "log":
        hyp = hyp + 0.5 * sigma[:, None, :] ** 2
    return np.einsum("nk,nkh->nh", weights, _data_units(hyp, factors, transform))


def step_unit(x: np.ndarray, observed: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Mean absolute change between consecutive observed points of each context ``(n, C, T)``: ``(n, C, 1)``.

    Where a context has no such pair or never changes, ``fallback`` (same shape) stands in.
    """
    pairs = observed[..., 1:] & observed[..., :-1]
    total = np.where(pairs, np.abs(np.diff(x, axis=-1)), 0.0).sum(-1, keepdims=True)
    mean = total / np.maximum(pairs.sum(-1, keepdims=True), 1)
    return np.where(mean > 0, mean, fallback)


def _held_out_crps(hyp, weights, sigma, future, observed) -> float:
    """Mean closed-form CRPS of the mixtures (``sigma`` ``(n, C, h)``) over the observed held-out points."""
    from ..mixture import mixture_crps

    means, w, sig = _flat_mixture(hyp, weights, sigma)
    return float(mixture_crps(means[observed], w[observed], sig[observed], future[observed]).mean())


def _anchor_check(point, anchor, future, observed, unit, grid=WEIGHTS) -> tuple[float, dict]:
    """The weight from ``grid`` whose combination ``point + weight * (anchor - point)`` has the lowest mean
    absolute error on held-out windows (ties: the smaller weight), and the errors of the point forecast
    ``(n, C, h)``, the anchor path and that combination (:func:`.wta_blend.choose_weight`). Each window's errors
    are divided by ``unit`` ``(n, C, 1)`` (its mean absolute step: the scale of MASE, so the check weighs series
    as the M-competition scores do, not by their spread)."""
    truth = np.where(observed.astype(bool), future, np.nan)
    return choose_weight(point, anchor[..., :future.shape[-1]], truth, unit, grid, target_name="anchor")


ANCHOR_ALPHAS = (None, 0.2, 0.3, 0.5, 0.7, 1.0)  # the grid of anchor="auto"; None: fitted per series
ANCHOR_BETAS = (0.0, 0.25, 0.5, 0.75, 1.0)
ANCHOR_WINDOWS = 4096  # training windows the grid is scored on


def choose_anchor(pairs: tuple, h: int, rng: np.random.Generator) -> tuple[Optional[float], float]:
    """``(alpha, beta)`` of the level-and-trend anchor closest to the training windows' futures.

    ``pairs`` are standardised training windows (past, observed, future, future observed); the score is the
    mean absolute error over observed future points of up to ``ANCHOR_WINDOWS`` of them, each window's in
    units of its mean absolute step (as MASE). Ties go to the pair listed first.
    """
    import torch

    from ..nn.anchors import fitted_level, least_squares_slope, smoothed_level, trend_path

    past, obs, future, fobs = pairs
    if len(past) > ANCHOR_WINDOWS:
        idx = np.sort(rng.choice(len(past), ANCHOR_WINDOWS, replace=False))
        past, obs, future, fobs = past[idx], obs[idx], future[idx], fobs[idx]
    unit = torch.from_numpy(step_unit(past.astype(np.float64), obs, np.ones(past.shape[:-1] + (1,))))
    z, mask = torch.from_numpy(past).double(), torch.from_numpy(obs).double()
    future, seen = torch.from_numpy(future[..., :h]).double(), torch.from_numpy(fobs[..., :h])
    if not seen.any():
        return (1.0, 0.0)
    slope = least_squares_slope(z, mask)
    errors = {}
    for alpha in ANCHOR_ALPHAS:  # anchor_path's level and trend, each level computed once for all betas
        level, age = fitted_level(z, mask) if alpha is None else smoothed_level(z, mask, alpha)
        for beta in ANCHOR_BETAS:
            path = trend_path(level, age, slope, beta, h)
            errors[(alpha, beta)] = float(((path - future).abs() / unit)[seen].mean())
    return min(errors, key=errors.get)


def _is_number(v) -> bool:
    """A real number setting (numpy scalars too), not a bool."""
    return isinstance(v, (int, float, np.floating, np.integer)) and not isinstance(v, bool)


def _anchor_pair(anchor) -> tuple[float, float]:
    """``(alpha, beta)`` of an ``anchor`` setting other than a grid choice ("last": (1, 0)); refuses bad settings."""
    if isinstance(anchor, str) and anchor in ("auto", "held_out", "last"):
        return (1.0, 0.0)
    ok = isinstance(anchor, (tuple, list)) and len(anchor) == 2 and _is_number(anchor[1]) and 0 <= anchor[1] <= 2 \
        and (anchor[0] is None or (_is_number(anchor[0]) and 0 < anchor[0] <= 1))
    if not ok:
        raise TsheadsError(f"anchor must be 'auto', 'held_out', 'last' or (alpha, beta) with alpha None (fitted per "
                           f"series) or in (0, 1] and beta in [0, 2], got {anchor!r}")
    return None if anchor[0] is None else float(anchor[0]), float(anchor[1])


def _paths_frame(panel: Panel, paths: np.ndarray, index_col: str, model: str, **per_path) -> pd.DataFrame:
    """Several future paths per series, ``paths`` ``(n, m, h)``, as a long frame
    ``id, time, <index_col>, <per_path columns>, <model>``; ``per_path`` arrays are ``(n, m)``."""
    n, m, h = paths.shape
    cols = panel.columns
    times = future_times(panel.last_times, panel.freq, h).reshape(n, 1, h)
    out = {cols.id: np.repeat(panel.ids, m * h), cols.time: np.tile(times, (1, m, 1)).reshape(-1),
           index_col: np.tile(np.repeat(np.arange(m), h), n)}
    out.update({name: np.repeat(np.asarray(v).reshape(-1), h) for name, v in per_path.items()})
    out[model] = paths.reshape(-1)
    return pd.DataFrame(out)


def _json_safe(value):
    """Parameter values as JSON types: paths as strings, tuples as lists, numpy scalars as Python numbers."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (tuple, list)):
        return [_json_safe(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def _at_most(windows: Windows, max_rows: int, rng: np.random.Generator) -> Windows:
    """A seeded random subset of ``windows`` holding at most ``max_rows`` sequences (windows x channels).

    The stride already thins long series; this also caps panels of very many short series.
    """
    keep = max(1, max_rows // windows.past.shape[1])
    if len(windows.past) <= keep:
        return windows
    idx = np.sort(rng.choice(len(windows.past), keep, replace=False))
    return Windows(*(a[idx] for a in windows))


def _flat_mixture(hyp, weights, bandwidth):
    """``(N, C, K, H)`` hypotheses -> means ``(N, C, H, K)``, matching weights and kernel widths ``(N, C, H)``."""
    means = hyp.transpose(0, 1, 3, 2)
    return means, np.broadcast_to(weights[:, None, None, :], means.shape), np.broadcast_to(bandwidth, means.shape[:-1])


def _pit_table(hyp, weights, bandwidth, future, observed) -> np.ndarray:
    from ..mixture import pit_table

    means, w, sigma = _flat_mixture(hyp, weights, bandwidth)
    return pit_table(means[observed], w[observed], sigma[observed], future[observed])


def _coverage(hyp, weights, bandwidth, table, future, observed, levels) -> dict:
    """Share of held-out points inside each recalibrated central interval (in-sample for the recalibration)."""
    from ..mixture import mixture_quantiles, recalibrated_levels

    means, w, sigma = _flat_mixture(hyp, weights, bandwidth)
    wanted = recalibrated_levels(band_levels(levels), table)
    q = mixture_quantiles(means, w, sigma, wanted)
    out = {}
    for i, lv in enumerate(levels):
        inside = (future >= q[..., 2 * i]) & (future <= q[..., 2 * i + 1])
        out[str(lv)] = float(inside[observed].mean())
    return out


def _unit_scaled(panel: Panel) -> Panel:
    """``panel`` with each series (and channel) divided by the power of two nearest its largest magnitude.

    Training windows are float32 (:func:`tsheads.windows.sliding_windows`), where magnitudes beyond about
    3e38 overflow and below about 1e-38 vanish; scaled, every series peaks in [0.5, 1). A power of two
    divides exactly, and the training pairs are z-scored per window, so nothing else changes.
    """
    magnitudes = np.where(np.isfinite(panel.values), np.abs(panel.values), 0.0)
    exponents = _binary_exponents(np.maximum.reduceat(magnitudes, panel.indptr[:-1], axis=0))  # (n_series, C)
    return replace(panel, values=np.ldexp(panel.values, -np.repeat(exponents, panel.lengths, axis=0)))


def _binary_exponents(peaks: np.ndarray) -> np.ndarray:
    """``e`` with ``peaks / 2**e`` in [0.5, 1) (0 for zeros): dividing by ``2**e`` is exact in float64."""
    return np.frexp(peaks)[1]


def _joint_panel(panel: Panel) -> Panel:
    """All series of ``panel`` as the channels of one series; they must share their time stamps."""
    lengths = panel.lengths
    if panel.n_channels != 1:
        raise TsheadsError("joint=True takes one target column; its series become the channels")
    times = [panel.times[panel.indptr[i]:panel.indptr[i + 1]] for i in range(panel.n_series)]
    if np.any(lengths != lengths[0]) or any(not np.array_equal(np.asarray(t), np.asarray(times[0])) for t in times):
        raise TsheadsError("joint=True needs every series on the same time stamps (same start, end and length); "
                           "align them first, e.g. with tsheads.fill_gaps")
    values = panel.values[:, 0].reshape(panel.n_series, lengths[0]).T  # (T, C)
    return Panel(np.array(["joint"], dtype=object), times[0], values, np.array([0, lengths[0]], dtype=np.int64),
                 panel.freq, panel.columns)
