"""Gated MLP-mixer blocks: mix across tokens, then across features (TSMixer/TTM style)."""

from __future__ import annotations

import torch
from torch import nn


class GatedMLP(nn.Module):
    """Two-layer MLP on the last axis whose output is scaled by a learned sigmoid gate."""

    def __init__(self, dim: int, expansion: int, dropout: float):
        super().__init__()
        self.fc1 = nn.Linear(dim, dim * expansion)
        self.fc2 = nn.Linear(dim * expansion, dim)
        self.gate = nn.Linear(dim, dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.fc2(self.drop(nn.functional.gelu(self.fc1(x))))
        return self.drop(h * torch.sigmoid(self.gate(h)))


class MixerBlock(nn.Module):
    """Token mixing, feature mixing and (optionally) channel mixing, each pre-norm and residual.

    Channel mixing adds a projection of the mean over channels, so the block works for any number of
    channels (a fixed channel-count MLP would tie the weights to one dataset's width).
    """

    def __init__(self, n_tokens: int, d_model: int, expansion: int, dropout: float, channel_mixing: bool):
        super().__init__()
        self.token_norm = nn.LayerNorm(d_model)
        self.token_mlp = GatedMLP(n_tokens, expansion, dropout)
        self.feature_norm = nn.LayerNorm(d_model)
        self.feature_mlp = GatedMLP(d_model, expansion, dropout)
        self.channel_norm = nn.LayerNorm(d_model) if channel_mixing else None
        self.channel_proj = nn.Linear(d_model, d_model) if channel_mixing else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: (batch, channels, tokens, d_model)."""
        x = x + self.token_mlp(self.token_norm(x).transpose(-1, -2)).transpose(-1, -2)
        x = x + self.feature_mlp(self.feature_norm(x))
        if self.channel_proj is not None:
            x = x + self.channel_proj(self.channel_norm(x).mean(dim=1, keepdim=True))
        return x
