"""Batched, gradient-free use of a :class:`~tsheads.nn.model.DualSpaceModel` on numpy arrays.

The estimators turn frames into ``(n, channels, time)`` arrays plus an observed mask and call these
functions; benchmarks call them directly. Inputs of any length are fitted to the model's context:
longer ones keep their last ``context_length`` points, shorter ones are left-padded and masked.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch

from .errors import TsheadsError
from .nn.model import DualSpaceModel

#: reconstruction heads usable for imputation: time, FFT, or the mean of both
HEADS = ("time", "fft", "mean")
#: arithmetic of the forward pass; bfloat16 is 2-3x faster on CPUs with AVX512-BF16/AMX, outputs move ~0.3 %
PRECISIONS = ("float32", "bfloat16")
#: the largest argument whose exp is a finite float64 (forecasts made on logarithms are capped there)
LOG_MAX = float(np.log(np.finfo(np.float64).max))


def capped_exp(x: np.ndarray) -> np.ndarray:
    """``exp(x)``, capped at the largest float64: forecasts made on logarithms back in data units, never inf.

    Parameters
    ----------
    x : ndarray
        Logarithms.

    Returns
    -------
    ndarray
        ``exp(min(x, LOG_MAX))``, the same shape.
    """
    return np.exp(np.minimum(x, LOG_MAX))


@dataclass(frozen=True)
class ShortRoute:
    """Series with at most ``max_history`` points go to ``model``, a short-context network.

    A 50-point monthly series fills a tenth of a 512-point context; a network trained on short contexts
    (TTM ships one per context length the same way) spends its tokens on the series, not on padding. Routing
    is by the length of the whole series, so a series' forecast never depends on its batch mates, and every
    backtest origin of a series is forecast by the network that makes its final forecast
    (:class:`~tsheads.ValidatedForecaster` passes whole lengths; ``cross_validation`` refits longer series
    with the routing off, :func:`tsheads.backtest.whole_length_routes`).

    Parameters
    ----------
    model : DualSpaceModel
        The short-context network.
    max_history : int
        Longest series (points) it forecasts.
    """

    model: DualSpaceModel
    max_history: int


@contextmanager
def torch_threads_at_most(n: int | None):
    """torch's intra-op threads capped at ``n`` inside the block and restored after.

    Worker processes use the other CPUs meanwhile, and more threads than free cores slow every one down.
    torch's thread count is global to the process, so two such blocks in different threads interfere.

    Parameters
    ----------
    n : int or None
        Most threads inside the block (at least one); None leaves them as they are.

    Yields
    ------
    None
    """
    before = torch.get_num_threads()
    if n is None or n >= before:
        yield
        return
    torch.set_num_threads(max(1, int(n)))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _precision(model, precision: str):
    """Context for the forward pass: plain float32, or bfloat16 autocast (FFTs and outputs stay float32)."""
    if precision not in PRECISIONS:
        raise TsheadsError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    device = next(model.parameters()).device.type
    return torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=precision == "bfloat16")


def fit_context(x: np.ndarray, observed: np.ndarray, context: int) -> tuple[np.ndarray, np.ndarray]:
    """Keep the last ``context`` points, or left-pad with unobserved zeros up to ``context``.

    Parameters
    ----------
    x : ndarray
        Values ``(..., T)``.
    observed : ndarray of bool
        Observed mask of ``x``'s shape.
    context : int
        Length wanted.

    Returns
    -------
    x : ndarray
        Values ``(..., context)``.
    observed : ndarray of bool
        Mask ``(..., context)``; padding is unobserved.
    """
    t = x.shape[-1]
    if t >= context:
        return x[..., t - context:], observed[..., t - context:]
    pad = [(0, 0)] * (x.ndim - 1) + [(context - t, 0)]
    return np.pad(x, pad), np.pad(observed, pad)


def standardise(x: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-sequence z-scores over observed points, computed in float64, as float32 for the network.

    The network scales its input itself, but in float32 and with a fixed floor on the scale, so series
    with a spread below about 1e-3 or values beyond about 1e18 would lose precision or overflow. The model
    is affine-equivariant, so standardising here first and undoing it afterwards (:func:`destandardise`)
    changes nothing else. A constant history gets ``scale`` 0 and is forecast as that constant.

    Parameters
    ----------
    x : ndarray
        Sequences ``(..., T)`` in data units.
    observed : ndarray of bool
        Observed mask of ``x``'s shape; only observed points enter the moments.

    Returns
    -------
    z : ndarray of float32
        Z-scores of ``x``, 0 at unobserved points.
    loc, scale : ndarray of float64
        Mean and standard deviation per sequence, ``(..., 1)``.
    """
    x = np.asarray(x, dtype=np.float64)
    w = observed.astype(np.float64)
    count = np.maximum(w.sum(-1, keepdims=True), 1.0)
    xz = np.where(observed, x, 0.0)
    # moments of x / peak, so squares of values near 1e200 (or 1e-200) neither overflow nor underflow
    peak = np.abs(xz).max(-1, keepdims=True)
    peak = np.where(peak > 0, peak, 1.0)
    xs = xz / peak
    loc_s = xs.sum(-1, keepdims=True) / count
    scale_s = np.sqrt((((xs - loc_s) * w) ** 2).sum(-1, keepdims=True) / count)
    z = np.where(observed, (xs - loc_s) / np.where(scale_s > 0, scale_s, 1.0), 0.0)
    return z.astype(np.float32), loc_s * peak, scale_s * peak


