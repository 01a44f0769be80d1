"""WTAForecaster: hypotheses that cover several futures, calibrated mixtures, the estimator contract."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from tsheads.errors import SeriesTooShortError, TsheadsError, WeightsError
from tsheads.estimators.wta import WTAForecaster, _anchor_check
from tsheads.inference import interpolate_quantiles
from tsheads.nn.losses import hypothesis_errors, score_loss, score_probabilities, wta_loss
from tsheads.nn.wta import WTAModel
from tsheads.pretrained import load_pretrained

PERIOD, RAMP = 32, 8  # 24 quiet points, then a ramp that goes up (p = 0.75) or down


def bimodal_frame(n_series=24, n_periods=24, p_up=0.75, seed=0) -> pd.DataFrame:
    """Series whose every period ends in a ramp to +2 or -2: from a quiet context both futures are possible."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n_series):
        parts = []
        for _ in range(n_periods):
            parts.append(rng.normal(0, 0.1, PERIOD - RAMP))
            sign = 1.0 if rng.random() < p_up else -1.0
            parts.append(sign * np.linspace(0.25, 2.0, RAMP) + rng.normal(0, 0.05, RAMP))
        y = np.concatenate(parts)
        frames.append(pd.DataFrame({"unique_id": f"s{i}", "ds": np.arange(len(y)), "y": y}))
    return pd.concat(frames, ignore_index=True)


def quiet_history(df: pd.DataFrame, periods: int = 12) -> pd.DataFrame:
    """Each series cut right before a ramp starts."""
    return df[df["ds"] < periods * PERIOD + PERIOD - RAMP]


SMALL = dict(h=RAMP, context_length=PERIOD, backbone="random", max_epochs=16, steps_per_epoch=40,
             validation_size=3 * PERIOD, random_state=0, season_length=None)


@pytest.fixture(scope="module")
def data():
    return bimodal_frame()


@pytest.fixture(scope="module")
def wta(data):
    return WTAForecaster(n_hypotheses=4, **SMALL).fit(data)


def test_hypotheses_cover_both_modes_where_a_single_mse_head_cannot(data, wta):
    hist = quiet_history(data)
    hyp = wta.predict_hypotheses(df=hist)
    end = hyp[hyp["ds"] == hyp["ds"].max()]
    # most series: one hypothesis ends in the up mode (+2) and another in the down mode (-2), far from the
    # mean path (+1 here); contexts holding a previous *down* ramp are rarer, so a few are learned less well
    by_series = end.groupby("unique_id")["WTA"]
    assert ((by_series.max() > 1.5) & (by_series.min() < -1.0)).mean() >= 0.75
    single = WTAForecaster(n_hypotheses=1, **SMALL).fit(data)
    one = single.predict_hypotheses(df=hist)
    last = one[one["ds"] == one["ds"].max()]["WTA"]
    assert ((last > 1.5) | (last < -1.0)).sum() == 0  # one MSE-trained path sits between the modes
    assert abs(last.mean() - 1.0) < 0.5


def test_score_heads_sum_to_one_and_prefer_the_likelier_mode(data, wta):
    hyp = wta.predict_hypotheses(df=quiet_history(data))
    per_path = hyp.groupby(["unique_id", "hypothesis"]).agg(weight=("weight", "first"), end=("WTA", "last"))
    np.testing.assert_allclose(per_path.groupby("unique_id")["weight"].sum(), 1.0, atol=1e-6)
    up = per_path[per_path["end"] > 0].groupby("unique_id")["weight"].sum()
    assert up.mean() > 0.6  # the up mode has probability 0.75
    assert (up > 0.5).all()


def test_mixture_forecast_columns_are_ordered_and_finite(data, wta):
    fc = wta.predict(level=[80, 95], quantiles=[0.1, 0.5, 0.9])
    assert set(fc.columns) == {"unique_id", "ds", "WTA", "WTA-lo-95", "WTA-lo-80", "WTA-hi-80", "WTA-hi-95",
                               "WTA-q-0.1", "WTA-q-0.5", "WTA-q-0.9"}
    assert np.isfinite(fc.drop(columns=["unique_id", "ds"]).to_numpy()).all()
    assert (fc["WTA-lo-95"] <= fc["WTA-lo-80"]).all() and (fc["WTA-lo-80"] <= fc["WTA-hi-80"]).all()
    assert (fc["WTA-hi-80"] <= fc["WTA-hi-95"]).all()
    np.testing.assert_allclose(fc["WTA"], fc["WTA-q-0.5"], atol=1e-6)  # default point is the median
    assert len(fc) == data["unique_id"].nunique() * RAMP
    shorter = wta.predict(h=3)
    assert len(shorter) == data["unique_id"].nunique() * 3
    with pytest.raises(TsheadsError, match="horizon"):
        wta.predict(h=RAMP + 1)


def test_validation_coverage_and_collapse_report(wta):
    assert wta.n_heads_used_ == int((wta.heads_won_ > 0).sum()) >= 2
    assert wta.bandwidth_.shape == (RAMP,) and np.all(wta.bandwidth_ > 0)
    for level, cov in wta.validation_coverage_.items():
        assert abs(cov - int(level) / 100) < 0.1


