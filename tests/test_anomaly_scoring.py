"""The array pieces behind the detectors (masks, smoothing, calibration, head weights, windows) and the
classical baseline detectors."""

from __future__ import annotations

import numpy as np
import pytest

from tsheads.errors import NonFiniteError
from tsheads.estimators.anomaly import TriangulationDetector
from tsheads.estimators.anomaly_baselines import (
    MatrixProfileDetector,
    STLResidualDetector,
    SubPCADetector,
    WindowIForestDetector,
)
from tsheads.scoring.combine import (
    Calibration,
    agreement_weights,
    combine,
    fill_undefined,
    moving_average,
    rank_mean,
)
from tsheads.scoring.heads import central_points, nearest_distances, patch_masks, window_starts, windows_to_points
from tsheads.scoring.windows import dominant_period, spread_to_points, subsequences


@pytest.mark.parametrize("layout", ["spread", "block"])
def test_patch_masks_hide_every_point_exactly_once(layout):
    m = patch_masks(512, 16, 4, layout)
    assert m.shape == (4, 512)
    np.testing.assert_array_equal(m.sum(0), 1)
    assert (m.sum(1) == 128).all()
    runs = np.flatnonzero(np.diff(m[0].astype(int)) != 0)
    assert len(runs) == (1 if layout == "block" else 15)  # block: one contiguous run from the start


def test_window_starts_cover_the_series():
    for length, window, stride in [(1000, 512, 256), (512, 512, 256), (300, 512, 256), (2049, 512, 100)]:
        s = window_starts(length, window, stride)
        covered = np.zeros(length, bool)
        for a in s:
            covered[max(a, 0):a + window] = True
        assert covered.all() and s[-1] + window == length


def test_central_points_give_every_point_one_window_nearest_its_centre():
    owner, starts = np.array([0, 0, 0, 1]), np.array([0, 256, 488, -12])
    own = central_points(owner, starts, 512)
    counts = {0: np.zeros(1000, int), 1: np.zeros(500, int)}
    for o, a, row in zip(owner, starts, own):
        pos = a + np.flatnonzero(row)
        assert (pos >= a).all() and (pos < a + 512).all()
        np.add.at(counts[o], pos[pos >= 0], 1)
    assert (counts[0] == 1).all() and (counts[1] == 1).all()  # series 1's single window owns all of it
    # boundaries halfway between centres (256, 512, 744): 384 and 628, a tie going to the earlier window
    assert starts[0] + np.flatnonzero(own[0]).max() == 384 and starts[1] + np.flatnonzero(own[1]).max() == 628


def test_fit_points_are_rebuilt_alike_in_the_fit_part_and_the_whole_series():
    """Most fit points keep their reconstruction when the series grows (the flag-stability fix)."""
    from tsheads.estimators.anomaly import TriangulationDetector

    t = np.arange(1000)
    y = np.sin(2 * np.pi * t / 37) + 0.2 * np.random.default_rng(0).standard_normal(1000)
    det = TriangulationDetector(heads=("time",), smoothing=1).fit(y[:600])
    fit, whole = det.score_heads(y[:600])["time"].to_numpy(), det.score_heads(y)["time"].to_numpy()[:600]
    # fit windows start at 0 and 88 (centres 256, 344), the whole series' at 0, 256, 488: points up to
    # 300 come from the first window in both
    np.testing.assert_allclose(fit[:300], whole[:300], rtol=1e-6, atol=1e-9)


def test_moving_average_ignores_nan_and_keeps_length():
    s = np.array([1.0, np.nan, 3.0, 5.0, np.nan, np.nan, np.nan, 2.0])
    out = moving_average(s, 3)
    assert out.shape == s.shape
    assert out[1] == pytest.approx(2.0) and np.isnan(out[5])
    np.testing.assert_allclose(moving_average(s, 1)[[0, 2]], [1.0, 3.0])
    filled = fill_undefined(out[None])[0]
    assert np.isfinite(filled).all()


