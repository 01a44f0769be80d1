"""Anchor paths: the simple forecast a WTA model's hypotheses are learned as offsets from.

Two kinds, both affine-equivariant (shift or scale the context and the path moves with it), so the same
path comes out whether it is computed on the network's scaled input or in data units:

- seasonal naive: the last ``period`` points repeated;
- level and trend (after the Theta method, Assimakopoulos & Nikolopoulos 2000): the exponentially
  smoothed level with weight ``alpha`` plus ``beta`` times the least-squares slope per step, counted
  from the smoothing weights' mean age (a smoothed level lags a trend by that many steps; the Theta
  method's forecast adds the same ``(1 - alpha) / alpha``). So ``beta=1`` continues a straight line
  exactly whatever ``alpha``; ``alpha=1, beta=0`` is the last value (the random walk); ``beta=0.5`` is
  the Theta method's half slope.
  ``alpha=None`` fits the weight per context, as simple exponential smoothing does: the one of
  :data:`FITTED_ALPHAS` with the smallest one-step-ahead squared error inside the context.

Contexts are ``(..., T)`` with an observed-mask; unobserved points hold the context mean (0 in the
scaled space), which the seasonal-naive path repeats and the level-and-trend path ignores.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Optional

import torch

FITTED_ALPHAS = (0.1, 0.2, 0.3, 0.5, 0.7, 1.0)
MIN_PAST = 3  # observed points before a one-step error counts towards fitting alpha


def anchor_path(z: torch.Tensor, observed: torch.Tensor, horizon: int, period: int = 1,
                alpha: Optional[float] = 1.0, beta: float = 0.0) -> torch.Tensor:
    """Anchor path ``(..., horizon)`` of contexts ``z`` ``(..., T)`` (see the module docstring).

    ``period > 1`` gives the seasonal-naive path (``alpha`` and ``beta`` unused); otherwise the smoothed
    level plus ``beta`` slopes per step. A context with no observed point gets 0 (its mean).
    """
    t = z.shape[-1]
    if period > 1 or (alpha is not None and alpha >= 1.0 and beta == 0.0):
        s = max(int(period), 1)
        if t < s:  # shorter than a season: the missing start is the context mean
            z = torch.cat([z.new_zeros(z.shape[:-1] + (s - t,)), z], dim=-1)
            t = s
        return z[..., torch.arange(horizon, device=z.device) % s + (t - s)]
    mask = observed.to(z.dtype)
    level, age = fitted_level(z, mask) if alpha is None else smoothed_level(z, mask, alpha)
    if beta == 0.0:
        return level.expand(*level.shape[:-1], horizon)
    return trend_path(level, age, least_squares_slope(z, mask), beta, horizon)


def trend_path(level: torch.Tensor, age: torch.Tensor, slope: torch.Tensor, beta: float,
               horizon: int) -> torch.Tensor:
    """Level ``(..., 1)`` plus ``beta`` slopes ``(..., 1)`` per step, counted from the level's mean ``age``
    ``(..., 1)``: the level-and-trend path ``(..., horizon)`` (also scored on its own by the anchor grid)."""
    steps = torch.arange(1, horizon + 1, device=level.device, dtype=level.dtype)
    return level + beta * slope * (steps + age)


def smoothed_level(z: torch.Tensor, mask: torch.Tensor, alpha: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Exponentially weighted mean ``(..., 1)`` of the observed points, weight ``alpha (1 - alpha)^age``, and
    the weights' mean age ``(..., 1)`` in steps before the last point (how far the level lags a trend)."""
    age = torch.arange(z.shape[-1] - 1, -1, -1, device=z.device, dtype=z.dtype)
    weights = alpha * (1.0 - alpha) ** age * mask  # underflows to 0 far back, the weight it should have
    total = weights.sum(-1, keepdim=True)
    safe = total.clamp_min(1e-30)
    level = torch.where(total > 0, (weights * z).sum(-1, keepdim=True) / safe, 0.0)
    return level, torch.where(total > 0, (weights * age).sum(-1, keepdim=True) / safe, 0.0)


def fitted_level(z: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Smoothed level ``(..., 1)`` with each context's own weight from :data:`FITTED_ALPHAS`, and its mean age
    (see :func:`smoothed_level`).

    For every candidate the one-step-ahead forecast of each observed point is the smoothed level of the
    points before it (one matrix product over the context); the weight with the smallest squared error
    over points with at least :data:`MIN_PAST` observed predecessors wins, ties to the smoother one.
    """
    seen_before = torch.cumsum(mask, -1) - mask
    scored = mask * (seen_before >= MIN_PAST)
    best_error, best_level, best_age = None, None, None
    for alpha, kernel in zip(FITTED_ALPHAS, one_step_kernels(z.shape[-1], z.dtype, z.device)):
        total = (mask @ kernel.T).clamp_min(1e-30)
        previous = ((mask * z) @ kernel.T) / total  # one-step forecasts (..., T)
        error = (scored * (z - previous) ** 2).sum(-1, keepdim=True)
        level, age = smoothed_level(z, mask, alpha)
        if best_error is None:
            best_error, best_level, best_age = error, level, age
        else:
            better = error < best_error
            best_error, best_level = torch.where(better, error, best_error), torch.where(better, level, best_level)
            best_age = torch.where(better, age, best_age)
    return best_level, best_age


@lru_cache(maxsize=8)
def one_step_kernels(t: int, dtype: torch.dtype, device: torch.device) -> tuple[torch.Tensor, ...]:
    """One ``(T, T)`` matrix per weight of :data:`FITTED_ALPHAS`: row ``i`` holds the smoothing weights of the
    points before point ``i``. Built once per context length, dtype and device: the anchor runs in every
    training step, and rebuilding them there was half its cost."""
    lags = torch.arange(t, device=device)
    age = (lags[:, None] - lags[None, :] - 1).to(dtype)  # [i, s]: age of point s one step before point i
    before = age >= 0
    return tuple(torch.where(before, alpha * (1.0 - alpha) ** age.clamp_min(0), 0.0) for alpha in FITTED_ALPHAS)


def least_squares_slope(z: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Slope per step ``(..., 1)`` of the straight line fitted to the observed points (0 with fewer than two)."""
    steps = torch.arange(z.shape[-1], device=z.device, dtype=z.dtype)
    count = mask.sum(-1, keepdim=True).clamp_min(1.0)
    centre_t = (mask * steps).sum(-1, keepdim=True) / count
    centre_z = (mask * z).sum(-1, keepdim=True) / count
    dt = (steps - centre_t) * mask
    spread = (dt * dt).sum(-1, keepdim=True)
    return torch.where(spread > 0, (dt * (z - centre_z)).sum(-1, keepdim=True) / spread.clamp_min(1e-30), 0.0)
