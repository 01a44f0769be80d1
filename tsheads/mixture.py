"""Weighted hypotheses as a predictive distribution: a Gaussian kernel around each hypothesis.

A WTA forecaster outputs ``K`` paths with probabilities. Read literally that is a discrete
distribution whose intervals are far too narrow (a point between two hypotheses gets no mass). Putting
a Gaussian kernel of width ``sigma`` on every hypothesis turns it into a mixture; ``sigma`` is chosen
per horizon step on held-out windows to minimise the mixture's CRPS (:func:`fit_bandwidth`).
CRPS-optimal Gaussian kernels still under-cover when errors are heavy-tailed, so quantile levels are
then recalibrated on the same held-out windows (Kuleshov et al. 2018): level ``tau`` is read at the
mixture level ``tau'`` below which a share ``tau`` of held-out points fell (:func:`pit_table`,
:func:`recalibrated_levels`). Arrays only: hypotheses ``(..., K)``, weights ``(..., K)``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

_SQRT2PI = np.sqrt(2 * np.pi)


def _a(mu: np.ndarray, s: np.ndarray) -> np.ndarray:
    """E|X| for X ~ N(mu, s^2) (s > 0)."""
    r = mu / s
    return mu * (2 * ndtr(r) - 1) + 2 * s * np.exp(-0.5 * r * r) / _SQRT2PI


def mixture_crps(means: np.ndarray, weights: np.ndarray, sigma, y: np.ndarray) -> np.ndarray:
    """Closed-form CRPS of ``sum_k w_k N(means_k, sigma^2)`` at ``y``: shapes ``(..., K)``, ``(..., K)``, ``(...)``.

    CRPS = E|X - y| - E|X - X'| / 2 with X, X' independent draws from the mixture (Grimit et al. 2006).

    Parameters
    ----------
    means : ndarray
        Hypotheses, ``(..., K)``.
    weights : ndarray
        Their probabilities, ``(..., K)``, summing to 1 over ``K``.
    sigma : float or ndarray
        Kernel width (standard deviation), broadcasting against the batch shape ``means.shape[:-1]``.
    y : ndarray
        Observations, ``(...)``.

    Returns
    -------
    ndarray
        CRPS per observation, ``(...)``, in the units of ``means``.
    """
    s = np.maximum(np.asarray(sigma, dtype=np.float64), 1e-12)[..., None]
    first = (weights * _a(y[..., None] - means, s)).sum(-1)
    diff = means[..., :, None] - means[..., None, :]
    pair = weights[..., :, None] * weights[..., None, :] * _a(diff, np.sqrt(2.0) * s[..., None])
    return first - 0.5 * pair.sum((-2, -1))


def fit_bandwidth(means: np.ndarray, weights: np.ndarray, y: np.ndarray, observed: np.ndarray,
                  grid: np.ndarray | None = None) -> np.ndarray:
    """Kernel width per horizon step minimising the mean mixture CRPS on held-out windows.

    A step with no observed point takes the previous step's width.

    Parameters
    ----------
    means : ndarray
        Hypotheses of ``N`` windows, ``C`` channels, ``K`` hypotheses, ``H`` steps: ``(N, C, K, H)``, in
        standardised units.
    weights : ndarray
        Hypothesis probabilities per window, ``(N, K)``.
    y : ndarray
        Held-out outcomes, ``(N, C, H)``, standardised like ``means``.
    observed : ndarray of bool
        Which outcomes are observed, ``(N, C, H)``; others are ignored.
    grid : ndarray, optional
        Candidate widths; default 48 log-spaced values from 0.001 to 3 standard deviations of the context.

    Returns
    -------
    ndarray
        The best width per horizon step, ``(H,)``.
    """
    grid = np.geomspace(1e-3, 3.0, 48) if grid is None else np.asarray(grid, dtype=np.float64)
    m = np.moveaxis(means, 2, -1)  # (N, C, H, K)
    w = np.broadcast_to(weights[:, None, None, :], m.shape)
    best = np.empty(means.shape[-1])
    for h in range(means.shape[-1]):
        ok = observed[..., h]
        if not ok.any():
            best[h] = best[h - 1] if h else grid[len(grid) // 2]
            continue
        mh, wh, yh = m[..., h, :][ok], w[..., h, :][ok], y[..., h][ok]
        scores = [mixture_crps(mh, wh, s, yh).mean() for s in grid]
        best[h] = grid[int(np.argmin(scores))]
    return best


def mixture_cdf(means: np.ndarray, weights: np.ndarray, sigma, x: np.ndarray) -> np.ndarray:
    """P(X <= x) of the mixture at points ``x`` of shape ``(..., L)`` (batch shape of ``means`` plus ``L``).

    Parameters
    ----------
    means : ndarray
        Hypotheses, ``(..., K)``.
    weights : ndarray
        Their probabilities, ``(..., K)``, summing to 1 over ``K``.
    sigma : float or ndarray
        Kernel width (standard deviation), broadcasting against the batch shape ``means.shape[:-1]``.
    x : ndarray
        Points, ``(..., L)``.

    Returns
    -------
    ndarray
        CDF values in [0, 1], ``(..., L)``.
    """
    s = np.maximum(np.asarray(sigma, dtype=np.float64), 1e-300)[..., None, None]
    return (weights[..., None, :] * ndtr((x[..., None] - means[..., None, :]) / s)).sum(-1)


def mixture_quantiles(means: np.ndarray, weights: np.ndarray, sigma, levels) -> np.ndarray:
    """Quantiles ``(..., L)`` of the mixture at ``levels`` by bisection on its CDF (60 halvings).

    A zero width gives the weighted discrete distribution's quantiles (to the bisection's precision).

    Parameters
    ----------
    means : ndarray
        Hypotheses, ``(..., K)``.
    weights : ndarray
        Their probabilities, ``(..., K)``, summing to 1 over ``K``.
    sigma : float or ndarray
        Kernel width (standard deviation), broadcasting against the batch shape ``means.shape[:-1]``.
    levels : array_like
        ``L`` quantile levels in (0, 1).

    Returns
    -------
    ndarray
        Quantiles, ``(..., L)``, in the units of ``means``.
    """
    levels = np.asarray(levels, dtype=np.float64)
    sigma = np.broadcast_to(np.asarray(sigma, dtype=np.float64), means.shape[:-1])
    pad = 10 * np.maximum(sigma, 0) + 1e-12 * (1 + np.abs(means).max(-1))
    lo = np.repeat((means.min(-1) - pad)[..., None], len(levels), -1)
    hi = np.repeat((means.max(-1) + pad)[..., None], len(levels), -1)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        below = mixture_cdf(means, weights, sigma, mid) < levels
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def sample_mixture(means: np.ndarray, weights: np.ndarray, sigma: np.ndarray, n: int,
                   rng: np.random.Generator, correlation: np.ndarray | None = None) -> np.ndarray:
    """``n`` paths per sample: pick hypothesis ``k`` with probability ``w_k``, add kernel noise.

    One ``k`` is drawn per path for all channels and steps, so each path keeps a hypothesis' joint shape
    over time and channels. The noise is independent per step; across channels it is independent, or
    correlated as ``correlation`` says (:func:`kernel_correlation`).

    Parameters
    ----------
    means : ndarray
        Hypotheses, ``(N, C, K, H)``.
    weights : ndarray
        Hypothesis probabilities, ``(N, K)``.
    sigma : ndarray
        Kernel widths, broadcasting to ``(N, C, H)``.
    n : int
        Paths per window.
    rng : numpy.random.Generator
        Source of randomness.
    correlation : ndarray, optional
        ``(C, C)`` correlation of the noise across channels; None: independent.

    Returns
    -------
    ndarray
        Sample paths, ``(N, n, C, H)``.
    """
    big_n, c, k, h = means.shape
    cum = np.cumsum(weights, axis=-1)
    u = rng.random((big_n, n, 1))
    pick = np.minimum((u > cum[:, None, :]).sum(-1), k - 1)  # (N, n)
    paths = np.take_along_axis(means[:, None], pick[:, :, None, None, None], axis=3)[:, :, :, 0]  # (N, n, C, H)
    if correlation is None or c == 1:
        z = rng.standard_normal(paths.shape)
    else:
        z = np.moveaxis(rng.standard_normal((big_n, n, h, c)) @ np.linalg.cholesky(correlation).T, -1, 2)
    return paths + z * np.broadcast_to(sigma, (big_n, c, h))[:, None]


def kernel_correlation(means: np.ndarray, future: np.ndarray, observed: np.ndarray,
                       sigma: np.ndarray) -> np.ndarray | None:
    """Correlation ``(C, C)`` across channels of held-out errors around each window's nearest hypothesis.

    A joint mixture's kernels are what the hypotheses leave unexplained; for series that move together
    (exchange rates against one currency) those errors are correlated, and independent noise then makes the
    sum of the series too narrow. Errors are taken in kernel units (over ``sigma``) at every step whose
    channels are all observed, and their covariance is shrunk by Ledoit-Wolf (few windows, many pairs).

    Parameters
    ----------
    means : ndarray
        Hypotheses on held-out windows, ``(n, C, K, H)``.
    future, observed : ndarray
        What happened and whether it was observed, ``(n, C, H)``.
    sigma : ndarray
        Kernel widths, broadcasting to ``(n, C, H)``.

    Returns
    -------
    ndarray or None
        The correlation matrix; None for one channel, fewer complete steps than ``2 C``, non-finite errors,
        a channel without spread, or a matrix that is not positive definite.
    """
    from sklearn.covariance import ledoit_wolf

    n, c, k, h = means.shape
    if c == 1:
        return None
    err = np.where(observed[:, :, None, :], future[:, :, None, :] - means, 0.0)
    nearest = (err ** 2).sum(axis=(1, 3)).argmin(-1)  # (n,)
    err = np.take_along_axis(err, nearest[:, None, None, None], axis=2)[:, :, 0]  # (n, C, H)
    sig = np.broadcast_to(sigma, err.shape)
    z = np.where(sig > 0, err / np.where(sig > 0, sig, 1.0), 0.0)
    rows = z.transpose(0, 2, 1).reshape(-1, c)[observed.transpose(0, 2, 1).reshape(-1, c).all(axis=1)]
    if len(rows) < 2 * c or not np.isfinite(rows).all():
        return None
    cov = ledoit_wolf(rows, assume_centered=True)[0]
    scale = np.sqrt(np.diag(cov))
    if not (scale > 0).all():
        return None
    corr = cov / scale[:, None] / scale[None, :]
    np.fill_diagonal(corr, 1.0)
    return corr if is_correlation(corr) else None


def is_correlation(a: np.ndarray) -> bool:
    """Whether ``a`` is a usable noise correlation for :func:`sample_mixture`.

    Parameters
    ----------
    a : ndarray
        Candidate matrix.

    Returns
    -------
    bool
        True when ``a`` is square (two channels or more), finite, symmetric, with a unit diagonal, and positive
        definite (its Cholesky factor exists).
    """
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] < 2 or not np.isfinite(a).all() \
            or not np.allclose(a, a.T) or not np.allclose(np.diag(a), 1.0):
        return False
    try:
        np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        return False
    return True


#: levels at which the empirical distribution of held-out PIT values is stored
PIT_GRID = np.linspace(0.0, 1.0, 201)


def pit_table(means: np.ndarray, weights: np.ndarray, sigma, y: np.ndarray) -> np.ndarray:
    """Quantiles (at :data:`PIT_GRID`) of the mixture CDF evaluated at held-out observations ``y``.

    For a calibrated forecast the PIT values are uniform and the table is the identity.

    Parameters
    ----------
    means : ndarray
        Hypotheses of ``M`` held-out points, ``(M, K)``.
    weights : ndarray
        Their probabilities, ``(M, K)``.
    sigma : float or ndarray
        Kernel width, scalar or ``(M,)``.
    y : ndarray
        Held-out outcomes, ``(M,)``.

    Returns
    -------
    ndarray
        Non-decreasing PIT quantiles, one per :data:`PIT_GRID` level.
    """
    pit = np.clip(mixture_cdf(means, weights, sigma, np.asarray(y, dtype=np.float64)[:, None])[:, 0], 0.0, 1.0)
    return np.maximum.accumulate(np.quantile(pit, PIT_GRID))  # exactly monotone despite interpolation rounding


def recalibrated_levels(levels, table: np.ndarray) -> np.ndarray:
    """The mixture levels to read so that a share ``levels`` of outcomes falls below (see :func:`pit_table`).

    Parameters
    ----------
    levels : array_like
        Wanted quantile levels in (0, 1).
    table : ndarray
        Output of :func:`pit_table`.

    Returns
    -------
    ndarray
        Levels to read from the mixture, ``levels``' shape, clipped to ``[1e-6, 1 - 1e-6]``.
    """
    return np.clip(np.interp(np.asarray(levels, dtype=np.float64), PIT_GRID, table), 1e-6, 1 - 1e-6)
