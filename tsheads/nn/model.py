"""The full network: encoder plus time, FFT and forecast heads, with data-unit inference helpers."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from .config import EncoderConfig
from .encoder import DualSpaceEncoder, Encoded
from .heads import FFTReconstructionHead, TimeReconstructionHead, forecast_head
from .scaling import denormalise


class Output(NamedTuple):
    encoded: Encoded
    time_recon: torch.Tensor  # (batch, channels, context), scaled space
    fft_spec: torch.Tensor    # (batch, channels, context), predicted spectrum
    fft_recon: torch.Tensor   # (batch, channels, context), inverse FFT of ``fft_spec``
    forecast: torch.Tensor    # (batch, channels, 1 + n_quantiles, horizon), scaled space, mean first


class DualSpaceModel(nn.Module):
    """Encoder + heads. ``forward`` is the training view; the other methods return data units."""

    def __init__(self, config: EncoderConfig):
        super().__init__()
        self.config = config
        self.encoder = DualSpaceEncoder(config)
        self.time_head = TimeReconstructionHead(config)
        self.fft_head = FFTReconstructionHead(config)
        self.forecast_head = forecast_head(config)

    def forward(self, x: torch.Tensor, observed: torch.Tensor, resolution: torch.Tensor | None = None) -> Output:
        enc = self.encoder(x, observed, resolution)
        spec, fft_recon = self.fft_head(enc.tokens)
        return Output(enc, self.time_head(enc.tokens), spec, fft_recon, self.forecast_head(enc.tokens))

    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    # inference in data units ---------------------------------------------------------------------
    def forecast(self, x: torch.Tensor, observed: torch.Tensor, h: int,
                 resolution: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean ``(B, C, h)`` and sorted quantiles ``(B, C, Q, h)``.

        Beyond the head's ``horizon`` the mean path is appended to the context and the model is run
        again (autoregressive in blocks of ``horizon``); later blocks' quantiles are conditional on that
        path, so long-range intervals are narrower than the true uncertainty.
        """
        horizon = self.config.horizon
        means, quants = [], []
        done = 0
        while done < h:
            f, _ = self._forecast_block(x, observed, resolution)
            mean, q = f[:, :, 0], torch.sort(f[:, :, 1:], dim=2).values
            means.append(mean)
            quants.append(q)
            done += horizon
            if done < h:
                x = torch.cat([x, mean], dim=-1)[..., -x.shape[-1]:]
                observed = torch.cat([observed, torch.ones_like(mean, dtype=torch.bool)], dim=-1)[..., -x.shape[-1]:]
        return torch.cat(means, -1)[..., :h], torch.cat(quants, -1)[..., :h]

    def forecast_once(self, x: torch.Tensor, observed: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Sorted quantiles ``(B, C, Q, horizon)`` in data units and the final tokens, from one encoder pass.

        The quantiles equal :meth:`forecast`'s first block; the tokens let a caller reuse the pass (the anomaly
        detector's embedding head reads the registers), and the reconstruction heads are skipped.
        """
        f, tokens = self._forecast_block(x, observed)
        return torch.sort(f[:, :, 1:], dim=2).values, tokens

    def _forecast_block(self, x: torch.Tensor, observed: torch.Tensor,
                        resolution: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The forecast head's outputs ``(B, C, 1 + Q, horizon)`` in data units and the encoder's tokens; the
        reconstruction heads, which forecasting does not need, are not run."""
        enc = self.encoder(x, observed, resolution)
        return denormalise(self.forecast_head(enc.tokens), over_outputs(enc.scale)), enc.tokens

    def reconstruct(self, x: torch.Tensor, observed: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Time-head and FFT-head reconstructions of the whole window, in data units (no forecast head)."""
        enc = self.encoder(x, observed)
        fft_recon = self.fft_head(enc.tokens)[1]
        return denormalise(self.time_head(enc.tokens), enc.scale), denormalise(fft_recon, enc.scale)

    def embed(self, x: torch.Tensor, observed: torch.Tensor,
              resolution: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Semantic embedding (registers, ``(B, C, R * d)``) and detailed one (patch tokens, ``(B, C, P, d)``)."""
        cfg = self.config
        tokens = self.encoder(x, observed, resolution).tokens
        registers = tokens[:, :, :cfg.n_registers].flatten(-2)
        patches = tokens[:, :, cfg.n_registers:cfg.n_registers + cfg.n_patches]
        return registers, patches


def over_outputs(scale):
    """Broadcast a (B, C, 1) scale over the forecast's (B, C, outputs, horizon) shape."""
    return type(scale)(scale.loc.unsqueeze(-1), scale.scale.unsqueeze(-1))
