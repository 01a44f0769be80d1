"""Panels, windows and scaling: shapes, padding masks, and exact round trips."""

import numpy as np
import pandas as pd
import pytest
import torch

from tsheads.errors import SeriesTooShortError
from tsheads.frames import Columns
from tsheads.nn.scaling import denormalise, fit_scale, normalise
from tsheads.windows import Panel, forecast_frame, sliding_windows


@pytest.fixture
def panel():
    df = pd.DataFrame({
        "unique_id": ["a"] * 6 + ["b"] * 3,
        "ds": list(pd.date_range("2022-03-01", periods=6, freq="D"))
        + list(pd.date_range("2022-01-01", periods=3, freq="D")),
        "y": np.r_[np.arange(6.0), 10 + np.arange(3.0)],
    })
    return Panel.from_data(df)


def test_panel_layout(panel):
    assert list(panel.ids) == ["a", "b"] and list(panel.lengths) == [6, 3]
    np.testing.assert_array_equal(panel.series(1)[:, 0], [10, 11, 12])
    assert pd.Timestamp(panel.last_times[1]) == pd.Timestamp("2022-01-03")


def test_tail_left_pads_and_masks(panel):
    x, observed = panel.tail(4)
    assert x.shape == observed.shape == (2, 1, 4) and x.dtype == np.float64  # full precision until inference
    np.testing.assert_array_equal(x[0, 0], [2, 3, 4, 5])
    np.testing.assert_array_equal(x[1, 0], [0, 10, 11, 12])
    np.testing.assert_array_equal(observed[1, 0], [False, True, True, True])


def test_tail_masks_nan():
    df = pd.DataFrame({"unique_id": "a", "ds": np.arange(4), "y": [1.0, np.nan, 3.0, 4.0]})
    x, observed = Panel.from_data(df, allow_nan=True).tail(4)
    np.testing.assert_array_equal(observed[0, 0], [True, False, True, True])
    assert np.isfinite(x).all()


def test_sliding_windows_exact_values(panel):
    past, past_obs, future, future_obs, idx = sliding_windows(panel, context=3, horizon=2, stride=1)
    # series a (length 6): cuts at 3 and 4 -> 2 windows; series b (3) is too short for 3+2
    assert past.shape == (2, 1, 3) and future.shape == (2, 1, 2)
    np.testing.assert_array_equal(past[:, 0], [[0, 1, 2], [1, 2, 3]])
    np.testing.assert_array_equal(future[:, 0], [[3, 4], [4, 5]])
    assert past_obs.all() and future_obs.all() and list(idx) == [0, 0]


def test_sliding_windows_short_context_padded(panel):
    past, past_obs, future, _, idx = sliding_windows(panel, context=4, horizon=1, stride=2, min_context=2)
    # a (length 6): cuts at 2 and 4; b (length 3): cut at 2
    assert list(idx) == [0, 0, 1]
    np.testing.assert_array_equal(past[0, 0], [0, 0, 0, 1])
    np.testing.assert_array_equal(past_obs[0, 0], [False, False, True, True])
    np.testing.assert_array_equal(past[2, 0], [0, 0, 10, 11])
    np.testing.assert_array_equal(future[:, 0, 0], [2, 4, 12])


def test_sliding_windows_too_short(panel):
    with pytest.raises(SeriesTooShortError, match="longest series: 6"):
        sliding_windows(panel, context=10, horizon=2)


def test_multichannel_windows():
    df = pd.DataFrame({"unique_id": "a", "ds": np.arange(5), "y": np.arange(5.0), "z": -np.arange(5.0)})
    p = Panel.from_data(df, Columns(target=("y", "z")))
    past, _, future, _, _ = sliding_windows(p, 2, 1)
    assert past.shape == (3, 2, 2)
    np.testing.assert_array_equal(past[0], [[0, 1], [0, -1]])


