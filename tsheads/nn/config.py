"""The encoder's hyper-parameters in one frozen dataclass, serialised next to the weights as JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from ..errors import WeightsError

#: quantile levels the forecast head is trained on; others are interpolated between them
DEFAULT_QUANTILES = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.975, 0.99)

#: sampling-resolution buckets a model with ``n_resolutions`` knows, finest first (TTM's resolution prefix,
#: here a learned offset of the register tokens); "unknown" is for integer time steps and synthetic data
RESOLUTIONS = ("sub-hourly", "hourly", "daily", "weekly", "monthly", "quarterly", "yearly", "unknown")
#: "flat": one MLP from all tokens to the whole horizon (v1); "patch": tokens mixed into future patch tokens,
#: each decoded by a shared layer, so the head stays small for long horizons (v2)
FORECAST_HEADS = ("flat", "patch")


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
    forecast_head: str = "flat"
    n_resolutions: int = 0

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
        if self.forecast_head not in FORECAST_HEADS:
            raise WeightsError(f"forecast_head must be one of {FORECAST_HEADS}, got {self.forecast_head!r}")
        if self.n_resolutions not in (0, len(RESOLUTIONS)):
            raise WeightsError(f"n_resolutions must be 0 or {len(RESOLUTIONS)}, got {self.n_resolutions!r}")
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


#: the v2 shape (issue 14): a 1,024-point context in 32-point patches (TTM-style larger patches for a longer
#: context keep v1's token count), v1's width (d_model 128 was 3x slower than v1 per series; 64 is as fast,
#: so the 2,000 series/s goal stays in reach and CPU pretraining takes a third of the time), resolution
#: offsets, a direct 720-step patch head, and most parameters in the backbone (0.34 M in all, 79 %)
V2_SHAPE = {"context_length": 1024, "patch_length": 32, "d_model": 64, "n_layers": 6, "horizon": 720,
            "forecast_head": "patch", "n_resolutions": len(RESOLUTIONS)}

#: the short-context companion of v2 (TTM ships several context lengths the same way): a 128-point context in
#: 8-point patches for series too short to fill v2's 1,024 points (monthly, quarterly and yearly series of 50 to
#: 300 points are otherwise mostly padding), a direct 64-step head, about a third of v2's cost per window
V2_SHORT_SHAPE = {"context_length": 128, "patch_length": 8, "d_model": 96, "n_layers": 6, "horizon": 64,
                  "forecast_head": "patch", "n_resolutions": len(RESOLUTIONS)}

#: the short network shipped beside v1 (issue 15): a 128-point context in v1's 16-point patches at v1's width,
#: so 20 tokens instead of v1's 68 and about 5.7x v1's rows per second (2-core CPU, 512 rows a pass), v1's
#: 96-step flat forecast head, and like v1 no resolution input (the detector sees arrays, not dates); it scores
#: the detector's windows of at most 128 points and forecasts series of at most 128 points
SHORT_SHAPE = {"context_length": 128, "patch_length": 16, "d_model": 64, "n_layers": 6, "horizon": 96}
