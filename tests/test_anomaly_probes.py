"""Probe copies: anomalies planted in copies of the fit data weigh the heads under ``combine="probe"``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tsheads.errors import WeightsError
from tsheads.estimators.anomaly import TriangulationDetector
from tsheads.scoring.combine import reference_rank_mean
from tsheads.scoring.probes import MIN_PROBE_LENGTH, probe_copies, separation


def cyclic(n, period=48, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return np.sin(2 * np.pi * t / period) + 0.5 * np.sin(4 * np.pi * t / period) + 0.05 * rng.standard_normal(n)


def test_copies_plant_labelled_anomalies_deterministically_and_leave_the_rest():
    x = np.stack([cyclic(1600), cyclic(1600, seed=1)])
    observed = np.ones_like(x, dtype=bool)
    observed[1, 100:150] = False
    copies = probe_copies(x, observed, 48, 3, seed=7)
    again = probe_copies(x, observed, 48, 3, seed=7)
    assert len(copies) == 3
    for (y, labels), (y2, labels2) in zip(copies, again):
        np.testing.assert_array_equal(y, y2)
        np.testing.assert_array_equal(labels, labels2)
        changed = (np.abs(y - x) > 0).any(axis=0)
        assert labels.any() and not labels.all() and changed.any()
        assert not (changed & ~labels & observed.all(axis=0)).any()  # every observed change is labelled
        assert not labels[~observed.any(axis=0)].any()
    assert not np.array_equal(copies[0][0], probe_copies(x, observed, 48, 1, seed=8)[0][0])
    assert probe_copies(x[:, :MIN_PROBE_LENGTH - 1], observed[:, :MIN_PROBE_LENGTH - 1], None, 2, 0) == []


def test_weighted_rank_mean_and_separation():
    scores = np.array([[[0.0, 1.0, 2.0]], [[2.0, 1.0, 0.0]]])  # (H=2, C=1, T=3)
    reference = np.sort(np.random.default_rng(0).normal(size=(2, 1, 64)), axis=-1)
    equal = reference_rank_mean(scores, reference)
    np.testing.assert_allclose(reference_rank_mean(scores, reference, weights=[1.0, 1.0]), equal)
    first = reference_rank_mean(scores, reference, weights=[1.0, 0.0])
    np.testing.assert_allclose(first, reference_rank_mean(scores[:1], reference[:1]))
    labels = np.array([0, 0, 1, 1, 0], dtype=bool)
    assert separation(labels, np.array([0.0, 0.1, 0.9, 0.8, 0.2])) == pytest.approx(1.0)
    assert separation(labels, np.array([0.9, 0.8, 0.1, 0.0, 0.2])) < 0.5


def test_probe_quality_follows_what_each_head_can_see(tmp_path):
    """On a clean cycle the cycle head finds planted anomalies best; on a random walk (no cycle, the head is
    flat) it finds them worst, and ``probe`` then barely listens to it."""
    y = cyclic(2400)
    y[1800:1848] = y[1800:1848].mean()  # a flattened cycle
    dets = {rule: TriangulationDetector(combine=rule, heads=("time", "forecast", "cycle")).fit(y[:1200])
            for rule in ("auto", "probe")}
    quality = dets["probe"].probe_quality_
    assert set(quality) == {"time", "forecast", "cycle"} and all(0.0 <= v <= 1.0 for v in quality.values())
    assert quality["cycle"] == max(quality.values())
    for det in dets.values():
        s = det.decision_function(y)
        assert np.mean(np.r_[s[1200:1750], s[1900:]] >= np.median(s[1800:1848])) < 0.02
    walk = np.random.default_rng(3).standard_normal(1200).cumsum()
    flat_cycle = TriangulationDetector(combine="probe", heads=("time", "forecast", "cycle")).fit(walk)
    assert flat_cycle.cycle_period_ is None
    walk_quality = flat_cycle.probe_quality_
    assert walk_quality["cycle"] < 0.5 * min(walk_quality["time"], walk_quality["forecast"])
    det = dets["probe"]
    det.save(tmp_path / "det")
    back = TriangulationDetector.load(tmp_path / "det")
    assert back.probe_quality_ == pytest.approx(quality, rel=1e-12)
    np.testing.assert_allclose(back.decision_function(y), det.decision_function(y), rtol=1e-12, atol=0)
    again = TriangulationDetector(combine="probe", heads=("time", "forecast", "cycle")).fit(y[:1200])
    assert again.probe_quality_ == pytest.approx(quality, rel=1e-12)  # deterministic without a random_state
    saved = json.loads((tmp_path / "det.json").read_text())
    saved["meta"]["state"]["probe_quality"]["time"] = 1.5
    (tmp_path / "det.json").write_text(json.dumps(saved))
    with pytest.raises(WeightsError, match="probe_quality"):
        TriangulationDetector.load(tmp_path / "det")
    del saved["meta"]["state"]["probe_quality"]  # a probe detector fitted on enough data needs its weights
    (tmp_path / "det.json").write_text(json.dumps(saved))
    with pytest.raises(WeightsError, match="probe_quality"):
        TriangulationDetector.load(tmp_path / "det")


def test_probe_rule_on_fit_data_too_short_for_a_copy_weighs_heads_as_auto_does():
    y = cyclic(120, period=12)
    det = TriangulationDetector(combine="probe").fit(y[:MIN_PROBE_LENGTH - 4])
    assert det.probe_quality_ is None
    auto = TriangulationDetector(combine="auto").fit(y[:MIN_PROBE_LENGTH - 4])
    np.testing.assert_allclose(det.decision_function(y), auto.decision_function(y), rtol=1e-12, atol=1e-12)


def test_fit_data_grown_a_little_keeps_its_planted_anomalies():
    """Slots start from the series' first point and each has its own seed: 1 % more fit data plants the same
    anomalies in the shared part, so the head weights (and the flags) do not jump."""
    x = cyclic(1800)[None]
    observed = np.ones_like(x, dtype=bool)
    short = probe_copies(x[:, :1500], observed[:, :1500], 48, 2, seed=0)
    longer = probe_copies(x[:, :1515], observed[:, :1515], 48, 2, seed=0)
    for (a, la), (b, lb) in zip(short, longer):
        np.testing.assert_array_equal(a, b[:, :1500])
        np.testing.assert_array_equal(la, lb[:1500])


def test_nothing_is_planted_on_or_read_from_unobserved_points():
    x = (5 + np.sin(np.arange(1200) / 9.0))[None]
    observed = np.ones_like(x, dtype=bool)
    observed[0, 50:1150:3] = False
    filled = np.where(observed, x, 0.0)
    for seed in range(40):
        for y, labels in probe_copies(filled, observed, 60, 1, seed=seed):
            changed = (y != filled)[0]
            assert not changed[~observed[0]].any() and not (y[0][observed[0]] == 0.0).any()
            assert not labels[~observed[0]].any()
            assert changed.any() == labels.any()


def test_forecast_history_leaves_a_detector_without_a_forecast_head_alone():
    y = cyclic(700, period=24)
    scores = [TriangulationDetector(heads=("embedding",), forecast_history=fh).fit(y[:400]).decision_function(y)
              for fh in (None, 64)]
    np.testing.assert_allclose(*scores, rtol=1e-12, atol=1e-12)
