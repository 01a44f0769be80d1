"""What every estimator built on the pretrained :class:`~tsheads.nn.model.DualSpaceModel` shares.

Loading (bundled weights or a saved file, cached for zero-shot use) and the checks of
the settings they have in common (batch size, fine-tuning budget, learning rate, precision, seed, device),
so a forecaster and a detector refuse the same bad value with the same message.
"""

from __future__ import annotations

import numpy as np

from ..errors import TsheadsError
from ..inference import PRECISIONS
from .base import BaseForecaster, check_positive_int


class PretrainedModelMixin:
    """Mixed into estimators with ``weights``, ``device``, ``precision``, ``random_state`` and fine-tuning params."""

    def _check_model_params(self, positive_ints=("batch_size", "fine_tune_steps", "fine_tune_batch_size")) -> None:
        """Refuse bad shared settings with a TsheadsError before any work (``__init__`` only stores them)."""
        for name in positive_ints:
            check_positive_int(getattr(self, name), name)
        check_positive_number(self.learning_rate, "learning_rate")
        if self.precision not in PRECISIONS:
            raise TsheadsError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        check_random_state(self.random_state)
        import torch

        try:
            device = torch.device(self.device)
        except (RuntimeError, TypeError) as exc:
            raise TsheadsError(f"device {self.device!r} is not a torch device ({exc})") from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise TsheadsError(f"device {self.device!r} asked for, but this torch has no usable CUDA GPU")

    @property
    def _seed(self) -> int:
        return 0 if self.random_state is None else int(self.random_state)

    def _load(self, name: str | None = None):
        """A fresh copy of the model (fine-tuning changes it in place, so never the cached one); ``name``: which
        bundled one ``weights=None`` means (default :meth:`_bundled_name`)."""
        from ..nn.weights import load_model
        from ..pretrained import load_pretrained

        if self.weights is None:
            return load_pretrained(name or self._bundled_name(), device=self.device)
        return load_model(self.weights, device=self.device)

    def _bundled_name(self) -> str:
        """Which bundled model ``weights=None`` means (the default network; the detector may pick another)."""
        from ..pretrained import DEFAULT

        return DEFAULT

    def _model(self):
        """The fitted model, else the (cached) pretrained one: zero-shot use needs no ``fit``."""
        if hasattr(self, "model_"):
            return self.model_
        return self._pretrained()

    def _pretrained(self, name: str | None = None):
        """The (cached) network the parameters select, whatever a fit loaded: ``weights``, else the bundled
        ``name`` (default :meth:`_bundled_name`)."""
        key = (self.weights, self.device, None if self.weights is not None else name or self._bundled_name())
        cache = self.__dict__.get("_pretrained_cache")
        if not isinstance(cache, dict) or len(cache) > 4:  # (pickles of older versions held one pair)
            cache = self.__dict__["_pretrained_cache"] = {}
        if key not in cache:
            cache[key] = self._load(key[2])
        return cache[key]


class PretrainedForecaster(PretrainedModelMixin, BaseForecaster):
    """A forecaster on the pretrained network: its column name and the settings check before ``fit``."""

    #: column name of the point forecast when ``alias`` is not set
    default_alias = "TSHeads"

    @property
    def model_name(self) -> str:
        """Column name of the point forecast: ``alias`` if set, else :attr:`default_alias`."""
        return self.alias or self.default_alias

    def _min_length(self) -> int:
        self._check_params()  # each subclass checks its own settings here, before any data work
        return 2

    def _context(self, model) -> int:
        """Points of history the network sees: ``context_length``, at most (and by default) the model's."""
        full = model.config.context_length
        if self.context_length is None:
            return full
        c = check_positive_int(self.context_length, "context_length")
        if c > full:
            raise TsheadsError(f"context_length {c} exceeds the model's context of {full}")
        return c


def check_random_state(value) -> None:
    """A seed must be None or a non-negative integer (numpy's rules would raise a raw error later)."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0):
        raise TsheadsError(f"random_state must be None or a non-negative integer, got {value!r}")


def check_positive_number(value, name: str, allow_zero: bool = False) -> float:
    """``value`` as a float if it is a finite number above 0 (or 0 with ``allow_zero``), else a TsheadsError."""
    ok = not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))
    if not ok or not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        kind = "a non-negative" if allow_zero else "a positive"
        raise TsheadsError(f"{name} must be {kind} finite number, got {value!r}")
    return float(value)
