"""The array-level inference helpers the estimators and benchmarks share."""

import numpy as np
import pytest

from tsheads.errors import TsheadsError
from tsheads.inference import (
    destandardise,
    fit_context,
    forecast_arrays,
    impute_arrays,
    interpolate_quantiles,
    standardise,
    window_starts,
)


def test_fit_context_pads_and_truncates():
    x = np.arange(10.0)[None, None]
    obs = np.ones_like(x, dtype=bool)
    short, short_obs = fit_context(x, obs, 16)
    assert short.shape == (1, 1, 16) and short_obs[..., :6].sum() == 0 and short[0, 0, -1] == 9
    long, long_obs = fit_context(x, obs, 4)
    assert np.array_equal(long[0, 0], [6, 7, 8, 9]) and long_obs.all()


def test_standardise_round_trip_and_constant_rows():
    rng = np.random.default_rng(0)
    x = rng.normal(5, 3, (4, 2, 30))
    x[0, 0] = 2.5  # constant
    obs = rng.random(x.shape) > 0.2
    z, loc, scale = standardise(x, obs)
    assert z.dtype == np.float32 and not z[~obs].any()
    back = destandardise(z.astype(np.float64), loc, scale)
    assert np.allclose(back[obs], x[obs], atol=1e-5 * np.abs(x).max())
    assert scale[0, 0, 0] == 0 and np.all(back[0, 0] == 2.5)


def test_quantile_interpolation_matches_numpy():
    levels = (0.1, 0.5, 0.9)
    values = np.array([[[0.0, 1.0], [1.0, 2.0], [3.0, 6.0]]])  # (1, Q, h)
    got = interpolate_quantiles(levels, values, [0.1, 0.3, 0.7, 0.9])
    for k in range(2):
        assert np.allclose(got[0, :, k], np.interp([0.1, 0.3, 0.7, 0.9], levels, values[0, :, k]))
    with pytest.raises(TsheadsError, match="trained range"):
        interpolate_quantiles(levels, values, [0.05])


@pytest.mark.parametrize("length", [1, 63, 64, 65, 128, 129, 200])
def test_window_starts_cover_every_point(length):
    starts = window_starts(length, 64)
    covered = np.zeros(length, dtype=int)
    for s in starts:
        covered[max(s, 0):s + 64] += 1
    assert covered.min() >= 1
    assert starts[-1] + 64 == length  # the last window is end-aligned


def test_impute_keeps_observed_points_and_fills_the_rest(tiny_model):
    model = tiny_model()
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 1, 150))
    obs = rng.random(x.shape) > 0.3
    filled = impute_arrays(model, np.where(obs, x, np.nan), obs)
    assert np.array_equal(filled[obs], x[obs]) and np.isfinite(filled).all()


def test_forecast_arrays_batches_count_sequences(tiny_model):
    model = tiny_model()
    x = np.random.default_rng(2).normal(size=(5, 3, 40))
    obs = np.ones_like(x, dtype=bool)
    a = forecast_arrays(model, x, obs, 20, batch_size=1)
    b = forecast_arrays(model, x, obs, 20, batch_size=1000)
    assert a[0].shape == (5, 3, 20) and a[1].shape[:3] == (5, 3, 15)
    np.testing.assert_allclose(a[0], b[0], rtol=1e-5, atol=1e-5)


def test_results_do_not_depend_on_how_series_are_split_into_batches():
    """Chunked predict, streamed files and distributed partitions rely on this being exact."""
    from tsheads.estimators.zero_shot import ZeroShotForecaster
    from tsheads.inference import embed_arrays, forecast_arrays, forecast_embed_arrays, reconstruct_pair

    model = ZeroShotForecaster()._model()  # the shipped weights: real kernels, real shapes
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 1, 512)).cumsum(-1)
    observed = rng.random(x.shape) > 0.05
    whole = forecast_arrays(model, x, observed, 24, batch_size=64)
    parts = [forecast_arrays(model, x[a:b], observed[a:b], 24, batch_size=64)
             for a, b in ((0, 1), (1, 4), (4, 11), (11, 40))]
    for k in range(2):
        np.testing.assert_array_equal(np.concatenate([p[k] for p in parts]), whole[k])
    np.testing.assert_array_equal(forecast_arrays(model, x, observed, 24, batch_size=5)[1], whole[1])
    shared = lambda a, o, batch_size: forecast_embed_arrays(model, a, o, 16, batch_size)  # noqa: E731
    for fn in (reconstruct_pair, embed_arrays, lambda m, a, o, batch_size: shared(a, o, batch_size)):
        full = fn(model, x[:, 0:1], observed[:, 0:1], batch_size=64)
        one = fn(model, x[3:4, 0:1], observed[3:4, 0:1], batch_size=64)
        for a, b in zip(one, full):
            np.testing.assert_array_equal(a, b[3:4])


def test_short_route_sends_short_series_to_the_short_model_alone(tiny_model):
    from tsheads.inference import ShortRoute, forecast_routed

    long, short = tiny_model(seed=0), tiny_model(seed=1, context_length=32, horizon=16)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(6, 2, 64)).cumsum(-1)
    observed = rng.random(x.shape) > 0.1
    lengths = np.array([64, 34, 24, 14, 540, 1])
    route = ShortRoute(short, 30)
    routed = forecast_routed(long, x, observed, 12, lengths, route)
    to_short = lengths <= 30
    alone_short = forecast_arrays(short, x[to_short], observed[to_short], 12)
    alone_long = forecast_arrays(long, x[~to_short], observed[~to_short], 12)
    for k in range(2):
        np.testing.assert_allclose(routed[k][to_short], alone_short[k], rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(routed[k][~to_short], alone_long[k], rtol=1e-6, atol=1e-9)
    # a row's route and forecast do not depend on its batch mates
    one = forecast_routed(long, x[2:3], observed[2:3], 12, lengths[2:3], route)
    np.testing.assert_allclose(one[0], routed[0][2:3], rtol=1e-6, atol=1e-9)
    # beyond the short model's horizon, or without a route, every row stays with the long model
    plain = forecast_arrays(long, x, observed, 20)[0]
    np.testing.assert_allclose(forecast_routed(long, x, observed, 20, lengths, route)[0], plain, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(forecast_routed(long, x, observed, 20, lengths, None)[0], plain, rtol=1e-6, atol=1e-9)
    with pytest.raises(TsheadsError, match="quantile"):
        forecast_routed(long, x, observed, 12, lengths, ShortRoute(tiny_model(quantiles=(0.1, 0.5, 0.9)), 30))


def test_one_pass_gives_the_forecast_and_the_embedding(tiny_model):
    """forecast_embed_arrays: the quantiles of forecast_arrays and the registers of embed_arrays, in one pass."""
    from tsheads.inference import embed_arrays, forecast_arrays, forecast_embed_arrays

    model = tiny_model()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 2, 70)).cumsum(-1)
    observed = rng.random(x.shape) > 0.1
    quants, semantic = forecast_embed_arrays(model, x, observed, 7)
    np.testing.assert_allclose(quants, forecast_arrays(model, x, observed, 7)[1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(semantic, embed_arrays(model, x, observed)[0], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="h must be"):
        forecast_embed_arrays(model, x, observed, model.config.horizon + 1)
