"""Which network the detector runs on: the bundled short-window one for windows it holds, else the 512-point one."""

import shutil

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone

import tsheads.pretrained as bundled
from tsheads.errors import TsheadsError, WeightsError
from tsheads.estimators.anomaly import TriangulationDetector
from tsheads.nn.config import SHORT_SHAPE, EncoderConfig
from tsheads.nn.model import DualSpaceModel
from tsheads.nn.weights import read_config, save_model
from tsheads.pretrain.__main__ import SHAPES


def noisy_sine(n=400, seed=0):
    rng = np.random.default_rng(seed)
    return np.sin(np.arange(n) * 2 * np.pi / 24) + 0.1 * rng.standard_normal(n)


@pytest.mark.parametrize("params, short", [({}, False), ({"window": 128}, True), ({"window": 64}, True),
                                           ({"window": 128, "forecast_history": 256}, False),
                                           ({"window": 256, "forecast_history": 64}, False)])
def test_the_short_network_serves_only_rows_it_holds(monkeypatch, params, short):
    monkeypatch.setattr(bundled, "ships", lambda name: True)
    want = bundled.SHORT if short else bundled.DEFAULT
    assert TriangulationDetector(**params)._bundled_name() == want


def test_without_the_short_network_every_window_runs_on_the_default(monkeypatch):
    monkeypatch.setattr(bundled, "ships", lambda name: name == bundled.DEFAULT)
    assert TriangulationDetector(window=128)._bundled_name() == bundled.DEFAULT


def test_a_window_beyond_the_given_networks_context_is_refused(tmp_path):
    save_model(DualSpaceModel(EncoderConfig(**SHORT_SHAPE)).eval(), tmp_path / "short")
    x = noisy_sine()
    with pytest.raises(TsheadsError, match="128-point context"):
        TriangulationDetector(weights=str(tmp_path / "short")).fit(x)
    with pytest.raises(TsheadsError, match="forecast_history=256"):
        TriangulationDetector(weights=str(tmp_path / "short"), window=128, forecast_history=256).fit(x)
    scores = TriangulationDetector(weights=str(tmp_path / "short"), window=128).fit(x).decision_function(x)
    assert scores.shape == x.shape and np.isfinite(scores).all()


def test_the_pretraining_shape_is_the_shipped_one():
    assert SHAPES["short"] is SHORT_SHAPE
    assert SHORT_SHAPE["context_length"] == bundled.SHORT_CONTEXT
    # the detector cuts a window to whole patches before it knows which network scores it
    assert SHORT_SHAPE["patch_length"] == EncoderConfig().patch_length
    if bundled.ships(bundled.SHORT):
        config, _ = read_config(bundled.pretrained_path(bundled.SHORT))
        assert config.context_length == bundled.SHORT_CONTEXT
        assert config.patch_length == SHORT_SHAPE["patch_length"]


@pytest.mark.skipif(not bundled.ships(bundled.SHORT), reason="the short-window network is not bundled")
def test_a_short_window_detector_runs_saves_and_loads_on_the_short_network(tmp_path):
    x = noisy_sine(600)
    x[450:460] += 3.0
    det = TriangulationDetector(window=128, contamination=0.05).fit(x[:300])
    assert det.model_.config.context_length == bundled.SHORT_CONTEXT
    scores = det.decision_function(x)
    assert np.isfinite(scores).all()
    assert scores[450:460].max() > np.quantile(scores[300:440], 0.99)  # the planted burst stands out
    det.save(tmp_path / "det")
    again = TriangulationDetector.load(tmp_path / "det")
    assert again.model_.config.context_length == bundled.SHORT_CONTEXT
    np.testing.assert_allclose(again.decision_function(x), scores, rtol=1e-6, atol=1e-9)


@pytest.fixture
def shipped_short(tmp_path, monkeypatch):
    """A bundled-models folder holding v1 and a short-window network, as an installation that ships it (random
    weights: which network runs is under test, not how well it scores)."""
    folder = tmp_path / "bundled"
    folder.mkdir()
    for suffix in (".safetensors", ".json"):
        shutil.copy(bundled.pretrained_path(bundled.DEFAULT).with_suffix(suffix), folder)
    save_model(DualSpaceModel(EncoderConfig(**SHORT_SHAPE)).eval(), folder / bundled.SHORT)
    monkeypatch.setattr(bundled, "HERE", folder)
    return folder