def test_calibration_maps_median_to_zero_and_tail_to_one():
    s = np.random.default_rng(0).exponential(size=(2, 5000))
    cal = Calibration.fit(s)
    z = cal(s)
    np.testing.assert_allclose(np.median(z, axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(np.quantile(z, 0.99, axis=1), 1, atol=1e-9)
    flat = Calibration.fit(np.zeros((1, 100)))
    assert np.isfinite(flat(np.ones((1, 3)))).all()


def test_agreement_weights_favour_heads_that_agree():
    rng = np.random.default_rng(0)
    signal = np.zeros(1000)
    signal[400:420] = 5
    agreeing = [signal + 0.3 * rng.standard_normal(1000) for _ in range(2)]
    noise = rng.standard_normal(1000)
    w = agreement_weights(np.stack([*agreeing, noise]))
    assert w.sum() == pytest.approx(1) and w[2] < w[0] and w[2] < w[1]
    np.testing.assert_allclose(agreement_weights(np.ones((1, 5))), [1.0])
    stacked = np.stack([signal, noise])
    np.testing.assert_allclose(combine(stacked, "weighted", [1, 0]), signal)
    np.testing.assert_allclose(combine(stacked, "max"), np.maximum(signal, noise))


def test_rank_mean_lets_no_head_dominate():
    calm = np.array([[0.0, 1, 2, 3], [0.0, 1, 2, 3]])
    loud = np.array([[0.0, 1, 2, 3], [0.0, 100, 2, 1]])  # one head screams at step 1
    np.testing.assert_allclose(rank_mean(calm), [0, 1 / 3, 2 / 3, 1])
    r = rank_mean(loud)
    assert r.argmax() in (1, 2) and 0 <= r.min() and r.max() <= 1
    np.testing.assert_allclose(combine(loud, "rank"), r)


def test_embedding_distances_and_window_spreading():
    rng = np.random.default_rng(0)
    bank = rng.standard_normal((5, 1, 8))
    bank /= np.linalg.norm(bank, axis=-1, keepdims=True)
    d = nearest_distances(bank, bank)
    np.testing.assert_allclose(d, 0, atol=1e-6)  # every entry finds itself
    starts = np.arange(5) * 4
    apart = nearest_distances(bank, bank, overlap=(starts, starts, 8))  # neighbours within 8 steps ignored
    assert (apart > 0.1).all()
    pts = windows_to_points(np.array([-2, 3]), np.array([[1.0], [3.0]]), 8, 4)
    np.testing.assert_allclose(pts[0], [1, 1, np.nan, 3, 3, 3, 3, np.nan])


def test_window_helpers():
    x = np.arange(10.0)[None]
    sub = subsequences(x, 4)
    assert sub.shape == (7, 4) and (sub[2] == [2, 3, 4, 5]).all()
    points = spread_to_points(np.array([0.0, 0, 6, 0, 0, 0, 0]), 10, 4)
    assert points.shape == (10,) and points[2:6].min() > 0
    np.testing.assert_allclose(points[[0, 9]], 0.0, atol=1e-12)
    t = np.arange(2000)
    assert dominant_period(np.sin(2 * np.pi * t / 48)) == 48
    assert dominant_period(np.random.default_rng(0).standard_normal(2000)) is None


def spiky_series():
    rng = np.random.default_rng(1)
    t = np.arange(3000)
    x = np.sin(2 * np.pi * t / 50) + 0.1 * rng.standard_normal(3000)
    x[2000:2010] += 3.0
    return x


@pytest.mark.parametrize("make", [SubPCADetector, lambda: WindowIForestDetector(random_state=0),
                                  MatrixProfileDetector, STLResidualDetector])
def test_baselines_find_a_burst_and_follow_the_contract(make):
    x = spiky_series()
    det = make().fit(x[:1000])
    s = det.decision_function(x)
    assert s.shape == x.shape and np.isfinite(s).all()
    assert s[2000:2010].max() > np.quantile(s[1000:1900], 0.99)
    assert set(np.unique(det.predict(x))) <= {0, 1}
    with pytest.raises(NonFiniteError, match="NaN"):
        det.decision_function(np.r_[x[:500], np.nan])


def test_baselines_on_constant_and_aperiodic_series():
    flat = np.full(400, 3.0)
    for det in (SubPCADetector(), MatrixProfileDetector(window=16), STLResidualDetector()):
        assert np.isfinite(det.fit(flat).decision_function(flat)).all()
    walk = np.random.default_rng(0).standard_normal(600).cumsum()
    stl = STLResidualDetector().fit(walk)
    assert stl.period_ is None and np.isfinite(stl.decision_function(walk)).all()
    assert WindowIForestDetector(random_state=0).fit(walk).window_ == 32


@pytest.mark.parametrize("make, message", [(lambda: SubPCADetector(n_components=0), "n_components"),
                                           (lambda: SubPCADetector(n_components=True), "n_components"),
                                           (lambda: WindowIForestDetector(n_estimators=0), "n_estimators"),
                                           (lambda: WindowIForestDetector(random_state=-1), "random_state"),
                                           (lambda: MatrixProfileDetector(window=2), "window"),
                                           (lambda: STLResidualDetector(period=1), "period")])
def test_baseline_settings_are_checked(make, message):
    from tsheads.errors import TsheadsError

    with pytest.raises(TsheadsError, match=message):
        make().fit(spiky_series()[:500])


def test_baselines_survive_extreme_magnitudes():
    x = spiky_series()
    for make in (SubPCADetector, lambda: WindowIForestDetector(random_state=0), STLResidualDetector):
        unit = make().fit(x[:1000]).decision_function(x)
        for scale in (1e155, 1e-200):
            s = make().fit(scale * x[:1000]).decision_function(scale * x)
            assert np.isfinite(s).all()
            np.testing.assert_allclose(s, unit, rtol=1e-6, atol=1e-9)


def test_packed_series_give_each_series_its_own_windows():
    from tsheads.scoring.heads import Packed

    a, b = np.arange(5.0)[None], 10 + np.arange(3.0)[None]
    packed = Packed.of([a, b], [a > -1, b > -1])
    np.testing.assert_array_equal(packed.lengths, [5, 3])
    owner, starts = packed.rows(lambda t: np.arange(0, t, 2))
    np.testing.assert_array_equal(owner, [0, 0, 0, 1, 1])
    xw, ow, cols, inside = packed.gather(np.array([0, 1]), np.array([[3, 4, 5], [-1, 0, 2]]))
    np.testing.assert_allclose(xw[:, 0], [[3, 4, 0], [0, 10, 12]])  # beyond a series' end or start: unobserved
    np.testing.assert_array_equal(ow[:, 0], [[True, True, False], [False, True, True]])
    parts = packed.split(packed.x * 2)
    np.testing.assert_allclose(parts[1], 2 * b)


def test_embedding_ends_share_the_forecast_grid_and_cover_the_series():
    from tsheads.scoring.heads import MIN_HISTORY, embedding_ends

    ends = embedding_ends(300, 64, 16)
    grid = np.arange(MIN_HISTORY, 301, 16)
    # only grid ends (no off-grid first or last subsequence), every one that holds a whole subsequence
    np.testing.assert_array_equal(ends, grid[grid >= 64])
    assert ends[-1] > 300 - 16 and (np.diff(ends) == 16).all()
    np.testing.assert_array_equal(embedding_ends(70, 64, 16), [56])  # no whole one on the grid yet: padded, on it
    np.testing.assert_array_equal(embedding_ends(50, 64, 16), [50])  # shorter than a subsequence: one, padded


def test_subsequences_stay_on_the_grid_so_a_periodic_series_end_scores_like_its_middle():
    from tsheads.scoring.heads import grid_starts

    np.testing.assert_array_equal(grid_starts(300, 64, 16), np.arange(0, 237, 16))  # no end-aligned extra
    np.testing.assert_array_equal(grid_starts(50, 64, 16), [-14])  # shorter than a subsequence: one, padded
    # a clean periodic series whose length is off the grid: the last points' embedding scores stay in the
    # range of the rest and are not flagged (an end-aligned subsequence, out of phase with every bank entry,
    # scored 1.5 against a threshold of 0.98 here)
    t = np.arange(1000)
    y = np.sin(2 * np.pi * t / 48) + 0.05 * np.random.default_rng(0).standard_normal(1000)
    det = TriangulationDetector(heads=("embedding",), contamination=0.02).fit(y[:303])
    scores = det.decision_function(y)
    assert scores[-100:].max() <= max(scores[303:900].max(), det.threshold_)
    assert det.predict(y)[-100:].sum() == 0


@pytest.mark.parametrize("forecast_history", [None, 64])
def test_a_dense_bank_holds_every_scored_subsequence_at_its_phase(forecast_history):
    """The bank every 4 points is the scored grid made four times denser (both ways subsequences are embedded:
    in passes of their own, or as the forecast origins' histories), with the same embeddings where they meet."""
    from tsheads.pretrained import load_pretrained
    from tsheads.scoring.heads import EMBED_STRIDE, Packed, bank_embeddings, model_outputs

    model = load_pretrained()
    x = np.sin(np.arange(300) / 7.0)[None, :]
    packed = Packed.of([x], [np.ones_like(x, dtype=bool)])
    heads = ("forecast", "embedding")
    kw = {"forecast_history": forecast_history}
    scored_starts, scored = model_outputs(model, packed, heads, window=512, stride=256, horizon=16, **kw)[0][
        "embedding"]
    starts, bank = bank_embeddings(model, packed, heads, stride=4, **kw)[0]
    assert (np.diff(starts) == 4).all() and starts[-1] + 64 > 300 - 4
    at = np.searchsorted(starts, scored_starts)
    np.testing.assert_array_equal(starts[at], scored_starts)
    np.testing.assert_allclose(bank[at], scored, atol=1e-5)
    with pytest.raises(ValueError, match="divide"):
        bank_embeddings(model, packed, heads, stride=EMBED_STRIDE - 1, **kw)


def test_a_dense_bank_judges_later_clean_cycles_as_it_judges_the_fit_data():
    """Period 143 fit on 2.5 cycles: on the scored grid (every 16 points) fit subsequences a period apart are a
    point off each other's phase, later ones up to 8, so the embedding head put 71 % of this clean continuation
    above its fit 90 % quantile; with the bank every 4 points every phase has a bank entry within 2 points, and
    the share is 0 here (8 points: 7 %)."""
    from unittest.mock import patch

    import tsheads.estimators.anomaly as anomaly_module

    rng = np.random.default_rng(0)
    t = np.arange(1500)
    y = np.sin(2 * np.pi * t / 143) + 0.5 * np.sin(4 * np.pi * t / 143 + 1) + 0.05 * rng.standard_normal(len(t))
    n = int(2.5 * 143)
    shares = {}
    for stride in (16, 4):
        with patch.object(anomaly_module, "BANK_STRIDE", stride):
            det = TriangulationDetector(heads=("embedding",)).fit(y[:n])
        s = det.score_heads(y)["embedding"].to_numpy()
        shares[stride] = float((s[n:] > np.quantile(s[:n], 0.9)).mean())
    assert shares[4] <= 0.15 and shares[4] < shares[16], shares


def test_a_fit_whose_scored_shapes_all_overlap_keeps_the_embedding_head_flat_with_a_dense_bank():
    """Fit on 130 points with the subsequences on the forecast grid (``forecast_history=64``): the scored ones start
    at 8 to 56, so none has a bank entry it does not overlap, though the dense bank spans more than a subsequence;
    every fit distance was the largest (2), the calibration had no spread and later scores reached -1e9."""
    rng = np.random.default_rng(0)
    y = np.sin(2 * np.pi * np.arange(600) / 40) + 0.1 * rng.standard_normal(600)
    det = TriangulationDetector(forecast_history=64).fit(y[:130])
    assert np.abs(det.score_heads(y)["embedding"].to_numpy()).max() < 1e-12  # flat at 0 (it reached -1e9)


def test_detect_builds_the_banks_of_equal_fit_parts_in_one_pass(monkeypatch):
    import pandas as pd

    calls = []
    original = TriangulationDetector._bank_outputs

    def spy(self, xs, *args, **kwargs):
        calls.append(len(xs))
        return original(self, xs, *args, **kwargs)

    monkeypatch.setattr(TriangulationDetector, "_bank_outputs", spy)
    frame = pd.concat([pd.DataFrame({"unique_id": f"s{i}", "ds": np.arange(400), "y": np.sin(np.arange(400) / (3 + i))})
                       for i in range(3)])
    together = TriangulationDetector().detect(frame, fit_fraction=0.5)
    assert calls == [3]  # one pass for the three fit parts; none again in the series' own fits
    alone = TriangulationDetector().detect(frame[frame["unique_id"] == "s1"], fit_fraction=0.5)
    np.testing.assert_allclose(together[together["unique_id"] == "s1"]["anomaly_score"].to_numpy(),
                               alone["anomaly_score"].to_numpy(), rtol=1e-9, atol=1e-12)