def test_samples_follow_the_weighted_hypotheses(data, wta):
    s = wta.sample(400, df=quiet_history(data), random_state=1)
    assert set(s.columns) == {"unique_id", "ds", "sample", "WTA"}
    end = s[s["ds"] == s["ds"].max()]
    share_up = (end["WTA"] > 0).mean()
    hyp = wta.predict_hypotheses(df=quiet_history(data))
    per_path = hyp.groupby(["unique_id", "hypothesis"]).agg(weight=("weight", "first"), end=("WTA", "last"))
    expected = per_path[per_path["end"] > 0]["weight"].sum() / per_path["weight"].sum()
    assert abs(share_up - expected) < 0.05


@pytest.mark.parametrize("mode", ["hard", "relaxed", "annealed"])
def test_every_wta_variant_trains(data, mode):
    est = WTAForecaster(n_hypotheses=3, wta=mode, **{**SMALL, "max_epochs": 3, "steps_per_epoch": 10})
    est.fit(data[data["unique_id"].isin(["s0", "s1", "s2"])])
    assert len(est.history_) == 3 and np.isfinite([r["train_loss"] for r in est.history_]).all()
    temps = [r["temperature"] for r in est.history_]
    assert temps[0] == pytest.approx(1.0) and temps[-1] == pytest.approx(0.01)
    assert np.isfinite(est.predict(level=[90]).drop(columns=["unique_id", "ds"]).to_numpy()).all()


def test_same_seed_same_model_and_sklearn_contract(data):
    small = data[data["unique_id"].isin(["s0", "s1"])]
    params = {**SMALL, "max_epochs": 2, "steps_per_epoch": 5}
    a = WTAForecaster(n_hypotheses=2, **params).fit(small).predict(level=[80])
    b = WTAForecaster(n_hypotheses=2, **params).fit(small).predict(level=[80])
    pd.testing.assert_frame_equal(a, b)
    est = WTAForecaster(n_hypotheses=2, **params)
    twin = clone(est)
    assert twin.get_params() == est.get_params() and not hasattr(twin, "model_")
    est.set_params(n_hypotheses=5)
    assert est.n_hypotheses == 5
    with pytest.raises(NotFittedError):
        twin.predict()
    with pytest.raises(NotFittedError):
        twin.predict_hypotheses()


def test_save_and_load_give_identical_forecasts(tmp_path, data, wta):
    hist = quiet_history(data)
    wta.save(tmp_path / "wta")
    back = WTAForecaster.load(tmp_path / "wta")
    pd.testing.assert_frame_equal(wta.predict(df=hist, level=[80]), back.predict(df=hist, level=[80]))
    pd.testing.assert_frame_equal(wta.predict_hypotheses(df=hist), back.predict_hypotheses(df=hist))
    with pytest.raises(NotFittedError, match="history"):
        back.predict()
    (tmp_path / "wta.safetensors").write_bytes(b"not a tensor file")
    with pytest.raises(WeightsError, match="checksum"):
        WTAForecaster.load(tmp_path / "wta")
    from tsheads.pretrained import pretrained_path

    with pytest.raises(WeightsError, match="not a WTAModel"):
        WTAForecaster.load(pretrained_path())


def test_short_series_nan_and_bad_settings(data):
    with pytest.raises(TsheadsError, match="NaN"):
        bad = data.copy()
        bad.loc[5, "y"] = np.nan
        WTAForecaster(**SMALL).fit(bad)
    tiny = data[data["ds"] < 40]
    with pytest.raises(SeriesTooShortError, match="validation"):
        WTAForecaster(**SMALL).fit(tiny)
    # a series shorter than the context still trains (padded) and every series is forecast
    mixed = pd.concat([data[data["unique_id"] == "s0"], data[(data["unique_id"] == "s1") & (data["ds"] < 20)]])
    fc = WTAForecaster(n_hypotheses=2, **{**SMALL, "max_epochs": 1, "steps_per_epoch": 3}).fit(mixed).predict()
    assert set(fc["unique_id"]) == {"s0", "s1"} and np.isfinite(fc["WTA"]).all()
    for bad_params in ({"wta": "soft"}, {"epsilon": 1.0}, {"temperature": (0.1, 1.0)}, {"n_hypotheses": 0},
                       {"validation_size": 0}, {"validation_size": 1.5}, {"point": "mode"}, {"h": 0},
                       {"score_weight": -1}, {"backbone_learning_rate": float("nan")}, {"joint": "yes"},
                       {"anchor_weight": 1.5}, {"anchor_weight": "half"}, {"anchor_weight": True}):
        with pytest.raises(TsheadsError):
            WTAForecaster(**{**SMALL, **bad_params}).fit(data)


