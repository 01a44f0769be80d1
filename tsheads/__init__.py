"""tsheads: compact multi-head neural models for time-series forecasting and anomaly detection.

Public entry points (pandas long frames ``unique_id, ds, y`` in and out):

- data: :func:`validate`, :func:`fill_gaps`, :class:`Columns`, :func:`load_dataset`
- baselines: :class:`Naive`, :class:`SeasonalNaive`, :class:`Naive2`
- conformal intervals for any of these forecasters: :class:`ConformalForecaster` (split conformal or
  adaptive, from the wrapped model's own errors at rolling origins)
- pretrained model: :class:`ZeroShotForecaster` (zero-shot forecasts, imputation, embeddings),
  :class:`WTAForecaster` (K weighted forecast hypotheses, winner-takes-all training) and
  :class:`TriangulationDetector` / :func:`detect` (anomaly scores from five heads),
  :class:`ValidatedForecaster` (the network and classical forecasters backtested and combined per series, with
  conformal intervals) and :func:`forecast` (stateless forecasts of a long frame: validated by default,
  ``method="network"`` for the bare network); imported on first use so
  ``import tsheads`` stays free of torch
- classical anomaly detectors: :class:`SubPCADetector`, :class:`WindowIForestDetector`,
  :class:`MatrixProfileDetector`, :class:`STLResidualDetector`
- evaluation: :func:`evaluate`, :func:`cross_validation`, and the pure metrics in :mod:`tsheads.metrics`
- errors: :class:`TsheadsError` (a ``ValueError``) and its subclasses in :mod:`tsheads.errors`
"""

from .backtest import cross_validation
from .datasets import load_dataset
from .errors import TsheadsError
from .estimators.anomaly_baselines import (
    MatrixProfileDetector,
    STLResidualDetector,
    SubPCADetector,
    WindowIForestDetector,
)
from .estimators.baselines import Naive, Naive2, SeasonalNaive
from .estimators.conformalized import ConformalForecaster
from .frames import Columns, fill_gaps, validate
from .metrics.evaluate import evaluate

__version__ = "0.1.0.dev0"

_LAZY = {"ZeroShotForecaster": "tsheads.estimators.zero_shot", "TriangulationDetector": "tsheads.estimators.anomaly",
         "detect": "tsheads.estimators.anomaly", "WTAForecaster": "tsheads.estimators.wta",
         "forecast": "tsheads.estimators.validated", "ValidatedForecaster": "tsheads.estimators.validated"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tsheads' has no attribute {name!r}")

__all__ = [
    "Columns",
    "ConformalForecaster",
    "MatrixProfileDetector",
    "STLResidualDetector",
    "SubPCADetector",
    "TriangulationDetector",
    "WindowIForestDetector",
    "Naive",
    "Naive2",
    "SeasonalNaive",
    "TsheadsError",
    "ValidatedForecaster",
    "WTAForecaster",
    "ZeroShotForecaster",
    "cross_validation",
    "detect",
    "evaluate",
    "fill_gaps",
    "forecast",
    "load_dataset",
    "validate",
    "__version__",
]
