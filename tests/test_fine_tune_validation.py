"""Fine-tuning with a held-out validation part: early stopping, best weights kept, zero-shot kept when it wins."""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from tsheads import ZeroShotForecaster
from tsheads.errors import TsheadsError
from tsheads.training import channel_pairs, held_out_loss
from tsheads.windows import Panel, sliding_windows

REPORT_KEYS = {"validation_points", "validation_windows", "zero_shot_loss", "best_loss", "best_step", "steps_run",
               "stopped_early", "kept_zero_shot", "evaluations"}


def odd_period_frame(n_series=2, length=300, seed=0):
    """Hourly series with a 17-hour cycle: zero-shot forecasts them poorly, so fine-tuning has much to gain."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    return pd.DataFrame({
        "unique_id": np.repeat([f"s{i}" for i in range(n_series)], length),
        "ds": np.tile(pd.date_range("2024-01-01", periods=length, freq="h"), n_series),
        "y": np.concatenate([10 + 3 * np.sin(2 * np.pi * t / 17 + i) + 0.5 * rng.normal(size=length)
                             for i in range(n_series)]),
    })


def tuned(df, **params):
    kw = dict(fine_tune="head", fine_tune_steps=30, fine_tune_batch_size=16, learning_rate=3e-3,
              fine_tune_validation=120, random_state=0)
    return ZeroShotForecaster(**{**kw, **params}).fit(df)


def test_the_best_weights_are_kept_not_the_last():
    df = odd_period_frame()
    est = tuned(df, learning_rate=1e-2, fine_tune_patience=None)  # a high rate: the loss is lowest mid-way
    report = est.fine_tune_report_
    losses = [loss for _, loss in report["evaluations"]]
    assert report["steps_run"] == 30 and not report["stopped_early"] and not report["kept_zero_shot"]
    assert 0 < report["best_step"] < 30
    assert report["best_loss"] == min(losses) < 0.5 * report["zero_shot_loss"]
    assert losses[-1] > report["best_loss"] * 1.2  # the last weights were clearly worse ...
    # ... and the fitted model scores the best loss on the held-out windows, recomputed from scratch
    panel = Panel.from_data(df)
    valid = sliding_windows(panel, 512, 96, min_context=8, within_last=120)
    assert len(valid.past) == report["validation_windows"] == 2 * (120 - 96 + 1)
    final = held_out_loss(est.model_, channel_pairs(valid, 512))
    assert final == pytest.approx(report["best_loss"], rel=1e-5)


def test_patience_stops_early():
    est = tuned(odd_period_frame(), learning_rate=1e-2, fine_tune_patience=2, fine_tune_steps=40)
    report = est.fine_tune_report_
    assert report["stopped_early"] and report["steps_run"] < 40 == est.fine_tune_steps
    assert len(est.fit_history_) == report["steps_run"] == report["evaluations"][-1][0]
    best = [i for i, (step, _) in enumerate(report["evaluations"]) if step == report["best_step"]][0]
    assert len(report["evaluations"]) - 1 - best == 2  # two checks without improvement, then stop


def test_zero_shot_is_kept_with_a_warning_when_tuning_does_not_help():
    df = odd_period_frame()
    base = ZeroShotForecaster().fit(df)
    kept = r"did not lower the validation loss: zero-shot \d.*zero-shot weights are kept"
    with pytest.warns(UserWarning, match=kept):
        est = tuned(df, learning_rate=1.0, fine_tune_steps=5)  # an absurd learning rate: every step is worse
    report = est.fine_tune_report_
    assert report["kept_zero_shot"] and report["best_step"] == 0
    assert report["best_loss"] == report["zero_shot_loss"] < min(loss for _, loss in report["evaluations"][1:])
    zero_shot = base.model_.state_dict()
    assert all(torch.equal(v, zero_shot[k]) for k, v in est.model_.state_dict().items())
    pd.testing.assert_frame_equal(est.predict(24), base.predict(24))


def test_report_is_consistent_and_survives_save_and_load(tmp_path):
    df = odd_period_frame(length=250)
    assert ZeroShotForecaster().fit(df).fine_tune_report_ is None  # no fine-tuning, no report
    est = tuned(df, fine_tune_validation=0.1, fine_tune_steps=10)  # 10 % of 250 = 25 points, raised to h = 96
    report = est.fine_tune_report_
    assert set(report) == REPORT_KEYS
    assert report["validation_points"] == 96 and report["validation_windows"] == 2  # one window per series
    assert report["steps_run"] == len(est.fit_history_) == 10
    assert [step for step, _ in report["evaluations"]] == [0, 5, 10]  # zero-shot, then every 5 steps
    assert report["evaluations"][0] == [0, report["zero_shot_loss"]]
    assert report["best_loss"] == min(loss for _, loss in report["evaluations"])
    assert report["kept_zero_shot"] == (report["best_step"] == 0)
    est.save(tmp_path / "tuned")
    assert ZeroShotForecaster.load(tmp_path / "tuned").fine_tune_report_ == report


def test_same_random_state_same_weights():
    df = odd_period_frame()
    a, b = tuned(df, fine_tune_steps=10), tuned(df, fine_tune_steps=10)
    c = tuned(df, fine_tune_steps=10, random_state=1)
    assert a.fine_tune_report_ == b.fine_tune_report_ and a.fit_history_ == b.fit_history_
    sa, sb, sc = (e.model_.state_dict() for e in (a, b, c))
    assert all(torch.equal(v, sb[k]) for k, v in sa.items())
    assert not a.fine_tune_report_["kept_zero_shot"]
    assert any(not torch.equal(v, sc[k]) for k, v in sa.items())


@pytest.mark.parametrize("params", [
    dict(fine_tune_validation=0), dict(fine_tune_validation=1.0), dict(fine_tune_validation=-0.2),
    dict(fine_tune_validation=True), dict(fine_tune_validation="10"), dict(fine_tune_patience=0),
    dict(fine_tune_patience=2.5), dict(fine_tune_patience=False),
])
def test_bad_validation_settings_are_refused_before_training(params, monkeypatch):
    import tsheads.training

    def no_training(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(tsheads.training, "_train_steps", no_training)
    with pytest.raises(TsheadsError, match=next(iter(params))):
        ZeroShotForecaster(fine_tune="head", fine_tune_steps=1, **params).fit(odd_period_frame(n_series=1, length=120))


def test_too_short_series_train_without_validation_and_say_so():
    df = odd_period_frame(n_series=1, length=60)  # horizon 30; holding out 30 leaves no 8 + 30 point training window
    with pytest.warns(UserWarning, match="without a validation split"):
        est = tuned(df, fine_tune_validation=0.1, fine_tune_steps=3)
    report = est.fine_tune_report_
    assert report["validation_points"] == 0 and report["zero_shot_loss"] is None and report["evaluations"] == []
    assert report["steps_run"] == len(est.fit_history_) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # switched off on purpose: no warning
        off = tuned(df, fine_tune_validation=None, fine_tune_steps=3)
    assert off.fit_history_ == est.fit_history_  # the same training as before this option existed
