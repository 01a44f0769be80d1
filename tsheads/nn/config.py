"""The encoder's hyper-parameters in one frozen dataclass, serialised next to the weights as JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from ..errors import WeightsError

#: quantile levels the forecast head is trained on; others are interpolated between them
DEFAULT_QUANTILES = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.975, 0.99)


@dataclass(frozen=True)
class EncoderConfig:
    """Shape of the dual-space encoder and its heads (see :mod:`tsheads.nn.model`)."""

    context_length: int = 512
    patch_length: int = 16
    d_model: int = 64
    n_layers: int = 6
    n_registers: int = 4
    expansion: int = 2
    dropout: float = 0.05
    channel_mixing: bool = False
    horizon: int = 96
    head_token_dim: int = 16
    head_hidden: int = 320
    quantiles: tuple = DEFAULT_QUANTILES
    scale_eps: float = 1e-5

    def __post_init__(self):
        for name in ("context_length", "patch_length", "d_model", "n_layers", "n_registers", "expansion", "horizon",
                     "head_token_dim", "head_hidden"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < (0 if name == "n_registers" else 1):
                raise WeightsError(f"{name} must be a positive integer, got {value!r}")
        if not isinstance(self.dropout, (int, float)) or not 0 <= self.dropout < 1:
            raise WeightsError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if not isinstance(self.scale_eps, (int, float)) or not self.scale_eps > 0:
            raise WeightsError(f"scale_eps must be positive, got {self.scale_eps!r}")
        if not isinstance(self.channel_mixing, bool):
            raise WeightsError(f"channel_mixing must be true or false, got {self.channel_mixing!r}")
        if self.context_length % self.patch_length or self.context_length % 2:
            raise WeightsError(
                f"context_length ({self.context_length}) must be even and a multiple of patch_length "
                f"({self.patch_length})"
            )
        if any(not 0 < q < 1 for q in self.quantiles) or list(self.quantiles) != sorted(set(self.quantiles)):
            raise WeightsError(f"quantiles must be increasing and inside (0, 1), got {self.quantiles}")
        if 0.5 not in self.quantiles:
            raise WeightsError("quantiles must include the median 0.5")

    @property
    def n_patches(self) -> int:
        return self.context_length // self.patch_length

    @property
    def n_tokens(self) -> int:
        """Registers, then time patches, then FFT patches."""
        return self.n_registers + 2 * self.n_patches

    def to_dict(self) -> dict:
        d = asdict(self)
        d["quantiles"] = list(self.quantiles)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "EncoderConfig":
        if not isinstance(d, dict):
            raise WeightsError(f"the encoder config must be a JSON object, got {type(d).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise WeightsError(f"unknown encoder config keys {unknown}; the file was written by another version")
        d = dict(d)
        if "quantiles" in d:
            if not isinstance(d["quantiles"], list) or not all(isinstance(q, (int, float)) for q in d["quantiles"]):
                raise WeightsError(f"quantiles must be a list of numbers, got {d['quantiles']!r}")
            d["quantiles"] = tuple(float(q) for q in d["quantiles"])
        return cls(**d)
