"""The cycle head (whole cycles against the fit data's cycles) and the Fisher combination rule."""

from __future__ import annotations

import numpy as np
import pytest

from tsheads.errors import TsheadsError, WeightsError
from tsheads.estimators.anomaly import TriangulationDetector
from tsheads.scoring.combine import reference_levels, reference_rank_mean, reference_tail_evidence
from tsheads.scoring.cycles import fit_period

PERIOD = 96


def cyclic(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    phase = 2 * np.pi * np.arange(n) / PERIOD
    return np.sin(phase) + 0.5 * np.sin(2 * phase + 1.0) + 0.1 * rng.standard_normal(n)


def flattened(y, cycle=20):
    y = y.copy()
    s = cycle * PERIOD
    y[s:s + PERIOD] = y[s:s + PERIOD].mean()
    return y, slice(s, s + PERIOD)


def test_a_flattened_cycle_stands_out_in_the_cycle_head_only_it_sees_whole_cycles():
    y, anomaly = flattened(cyclic())
    det = TriangulationDetector(heads=("time", "cycle"), combine="fisher").fit(y[:600])
    assert abs(det.cycle_period_ - PERIOD) <= 2
    heads = det.score_heads(y)
    normal = heads["cycle"].to_numpy()[600:anomaly.start - PERIOD]
    assert heads["cycle"].to_numpy()[anomaly].max() > 10 * np.quantile(normal, 0.99)
    flags = det.predict(y)
    assert flags[anomaly].mean() > 0.5


def test_season_length_wins_and_a_fit_part_shorter_than_two_cycles_leaves_the_head_flat():
    y = cyclic(1000)
    assert TriangulationDetector(heads=("cycle",), season_length=48).fit(y[:600]).cycle_period_ == 48
    short = TriangulationDetector(heads=("cycle",)).fit(y[:150])  # fewer than two 96-point cycles
    assert short.cycle_period_ is None
    assert np.ptp(short.score_heads(y)["cycle"].to_numpy()) < 1e-12
    assert fit_period(np.zeros((1, 500)), np.ones((1, 500), dtype=bool)) is None  # no cycle in a constant
    for bad in (0, 3):
        with pytest.raises(TsheadsError, match="season_length"):
            TriangulationDetector(heads=("cycle",), season_length=bad).fit(y)


def test_cycle_head_saves_streams_and_tolerates_gaps(tmp_path):
    """Two channels with gaps: save/load scores identically (also with the tie-sensitive ``fisher`` rule), and
    a stream equals the whole series' scores even across a gap longer than the stream's memory."""
    y, _ = flattened(cyclic(3200), cycle=15)
    y2 = np.stack([y, cyclic(3200, seed=1)], axis=1)
    y2[700:720, 0] = np.nan
    y2[1500:2300, 1] = np.nan  # longer than the stream keeps
    det = TriangulationDetector(heads=("fft", "cycle"), combine="fisher").fit(y2[:800])
    scores = det.decision_function(y2)
    assert np.isfinite(scores).all()
    det.save(tmp_path / "m")
    loaded = TriangulationDetector.load(tmp_path / "m")
    assert loaded.cycle_period_ == det.cycle_period_
    np.testing.assert_allclose(loaded.decision_function(y2), scores, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(loaded.decision_function(y2[:800]), det.decision_scores_, rtol=1e-9, atol=1e-12)
    stream = det.stream(y2[:1200])
    for end in range(1300, 3201, 100):
        np.testing.assert_allclose(stream.update(y2[end - 100:end]), det.decision_function(y2[:end])[-100:],
                                   rtol=1e-9, atol=1e-9)
    from safetensors.numpy import load_file, save_file

    bank_file = tmp_path / "m.bank.safetensors"
    tensors = load_file(str(bank_file))
    tensors["cycle_bank"] = tensors["cycle_bank"][:, :, :-1]  # entries one point short of the period
    save_file(tensors, str(bank_file))
    with pytest.raises(WeightsError, match="cycle_bank"):
        TriangulationDetector.load(tmp_path / "m")


def test_new_data_is_scored_alike_wherever_it_starts_against_the_fit_cycles():
    """The fit data's cycles start at every point, so normal data that does not start a whole number of
    strides after the fit data is not mistaken for shifted cycles (before: 100 % flagged 3 points off)."""
    y = cyclic(7000)
    det = TriangulationDetector(heads=("cycle",), contamination=0.1).fit(y[:3024])
    shares = [det.predict(y[start:start + 3000]).mean() for start in (3024, 3027, 3040)]
    assert max(shares) - min(shares) < 0.05 and max(shares) < 0.2, shares


def test_two_to_three_fit_cycles_and_a_short_scored_series_are_handled():
    """Fit on 2.2 cycles: cycles that overlap every other fit cycle are unscored (they scored 0 and collapsed
    the calibration: 100 % of the rest flagged); a scored series shorter than a cycle is not a flat cycle."""
    y = cyclic(3000)
    det = TriangulationDetector(contamination=0.1).fit(y[:211])
    assert det.cycle_period_ is not None and det.predict(y)[211:].mean() < 0.1
    det = TriangulationDetector(heads=("cycle",)).fit(y[:960])
    assert det.cycle_period_ is not None
    inside = det.score_heads(y[:1200])["cycle"].to_numpy()[1100:1120]
    alone = det.score_heads(y[1100:1120])["cycle"].to_numpy()  # shorter than a cycle: nothing to compare
    assert np.isfinite(alone).all() and np.median(alone) <= np.quantile(inside, 0.99) + 1.0


def test_files_saved_before_the_smoothing_width_was_kept_score_as_they_did(tmp_path):
    import json

    y = cyclic(400)
    det = TriangulationDetector(heads=("time",)).fit(y[:120])
    assert det.smoothing_width_ == 15
    det.save(tmp_path / "m")
    meta_file = tmp_path / "m.json"
    meta = json.loads(meta_file.read_text())
    del meta["meta"]["state"]["smoothing_width"]
    text = json.dumps(meta)
    assert "smoothing_width" not in text
    meta_file.write_text(text)
    assert TriangulationDetector.load(tmp_path / "m")._smoothing() == 32  # the old rule: min(32, fit length // 2)


def test_fisher_rule_lets_one_head_far_beyond_the_fit_data_outweigh_the_others():
    rng = np.random.default_rng(0)
    fit = rng.standard_normal((3, 1, 400))
    reference = reference_levels(fit)
    # point 0: high in every head (90th percentile); point 1: ordinary in two heads, far beyond the fit in one
    scored = np.array([[[1.3, 0.0]], [[1.3, 0.0]], [[1.3, 8.0]]])
    fisher = reference_tail_evidence(scored, reference)[0]
    ranks = reference_rank_mean(scored, reference)[0]
    assert fisher[1] > fisher[0] and ranks[1] < ranks[0]
    # monotone in every head's score
    higher = scored.copy()
    higher[1, 0, 0] += 0.5
    assert reference_tail_evidence(higher, reference)[0, 0] > fisher[0]


def test_a_power_mean_of_ranks_moves_from_the_mean_toward_the_largest_head():
    rng = np.random.default_rng(0)
    fit = rng.standard_normal((3, 1, 400))
    reference = reference_levels(fit)
    scored = rng.standard_normal((3, 1, 50))
    scored[0, 0, 10] = 8.0  # one head alone sees point 10
    mean = reference_rank_mean(scored, reference)
    np.testing.assert_allclose(reference_rank_mean(scored, reference, power=1.0), mean, rtol=0, atol=0)
    high = reference_rank_mean(scored, reference, power=8.0)
    top = reference_rank_mean(scored[:1], reference[:1])  # the head that sees it
    assert (high >= mean - 1e-12).all()  # a power mean is never below the arithmetic mean
    assert (high <= np.maximum.reduce([reference_rank_mean(scored[i:i + 1], reference[i:i + 1])
                                       for i in range(3)]) + 1e-12).all()  # nor above the largest part
    assert high[0, 10] - mean[0, 10] > 0.5 * (top[0, 10] - mean[0, 10])


@pytest.mark.parametrize("power", [0.5, 65, float("nan"), "2", True])
def test_power_must_be_a_number_from_one_to_the_bound(power):
    with pytest.raises(TsheadsError, match="power must be a number"):
        TriangulationDetector(power=power).fit(np.sin(np.arange(300) / 5))


def test_a_counted_reference_scales_its_ranks_by_k_over_k_plus_one():
    rng = np.random.default_rng(0)
    reference = np.repeat(reference_levels(rng.standard_normal((1, 1, 400))), 2, axis=0)  # two alike heads
    scored = np.array([[[-9.0, 0.0, 9.0]], [[-9.0, 0.0, 9.0]]])
    plain = reference_rank_mean(scored, reference)
    counted = reference_rank_mean(scored, reference, sizes=[[np.inf], [3.0]])
    # the tail term beyond the largest fit score is scaled too: one head of three fit cycles counts 3/4
    np.testing.assert_allclose(counted, plain * (1.0 + 0.75) / 2, rtol=1e-12)
    assert plain[0, 2] > 1.0 and counted[0, 2] < plain[0, 2]
    with pytest.raises(ValueError, match="sizes must be counts"):
        reference_rank_mean(scored, reference, sizes=[3.0, 3.0])  # one per head and channel
    with pytest.raises(ValueError, match="sizes must be counts"):
        reference_rank_mean(scored, reference, sizes=[[0.0], [3.0]])


def test_independent_cycles_counts_scored_cycles_a_period_apart():
    from tsheads.scoring.cycles import independent_cycles

    starts = np.array([0, 6, 12, 18, 96, 102, 108, 114, 200])
    d = np.ones((9, 2))
    d[4:, 1] = np.nan  # the second channel scored only its first four
    assert independent_cycles(starts, d, 96) == [3, 1]  # 0, 96 and 200; 0 only


@pytest.fixture
def counting(monkeypatch):
    import tsheads.estimators.anomaly as anomaly_module

    monkeypatch.setattr(anomaly_module, "COUNT_FIT_CYCLES", True)


def test_the_fit_cycles_are_counted_saved_and_checked_on_load(tmp_path, counting):
    import json

    from tsheads.scoring.cycles import cycles, independent_cycles, nearest_rms

    y = cyclic(3000)
    det = TriangulationDetector(contamination=0.1).fit(y[:211])
    starts, windows = cycles(y[None, :211], np.ones((1, 211), bool), PERIOD)
    d = nearest_rms(windows, det.cycle_bank_, (starts, det.cycle_bank_starts_, PERIOD))
    assert det.cycle_fit_cycles_ == independent_cycles(starts, d, PERIOD) == [2]  # 2.2 cycles: two that do not overlap
    assert det.cycle_count_ranks_ and det._reference_sizes(list(det._heads())) is not None
    det.save(tmp_path / "m")
    back = TriangulationDetector.load(tmp_path / "m")
    assert back.cycle_fit_cycles_ == [2] and back.cycle_count_ranks_
    np.testing.assert_allclose(back.decision_function(y), det.decision_function(y), rtol=1e-9, atol=1e-12)
    meta_file = tmp_path / "m.json"
    meta = json.loads(meta_file.read_text())
    for key, bad in (("cycle_fit_cycles", [-1]), ("cycle_count_ranks", "yes")):
        broken = json.loads(json.dumps(meta))
        broken["meta"]["state"][key] = bad
        meta_file.write_text(json.dumps(broken))
        with pytest.raises(WeightsError, match=key):
            TriangulationDetector.load(tmp_path / "m")
    for key in ("cycle_fit_cycles", "cycle_count_ranks"):  # files saved before: ranks not scaled
        del meta["meta"]["state"][key]
    meta_file.write_text(json.dumps(meta))
    assert TriangulationDetector.load(tmp_path / "m")._reference_sizes(list(det._heads())) is None


def test_counting_the_fit_cycles_lowers_the_share_a_short_fit_flags_at_power_4(counting):
    """The case that kept power 4 from the default (power_choice): fit on 2.2 cycles, 72 % of the later clean
    points lie beyond the cycle head's largest fit score; with ranks unscaled, power 4 flagged 11.7 % of them.
    (Other clean short fits still flag more than the mean over heads does: ``evaluation.cycle_count_choice``.)"""
    y = cyclic(3000)
    det = TriangulationDetector(contamination=0.1, power=4.0).fit(y[:211])
    assert det.predict(y)[211:].mean() < 0.1


def test_a_channel_with_no_fit_cycle_scored_leaves_the_cycle_head_flat_there():
    """Gaps that leave no pair of fit cycles to compare in one channel would give its calibration no spread, and
    every later cycle there would score millions of units beyond it and be flagged."""
    y = cyclic(3000)
    x = np.stack([y, np.roll(y, 7)], axis=1)
    x[115:600, 1] = np.nan
    # the votes of when this bound was set (the cycle head at 1): at 2, two heads are nearly the cycle head alone,
    # whose reference on six fit cycles is narrow (12 % flagged); the default's six heads are checked below
    det = TriangulationDetector(heads=("time", "cycle"), contamination=0.02, votes={"time": 0.5}).fit(x[:600])
    assert det.cycle_fit_cycles_[0] > 2 and det.cycle_fit_cycles_[1] == 0
    scaled, observed = det._as_array(x, fitting=False)
    raw = det._cycle_deviations(scaled, observed, False, 0, det._begins_with_fit(scaled, observed))
    assert (raw[1] == 0).all() and np.isfinite(raw[0]).all() and raw[0].max() > 0  # flat where nothing was scored
    cycle = det.score_heads(x)["cycle"].to_numpy()
    assert np.isfinite(cycle).all() and np.quantile(cycle[600:], 0.5) < 2.0
    assert det.predict(x)[600:].mean() < 0.1  # it flagged every later point (contamination 0.02)
    assert TriangulationDetector(contamination=0.02).fit(x[:600]).predict(x)[600:].mean() < 0.1


@pytest.mark.parametrize("votes, match", [({"tme": 1.0}, "votes must map"), ({"time": -1.0}, "votes must map"),
                                          ({"time": float("nan")}, "votes must map"),
                                          ({"time": True}, "votes must map"), ([("time", 1.0)], "votes must map"),
                                          ({"time": 0.0, "fft": 0}, "at least one of the heads")])
def test_votes_must_weigh_known_heads_with_non_negative_numbers(votes, match):
    with pytest.raises(TsheadsError, match=match):
        TriangulationDetector(heads=("time", "fft"), votes=votes).fit(np.sin(np.arange(300) / 5))


def test_votes_weigh_the_auto_mean_are_fixed_at_fit_and_saved(tmp_path):
    import json

    y = cyclic(1200)
    y[900:910] += 2.0
    equal = TriangulationDetector(heads=("time", "fft", "cycle"), votes={}).fit(y[:600])
    det = TriangulationDetector(heads=("time", "fft", "cycle"), votes={"time": 0.5, "fft": 0.5}).fit(y[:600])
    assert det.votes_ == {"time": 0.5, "fft": 0.5, "cycle": 1.0}
    heads = det.score_heads(y).to_numpy().T[:, None, :]  # (H, 1, T): one channel
    combined = reference_rank_mean(heads, det.head_reference_, weights=[0.5, 0.5, 1.0], power=det.power_)[0]
    expected = det.channel_calibration_(combined[None])[0]  # one channel: its calibration, then the max
    np.testing.assert_allclose(det.decision_function(y), expected, rtol=1e-9, atol=1e-12)
    assert not np.allclose(det.decision_function(y), equal.decision_function(y))
    det.set_params(votes={"cycle": 5.0})  # the threshold was set with the votes of the fit
    np.testing.assert_allclose(det.decision_function(y), expected, rtol=1e-9, atol=1e-12)
    det.save(tmp_path / "d")
    back = TriangulationDetector.load(tmp_path / "d")
    assert back.votes_ == {"time": 0.5, "fft": 0.5, "cycle": 1.0}
    np.testing.assert_allclose(back.decision_function(y), expected, rtol=1e-9, atol=1e-12)
    meta_file = tmp_path / "d.json"
    meta = json.loads(meta_file.read_text())
    meta["meta"]["state"]["votes"] = {"time": 1.0}
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(WeightsError, match="saved votes"):
        TriangulationDetector.load(tmp_path / "d")
    del meta["meta"]["state"]["votes"], meta["meta"]["params"]["votes"]  # saved before votes: heads alike
    meta_file.write_text(json.dumps(meta))
    old = TriangulationDetector.load(tmp_path / "d")
    assert old.votes_ is None and old.get_params()["votes"] == {}


def test_level_free_cycle_distance_is_the_shape_distance_with_each_pairs_mean_difference_out():
    from tsheads.scoring.cycles import nearest_rms

    rng = np.random.default_rng(3)
    windows, bank = rng.standard_normal((5, 1, 12)), rng.standard_normal((7, 1, 12))
    windows[1, 0, :3] = np.nan  # a partial cycle: the shared points only
    bank[2, 0, 5] = np.nan
    got = nearest_rms(windows, bank, level_free=True)
    for i in range(5):
        best = np.inf
        for j in range(7):
            both = np.isfinite(windows[i, 0]) & np.isfinite(bank[j, 0])
            d = windows[i, 0, both] - bank[j, 0, both]
            best = min(best, np.sqrt(np.mean((d - d.mean()) ** 2)))
        assert abs(got[i, 0] - best) < 1e-9
    shifted = windows + 5.0  # a level moved by 5: no deviation of shape
    np.testing.assert_allclose(nearest_rms(shifted, bank, level_free=True), got, atol=1e-9)
    assert (nearest_rms(shifted, bank) > got + 1.0).all()


def test_a_level_free_cycle_head_is_saved_and_ignores_a_slow_drift(tmp_path, monkeypatch):
    import tsheads.estimators.anomaly as anomaly_module

    still = cyclic(2400)
    y = still + np.linspace(0.0, 3.0, 2400)  # the level drifts by three amplitudes
    monkeypatch.setattr(anomaly_module, "LEVEL_FREE_CYCLES", False)
    plain = TriangulationDetector(heads=("cycle",)).fit(y[:600])
    undrifted = TriangulationDetector(heads=("cycle",)).fit(still[:600]).predict(still)[600:].mean()
    monkeypatch.setattr(anomaly_module, "LEVEL_FREE_CYCLES", True)
    free = TriangulationDetector(heads=("cycle",)).fit(y[:600])
    assert free.cycle_level_free_ and not plain.cycle_level_free_
    assert plain.predict(y)[600:].mean() > 0.9  # every later cycle lies above the fit data's levels
    assert abs(free.predict(y)[600:].mean() - undrifted) < 0.03  # as if there were no drift
    free.save(tmp_path / "f")
    back = TriangulationDetector.load(tmp_path / "f")
    assert back.cycle_level_free_
    np.testing.assert_allclose(back.decision_function(y), free.decision_function(y), rtol=1e-9, atol=1e-12)
