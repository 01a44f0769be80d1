"""Synthetic pretraining series in the spirit of Chronos' KernelSynth.

Each series is a random composition of a trend, up to three seasonal patterns (sinusoid sums or smooth
random templates), a smooth Gaussian-process-like component (random Fourier features), autoregressive or
random-walk noise, regime changes, spikes and sometimes count (intermittent) observation, then a random
affine map so the level and unit vary over many orders of magnitude. Periods favour the calendar ones
(24, 168, 12, 7, 4, 52 ...) but any period from 2 to 256 can occur.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

PERIODS = np.array([24, 168, 12, 4, 7, 52, 48, 96, 30, 6, 288, 0])  # 0 = a random period
PERIOD_WEIGHTS = np.array([6, 3, 5, 3, 3, 1, 1, 1, 1, 1, 1, 4], dtype=float)
PERIOD_WEIGHTS /= PERIOD_WEIGHTS.sum()


def _log_uniform(rng, low, high):
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def _trend(rng, t, n):
    kind = rng.choice(5, p=[0.2, 0.3, 0.2, 0.1, 0.2])
    u = t / n
    if kind == 0:
        return np.zeros(n)
    if kind == 1:
        return rng.normal(0, 2) * u
    if kind == 2:  # piecewise linear with 1-3 kinks
        knots = np.sort(rng.uniform(0, 1, rng.integers(1, 4)))
        slopes = rng.normal(0, 2, len(knots) + 1)
        y = slopes[0] * u
        for k, s in zip(knots, np.diff(slopes)):
            y = y + s * np.maximum(u - k, 0)
        return y
    if kind == 3:
        return np.expm1(rng.uniform(-2, 2) * u)
    return _smooth(rng, t, _log_uniform(rng, n / 8, 2 * n))


def _smooth(rng, t, lengthscale, k=24):
    """Random Fourier features of an RBF kernel: a GP-like smooth curve with unit variance."""
    w = rng.normal(0, 1 / lengthscale, k)
    phase = rng.uniform(0, 2 * np.pi, k)
    return np.sqrt(2 / k) * np.cos(np.outer(t, w) + phase).sum(1)


def _season(rng, t):
    period = PERIODS[rng.choice(len(PERIODS), p=PERIOD_WEIGHTS)]
    if period == 0:
        period = _log_uniform(rng, 2, 256)
    if rng.random() < 0.35 and period == int(period):  # a smooth random daily/weekly-like shape
        p = int(period)
        template = np.cumsum(rng.normal(0, 1, p))
        template -= np.linspace(0, template[-1] - template[0], p)  # close the loop
        template = np.convolve(np.r_[template, template, template], np.ones(3) / 3, "same")[p:2 * p]
        template = (template - template.mean()) / (template.std() + 1e-9)
        y = template[(t.astype(int) + rng.integers(p)) % p]
    else:
        y = np.zeros_like(t, dtype=float)
        for j in range(1, rng.integers(1, 5) + 1):
            y += rng.uniform(0.2, 1) / j * np.sin(2 * np.pi * j * t / period + rng.uniform(0, 2 * np.pi))
    if rng.random() < 0.3:  # slowly changing amplitude
        y *= 1 + 0.5 * _smooth(rng, t, _log_uniform(rng, len(t) / 4, 2 * len(t)), k=8)
    return y * rng.uniform(0.3, 2)


def _noise(rng, n):
    kind = rng.choice(4, p=[0.35, 0.35, 0.15, 0.15])
    sigma = _log_uniform(rng, 0.01, 1.0)
    e = rng.normal(0, 1, n) if rng.random() < 0.85 else rng.standard_t(3, n) / 1.7
    if kind == 0:
        return sigma * e
    if kind == 1:
        phi = rng.uniform(0.3, 0.98)
        return sigma * lfilter([1], [1, -phi], e) * np.sqrt(1 - phi ** 2)
    if kind == 2:  # random walk
        return sigma * 0.2 * np.cumsum(e)
    phi1, phi2 = rng.uniform(0.2, 1.2), rng.uniform(-0.5, -0.1)  # AR(2), stationary region
    return sigma * lfilter([1], [1, -phi1, -phi2], e) * 0.5


def synthetic_series(rng: np.random.Generator, n: int) -> np.ndarray:
    """One random series of length ``n`` (float64, finite)."""
    t = np.arange(n, dtype=float)
    y = _trend(rng, t, n) * rng.uniform(0, 2)
    for _ in range(rng.choice(4, p=[0.15, 0.45, 0.3, 0.1])):
        y = y + _season(rng, t)
    if rng.random() < 0.3:
        y = y + _smooth(rng, t, _log_uniform(rng, 5, n / 2)) * rng.uniform(0.1, 1)
    y = y + _noise(rng, n)
    if rng.random() < 0.15:  # level shift
        k = rng.integers(n // 8, n)
        y[k:] += rng.normal(0, 1.5)
    if rng.random() < 0.1:  # variance change
        k = rng.integers(n // 8, n)
        y[k:] += _noise(rng, n - k) * rng.uniform(1, 4)
    if rng.random() < 0.1:  # spikes
        idx = rng.integers(0, n, rng.integers(1, 6))
        y[idx] += rng.normal(0, 4, len(idx)) * (y.std() + 1e-3)
    if rng.random() < 0.25:  # positive, multiplicative structure
        y = np.exp(0.5 * (y - y.mean()) / (y.std() + 1e-9))
        if rng.random() < 0.3:  # counts, possibly intermittent
            y = rng.poisson(y * _log_uniform(rng, 0.2, 50)).astype(float)
    scale = _log_uniform(rng, 1e-2, 1e4)
    return (y * scale + rng.normal(0, 3) * scale).astype(np.float64)
