"""ZeroShotForecaster with the bundled weights: forecasts, fine-tuning, persistence, imputation, embeddings."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from tsheads import ZeroShotForecaster
from tsheads.errors import NonFiniteError, SeriesTooShortError, TsheadsError


def seasonal_frame(n_series=3, length=400, period=24, seed=0, noise=0.1):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_series):
        t = np.arange(length)
        y = 10 + 3 * np.sin(2 * np.pi * t / period + i) + 0.01 * t + noise * rng.normal(size=length)
        rows.append(pd.DataFrame({"unique_id": f"s{i}", "ds": pd.date_range("2024-01-01", periods=length, freq="h"),
                                  "y": y}))
    return pd.concat(rows, ignore_index=True)


@pytest.fixture(scope="module")
def model():
    return ZeroShotForecaster()


def test_zero_shot_predict_needs_no_fit(model):
    df = seasonal_frame()
    fc = model.predict(h=24, df=df, level=[80, 95], quantiles=[0.1, 0.5, 0.9])
    assert list(fc.columns[:3]) == ["unique_id", "ds", "TSHeads"]
    assert {"TSHeads-lo-80", "TSHeads-hi-95", "TSHeads-q-0.1"} <= set(fc.columns)
    assert len(fc) == 3 * 24 and set(fc.unique_id) == {"s0", "s1", "s2"}
    assert fc.ds.iloc[0] == df.ds.max() + pd.Timedelta(hours=1)
    assert np.isfinite(fc.iloc[:, 2:].to_numpy()).all()
    ordered = fc[["TSHeads-lo-95", "TSHeads-lo-80", "TSHeads-q-0.5", "TSHeads-hi-80", "TSHeads-hi-95"]].to_numpy()
    assert (np.diff(ordered, axis=1) >= -1e-9).all()
    assert fc["TSHeads-q-0.1"].equals(fc["TSHeads-lo-80"])


def test_all_spellings_agree(model):
    df = seasonal_frame()
    a = model.predict(h=12, df=df)
    b = model.predict(df, 12)
    c = ZeroShotForecaster().fit(df).predict(12)
    d = ZeroShotForecaster().forecast(df, h=12)
    for other in (b, c, d):
        pd.testing.assert_frame_equal(a, other)


def test_zero_shot_beats_naive_on_a_clean_seasonal_series(model):
    df = seasonal_frame(n_series=4, length=424, noise=0.2)
    train = df.groupby("unique_id").head(400)
    test = df.groupby("unique_id").tail(24)
    fc = model.predict(h=24, df=train)
    mae = np.abs(fc.TSHeads.to_numpy() - test.y.to_numpy()).mean()
    naive = np.abs(np.repeat(train.groupby("unique_id").y.last().to_numpy(), 24) - test.y.to_numpy()).mean()
    assert mae < 0.5 * naive


def test_long_horizon_and_short_series(model):
    df = seasonal_frame(n_series=1, length=100)
    assert len(model.predict(h=200, df=df)) == 200
    short = pd.DataFrame({"unique_id": ["a", "a", "b", "b", "b", "b", "b"],
                          "ds": [1, 2, 1, 2, 3, 4, 5], "y": [1.0, 2.0, 5, 5, 6, 5, 5]})
    fc = model.predict(h=3, df=short)
    assert len(fc) == 6 and np.isfinite(fc.TSHeads).all()
    with pytest.raises(SeriesTooShortError):
        model.predict(h=3, df=short.iloc[[0, 2, 3]])


def test_bad_input_gets_project_errors(model):
    df = seasonal_frame(n_series=1, length=50)
    df.loc[5, "y"] = np.nan
    with pytest.raises(NonFiniteError):
        model.predict(h=3, df=df)
    good = seasonal_frame(n_series=1, length=50)
    with pytest.raises(TsheadsError, match="trained"):
        model.predict(h=3, df=good, quantiles=[0.001])
    with pytest.raises(TsheadsError, match="98"):
        model.predict(h=3, df=good, level=[99])
    with pytest.raises(TsheadsError, match="context_length"):
        ZeroShotForecaster(context_length=1000).predict(h=3, df=good)
    with pytest.raises(TsheadsError, match="point"):
        ZeroShotForecaster(point="mode").predict(h=3, df=good)
    with pytest.raises(NotFittedError):
        ZeroShotForecaster().predict(3)


def test_shorter_context_and_point_choice(model):
    df = seasonal_frame(n_series=2)
    short = ZeroShotForecaster(context_length=64).predict(h=5, df=df)
    assert not np.allclose(short.TSHeads, model.predict(h=5, df=df).TSHeads)
    med = model.predict(h=5, df=df, quantiles=[0.5])
    assert np.allclose(med.TSHeads, med["TSHeads-q-0.5"])  # the default point is the median
    mean = ZeroShotForecaster(point="mean").predict(h=5, df=df)
    assert not np.allclose(mean.TSHeads, med.TSHeads) and np.isfinite(mean.TSHeads).all()


def test_sklearn_contract():
    est = ZeroShotForecaster(fine_tune="head", random_state=1, alias="zs")
    params = est.get_params()
    assert params["fine_tune"] == "head" and params["alias"] == "zs"
    twin = clone(est)
    assert twin.get_params() == params and not hasattr(twin, "model_")
    assert est.set_params(batch_size=8).batch_size == 8


def test_fine_tuning_is_repeatable_and_changes_the_right_weights():
    df = seasonal_frame(n_series=2, length=300)
    base = ZeroShotForecaster().fit(df)
    kw = dict(fine_tune_steps=5, fine_tune_batch_size=16, learning_rate=1e-3)
    a = ZeroShotForecaster(fine_tune="head", random_state=0, **kw).fit(df)
    b = ZeroShotForecaster(fine_tune="head", random_state=0, **kw).fit(df)
    pd.testing.assert_frame_equal(a.predict(24), b.predict(24))
    assert len(a.fit_history_) == 5 and np.isfinite(a.fit_history_).all()
    enc = dict(base.model_.encoder.named_parameters())
    for name, p in a.model_.encoder.named_parameters():
        assert p.equal(enc[name])  # head mode leaves the encoder alone
    assert not a.predict(24).TSHeads.equals(base.predict(24).TSHeads)
    c = ZeroShotForecaster(fine_tune="all", random_state=0, **kw).fit(df)
    assert any(not p.equal(enc[n]) for n, p in c.model_.encoder.named_parameters())


def test_save_load_round_trip_gives_identical_forecasts(tmp_path):
    df = seasonal_frame(n_series=2, length=300)
    est = ZeroShotForecaster(fine_tune="head", fine_tune_steps=3, random_state=0, alias="mine").fit(df)
    est.save(tmp_path / "mine")
    loaded = ZeroShotForecaster.load(tmp_path / "mine")
    assert loaded.alias == "mine" and loaded.fine_tune == "head"
    pd.testing.assert_frame_equal(est.predict(30, level=[90]), loaded.predict(30, level=[90], df=df))


def test_impute_fills_nan_and_missing_rows(model):
    df = seasonal_frame(n_series=2, length=600, noise=0.05)
    df["extra"] = 1
    truth = df.copy()
    holes = np.r_[100:112, 300:301, 450:470]
    df.loc[holes, "y"] = np.nan
    df = df.drop(index=np.arange(900, 910))  # missing time stamps in the second series
    out = model.impute(df)
    assert len(out) == len(truth) and not out.y.isna().any()
    assert out.is_imputed.sum() == len(holes) + 10
    kept = ~out.is_imputed.to_numpy()
    assert np.array_equal(out.y.to_numpy()[kept], truth.y.to_numpy()[kept])
    assert out.extra.isna().sum() == 10  # other columns carried, NaN only on inserted rows
    err = (out.y - truth.y)[out.is_imputed].pow(2).mean()
    assert err < 0.1 * truth.y.var()


def test_transform_embeddings(model):
    df = seasonal_frame(n_series=3)
    sem = model.transform(df)
    assert sem.shape == (3, 256) and list(sem.index) == ["s0", "s1", "s2"]
    det = model.transform(df, kind="detailed")
    assert det.shape == (3 * 32, 64)
    pd.testing.assert_frame_equal(sem, model.transform(df))
    with pytest.raises(TsheadsError):
        model.transform(df, kind="other")


@pytest.mark.parametrize("scale", [1e-9, 1e-4, 1e6, 1e20])
def test_forecasts_follow_any_magnitude(model, scale):
    """Standardisation in float64 before the network: tiny and huge series forecast like unit ones."""
    df = seasonal_frame(n_series=2, length=200)
    base = model.predict(h=12, df=df, level=[80])
    scaled = df.assign(y=df.y * scale)
    fc = model.predict(h=12, df=scaled, level=[80])
    for col in ("TSHeads", "TSHeads-lo-80", "TSHeads-hi-80"):
        np.testing.assert_allclose(fc[col] / scale, base[col], rtol=1e-4)


def test_constant_series_is_forecast_as_that_constant(model):
    df = pd.DataFrame({"unique_id": "c", "ds": np.arange(50), "y": 7.25})
    fc = model.predict(h=5, df=df, level=[90])
    assert np.allclose(fc.iloc[:, 2:].to_numpy(), 7.25)


@pytest.mark.parametrize("params, message", [
    (dict(fine_tune="some"), "fine_tune"), (dict(batch_size=0), "batch_size"),
    (dict(fine_tune_steps=-1), "fine_tune_steps"), (dict(learning_rate="a"), "learning_rate"),
    (dict(random_state="x"), "random_state"), (dict(device="bogus"), "device"),
    (dict(fine_tune_horizon=0), "fine_tune_horizon"),
])
def test_bad_settings_raise_project_errors(params, message):
    df = seasonal_frame(n_series=1, length=120)
    with pytest.raises(TsheadsError, match=message):
        ZeroShotForecaster(**{"fine_tune": "head", "fine_tune_steps": 1, **params}).fit(df)


def test_fine_tuning_with_a_short_context_and_dotted_paths(tmp_path):
    df = seasonal_frame(n_series=1, length=200)
    est = ZeroShotForecaster(context_length=64, fine_tune="head", fine_tune_steps=2, random_state=0).fit(df)
    est.save(tmp_path / "enc-1.5")
    assert (tmp_path / "enc-1.5.safetensors").exists() and (tmp_path / "enc-1.5.json").exists()
    again = ZeroShotForecaster.load(tmp_path / "enc-1.5.safetensors")
    pd.testing.assert_frame_equal(est.predict(10), again.predict(10, df=df))


def test_impute_refuses_unanchored_gaps_and_clashing_flag(model):
    df = seasonal_frame(n_series=1, length=1600)
    df.loc[500:1100, "y"] = np.nan
    with pytest.raises(TsheadsError, match="s0.*all missing"):
        model.impute(df)
    with pytest.raises(TsheadsError, match="overwrite"):
        model.impute(seasonal_frame(n_series=1), indicator="y")
    with pytest.raises(TsheadsError, match="head"):
        model.impute(seasonal_frame(n_series=1), head="foo")


def test_bfloat16_inference_is_close_to_float32(model):
    df = seasonal_frame(n_series=2)
    fast = ZeroShotForecaster(precision="bfloat16").predict(h=24, df=df, level=[80])
    exact = model.predict(h=24, df=df, level=[80])
    spread = exact.TSHeads.std()
    assert np.abs(fast.TSHeads - exact.TSHeads).max() < 0.05 * spread
    with pytest.raises(TsheadsError, match="precision"):
        ZeroShotForecaster(precision="fp8").predict(h=3, df=df)


def test_stateless_forecast_equals_the_estimator():
    import tsheads

    frame = pd.DataFrame({"unique_id": np.repeat(["a", "b"], 120), "ds": np.tile(np.arange(120), 2),
                          "y": np.r_[np.sin(np.arange(120) / 5), np.cos(np.arange(120) / 7) + 3]})
    got = tsheads.forecast(frame, 10, method="network", level=[80], quantiles=[0.25], context_length=96)
    expected = ZeroShotForecaster(context_length=96).predict(10, level=[80], quantiles=[0.25], df=frame)
    pd.testing.assert_frame_equal(got, expected)
    assert list(got.columns) == ["unique_id", "ds", "TSHeads", "TSHeads-lo-80", "TSHeads-hi-80", "TSHeads-q-0.25"]


def test_chunked_predict_equals_one_pass(monkeypatch):
    import tsheads.estimators.zero_shot as zero_shot

    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"unique_id": np.repeat([f"s{i}" for i in range(9)], 80), "ds": np.tile(np.arange(80), 9),
                          "y": rng.normal(size=720).cumsum()})
    one_pass = ZeroShotForecaster().predict(12, level=[80], quantiles=[0.3], df=frame)
    monkeypatch.setattr(zero_shot, "CHUNK_BATCHES", 1)
    chunked = ZeroShotForecaster(batch_size=2).predict(12, level=[80], quantiles=[0.3], df=frame)  # 5 chunks
    pd.testing.assert_frame_equal(chunked, one_pass, check_exact=True)


def test_api_refuses_a_frame_whose_id_column_has_another_name(model):
    import tsheads
    from tsheads.errors import DataTypeError, MissingColumnError

    df = seasonal_frame(n_series=2, length=60).rename(columns={"unique_id": "id"})
    for call in (lambda: tsheads.forecast(df, 3), lambda: model.predict(h=3, df=df),
                 lambda: tsheads.detect(df), lambda: tsheads.forecast(df.rename(columns={"id": "unique_id"}), 3,
                                                                      id_col="uid")):
        with pytest.raises(MissingColumnError, match="pass id_col="):
            call()
    with pytest.raises(TsheadsError, match="must be distinct"):
        tsheads.forecast(df, 3, id_col="id", target_col="id")
    fc = tsheads.forecast(df, 3, id_col="id")
    assert fc.groupby("id").size().to_dict() == {"s0": 3, "s1": 3}
    spark_like = type("DataFrame", (), {"__module__": "pyspark.sql.dataframe"})()
    with pytest.raises(DataTypeError, match=r"pyspark\.sql\.dataframe\.DataFrame.*tsheads\.distributed"):
        tsheads.forecast(spark_like, 3)


def test_zero_shot_paths_leave_torch_random_state_alone():
    import torch

    import tsheads

    df = seasonal_frame(n_series=2, length=80)
    gappy = df.drop(index=[5, 6]).reset_index(drop=True)
    torch.manual_seed(123)
    before = torch.get_rng_state()
    tsheads.forecast(df, 4)  # each call on a fresh estimator: loading the network included
    ZeroShotForecaster().predict(h=4, df=df)
    ZeroShotForecaster().impute(gappy)
    ZeroShotForecaster().transform(df)
    ZeroShotForecaster().fit(df).predict(4)
    assert torch.equal(torch.get_rng_state(), before)


@pytest.fixture
def bundled_short(monkeypatch, tiny_model):
    """A stand-in for the bundled short-context companion (a tiny random network, horizon 12)."""
    from tsheads.estimators import zero_shot

    companion = tiny_model(seed=5, context_length=32)
    monkeypatch.setattr(zero_shot, "has_short", lambda: True)
    monkeypatch.setattr(zero_shot, "load_pretrained", lambda name, device="cpu": companion)
    return companion


def test_short_history_routes_short_series_and_survives_save_and_load(bundled_short, tmp_path):
    from tsheads.pretrained import SHORT_HISTORY

    df = pd.concat([seasonal_frame(n_series=1, length=40), seasonal_frame(n_series=1, length=300, seed=1)
                    .assign(unique_id="long")], ignore_index=True)
    routed = ZeroShotForecaster().predict(h=6, df=df)
    off = ZeroShotForecaster(short_history=None).predict(h=6, df=df)
    assert ZeroShotForecaster()._short_history() == SHORT_HISTORY
    short_rows, long_rows = routed.unique_id == "s0", routed.unique_id == "long"
    assert not np.allclose(routed.loc[short_rows, "TSHeads"], off.loc[short_rows, "TSHeads"])
    np.testing.assert_allclose(routed.loc[long_rows, "TSHeads"], off.loc[long_rows, "TSHeads"])
    # past the companion's horizon nothing is routed
    pd.testing.assert_frame_equal(ZeroShotForecaster().predict(h=20, df=df),
                                  ZeroShotForecaster(short_history=None).predict(h=20, df=df))
    est = ZeroShotForecaster().fit(df)
    est.save(tmp_path / "zs")
    loaded = ZeroShotForecaster.load(tmp_path / "zs")
    assert loaded.short_history == SHORT_HISTORY  # "auto" was resolved, though the weights are now a file
    pd.testing.assert_frame_equal(est.predict(6), loaded.predict(6, df=df))


def test_short_history_is_off_for_other_weights_and_refused_where_it_cannot_apply(bundled_short, monkeypatch):
    from tsheads.estimators import zero_shot

    assert ZeroShotForecaster(weights="some/file")._short_history() is None
    assert ZeroShotForecaster(fine_tune="head")._short_history() is None
    assert ZeroShotForecaster(short_history=None)._short_history() is None
    with pytest.raises(TsheadsError, match="fine-tuning"):
        ZeroShotForecaster(short_history=64, fine_tune="head")._check_params()
    with pytest.raises(TsheadsError, match="short_history"):
        ZeroShotForecaster(short_history=0)._check_params()
    monkeypatch.setattr(zero_shot, "has_short", lambda: False)
    assert ZeroShotForecaster()._short_history() is None
    with pytest.raises(TsheadsError, match="does not have"):
        ZeroShotForecaster(short_history=64)._check_params()


def test_validated_forecaster_backtests_a_short_series_with_the_network_that_forecasts_it(bundled_short):
    from tsheads import ValidatedForecaster

    df = seasonal_frame(n_series=1, length=60)
    for short_history in ("auto", None):
        est = ValidatedForecaster(candidates=["network"], short_history=short_history, n_jobs=None)
        fc = est.forecast(df, 6)
        network = ZeroShotForecaster(short_history=short_history).predict(h=6, df=df)
        np.testing.assert_allclose(fc["TSHeads"], network["TSHeads"], rtol=1e-6)
        assert np.isfinite(est.backtest_errors_.to_numpy()).all()
    assert not np.allclose(ValidatedForecaster(candidates=["network"], n_jobs=None).forecast(df, 6)["TSHeads"],
                           ValidatedForecaster(candidates=["network"], short_history=None, n_jobs=None)
                           .forecast(df, 6)["TSHeads"])
