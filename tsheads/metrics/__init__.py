"""Metrics: pure functions over numpy arrays, plus :func:`evaluate` for long forecast frames.

Each metric is tested against an independent reference (sklearn, gluonts, scoringrules,
properscoring, TSB-AD); the module docstrings of :mod:`.point`, :mod:`.probabilistic` and
:mod:`.anomaly` give the array conventions and the exact definitions.
"""

from .anomaly import (
    anomaly_metrics,
    auc_pr,
    auc_roc,
    event_f1,
    flag_runs,
    point_adjusted_f1,
    point_f1,
    range_f1,
    vus_pr,
    vus_roc,
)
from .embedding import retrieval_accuracy
from .evaluate import evaluate
from .point import mae, mase, mse, owa, rmse, seasonal_scale, smape
from .probabilistic import (
    CRPS_SUM_QUANTILES,
    coverage,
    crps_from_quantiles,
    crps_from_samples,
    crps_sum,
    distortion,
    energy_score,
    mean_weighted_quantile_loss,
    quantile_loss,
    sample_quantiles,
    weighted_quantile_loss,
)

__all__ = [
    "CRPS_SUM_QUANTILES",
    "anomaly_metrics",
    "auc_pr",
    "auc_roc",
    "coverage",
    "crps_from_quantiles",
    "crps_from_samples",
    "crps_sum",
    "distortion",
    "energy_score",
    "evaluate",
    "event_f1",
    "flag_runs",
    "mae",
    "mase",
    "mean_weighted_quantile_loss",
    "mse",
    "owa",
    "point_adjusted_f1",
    "point_f1",
    "quantile_loss",
    "retrieval_accuracy",
    "range_f1",
    "rmse",
    "sample_quantiles",
    "seasonal_scale",
    "smape",
    "vus_pr",
    "vus_roc",
    "weighted_quantile_loss",
]
