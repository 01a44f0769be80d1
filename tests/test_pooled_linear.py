"""The pooled ridge autoregression candidate: it learns a shared shape, never reads what it forecasts, and
keeps series apart when asked."""

import numpy as np
import pandas as pd
import pytest

from tsheads.estimators.validated import ValidatedForecaster
from tsheads.pooled_linear import pooled_linear_forecasts


def seasonal_family(n=6, length=120, period=12, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    return [10.0 ** k * (5 + np.sin(2 * np.pi * t / period + k) + rng.normal(0, 0.05, length)) for k in range(n)]


def test_learns_a_shared_cycle_across_levels():
    series = seasonal_family()
    train = [y[:-12] for y in series]
    origins = np.array([[len(y)] for y in train])
    fc = pooled_linear_forecasts(train, origins, 12)[:, 0]
    for y, f in zip(series, fc):
        naive = np.abs(y[-12:] - y[-13]).mean()
        assert np.abs(y[-12:] - f).mean() < 0.2 * naive  # the cycle, at each series' own level


def test_scale_of_the_frame_does_not_matter():
    series = seasonal_family(n=4)
    origins = np.array([[100, len(y)] for y in series])
    a = pooled_linear_forecasts(series, origins, 12)
    b = pooled_linear_forecasts([1e6 * y for y in series], origins, 12)
    np.testing.assert_allclose(b, 1e6 * a, rtol=1e-6)


def test_a_backtest_forecast_never_reads_the_values_it_forecasts():
    series = seasonal_family(n=5)
    origins = np.array([[80, 100, len(y)] for y in series])
    before = pooled_linear_forecasts(series, origins, 12)
    changed = [y.copy() for y in series]
    for y in changed:
        y[100:] += 50.0  # every series changes after the second origin
    after = pooled_linear_forecasts(changed, origins, 12)
    np.testing.assert_allclose(after[:, :2], before[:, :2], rtol=1e-10)
    assert not np.allclose(after[:, 2], before[:, 2])


def test_missing_origins_flat_and_short_series():
    series = [np.full(50, 3.0), np.arange(40.0), np.r_[1.0, 2.0, 4.0]]
    origins = np.array([[-1, 50], [20, 40], [-1, 3]])
    fc = pooled_linear_forecasts(series, origins, 6)
    assert np.isnan(fc[0, 0]).all() and np.isnan(fc[2, 0]).all()
    np.testing.assert_allclose(fc[0, 1], 3.0)  # a flat context is forecast flat
    assert np.isfinite(fc[1]).all() and np.isfinite(fc[2, 1]).all()
    assert fc[1, 1, -1] > 40  # the line goes on up


def test_separate_pools_keep_series_independent():
    series = seasonal_family(n=3)
    origins = np.array([[len(y)] for y in series])
    together = pooled_linear_forecasts(series, origins, 12, pools=np.arange(3))
    alone = pooled_linear_forecasts(series[:1], origins[:1], 12)
    np.testing.assert_allclose(together[0], alone[0], rtol=1e-10)


def test_validated_forecaster_offers_it_as_a_candidate():
    series = seasonal_family(n=4, length=96)
    df = pd.concat([pd.DataFrame({"unique_id": f"s{k}", "ds": pd.date_range("2020-01", periods=len(y), freq="MS"),
                                  "y": y}) for k, y in enumerate(series)])
    est = ValidatedForecaster(candidates=("network", "naive", "theta", "linear"))
    out = est.forecast(df, 12, level=[80])
    assert "linear" in est.backtest_errors_.columns and np.isfinite(est.backtest_errors_["linear"]).all()
    assert np.isfinite(out.drop(columns=["unique_id", "ds"]).to_numpy()).all()


def test_a_near_flat_stretch_before_a_jump_does_not_wreck_the_pool():
    series = seasonal_family()
    plateau = np.r_[np.full(100, 7.0) + 1e-4 * (np.arange(100) % 2), np.full(20, 50.0)]
    origins = np.array([[len(y)] for y in series + [plateau]])
    clean = pooled_linear_forecasts(series, origins[:-1], 12)[:, 0]
    mixed = pooled_linear_forecasts(series + [plateau], origins, 12)[:-1, 0]
    for y, a, b in zip(series, clean, mixed):
        spread = np.ptp(y)
        assert np.abs(a - b).max() < 0.05 * spread  # one odd series moves the others by little


def frame_of(series, uid_prefix="s", freq="MS"):
    return pd.concat([pd.DataFrame({"unique_id": f"{uid_prefix}{k}", "ds": pd.date_range(end="2024-12-01",
                                    periods=len(y), freq=freq), "y": y}) for k, y in enumerate(series)])


def test_backtests_read_no_value_of_any_series_after_the_slot_origin_on_a_shared_calendar():
    """Three origins 24 apart: a 60-point series ending with the others has no origin in the oldest slot, and
    its first 24 points come after that slot's origin; they must not train that slot's model."""
    long = seasonal_family(n=3, length=96)
    mid = seasonal_family(n=1, length=60, seed=5)[0]
    changed = mid.copy()
    changed[:24] += np.linspace(0, 30, 24) ** 2
    runs = []
    for extra in (mid, changed):
        est = ValidatedForecaster(n_windows=3, step_size=24, candidates=("naive", "linear"), intervals="pooled")
        est.fit(frame_of(long + [extra])).predict(12)
        runs.append(est)
    col = list(runs[0].backtest_errors_.columns).index("linear")
    rows = [list(runs[0].chosen_.index).index(f"s{k}") for k in range(3)]
    oldest = [r.backtest_forecasts_[rows, col, 0] for r in runs]
    assert np.isfinite(oldest[0]).all()
    np.testing.assert_allclose(oldest[1], oldest[0], rtol=1e-10)


def test_frame_prior_zero_keeps_the_linear_candidate_per_series():
    series = seasonal_family(n=3, length=96)
    kw = dict(frame_prior=0, candidates=("naive", "linear"), intervals="pooled")
    alone = ValidatedForecaster(**kw).forecast(frame_of(series[:1]), 12)
    together = ValidatedForecaster(**kw).forecast(frame_of(series), 12)
    np.testing.assert_allclose(together[together.unique_id == "s0"]["TSHeads"].to_numpy(),
                               alone["TSHeads"].to_numpy(), rtol=1e-8)


def test_candidate_sets_without_a_fallback_or_bands_get_a_clear_error():
    from tsheads.errors import TsheadsError

    with pytest.raises(TsheadsError, match="'network' or 'naive'"):
        ValidatedForecaster(candidates=("theta", "linear"), intervals="pooled").fit(frame_of(seasonal_family(n=2)))
    est = ValidatedForecaster(candidates=("naive", "linear"), intervals="pooled")
    est.fit(frame_of([np.arange(10.0), np.arange(60.0)]))
    with pytest.raises(TsheadsError, match="no backtest origin"):
        est.predict(12, level=[80])
    assert np.isfinite(est.predict(12)["TSHeads"]).all()  # points need no bands