def test_forecast_frame_continues_each_series(panel):
    out = forecast_frame(panel, np.ones((2, 2)), "M", {"M-lo-90": np.zeros((2, 2))})
    assert list(out.columns) == ["unique_id", "ds", "M", "M-lo-90"]
    assert list(out["ds"].dt.strftime("%m-%d")) == ["03-07", "03-08", "01-04", "01-05"]


def test_forecast_frame_refuses_nan(panel):
    with pytest.raises(FloatingPointError):
        forecast_frame(panel, np.full((2, 1), np.nan), "M")


def test_scaling_round_trip_and_masking():
    torch.manual_seed(0)
    x = torch.randn(3, 2, 16) * 50 + 7
    observed = torch.rand(3, 2, 16) > 0.3
    scale = fit_scale(x, observed)
    z = normalise(x, scale, observed)
    assert torch.all(z[~observed] == 0)
    torch.testing.assert_close(denormalise(z, scale)[observed], x[observed], rtol=1e-5, atol=1e-4)
    # statistics use observed points only
    x0 = x[0, 0][observed[0, 0]]
    torch.testing.assert_close(scale.loc[0, 0, 0], x0.mean())


def test_scaling_constant_and_empty_windows_stay_finite():
    x = torch.full((2, 1, 8), 5.0)
    observed = torch.ones_like(x, dtype=torch.bool)
    observed[1] = False
    scale = fit_scale(x, observed)
    z = normalise(x, scale, observed)
    assert torch.isfinite(z).all() and torch.isfinite(scale.scale).all()
    torch.testing.assert_close(denormalise(torch.zeros(2, 1, 3), scale)[0], torch.full((1, 3), 5.0))


def test_sliding_windows_mask_nan_in_past_and_future():
    df = pd.DataFrame({"unique_id": "a", "ds": np.arange(6), "y": [0.0, np.nan, 2, 3, np.nan, 5]})
    w = sliding_windows(Panel.from_data(df, allow_nan=True), context=2, horizon=2)
    assert np.isfinite(w.past).all() and np.isfinite(w.future).all()
    np.testing.assert_array_equal(w.past_observed[:, 0], [[True, False], [False, True], [True, True]])
    np.testing.assert_array_equal(w.future_observed[:, 0], [[True, True], [True, False], [False, True]])


def test_scaling_ignores_nan_under_the_mask():
    x = torch.tensor([[[1.0, float("nan"), 3.0]]])
    observed = torch.tensor([[[True, False, True]]])
    scale = fit_scale(x, observed)
    z = normalise(x, scale, observed)
    assert torch.isfinite(scale.loc).all() and torch.isfinite(z).all()
    torch.testing.assert_close(scale.loc, torch.tensor([[[2.0]]]))


def test_panel_keeps_timezone_for_future_stamps():
    ds = pd.date_range("2021-10-30 23:00", periods=4, freq="h", tz="Europe/Paris")  # spans the autumn change
    p = Panel.from_data(pd.DataFrame({"unique_id": "a", "ds": ds, "y": np.arange(4.0)}))
    out = forecast_frame(p, np.zeros((1, 2)), "M")
    assert list(out["ds"]) == list(pd.date_range(ds[-1], periods=3, freq="h")[1:])


def test_scaling_gradient_is_finite_with_nan_under_the_mask():
    x = torch.tensor([[[1.0, 2.0, float("nan"), 4.0]]], requires_grad=True)
    observed = torch.isfinite(x.detach())
    scale = fit_scale(x, observed)
    (normalise(x, scale, observed) ** 2).sum().backward()
    assert torch.isfinite(x.grad[observed]).all() and x.grad[~observed].eq(0).all()


def test_model_name_may_not_overwrite_data_columns(panel):
    from tsheads.errors import TsheadsError

    with pytest.raises(TsheadsError, match=r"clash with the data's columns"):
        forecast_frame(panel, np.ones((2, 1)), "ds")
