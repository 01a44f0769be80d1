"""The coarse head: the time head's masked rebuild of the series averaged over blocks of points.

The network sees a window of at most 512 points, so on data sampled every few minutes a change that plays out
over hours (a slow level shift, a day of damped activity) fills the whole window and looks normal to the
point-level heads. Averaged over blocks of ``factor`` points, the same series puts ``factor`` times as much
time into each window, and the pretrained network, which learned series at many sampling rates, rebuilds
it as another series. Each point gets the deviation of its block.

Blocks lie on a grid from the series' start (block ``k`` holds points ``k * factor`` to ``(k + 1) * factor - 1``),
so the fit data and a longer series that begins with it cut the same blocks, and a stream's tail (from
``origin`` on) starts at the first whole block it holds; its points before that get no coarse deviation (NaN,
as every head leaves the incomplete start of a tail). A block's value is the mean of its observed points; a
block with none is unobserved.

Not a default head: on the dev data of ``evaluation.coarse_head_choice`` it scored 0.164 mean VUS-PR alone and
lowered the default detector's from 0.452 to 0.387. A masked rebuild is local, so at the coarse scale it still
sees breaks more than slow changes.
"""

from __future__ import annotations

import numpy as np

from .heads import Packed, RowCache, reconstruction_deviations

#: points per block of the coarse head
COARSE_FACTOR = 8
#: the fewest blocks (a partial last one counts) the fit data must hold for the coarse head to score (fewer: flat)
MIN_COARSE_BLOCKS = 32


def block_count(length: int, factor: int) -> int:
    """Blocks (the last one possibly partial) of a series of ``length`` points."""
    return -(-length // factor)


def block_means(x: np.ndarray, observed: np.ndarray, factor: int, offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Means ``(C, B)`` of the observed points of each block of ``factor`` points from ``offset`` on, and whether
    each block has any observed point."""
    c, t = x.shape
    n = block_count(max(t - offset, 0), factor)
    pad = n * factor - (t - offset)
    values = np.pad(np.where(observed, x, 0.0)[:, offset:], ((0, 0), (0, pad))).reshape(c, n, factor)
    counts = np.pad(observed[:, offset:], ((0, 0), (0, pad))).reshape(c, n, factor).sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, values.sum(-1) / np.maximum(counts, 1), 0.0)
    return means, counts > 0


def spread_blocks(values: np.ndarray, length: int, factor: int, offset: int = 0) -> np.ndarray:
    """Block values ``(C, B)`` as per-point values ``(C, length)``; points before ``offset`` are NaN."""
    out = np.full((values.shape[0], length), np.nan)
    out[:, offset:] = np.repeat(values, factor, axis=1)[:, :length - offset]
    return out


def coarse_deviations(model, xs: list, observeds: list, *, factor: int, window: int, stride: int, origin: int = 0,
                      n_masks: int = 4, layout: str = "spread", batch_size: int = 512, precision: str = "float32",
                      cache: RowCache | None = None, relative: bool = True) -> list[np.ndarray]:
    """Per series ``(C, T_i)``: each point's deviation of its block from the time head's masked rebuild of the
    block series (:func:`~tsheads.scoring.heads.reconstruction_deviations` with ``window`` blocks, windows every
    ``stride`` blocks). ``origin``: the series are the tail of longer ones from that point on (see module
    docstring)."""
    offset = (-origin) % factor
    out = [np.full(x.shape, np.nan) for x in xs]
    held = [i for i, x in enumerate(xs) if x.shape[1] > offset]  # a tail may not reach its first whole block
    if not held:
        return out
    blocks = [block_means(xs[i], observeds[i], factor, offset) for i in held]
    packed = Packed.of([b[0] for b in blocks], [b[1] for b in blocks])
    dev = reconstruction_deviations(model, packed, window, stride, n_masks, batch_size, precision, layout=layout,
                                    origin=(origin + offset) // factor, cache=cache, relative=relative)["time"]
    for i, d in zip(held, packed.split(dev)):
        out[i] = spread_blocks(d, xs[i].shape[1], factor, offset)
    return out