def frame(n_series=3, n=300):
    return pd.concat([pd.DataFrame({"unique_id": f"s{i}", "ds": np.arange(n), "y": noisy_sine(n, i)})
                      for i in range(n_series)], ignore_index=True)


def test_detect_runs_on_the_network_its_parameters_select_even_after_a_fit(shipped_short):
    df = frame()
    fresh_short = TriangulationDetector(window=64).detect(df)["anomaly_score"].to_numpy()
    fresh_long = TriangulationDetector(window=256).detect(df)["anomaly_score"].to_numpy()
    det = TriangulationDetector(window=256).fit(noisy_sine())
    assert det.model_.config.context_length == 512
    det.set_params(window=64)
    np.testing.assert_allclose(det.detect(df)["anomaly_score"].to_numpy(), fresh_short, rtol=1e-6, atol=1e-9)
    det = TriangulationDetector(window=64).fit(noisy_sine())
    assert det.model_.config.context_length == bundled.SHORT_CONTEXT
    det.set_params(window=256)
    np.testing.assert_allclose(det.detect(df)["anomaly_score"].to_numpy(), fresh_long, rtol=1e-6, atol=1e-9)


def test_changing_a_fitted_detector_beyond_its_network_is_refused(shipped_short, tmp_path):
    x = noisy_sine()
    det = TriangulationDetector(window=64).fit(x)
    det.set_params(forecast_history=256)
    with pytest.raises(TsheadsError, match="the fitted model"):
        det.decision_function(x)
    det.set_params(forecast_history=None)
    det.save(tmp_path / "det")
    doc = tmp_path / "det.json"
    doc.write_text(doc.read_text().replace('"forecast_history": null', '"forecast_history": 256'))
    with pytest.raises(WeightsError, match="do not fit its network"):
        TriangulationDetector.load(tmp_path / "det")


