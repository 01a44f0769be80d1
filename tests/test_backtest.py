"""cross_validation: cutoffs, alignment with actuals, no silent drops."""

import numpy as np
import pandas as pd
import pytest

from tsheads.backtest import cross_validation
from tsheads.errors import SeriesTooShortError, TsheadsError
from tsheads.estimators.baselines import Naive, SeasonalNaive
from tsheads.pretrained import has_short


@pytest.fixture
def df():
    return pd.concat([
        pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2020-01-01", periods=12, freq="D"),
                      "y": np.arange(12.0)}),
        pd.DataFrame({"unique_id": "b", "ds": pd.date_range("2020-03-01", periods=9, freq="D"),
                      "y": 100 + np.arange(9.0)}),
    ], ignore_index=True)


def test_windows_cutoffs_and_values(df):
    model = Naive()
    out = cross_validation(model, df, h=2, n_windows=3, step_size=1)
    assert len(out) == 2 * 3 * 2 and not hasattr(model, "panel_")  # caller's model untouched
    a = out[out.unique_id == "a"]
    assert list(a["cutoff"].dt.day.unique()) == [8, 9, 10]
    # naive forecast = value at cutoff; actual y aligned with ds
    np.testing.assert_array_equal(a["Naive"], [7, 7, 8, 8, 9, 9])
    np.testing.assert_array_equal(a["y"], [8, 9, 9, 10, 10, 11])
    assert (out["ds"] > out["cutoff"]).all()


def test_default_step_is_h_and_intervals(df):
    out = cross_validation(SeasonalNaive(2), df, h=2, n_windows=2, level=[90])
    b = out[out.unique_id == "b"]
    assert list(b["cutoff"].dt.day.unique()) == [5, 7]
    assert {"SeasonalNaive-lo-90", "SeasonalNaive-hi-90"} <= set(out.columns)
    assert out.notna().all().all()


def test_too_short_series_raise(df):
    with pytest.raises(SeriesTooShortError, match="'b'"):
        cross_validation(Naive(), df, h=3, n_windows=3, min_train_length=2)


def test_bad_arguments(df):
    with pytest.raises(TsheadsError, match="n_windows"):
        cross_validation(Naive(), df, h=2, n_windows=0)
    with pytest.raises(TsheadsError, match="horizon"):
        cross_validation(Naive(), df, h=0)
    with pytest.raises(TsheadsError, match="step_size must be a positive integer"):
        cross_validation(Naive(), df, h=2, step_size=0)


def test_multi_target_reaches_the_model_and_is_refused_clearly(df):
    df = df.assign(z=-df["y"])
    with pytest.raises(TsheadsError, match=r"Naive forecasts one target column; got \['y', 'z'\]"):
        cross_validation(Naive(), df, h=2, target_col=("y", "z"))


def test_cutoff_name_reserved_and_bool_windows(df):
    with pytest.raises(TsheadsError, match="'cutoff' is the name of the backtest's origin column"):
        cross_validation(Naive(), df.rename(columns={"y": "cutoff"}), h=2, target_col="cutoff")
    with pytest.raises(TsheadsError, match="n_windows"):
        cross_validation(Naive(), df, h=2, n_windows=True)


@pytest.mark.skipif(not has_short(), reason="the short network is not bundled")
def test_a_routed_zero_shot_model_is_backtested_on_the_network_of_its_final_forecast():
    from tsheads import ZeroShotForecaster
    from tsheads.pretrained import SHORT_HISTORY

    rng = np.random.default_rng(3)
    t = np.arange(SHORT_HISTORY + 7)  # longer than routed, but its cut histories (129, 123, 117) are not
    y = 10 + np.sin(2 * np.pi * t / 12) + 0.3 * rng.standard_normal(len(t))
    df = pd.concat([pd.DataFrame({"unique_id": "short", "ds": t[:60], "y": y[:60]}),
                    pd.DataFrame({"unique_id": "long", "ds": t, "y": y})], ignore_index=True)
    routed = cross_validation(ZeroShotForecaster(), df, h=6, n_windows=3)
    v1 = cross_validation(ZeroShotForecaster(short_history=None), df, h=6, n_windows=3)
    assert routed["unique_id"].tolist() == (["short"] * 6 + ["long"] * 6) * 3  # each window in the frame's order
    long_rows = routed["unique_id"] == "long"
    np.testing.assert_allclose(routed.loc[long_rows, "TSHeads"], v1.loc[v1["unique_id"] == "long", "TSHeads"],
                               rtol=1e-9)
    assert not np.allclose(routed.loc[~long_rows, "TSHeads"], v1.loc[v1["unique_id"] != "long", "TSHeads"])
