"""Per-head deviation scores of one series from the pretrained model (arrays in, arrays out).

Each head answers "how far is this point from what the model expected without seeing it?", in data units:

- ``time`` / ``fft``: windows of ``window`` points step by ``stride``; in each window every patch is hidden
  once (``n_masks`` interleaved patch masks, so a hidden patch always has visible neighbours) and rebuilt by
  the time and the FFT reconstruction heads from one forward pass. A point's deviation is averaged over
  the windows that cover it.
- ``forecast``: from the history before ``t0`` (``t0`` every ``horizon`` points) the median forecast of the
  next ``horizon`` points; a point's deviation is its distance to that forecast.
- ``embedding``: short subsequences are embedded by the encoder (register tokens, the semantic embedding);
  a subsequence's deviation is the distance of its embedding to the nearest one from the fit data. Unlike
  the others it compares with the fit data itself, so it learns what "normal" looks like for this series
  (the job Sub-PCA's subspace does for raw windows).

Unobserved points (``observed`` False) are never inputs; their deviation is NaN here (the caller fills it).
"""

from __future__ import annotations

import numpy as np

from ..inference import embed_arrays, fit_context, forecast_arrays, reconstruct_pair, window_starts
from ..nn.model import DualSpaceModel

#: heads that score by masked reconstruction (one forward pass serves both)
RECONSTRUCTION_HEADS = ("time", "fft")
SCORE_HEADS = ("time", "fft", "forecast", "embedding")
#: fewest past points a forecast is made from (the model was pretrained on contexts down to 8)
MIN_HISTORY = 8
#: subsequence length and step of the embedding head (64 beat 32, 48, 128 and 256 on the dev data of
#: ``evaluation.anomaly_settings_choice``); at most this many fit subsequences are kept as the normal bank
EMBED_WIDTH, EMBED_STRIDE, MAX_BANK = 64, 16, 4096


def patch_masks(context: int, patch: int, n_masks: int, layout: str = "spread") -> np.ndarray:
    """``(n_masks, context)`` hidden-point masks; together they hide every point exactly once.

    ``"spread"``: mask ``k`` hides patches ``k, k + n_masks, ...`` (each gap has visible neighbours, so it
    tests local shape). ``"block"``: mask ``k`` hides the ``k``-th contiguous block of ``context / n_masks``
    points, which must be rebuilt from the rest of the window (tests longer patterns such as a missing cycle).
    """
    patch_index = np.arange(context) // patch
    if layout == "spread":
        group = patch_index % n_masks
    elif layout == "block":
        group = patch_index * n_masks // (context // patch)
    else:
        raise ValueError(f"mask layout must be 'spread' or 'block', got {layout!r}")
    return group[None, :] == np.arange(n_masks)[:, None]


