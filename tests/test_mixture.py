"""Kernel mixtures of weighted hypotheses: closed-form CRPS, quantiles, bandwidth fit, recalibration."""

from __future__ import annotations

import numpy as np
import pytest
import scoringrules as sr

from tsheads.mixture import (
    PIT_GRID,
    fit_bandwidth,
    kernel_correlation,
    mixture_cdf,
    mixture_crps,
    mixture_quantiles,
    pit_table,
    recalibrated_levels,
    sample_mixture,
)


def test_closed_form_crps_matches_a_large_ensemble():
    rng = np.random.default_rng(0)
    means, weights, y = rng.normal(size=(6, 3)), rng.dirichlet(np.ones(3), 6), rng.normal(size=6)
    pick = np.array([rng.choice(3, size=40000, p=w) for w in weights])
    draws = np.take_along_axis(means, pick, 1) + 0.4 * rng.standard_normal(pick.shape)
    np.testing.assert_allclose(mixture_crps(means, weights, 0.4, y), sr.crps_ensemble(y, draws), atol=0.01)


def test_quantiles_invert_the_cdf_and_are_monotone():
    rng = np.random.default_rng(1)
    means, weights = rng.normal(size=(4, 5, 3)), rng.dirichlet(np.ones(3), (4, 5))
    sigma = rng.uniform(0.1, 1.0, (4, 5))
    levels = [0.025, 0.1, 0.5, 0.9, 0.975]
    q = mixture_quantiles(means, weights, sigma, levels)
    assert q.shape == (4, 5, 5) and np.all(np.diff(q, axis=-1) > 0)
    np.testing.assert_allclose(mixture_cdf(means, weights, sigma, q), np.broadcast_to(levels, q.shape), atol=1e-9)


def test_bandwidth_fit_recovers_the_noise_of_a_single_hypothesis():
    rng = np.random.default_rng(2)
    truth = rng.normal(size=(3000, 1, 1, 4))
    y = truth[:, :, 0] + rng.normal(size=(3000, 1, 4)) * np.array([0.2, 0.5, 1.0, 2.0])
    width = fit_bandwidth(truth, np.ones((3000, 1)), y, np.ones_like(y, dtype=bool))
    np.testing.assert_allclose(width, [0.2, 0.5, 1.0, 2.0], rtol=0.15)


def test_recalibration_is_the_identity_for_a_calibrated_forecast_and_widens_a_narrow_one():
    rng = np.random.default_rng(3)
    means, weights = np.zeros((20000, 1)), np.ones((20000, 1))
    y = rng.standard_normal(20000)
    calibrated = pit_table(means, weights, np.ones(20000), y)
    np.testing.assert_allclose(calibrated, PIT_GRID, atol=0.02)
    narrow = pit_table(means, weights, np.full(20000, 0.5), y)  # claims sigma 0.5, truth is 1
    lo, hi = recalibrated_levels([0.1, 0.9], narrow)
    assert lo < 0.1 and hi > 0.9
    q = mixture_quantiles(np.zeros((1, 1)), np.ones((1, 1)), 0.5, [lo, hi])[0]
    np.testing.assert_allclose(q, [-1.2816, 1.2816], atol=0.06)  # the true 10 % / 90 % quantiles


def test_samples_pick_one_hypothesis_per_path_for_all_channels():
    means = np.zeros((1, 2, 2, 3))
    means[0, :, 1] = 10.0  # hypothesis 1 is far away in both channels
    paths = sample_mixture(means, np.array([[0.3, 0.7]]), np.zeros((1, 2, 3)), 5000, np.random.default_rng(4))
    assert paths.shape == (1, 5000, 2, 3)
    far = paths[0, :, :, 0] > 5
    assert np.all(far[:, 0] == far[:, 1])  # the two channels always follow the same hypothesis
    assert far[:, 0].mean() == pytest.approx(0.7, abs=0.03)


def test_pit_table_stays_a_valid_table_when_weights_round_above_one():
    means = np.zeros((50, 3))
    weights = np.full((50, 3), 1 / 3 + 1e-12)  # softmax outputs can sum to 1 + a few ulp
    table = pit_table(means, weights, np.full(50, 1e-9), np.full(50, 5.0))  # every outcome far above
    assert table.min() >= 0 and table.max() <= 1 and np.all(np.diff(table) >= 0)


def test_kernel_correlation_is_recovered_from_held_out_errors_and_drives_the_sample_noise():
    rng = np.random.default_rng(3)
    n, c, h, rho = 60, 3, 10, 0.7
    corr = np.full((c, c), rho) + (1 - rho) * np.eye(c)
    means = np.stack([np.zeros((n, c, h)), np.full((n, c, h), 50.0)], axis=2)  # the first hypothesis is nearest
    sigma = np.array([1.0, 2.0, 0.5])[None, :, None]
    noise = np.moveaxis(rng.standard_normal((n, h, c)) @ np.linalg.cholesky(corr).T, -1, 1)
    observed = np.ones((n, c, h), dtype=bool)
    est = kernel_correlation(means, noise * sigma, observed, sigma)
    assert est.shape == (c, c) and np.allclose(np.diag(est), 1) and np.allclose(est, est.T)
    assert np.abs(est[~np.eye(c, dtype=bool)] - rho).max() < 0.1
    assert kernel_correlation(means[:, :1], noise[:, :1], observed[:, :1], 1.0) is None  # one channel
    assert kernel_correlation(means[:1, :, :, :1], noise[:1, :, :1], observed[:1, :, :1], 1.0) is None  # too few
    paths = sample_mixture(means[:1] * 0, np.array([[1.0, 0.0]]), np.ones((1, c, h)), 4000, rng, corr)
    drawn = np.corrcoef(paths[0].transpose(0, 2, 1).reshape(-1, c).T)
    assert np.abs(drawn - corr).max() < 0.05
    independent = sample_mixture(means[:1] * 0, np.array([[1.0, 0.0]]), np.ones((1, c, h)), 4000, rng)
    assert np.abs(np.corrcoef(independent[0].transpose(0, 2, 1).reshape(-1, c).T) - np.eye(c)).max() < 0.05
