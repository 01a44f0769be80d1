"""Baseline forecasters: exact values, intervals, the estimator contract, and M4's published numbers."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from tsheads.errors import SeriesTooShortError, TsheadsError
from tsheads.estimators.baselines import (
    Naive,
    Naive2,
    SeasonalNaive,
    is_seasonal,
    seasonal_indices,
)


def frame(values, uid="a", freq="h"):
    return pd.DataFrame({"unique_id": uid, "ds": pd.date_range("2024-01-01", periods=len(values), freq=freq),
                         "y": np.asarray(values, dtype=float)})


def test_seasonal_naive_repeats_last_season():
    out = SeasonalNaive(season_length=3).fit(frame([1, 2, 3, 4, 5, 6, 7])).predict(5)
    assert out["SeasonalNaive"].tolist() == [5, 6, 7, 5, 6]
    assert out["ds"].iloc[0] == pd.Timestamp("2024-01-01 07:00")


def test_naive_and_alias():
    out = Naive(alias="RW").forecast(frame([3, 1, 4]), h=2)
    assert list(out.columns) == ["unique_id", "ds", "RW"] and out["RW"].tolist() == [4, 4]


def test_intervals_widen_per_season_and_quantiles_ordered():
    rng = np.random.default_rng(0)
    y = np.tile([0.0, 5.0, 2.0, 8.0], 30) + rng.normal(0, 1, 120)
    out = SeasonalNaive(4).fit(frame(y)).predict(8, level=[80, 95], quantiles=[0.1, 0.5, 0.9])
    width80 = out["SeasonalNaive-hi-80"] - out["SeasonalNaive-lo-80"]
    width95 = out["SeasonalNaive-hi-95"] - out["SeasonalNaive-lo-95"]
    assert np.all(width95 > width80)
    np.testing.assert_allclose(width80.iloc[4:].to_numpy() / width80.iloc[:4].to_numpy(), np.sqrt(2))
    np.testing.assert_allclose(out["SeasonalNaive-q-0.5"], out["SeasonalNaive"])
    assert np.all(out["SeasonalNaive-q-0.1"] < out["SeasonalNaive-q-0.9"])
    # residual std: sigma of y[t] - y[t-4]
    resid = y[4:] - y[:-4]
    z80 = 1.2815515655446004
    assert width80.iloc[0] == pytest.approx(2 * z80 * np.sqrt(np.mean(resid**2)))


def test_contract_unfitted_clone_params():
    model = SeasonalNaive(season_length=24, alias="sn")
    with pytest.raises(NotFittedError):
        model.predict(3)
    assert clone(model).get_params() == {"season_length": 24, "alias": "sn"}
    model.set_params(season_length=2)
    assert model.season_length == 2
    assert model.fit(frame(np.arange(10))) is model


def test_bad_params_and_horizon():
    with pytest.raises(TsheadsError, match="season_length must be a positive integer"):
        SeasonalNaive(0).fit(frame([1, 2, 3]))
    fitted = Naive().fit(frame([1, 2, 3]))
    for h in (0, -1, 2.5, True):
        with pytest.raises(TsheadsError, match="horizon h must be a positive integer"):
            fitted.predict(h)
    with pytest.raises(TsheadsError, match="levels must be percentages"):
        fitted.predict(2, level=[150])
    with pytest.raises(TsheadsError, match="quantiles must lie in"):
        fitted.predict(2, quantiles=[10])


def test_short_series_rejected_not_dropped():
    df = pd.concat([frame(np.arange(30.0)), frame([1.0, 2.0], uid="short")])
    with pytest.raises(SeriesTooShortError, match="'short'"):
        SeasonalNaive(24).fit(df)


def test_constant_series_forecast_is_constant_with_zero_width():
    out = SeasonalNaive(2).fit(frame([4.0] * 10)).predict(3, level=[90])
    assert out["SeasonalNaive"].tolist() == [4.0] * 3
    assert (out["SeasonalNaive-hi-90"] == out["SeasonalNaive-lo-90"]).all()


def test_naive2_deseasonalises_multiplicative_pattern():
    pattern = np.array([0.5, 1.0, 1.5, 1.0])
    y = np.tile(pattern, 12) * 100
    assert is_seasonal(y, 4)
    np.testing.assert_allclose(seasonal_indices(y, 4), pattern, rtol=1e-12)
    out = Naive2(4).fit(frame(y)).predict(6)
    np.testing.assert_allclose(out["Naive2"], [50, 100, 150, 100, 50, 100])


def test_naive2_non_seasonal_is_naive():
    rng = np.random.default_rng(1)
    y = 100 + np.cumsum(rng.normal(size=60))
    assert not is_seasonal(y, 1)
    assert Naive2(12).fit(frame(y)).predict(3)["Naive2"].tolist() == pytest.approx([y[-1]] * 3)
    with pytest.raises(TsheadsError, match="point forecasts only"):
        Naive2(12).fit(frame(y)).predict(3, level=[80])


@pytest.mark.shared_data
def test_m4_hourly_published_benchmarks(data_dir):
    """Naive, sNaive and Naive2 on M4 hourly reproduce the M4 competition's published sMAPE and MASE."""
    train = pd.read_csv(data_dir / "m4" / "Hourly-train.csv", index_col=0)
    test = pd.read_csv(data_dir / "m4" / "Hourly-test.csv", index_col=0).to_numpy()
    long = train.stack().rename("y").reset_index()
    long.columns = ["unique_id", "col", "y"]
    long["ds"] = long.groupby("unique_id").cumcount() + 1
    long = long[["unique_id", "ds", "y"]]
    history = {uid: g["y"].to_numpy() for uid, g in long.groupby("unique_id", sort=False)}
    scale = np.array([np.mean(np.abs(history[u][24:] - history[u][:-24])) for u in train.index])
    published = {"Naive": (43.003, 11.608), "SeasonalNaive": (13.912, 1.193), "Naive2": (18.383, 2.395)}
    for model in (Naive(), SeasonalNaive(24), Naive2(24)):
        out = model.fit(long).predict(48).set_index("unique_id").loc[train.index]
        pred = out[model.model_name].to_numpy().reshape(-1, 48)
        smape = np.mean(200 * np.abs(test - pred) / (np.abs(test) + np.abs(pred)))
        mase = np.mean(np.mean(np.abs(test - pred), axis=1) / scale)
        assert (round(smape, 3), round(mase, 3)) == published[model.model_name]