def _gather(x: np.ndarray, observed: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Windows ``(W, C, L)`` of a ``(C, T)`` series at positions ``pos`` ``(W, L)``; outside = unobserved."""
    inside = (pos >= 0) & (pos < x.shape[1])
    safe = np.clip(pos, 0, x.shape[1] - 1)
    xw = np.where(inside[:, None, :], x[:, safe].transpose(1, 0, 2), 0.0)
    ow = inside[:, None, :] & observed[:, safe].transpose(1, 0, 2)
    return xw, ow


def reconstruction_deviations(model: DualSpaceModel, x: np.ndarray, observed: np.ndarray, window: int, stride: int,
                              n_masks: int = 4, batch_size: int = 512, precision: str = "float32",
                              chunk: int = 256, layout: str = "spread") -> dict[str, np.ndarray]:
    """``{"time": (C, T), "fft": (C, T)}`` mean absolute deviation of each point from its masked rebuild.

    ``window`` must not exceed the model's context (shorter windows are left-padded and masked).
    """
    c, t = x.shape
    context, patch = model.config.context_length, model.config.patch_length
    hidden = patch_masks(context, patch, n_masks, layout)  # (K, context)
    sums = {h: np.zeros((c, t)) for h in RECONSTRUCTION_HEADS}
    counts = np.zeros((c, t))
    starts = window_starts(t, window, stride)
    for i in range(0, len(starts), chunk):
        pos = starts[i:i + chunk, None] + np.arange(window)[None, :]
        xw, ow = _gather(x, observed, pos)
        xc, oc = fit_context(xw, ow, context)  # (W, C, context)
        w = len(xc)
        xin = np.repeat(xc, n_masks, axis=0)
        oin = np.repeat(oc, n_masks, axis=0) & ~np.tile(hidden, (w, 1))[:, None, :]
        recon = reconstruct_pair(model, xin, oin, batch_size, precision=precision)
        sel = hidden[None, :, None, :]  # (1, K, 1, context): each point's rebuild from the mask that hid it
        keep = slice(context - window, context)  # the window itself, without the left padding
        cols, valid = pos, pos >= 0
        obs_kept = oc[:, :, keep]
        for head, r in zip(RECONSTRUCTION_HEADS, recon):
            rebuilt = (r.reshape(w, n_masks, c, context) * sel).sum(1)[:, :, keep]
            dev = np.where(obs_kept, np.abs(xc[:, :, keep] - rebuilt), 0.0)
            for ch in range(c):
                sums[head][ch] += np.bincount(cols[valid], dev[:, ch][valid], minlength=t)
        for ch in range(c):
            counts[ch] += np.bincount(cols[valid], obs_kept[:, ch][valid].astype(float), minlength=t)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {h: np.where(counts > 0, s / np.maximum(counts, 1), np.nan) for h, s in sums.items()}


def forecast_deviations(model: DualSpaceModel, x: np.ndarray, observed: np.ndarray, window: int, horizon: int,
                        batch_size: int = 512, precision: str = "float32", chunk: int = 2048) -> np.ndarray:
    """``(C, T)`` absolute distance of each point to the median forecast made ``1..horizon`` steps before it."""
    c, t = x.shape
    median_index = model.config.quantiles.index(0.5)
    out = np.full((c, t), np.nan)
    origins = np.arange(min(MIN_HISTORY, t), t, horizon)
    for i in range(0, len(origins), chunk):
        t0 = origins[i:i + chunk]
        xw, ow = _gather(x, observed, t0[:, None] + np.arange(-window, 0)[None, :])
        _, quants = forecast_arrays(model, xw, ow, horizon, batch_size, precision=precision)
        median = quants[:, :, median_index]  # (W, C, horizon)
        fpos = t0[:, None] + np.arange(horizon)[None, :]
        inside = fpos < t
        safe = np.minimum(fpos, t - 1)
        truth = x[:, safe].transpose(1, 0, 2)
        seen = observed[:, safe].transpose(1, 0, 2) & inside[:, None, :]
        dev = np.abs(truth - median)
        for ch in range(c):
            out[ch, safe[seen[:, ch]]] = dev[:, ch][seen[:, ch]]
    return out


def subsequence_embeddings(model: DualSpaceModel, x: np.ndarray, observed: np.ndarray, width: int, stride: int,
                           batch_size: int = 512, precision: str = "float32") -> tuple[np.ndarray, np.ndarray]:
    """Starts ``(W,)`` and unit-length semantic embeddings ``(W, C, D)`` of ``width``-point subsequences."""
    starts = window_starts(x.shape[1], width, stride)
    xw, ow = _gather(x, observed, starts[:, None] + np.arange(width)[None, :])
    semantic, _ = embed_arrays(model, xw, ow, batch_size, precision=precision)
    norm = np.linalg.norm(semantic, axis=-1, keepdims=True)
    return starts, semantic / np.where(norm > 0, norm, 1.0)


def nearest_distances(emb: np.ndarray, bank: np.ndarray, overlap: tuple | None = None,
                      chunk: int = 2048) -> np.ndarray:
    """Euclidean distance ``(W, C)`` of each unit embedding to its nearest bank entry of the same channel.

    ``overlap = (starts, bank_starts, width)`` ignores pairs of subsequences that overlap (scoring the fit
    data against itself, where every subsequence would otherwise find itself).
    """
    out = np.empty(emb.shape[:2])
    for i in range(0, len(emb), chunk):
        sim = np.einsum("wcd,bcd->wcb", emb[i:i + chunk], bank)  # cosine similarity of unit vectors
        if overlap is not None:
            starts, bank_starts, width = overlap
            near = np.abs(starts[i:i + chunk, None] - bank_starts[None, :]) < width
            sim = np.where(near[:, None, :], -1.0, sim)
        out[i:i + chunk] = np.sqrt(np.clip(2.0 - 2.0 * sim.max(-1), 0.0, None))
    return out


def windows_to_points(starts: np.ndarray, scores: np.ndarray, length: int, width: int) -> np.ndarray:
    """Per-point mean ``(C, length)`` of window scores ``(W, C)``, each window covering ``width`` points."""
    pos = starts[:, None] + np.arange(width)[None, :]
    inside = (pos >= 0) & (pos < length)
    cols = pos[inside]
    counts = np.bincount(cols, minlength=length).astype(np.float64)
    rows = [np.bincount(cols, np.broadcast_to(scores[:, ch, None], pos.shape)[inside], minlength=length)
            for ch in range(scores.shape[1])]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, np.stack(rows) / np.maximum(counts, 1), np.nan)


def head_deviations(model: DualSpaceModel, x: np.ndarray, observed: np.ndarray, heads=SCORE_HEADS, *,
                    window: int, stride: int, horizon: int, n_masks: int = 4, layout: str = "spread",
                    bank: np.ndarray | None = None, bank_starts: np.ndarray | None = None, embeddings=None,
                    embed_width: int = EMBED_WIDTH, embed_stride: int = EMBED_STRIDE,
                    batch_size: int = 512, precision: str = "float32") -> dict[str, np.ndarray]:
    """Raw deviations ``(C, T)`` of the requested ``heads`` for one series ``x`` ``(C, T)``.

    The ``embedding`` head compares with ``bank`` (unit embeddings ``(B, C, D)`` of the fit data, from
    :func:`subsequence_embeddings` with the same ``embed_width``); ``bank=None`` scores ``x`` against itself,
    ignoring overlapping subsequences (how the fit data is scored). ``bank_starts`` (the bank entries' starts)
    says that ``x`` begins with the fit data, so entries overlapping a scored subsequence are ignored too:
    otherwise every subsequence of the fit part would find itself. ``embeddings``: ``x``'s own
    :func:`subsequence_embeddings`, when the caller already has them.
    """
    out = {}
    if "embedding" in heads:
        starts, emb = embeddings or subsequence_embeddings(model, x, observed, embed_width, embed_stride,
                                                           batch_size, precision)
        overlap = None
        if bank is None:  # the fit data against itself; a series too short for two disjoint parts scores 0
            bank, bank_starts = emb, starts
        if bank_starts is not None and bank_starts.max() - bank_starts.min() >= embed_width:
            overlap = (starts, bank_starts, embed_width)
        out["embedding"] = windows_to_points(starts, nearest_distances(emb, bank, overlap), x.shape[1], embed_width)
    if any(h in RECONSTRUCTION_HEADS for h in heads):
        out.update(reconstruction_deviations(model, x, observed, window, stride, n_masks, batch_size, precision,
                                             layout=layout))
    if "forecast" in heads:
        out["forecast"] = forecast_deviations(model, x, observed, window, horizon, batch_size, precision)
    return {h: out[h] for h in heads}
