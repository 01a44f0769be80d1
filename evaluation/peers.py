"""The peers our models are compared with, run the same way by every suite.

Statistical peers are fitted per series with statsmodels: ETS (additive forms, lowest AICc, analytic
Gaussian intervals or simulated paths) and Theta (Gaussian intervals). DeepAR is GluonTS's torch
implementation, trained globally on all series. One place, so suites cannot drift apart on how a peer
is configured.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class PeerForecast:
    mean: np.ndarray   # (h,)
    sigma: np.ndarray  # (h,) standard deviation of a Gaussian predictive distribution
    kind: str          # how it was made: the model, or the fallback that replaced it


def _naive(y: np.ndarray, h: int, kind: str = "naive") -> PeerForecast:
    """Last value, with random-walk widths from the one-step changes."""
    step = np.std(np.diff(y)) if len(y) > 2 else 0.0
    return PeerForecast(np.full(h, y[-1]), step * np.sqrt(np.arange(1, h + 1)), kind)


def ets_fit(y: np.ndarray, h: int, m: int):
    """Additive ETS with the lowest AICc among (trend none / damped) x (season none / additive if 2 cycles),
    counting only forms whose ``h``-step forecast is finite; None if no form qualifies."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    seasons = [None, "add"] if m > 1 and len(y) >= 2 * m else [None]
    best, best_aicc = None, np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for trend in (None, "add"):
            for season in seasons:
                try:  # a form that fails to fit or forecast is simply not a candidate
                    fit = ETSModel(pd.Series(y), error="add", trend=trend, damped_trend=trend is not None,
                                   seasonal=season, seasonal_periods=m if season else None).fit(disp=False)
                    finite = np.all(np.isfinite(np.asarray(fit.forecast(h), dtype=np.float64)))
                except Exception:  # noqa: BLE001
                    continue
                if finite and np.isfinite(fit.aicc) and fit.aicc < best_aicc:
                    best, best_aicc = fit, fit.aicc
    return best


def ets_forecast(y: np.ndarray, h: int, m: int) -> PeerForecast:
    """Mean and analytic standard deviation of the AICc-best ETS; SES, then naive, if every form fails."""
    from statsmodels.tsa.holtwinters import SimpleExpSmoothing

    fit = ets_fit(y, h, m)
    if fit is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pred = fit.get_prediction(start=len(y), end=len(y) + h - 1)
            mean, var = np.asarray(pred.predicted_mean, np.float64), np.asarray(pred.forecast_variance, np.float64)
        if np.all(np.isfinite(mean)) and np.all(np.isfinite(var)):
            return PeerForecast(mean, np.sqrt(np.maximum(var, 0)), "ets")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ses = SimpleExpSmoothing(y, initialization_method="estimated").fit()
        mean = np.asarray(ses.forecast(h), np.float64)
        if np.all(np.isfinite(mean)):
            resid = np.std(y - ses.fittedvalues)
            alpha = ses.params["smoothing_level"]
            return PeerForecast(mean, resid * np.sqrt(1 + alpha ** 2 * np.arange(h)), "ses")
    except Exception:  # noqa: BLE001
        pass
    return _naive(y, h)


def ets_samples(y: np.ndarray, h: int, m: int, n: int, seed: int) -> np.ndarray:
    """``(n, h)`` simulated future paths of the AICc-best ETS (Gaussian random walk if none fits)."""
    fit = ets_fit(y, h, m)
    if fit is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sim = np.asarray(fit.simulate(nsimulations=h, repetitions=n, anchor="end", rng=np.random.default_rng(seed)))
        if np.all(np.isfinite(sim)):
            return sim.reshape(h, n).T
    f = _naive(y, h)
    rng = np.random.default_rng(seed)
    return f.mean + np.cumsum(rng.standard_normal((n, h)), axis=1) * (f.sigma[0] if h else 0.0)


