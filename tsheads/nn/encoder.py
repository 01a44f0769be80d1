"""The dual-space encoder: time patches, FFT patches and register tokens through a gated MLP-mixer.

Input is ``(batch, channels, context)`` plus an observed mask (False on padding, NaN and masked points).
Each channel is scaled on its observed points (RevIN), so the network only ever sees unit-free values.
Channels are encoded independently unless ``channel_mixing`` is on.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from .config import RESOLUTIONS, EncoderConfig
from .mixer import MixerBlock
from .scaling import Scale, fit_scale, normalise


class Encoded(NamedTuple):
    tokens: torch.Tensor    # (batch, channels, n_tokens, d_model): registers, time patches, FFT patches
    scale: Scale            # per-channel loc/scale used on the input
    z: torch.Tensor         # scaled input, unobserved points set to 0
    spectrum: torch.Tensor  # (batch, channels, context): normalised real FFT of ``z``, real then imaginary


def spectrum(z: torch.Tensor) -> torch.Tensor:
    """Real and imaginary parts of the orthonormal rFFT (Nyquist bin dropped), concatenated.

    Orthonormal scaling keeps the spectrum on the same scale as the standardised series (Parseval), so
    both spaces share one loss scale and one patch embedding size.
    """
    half = z.shape[-1] // 2
    f = torch.fft.rfft(z.float(), norm="ortho")[..., :half]
    return torch.cat([f.real, f.imag], dim=-1)


def inverse_spectrum(s: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`spectrum` (the dropped Nyquist bin is taken as zero)."""
    half = s.shape[-1] // 2
    s = s.float()  # FFTs run in float32 even under bf16 autocast
    f = torch.complex(s[..., :half], s[..., half:])
    f = torch.cat([f, torch.zeros_like(f[..., :1])], dim=-1)
    return torch.fft.irfft(f, n=2 * half, norm="ortho")


class DualSpaceEncoder(nn.Module):
    """Scaling, the two patch embeddings, registers and the mixer backbone."""

    def __init__(self, config: EncoderConfig):
        super().__init__()
        self.config = config
        p, d = config.patch_length, config.d_model
        self.time_embed = nn.Linear(2 * p, d)  # values and observed bits of a patch
        self.fft_embed = nn.Linear(p, d)
        self.time_position = nn.Parameter(torch.randn(config.n_patches, d) * 0.02)
        self.fft_position = nn.Parameter(torch.randn(config.n_patches, d) * 0.02)
        self.registers = nn.Parameter(torch.randn(config.n_registers, d) * 0.02)
        # v2: the sampling resolution shifts the registers, so one backbone serves every frequency
        self.resolution_embed = nn.Embedding(config.n_resolutions, d) if config.n_resolutions else None
        self.blocks = nn.ModuleList(
            MixerBlock(config.n_tokens, d, config.expansion, config.dropout, config.channel_mixing)
            for _ in range(config.n_layers)
        )
        self.norm = nn.LayerNorm(d)

    def forward(self, x: torch.Tensor, observed: torch.Tensor, resolution: torch.Tensor | None = None) -> Encoded:
        """``resolution``: ``(batch,)`` indices into :data:`RESOLUTIONS` (default "unknown"); ignored by v1."""
        cfg = self.config
        b, c, t = x.shape
        if t != cfg.context_length:
            raise ValueError(f"expected context {cfg.context_length}, got {t}")
        scale = fit_scale(x, observed, cfg.scale_eps)
        z = normalise(x, scale, observed)
        z = torch.where(observed, z, torch.zeros_like(z))
        patches = z.view(b, c, cfg.n_patches, cfg.patch_length)
        bits = observed.to(z.dtype).view(b, c, cfg.n_patches, cfg.patch_length)
        time_tokens = self.time_embed(torch.cat([patches, bits], dim=-1)) + self.time_position
        spec = spectrum(z)
        fft_tokens = self.fft_embed(spec.view(b, c, cfg.n_patches, cfg.patch_length)) + self.fft_position
        registers = self.registers.expand(b, c, -1, -1)
        if self.resolution_embed is not None:
            if resolution is None:
                resolution = torch.full((b,), RESOLUTIONS.index("unknown"), dtype=torch.long, device=x.device)
            registers = registers + self.resolution_embed(resolution).view(b, 1, 1, -1).to(registers.dtype)
        tokens = torch.cat([registers, time_tokens, fft_tokens], dim=2)
        for block in self.blocks:
            tokens = block(tokens)
        return Encoded(self.norm(tokens), scale, z, spec)
