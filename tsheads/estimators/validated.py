"""A forecaster that checks itself: candidates backtested inside each series' history, then combined.

Per series, the pretrained network (zero-shot), naive, drift, seasonal naive and the seasonal median at each
period the series shows, Theta (:mod:`tsheads.candidates`; ETS on request) and a ridge autoregression pooled over
the frame's series (:mod:`tsheads.pooled_linear`) forecast from up to ``n_windows``
rolling origins inside the history (:func:`tsheads.backtest.origin_cutoffs`). Their mean scaled errors there
pick or weight them (:mod:`tsheads.combine`). Intervals are by default the network's spread (10-90 %) at the
end, scaled by the quantile of the combination's backtest residuals over the network's spread at the same
origins, pooled over the frame (normalised conformal, :mod:`tsheads.conformal`); or the network's own bands
moved onto the combined point, or conformal bands of other kinds. The network runs once over every series and
origin together.

Each series' errors lean on the other series of the frame (``frame_prior``, :func:`tsheads.combine.with_frame_prior`),
so a series' forecast depends on the frame it is forecast with (with ``frame_prior=0`` it does not).

Short-series rule: a series with fewer than ``h + MIN_TRAIN`` points has no backtest origin; it gets the
candidates weighted by how they did on the frame's other series, or, where no series of the frame has a
backtest (or ``frame_prior=0``), the network's forecast; always the network's own quantile bands
(``origins == 0`` in :attr:`chosen_`).
"""

from __future__ import annotations

import warnings
from typing import Optional

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from ..backtest import origin_cutoffs
from ..candidates import ModelSpec, has_statsforecast, season_lengths
from ..candidates_pool import start_classical
from ..combine import DEFAULT_RULE, check_rule, combination_weights, mean_scaled_errors, with_frame_prior
from ..conformal import conformal_bands
from ..errors import TsheadsError
from ..forecast_columns import band_columns, band_levels
from ..inference import capped_exp, forecast_routed, forecast_split, interpolate_quantiles, torch_threads_at_most
from ..pooled_linear import pooled_linear_forecasts
from ..pretrained import SHORT, has_short
from ..timegrid import resolution_index, step_seconds
from ..windows import Panel
from .base import check_positive_int
from .pretrained import PretrainedForecaster, check_positive_number, check_random_state
from .zero_shot import ZeroShotForecaster

#: fewest training points a backtest origin leaves a series
MIN_TRAIN = 8
#: candidate families; ``seasonal_naive`` stands for every ``snaive_<m>``, ``seasonal_median`` for every
#: ``smedian_<m>`` (:func:`tsheads.candidates.seasonal_median`); ``second_network`` is the network the
#: length routing did not pick (the 512-point one for series of at most 128 points, else the 128-point companion);
#: ``log_network`` is the routed network on the logarithm of each context (series with every value above 0);
#: ``linear`` is a ridge autoregression pooled over the frame's series (:mod:`tsheads.pooled_linear`; with
#: ``frame_prior=0`` each series has its own, so that its forecast does not depend on the frame); a default since
#: ``evaluation.linear_candidate_choice`` (see :data:`DEFAULT_CANDIDATES`)
CANDIDATES = ("network", "second_network", "log_network", "naive", "drift", "seasonal_naive", "seasonal_median",
              "theta", "ets", "linear")
#: the column-name prefix of each family that has one column per seasonal period
PERIOD_FAMILIES = {"snaive_": "seasonal_naive", "smedian_": "seasonal_median"}
#: the default families: ETS left out, as it improved the pooled validation score by at most 0.004 (within the
#: rule's 0.005) at 1.6 to 2.5 times the time (``evaluation.classical_choice``); ``candidates=CANDIDATES`` adds it.
#: The seasonal median joined them by ``evaluation.seasonal_median_choice`` (pooled relative MASE 0.761 against
#: 0.764; hourly corpus windows 0.761 against 0.853, M4 hourly 0.991 against 0.985). The pooled linear model
#: joined by ``evaluation.linear_candidate_choice`` (clean 4d3d7f9: score 0.7625 against 0.7670, pooled relative
#: MASE 0.754 against 0.763)
DEFAULT_CANDIDATES = ("network", "naive", "drift", "seasonal_naive", "seasonal_median", "theta", "linear")
#: interval kinds: :mod:`tsheads.conformal` per series, adaptive per series, scaled scores pooled over series,
#: normalised by the network's spread; or the network's own quantile bands around the combined point
INTERVALS = ("conformal", "adaptive", "pooled", "normalized", "network")
#: residuals the conformal intervals are built from: the combination's at each backtest origin, or cross-fitted
#: (each origin's combination weighted from the other origins' errors: :func:`cross_fitted_residuals`)
RESIDUALS = ("backtest", "cross_fitted")
#: how far each series' backtest errors lean on the frame's other series: chosen together with the combination
#: rule by one score (relative MASE + coverage error) on M1 / M3 / M4-hourly, corpus and half-hourly validation
#: windows (``evaluation.rule_prior_choice``, clean 1278f08, with the pooled linear candidate: ``inverse_top3`` at
#: 12 scored 0.7615, relative MASE 0.7520 and coverage error 0.010, against 0.7625 at 16, the choice of the run
#: before the linear candidate joined (clean 70214a7), and 0.7656 for ``evidence0.33_top3`` at 8, the pair before
#: that). Until then the rule and the prior were chosen in turns, which did not settle (see the README)
DEFAULT_FRAME_PRIOR = 12.0
#: the network's quantile levels whose distance is the local scale of ``intervals="normalized"``
SPREAD_LEVELS = (0.1, 0.9)
#: the candidates the network makes, in the order they are listed
NETWORK_CANDIDATES = ("network", "second_network", "log_network")


