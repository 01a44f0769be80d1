"""ConformalForecaster: columns, point forecast kept, coverage, adaptive widening, wrapped models, fallbacks."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import tsheads
from tsheads import Naive, Naive2, SeasonalNaive
from tsheads.errors import SeriesTooShortError, TsheadsError
from tsheads.estimators.conformalized import ConformalForecaster
from tsheads.pretrained import has_short


def long_frame(y) -> pd.DataFrame:
    """``(n, T)`` array -> long frame with integer time."""
    n, t = y.shape
    return pd.DataFrame({"unique_id": np.repeat([f"s{i:03d}" for i in range(n)], t),
                         "ds": np.tile(np.arange(t), n), "y": y.ravel()})


def seasonal_series(n=200, length=132, m=12, seed=0) -> np.ndarray:
    """Per series a level, a sine of period ``m`` (random size and phase) and i.i.d. Gaussian noise of its own scale."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    level, amp, phase = rng.uniform(-50, 50, (n, 1)), rng.uniform(1, 5, (n, 1)), rng.uniform(0, 2 * np.pi, (n, 1))
    return level + amp * np.sin(2 * np.pi * t / m + phase) + rng.uniform(0.2, 2, (n, 1)) * rng.normal(size=(n, length))


def coverage(fc, future, model, level) -> float:
    return float(((fc[f"{model}-lo-{level}"] <= future) & (future <= fc[f"{model}-hi-{level}"])).mean())


class CountingNaive(Naive):
    """Naive that counts its fits, to show bad settings stop before any training."""

    fits = 0

    def _fit_panel(self, panel):
        CountingNaive.fits += 1
        super()._fit_panel(panel)


def test_columns_are_nixtla_style_and_the_point_is_the_wrapped_models():
    df = long_frame(seasonal_series(n=5, length=80))
    fc = ConformalForecaster(SeasonalNaive(12), n_windows=6).fit(df).predict(6, level=[80, 95], quantiles=[0.1, 0.5])
    assert list(fc.columns) == ["unique_id", "ds", "SeasonalNaive", "SeasonalNaive-lo-80", "SeasonalNaive-hi-80",
                                "SeasonalNaive-lo-95", "SeasonalNaive-hi-95", "SeasonalNaive-q-0.1",
                                "SeasonalNaive-q-0.5"]
    own = SeasonalNaive(12).fit(df).predict(6)
    pd.testing.assert_frame_equal(fc[["unique_id", "ds", "SeasonalNaive"]], own)
    assert (fc["SeasonalNaive-lo-95"] <= fc["SeasonalNaive-lo-80"]).all()
    assert (fc["SeasonalNaive-lo-80"] < fc["SeasonalNaive"]).all()
    assert (fc["SeasonalNaive"] < fc["SeasonalNaive-hi-80"]).all()
    assert np.allclose(fc["SeasonalNaive-q-0.1"], fc["SeasonalNaive-lo-80"])
    assert np.allclose(fc["SeasonalNaive-q-0.5"], fc["SeasonalNaive"])
    aliased = ConformalForecaster(Naive(), alias="cf", n_windows=3).fit(df).predict(2, level=[80])
    assert list(aliased.columns) == ["unique_id", "ds", "cf", "cf-lo-80", "cf-hi-80"]


def test_coverage_on_many_noisy_seasonal_series_is_about_nominal():
    # k = 10 exchangeable residuals: the 80 % radius is the 9th of 10 (coverage 9/11 = 0.818), the 95 % one
    # the largest (10/11 = 0.909); 200 series x 12 steps put the standard error near 0.01
    h = 12
    y = seasonal_series(n=200, length=132)
    est = ConformalForecaster(SeasonalNaive(12), n_windows=10).fit(long_frame(y[:, :-h]))
    fc = est.predict(h, level=[80, 95])
    future = y[:, -h:].ravel()
    assert 0.76 <= coverage(fc, future, "SeasonalNaive", 80) <= 0.88
    assert 0.87 <= coverage(fc, future, "SeasonalNaive", 95) <= 0.95
    assert (est.origins_ == 10).all() and est.residuals_.shape == (200, 10, h) and len(est.own_bands_) == 0


def test_adaptive_widens_after_a_variance_increase():
    rng = np.random.default_rng(0)
    n, length, h = 100, 82, 2
    scale = np.where(np.arange(length) >= length - h - 5, 4.0, 1.0)  # the last 5 points of history are noisier
    y = 10 + scale * rng.normal(size=(n, length))
    history, future = long_frame(y[:, :-h]), y[:, -h:].ravel()
    width, covered = {}, {}
    for intervals in ("conformal", "adaptive"):
        fc = ConformalForecaster(Naive(), n_windows=20, intervals=intervals).fit(history).predict(h, level=[80])
        width[intervals] = (fc["Naive-hi-80"] - fc["Naive-lo-80"]).mean()
        covered[intervals] = coverage(fc, future, "Naive", 80)
    assert width["adaptive"] > 1.5 * width["conformal"]
    assert covered["adaptive"] > covered["conformal"] + 0.1


