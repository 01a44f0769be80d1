"""Heads on the encoder's tokens: time reconstruction, FFT reconstruction and a quantile forecast.

All heads work in the scaled space; :mod:`tsheads.nn.model` maps their outputs back to data units.
"""

from __future__ import annotations

import torch
from torch import nn

from .config import EncoderConfig
from .encoder import inverse_spectrum
from .mixer import GatedMLP


def _time_tokens(tokens: torch.Tensor, cfg: EncoderConfig) -> torch.Tensor:
    return tokens[:, :, cfg.n_registers:cfg.n_registers + cfg.n_patches]


def _fft_tokens(tokens: torch.Tensor, cfg: EncoderConfig) -> torch.Tensor:
    return tokens[:, :, cfg.n_registers + cfg.n_patches:]


class TimeReconstructionHead(nn.Module):
    """Each time-patch token back to its patch of values."""

    def __init__(self, cfg: EncoderConfig):
        super().__init__()
        self.cfg = cfg
        self.proj = nn.Linear(cfg.d_model, cfg.patch_length)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out = self.proj(_time_tokens(tokens, self.cfg))
        return out.flatten(-2)  # (batch, channels, context)


class FFTReconstructionHead(nn.Module):
    """FFT-patch tokens to the full spectrum, and through the inverse FFT back to time.

    The spectrum is predicted as a whole, so every point of the window depends on every FFT token: a
    reconstruction error here signals a change in the window's frequency content rather than in one patch.
    """

    def __init__(self, cfg: EncoderConfig):
        super().__init__()
        self.cfg = cfg
        self.proj = nn.Linear(cfg.d_model, cfg.patch_length)

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        spec = self.proj(_fft_tokens(tokens, self.cfg)).flatten(-2)
        return spec, inverse_spectrum(spec)


class ForecastHead(nn.Module):
    """Direct multi-step forecast: a mean path and the configured quantiles for ``horizon`` steps.

    Registers and time tokens are projected to a few features each, flattened and mapped by a small MLP;
    output is ``(batch, channels, 1 + n_quantiles, horizon)`` with the mean first.
    """

    def __init__(self, cfg: EncoderConfig):
        super().__init__()
        self.cfg = cfg
        n_in = (cfg.n_registers + cfg.n_patches) * cfg.head_token_dim
        self.reduce = nn.Linear(cfg.d_model, cfg.head_token_dim)
        self.mlp = nn.Sequential(
            nn.Linear(n_in, cfg.head_hidden),
            nn.GELU(),
            nn.Dropout(cfg.dropout),
            nn.Linear(cfg.head_hidden, (1 + len(cfg.quantiles)) * cfg.horizon),
        )

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        cfg = self.cfg
        used = tokens[:, :, :cfg.n_registers + cfg.n_patches]
        h = self.reduce(used).flatten(-2)
        out = self.mlp(h)
        return out.view(*tokens.shape[:2], 1 + len(cfg.quantiles), cfg.horizon)


class PatchForecastHead(nn.Module):
    """Direct forecast in future patches: all tokens are mixed into one token per future patch.

    Each future token (with its own position) goes through a gated MLP and a shared layer that decodes
    ``patch_length`` steps of the mean and every quantile. The head grows with the horizon only by a
    token-mixing matrix, so a 720-step head stays small and the parameters sit in the backbone; every step
    is forecast directly, so intervals do not narrow as they do when a short head is rolled forward.
    """

    def __init__(self, cfg: EncoderConfig):
        super().__init__()
        self.cfg = cfg
        self.n_future = -(-cfg.horizon // cfg.patch_length)
        self.mix = nn.Linear(cfg.n_tokens, self.n_future)
        self.position = nn.Parameter(torch.randn(self.n_future, cfg.d_model) * 0.02)
        self.norm = nn.LayerNorm(cfg.d_model)
        self.mlp = GatedMLP(cfg.d_model, cfg.expansion, cfg.dropout)
        self.out = nn.Linear(cfg.d_model, cfg.patch_length * (1 + len(cfg.quantiles)))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        cfg = self.cfg
        future = self.mix(tokens.transpose(-1, -2)).transpose(-1, -2) + self.position
        future = future + self.mlp(self.norm(future))
        out = self.out(future).view(*tokens.shape[:2], self.n_future, cfg.patch_length, 1 + len(cfg.quantiles))
        return out.permute(0, 1, 4, 2, 3).flatten(-2)[..., :cfg.horizon]


def forecast_head(cfg: EncoderConfig) -> nn.Module:
    """The forecast head the config names."""
    return PatchForecastHead(cfg) if cfg.forecast_head == "patch" else ForecastHead(cfg)
