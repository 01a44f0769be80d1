"""Per-head deviation scores of series from the pretrained model (arrays in, arrays out).

Each head answers "how far is this point from what the model expected without seeing it?" (in data units,
except the rebuild heads' deviations, which are by default relative to their window: :func:`window_relative`):

- ``time`` / ``fft``: windows of ``window`` points step by ``stride``; in each window every patch is hidden
  once (``n_masks`` interleaved patch masks, so a hidden patch always has visible neighbours) and rebuilt by
  the time and the FFT reconstruction heads from one forward pass. A point's deviation comes from the
  window whose centre is nearest (:func:`central_points`): windows lie on a grid from the series' start,
  so the fit data and a longer series that begins with it rebuild most fit points from the same window.
- ``forecast``: from the history before ``t0`` (``t0`` every ``horizon`` points; the window, or a shorter
  ``forecast_history``) the median forecast of the next ``horizon`` points; a point's deviation is its
  distance to that forecast.
- ``embedding``: short subsequences are embedded by the encoder (register tokens, the semantic embedding);
  a subsequence's deviation is the distance of its embedding to the nearest one from the fit data (a bank of the
  fit data's subsequences on a denser grid, :func:`bank_embeddings`). Unlike the others it
  compares with the fit data itself, so it learns what "normal" looks like for this series (the job
  Sub-PCA's subspace does for raw windows).

Many series go through the network together (:class:`Packed`): the windows of all of them share forward
passes, and each series' deviations are the same as when it is scored alone (every window is its own row,
and the inference functions make a row's output independent of its batch mates). Unobserved points
(``observed`` False) are never inputs; their deviation is NaN here (the caller fills it).
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass

import numpy as np

from ..inference import embed_arrays, fit_context, forecast_embed_arrays, reconstruct_pair, window_starts
from ..nn.model import DualSpaceModel

#: heads that score by masked reconstruction (one forward pass serves both)
RECONSTRUCTION_HEADS = ("time", "fft")
SCORE_HEADS = ("time", "fft", "forecast", "embedding")
#: fewest past points a forecast is made from (the model was pretrained on contexts down to 8)
MIN_HISTORY = 8
#: subsequence length and step of the embedding head (64 beat 32, 48, 128 and 256 on the dev data of
#: ``evaluation.anomaly_settings_choice``); at most this many fit subsequences are kept as the normal bank
EMBED_WIDTH, EMBED_STRIDE, MAX_BANK = 64, 16, 4096


@dataclass(frozen=True)
class Packed:
    """Series ``(C, T_i)`` with the same channels, end to end as one ``(C, N)`` array plus their offsets.

    Windows of every series are cut from it by (series, local position), so one forward pass serves
    windows of many series; :meth:`split` gives per-point results back per series.
    """

    x: np.ndarray
    observed: np.ndarray
    offsets: np.ndarray

    @classmethod
    def of(cls, xs, observeds) -> "Packed":
        """Pack ``(C, T_i)`` values and observed masks (one pair per series)."""
        lengths = [x.shape[1] for x in xs]
        return cls(np.concatenate(xs, axis=1), np.concatenate(observeds, axis=1), np.r_[0, np.cumsum(lengths)])

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def rows(self, starts_of) -> tuple[np.ndarray, np.ndarray]:
        """Series index and local start ``(W,)`` of every window; ``starts_of(length)`` gives one series' starts."""
        per = [np.asarray(starts_of(int(t)), dtype=np.int64) for t in self.lengths]
        return np.repeat(np.arange(len(per)), [len(s) for s in per]), np.concatenate(per)

    def gather(self, owner: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Windows ``(W, C, L)`` at local positions ``pos`` ``(W, L)`` of series ``owner`` ``(W,)``.

        Positions outside their series are unobserved zeros. Also returns the packed column of every
        position (clipped into its series) and whether it lies inside the series.
        """
        length = self.lengths[owner][:, None]
        inside = (pos >= 0) & (pos < length)
        cols = self.offsets[owner][:, None] + np.clip(pos, 0, length - 1)
        xw = np.where(inside[:, None, :], self.x[:, cols].transpose(1, 0, 2), 0.0)
        ow = inside[:, None, :] & self.observed[:, cols].transpose(1, 0, 2)
        return xw, ow, cols, inside

    def split(self, a: np.ndarray) -> list[np.ndarray]:
        """A packed ``(..., N)`` array as one ``(..., T_i)`` array per series."""
        return np.split(a, self.offsets[1:-1], axis=-1)


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


class RowCache:
    """Network outputs of rows already computed, by kind of pass and row content, for reuse across calls.

    A detector fitted with ``combine="probe"`` scores its fit data, then copies of it that differ only
    around planted anomalies: their other windows are the fit data's and come from here. Exact, because a
    row's output does not depend on its batch mates (see :func:`_distinct_rows`).
    """

    def __init__(self, passes: tuple | None = None):
        self.store: dict = {}
        self.passes = passes

    def holds(self, kind: tuple) -> bool:
        """Whether rows of this ``(network, pass)`` kind are kept: every kind, or those of ``passes`` only (the
        embedding passes, whose rows a dense bank shares with the scored subsequences, are small to keep; a
        forecast row's output is larger)."""
        return self.passes is None or (len(kind) > 1 and kind[1] in self.passes)


def _distinct_rows(run, x: np.ndarray, observed: np.ndarray, cache: RowCache | None = None,
                   kind: tuple = ()) -> tuple:
    """``run(x, observed)`` (a tuple of per-row outputs) on the distinct rows of ``(x, observed)`` only.

    A window shared by a fit part and its whole series (or by identical series) goes through the network
    once; outputs are copied back to every row. Exact, because a row's output does not depend on its batch.
    With a ``cache``, rows it holds for this ``kind`` of pass are not run again, and new ones are added;
    ``kind`` names the network too (``(id(model), pass)``), since one cache may serve rows of two networks.
    """
    n = len(x)
    key = np.concatenate([np.ascontiguousarray(x, dtype=np.float64).reshape(n, -1).view(np.uint8),
                          np.ascontiguousarray(observed, dtype=np.uint8).reshape(n, -1)], axis=1)
    rows = key.view(np.dtype((np.void, key.shape[1]))).ravel()
    _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    if cache is None or n == 0 or not cache.holds(kind):
        if len(first) == n:
            return run(x, observed)
        return tuple(out[inverse.ravel()] for out in run(x[first], observed[first]))
    names = [(kind, hashlib.blake2b(rows[i].tobytes(), digest_size=16).digest()) for i in first]
    missing = [j for j, name in enumerate(names) if name not in cache.store]
    if missing:
        outs = run(x[first[missing]], observed[first[missing]])
        for k, j in enumerate(missing):
            cache.store[names[j]] = tuple(np.array(out[k]) for out in outs)
    held = [cache.store[name] for name in names]
    return tuple(np.stack(parts)[inverse.ravel()] for parts in zip(*held))


def _per_point(cols: np.ndarray, values: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """``(C, n)`` sums of window values ``(W, C, L)`` (where ``weights`` ``(W, C, L)``) at packed columns ``(W, L)``.

    One bincount over all windows: a point's terms are added in window order, whatever the batching.
    """
    return np.stack([np.bincount(cols.ravel(), np.where(weights[:, ch], values[:, ch], 0.0).ravel(), minlength=n)
                     for ch in range(values.shape[1])])


def reconstruction_deviations(model: DualSpaceModel, packed: Packed, window: int, stride: int, n_masks: int = 4,
                              batch_size: int = 512, precision: str = "float32", chunk: int = 256,
                              layout: str = "spread", origin: int = 0, cache: RowCache | None = None,
                              relative: bool = True) -> dict[str, np.ndarray]:
    """``{"time": (C, N), "fft": (C, N)}`` deviation of each packed point from its masked rebuild.

    ``window`` must not exceed the model's context (shorter windows are left-padded and masked). ``origin``:
    see :func:`model_outputs`. ``relative``: each deviation over its window's median one
    (:func:`window_relative`); False: as they are.
    """
    c, n = packed.x.shape
    context, patch = model.config.context_length, model.config.patch_length
    hidden = patch_masks(context, patch, n_masks, layout)  # (K, context)
    owner, starts = packed.rows(lambda t: local_starts(window_starts(t + origin, window, stride), origin))
    pos = starts[:, None] + np.arange(window)[None, :]
    dev = {h: np.zeros((len(starts), c, window)) for h in RECONSTRUCTION_HEADS}
    seen = np.zeros((len(starts), c, window), dtype=bool)
    keep = slice(context - window, context)  # the window itself, without the left padding
    sel = hidden[None, :, None, :]  # (1, K, 1, context): each point's rebuild from the mask that hid it
    for i in range(0, len(starts), chunk):
        rows = slice(i, i + chunk)
        xw, ow, _, _ = packed.gather(owner[rows], pos[rows])
        xc, oc = fit_context(xw, ow, context)  # (W, C, context)
        w = len(xc)
        xin = np.repeat(xc, n_masks, axis=0)
        oin = np.repeat(oc, n_masks, axis=0) & ~np.tile(hidden, (w, 1))[:, None, :]
        recon = _distinct_rows(lambda a, o: reconstruct_pair(model, a, o, batch_size, precision=precision), xin, oin,
                               cache, (id(model), f"reconstruct {layout}"))
        seen[rows] = oc[:, :, keep]
        for head, r in zip(RECONSTRUCTION_HEADS, recon):
            rebuilt = (r.reshape(w, n_masks, c, context) * sel).sum(1)[:, :, keep]
            d = np.abs(xc[:, :, keep] - rebuilt)
            dev[head][rows] = window_relative(d, xc[:, :, keep], oc[:, :, keep]) if relative else d
    cols = packed.offsets[owner][:, None] + np.clip(pos, 0, None)  # reconstruction windows never pass the end
    seen &= (pos >= 0)[:, None, :]
    seen &= central_points(owner, starts, window)[:, None, :]
    counts = _per_point(cols, np.ones(seen.shape), seen, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {h: np.where(counts > 0, _per_point(cols, d, seen, n) / np.maximum(counts, 1), np.nan)
                for h, d in dev.items()}


def window_relative(dev: np.ndarray, x: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Deviations ``(W, C, L)`` over their window's median deviation (observed points, per window and channel).

    A point's rebuild error depends on the window that rebuilds it as much as on the point: how the window's
    ends meet (spectral leakage), where the masks fall on its cycle. The same points rebuilt from windows at
    other offsets differed with a coefficient of variation of 0.3 to 0.6 on synthetic series, so the fit
    part's windows and later windows were not on one scale, and flags moved with the fit length. Within its
    window a short anomaly still stands out; a level shift that moves a whole window is left to the other
    heads. Chosen on the dev sets (``evaluation.rebuild_scale_choice``: the default detector's mean VUS-PR
    0.380 against 0.369), though on NAB it cost the default 0.050 (0.347 against 0.397). The floor (a
    thousandth of the window's spread) keeps a perfectly rebuilt window from dividing by zero.
    """
    full = observed.all(axis=-1)  # most windows: the plain median and deviation, far faster than the nan ones
    median, spread = np.median(dev, axis=-1, keepdims=True), np.std(x, axis=-1, keepdims=True)
    if not full.all():
        part = ~full
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # windows with no observed point: left as they are
            median[part] = np.nanmedian(np.where(observed[part], dev[part], np.nan), axis=-1, keepdims=True)
            spread[part] = np.nanstd(np.where(observed[part], x[part], np.nan), axis=-1, keepdims=True)
    scale = np.maximum(median, 1e-3 * spread + 1e-12)
    return dev / np.where(np.isfinite(scale), scale, 1.0)


def local_starts(starts: np.ndarray, origin: int, history: int = 0) -> np.ndarray:
    """Whole-series window starts (or forecast origins) as positions in the tail from ``origin`` on.

    With ``origin > 0`` those that would need points before the tail (``history`` of them before a
    forecast origin) are dropped; with ``origin == 0`` nothing is (a short series' one window starts
    before 0 and is padded).
    """
    local = np.asarray(starts) - origin
    return local if origin == 0 else local[local >= history]


def central_points(owner: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    """``(W, window)``: the points of each window that are nearer its centre than any other window's centre.

    Windows ``(owner, start)`` come grouped by series with increasing starts (:meth:`Packed.rows`). A point
    at equal distance goes to the earlier window. Rebuilding each point once, away from window edges,
    instead of averaging every window that covers it: the same dev VUS-PR (0.370 both), and a fit part
    grown by 1 % moves the flagged share less (``evaluation.flag_stability``: mean move 0.010 vs 0.014),
    because the fit data's end-aligned last window then touches only the points nearest its centre.
    """
    centre = starts + window / 2.0
    same_prev = np.r_[False, owner[1:] == owner[:-1]]
    same_next = np.r_[owner[:-1] == owner[1:], False]
    lo = np.where(same_prev, (np.r_[0.0, centre[:-1]] + centre) / 2.0, -np.inf)
    hi = np.where(same_next, (centre + np.r_[centre[1:], 0.0]) / 2.0, np.inf)
    pos = starts[:, None] + np.arange(window)[None, :]
    return (pos > lo[:, None]) & (pos <= hi[:, None])


def embedding_ends(length: int, width: int, stride: int) -> np.ndarray:
    """Ends of the ``width``-point subsequences the embedding head describes (with shared passes), increasing.

    On the forecast origins' grid (every ``stride`` points from ``MIN_HISTORY``), so with ``stride`` equal to
    the forecast horizon one forward pass serves both heads. Only grid ends, for the reason of
    :func:`grid_starts`: a subsequence off the grid (the series' first or last) would score high on a
    periodic series for its phase alone. A series of at most ``width`` points gets one padded subsequence,
    and one too short for a whole subsequence on the grid the last grid end's, padded.
    """
    if length <= width:
        return np.array([length])
    grid = np.arange(MIN_HISTORY, length + 1, stride)
    ends = grid[grid >= width]
    return ends if len(ends) else grid[-1:]  # no whole subsequence on the grid yet: the last grid end, padded


def history_outputs(model: DualSpaceModel, packed: Packed, history: int, horizon: int, *, forecast: bool = True,
                    embed: bool = False, embed_stride: int = EMBED_STRIDE, batch_size: int = 512,
                    precision: str = "float32", chunk: int = 2048, origin: int = 0,
                    cache: RowCache | None = None) -> tuple:
    """The forecast head's deviations and subsequence embeddings, from shared forward passes.

    Every row is the ``history`` points before a position ``t0``. At forecast origins (every ``horizon``
    points from ``MIN_HISTORY``) the median forecast of the next ``horizon`` points gives their deviations
    (``(C, N)``, NaN where no forecast reaches). With ``embed``, at :func:`embedding_ends` the row is the
    ``history``-point subsequence ending at ``t0`` and its unit semantic embedding describes it. Positions
    on both grids go through the network once. ``origin``: see :func:`model_outputs` (rows whose history is
    not all held are dropped).

    Returns ``(deviations or None, [(starts, unit embeddings (W, C, D)) per series] or None)``.
    """
    c, n = packed.x.shape
    median_index = model.config.quantiles.index(0.5)
    wanted = {}
    if forecast:
        wanted["forecast"] = packed.rows(
            lambda t: local_starts(np.arange(min(MIN_HISTORY, t + origin), t + origin, horizon), origin, history))
    if embed:
        wanted["embed"] = packed.rows(
            lambda t: local_starts(embedding_ends(t + origin, history, embed_stride), origin, history))
    span = int(packed.lengths.max(initial=0)) + 1
    keys = {name: owner * span + t0 for name, (owner, t0) in wanted.items()}
    union = np.unique(np.concatenate([np.zeros(0, dtype=np.int64), *keys.values()]))
    medians = np.empty((len(union), c, horizon))
    semantic = np.empty((len(union), c, model.config.n_registers * model.config.d_model), dtype=np.float32)
    for i in range(0, len(union), chunk):
        who, t0 = np.divmod(union[i:i + chunk], span)
        xw, ow, _, _ = packed.gather(who, t0[:, None] + np.arange(-history, 0)[None, :])
        quants, semantic[i:i + chunk] = _distinct_rows(
            lambda a, o: forecast_embed_arrays(model, a, o, horizon, batch_size, precision), xw, ow, cache,
            (id(model), f"history {horizon}"))
        medians[i:i + chunk] = quants[:, :, median_index]
    deviations = embeddings = None
    if forecast:
        owner, t0 = wanted["forecast"]
        rows = np.searchsorted(union, keys["forecast"])
        deviations = np.full((c, n), np.nan)
        for j in range(0, len(rows), chunk):  # later origins overwrite earlier ones
            ahead = t0[j:j + chunk, None] + np.arange(horizon)[None, :]
            truth, seen, cols, _ = packed.gather(owner[j:j + chunk], ahead)
            dev = np.abs(truth - medians[rows[j:j + chunk]])  # (W, C, horizon)
            for ch in range(c):
                deviations[ch, cols[seen[:, ch]]] = dev[:, ch][seen[:, ch]]
    if embed:
        owner, ends = wanted["embed"]
        embeddings = _per_series(owner, ends - history, _unit(semantic[np.searchsorted(union, keys["embed"])]),
                                 len(packed.lengths))
    return deviations, embeddings


def _unit(a: np.ndarray) -> np.ndarray:
    """Rows of ``a`` scaled to unit length along the last axis (zero rows stay zero)."""
    norm = np.linalg.norm(a, axis=-1, keepdims=True)
    return a / np.where(norm > 0, norm, 1.0)


def _per_series(owner: np.ndarray, starts: np.ndarray, emb: np.ndarray, n_series: int) -> list:
    """``(starts, emb)`` rows grouped by series (rows come grouped by ``owner``, in order)."""
    bounds = np.cumsum(np.bincount(owner, minlength=n_series))[:-1]
    return list(zip(np.split(starts, bounds), np.split(emb, bounds)))


def grid_starts(length: int, width: int, stride: int) -> np.ndarray:
    """Starts of the ``width``-point subsequences every ``stride`` points from 0 that fit in ``length`` points.

    No extra end-aligned subsequence: its phase would differ from every bank subsequence's, so on a periodic
    series it would find no near neighbour and score high at every series' end. The last ``stride - 1``
    points or fewer wait for the next grid subsequence. A series shorter than ``width`` gets one padded one.
    """
    if length <= width:
        return np.array([length - width])
    return np.arange(0, length - width + 1, stride)


def subsequence_embeddings(model: DualSpaceModel, packed: Packed, width: int, stride: int, batch_size: int = 512,
                           precision: str = "float32", chunk: int = 2048, origin: int = 0,
                           cache: RowCache | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per series: local starts ``(W,)`` and unit semantic embeddings ``(W, C, D)`` of ``width``-point subsequences."""
    return embeddings_at(model, packed, lambda t: local_starts(grid_starts(t + origin, width, stride), origin), width,
                         batch_size, precision, chunk, cache)


def embeddings_at(model: DualSpaceModel, packed: Packed, starts_of, width: int, batch_size: int = 512,
                  precision: str = "float32", chunk: int = 2048,
                  cache: RowCache | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per series: the starts ``starts_of(length)`` gives and the unit semantic embeddings ``(W, C, D)`` of the
    ``width``-point subsequences there."""
    owner, starts = packed.rows(starts_of)
    parts = []
    for i in range(0, len(starts), chunk):
        xw, ow, _, _ = packed.gather(owner[i:i + chunk], starts[i:i + chunk, None] + np.arange(width)[None, :])
        parts.append(_distinct_rows(lambda a, o: embed_arrays(model, a, o, batch_size, precision=precision)[:1],
                                    xw, ow, cache, (id(model), "embed"))[0])
    return _per_series(owner, starts, _unit(np.concatenate(parts)), len(packed.lengths))


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
    """Per-point mean ``(C, length)`` of window scores ``(W, C)``, each window covering ``width`` points.

    NaN window scores (windows left unscored) cover nothing; a point no scored window covers is NaN.
    """
    pos = starts[:, None] + np.arange(width)[None, :]
    inside = (pos >= 0) & (pos < length)
    rows = []
    for ch in range(scores.shape[1]):
        scored = np.isfinite(scores[:, ch])[:, None] & inside
        cols = pos[scored]
        counts = np.bincount(cols, minlength=length).astype(np.float64)
        sums = np.bincount(cols, np.broadcast_to(scores[:, ch, None], pos.shape)[scored], minlength=length)
        with np.errstate(invalid="ignore", divide="ignore"):
            rows.append(np.where(counts > 0, sums / np.maximum(counts, 1), np.nan))
    return np.stack(rows)


def model_outputs(model: DualSpaceModel, packed: Packed, heads=SCORE_HEADS, *, window: int, stride: int,
                  horizon: int, n_masks: int = 4, layout: str = "spread", embed_width: int = EMBED_WIDTH,
                  embed_stride: int = EMBED_STRIDE, forecast_history: int | None = None, batch_size: int = 512,
                  precision: str = "float32", origin: int = 0, cache: RowCache | None = None,
                  relative: bool = True, history_model: DualSpaceModel | None = None) -> list[dict]:
    """What the network says about each packed series, from shared forward passes.

    Per series a dict with the raw deviations ``(C, T)`` of the ``time``, ``fft`` and ``forecast`` heads
    among ``heads``, and for the ``embedding`` head its subsequence embeddings (``(starts, emb)``), which
    :func:`head_deviations` compares with a bank.

    ``forecast_history``: points the forecast head sees before each origin (None: ``window``). Equal to
    ``embed_width``, each forward pass serves both the forecast and the embedding head
    (:func:`history_outputs`, subsequences ending on the forecast origins' grid); otherwise the subsequences
    are embedded in passes of their own (:func:`subsequence_embeddings`, starts every ``embed_stride`` from 0).

    ``origin``: the packed series are the tail of longer ones, from point ``origin`` on (streaming). Windows
    and forecast origins are placed as in the whole series, and those that reach before the tail are
    left out, so the tail's later points get the deviations the whole series gives them; the first
    ``window + horizon`` points or so of the tail are incomplete. ``cache``: see :class:`RowCache`.
    ``relative``: rebuild deviations over their window's median (:func:`window_relative`).
    ``history_model``: a network for the history rows its context holds (embedded subsequences, and the
    forecast origins' histories when they fit; None: ``model`` runs every row), e.g. a short-context one, whose
    rows cost a fraction of a long context's padded rows.
    """
    per_point, embeddings = {}, None
    history = window if forecast_history is None else forecast_history
    history_model = model if history_model is None else history_model
    embed_model = _holding(model, history_model, embed_width)
    forecast_model = _holding(model, history_model, history)
    if any(h in RECONSTRUCTION_HEADS for h in heads):
        per_point.update(reconstruction_deviations(model, packed, window, stride, n_masks, batch_size, precision,
                                                   layout=layout, origin=origin, cache=cache, relative=relative))
    shared = _shares_passes(heads, forecast_history, embed_width)
    if "forecast" in heads or shared:
        deviations, embeddings = history_outputs(
            forecast_model, packed, history, horizon,
            forecast="forecast" in heads, embed=shared, embed_stride=embed_stride, batch_size=batch_size,
            precision=precision, origin=origin, cache=cache)
        if deviations is not None:
            per_point["forecast"] = deviations
    if "embedding" in heads and not shared:
        embeddings = subsequence_embeddings(embed_model, packed, embed_width, embed_stride, batch_size, precision,
                                            origin=origin, cache=cache)
    out = [{} for _ in packed.lengths]
    for head, values in per_point.items():
        for series, part in zip(out, packed.split(values)):
            series[head] = part
    if embeddings is not None:
        for series, emb in zip(out, embeddings):
            series["embedding"] = emb
    return out


def _holding(model: DualSpaceModel, history_model: DualSpaceModel, points: int) -> DualSpaceModel:
    """The network for rows of ``points`` past points: ``history_model`` when its context holds them."""
    return history_model if points <= history_model.config.context_length else model


def _shares_passes(heads, forecast_history: int | None, embed_width: int) -> bool:
    """Whether the embedded subsequences are the forecast origins' histories (one pass serves both heads)."""
    return forecast_history == embed_width and "embedding" in heads and "forecast" in heads


def bank_embeddings(model: DualSpaceModel, packed: Packed, heads=SCORE_HEADS, *, stride: int, limit: int = MAX_BANK,
                    embed_width: int = EMBED_WIDTH, forecast_history: int | None = None, batch_size: int = 512,
                    precision: str = "float32", cache: RowCache | None = None,
                    history_model: DualSpaceModel | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per fit series ``(starts, unit embeddings)`` of its subsequences every ``stride`` points: the embedding
    head's bank of normal shapes.

    The grid is :func:`model_outputs`' embedding grid made ``EMBED_STRIDE / stride`` times denser (``stride``
    divides :data:`EMBED_STRIDE`), so every subsequence scored has a bank entry of its own phase, and on a
    periodic series a later cycle finds a fit subsequence within ``stride / 2`` points of its phase, as fit
    subsequences do among themselves. On the scored grid alone (``stride`` = :data:`EMBED_STRIDE`) fit
    subsequences one period apart are within a point or two of each other's phase (period 143: 1), later ones
    up to 8 (four periods: 572 = 36 x 16 - 4), so clean later cycles looked less like the fit data than the
    fit data looked like itself. Same networks and subsequences as :func:`model_outputs` (arguments alike; the
    semantic embedding of a subsequence is the same whether its pass also forecasts or not). A fit with more
    than ``limit`` of them (longer than about ``limit`` x ``stride`` points) keeps ``limit`` spread evenly (as
    :func:`thinned` picks them), further apart than ``stride``, and only those go through the network.
    """
    if EMBED_STRIDE % stride:
        raise ValueError(f"the bank's stride must divide {EMBED_STRIDE}, got {stride}")
    history_model = model if history_model is None else history_model
    if _shares_passes(heads, forecast_history, embed_width):  # the scored subsequences end on the forecast grid
        def starts_of(t):
            return thinned(embedding_ends(t, embed_width, stride) - embed_width, limit)
    else:
        def starts_of(t):
            return thinned(grid_starts(t, embed_width, stride), limit)
    return embeddings_at(_holding(model, history_model, embed_width), packed, starts_of, embed_width, batch_size,
                         precision, cache=cache)


def thinned(a: np.ndarray, limit: int) -> np.ndarray:
    """At most ``limit`` entries of ``a``, spread evenly from its first to its last (all of them if it has fewer)."""
    return a[np.unique(np.linspace(0, len(a) - 1, min(len(a), limit)).astype(int))]


def head_deviations(outputs: dict, length: int, heads=SCORE_HEADS, *, bank: np.ndarray | None = None,
                    bank_starts: np.ndarray | None = None, begins_with_fit: bool = False,
                    embed_width: int = EMBED_WIDTH, origin: int = 0) -> dict[str, np.ndarray]:
    """Raw deviations ``(C, T)`` of the requested ``heads`` for one series of ``length`` points.

    ``outputs``: the series' :func:`model_outputs`. The ``embedding`` head compares with ``bank`` (unit
    embeddings ``(B, C, D)`` of the fit data, from :func:`bank_embeddings` with the same ``embed_width``,
    starting at ``bank_starts``; both required with that head). ``begins_with_fit``: the series begins with the
    fit data (the fit data itself too), so bank entries overlapping a scored subsequence are ignored (otherwise
    every subsequence of the fit part would find itself). ``origin``: the outputs are of a tail from that point
    on.

    Fit data too short to hold two disjoint subsequences gives the embedding head nothing to compare a shape
    with: it is flat (0) for the fit data and for everything scored later, so it neither flags every new
    shape nor moves the other heads' ranking.
    """
    out = {h: outputs[h] for h in heads if h != "embedding"}
    if "embedding" in heads:
        starts, emb = outputs["embedding"]
        if bank is None or bank_starts is None:
            raise ValueError("the embedding head needs the fit data's bank and its starts")
        if bank_starts.max() - bank_starts.min() < embed_width:
            distances = np.zeros(emb.shape[:2])
        else:
            overlap = (starts + origin, bank_starts, embed_width) if begins_with_fit else None
            distances = nearest_distances(emb, bank, overlap)
        out["embedding"] = windows_to_points(starts, distances, length, embed_width)
    return {h: out[h] for h in heads}
