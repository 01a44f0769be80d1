"""Pretraining masks: random points, whole patches, and their hybrid (after TSPulse).

All functions return a bool tensor ``(batch, channels, time)`` that is True where a point is *hidden*
from the model. The ratio is drawn per window so one model learns to fill anything from a single
missing point to half the context.
"""

from __future__ import annotations

from typing import Optional

import torch


def _ratios(batch: int, low: float, high: float, generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(batch, 1, 1, generator=generator)


def point_mask(shape, ratio: torch.Tensor, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Each point hidden independently with probability ``ratio`` (broadcast per window)."""
    return torch.rand(shape, generator=generator) < ratio


def block_mask(shape, patch_length: int, ratio: torch.Tensor,
               generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Whole patches hidden with probability ``ratio``; the time axis must be a multiple of the patch."""
    b, c, t = shape
    patches = torch.rand(b, c, t // patch_length, generator=generator) < ratio
    return patches.repeat_interleave(patch_length, dim=-1)


def hybrid_mask(shape, patch_length: int, low: float = 0.1, high: float = 0.5,
                generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Per window: a point mask, a block mask, or half of each, with a ratio drawn from [low, high]."""
    b = shape[0]
    ratio = _ratios(b, low, high, generator)
    kind = torch.randint(0, 3, (b, 1, 1), generator=generator)  # 0 point, 1 block, 2 hybrid
    points = point_mask(shape, torch.where(kind == 2, ratio / 2, ratio), generator)
    blocks = block_mask(shape, patch_length, torch.where(kind == 2, ratio / 2, ratio), generator)
    return torch.where(kind == 0, points, torch.where(kind == 1, blocks, points | blocks))
