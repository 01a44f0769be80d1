"""WTAForecaster's move towards the self-validated combination (``validated_weight``, :mod:`.wta_blend`)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from tsheads.errors import TsheadsError, WeightsError
from tsheads.estimators.validated import ValidatedForecaster
from tsheads.estimators.wta import WTAForecaster
from tsheads.estimators.wta_blend import MIN_HISTORY, blended, choose_weight, mean_steps, moved, truncated
from tsheads.frames import Columns
from tsheads.windows import Panel

#: a quick, spoilt training (a learning rate far too high): what matters here is the step after it
QUICK = dict(h=6, context_length=64, backbone="random", max_epochs=1, steps_per_epoch=3, random_state=0,
             validation_size=12, learning_rate=1.0, patience=1)


def trending_frame(n_series=6, n=60, seed=0) -> pd.DataFrame:
    """Positive monthly series with a trend and noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return pd.concat([pd.DataFrame({
        "unique_id": f"s{i}", "ds": pd.date_range("2001-01-01", periods=n, freq="MS"),
        "y": 50 + (i + 1) * 0.5 * t + rng.standard_normal(n)}) for i in range(n_series)], ignore_index=True)


def fitted(**params) -> WTAForecaster:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return WTAForecaster(**{**QUICK, **params}).fit(trending_frame())


def test_choose_weight_takes_the_lowest_error_and_the_smaller_share_on_ties():
    truth = np.zeros((2, 4))
    model, validated = truth + 1.0, truth - 1.0
    weight, check = choose_weight(model, validated, truth, np.ones((2, 1)))
    assert weight == 0.5 and check == {"model": 1.0, "validated": 1.0, "blend": 0.0}
    weight, _ = choose_weight(model, model.copy(), truth, np.ones((2, 1)))  # every share ties: none
    assert weight == 0.0
    weight, check = choose_weight(model, truth.copy(), truth, np.array([[1.0], [4.0]]))
    assert weight == 1.0 and check["model"] == pytest.approx((1.0 + 0.25) / 2)
    truth[0, 0] = np.nan  # unobserved points count for nothing
    assert choose_weight(model, validated, truth, np.ones((2, 1)))[1]["model"] == 1.0


def test_truncated_panel_drops_the_last_points_and_flags_short_series():
    df = trending_frame(n_series=2, n=30).iloc[3:].reset_index(drop=True)  # s0 has 27 points, s1 30
    panel = Panel.from_data(df, Columns())
    past, keep = truncated(panel, 6)
    assert keep.tolist() == [True, True] and past.lengths.tolist() == [21, 24]
    np.testing.assert_array_equal(past.series(1)[:, 0], panel.series(1)[:-6, 0])
    _, keep = truncated(panel, 27 - MIN_HISTORY + 1)
    assert keep.tolist() == [False, True]
    assert mean_steps(Panel.from_data(df.assign(y=1.0), Columns())).ravel().tolist() == [1.0, 1.0]


def test_moved_adds_or_multiplies_along_the_horizon():
    values = np.arange(24.0).reshape(2, 3, 4) + 1
    move = np.array([[1.0, 2.0, 3.0, 4.0], [0.5, 0.5, 0.5, 0.5]])
    np.testing.assert_array_equal(moved(values, move, False)[1, 2], values[1, 2] + 0.5)
    np.testing.assert_array_equal(moved(values, move, True)[0, 1], values[0, 1] * move[0])
    np.testing.assert_array_equal(moved(values[:, 0], move, False), values[:, 0] + move)