def destandardise(z: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Back to data units; ``loc``/``scale`` are ``(..., 1)`` and broadcast over trailing axes of ``z``.

    Parameters
    ----------
    z : ndarray
        Standardised values; leading axes match ``loc``'s.
    loc, scale : ndarray
        Output of :func:`standardise`; where ``scale`` is 0 the result is ``loc``.

    Returns
    -------
    ndarray
        ``z * scale + loc``, ``z``'s shape.
    """
    extra = z.ndim - loc.ndim
    loc, scale = loc.reshape(loc.shape + (1,) * extra), scale.reshape(scale.shape + (1,) * extra)
    return np.where(scale > 0, z * np.where(scale > 0, scale, 1.0) + loc, loc)


def _batches(n: int, batch_size: int, verbose: bool, desc: str) -> Iterator[slice]:
    from tqdm.auto import tqdm

    starts = range(0, n, batch_size)
    for s in tqdm(starts, desc=desc, disable=not verbose or len(starts) < 2, leave=False):
        yield slice(s, min(s + batch_size, n))


#: every forward pass gets at least this many rows (zero padding). CPU kernels pick their blocking by the
#: batch's row count, and below about 12 rows a series' forecast then depends (in the last float32 bits) on
#: how many series share its batch; with the floor, results are the same however the series are split into
#: batches, chunks or partitions (``tests/test_inference.py`` checks it).
MIN_BATCH_ROWS = 16


def _tensors(model, x, observed, sl):
    """The batch ``sl`` as tensors, padded with unobserved zero rows to MIN_BATCH_ROWS; and its real size."""
    device = next(model.parameters()).device
    xs, os_ = x[sl], observed[sl]
    k = len(xs)
    if k < MIN_BATCH_ROWS:
        pad = ((0, MIN_BATCH_ROWS - k),) + ((0, 0),) * (xs.ndim - 1)
        xs, os_ = np.pad(xs, pad), np.pad(os_, pad)
    xb = torch.as_tensor(np.ascontiguousarray(xs, dtype=np.float32), device=device)
    ob = torch.as_tensor(np.ascontiguousarray(os_, dtype=bool), device=device)
    return torch.where(ob, xb, torch.zeros_like(xb)), ob, k


def _numpy(t, k: int) -> np.ndarray:
    """The first ``k`` rows (the real ones) of a batch output, as float32 numpy."""
    return t[:k].float().cpu().numpy()


def _split_channels(model, x, observed):
    """Channel-independent models see each channel as its own series, so batches count sequences."""
    if model.config.channel_mixing:
        return x, observed
    n, c, t = x.shape
    return x.reshape(n * c, 1, t), observed.reshape(n * c, 1, t)


def forecast_arrays(model: DualSpaceModel, x: np.ndarray, observed: np.ndarray, h: int, batch_size: int = 512,
                    verbose: bool = False, precision: str = "float32",
                    resolution: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``(n, C, h)`` and quantiles ``(n, C, Q, h)`` (levels: ``model.config.quantiles``) as float64.

    Parameters
    ----------
    model : DualSpaceModel
        The network; put in eval mode.
    x : ndarray
        Inputs ``(n, C, T)`` in data units, any length ``T`` (fitted to the model's context).
    observed : ndarray of bool
        Which points of ``x`` are observed, ``(n, C, T)``; unobserved values are ignored.
    h : int
        Horizon in steps.
    batch_size : int, default 512
        Sequences (series x channels) per forward pass.
    verbose : bool, default False
        Show a progress bar when there is more than one batch.
    precision : {"float32", "bfloat16"}, default "float32"
        Arithmetic of the forward pass (see ``PRECISIONS``).
    resolution : int, optional
        Index in :data:`tsheads.nn.config.RESOLUTIONS` of the series' sampling resolution (see
        :func:`tsheads.timegrid.resolution_index`); None is "unknown". Only v2 models use it.

    Returns
    -------
    mean : ndarray
        Point forecasts ``(n, C, h)`` in data units.
    quantiles : ndarray
        Quantile forecasts ``(n, C, Q, h)`` in data units.
    """
    x, observed = fit_context(x, observed, model.config.context_length)
    n, c, _ = x.shape
    x, observed = _split_channels(model, x, observed)
    x, loc, scale = standardise(x, observed)
    rows, per_row = x.shape[:2]
    mean = np.empty((rows, per_row, h))
    quants = np.empty((rows, per_row, len(model.config.quantiles), h))
    model.eval()
    with torch.inference_mode(), _precision(model, precision):
        for sl in _batches(rows, max(1, batch_size // per_row), verbose, "forecast"):
            xb, ob, k = _tensors(model, x, observed, sl)
            res = None if resolution is None else torch.full((len(xb),), resolution, device=xb.device)
            m, q = model.forecast(xb, ob, h, res)
            mean[sl], quants[sl] = _numpy(m, k), _numpy(q, k)
    mean = destandardise(mean, loc, scale)
    quants = destandardise(quants, loc[..., None], scale[..., None])
    return mean.reshape(n, c, h), quants.reshape(n, c, -1, h)


def forecast_embed_arrays(model: DualSpaceModel, x: np.ndarray, observed: np.ndarray, h: int, batch_size: int = 512,
                          precision: str = "float32") -> tuple[np.ndarray, np.ndarray]:
    """Quantile forecasts and the semantic embedding (registers) of the same inputs, from one forward pass.

    The anomaly detector needs both for every short subsequence: it forecasts the points after it and
    compares its embedding with the fit data's. The quantiles equal :func:`forecast_arrays`' and the
    embeddings :func:`embed_arrays`' semantic ones.

    Parameters
    ----------
    model : DualSpaceModel
        The network; put in eval mode.
    x, observed : ndarray
        Inputs ``(n, C, T)`` in data units and their observed mask, any length ``T`` (fitted to the context).
    h : int
        Horizon in steps, at most the forecast head's ``horizon`` (one pass, nothing rolled forward).
    batch_size : int, default 512
        Sequences (series x channels) per forward pass.
    precision : {"float32", "bfloat16"}, default "float32"
        Arithmetic of the forward pass (see ``PRECISIONS``).

    Returns
    -------
    quantiles : ndarray
        ``(n, C, Q, h)`` in data units (levels: ``model.config.quantiles``).
    semantic : ndarray of float32
        ``(n, C, R * d)``: the ``R`` register tokens of width ``d``, concatenated.
    """
    cfg = model.config
    if not 1 <= h <= cfg.horizon:
        raise ValueError(f"h must be from 1 to the forecast head's {cfg.horizon} steps, got {h}")
    x, observed = fit_context(x, observed, cfg.context_length)
    n, c, _ = x.shape
    x, observed = _split_channels(model, x, observed)
    x, loc, scale = standardise(x, observed)
    rows, per_row = x.shape[:2]
    quants = np.empty((rows, per_row, len(cfg.quantiles), h))
    semantic = np.empty((rows, per_row, cfg.n_registers * cfg.d_model), dtype=np.float32)
    model.eval()
    with torch.inference_mode(), _precision(model, precision):
        for sl in _batches(rows, max(1, batch_size // per_row), False, "forecast"):
            xb, ob, k = _tensors(model, x, observed, sl)
            q, tokens = model.forecast_once(xb, ob)
            quants[sl], semantic[sl] = _numpy(q[..., :h], k), _numpy(tokens[:, :, :cfg.n_registers].flatten(-2), k)
    quants = destandardise(quants, loc[..., None], scale[..., None])
    return quants.reshape(n, c, -1, h), semantic.reshape(n, c, -1)


def forecast_routed(model: DualSpaceModel, x: np.ndarray, observed: np.ndarray, h: int, lengths: np.ndarray,
                    short: ShortRoute | None, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """:func:`forecast_arrays`, with the rows of series of at most ``short.max_history`` points sent to ``short``.

    Parameters
    ----------
    model : DualSpaceModel
        The network for every other row.
    x, observed, h
        As for :func:`forecast_arrays`.
    lengths : ndarray of int
        ``(n,)`` length of the series each row comes from (the whole series, not the row's window).
    short : ShortRoute or None
        None, or an ``h`` beyond the short network's head (which would roll its forecasts forward), sends
        every row to ``model``.
    **kwargs
        ``batch_size``, ``verbose``, ``precision``, ``resolution`` of :func:`forecast_arrays`.

    Returns
    -------
    mean, quantiles : ndarray
        As for :func:`forecast_arrays`.
    """
    routed = np.zeros(len(x), dtype=bool) if short is None or h > short.model.config.horizon else \
        np.asarray(lengths) <= short.max_history
    if not routed.any():
        return forecast_arrays(model, x, observed, h, **kwargs)
    return forecast_split(model, short.model, x, observed, h, routed, **kwargs)


def forecast_split(model: DualSpaceModel, short: DualSpaceModel, x: np.ndarray, observed: np.ndarray, h: int,
                   to_short: np.ndarray, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """:func:`forecast_arrays` of the rows ``to_short`` on ``short`` and of the others on ``model``.

    Parameters
    ----------
    model, short : DualSpaceModel
        The two networks; they must share their quantile levels.
    x, observed, h
        As for :func:`forecast_arrays`.
    to_short : ndarray of bool
        ``(n,)`` rows for ``short``.
    **kwargs
        ``batch_size``, ``verbose``, ``precision``, ``resolution`` of :func:`forecast_arrays`.

    Returns
    -------
    mean, quantiles : ndarray
        As for :func:`forecast_arrays`.
    """
    if tuple(short.config.quantiles) != tuple(model.config.quantiles):
        raise TsheadsError("the short-context model must be trained on the same quantile levels")
    to_short = np.asarray(to_short, dtype=bool)
    mean = np.empty(x.shape[:2] + (h,))
    quants = np.empty(x.shape[:2] + (len(model.config.quantiles), h))
    for rows, net in ((to_short, short), (~to_short, model)):
        if rows.any():
            mean[rows], quants[rows] = forecast_arrays(net, x[rows], observed[rows], h, **kwargs)
    return mean, quants


def hypotheses_arrays(model, x: np.ndarray, observed: np.ndarray, batch_size: int = 512, verbose: bool = False,
                      precision: str = "float32") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A :class:`~tsheads.nn.wta.WTAModel`'s weighted forecast hypotheses for each row of ``x``.

    Channels stay together: a hypothesis is one joint trajectory of all channels of a row.

    Parameters
    ----------
    model : WTAModel
        The network; put in eval mode.
    x : ndarray
        Inputs ``(n, C, T)`` in data units, any length ``T`` (fitted to the model's context).
    observed : ndarray of bool
        Which points of ``x`` are observed, ``(n, C, T)``; unobserved values are ignored.
    batch_size : int, default 512
        Sequences (series x channels) per forward pass.
    verbose : bool, default False
        Show a progress bar when there is more than one batch.
    precision : {"float32", "bfloat16"}, default "float32"
        Arithmetic of the forward pass (see ``PRECISIONS``).

    Returns
    -------
    hypotheses : ndarray
        ``(n, C, K, H)`` in data units (``H`` = the model's horizon).
    weights : ndarray
        Hypothesis probabilities ``(n, K)``.
    scale : ndarray
        Per-channel standardisation scale ``(n, C, 1)``; kernel widths are in its units.
    """
    x, observed = fit_context(x, observed, model.config.context_length)
    z, loc, scale = standardise(x, observed)
    n, c, _ = x.shape
    cfg = model.config
    hyp = np.empty((n, c, cfg.n_hypotheses, cfg.horizon))
    weights = np.empty((n, cfg.n_hypotheses))
    model.eval()
    with torch.inference_mode(), _precision(model, precision):
        for sl in _batches(n, max(1, batch_size // c), verbose, "hypotheses"):
            xb, ob, k = _tensors(model, z, observed, sl)
            m, w = model.predict(xb, ob)
            hyp[sl], weights[sl] = _numpy(m, k), _numpy(w, k)
    return destandardise(hyp, loc[..., None], scale[..., None]), weights, scale


def reconstruct_pair(model: DualSpaceModel, x: np.ndarray, observed: np.ndarray, batch_size: int = 512,
                     verbose: bool = False, precision: str = "float32") -> tuple[np.ndarray, np.ndarray]:
    """Time-head and FFT-head reconstructions (one forward pass) of ``context_length`` windows, in data units.

    Parameters
    ----------
    model : DualSpaceModel
        The network; put in eval mode.
    x : ndarray
        Windows ``(n, C, context_length)`` in data units.
    observed : ndarray of bool
        Which points of ``x`` are observed, same shape; unobserved values are ignored.
    batch_size : int, default 512
        Sequences (series x channels) per forward pass.
    verbose : bool, default False
        Show a progress bar when there is more than one batch.
    precision : {"float32", "bfloat16"}, default "float32"
        Arithmetic of the forward pass (see ``PRECISIONS``).

    Returns
    -------
    time : ndarray
        Time-head reconstruction, ``x``'s shape.
    fft : ndarray
        FFT-head reconstruction, ``x``'s shape.
    """
    z, loc, scale = standardise(x, observed)
    time_out, fft_out = np.empty(x.shape), np.empty(x.shape)
    model.eval()
    with torch.inference_mode(), _precision(model, precision):
        for sl in _batches(len(x), batch_size, verbose, "reconstruct"):
            xb, ob, k = _tensors(model, z, observed, sl)
            t, f = model.reconstruct(xb, ob)
            time_out[sl], fft_out[sl] = _numpy(t, k), _numpy(f, k)
    return destandardise(time_out, loc, scale), destandardise(fft_out, loc, scale)


def reconstruct_arrays(model: DualSpaceModel, x: np.ndarray, observed: np.ndarray, head: str = "mean",
                       batch_size: int = 512, verbose: bool = False, precision: str = "float32") -> np.ndarray:
    """The chosen head's reconstruction of windows of exactly ``context_length`` points, in data units.

    Parameters
    ----------
    model : DualSpaceModel
        The network; put in eval mode.
    x : ndarray
        Windows ``(n, C, context_length)`` in data units.
    observed : ndarray of bool
        Which points of ``x`` are observed, same shape; unobserved values are ignored.
    head : {"time", "fft", "mean"}, default "mean"
        Reconstruction head; ``"mean"`` averages the two.
    batch_size : int, default 512
        Sequences (series x channels) per forward pass.
    verbose : bool, default False
        Show a progress bar when there is more than one batch.
    precision : {"float32", "bfloat16"}, default "float32"
        Arithmetic of the forward pass (see ``PRECISIONS``).

    Returns
    -------
    ndarray
        Reconstruction, ``x``'s shape.
    """
    if head not in HEADS:
        raise TsheadsError(f"head must be one of {HEADS}, got {head!r}")
    time_recon, fft_recon = reconstruct_pair(model, x, observed, batch_size, verbose, precision)
    if head == "time":
        return time_recon
    if head == "fft":
        return fft_recon
    return 0.5 * (time_recon + fft_recon)


def window_starts(length: int, context: int, stride: int | None = None) -> np.ndarray:
    """Starts of windows of ``context`` points covering ``range(length)``.

    The last window is end-aligned, and a series shorter than ``context`` gets one window with a negative
    start (left padding).

    Parameters
    ----------
    length : int
        Points in the series.
    context : int
        Window length.
    stride : int, optional
        Step between window starts; default ``context`` (non-overlapping).

    Returns
    -------
    ndarray of int
        Window starts, increasing.
    """
    stride = context if stride is None else stride
    if length <= context:
        return np.array([length - context])
    starts = np.arange(0, length - context + 1, stride)
    if starts[-1] + context < length:
        starts = np.append(starts, length - context)
    return starts


def impute_arrays(model: DualSpaceModel, x: np.ndarray, observed: np.ndarray, head: str = "mean",
                  batch_size: int = 512, verbose: bool = False, names=None, precision: str = "float32") -> np.ndarray:
    """``x`` with unobserved points replaced by the model's reconstruction; any length ``T``.

    Long inputs are cut into context-long windows (the last one end-aligned), short ones left-padded,
    so every point is filled from a window that contains it.

    Parameters
    ----------
    model : DualSpaceModel
        The network; put in eval mode.
    x : ndarray
        Series ``(n, C, T)`` in data units.
    observed : ndarray of bool
        Observed mask of ``x``'s shape; every ``context_length`` window needs an observed point per channel.
    head : {"time", "fft", "mean"}, default "mean"
        Reconstruction head filling the gaps.
    batch_size : int, default 512
        Sequences (series x channels) per forward pass.
    verbose : bool, default False
        Show a progress bar when there is more than one batch.
    names : sequence, optional
        One label per row, used in error messages (default: the row index).
    precision : {"float32", "bfloat16"}, default "float32"
        Arithmetic of the forward pass (see ``PRECISIONS``).

    Returns
    -------
    ndarray
        ``x`` as float64 with unobserved points filled; observed points unchanged.
    """
    n, c, t = x.shape
    context = model.config.context_length
    starts = window_starts(t, context)
    pos = starts[:, None] + np.arange(context)[None, :]  # (W, context), negative = padding
    valid = pos >= 0
    xs = np.where(valid, x[:, :, np.clip(pos, 0, None)], 0.0)          # (n, c, W, context)
    os_ = np.where(valid, observed[:, :, np.clip(pos, 0, None)], False)
    empty = ~os_.any(-1)  # (n, c, W): a window with nothing observed has nothing to reconstruct from
    if empty.any():
        i, j, w = np.argwhere(empty)[0]
        name = names[i] if names is not None else i
        raise TsheadsError(
            f"series {name!r}, channel {j}: points {max(starts[w], 0)}..{starts[w] + context - 1} are all missing; "
            f"imputation needs observed points in every {context}-point window (a gap this long is better "
            "forecast from the history before it)")
    flat = reconstruct_arrays(model, _to_windows(xs), _to_windows(os_), head, batch_size, verbose, precision)
    recon = flat.reshape(n, len(starts), c, context).transpose(0, 2, 1, 3)  # (n, c, W, context)
    filled = np.array(x, dtype=np.float64)
    for w in range(len(starts)):  # later windows overwrite the overlap of an end-aligned last one
        cols = pos[w][valid[w]]
        filled[:, :, cols] = np.where(observed[:, :, cols], x[:, :, cols], recon[:, :, w][:, :, valid[w]])
    return filled


def _to_windows(a: np.ndarray) -> np.ndarray:
    """(n, c, W, context) -> (n * W, c, context)."""
    n, c, w, t = a.shape
    return a.transpose(0, 2, 1, 3).reshape(n * w, c, t)


def embed_arrays(model: DualSpaceModel, x: np.ndarray, observed: np.ndarray, batch_size: int = 512,
                 verbose: bool = False, precision: str = "float32") -> tuple[np.ndarray, np.ndarray]:
    """Semantic ``(n, C, R * d)`` (registers) and detailed ``(n, C, P, d)`` (patch tokens) embeddings.

    Parameters
    ----------
    model : DualSpaceModel
        The network; put in eval mode.
    x : ndarray
        Inputs ``(n, C, T)`` in data units, any length ``T`` (fitted to the model's context).
    observed : ndarray of bool
        Which points of ``x`` are observed, ``(n, C, T)``; unobserved values are ignored.
    batch_size : int, default 512
        Sequences (series x channels) per forward pass.
    verbose : bool, default False
        Show a progress bar when there is more than one batch.
    precision : {"float32", "bfloat16"}, default "float32"
        Arithmetic of the forward pass (see ``PRECISIONS``).

    Returns
    -------
    semantic : ndarray of float32
        ``(n, C, R * d)``: the ``R`` register tokens of width ``d``, concatenated.
    detailed : ndarray of float32
        ``(n, C, P, d)``: one token per patch.
    """
    x, observed = fit_context(x, observed, model.config.context_length)
    x = standardise(x, observed)[0]
    cfg = model.config
    n, c, _ = x.shape
    semantic = np.empty((n, c, cfg.n_registers * cfg.d_model), dtype=np.float32)
    detailed = np.empty((n, c, cfg.n_patches, cfg.d_model), dtype=np.float32)
    model.eval()
    with torch.inference_mode(), _precision(model, precision):
        for sl in _batches(n, batch_size, verbose, "embed"):
            xb, ob, k = _tensors(model, x, observed, sl)
            s, d = model.embed(xb, ob)
            semantic[sl], detailed[sl] = _numpy(s, k), _numpy(d, k)
    return semantic, detailed


def interpolate_quantiles(levels, values: np.ndarray, wanted) -> np.ndarray:
    """Quantiles at ``wanted`` levels by linear interpolation between the model's ``levels``.

    Levels outside the trained range raise, because extrapolating a tail the model never learned would be
    a guess.

    Parameters
    ----------
    levels : array_like
        The model's ``Q`` quantile levels, increasing.
    values : ndarray
        Quantile forecasts ``(..., Q, h)``.
    wanted : array_like
        Levels to return, within ``[levels[0], levels[-1]]``.

    Returns
    -------
    ndarray
        ``(..., len(wanted), h)``.
    """
    levels = np.asarray(levels, dtype=float)
    wanted = np.asarray(wanted, dtype=float)
    if wanted.size and (wanted.min() < levels[0] - 1e-12 or wanted.max() > levels[-1] + 1e-12):
        raise TsheadsError(f"quantile levels must lie in [{levels[0]}, {levels[-1]}] (the trained range); "
                           f"got {sorted(set(wanted.tolist()))}")
    idx = np.clip(np.searchsorted(levels, wanted, side="right") - 1, 0, len(levels) - 2)
    lo, hi = levels[idx], levels[idx + 1]
    w = ((wanted - lo) / (hi - lo)).reshape(-1, 1)
    vlo, vhi = np.take(values, idx, axis=-2), np.take(values, idx + 1, axis=-2)
    return vlo + (vhi - vlo) * w
