"""Encoder v2 pieces: the patch forecast head, resolution offsets, the staged corpus, the mix, the register loss."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from tsheads.errors import WeightsError
from tsheads.metrics import retrieval_accuracy
from tsheads.nn.config import RESOLUTIONS, V2_SHAPE, EncoderConfig
from tsheads.nn.losses import register_contrastive
from tsheads.nn.model import DualSpaceModel
from tsheads.pretrain.corpus import CorpusSampler
from tsheads.pretrain.loop import TrainConfig, perturbed_views, pretrain
from tsheads.pretrain.mix import Corpus, build_corpus, split_source
from tsheads.pretrain.staged import read_source, staged_series
from tsheads.timegrid import resolution_index, step_seconds

TINY_V2 = EncoderConfig(context_length=64, patch_length=8, d_model=16, n_layers=2, n_registers=2, horizon=20,
                        forecast_head="patch", n_resolutions=len(RESOLUTIONS))


def _ones(x):
    return torch.ones_like(x, dtype=torch.bool)


def test_v2_shape_is_within_two_million_parameters_and_mostly_backbone():
    model = DualSpaceModel(EncoderConfig(**V2_SHAPE))
    n = model.n_parameters()
    backbone = sum(p.numel() for p in model.encoder.blocks.parameters())
    assert n < 2e6 and backbone > 0.6 * n
    assert model.config.context_length >= 1024 and model.config.horizon >= 720


def test_patch_head_forecasts_the_whole_horizon_directly():
    torch.manual_seed(0)
    model = DualSpaceModel(TINY_V2).eval()
    x = torch.randn(3, 1, 64).cumsum(-1)
    out = model(x, _ones(x))
    assert out.forecast.shape == (3, 1, 1 + len(TINY_V2.quantiles), 20)
    # a horizon within the head's is one forward pass, so later steps do not depend on a rolled-in mean
    mean, q = model.forecast(x, _ones(x), 20)
    assert mean.shape == (3, 1, 20) and q.shape == (3, 1, len(TINY_V2.quantiles), 20)
    assert torch.all(q[:, :, 1:] >= q[:, :, :-1])


def test_resolution_changes_the_forecast_and_defaults_to_unknown():
    torch.manual_seed(0)
    model = DualSpaceModel(TINY_V2).eval()
    with torch.no_grad():  # an untrained embedding starts near zero: make the offsets visible
        model.encoder.resolution_embed.weight.normal_(0, 1)
    x = torch.randn(2, 1, 64)
    unknown = torch.full((2,), RESOLUTIONS.index("unknown"))
    monthly = torch.full((2,), RESOLUTIONS.index("monthly"))
    with torch.no_grad():
        default = model(x, _ones(x)).forecast
        assert torch.allclose(default, model(x, _ones(x), unknown).forecast)
        assert not torch.allclose(default, model(x, _ones(x), monthly).forecast)


def test_v1_configs_have_no_v2_parts_and_bad_v2_settings_are_refused():
    model = DualSpaceModel(EncoderConfig())
    assert model.encoder.resolution_embed is None
    assert not any("resolution" in k for k in model.state_dict())
    with pytest.raises(WeightsError, match="forecast_head"):
        EncoderConfig(forecast_head="rnn")
    with pytest.raises(WeightsError, match="n_resolutions"):
        EncoderConfig(n_resolutions=3)


@pytest.mark.parametrize("freq, name", [("30min", "sub-hourly"), ("h", "hourly"), ("D", "daily"), ("W", "weekly"),
                                        ("MS", "monthly"), ("QS", "quarterly"), ("YS", "yearly"), (1, "unknown"),
                                        (None, "unknown")])
def test_resolution_buckets_of_pandas_frequencies(freq, name):
    assert RESOLUTIONS[resolution_index(step_seconds(freq))] == name


def test_staged_reader_keeps_every_series_with_its_step(tmp_path):
    pytest.importorskip("pyarrow")
    ds = pd.date_range("2020-01-01", periods=100, freq="h")
    df = pd.DataFrame({"unique_id": np.repeat(["a", "b"], 100), "ds": np.r_[ds, ds],
                       "y": np.r_[np.arange(100.0), np.sin(np.arange(100.0))].astype(np.float32)})
    df.to_parquet(tmp_path / "one.parquet")
    pd.DataFrame({"unique_id": ["c"] * 80, "ds": np.arange(80), "y": np.ones(80, np.float32)}).to_parquet(
        tmp_path / "two.parquet")
    groups = staged_series(tmp_path)
    assert sorted(groups) == ["one", "two"]
    assert [len(s.values) for s in groups["one"]] == [100, 100]
    assert groups["one"][0].step_seconds == pytest.approx(3600)
    assert np.isnan(read_source(tmp_path / "two.parquet")[0].step_seconds)
    assert staged_series(tmp_path / "missing") == {}


def test_split_holds_out_whole_series_or_the_tail_and_loses_no_points():
    many = [(np.arange(100.0) + i, 3600.0) for i in range(20)]
    train, val = split_source(many)
    assert len(train) == 18 and len(val) == 2
    assert not {v[0][0] for v in val} & {t[0][0] for t in train}
    few = [(np.arange(1000.0), 3600.0)]
    train, val = split_source(few)
    assert len(train[0][0]) + len(val[0][0]) == 1000 and train[0][0][-1] < val[0][0][0]


def test_mix_caps_a_dominant_source():
    groups = {"huge": [(np.ones(1_000_000), np.nan)] * 12, "small": [(np.ones(500), 86400.0)] * 12}
    corpus, _ = build_corpus(groups, cap=0.6)
    w = np.array(corpus.weights)
    huge = w[np.array(corpus.sources) == "huge"].sum() / w.sum()
    assert 0.5 < huge <= 0.6 + 1e-9


def test_sampler_labels_resolutions_and_aggregates_known_steps():
    corpus = Corpus([np.arange(5000, dtype=np.float32)], [3600.0], [1.0], ["s"])
    sampler = CorpusSampler(64, 12, corpus.series, real_fraction=1.0, seed=0, real_steps=corpus.steps,
                            real_weights=corpus.weights, aggregate_fraction=0.5)
    batch = sampler.batch(200)
    names = {RESOLUTIONS[i] for i in batch.resolution}
    assert "hourly" in names and names - {"hourly"}  # some windows were summed to a coarser step
    # a window summed over k steps of 0, 1, 2, ... rises by k * k per step
    last = batch.x[:, 0, -1] - batch.x[:, 0, -2]
    assert set(np.round(last).astype(int)) - {1}


def test_register_loss_is_low_for_identical_views_and_views_keep_their_window():
    a = torch.randn(16, 32)
    assert register_contrastive(a, a) < register_contrastive(a, torch.randn(16, 32))
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(6, 1, 64).cumsum(-1)
    obs = torch.ones_like(x, dtype=torch.bool)
    vx, vobs = perturbed_views(x, obs, gen, max_shift=8)
    assert vx.shape == x.shape and vobs.sum() >= obs.sum() - 6 * 8 and not vx[~vobs].any()


def test_retrieval_accuracy():
    keys = np.eye(4)
    assert retrieval_accuracy(keys + 0.1, keys) == pytest.approx(1.0)
    assert retrieval_accuracy(keys[::-1], keys) == pytest.approx(0.0)
    with pytest.raises(ValueError):
        retrieval_accuracy(np.ones((3, 2)), np.ones((2, 2)))


def test_v2_loop_trains_registers_and_resumes(tmp_path):
    corpus = Corpus([np.sin(np.arange(800.0) / 5).astype(np.float32)], [86400.0], [1.0], ["s"])
    cfg = TrainConfig(steps=3, batch_size=8, warmup=1, checkpoint_every=1, real_fraction=0.5,
                      register_weight=0.1, aggregate_fraction=0.3, bf16=False)
    pretrain(tmp_path / "run", TINY_V2, cfg, corpus, verbose=False, stop_after=2)
    pretrain(tmp_path / "run", TINY_V2, cfg, corpus, verbose=False)
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    last = log[-1]
    assert last["step"] == 3 and np.isfinite(last["total"]) and last["register_nce"] >= 0
    parts = sum(last[k] for k in ("forecast_mse", "forecast_pinball", "time_recon", "fft_recon"))
    assert last["total"] == pytest.approx(parts + 0.1 * last["register_nce"], abs=1e-3)
    assert (tmp_path / "run" / "final.safetensors").exists()


def test_indexed_batches_give_the_same_run_with_workers_and_after_a_resume(tmp_path):
    from safetensors.torch import load_file

    corpus = Corpus([np.sin(np.arange(800.0) / 5).astype(np.float32)], [3600.0], [1.0], ["s"])
    cfg = TrainConfig(steps=4, batch_size=8, warmup=1, checkpoint_every=2, real_fraction=0.5,
                      aggregate_fraction=0.3, indexed_batches=True, bf16=False)
    pretrain(tmp_path / "inline", TINY_V2, cfg, corpus, verbose=False)
    pretrain(tmp_path / "workers", TINY_V2, cfg, corpus, verbose=False, workers=2, stop_after=2)
    pretrain(tmp_path / "workers", TINY_V2, cfg, corpus, verbose=False, workers=1)
    a, b = (load_file(str(tmp_path / name / "final.safetensors")) for name in ("inline", "workers"))
    assert a.keys() == b.keys() and all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
    with pytest.raises(ValueError, match="indexed_batches"):
        pretrain(tmp_path / "bad", TINY_V2, TrainConfig(steps=1, batch_size=4, real_fraction=0.0), [],
                 verbose=False, workers=2)


def test_sampler_redraws_synthetic_series_that_overflow_float32(monkeypatch):
    import tsheads.pretrain.corpus as corpus_module

    draws = iter([np.full(76, 1e40), np.full(76, 1e39), np.arange(76.0)])
    monkeypatch.setattr(corpus_module, "synthetic_series", lambda rng, n: next(draws))
    batch = CorpusSampler(64, 12, [], real_fraction=0.0, seed=0).batch(1)
    assert np.isfinite(batch.x).all() and batch.x[0, 0, -1] > 0


def test_v2_files_say_format_version_2_and_the_estimator_passes_the_resolution(tmp_path):
    from tsheads import ZeroShotForecaster
    from tsheads.nn.weights import load_model, save_model

    torch.manual_seed(0)
    model = DualSpaceModel(TINY_V2)
    with torch.no_grad():
        model.encoder.resolution_embed.weight.normal_(0, 1)
    save_model(model, tmp_path / "v2")
    v1_shape = EncoderConfig(context_length=64, patch_length=8, d_model=16, n_layers=1)
    save_model(DualSpaceModel(v1_shape), tmp_path / "v1")
    assert json.loads((tmp_path / "v2.json").read_text())["format_version"] == 2
    assert json.loads((tmp_path / "v1.json").read_text())["format_version"] == 1
    assert load_model(tmp_path / "v2").config == TINY_V2
    y = 10 + np.sin(np.arange(60) / 2)
    monthly = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2000-01-01", periods=60, freq="MS"), "y": y})
    steps = monthly.assign(ds=np.arange(60))
    est = ZeroShotForecaster(weights=str(tmp_path / "v2"))
    a, b = est.forecast(monthly, h=12), est.forecast(steps, h=12)
    assert np.isfinite(a.iloc[:, -1]).all() and not np.allclose(a.iloc[:, -1], b.iloc[:, -1])


def test_the_short_companion_has_a_short_context_and_v2s_parts():
    from tsheads.nn.config import V2_SHORT_SHAPE
    from tsheads.pretrain.__main__ import SHAPES

    assert SHAPES["v2-short"] is V2_SHORT_SHAPE and SHAPES["v2"] is V2_SHAPE
    short, long = DualSpaceModel(EncoderConfig(**V2_SHORT_SHAPE)), DualSpaceModel(EncoderConfig(**V2_SHAPE))
    assert short.config.context_length <= 128 < long.config.context_length
    assert short.config.n_resolutions == len(RESOLUTIONS) and short.config.forecast_head == "patch"
    backbone = sum(p.numel() for p in short.encoder.blocks.parameters())
    assert short.n_parameters() < 2e6 and backbone > 0.6 * short.n_parameters()