def test_weight_one_forecasts_the_validated_combination_and_zero_leaves_it_out(tmp_path):
    df = trending_frame()
    whole = fitted(validated_weight=1.0)
    assert whole.validated_weight_ == 1.0 and whole.validated_season_ is None  # calendar: it reads the periods
    assert set(whole.validated_check_) == {"model", "validated", "blend"}
    assert whole.validated_check_["blend"] == whole.validated_check_["validated"]
    validated = ValidatedForecaster(random_state=0).fit(df).predict(6)
    fc = whole.predict(level=[80])
    np.testing.assert_allclose(fc["WTA"].to_numpy(), validated["TSHeads"].to_numpy(), rtol=1e-9)
    assert (fc["WTA-lo-80"] <= fc["WTA"]).all() and (fc["WTA"] <= fc["WTA-hi-80"]).all()
    spoilt = fitted(validated_weight=0)
    assert spoilt.validated_weight_ == 0.0 and spoilt.validated_check_ == {}
    # the whole mixture moves: hypotheses and samples by the same step as the point
    move = fc["WTA"].to_numpy() - spoilt.predict()["WTA"].to_numpy()
    paths = whole.predict_hypotheses()
    before = spoilt.predict_hypotheses()
    np.testing.assert_allclose(paths["WTA"].to_numpy() - before["WTA"].to_numpy(),
                               np.tile(move.reshape(6, 1, 6), (1, 8, 1)).ravel(), atol=1e-4)  # float32 paths near 100
    whole.save(tmp_path / "blend")
    back = WTAForecaster.load(tmp_path / "blend")
    assert back.validated_weight_ == 1.0 and back.validated_check_ == whole.validated_check_
    pd.testing.assert_frame_equal(back.predict(df=df, level=[80]), fc)


def test_auto_weight_is_the_held_out_choice_and_bad_settings_are_refused():
    auto = fitted()
    grid = [i / 10 for i in range(11)]
    assert auto.validated_weight_ in grid
    check = auto.validated_check_
    assert check["blend"] <= min(check["model"], check["validated"]) + 1e-12
    with pytest.raises(TsheadsError, match="validated_weight"):
        WTAForecaster(**QUICK, validated_weight=1.5).fit(trending_frame())
    with pytest.raises(TsheadsError, match="validated_weight"):
        WTAForecaster(**QUICK, validated_weight="always").fit(trending_frame())


def test_log_forecaster_moves_geometrically_and_stays_above_zero():
    log = fitted(validated_weight=0.5, transform="log")
    alone = fitted(validated_weight=0, transform="log")
    validated = ValidatedForecaster(random_state=0).fit(trending_frame()).predict(6)["TSHeads"].to_numpy()
    point, own = log.predict()["WTA"].to_numpy(), alone.predict()["WTA"].to_numpy()
    np.testing.assert_allclose(point, np.sqrt(own * validated), rtol=1e-7)
    assert (log.sample(20)["WTA"] > 0).all()


def test_blended_paths_and_the_log_choice_match_what_predict_does():
    model, target = np.array([[4.0, 9.0], [1.0, 2.0]]), np.array([[1.0, 1.0], [-1.0, 2.0]])
    np.testing.assert_allclose(blended(model, target, 0.5, log=True), [[2.0, 3.0], [1.0, 2.0]])  # 2nd: not > 0
    np.testing.assert_allclose(blended(model, target, 0.5), [[2.5, 5.0], [0.0, 2.0]])
    np.testing.assert_array_equal(blended(model, np.array([[np.nan, 1.0], [1.0, 1.0]]), 1.0)[0], [4.0, 1.0])
    truth = np.array([[2.0, 3.0], [1.0, 2.0]])  # the geometric midpoint: exact at 0.5 on the log path only
    weight, check = choose_weight(model, np.array([[1.0, 1.0], [1.0, 2.0]]), truth, np.ones((2, 1)), log=True)
    assert weight == 0.5 and check["blend"] == pytest.approx(0.0)
    assert choose_weight(model, np.array([[1.0, 1.0], [1.0, 2.0]]), truth, np.ones((2, 1)))[1]["blend"] > 0.1


def test_a_shorter_horizon_is_the_start_of_the_longer_forecast(tmp_path):
    whole = fitted(validated_weight=0.5)
    full, short = whole.predict(level=[80]), whole.predict(h=3, level=[80])
    first = full.groupby("unique_id", sort=False).head(3).reset_index(drop=True)
    pd.testing.assert_frame_equal(short, first, check_exact=False, rtol=1e-9)
    whole.save(tmp_path / "half")
    path = tmp_path / "half.json"
    saved = json.loads(path.read_text())
    meta = next(part for part in saved.values() if isinstance(part, dict) and "validated_check" in part)
    meta["validated_weight"] = 1.5  # the fitted share; the parameter (in "params") stays 0.5
    path.write_text(json.dumps(saved))
    with pytest.raises(WeightsError, match="'validated_weight' must be a number"):
        WTAForecaster.load(tmp_path / "half")