def test_short_fit_data_route_to_the_short_network_and_detect_scores_each_series_as_alone(shipped_short):
    if bundled.DETECT_SHORT_WINDOW < 64:
        pytest.skip("no window is routed to the short-window network")
    df = pd.concat([frame(2, 90), frame(2, 400).assign(unique_id=lambda d: d["unique_id"] + "-long")])
    out = TriangulationDetector().detect(df, fit_fraction=0.5)
    for uid, group in df.groupby("unique_id", sort=False):
        alone = TriangulationDetector().fit(group["y"].to_numpy()[:len(group) // 2])
        short = len(group) == 90
        assert alone.model_.config.context_length == (bundled.SHORT_CONTEXT if short else 512)
        np.testing.assert_allclose(out.loc[out["unique_id"] == uid, "anomaly_score"].to_numpy(),
                                   alone.decision_function(group["y"].to_numpy()), rtol=1e-6, atol=1e-9)


def test_detect_with_fine_tuning_copies_each_series_detector():
    out = TriangulationDetector(heads="time", combine="time", fine_tune=True, fine_tune_steps=1,
                                random_state=0).detect(frame(2, 200))
    assert len(out) == 400 and np.isfinite(out["anomaly_score"]).all()


def test_history_network_auto_scores_history_rows_on_the_short_network_and_saves_both(shipped_short, tmp_path):
    x = noisy_sine(600)
    x[450:460] += 3.0
    det = TriangulationDetector(history_network="auto").fit(x[:300])
    assert det.model_.config.context_length == 512  # the rebuild heads keep the window's network
    assert det.history_model_.config.context_length == bundled.SHORT_CONTEXT
    scores = det.decision_function(x)
    assert np.isfinite(scores).all()
    assert TriangulationDetector().fit(x[:300]).history_model_ is not None  # the default
    window = TriangulationDetector(history_network="window").fit(x[:300])
    assert window.history_model_ is None
    assert not np.allclose(window.decision_function(x), scores)  # the history rows ran on another network
    det.save(tmp_path / "det")
    assert (tmp_path / "det.history.safetensors").is_file() and (tmp_path / "det.history.json").is_file()
    again = TriangulationDetector.load(tmp_path / "det")
    assert again.history_model_.config.context_length == bundled.SHORT_CONTEXT
    np.testing.assert_allclose(again.decision_function(x), scores, rtol=1e-6, atol=1e-9)
    (tmp_path / "det.history.json").unlink()
    with pytest.raises(WeightsError, match="history.json"):
        TriangulationDetector.load(tmp_path / "det")


@pytest.mark.parametrize("params", [{"history_network": "window"}, {"window": 128},
                                    {"fine_tune": True, "fine_tune_steps": 1, "heads": "forecast",
                                     "combine": "forecast"}, {"weights": "bundled"}])
def test_history_network_auto_keeps_rows_it_cannot_route_on_the_window_network(shipped_short, params):
    if params.get("weights") == "bundled":  # the user's own weights: one network for every head
        params = {"weights": str(bundled.pretrained_path(bundled.DEFAULT))}
    det = TriangulationDetector(**{"history_network": "auto", **params}).fit(noisy_sine(300))
    assert det.history_model_ is None
    assert np.isfinite(det.decision_function(noisy_sine(300, 1))).all()


def test_history_network_must_be_a_known_name():
    with pytest.raises(TsheadsError, match="history_network must be one of"):
        TriangulationDetector(history_network="short").fit(noisy_sine(300))


def test_detect_with_history_network_auto_scores_each_series_as_alone(shipped_short):
    df = pd.concat([frame(2, 90), frame(2, 400).assign(unique_id=lambda d: d["unique_id"] + "-long")])
    out = TriangulationDetector(history_network="auto").detect(df, fit_fraction=0.5)
    for uid, group in df.groupby("unique_id", sort=False):
        alone = TriangulationDetector(history_network="auto").fit(group["y"].to_numpy()[:len(group) // 2])
        assert (alone.history_model_ is None) == (len(group) == 90)  # short fits run wholly on the short network
        np.testing.assert_allclose(out.loc[out["unique_id"] == uid, "anomaly_score"].to_numpy(),
                                   alone.decision_function(group["y"].to_numpy()), rtol=1e-6, atol=1e-9)


def test_rows_of_two_networks_never_share_a_cache_entry(shipped_short):
    """``combine="probe"`` keeps network rows for reuse; a short-fit series (short network) and a long one (the
    512-point network) with the same 64-point subsequences must each get their own network's embeddings."""
    if bundled.DETECT_SHORT_WINDOW < 64:
        pytest.skip("no window is routed to the short-window network")
    base = noisy_sine(600, 3)
    base[10] = 4.0  # both series' peak, so both are scaled alike and their first subsequences are the same rows
    df = pd.concat([pd.DataFrame({"unique_id": uid, "ds": np.arange(n), "y": base[:n]})
                    for uid, n in (("a", 120), ("b", 600))])
    out = TriangulationDetector(combine="probe").detect(df)
    alone = TriangulationDetector(combine="probe").detect(df[df["unique_id"] == "b"])
    np.testing.assert_allclose(out.loc[out["unique_id"] == "b", "anomaly_score"].to_numpy(),
                               alone["anomaly_score"].to_numpy(), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("history", [None, 128, 64])
def test_a_history_network_scores_only_the_rows_its_context_holds(history):
    from tsheads.scoring.heads import Packed, model_outputs

    v1 = bundled.load_pretrained(bundled.DEFAULT)
    torch.manual_seed(0)
    short = DualSpaceModel(EncoderConfig(**SHORT_SHAPE)).eval()
    xs = [noisy_sine(300, 1)[None, :], noisy_sine(200, 2)[None, :]]
    packed = Packed.of(xs, [np.ones_like(x, dtype=bool) for x in xs])
    kw = dict(heads=("forecast", "embedding"), window=256, stride=128, horizon=16, forecast_history=history)
    routed = model_outputs(v1, packed, history_model=short, **kw)
    on_v1, on_short = model_outputs(v1, packed, **kw), model_outputs(short, packed, **{**kw, "window": 128})
    for got, long, small in zip(routed, on_v1, on_short):
        np.testing.assert_allclose(got["embedding"][1], small["embedding"][1], rtol=1e-5, atol=1e-6)
        want = long if history is None else small  # the whole 256-point window does not fit 128 points
        np.testing.assert_allclose(got["forecast"], want["forecast"], rtol=1e-5, atol=1e-6)


def test_a_loaded_detector_refits_and_detects_with_its_saved_history_network(shipped_short, tmp_path):
    x = noisy_sine(600)
    det = TriangulationDetector().fit(x[:400])
    det.save(tmp_path / "det")
    loaded = TriangulationDetector.load(tmp_path / "det")
    refit = clone(loaded).fit(x[:400])
    assert refit.history_model_ is not None
    np.testing.assert_allclose(refit.decision_function(x), det.decision_function(x), rtol=1e-6, atol=1e-9)
    df = frame(2, 500)
    np.testing.assert_allclose(loaded.detect(df, fit_fraction=0.8)["anomaly_score"].to_numpy(),
                               det.detect(df, fit_fraction=0.8)["anomaly_score"].to_numpy(), rtol=1e-6, atol=1e-9)


def test_load_refuses_a_history_file_that_is_not_the_detectors(shipped_short, tmp_path):
    det = TriangulationDetector().fit(noisy_sine(400))
    det.save(tmp_path / "det")
    save_model(det.model_, tmp_path / "det.history")  # another model saved under the history network's name
    with pytest.raises(WeightsError, match="not the history network"):
        TriangulationDetector.load(tmp_path / "det")


def test_a_detector_without_history_rows_keeps_one_network(shipped_short, tmp_path):
    det = TriangulationDetector(heads=("time", "forecast"), combine="auto").fit(noisy_sine(400))
    assert det.history_model_ is None  # forecasts from the whole window: no row for the short network
    det.save(tmp_path / "det")
    assert not (tmp_path / "det.history.json").exists()
    assert TriangulationDetector(heads=("time", "forecast"), forecast_history=128).fit(
        noisy_sine(400)).history_model_ is not None


def test_saving_without_a_history_network_removes_one_saved_before_under_that_name(shipped_short, tmp_path):
    x = noisy_sine(600)
    TriangulationDetector().fit(x[:400]).save(tmp_path / "det")
    assert (tmp_path / "det.history.json").is_file()
    one = TriangulationDetector(history_network="window").fit(x[:400])
    one.save(tmp_path / "det")  # the same name, now with one network
    assert not (tmp_path / "det.history.json").exists() and not (tmp_path / "det.history.safetensors").exists()
    refit = clone(TriangulationDetector.load(tmp_path / "det")).fit(x[:400])
    assert refit.history_model_ is None  # the stale history file would have been taken
    np.testing.assert_allclose(refit.decision_function(x), one.decision_function(x), rtol=1e-6, atol=1e-9)


def test_detect_on_a_loaded_detector_reads_its_history_network_once(shipped_short, tmp_path, monkeypatch):
    import tsheads.estimators.anomaly as anomaly_module

    TriangulationDetector().fit(noisy_sine(400)).save(tmp_path / "det")
    loaded = TriangulationDetector.load(tmp_path / "det")
    reads = []
    real = anomaly_module._load_history_network
    monkeypatch.setattr(anomaly_module, "_load_history_network", lambda *a: reads.append(a) or real(*a))
    loaded.detect(frame(4, 300), fit_fraction=0.8)
    assert len(reads) == 1  # not once per series


def test_power_is_fixed_at_fit_and_saved(tmp_path):
    x = noisy_sine(600)
    det = TriangulationDetector(power=2.0, contamination=0.05).fit(x[:400])
    before = det.predict(x)
    det.set_params(power=8.0)  # the threshold was set with power 2
    np.testing.assert_array_equal(det.predict(x), before)
    det.save(tmp_path / "det")
    assert TriangulationDetector.load(tmp_path / "det").power_ == 2.0