def theta_forecast(y: np.ndarray, h: int, m: int) -> PeerForecast:
    """Standard Theta, deseasonalised (statsmodels' test decides) when ``m > 1`` and two cycles exist."""
    from statsmodels.tsa.forecasting.theta import ThetaModel

    deseasonalize = m > 1 and len(y) >= 2 * m
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = ThetaModel(y, period=m if deseasonalize else None, deseasonalize=deseasonalize).fit()
            mean = np.asarray(fit.forecast(h), np.float64)
            upper = np.asarray(fit.prediction_intervals(h, alpha=0.05)["upper"], np.float64)
        if np.all(np.isfinite(mean)):
            sigma = np.maximum(upper - mean, 0) / 1.959963984540054
            return PeerForecast(mean, np.where(np.isfinite(sigma), sigma, 0.0), "theta")
    except Exception:  # noqa: BLE001
        pass
    return _naive(y, h)


def map_series(fn, series: list, h: int, m: int, jobs: int = 1, desc: str = "") -> list:
    """``fn(y, h, m)`` for every series, in ``jobs`` processes, results in input order (with a progress bar)."""
    from tqdm.auto import tqdm

    if jobs > 1:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=jobs, return_as="generator")(delayed(fn)(y, h, m) for y in series)
    else:
        results = (fn(y, h, m) for y in series)
    return list(tqdm(results, total=len(series), desc=desc, leave=False))


@dataclass
class DeepARRun:
    samples: list        # per history, (num_samples, h) sample paths
    train_seconds: float
    predict_seconds: float


def deepar(train: list, histories: list, freq: str, h: int, *, epochs: int, batches_per_epoch: int = 50,
           batch_size: int = 64, context_length: int | None = None, num_samples: int = 100, seed: int = 0,
           validation_points: int | None = None, start: str = "2000-01-01") -> DeepARRun:
    """Train GluonTS's torch DeepAR on ``train`` (1-D arrays) and sample ``h`` steps after each history.

    With ``validation_points``, training sees each series without its last points and the epoch with
    the lowest loss on those held-out points is kept (GluonTS's checkpointing on ``val_loss``), the same
    early-stopping data tsheads gets; without it, the epoch with the lowest training loss is kept.
    Lightning's logger and progress bar are off and its checkpoints go to a temporary folder, so the run
    leaves nothing behind. Series get a common artificial start; ``freq`` sets DeepAR's lags and
    time features.
    """
    import logging

    import lightning.pytorch as pl
    from gluonts.dataset.common import ListDataset
    from gluonts.torch.model.deepar import DeepAREstimator

    pl.seed_everything(seed, workers=True, verbose=False)
    for name in ("lightning.pytorch", "lightning", "gluonts"):  # per-epoch checkpoint chatter
        logging.getLogger(name).setLevel(logging.WARNING)

    def dataset(series):
        return ListDataset([{"start": pd.Period(start, freq=freq), "target": np.asarray(s, np.float32)}
                            for s in series], freq=freq)

    with tempfile.TemporaryDirectory() as tmp:
        est = DeepAREstimator(freq=freq, prediction_length=h, context_length=context_length, batch_size=batch_size,
                              num_batches_per_epoch=batches_per_epoch, num_parallel_samples=num_samples,
                              trainer_kwargs={"max_epochs": epochs, "logger": False, "enable_progress_bar": False,
                                              "enable_model_summary": False, "default_root_dir": tmp,
                                              "accelerator": "cpu"})
        t0 = time.perf_counter()
        fit_on = [s[:-validation_points] for s in train] if validation_points else train
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            predictor = est.train(dataset(fit_on), validation_data=dataset(train) if validation_points else None)
        t1 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            samples = [f.samples.astype(np.float64)
                       for f in predictor.predict(dataset(histories), num_samples=num_samples)]
        t2 = time.perf_counter()
    return DeepARRun(samples, t1 - t0, t2 - t1)