def test_wraps_the_zero_shot_network_and_reuses_the_backtest_per_horizon():
    df = long_frame(seasonal_series(n=4, length=120, m=24, seed=1))
    est = ConformalForecaster(tsheads.ZeroShotForecaster(), n_windows=3).fit(df)
    fc = est.predict(8, level=[80, 99])  # 99: beyond the network's own 0.01-0.99 quantiles
    network = tsheads.ZeroShotForecaster().fit(df).predict(8)
    assert np.allclose(fc["TSHeads"], network["TSHeads"], rtol=1e-6, atol=1e-6)
    assert (fc["TSHeads-lo-99"] <= fc["TSHeads-lo-80"]).all() and (fc["TSHeads-hi-80"] <= fc["TSHeads-hi-99"]).all()
    assert (est.origins_ == 3).all()
    residuals = est.residuals_
    est.predict(8, quantiles=[0.9])
    assert est.residuals_ is residuals  # same h: the backtest is not run again
    assert est.predict(4, level=[80]).shape == (16, 5) and est.residuals_.shape == (4, 3, 4)


def test_wraps_the_wta_forecaster_with_few_origins():
    y = seasonal_series(n=3, length=160, m=16, seed=2)
    wta = tsheads.WTAForecaster(h=4, context_length=32, n_hypotheses=2, backbone="random", max_epochs=1,
                                steps_per_epoch=2, batch_size=16, validation_size=8, random_state=0)
    est = ConformalForecaster(wta, n_windows=2).fit(long_frame(y))
    fc = est.predict(4, level=[80])
    assert np.allclose(fc["WTA"], est.forecaster_.predict(4)["WTA"])
    assert (fc["WTA-lo-80"] <= fc["WTA"]).all() and (fc["WTA"] <= fc["WTA-hi-80"]).all()
    assert (est.origins_ == 2).all()


def test_estimator_contract_clone_params_and_not_fitted():
    est = ConformalForecaster(SeasonalNaive(24), n_windows=4, intervals="adaptive", alias="x")
    assert clone(est).get_params(deep=False)["n_windows"] == 4
    assert est.get_params()["forecaster__season_length"] == 24
    assert est.set_params(forecaster__season_length=12).forecaster.season_length == 12
    with pytest.raises(NotFittedError):
        est.predict(3)
    df = long_frame(seasonal_series(n=2, length=60))
    assert est.fit(df) is est and est.forecaster_ is not est.forecaster
    assert not hasattr(est.forecaster, "panel_")  # the given forecaster is never fitted


@pytest.mark.parametrize("params, match", [
    (dict(n_windows=0), "n_windows"), (dict(step_size=1.5), "step_size"), (dict(intervals="bootstrap"), "intervals"),
    (dict(alias=3), "alias"), (dict(forecaster="naive"), "forecaster"),
    (dict(forecaster=SeasonalNaive(season_length=0)), "season_length"),
])
def test_bad_settings_raise_before_any_training(params, match):
    CountingNaive.fits = 0
    est = ConformalForecaster(**{"forecaster": CountingNaive(), **params})
    with pytest.raises(TsheadsError, match=match):
        est.fit(long_frame(seasonal_series(n=2, length=40)))
    assert CountingNaive.fits == 0


def test_short_series_keep_the_wrapped_models_bands_or_raise():
    y = seasonal_series(n=3, length=80)
    df = pd.concat([long_frame(y), pd.DataFrame({"unique_id": "short", "ds": np.arange(18), "y": y[0, :18]})])
    est = ConformalForecaster(SeasonalNaive(12), n_windows=5).fit(df)
    fc = est.predict(8, level=[80]).set_index("unique_id")
    own = SeasonalNaive(12).fit(df).predict(8, level=[80]).set_index("unique_id")
    assert list(est.own_bands_) == ["short"] and est.origins_["short"] == 0 and (est.origins_.drop("short") == 5).all()
    assert np.allclose(fc.loc["short", "SeasonalNaive-lo-80"], own.loc["short", "SeasonalNaive-lo-80"])
    assert not np.allclose(fc.loc["s000", "SeasonalNaive-lo-80"], own.loc["s000", "SeasonalNaive-lo-80"])
    assert not fc.isna().any().any()
    with pytest.raises(SeriesTooShortError, match="no backtest origin.*'short'"):
        ConformalForecaster(Naive2(), n_windows=5).fit(df).predict(12, level=[80])
    assert ConformalForecaster(Naive2(), n_windows=5).fit(df).predict(12)["Naive2"].notna().all()  # points only


@pytest.mark.skipif(not has_short(), reason="the short network is not bundled")
def test_a_routed_zero_shot_model_is_backtested_by_the_network_that_forecasts_each_series():
    from tsheads import ZeroShotForecaster
    from tsheads.pretrained import SHORT_HISTORY

    rng = np.random.default_rng(3)
    t = np.arange(SHORT_HISTORY + 7)  # longer than routed, but its backtest cuts (129, 123, 117) are not
    y = 10 + np.sin(2 * np.pi * t / 12) + 0.3 * rng.standard_normal(len(t))
    df = pd.concat([pd.DataFrame({"unique_id": "long", "ds": t, "y": y}),
                    pd.DataFrame({"unique_id": "short", "ds": t[:60], "y": y[:60]})], ignore_index=True)
    routed = ConformalForecaster(ZeroShotForecaster(), n_windows=3).fit(df).predict(6, level=[80]).set_index(
        "unique_id")
    v1 = ConformalForecaster(ZeroShotForecaster(short_history=None), n_windows=3).fit(df).predict(
        6, level=[80]).set_index("unique_id")
    # the long series' cut histories are short enough to route, but its final forecast is v1's: so are its bands
    np.testing.assert_allclose(routed.loc["long", "TSHeads-lo-80"], v1.loc["long", "TSHeads-lo-80"], rtol=1e-9)
    assert not np.allclose(routed.loc["short", "TSHeads"], v1.loc["short", "TSHeads"])