def test_naive2_bad_season_length_is_a_project_error():
    for bad in (0, "a", 2.5):
        with pytest.raises(TsheadsError, match="season_length must be a positive integer"):
            Naive2(bad).fit(frame([1.0, 2, 3]))


def test_scalar_level_and_bad_level_types():
    fitted = Naive().fit(frame([1.0, 2, 4]))
    assert {"Naive-lo-80", "Naive-hi-80"} <= set(fitted.predict(2, level=80).columns)
    with pytest.raises(TsheadsError, match="interval levels must be percentages"):
        fitted.predict(2, level=["80"])


def test_set_params_after_fit_does_not_break_predict():
    model = SeasonalNaive(2).fit(frame([1.0, 2, 3, 4]))
    model.set_params(season_length=5)  # takes effect at the next fit, as in scikit-learn
    assert model.predict(3)["SeasonalNaive"].tolist() == [3, 4, 3]
    assert model.fit(frame(np.arange(10.0))).predict(1)["SeasonalNaive"].tolist() == [5]


def test_multi_target_refused_by_univariate_model():
    df = frame([1.0, 2, 3]).assign(z=[3.0, 2, 1])
    with pytest.raises(TsheadsError, match="forecasts one target column"):
        Naive().fit(df, target_col=("y", "z"))


def test_intervals_need_residuals():
    model = SeasonalNaive(4).fit(frame([1.0, 2, 3, 4]))
    assert model.predict(2)["SeasonalNaive"].tolist() == [1, 2]
    with pytest.raises(SeriesTooShortError, match="no residual to size intervals"):
        model.predict(2, level=[90])


def test_extreme_magnitudes_give_finite_ordered_intervals():
    rng = np.random.default_rng(3)
    for scale in (1e300, 1e-300):
        y = scale * (1 + rng.random(50))
        out = Naive().fit(frame(y)).predict(3, level=[95])
        lo, hi = out["Naive-lo-95"].to_numpy(), out["Naive-hi-95"].to_numpy()
        assert np.isfinite(lo).all() and np.isfinite(hi).all() and (hi > lo).all()


def test_tiny_quantile_column_name_round_trips():
    from tsheads.forecast_columns import parse_column

    out = Naive().fit(frame(np.arange(20.0))).predict(2, quantiles=[1e-5, 0.5])
    assert "Naive-q-0.00001" in out.columns
    assert parse_column("Naive-q-0.00001") == ("Naive", "q", 1e-5)


def test_values_near_the_float_limit_forecast_and_refuse_only_overflowing_intervals():
    from tsheads.errors import ValueRangeError

    y = 1.5e308 * np.where(np.arange(100) % 2, 1.0, -1.0)  # alternating: seasonal differences of 3e308
    assert SeasonalNaive(1).fit(frame(y)).predict(3)["SeasonalNaive"].tolist() == [1.5e308] * 3  # copied values
    out = SeasonalNaive(2).fit(frame(y)).predict(3, level=[80])  # no seasonal change: zero width, finite
    assert np.isfinite(out.drop(columns=["unique_id", "ds"]).to_numpy()).all()
    with pytest.raises(ValueRangeError, match="beyond the float64 range.*point forecasts only"):
        SeasonalNaive(1).fit(frame(y)).predict(3, level=[80])
    rng = np.random.default_rng(0)
    noise = rng.normal(size=100)
    for scale in (1e300, 1e-300):  # the residual spread scales exactly with the series
        unit = SeasonalNaive(1).fit(frame(noise)).sigma_
        np.testing.assert_allclose(SeasonalNaive(1).fit(frame(noise * scale)).sigma_ / scale, unit, rtol=1e-12)