def test_joint_hypotheses_are_trajectories_of_all_series():
    rng = np.random.default_rng(0)
    n = 24 * 20
    regime = np.repeat(rng.choice([-1.0, 1.0], n // 8), 8)
    base = np.cumsum(rng.normal(0, 0.1, n))
    df = pd.concat([pd.DataFrame({"unique_id": f"c{j}", "ds": pd.date_range("2020", periods=n, freq="D"),
                                  "y": base * (j + 1) + regime * (j + 1) + rng.normal(0, 0.05, n)})
                    for j in range(3)], ignore_index=True)
    est = WTAForecaster(n_hypotheses=3, joint=True, **{**SMALL, "h": 4, "max_epochs": 2, "steps_per_epoch": 5})
    est.fit(df)
    hyp = est.predict_hypotheses()
    w = hyp.groupby(["hypothesis", "unique_id"])["weight"].first().unstack()
    assert np.allclose(w.to_numpy(), w.to_numpy()[:, :1])  # one weight per joint hypothesis
    s = est.sample(50)
    assert len(s) == 3 * 50 * 4 and np.isfinite(s["WTA"]).all()
    corr = est.noise_correlation_  # the series share a regime and a random walk: their errors move together
    assert corr.shape == (3, 3) and np.allclose(np.diag(corr), 1) and np.linalg.eigvalsh(corr).min() > 0
    alone = WTAForecaster(**{**SMALL, "h": 4, "max_epochs": 1, "steps_per_epoch": 2}).fit(df)
    assert alone.noise_correlation_ is None
    with pytest.raises(TsheadsError, match="joint"):
        alone.sample(5, noise="correlated")
    with pytest.raises(TsheadsError, match="same time stamps"):
        est.fit(df.iloc[:-1])


# ----------------------------------------------------------------------------------------- the network
def test_losses_hard_relaxed_annealed():
    errors = torch.tensor([[1.0, 2.0, 4.0], [3.0, 0.5, 1.0]])
    assert wta_loss(errors, "hard") == pytest.approx(0.75)
    relaxed = (0.9 * 1.0 + 0.05 * 6.0 + 0.9 * 0.5 + 0.05 * 4.0) / 2
    assert wta_loss(errors, "relaxed", epsilon=0.1) == pytest.approx(relaxed)
    assert wta_loss(errors, "annealed", temperature=1e6) == pytest.approx(float(errors.mean()), rel=1e-4)
    assert wta_loss(errors, "annealed", temperature=1e-3) == pytest.approx(0.75, rel=1e-3)
    # the winner of a multivariate sample is the best joint path, not the best per channel
    hyp = torch.tensor([[[[0.0], [1.0]], [[0.0], [0.9]]]])  # (B=1, C=2, K=2, H=1); channel 1 alone prefers K=1
    target = torch.tensor([[[0.0], [0.9]]])
    err = hypothesis_errors(hyp, target, torch.ones_like(target, dtype=torch.bool))
    assert err.shape == (1, 2) and err.argmin() == 0
    np.testing.assert_allclose(err.numpy(), [[(0 + 0.81) / 2, (1 + 0) / 2]], rtol=1e-6)


def test_pretrained_start_spreads_hypotheses_over_the_forecast_quantiles():
    base = load_pretrained()
    model = WTAModel.from_pretrained(base, horizon=24, n_hypotheses=4).eval()
    x = torch.randn(3, 1, 512).cumsum(-1)
    observed = torch.ones_like(x, dtype=torch.bool)
    with torch.no_grad():
        out = model(x, observed)
        quants = base(x, observed).forecast[:, :, 1:, :24]  # scaled space, without the mean path
    wanted = [(k + 0.5) / 4 for k in range(4)]  # interpolated between the trained levels, so no two heads match
    expected = interpolate_quantiles(base.config.quantiles, quants.double().numpy(), wanted)
    np.testing.assert_allclose(out.hypotheses.numpy(), expected, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(torch.softmax(out.logits, -1), torch.full((3, 4), 0.25))
    ten = WTAModel.from_pretrained(base, horizon=8, n_hypotheses=10).heads.hypotheses.weight.view(10, 8, -1)
    assert all(not torch.equal(ten[i], ten[i + 1]) for i in range(9))


def test_constant_contexts_are_left_out_of_training_pairs():
    from tsheads.training import standardised_pairs
    from tsheads.windows import Windows

    past = np.stack([np.full((1, 16), 5.0), np.arange(16.0)[None]])
    future = np.array([[[1005.0] * 4], [[16.0, 17.0, 18.0, 19.0]]])
    w = Windows(past, np.ones_like(past, bool), future, np.ones_like(future, bool), np.arange(2))
    p, po, f, fo = standardised_pairs(w, 16)
    assert len(p) == 1 and np.all(np.abs(f) < 5)  # only the varying window, its future in context units
    with pytest.raises(TsheadsError, match="constant"):
        standardised_pairs(Windows(*(a[:1] for a in w)), 16)


def test_saved_noise_correlation_round_trips_and_a_broken_one_is_refused(tmp_path, data):
    est = WTAForecaster(n_hypotheses=2, joint=True, **{**SMALL, "max_epochs": 1, "steps_per_epoch": 2})
    frame = data[data["unique_id"].isin(["s0", "s1", "s2"])]
    est.fit(frame)
    path = est.save(tmp_path / "joint")
    back = WTAForecaster.load(path)
    np.testing.assert_allclose(back.noise_correlation_, est.noise_correlation_)
    pd.testing.assert_frame_equal(back.sample(5, df=frame, random_state=1, noise="correlated"),
                                  est.sample(5, df=frame, random_state=1, noise="correlated"))
    with pytest.raises(TsheadsError, match="noise"):
        est.sample(5, df=frame, noise="pink")
    assert back.noise_series_ == est.noise_series_ == ["s0", "s1", "s2"]
    for other in (["s0", "s1"], ["s0", "s1", "s3"]):  # fewer series, or as many but not the fitted ones
        with pytest.raises(TsheadsError, match="fitted"):
            est.sample(5, df=data[data["unique_id"].isin(other)], noise="correlated")
    meta_path = path.with_suffix(".json")
    meta = json.loads(meta_path.read_text())
    bad = json.loads(json.dumps(meta))
    for broken in ([[1.0, 2.0], [2.0, 1.0]], [[1.0, 0.5]], "high", [[1.0, "a"], [0.5]]):
        bad["meta"]["noise_correlation"] = broken
        meta_path.write_text(json.dumps(bad))
        with pytest.raises(WeightsError, match="noise_correlation"):
            WTAForecaster.load(path)
    bad["meta"]["noise_correlation"], bad["meta"]["noise_series"] = meta["meta"]["noise_correlation"], ["s0"]
    meta_path.write_text(json.dumps(bad))
    with pytest.raises(WeightsError, match="noise_series"):
        WTAForecaster.load(path)


def test_numpy_scalar_settings_save_and_bad_sample_seeds(tmp_path, data):
    est = WTAForecaster(n_hypotheses=np.int64(2), epsilon=np.float32(0.1),
                        **{**SMALL, "max_epochs": 1, "steps_per_epoch": 2, "random_state": np.int64(0)})
    est.fit(data[data["unique_id"] == "s0"])
    est.save(tmp_path / "np")
    assert WTAForecaster.load(tmp_path / "np").n_hypotheses == 2
    for bad in ("abc", -1, 1.5):
        with pytest.raises(TsheadsError, match="random_state"):
            est.sample(5, random_state=bad)


@pytest.mark.parametrize("scale", [1e300, 1e-300])
def test_extreme_magnitudes_train_and_forecast_like_unit_ones(scale):
    df = bimodal_frame(n_series=3, n_periods=10)
    params = {**SMALL, "max_epochs": 2, "steps_per_epoch": 5}
    unit = WTAForecaster(n_hypotheses=2, **params).fit(df).predict(level=[80])
    scaled = WTAForecaster(n_hypotheses=2, **params).fit(df.assign(y=df["y"] * scale)).predict(level=[80])
    columns = ["WTA", "WTA-lo-80", "WTA-hi-80"]
    expected = unit[columns].to_numpy()
    np.testing.assert_allclose(scaled[columns].to_numpy() / scale, expected, rtol=0,
                               atol=1e-4 * np.abs(expected).max())


def test_auto_anchor_finds_the_cycle_or_takes_the_last_value():
    from tsheads.estimators.wta import seasonal_anchor
    from tsheads.frames import Columns
    from tsheads.windows import Panel

    rng = np.random.default_rng(0)
    t = np.arange(600)
    daily = pd.concat([pd.DataFrame({"unique_id": f"s{i}", "ds": t, "y": np.sin(2 * np.pi * (t + 5 * i) / 24)
                                     + 0.2 * rng.standard_normal(600)}) for i in range(6)])
    walks = pd.concat([pd.DataFrame({"unique_id": f"w{i}", "ds": t, "y": rng.standard_normal(600).cumsum()})
                       for i in range(6)])
    assert seasonal_anchor(Panel.from_data(daily, Columns()), 48, 512) == 24
    assert seasonal_anchor(Panel.from_data(walks, Columns()), 48, 512) == 1


def test_a_model_worse_than_its_anchor_falls_back_to_it_and_says_so(tmp_path):
    """One training step cannot beat a seasonal naive on a pure repeating pattern: forecasts become the anchor."""
    t = np.arange(400)
    df = pd.concat([pd.DataFrame({"unique_id": f"s{i}", "ds": t, "y": np.sin(2 * np.pi * t / 16) * (1 + i) + 10 * i})
                    for i in range(4)])
    with pytest.warns(UserWarning, match="anchor"):
        wta = WTAForecaster(h=8, n_hypotheses=2, backbone="random", context_length=64, max_epochs=1,
                            steps_per_epoch=1, random_state=0, validated_weight=0).fit(df)
    assert wta.season_length_ == 16 and wta.fallback_
    assert wta.anchor_check_["anchor"] < wta.anchor_check_["model"]
    fc = wta.predict(level=[80])
    naive = np.concatenate([np.sin(2 * np.pi * np.arange(400, 408) / 16) * (1 + i) + 10 * i for i in range(4)])
    np.testing.assert_allclose(fc["WTA"].to_numpy(), naive, atol=1e-6 * 40)
    assert (fc["WTA-lo-80"] <= fc["WTA"]).all() and (fc["WTA"] <= fc["WTA-hi-80"]).all()
    wta.save(tmp_path / "fb")
    back = WTAForecaster.load(tmp_path / "fb")
    assert back.fallback_ and back.season_length_ == 16
    pd.testing.assert_frame_equal(back.predict(df=df, level=[80]), fc)


def test_anchor_check_picks_the_combination_with_the_lowest_held_out_error():
    """A network too high and an anchor as far too low: halfway between is exact; errors are in step units."""
    future = np.arange(8.0).reshape(2, 1, 4)
    observed = np.ones_like(future, dtype=bool)
    unit = np.array([1.0, 2.0]).reshape(2, 1, 1)
    weight, check = _anchor_check(future + 1, future - 1, future, observed, unit)
    assert weight == pytest.approx(0.5) and check["blend"] == pytest.approx(0.0)
    assert check["model"] == pytest.approx(0.75) and check["anchor"] == pytest.approx(0.75)  # (1 + 1/2) / 2
    assert _anchor_check(future, future + 3, future, observed, unit)[0] == 0.0  # the network exact: no move
    assert _anchor_check(future + 2, future, future, observed, unit)[0] == 1.0  # the anchor exact: all the way
    weight, check = _anchor_check(future + 1, future - 1, future, observed, unit, grid=(0.2,))
    assert weight == pytest.approx(0.2) and check["blend"] == pytest.approx(0.6 * 0.75)


def test_a_fixed_anchor_weight_moves_forecasts_that_share_of_the_way(data, tmp_path):
    """anchor_weight=0 keeps the network's point; 1 gives the anchor path; 0.5 lands halfway; all round-trip."""
    settings = dict(SMALL, max_epochs=2, steps_per_epoch=20, season_length=1, anchor="last", validated_weight=0)
    fits = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for w in (0.0, 0.5, 1.0):
            fits[w] = WTAForecaster(**settings, anchor_weight=w).fit(data)
    forecasts = {w: f.predict() for w, f in fits.items()}
    points = {w: fc["WTA"].to_numpy() for w, fc in forecasts.items()}
    assert fits[1.0].fallback_ and not fits[0.5].fallback_ and fits[0.5].anchor_weight_ == 0.5
    last = forecasts[1.0]["unique_id"].map(data.groupby("unique_id")["y"].last())
    np.testing.assert_allclose(points[1.0], last.to_numpy(), rtol=1e-5, atol=1e-5)
    # the calibration is refitted on the moved mixture, so the network's median shifts slightly: compare loosely
    spread = np.abs(points[1.0] - points[0.0]).mean()
    assert np.abs(points[0.5] - (points[0.0] + points[1.0]) / 2).mean() < 0.1 * spread
    fits[0.5].save(tmp_path / "half")
    back = WTAForecaster.load(tmp_path / "half")
    assert back.anchor_weight_ == 0.5
    pd.testing.assert_frame_equal(back.predict(df=data), fits[0.5].predict())
    # files from before the weight existed hold only the all-or-nothing fallback flag; a bad weight is refused
    config = tmp_path / "half.json"
    doc = json.loads(config.read_text())
    for fallback, weight in ((True, 1.0), (False, 0.0)):
        doc["meta"].pop("anchor_weight", None)
        doc["meta"]["fallback"] = fallback
        config.write_text(json.dumps(doc))
        assert WTAForecaster.load(tmp_path / "half").anchor_weight_ == weight
    doc["meta"]["anchor_weight"] = 1.5
    config.write_text(json.dumps(doc))
    with pytest.raises(WeightsError, match="anchor_weight"):
        WTAForecaster.load(tmp_path / "half")


def test_sigmoid_score_heads_weigh_the_likelier_mode_and_round_trip(tmp_path, data):
    errors = torch.tensor([[1.0, 2.0, 4.0], [3.0, 0.5, 1.0]])
    logits = torch.tensor([[2.0, -1.0, 0.0], [0.5, 0.5, -3.0]])
    target = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # one-hot winners
    by_hand = -(target * torch.log(torch.sigmoid(logits)) + (1 - target) * torch.log(1 - torch.sigmoid(logits)))
    assert score_loss(logits, errors, "sigmoid") == pytest.approx(float(by_hand.mean()), rel=1e-5)
    weights = score_probabilities(logits, "sigmoid")
    np.testing.assert_allclose(weights.sum(-1).numpy(), 1.0, rtol=1e-6)
    assert (weights.argmax(-1) == torch.sigmoid(logits).argmax(-1)).all()
    with pytest.raises(ValueError, match="score kind"):
        score_loss(logits, errors, "tanh")

    est = WTAForecaster(n_hypotheses=4, score_heads="sigmoid", **SMALL).fit(data)
    hist = quiet_history(data)
    hyp = est.predict_hypotheses(df=hist)
    per_path = hyp.groupby(["unique_id", "hypothesis"]).agg(weight=("weight", "first"), end=("WTA", "last"))
    np.testing.assert_allclose(per_path.groupby("unique_id")["weight"].sum(), 1.0, atol=1e-6)
    assert per_path[per_path["end"] > 0].groupby("unique_id")["weight"].sum().mean() > 0.6  # up has p = 0.75
    est.save(tmp_path / "sig")
    back = WTAForecaster.load(tmp_path / "sig")
    assert back.score_heads == "sigmoid" and back.model_.config.scores == "sigmoid"
    pd.testing.assert_frame_equal(est.predict(df=hist, level=[80]), back.predict(df=hist, level=[80]))
    with pytest.raises(TsheadsError, match="score_heads"):
        WTAForecaster(**{**SMALL, "score_heads": "tanh"}).fit(data)


def test_step_unit_is_the_mean_absolute_change_of_observed_neighbours():
    from tsheads.estimators.wta import step_unit

    x = np.array([[[0.0, 1.0, 3.0, 99.0, 4.0, 4.0]], [[5.0, 5.0, 5.0, 5.0, 5.0, 5.0]]])
    observed = np.ones_like(x, dtype=bool)
    observed[0, 0, 3] = False  # pairs (2, 3) and (3, 4) are left out
    fallback = np.full((2, 1, 1), 7.0)
    np.testing.assert_allclose(step_unit(x, observed, fallback), [[[(1 + 2 + 0) / 3]], [[7.0]]])


def test_random_walks_get_kernels_in_step_units_that_follow_each_series_volatility(tmp_path):
    rng = np.random.default_rng(1)
    frames = []
    for i in range(16):  # one random walk per series; half of them move 10 x more per step
        y = np.cumsum(rng.normal(0, 1.0 if i % 2 else 0.1, 400))
        frames.append(pd.DataFrame({"unique_id": f"w{i}", "ds": np.arange(400), "y": y}))
    walks = pd.concat(frames, ignore_index=True)
    settings = dict(h=8, context_length=64, backbone="random", max_epochs=2, steps_per_epoch=10, random_state=0,
                    season_length=1, validation_size=40)
    auto = WTAForecaster(**settings).fit(walks)
    assert auto.kernel_unit_ == "step"
    fc = auto.predict(level=[80])
    width = (fc["WTA-hi-80"] - fc["WTA-lo-80"]).groupby(fc["unique_id"]).mean()
    calm, wild = width[[f"w{i}" for i in range(0, 16, 2)]], width[[f"w{i}" for i in range(1, 16, 2)]]
    assert 5 < wild.median() / calm.median() < 20  # 10 x the step size: about 10 x the interval
    level = WTAForecaster(**settings, kernel_unit="level").fit(walks)
    assert level.kernel_unit_ == "level"
    auto.save(tmp_path / "walks")
    back = WTAForecaster.load(tmp_path / "walks")
    assert back.kernel_unit_ == "step"
    pd.testing.assert_frame_equal(fc, back.predict(df=walks, level=[80]))
    with pytest.raises(TsheadsError, match="kernel_unit"):
        WTAForecaster(**{**settings, "kernel_unit": "range"}).fit(walks)


def monthly_seasonal_frame(n_series=8, n=120, seed=0) -> pd.DataFrame:
    """Positive monthly series with a multiplicative yearly cycle (phase and level vary by series)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return pd.concat([pd.DataFrame({
        "unique_id": f"m{i}", "ds": pd.date_range("2000-01-01", periods=n, freq="MS"),
        "y": (10 + 5 * i) * (1 + 0.3 * np.sin(2 * np.pi * (t + i) / 12)) * (1 + 0.02 * rng.standard_normal(n))})
        for i in range(n_series)], ignore_index=True)


def test_deseasonalised_divides_by_naive2_factors_and_gives_the_next_ones():
    from tsheads.estimators.baselines import seasonal_indices
    from tsheads.estimators.wta import deseasonalised
    from tsheads.frames import Columns
    from tsheads.windows import Panel

    df = monthly_seasonal_frame(n_series=3)
    panel = Panel.from_data(df, Columns())
    adjusted, future = deseasonalised(panel, 12, h=5)
    assert future.shape == (3, 5, 1)
    for i in range(3):
        y = panel.series(i)[:, 0]
        si = seasonal_indices(y, 12)
        assert not np.allclose(si, 1.0)  # the cycle was found and divided out
        np.testing.assert_allclose(adjusted.series(i)[:, 0], y / si[np.arange(120) % 12], rtol=1e-9)
        np.testing.assert_allclose(future[i, :, 0], si[np.arange(120, 125) % 12], rtol=1e-9)
    held = deseasonalised(panel, 12, h=5, held_out=24)[1]  # factors from the first 96 points only
    np.testing.assert_allclose(held[0, :, 0], seasonal_indices(panel.series(0)[:96, 0], 12)[np.arange(120, 125) % 12])
    assert deseasonalised(panel, 1, h=5)[0] is panel  # no period: nothing changes


def test_deseasonalised_fallback_is_naive2_and_round_trips(tmp_path):
    """With the last-value anchor on monthly data the factors are divided out; a spoilt model falls back to
    its anchor, which on the adjusted series is exactly the Naive2 forecast."""
    from tsheads import Naive2

    df = monthly_seasonal_frame()
    # a learning rate far too high for one step spoils the heads, so the held-out check must fall back
    settings = dict(h=6, context_length=64, backbone="random", max_epochs=1, steps_per_epoch=3, random_state=0,
                    season_length=1, anchor="last", validation_size=12, learning_rate=1.0, patience=1,
                    validated_weight=0)
    with pytest.warns(UserWarning, match="anchor"):
        wta = WTAForecaster(**settings).fit(df)
    assert wta.deseasonal_period_ == 12 and wta.fallback_
    fc = wta.predict(level=[80])
    naive2 = Naive2(season_length=12).fit(df).predict(6)
    np.testing.assert_allclose(fc["WTA"].to_numpy(), naive2["Naive2"].to_numpy(), rtol=1e-6)
    assert (fc["WTA-lo-80"] <= fc["WTA"]).all() and (fc["WTA"] <= fc["WTA-hi-80"]).all()
    wta.save(tmp_path / "monthly")
    back = WTAForecaster.load(tmp_path / "monthly")
    assert back.deseasonal_period_ == 12
    pd.testing.assert_frame_equal(back.predict(df=df, level=[80]), fc)
    off = WTAForecaster(**settings, deseasonalise=False)
    with pytest.warns(UserWarning, match="anchor"):
        off.fit(df)
    assert off.deseasonal_period_ == 0  # its fallback is then the last value
    np.testing.assert_allclose(off.predict()["WTA"].to_numpy(), np.repeat(df.groupby("unique_id")["y"].last(), 6))
    auto = WTAForecaster(**{**settings, "season_length": "auto", "max_epochs": 1})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        auto.fit(df)
    assert auto.season_length_ == 12 and auto.deseasonal_period_ == 0  # one shared cycle: the seasonal anchor
    with pytest.raises(TsheadsError, match="deseasonalise"):
        WTAForecaster(**settings, deseasonalise="yes").fit(df)



def test_log_transform_maps_every_output_back_and_refuses_what_it_cannot_take(tmp_path):
    """``transform="log"``: the network sees log(y / factors), so a model that falls back to its last-value
    anchor forecasts Naive2 exactly; quantiles, hypotheses and samples come back in data units, never below 0."""
    from tsheads import Naive2
    from tsheads.estimators.wta import _mixture_mean

    df = monthly_seasonal_frame()
    settings = dict(h=6, context_length=64, backbone="random", max_epochs=1, steps_per_epoch=3, random_state=0,
                    season_length=1, anchor="last", validation_size=12, learning_rate=1.0, patience=1,
                    validated_weight=0)
    with pytest.warns(UserWarning, match="anchor"):
        wta = WTAForecaster(**settings, transform="log").fit(df)
    assert wta.transform_ == "log" and wta.deseasonal_period_ == 12 and wta.fallback_
    fc = wta.predict(level=[80], quantiles=[0.1, 0.9])
    naive2 = Naive2(season_length=12).fit(df).predict(6)
    np.testing.assert_allclose(fc["WTA"].to_numpy(), naive2["Naive2"].to_numpy(), rtol=1e-6)
    assert (fc["WTA-lo-80"] > 0).all() and (fc["WTA-lo-80"] <= fc["WTA"]).all() and (fc["WTA"] <= fc["WTA-hi-80"]).all()
    for paths in (wta.predict_hypotheses()["WTA"], wta.sample(20)["WTA"]):  # a spoilt model's: far out, still finite
        assert np.isfinite(paths).all() and (paths >= 0).all()
    wta.save(tmp_path / "log")
    back = WTAForecaster.load(tmp_path / "log")
    assert back.transform_ == "log"
    pd.testing.assert_frame_equal(back.predict(df=df, level=[80], quantiles=[0.1, 0.9]), fc)
    mean = back.set_params(point="mean").predict(df=df)["WTA"]
    assert np.isfinite(mean).all() and (mean > 0).all() and not np.allclose(mean, fc["WTA"])
    with pytest.raises(TsheadsError, match="above 0"):
        back.predict(df=df.assign(y=df["y"] - 12.0))
    with pytest.raises(TsheadsError, match="above 0"):  # before any training
        WTAForecaster(**settings, transform="log").fit(df.assign(y=df["y"] - 12.0))
    with pytest.raises(TsheadsError, match="transform"):
        WTAForecaster(**settings, transform="sqrt").fit(df)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seasonal = {**settings, "season_length": 12}
        assert WTAForecaster(**seasonal, transform="auto").fit(df).transform_ == "log"
        assert WTAForecaster(**seasonal, transform="auto").fit(df.assign(y=df["y"] - 12.0)).transform_ is None
        assert WTAForecaster(**settings, transform="auto").fit(df).transform_ is None  # level-and-trend anchor
    # the mean of a log-normal kernel is exp(mu + sigma^2 / 2); without the log, the weighted hypotheses
    hyp, weights, sigma = np.array([[[0.0, 1.0], [2.0, 3.0]]]), np.array([[0.25, 0.75]]), np.array([[0.5, 1.0]])
    ones, twos = np.ones((1, 2)), np.full((1, 2), 2.0)
    expected = [[0.25 * np.exp(0.125) + 0.75 * np.exp(2.125), 0.25 * np.exp(1.5) + 0.75 * np.exp(3.5)]]
    np.testing.assert_allclose(_mixture_mean(hyp, weights, sigma, ones, "log"), expected)
    np.testing.assert_allclose(_mixture_mean(hyp, weights, sigma, twos, "log"), 2 * np.array(expected))
    np.testing.assert_allclose(_mixture_mean(hyp, weights, sigma, twos, None), [[3.0, 5.0]])
    near_max = _mixture_mean(np.full((1, 1, 2), 709.0), np.ones((1, 1)), np.zeros((1, 2)), twos, "log")
    assert np.isfinite(near_max).all()  # the factors go inside the capped exp


def test_anchor_paths_last_value_season_level_and_trend():
    from tsheads.nn.anchors import anchor_path

    t = torch.arange(40, dtype=torch.float64)
    line = (3.0 + 0.5 * t).reshape(1, 1, 40)
    seen = torch.ones_like(line, dtype=torch.bool)
    torch.testing.assert_close(anchor_path(line, seen, 4), torch.full((1, 1, 4), 22.5, dtype=torch.float64))
    # the whole slope continues a straight line exactly, whatever the level's lag behind it
    ahead = 3.0 + 0.5 * torch.arange(40, 44, dtype=torch.float64)
    for alpha in (1.0, 0.3, None):
        torch.testing.assert_close(anchor_path(line, seen, 4, 1, alpha, 1.0), ahead.view(1, 1, 4))
    half = anchor_path(line, seen, 4, 1, 0.3, 0.5)  # half the slope, from the lag-corrected level (Theta's line)
    torch.testing.assert_close(half, (ahead.view(1, 1, 4) + anchor_path(line, seen, 4, 1, 0.3, 0.0)) / 2)
    cycle = torch.sin(2 * torch.pi * t / 8).reshape(1, 1, 40)
    torch.testing.assert_close(anchor_path(cycle, seen, 12, 8), cycle[..., 32 + torch.arange(12) % 8])
    rng = np.random.default_rng(0)
    z = torch.from_numpy(rng.normal(size=(5, 2, 40)))
    mask = torch.from_numpy(rng.random((5, 2, 40)) > 0.2)
    mask[..., -1] = True
    base = anchor_path(z, mask, 6, 1, 0.3, 0.5)
    torch.testing.assert_close(anchor_path(2.5 * z - 7.0, mask, 6, 1, 0.3, 0.5), 2.5 * base - 7.0)  # affine
    shuffled = torch.where(mask, z, torch.from_numpy(rng.normal(size=(5, 2, 40)) * 100))
    torch.testing.assert_close(anchor_path(shuffled, mask, 6, 1, 0.3, 0.5), base)  # unobserved points ignored


def test_auto_anchor_smooths_noise_and_follows_drift():
    from tsheads.estimators.wta import choose_anchor
    from tsheads.inference import standardise

    rng = np.random.default_rng(0)
    steps = np.arange(48)

    def pairs(y):  # 400 windows: 40 points of context, 8 to forecast
        past, loc, scale = standardise(y[:, None, :40], np.ones((len(y), 1, 40), dtype=bool))
        future = ((y[:, None, 40:] - loc) / scale).astype(np.float32)
        return past, np.ones_like(past, dtype=bool), future, np.ones_like(future, dtype=bool)

    noise = rng.normal(size=(400, 48))  # white noise around a level: smooth hard, no slope
    alpha, beta = choose_anchor(pairs(noise), 8, rng)
    assert (alpha is None or alpha <= 0.3) and beta == 0.0
    drift = 0.5 * steps + 0.3 * rng.normal(size=(400, 48)).cumsum(1)  # trending random walks: the last value plus slope
    alpha, beta = choose_anchor(pairs(drift), 8, rng)
    assert (alpha is None or alpha >= 0.7) and beta >= 0.75


def test_fitted_level_smooths_noise_and_follows_a_walk():
    from tsheads.nn.anchors import fitted_level, smoothed_level

    rng = np.random.default_rng(0)
    noise = torch.from_numpy(rng.normal(size=(200, 1, 64)))
    walk = torch.from_numpy(rng.normal(size=(200, 1, 64)).cumsum(-1))
    mask = torch.ones_like(noise)
    # white noise: mostly the heaviest smoothing (the level nearest the mean), as SES would fit it
    assert torch.isclose(fitted_level(noise, mask)[0], smoothed_level(noise, mask, 0.1)[0]).float().mean() > 0.9
    # random walks: mostly weight 1, the last value (in 64 points, 0.7 fits some walks a little better)
    level, age = fitted_level(walk, mask)
    last = torch.isclose(level, walk[..., -1:])
    assert last.float().mean() > 0.75 and (age[last] == 0).all()  # the last value does not lag
    assert (last | torch.isclose(level, smoothed_level(walk, mask, 0.7)[0])).all()
    torch.testing.assert_close(smoothed_level(walk, mask, 0.7)[1], torch.full((200, 1, 1), 0.3 / 0.7,
                                                                              dtype=torch.float64))  # (1 - a) / a
    gaps = (torch.from_numpy(rng.random((200, 1, 64))) > 0.3).double()
    gaps[..., -1] = 1.0
    scrambled = torch.where(gaps > 0, walk, 1e6)
    torch.testing.assert_close(fitted_level(scrambled, gaps), fitted_level(walk, gaps))  # gaps ignored


def test_integer_time_stamps_take_the_cycle_a_tenth_of_the_series_show():
    """Without dates there is no calendar period: the factors' period is the cycle found in the series."""
    from tsheads.estimators.wta import _most_common

    assert _most_common([12, None, 12, 3] + [None] * 16, share=0.1) == 12  # 3 of 20 show a cycle
    assert _most_common([12] + [None] * 19, share=0.1) == 0
    assert _most_common([12, 12, 4, None], share=0.5) == 12
    df = monthly_seasonal_frame()
    df["ds"] = df.groupby("unique_id").cumcount()
    walks = pd.DataFrame({"unique_id": np.repeat([f"w{i}" for i in range(12)], 120), "ds": np.tile(np.arange(120), 12),
                          "y": 50 + np.random.default_rng(0).normal(size=(12, 120)).cumsum(1).ravel()})
    settings = dict(h=6, context_length=64, backbone="random", max_epochs=1, steps_per_epoch=1, random_state=0,
                    validation_size=12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wta = WTAForecaster(**settings).fit(pd.concat([df, walks], ignore_index=True))
    assert wta.season_length_ == 1 and wta.deseasonal_period_ == 12  # 8 of 20 series cycle: no shared anchor
    assert (wta.anchor_alpha_ is None or 0 < wta.anchor_alpha_ <= 1) and 0 <= wta.anchor_beta_ <= 2


def test_held_out_anchor_is_chosen_on_the_held_out_windows(monkeypatch):
    """``anchor="held_out"`` scores the anchor grid on the windows at each series' end (one per series when the
    held-out part is ``h`` points), ``"auto"`` on the training windows; a bad setting is refused before any work."""
    import tsheads.estimators.wta as wta_module

    seen = []
    real = wta_module.choose_anchor
    monkeypatch.setattr(wta_module, "choose_anchor",
                        lambda pairs, h, rng: seen.append(len(pairs[0])) or real(pairs, h, rng))
    rng = np.random.default_rng(0)
    t = np.arange(120)
    df = pd.concat([pd.DataFrame({"unique_id": f"w{i}", "ds": t, "y": rng.standard_normal(120).cumsum()})
                    for i in range(5)])
    small = dict(h=8, n_hypotheses=2, backbone="random", context_length=64, max_epochs=1, steps_per_epoch=1,
                 season_length=1, validation_size=8, random_state=0)
    held = WTAForecaster(anchor="held_out", **small).fit(df)
    WTAForecaster(anchor="auto", **small).fit(df)
    assert seen[0] == 5 and seen[1] > 5  # one end window per series, against many training windows
    assert held.anchor_beta_ in wta_module.ANCHOR_BETAS and np.isfinite(held.predict()["WTA"]).all()
    with pytest.raises(TsheadsError, match="held_out"):
        WTAForecaster(h=8, anchor="held-out").fit(df)
