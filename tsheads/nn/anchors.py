"""Anchor paths: the simple forecast a WTA model's hypotheses are learned as offsets from.

Two kinds, both affine-equivariant (shift or scale the context and the path moves with it), so the same
path comes out whether it is computed on the network's scaled input or in data units:

- seasonal naive: the last ``period`` points repeated;
- level and trend (after the Theta method, Assimakopoulos & Nikolopoulos 2000): the exponentially
  smoothed level with weight ``alpha`` plus ``beta`` times the least-squares slope per step. ``alpha=1,
  beta=0`` is the last value (the random walk); ``beta=0.5`` is the Theta method's half slope.

Contexts are ``(..., T)`` with an observed-mask; unobserved points hold the context mean (0 in the
scaled space), which the seasonal-naive path repeats and the level-and-trend path ignores.
"""

from __future__ import annotations

import torch


def anchor_path(z: torch.Tensor, observed: torch.Tensor, horizon: int, period: int = 1, alpha: float = 1.0,
                beta: float = 0.0) -> torch.Tensor:
    """Anchor path ``(..., horizon)`` of contexts ``z`` ``(..., T)`` (see the module docstring).

    ``period > 1`` gives the seasonal-naive path (``alpha`` and ``beta`` unused); otherwise the smoothed
    level plus ``beta`` slopes per step. A context with no observed point gets 0 (its mean).
    """
    t = z.shape[-1]
    if period > 1 or (alpha >= 1.0 and beta == 0.0):
        s = max(int(period), 1)
        if t < s:  # shorter than a season: the missing start is the context mean
            z = torch.cat([z.new_zeros(z.shape[:-1] + (s - t,)), z], dim=-1)
            t = s
        return z[..., torch.arange(horizon, device=z.device) % s + (t - s)]
    mask = observed.to(z.dtype)
    age = torch.arange(t - 1, -1, -1, device=z.device, dtype=z.dtype)
    # (1 - alpha) ** age underflows to 0 far back, which is the weight it should have
    weights = alpha * (1.0 - alpha) ** age * mask
    total = weights.sum(-1, keepdim=True)
    level = torch.where(total > 0, (weights * z).sum(-1, keepdim=True) / total.clamp_min(1e-30), 0.0)
    if beta == 0.0:
        return level.expand(*level.shape[:-1], horizon)
    return level + beta * least_squares_slope(z, mask) * torch.arange(1, horizon + 1, device=z.device, dtype=z.dtype)


def least_squares_slope(z: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Slope per step ``(..., 1)`` of the straight line fitted to the observed points (0 with fewer than two)."""
    steps = torch.arange(z.shape[-1], device=z.device, dtype=z.dtype)
    count = mask.sum(-1, keepdim=True).clamp_min(1.0)
    centre_t = (mask * steps).sum(-1, keepdim=True) / count
    centre_z = (mask * z).sum(-1, keepdim=True) / count
    dt = (steps - centre_t) * mask
    spread = (dt * dt).sum(-1, keepdim=True)
    return torch.where(spread > 0, (dt * (z - centre_z)).sum(-1, keepdim=True) / spread.clamp_min(1e-30), 0.0)
