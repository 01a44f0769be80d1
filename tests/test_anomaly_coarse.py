"""The coarse head: the time head's rebuild of the series averaged over blocks of points."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tsheads.errors import WeightsError
from tsheads.estimators.anomaly import DEFAULT_HEADS, HEAD_NAMES, TriangulationDetector, detect
from tsheads.scoring.coarse import COARSE_FACTOR, MIN_COARSE_BLOCKS, block_means, spread_blocks

HEADS = ("time", "coarse")


def shifted(n=2400, seed=0):
    """A noisy cycle with a level shift that grows over 400 points from 1600 on."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = np.sin(2 * np.pi * t / 144) + 0.2 * rng.standard_normal(n)
    y[1600:2000] += np.linspace(0.0, 1.5, 400)
    return y


def test_block_means_skip_unobserved_points_and_spread_back_from_the_offset():
    x = np.arange(10.0)[None, :]
    observed = np.ones_like(x, dtype=bool)
    observed[0, 4:8] = False  # the second block of 4 has no observed point
    means, seen = block_means(x, observed, 4)
    np.testing.assert_allclose(means, [[1.5, 0.0, 8.5]])
    assert seen.tolist() == [[True, False, True]]
    means, seen = block_means(x, np.ones_like(observed), 4, offset=3)  # a tail whose first whole block is at 3
    np.testing.assert_allclose(means, [[4.5, 8.0]])
    back = spread_blocks(means, 10, 4, offset=3)
    assert np.isnan(back[0, :3]).all()
    np.testing.assert_allclose(back[0, 3:], [4.5] * 4 + [8.0] * 3)


def test_the_coarse_head_is_an_option_not_a_default_and_scores_every_point():
    """Not a default: ``evaluation.coarse_head_choice`` found it weak on the dev data (see its docstring)."""
    assert "coarse" in HEAD_NAMES and "coarse" not in DEFAULT_HEADS
    assert TriangulationDetector().get_params()["heads"] == DEFAULT_HEADS
    y = shifted()
    det = TriangulationDetector(heads=HEADS).fit(y[:800])
    assert det.coarse_factor_ == COARSE_FACTOR and det._coarse_window() is not None
    x, observed = y[None, :] / det.input_scale_, np.ones((1, len(y)), dtype=bool)
    raw = det._coarse(x, observed)  # each point its block's deviation, every block scored
    assert np.isfinite(raw).all() and np.ptp(raw) > 0
    blocks = raw[0, :len(y) // COARSE_FACTOR * COARSE_FACTOR].reshape(-1, COARSE_FACTOR)
    assert (np.ptp(blocks, axis=1) == 0).all()
    tail = det._coarse(x[:, 1003:], observed[:, 1003:], origin=1003)  # a tail off the block grid
    offset = -1003 % COARSE_FACTOR
    assert np.isnan(tail[0, :offset]).all()  # before the tail's first whole block
    np.testing.assert_allclose(tail[0, -300:], raw[0, -300:], rtol=1e-9, atol=1e-12)  # the same blocks, windows


def test_a_fit_with_too_few_blocks_leaves_the_coarse_head_flat():
    y = shifted()
    n = COARSE_FACTOR * (MIN_COARSE_BLOCKS - 1)
    det = TriangulationDetector(heads=HEADS).fit(y[:n])
    assert det._coarse_window() is None
    assert np.ptp(det.score_heads(y)["coarse"].to_numpy()) < 1e-12


def test_the_coarse_head_streams_saves_and_batches_as_one_series_scores(tmp_path):
    y = shifted()
    det = TriangulationDetector(heads=HEADS).fit(y[:800])
    stream = det.stream(y[:1500])
    for end in (1537, 1611, 1700):  # tails that start off the block grid
        start = stream.n_seen
        np.testing.assert_allclose(stream.update(y[start:end]), det.decision_function(y[:end])[start - end:],
                                   rtol=1e-9, atol=1e-9)
    det.save(tmp_path / "m")
    np.testing.assert_allclose(TriangulationDetector.load(tmp_path / "m").decision_function(y),
                               det.decision_function(y), rtol=1e-9, atol=1e-9)
    meta_file = tmp_path / "m.json"
    meta = json.loads(meta_file.read_text())
    del meta["meta"]["state"]["coarse_factor"]
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(WeightsError, match="coarse_factor"):
        TriangulationDetector.load(tmp_path / "m")
    # two series of other lengths, so other fit windows and block windows share the passes
    series = {"a": y[:1500], "b": shifted(seed=1)[::-1].copy()}
    frame = pd.concat([pd.DataFrame({"unique_id": k, "ds": np.arange(len(v)), "y": v}) for k, v in series.items()])
    out = detect(frame, fit_fraction=1 / 3, heads=HEADS)
    for key, values in series.items():
        alone = TriangulationDetector(heads=HEADS).fit(values[:len(values) // 3]).decision_function(values)
        np.testing.assert_allclose(out.loc[out["unique_id"] == key, "anomaly_score"].to_numpy(), alone,
                                   rtol=1e-9, atol=1e-9)
