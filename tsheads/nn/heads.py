"""Heads on the encoder's tokens: time reconstruction, FFT reconstruction and a quantile forecast.

All heads work in the scaled space; :mod:`tsheads.nn.model` maps their outputs back to data units.
"""

from __future__ import annotations

import torch
from torch import nn

from .config import EncoderConfig
from .encoder import inverse_spectrum


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