class ValidatedForecaster(PretrainedForecaster):
    """Per-series backtested choice and weighting of the network and classical forecasters (module docstring).

    Parameters
    ----------
    season_length : int or list of int, optional
        Seasonal periods for the seasonal-naive and seasonal-median candidates; None: the day, week and year in
        steps of the frequency (:func:`tsheads.candidates.season_lengths`; none for integer time).
    n_windows : int, default 2
        Most backtest origins per series.
    step_size : int, optional
        Steps between origins; None: ``max(1, h // n_windows)``, so the origins spread over one horizon.
        With the frame prior, two origins spread so scored within the suite's 0.005 tolerance of ten adjacent
        ones on validation windows (relative MASE 0.766 against 0.762; three: 0.764) and were the fastest
        (``evaluation.backtest_choice``, whose rule takes the fastest setting within that tolerance).
    combination : str, default DEFAULT_RULE
        Rule of :mod:`tsheads.combine` (``"inverse_top3"``, ``"evidence0.33_top3"``, ``"best"`` ...), chosen
        together with ``frame_prior`` (``evaluation.rule_prior_choice``).
    frame_prior : float, default DEFAULT_FRAME_PRIOR
        How far each series' backtest errors lean on the frame's other series: each error is multiplied by
        ``exp(frame_prior * standing)``, the candidate's geometric-mean error ratio to the best on the other
        series raised to ``frame_prior`` (:func:`tsheads.combine.with_frame_prior`). A few origins are a noisy
        verdict; what won on similar series is evidence too, as AutoGluon's per-dataset ensembles use. Series
        too short for a backtest get the frame's verdict alone. 0: each series on its own (its forecast then
        does not depend on the other series; short series get the network).
    intervals : {"conformal", "adaptive", "pooled", "normalized", "network"}, default "normalized"
        Split-conformal radii per series and step, adaptive conformal inference for drifting series,
        scores scaled by each series' backtest error and pooled over every series of the frame, scores
        scaled by the network's 10-90 % spread at each origin and step and pooled over everything
        (normalised conformal), or the pretrained network's own quantile bands shifted onto the combined
        point (the last two need the network candidate).
        The default had the most validation groups within 3 points of nominal coverage
        (``evaluation.combination_choice``, clean 97c33fd, at the current defaults: 15 of 18 checks, 80 and
        95 % in nine groups, against 12 for the network's own bands; pooled 0.785 / 0.946 against 0.804 /
        0.959; per-series conformal 0.63 / 0.65, two origins being too few).
    residuals : {"backtest", "cross_fitted"}, default "backtest"
        The residuals every kind of conformal interval is built from (not ``"network"``, which ignores them):
        the combination's at each backtest origin, whose weights were chosen on those same origins, or
        cross-fitted, each origin's combination weighted from the other origins' errors
        (:func:`cross_fitted_residuals`), which removes that selection's optimism. On validation windows
        (``evaluation.combination_choice``) cross-fitting raised the normalised bands' pooled coverage a little
        (0.792 / 0.949 against 0.785 / 0.946 at the current defaults; 0.796 / 0.951 against 0.786 / 0.947 under
        the defaults of clean 1222e52) but passed 14 of 18 group checks against 15 (13 then), so it is not the
        default.
    candidates : sequence of str, optional
        Subset of :data:`CANDIDATES` to consider (``"network"`` or ``"naive"`` among them: the short-series
        rule falls back on one); None: :data:`DEFAULT_CANDIDATES` (every family but ETS, the
        second network and the log network, which scored worse on validation windows (pooled relative MASE
        0.776 and 0.766 against 0.764: ``evaluation.network_candidates_choice``). The seasonal median (each
        step the median of its position in the last three cycles, at every period) is in since
        ``evaluation.seasonal_median_choice``: pooled relative MASE 0.761 against 0.764 without it.
        On validation windows (``evaluation.classical_choice``, 4,462 series) the default scored a pooled
        relative MASE of 0.766 against 0.761 with statsforecast's AutoETS search and seasonal Theta and with
        damped-trend ETS, at 2.5 and 1.6 times their speed.
    ets_model : str, default "ZZN"
        statsforecast AutoETS model string, ``d`` for damped (``"AAdN"``), when ``"ets"`` is a candidate; see
        :class:`tsheads.candidates.ModelSpec` for why non-seasonal.
    theta_model : {"adjusted", "seasonal", "optimized", "dynamic"}, default "adjusted"
        The standard Theta on the seasonally adjusted series (the M4 test and multiplicative decomposition,
        once per series); ``"optimized"`` / ``"dynamic"``: the optimised / dynamic optimised Theta (fitted theta
        coefficient; the dynamic one also updates its trend line as points arrive) on the adjusted series;
        ``"seasonal"``: statsforecast's standard Theta with its own seasonal test and decomposition again at
        every origin (slower). See :data:`tsheads.candidates.THETA_FORMS`. ``evaluation.theta_form_choice``
        scored ``"dynamic"`` best on validation windows (0.765 against 0.771), but it cuts the speed on M3
        monthly below the issue's 300 series/s (269 against 474), so the standard Theta stays the default.
    model_points : int or None, default 256
        Theta and ETS are fitted on (and run forward from) at most this many of the latest points; None: the
        whole series. Their optimisers read every point, so on long series they, not the network (which
        reads at most 512), set the speed. On long-series validation windows (M4 hourly, hourly corpus) 256
        points scored a relative MASE of 0.922 against 0.919 for whole series at 5.6 times the speed, and the
        rule of ``evaluation.model_points_choice`` takes the fastest setting within 0.005 of the best score.
    weights, context_length, short_history, batch_size, precision, device
        The network's settings, as for :class:`~tsheads.estimators.zero_shot.ZeroShotForecaster`.
    n_jobs : int or None, default -1
        CPUs for the candidates (-1: every CPU; None or 1: everything in this process, torch's threads as
        they are). With several, the classical candidates run in worker processes beside the network: a
        quarter of the CPUs (at least one) stay with the network, the rest run workers, torch's threads are
        capped at the machine's CPUs the workers leave free and restored after, and this process takes the
        chunks no worker has started once the network is done (without the network candidate every CPU
        runs a worker). Frames under 64 series, and systems without ``fork``, always use this process. The
        classical forecasts do not depend on it; the network's may move in the last float bits with torch's
        thread count. torch's thread count is global to the process: do not fit two of these in threads.
    random_state : int, optional
        Accepted for the estimator contract; every step is deterministic.
    alias : str, optional
        Name of the forecast column (default ``"TSHeads"``, as the bare network).

    Attributes
    ----------
    chosen_ : pandas.DataFrame
        After ``predict``: one row per series, each candidate's weight, ``origins`` (backtest origins used;
        0 = the short-series rule) and ``used`` (the weighted candidates in words).
    backtest_errors_ : pandas.DataFrame
        After ``predict``: each candidate's mean scaled backtest error per series (NaN: did not run).
    candidate_forecasts_ : ndarray
        After ``predict``: ``(n_series, n_candidates, h)`` each candidate's forecast (columns of ``chosen_``).
    backtest_forecasts_ : ndarray
        After ``predict``: ``(n_series, n_candidates, n_origins, h)`` each candidate's forecast from each backtest
        origin (oldest first, aligned with ``residuals_``), NaN where it did not run or the series has fewer origins.
    backtest_actuals_ : ndarray
        After ``predict``: ``(n_series, n_origins, h)`` the values those forecasts were scored against.
    network_quantiles_ : ndarray
        After ``predict`` (with the network candidate): ``(n_series, n_quantiles, h)`` the network's quantiles
        at its trained levels (``model_.config.quantiles``) from the end of each series.
    network_spread_ : ndarray
        After ``predict`` (with the network candidate): ``(n_series, n_origins + 1, h)`` the network's 10-90 %
        quantile width at each backtest origin (aligned with ``residuals_``) and, last, at the series' end.
    residuals_ : ndarray
        After ``predict``: ``(n_series, n_origins, h)`` the combination's backtest residuals (actual minus
        forecast), oldest origin first, NaN where a series has fewer origins; the intervals come from these
        (cross-fitted with ``residuals="cross_fitted"``).
    """

    def __init__(self, season_length=None, n_windows: int = 2, step_size: Optional[int] = None,
                 combination: str = DEFAULT_RULE, frame_prior: float = DEFAULT_FRAME_PRIOR,
                 intervals: str = "normalized", residuals: str = "backtest", candidates=None,
                 ets_model: str = "ZZN", theta_model: str = "adjusted", model_points: Optional[int] = 256,
                 weights=None,
                 context_length: Optional[int] = None, short_history="auto", batch_size: int = 512,
                 precision: str = "float32", device: str = "cpu", n_jobs: Optional[int] = -1,
                 random_state: Optional[int] = None, alias: Optional[str] = None):
        self.season_length = season_length
        self.n_windows = n_windows
        self.step_size = step_size
        self.combination = combination
        self.frame_prior = frame_prior
        self.intervals = intervals
        self.residuals = residuals
        self.candidates = candidates
        self.ets_model = ets_model
        self.theta_model = theta_model
        self.model_points = model_points
        self.weights = weights
        self.context_length = context_length
        self.short_history = short_history
        self.batch_size = batch_size
        self.precision = precision
        self.device = device
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.alias = alias

    def _network(self) -> ZeroShotForecaster:
        return ZeroShotForecaster(weights=self.weights, context_length=self.context_length,
                                  short_history=self.short_history, batch_size=self.batch_size,
                                  precision=self.precision, device=self.device)

    def _check_params(self) -> None:
        check_positive_int(self.n_windows, "n_windows")
        if self.step_size is not None:
            check_positive_int(self.step_size, "step_size")
        if self.n_jobs is not None and (isinstance(self.n_jobs, bool) or not isinstance(self.n_jobs, (int, np.integer))
                                        or self.n_jobs == 0):
            raise TsheadsError(f"n_jobs must be None or a non-zero integer (-1: every CPU), got {self.n_jobs!r}")
        check_rule(self.combination)
        check_positive_number(self.frame_prior, "frame_prior", allow_zero=True)
        check_random_state(self.random_state)
        if self.intervals not in INTERVALS:
            raise TsheadsError(f"intervals must be one of {INTERVALS}, got {self.intervals!r}")
        if self.residuals not in RESIDUALS:
            raise TsheadsError(f"residuals must be one of {RESIDUALS}, got {self.residuals!r}")
        if self.intervals in ("network", "normalized") and not self._uses("network"):
            raise TsheadsError(f"intervals={self.intervals!r} needs the 'network' candidate")
        if self._uses("second_network") and not has_short():
            raise TsheadsError(f"the 'second_network' candidate needs the bundled short network ({SHORT}), which "
                               "this installation does not ship")
        unknown = set(self.candidates or ()) - set(CANDIDATES)
        if unknown or (self.candidates is not None and not len(self.candidates)):
            raise TsheadsError(f"candidates must be a non-empty subset of {CANDIDATES}, got {self.candidates!r}")
        if not (self._uses("network") or self._uses("naive")):
            raise TsheadsError(f"candidates must include 'network' or 'naive' (series too short for a backtest "
                               f"fall back on one of them), got {self.candidates!r}")
        self._periods(None)
        ModelSpec(ets=self.ets_model, theta=self.theta_model, max_points=self.model_points)  # checks every form
        if self.theta_model in ("optimized", "dynamic") and self._uses("theta") and not has_statsforecast():
            warnings.warn(f"theta_model={self.theta_model!r} needs statsforecast (pip install 'tsheads[fast]'); "
                          "without it the Theta candidate is statsmodels' standard Theta", UserWarning, stacklevel=3)
        self._network()._check_params()

    def _periods(self, freq) -> list[int]:
        """The seasonal periods asked for, else those of ``freq``."""
        if self.season_length is None:
            return season_lengths(freq) if freq is not None else []
        given = np.atleast_1d(self.season_length).tolist()
        return sorted({check_positive_int(m, "season_length") for m in given if m != 1})

    def _fit_panel(self, panel: Panel) -> None:
        network = self._network()
        self.model_ = network._model()
        self.network_ = network

    def _uses(self, family: str) -> bool:
        return family in (DEFAULT_CANDIDATES if self.candidates is None else self.candidates)

    def _model_spec(self) -> ModelSpec | None:
        """The statistical candidates asked for (None: neither Theta nor ETS)."""
        spec = ModelSpec(ets=self.ets_model if self._uses("ets") else None,
                         theta=self.theta_model if self._uses("theta") else None, max_points=self.model_points)
        return spec if spec.ets or spec.theta else None

    def _predict_panel(self, h, level, quantiles):
        check_is_fitted(self, "model_")
        panel = self.panel_
        series = [panel.series(i)[:, 0] for i in range(panel.n_series)]
        cuts = [origin_cutoffs(len(y), h, self.n_windows, self._step(h), MIN_TRAIN) for y in series]
        periods = self._periods(panel.freq) if any(map(self._uses, PERIOD_FAMILIES.values())) else []
        names, forecasts = self._candidate_forecasts(series, cuts, h, periods)
        k_max = max(1, max(len(c) for c in cuts))
        actuals = np.full((len(series), k_max, h), np.nan)
        for i, (y, c) in enumerate(zip(series, cuts)):
            for j, cut in enumerate(c):
                actuals[i, k_max - len(c) + j] = y[cut:cut + h]
        back = np.stack([forecasts[name][:, :k_max] for name in names], axis=1)  # (n, C, K, h)
        final = np.stack([forecasts[name][:, k_max] for name in names], axis=1)  # (n, C, h)
        has_origins = np.isfinite(actuals[:, :, 0]).any(axis=1)
        # a candidate competes when it ran at half of its series' origins or more (seasonal naive needs m points)
        ran = np.isfinite(back).all(axis=3).sum(axis=2)
        origins = np.isfinite(actuals[:, :, 0]).sum(axis=1)
        available = np.isfinite(final).all(axis=2)
        usable = (2 * ran >= origins[:, None]) & available & has_origins[:, None]
        scales = _scales(series, cuts, periods)
        errors = np.where(usable, mean_scaled_errors(back, actuals, scales), np.nan)
        weights, point, residuals = combine_candidates(errors, names, final, back, actuals, self.combination,
                                                       float(self.frame_prior), origins * h)
        no_choice = ~np.isfinite(errors).any(axis=1)
        self.candidate_forecasts_ = final
        if self.residuals == "cross_fitted":
            residuals = cross_fitted_residuals(back, actuals, usable, scales, names, self.combination, available,
                                               float(self.frame_prior))
        self._record(names, weights, errors, origins)
        self.backtest_forecasts_, self.backtest_actuals_ = back, actuals
        self.residuals_ = residuals
        extra = interval_bands(self.intervals, self.model_name, point, residuals, no_choice,
                               getattr(self, "network_quantiles_", None), self.model_.config.quantiles,
                               getattr(self, "network_spread_", None), level, quantiles)
        return point, extra

    def _candidate_forecasts(self, series, cuts, h, periods) -> tuple[list, dict]:
        """Candidate name -> ``(n, k_max + 1, h)`` forecasts; origins right-aligned, the real forecast last."""
        k_max = max(1, max(len(c) for c in cuts))
        n = len(series)
        out: dict[str, np.ndarray] = {}
        tasks = [(y, np.r_[c, len(y)], [m for m in periods if 2 * m <= len(y)]) for y, c in zip(series, cuts)]
        network = any(self._uses(name) for name in NETWORK_CANDIDATES)
        classical = start_classical(tasks, h, self._model_spec(), self.n_jobs, beside_network=network)
        # the network and the pooled linear model run here while workers fit the classical candidates, torch's and
        # BLAS's threads both capped at the CPUs the workers leave (uncapped, the ridge fits fought the workers:
        # M4 hourly 96 against 140 series/s); BLAS's thread count may change the linear forecasts in the last bits
        try:
            with torch_threads_at_most(classical.network_cpus), threadpool_limits(classical.network_cpus):
                if network:
                    out.update(self._network_forecasts(series, cuts, h, k_max))
                linear = self._linear_forecasts(series, tasks, h, k_max) if self._uses("linear") else None
        except BaseException:
            classical.cancel()
            raise
        for i, ((_, rows, _), candidates) in enumerate(zip(tasks, classical.result())):
            for name, values in candidates.items():
                family = next((f for prefix, f in PERIOD_FAMILIES.items() if name.startswith(prefix)), name)
                if not self._uses(family):
                    continue
                block = out.setdefault(name, np.full((n, k_max + 1, h), np.nan))
                block[i, k_max + 1 - len(rows):] = values
        names = [name for name in (*NETWORK_CANDIDATES, "naive", "drift") if name in out]
        for prefix in PERIOD_FAMILIES:
            names += sorted((name for name in out if name.startswith(prefix)), key=lambda s: int(s.split("_")[1]))
        if linear is not None:
            out["linear"] = linear
        names += [name for name in ("theta", "ets", "linear") if name in out]
        return names, out

    def _step(self, h: int) -> int:
        """Steps between backtest origins."""
        return self.step_size or max(1, h // self.n_windows)

    def _linear_forecasts(self, series, tasks, h, k_max) -> np.ndarray:
        """The pooled ridge autoregression from every origin and the end: one model for the frame, or one per
        series with ``frame_prior=0``. Each backtest slot's fit reads every series up to where that slot's
        origin is or would be (``h`` + the later origins' steps before its end), so series that share a
        calendar lend no values from after the slot's origins."""
        origins = np.full((len(series), k_max + 1), -1, dtype=np.int64)
        for i, (_, rows, _) in enumerate(tasks):
            origins[i, k_max + 1 - len(rows):] = rows
        # every slot's origin, kept where it leaves no training point (such a slot then reads nothing of the series)
        limits = np.stack([np.r_[origin_cutoffs(len(y), h, k_max, self._step(h), -np.inf), len(y)] for y in series])
        pools = None if self.frame_prior else np.arange(len(series))
        return pooled_linear_forecasts(series, origins, h, pools, limits)

    def _network_forecasts(self, series, cuts, h, k_max) -> dict:
        """The networks' medians from every origin and the series' end, each network in one batched call."""
        model = self.model_
        context = self.network_._context(model)
        rows = [(i, int(cut), k_max + 1 - len(c) - 1 + j) for i, c in enumerate(cuts)
                for j, cut in enumerate(np.r_[c, len(series[i])])]
        length = min(context, max(cut for _, cut, _ in rows))
        x = np.zeros((len(rows), 1, length))
        observed = np.zeros_like(x, dtype=bool)
        for r, (i, cut, _) in enumerate(rows):
            tail = series[i][max(0, cut - length):cut]
            x[r, 0, length - len(tail):] = tail
            observed[r, 0, length - len(tail):] = True
        # every origin of a series goes to the network that makes its final forecast (routed by its whole length)
        lengths = np.array([len(series[i]) for i, _, _ in rows])
        route = self.network_._short_route()
        slots = (np.array([i for i, _, _ in rows]), np.array([slot for _, _, slot in rows]))
        out = {}
        resolution = resolution_index(step_seconds(self.panel_.freq))  # v1 networks ignore it
        if self._uses("network"):
            _, quants = forecast_routed(model, x, observed, h, lengths, route, batch_size=self.batch_size,
                                        precision=self.precision, resolution=resolution)
            levels = list(model.config.quantiles)
            lo, hi = interpolate_quantiles(levels, quants[:, 0], SPREAD_LEVELS).transpose(1, 0, 2)
            out["network"] = _by_slot(quants[:, 0, levels.index(0.5)], slots, len(series), k_max)
            self.network_spread_ = _by_slot(hi - lo, slots, len(series), k_max)
            self.network_quantiles_ = quants[slots[1] == k_max, 0]
        if self._uses("second_network"):
            out["second_network"] = self._second_network_forecasts(x, observed, h, lengths, route, slots,
                                                                   len(series), k_max, resolution)
        if self._uses("log_network"):
            positive = np.where(observed, x > 0, True).all(axis=(1, 2))
            logs = np.where(observed & (x > 0), np.log(np.where(x > 0, x, 1.0)), 0.0)
            _, quants = forecast_routed(model, logs, observed, h, lengths, route, batch_size=self.batch_size,
                                        precision=self.precision, resolution=resolution)
            median = capped_exp(quants[:, 0, list(model.config.quantiles).index(0.5)])
            median[~positive] = np.nan  # a context with a value at or below 0: no log forecast from it
            out["log_network"] = _by_slot(median, slots, len(series), k_max)
        return out

    def _second_network_forecasts(self, x, observed, h, lengths, route, slots, n, k_max, resolution) -> np.ndarray:
        """Each row's median from the network its routing did not pick: the 512-point network for series the
        routing sends to the short companion, the companion (on the last 128 points) for the others."""
        short = self.network_._companion()
        if h > short.config.horizon:  # the routing sends every row to the 512-point network; no second one
            return np.full((n, k_max + 1, h), np.nan)
        to_short = np.ones(len(x), dtype=bool) if route is None else np.asarray(lengths) > route.max_history
        _, quants = forecast_split(self.model_, short, x, observed, h, to_short, batch_size=self.batch_size,
                                   precision=self.precision, resolution=resolution)
        return _by_slot(quants[:, 0, list(short.config.quantiles).index(0.5)], slots, n, k_max)

    def _record(self, names, weights, errors, origins) -> None:
        ids = pd.Index(self.panel_.ids, name=self.panel_.columns.id)
        chosen = pd.DataFrame(weights, index=ids, columns=names)
        chosen["origins"] = origins
        chosen["used"] = [" + ".join(f"{names[c]} {w[c]:.2f}" for c in np.argsort(-w) if w[c] > 0) for w in weights]
        self.chosen_ = chosen
        self.backtest_errors_ = pd.DataFrame(errors, index=ids, columns=names)


def combine_candidates(errors: np.ndarray, names: list, final: np.ndarray, back: np.ndarray, actuals: np.ndarray,
                       rule: str, frame_prior: float, points: np.ndarray) -> tuple:
    """The combination step of ``predict`` once the candidates have run: weights, combined forecasts and the
    combination's backtest residuals. ``evaluation.rule_prior_choice`` re-weights stored backtests with it.

    Parameters
    ----------
    errors : ndarray
        ``(n, c)`` each series' own mean scaled backtest errors, NaN where a candidate may not compete.
    names : list of str
        Candidate names of the columns.
    final : ndarray
        ``(n, c, h)`` each candidate's forecast from the series' end, NaN where it has none.
    back, actuals : ndarray
        ``(n, c, k, h)`` backtest forecasts and ``(n, k, h)`` the values they forecast.
    rule, frame_prior, points
        As for :func:`weights_with_fallback`.

    Returns
    -------
    tuple
        ``(n, c)`` weights, ``(n, h)`` combined forecasts, ``(n, k, h)`` residuals (NaN where ``actuals`` is).
    """
    available = np.isfinite(final).all(axis=2)
    weights = weights_with_fallback(errors, names, rule, available, frame_prior, points=points)
    point = np.einsum("nc,nch->nh", weights, np.nan_to_num(final))
    residuals = np.where(np.isfinite(actuals), actuals - combined_backtests(weights, back), np.nan)
    return weights, point, residuals


def combined_backtests(weights: np.ndarray, back: np.ndarray) -> np.ndarray:
    """The combination's forecast at every backtest origin, from the candidates that ran there.

    A candidate may be weighted although it missed an origin (it ran at half of them or more; the seasonal
    median needs three cycles before a cut). Counting its missing forecast as 0 would make that origin's
    residual the series' whole level and blow up every band built from the residuals, so at each origin the
    weights of the candidates that ran are scaled to sum to 1; an origin where none of them ran is NaN.

    Parameters
    ----------
    weights : ndarray
        ``(n, c)`` combination weights, rows summing to 1.
    back : ndarray
        ``(n, c, k, h)`` backtest forecasts, NaN where a candidate did not run.

    Returns
    -------
    ndarray
        ``(n, k, h)`` combined backtest forecasts.
    """
    ran = np.isfinite(back).all(axis=3)  # (n, c, k)
    share = np.einsum("nc,nck->nk", weights, ran.astype(np.float64))
    total = np.einsum("nc,nckh->nkh", weights, np.where(ran[..., None], back, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(share[..., None] > 0, total / share[..., None], np.nan)


def cross_fitted_residuals(back: np.ndarray, actuals: np.ndarray, usable: np.ndarray, scales: np.ndarray,
                           names: list, rule: str, available: np.ndarray, frame_prior: float) -> np.ndarray:
    """The combination's residual at each origin under weights chosen without that origin (cross-fitting).

    The weights that make the forecast were chosen on the same origins whose residuals size the bands, so those
    residuals are the smallest the candidates could show there: the sharper the rule, the narrower and the less
    covering the bands. Here origin ``j``'s combined forecast is weighted from the errors at every other origin
    (the frame prior too is rebuilt from the other series' errors without origin ``j``); a series with one origin
    gets the frame's verdict at it, or, with ``frame_prior=0``, the network (the short-series rule).

    Parameters
    ----------
    back : ndarray
        ``(n, c, k, h)`` candidates' backtest forecasts, NaN where a candidate did not run.
    actuals : ndarray
        ``(n, k, h)`` the values they forecast, NaN at missing origins.
    usable : ndarray of bool
        ``(n, c)`` candidates allowed to compete for each series.
    scales : ndarray
        ``(n,)`` the series' error scales.
    names, rule, available, frame_prior
        As for :func:`weights_with_fallback`.

    Returns
    -------
    ndarray
        ``(n, k, h)`` residuals (actual minus forecast), NaN where ``actuals`` is.
    """
    h = actuals.shape[2]
    out = np.full(actuals.shape, np.nan)
    for j in range(actuals.shape[1]):
        others = actuals.copy()
        others[:, j] = np.nan
        errors = np.where(usable, mean_scaled_errors(back, others, scales), np.nan)
        points = np.isfinite(others[:, :, 0]).sum(axis=1) * h
        weights = weights_with_fallback(errors, names, rule, available, frame_prior, points=points)
        out[:, j] = actuals[:, j] - combined_backtests(weights, back[:, :, j:j + 1])[:, 0]
    return out


def _by_slot(values: np.ndarray, slots: tuple, n: int, k_max: int) -> np.ndarray:
    """``(n, k_max + 1, h)`` of per-row ``values`` placed at their ``(series, origin slot)``; NaN elsewhere."""
    out = np.full((n, k_max + 1, values.shape[-1]), np.nan)
    out[slots] = values
    return out


def weights_with_fallback(errors: np.ndarray, names: list, rule: str, available: Optional[np.ndarray] = None,
                          frame_prior: float = 0.0, points: Optional[np.ndarray] = None) -> np.ndarray:
    """:func:`tsheads.combine.combination_weights` of the errors leaning ``frame_prior`` on the frame's other series
    (:func:`tsheads.combine.with_frame_prior`), with the short-series rule for rows left without any error.

    Parameters
    ----------
    errors : ndarray
        ``(n, c)`` mean scaled backtest errors, NaN where a candidate did not run.
    names : list of str
        Candidate names of the columns (the rule falls back on ``network``, else ``naive``).
    rule : str
        Combination rule.
    available : ndarray of bool, optional
        ``(n, c)`` candidates with a forecast for each series; needed when ``frame_prior`` > 0.
    frame_prior : float, default 0
        Weight of the frame's standing (0: each series on its own; rows without errors get the fallback).
    points : ndarray, optional
        ``(n,)`` backtest points of each series (origins x horizon), for the ``evidence`` rules.

    Returns
    -------
    ndarray
        ``(n, c)`` weights, rows summing to 1.
    """
    own = errors
    if frame_prior:
        errors = with_frame_prior(errors, frame_prior, available)
    weights = combination_weights(errors, rule, points, own=own)
    no_choice = ~np.isfinite(errors).any(axis=1)
    weights[no_choice] = 0.0
    weights[no_choice, names.index("network" if "network" in names else "naive")] = 1.0
    return weights


def interval_bands(kind: str, model: str, point: np.ndarray, residuals: np.ndarray, network_rows: np.ndarray,
                   quants, levels, spread, level: list, quantiles: list) -> dict:
    """Band columns of one ``intervals`` kind, with the short-series rule: ``network_rows`` get the network's.

    Parameters
    ----------
    kind : str
        One of :data:`INTERVALS`.
    model : str
        Name of the point-forecast column.
    point : ndarray
        ``(n, h)`` the combined point forecasts.
    residuals : ndarray
        ``(n, k, h)`` the combination's backtest residuals, oldest origin first.
    network_rows : ndarray of bool
        ``(n,)`` series without a backtest choice: they take the network's bands whatever ``kind``.
    quants : ndarray or None
        ``(n, Q, h)`` the network's quantiles at ``levels`` (needed for ``"network"`` and ``network_rows``).
    levels : sequence of float
        The network's trained quantile levels.
    spread : ndarray or None
        ``(n, k + 1, h)`` the network's spread at each origin and, last, at the end (``"normalized"`` only).
    level, quantiles : list
        Interval levels in percent and quantile levels wanted.

    Returns
    -------
    dict
        Column name -> ``(n, h)`` array; empty when no band is asked for.
    """
    if not (level or quantiles):
        return {}
    if kind == "network":
        return network_bands(model, point, quants, levels, level, quantiles)
    k = residuals.shape[1]
    bands = conformal_bands(model, point, residuals, level, quantiles, adaptive=kind == "adaptive",
                            pooled=kind == "pooled",
                            spread=(spread[:, :k], spread[:, k]) if kind == "normalized" else None)
    if network_rows.any():
        if quants is None:
            raise TsheadsError(f"{int(network_rows.sum())} series have no backtest origin (fewer than h + "
                               f"{MIN_TRAIN} points), so their bands would come from the network, which is not "
                               "among the candidates: add 'network' to candidates, pass longer series or ask "
                               "for no level/quantiles")
        own = network_bands(model, point[network_rows], quants[network_rows], levels, level, quantiles)
        for name, values in own.items():
            bands[name][network_rows] = values
    return bands


def network_bands(model: str, point: np.ndarray, quants: np.ndarray, levels, level: list, quantiles: list) -> dict:
    """Band columns from the network's quantiles, shifted so that their median sits on ``point``.

    Parameters
    ----------
    model : str
        Name of the point-forecast column.
    point : ndarray
        ``(n, h)`` the point forecasts actually given.
    quants : ndarray
        ``(n, Q, h)`` the network's quantiles at ``levels``.
    levels : sequence of float
        The network's trained quantile levels (0.01 ... 0.99, with 0.5).
    level, quantiles : list
        Interval levels in percent and quantile levels wanted.

    Returns
    -------
    dict
        Column name -> ``(n, h)`` array, in :func:`tsheads.forecast_columns.band_columns` order.
    """
    if any(lv > 98 for lv in level):
        raise TsheadsError(f"levels above 98 need quantiles beyond the trained 0.01/0.99; got {level}")
    bands = interpolate_quantiles(levels, quants, band_levels(level, quantiles))
    shift = point - quants[:, list(levels).index(0.5)]
    return {name: values + shift
            for name, values in band_columns(model, level, quantiles, list(bands.transpose(1, 0, 2))).items()}


def _scales(series, cuts, periods) -> np.ndarray:
    """Per series, the in-sample seasonal-naive MAE before its first origin (naive, then mean |y|, then 1)."""
    out = np.ones(len(series))
    for i, (y, c) in enumerate(zip(series, cuts)):
        train = y[:c[0]] if len(c) else y
        for m in [p for p in periods[:1] if p < len(train)] + [1]:
            scale = np.mean(np.abs(train[m:] - train[:-m])) if len(train) > m else 0.0
            if scale > 0:
                break
        else:
            scale = np.mean(np.abs(train))
        out[i] = scale if np.isfinite(scale) and scale > 0 else 1.0
    return out


def forecast(df, h: int, *, method: str = "validated", level=None, quantiles=None, id_col: str = "unique_id",
             time_col: str = "ds", target_col="y", freq=None, **params) -> pd.DataFrame:
    """Forecasts of every series of a frame in one stateless call: self-validated by default, or the bare network.

    Parameters
    ----------
    df : pandas.DataFrame or pandas.Series
        Long frame (``id_col``, ``time_col``, ``target_col``), wide frame or one series.
    h : int
        Steps to forecast after each series' last time stamp.
    method : {"validated", "network"}, default "validated"
        ``"validated"``: :class:`ValidatedForecaster` (network and classical candidates backtested per series,
        conformal intervals); ``"network"``: the pretrained network alone
        (:func:`tsheads.estimators.zero_shot.forecast`).
    level : sequence of float, optional
        Prediction-interval levels in percent (``TSHeads-lo-80`` ...).
    quantiles : sequence of float, optional
        Quantile levels in (0, 1) (``TSHeads-q-0.1`` ...).
    id_col, time_col, target_col : str
        Column names of ``df``.
    freq : str or int, optional
        Frequency when it cannot be inferred.
    **params
        Parameters of the chosen estimator, e.g. ``season_length`` or ``context_length``.

    Returns
    -------
    pandas.DataFrame
        ``h`` rows per series: the id and time columns, the point forecast and the requested bands.
    """
    columns = dict(id_col=id_col, time_col=time_col, target_col=target_col, freq=freq)
    if method == "network":
        from .zero_shot import forecast as network_forecast

        return network_forecast(df, h, level=level, quantiles=quantiles, **columns, **params)
    if method != "validated":
        raise TsheadsError(f"method must be 'validated' or 'network', got {method!r}")
    return ValidatedForecaster(**params).forecast(df, h, level=level, quantiles=quantiles, **columns)
