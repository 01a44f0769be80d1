"""ValidatedForecaster, combination rules and conformal intervals: contract, choice, coverage, fallbacks."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import tsheads
from tsheads.candidates import ModelSpec, classical_forecasts, season_lengths
from tsheads.candidates_pool import MIN_PARALLEL_SERIES, available_cpus, n_workers, start_classical
from tsheads.combine import combination_weights, frame_standing, with_frame_prior
from tsheads.conformal import adaptive_levels, conformal_bands, conformal_radius, normalized_radius, pooled_radius
from tsheads.errors import GapError, TsheadsError
from tsheads.estimators.validated import INTERVALS, ValidatedForecaster


def frame(values, uid="a", freq="30min"):
    return pd.DataFrame({"unique_id": uid, "ds": pd.date_range("2024-01-01", periods=len(values), freq=freq),
                         "y": np.asarray(values, dtype=float)})


def weekly_half_hourly(weeks=6, seed=0):
    """Half-hourly load-like series: a daily shape whose size depends on the weekday (weekends low)."""
    rng = np.random.default_rng(seed)
    t = np.arange(weeks * 336)
    day = (t // 48) % 7
    shape = np.sin(2 * np.pi * t / 48) * np.array([3, 3.5, 4, 4.5, 5, 1, 0.5])[day]
    return 20 + shape + 6 * (day < 5) + rng.normal(0, 0.2, len(t))


def test_contract_params_clone_and_not_fitted():
    est = ValidatedForecaster(n_windows=4, combination="best", random_state=0)
    assert clone(est).get_params() == est.get_params()
    assert est.set_params(n_windows=3).n_windows == 3
    with pytest.raises(NotFittedError):
        est.predict(3)
    fitted = est.fit(frame(np.arange(60.0) % 7))
    assert fitted is est and hasattr(est, "model_")
    with pytest.raises(TsheadsError, match="combination rule"):
        ValidatedForecaster(combination="mystery").fit(frame(np.arange(60.0)))
    with pytest.raises(TsheadsError, match="intervals"):
        ValidatedForecaster(intervals="bootstrap").fit(frame(np.arange(60.0)))


def test_season_lengths_count_steps_of_each_calendar_cycle():
    """The day, week and year in steps; business days have 5-step weeks; integer time has no cycle."""
    assert season_lengths("h") == [24, 168, 8766] and season_lengths("D") == [7, 365]
    assert season_lengths("B") == [5, 261] and season_lengths("MS") == [12] and season_lengths("QS") == [4]
    assert season_lengths("h", longest=200) == [24, 168] and season_lengths(1) == [] and season_lengths("YS") == []


def test_weekly_cycle_picks_weekly_seasonal_naive_and_beats_network():
    y = weekly_half_hourly()
    train, test = y[:-48], y[-48:]
    est = ValidatedForecaster(n_windows=6, step_size=12).fit(frame(train))
    out = est.predict(48)
    chosen = est.chosen_.loc["a"]
    weekly = max(chosen["snaive_336"], chosen["smedian_336"])  # the week's copy or the median of three weeks
    assert weekly == max(chosen[c] for c in est.backtest_errors_.columns)
    assert chosen["snaive_336"] + chosen["smedian_336"] > 0.8
    network = tsheads.forecast(frame(train), 48, method="network")["TSHeads"].to_numpy()
    assert np.abs(out["TSHeads"].to_numpy() - test).mean() < np.abs(network - test).mean()
    assert "_336" in chosen["used"] and chosen["origins"] == 6


def test_split_conformal_covers_about_nominal_on_iid_noise():
    rng = np.random.default_rng(1)
    radius = conformal_radius(rng.normal(size=(3000, 20, 2)), 0.8)
    covered = np.abs(rng.normal(size=(3000, 2))) <= radius
    assert abs(covered.mean() - 0.8) < 0.03
    assert np.all(conformal_radius(np.full((2, 3, 4), np.nan), 0.9) == 0)  # no residual: zero, never NaN


def test_adaptive_level_rises_after_a_variance_shift():
    rng = np.random.default_rng(2)
    steady = rng.normal(size=(300, 30, 1))
    shifted = np.concatenate([steady[:, :15], 5 * steady[:, 15:]], axis=1)
    assert adaptive_levels(shifted, 0.8).mean() > adaptive_levels(steady, 0.8).mean() + 0.05


def test_intervals_and_quantiles_are_ordered_and_adaptive_option_runs():
    y = weekly_half_hourly(weeks=3, seed=3)
    for intervals in INTERVALS:
        out = ValidatedForecaster(n_windows=5, intervals=intervals).forecast(frame(y), 24, level=[80, 95],
                                                                            quantiles=[0.1, 0.9])
        assert (out["TSHeads-lo-95"] <= out["TSHeads-lo-80"]).all()
        assert (out["TSHeads-lo-80"] <= out["TSHeads"]).all() and (out["TSHeads"] <= out["TSHeads-hi-80"]).all()
        assert np.allclose(out["TSHeads-q-0.1"], out["TSHeads-lo-80"])


@pytest.mark.parametrize("frame_prior", [0.0, 1.0])
def test_short_series_get_the_network_or_the_frames_verdict_and_nothing_is_nan(frame_prior):
    df = pd.concat([frame(np.r_[1.0, 2.0, 3.0], "short"), frame(np.full(40, 5.0), "flat"),
                    frame(np.sin(np.arange(50)), "long"), frame(np.arange(50.0), "line")])
    est = ValidatedForecaster(n_windows=3, frame_prior=frame_prior).fit(df)
    out = est.predict(12, level=[80], quantiles=[0.25])
    assert np.isfinite(out.drop(columns=["unique_id", "ds"]).to_numpy()).all()
    assert est.chosen_.loc["short", "origins"] == 0
    if frame_prior == 0:
        assert est.chosen_.loc["short", "used"] == "network 1.00"
    else:  # the candidates a 3-point series has, weighted by how they did on the other series
        assert est.chosen_.loc["short", "network"] < 1.0
        assert est.chosen_.loc["short", "theta"] == 0  # too short to run
    assert est.chosen_.loc["long", "origins"] > 0
    weights = est.chosen_.drop(columns=["origins", "used"]).to_numpy()
    assert np.allclose(weights.sum(axis=1), 1.0)


def test_frame_prior_zero_keeps_each_series_independent_of_its_frame():
    a, b = frame(np.sin(np.arange(80) / 3) + np.arange(80) * 0.05, "a"), frame(np.cos(np.arange(80) / 5), "b")
    c = frame(np.random.default_rng(0).normal(size=80).cumsum(), "c")
    alone = ValidatedForecaster(frame_prior=0).forecast(a, 8)
    together = ValidatedForecaster(frame_prior=0).forecast(pd.concat([a, b, c]), 8)
    np.testing.assert_allclose(together[together.unique_id == "a"]["TSHeads"].to_numpy(),
                               alone["TSHeads"].to_numpy(), rtol=1e-6, atol=1e-9)
    with pytest.raises(TsheadsError, match="frame_prior"):
        ValidatedForecaster(frame_prior=-1).fit(a)


def test_frame_standing_is_leave_one_out_and_scales_errors():
    errors = np.array([[1.0, 2.0, np.nan], [1.0, 1.5, 3.0], [np.nan, np.nan, np.nan], [2.0, 1.0, 4.0]])
    standing = frame_standing(errors)
    assert standing[0, 0] == pytest.approx(np.log(2) / 2)  # rows 1 and 3: ratios 1 and 2
    assert standing[0, 2] == pytest.approx(np.mean([np.log(3), np.log(4)]))
    assert np.isnan(frame_standing(errors[:1])).all()  # one series: no other to lean on
    available = np.array([[True, True, False]] * 4)
    leaned = with_frame_prior(errors, 1.0, available)
    assert leaned[1, 0] == pytest.approx(1.0 * np.exp(standing[1, 0]))
    assert np.isnan(leaned[2, 2]) and np.isfinite(leaned[2, :2]).all()  # no errors: the frame's verdict
    assert leaned[2, 0] < leaned[2, 1]  # the first candidate did better on the others
    np.testing.assert_array_equal(with_frame_prior(errors, 0.0, available), errors)
    lonely = np.array([[1.0, 2.0, 5.0], [1.0, 3.0, np.nan]])  # only row 0 ran the third candidate
    factors = with_frame_prior(lonely, 1.0, np.isfinite(lonely))[0] / lonely[0]
    assert factors[2] == pytest.approx(np.sqrt(factors[0] * factors[1]))  # neither favoured nor penalised
    with pytest.raises(TsheadsError, match="available"):
        with_frame_prior(errors, 1.0, None)


def test_gaps_are_refused_as_elsewhere():
    df = frame(np.arange(40.0)).drop(index=[10, 11])
    with pytest.raises(GapError):
        ValidatedForecaster().fit(df)


def test_combination_rules_weight_the_best_candidates():
    errors = np.array([[1.0, 2.0, np.nan, 4.0], [np.nan] * 4])
    best = combination_weights(errors, "best")
    assert best[0].tolist() == [1.0, 0.0, 0.0, 0.0] and np.allclose(best[1], 0.25)
    inverse = combination_weights(errors, "inverse_top2")[0]
    assert inverse[0] > inverse[1] > 0 and inverse[2] == inverse[3] == 0


def test_squared_inverse_rule_leans_harder_on_the_best():
    errors = np.array([[0.4, 1.4, 1.8, 3.0]])
    plain, squared = combination_weights(errors, "inverse_top3")[0], combination_weights(errors, "inverse2_top3")[0]
    assert squared[0] > plain[0] > 0.5 and squared[3] == plain[3] == 0
    assert np.isclose(squared[0] / squared[1], (1.4 / 0.4) ** 2)


def test_within_rules_drop_candidates_far_behind_the_best():
    errors = np.array([[0.36, 1.5, 1.6, 1.7], [1.0, 1.2, 1.9, 2.5], [0.0, 0.0, 1.0, np.nan]])
    cut = combination_weights(errors, "inverse2_top3_within2")
    assert cut[0].tolist() == [1.0, 0.0, 0.0, 0.0]  # the weekly-naive case: nothing else within 2x
    assert cut[1, 0] > cut[1, 1] > cut[1, 2] > 0 and cut[1, 3] == 0  # 1.9 <= 2 x 1.0 stays
    assert cut[2].tolist() == [0.5, 0.5, 0.0, 0.0]
    assert np.allclose(cut.sum(axis=1), 1.0)
    for bad in ("inverse_top3_within0.5", "inverse_top3_within", "top3_within2"):
        with pytest.raises(TsheadsError, match="combination rule"):
            combination_weights(errors, bad)



def test_evidence_rules_lean_harder_on_the_best_the_more_backtest_points():
    errors = np.array([[0.40, 0.63, 2.0, np.nan]] * 3)
    weights = combination_weights(errors, "evidence0.33_top3", points=[672, 36, 1])
    long, month, tiny = weights
    assert long[0] > 0.95 and long[3] == 0  # two weeks of half-hours: the best all but alone
    squared = combination_weights(errors[:1], "inverse2_top3")[0]
    assert np.allclose(month, squared, atol=5e-3)  # 0.33 x sqrt(36) ~ 2: as inverse2
    plain = combination_weights(errors[:1], "inverse_top3")[0]
    assert np.allclose(tiny, plain)  # never flatter than inverse weights
    assert np.allclose(weights.sum(axis=1), 1.0)
    huge = combination_weights(np.array([[1e-3, 5.0, 9.0]]), "evidence0.5_top3", points=[10 ** 6])
    assert np.isfinite(huge).all() and huge[0].tolist() == [1.0, 0.0, 0.0]
    np.testing.assert_allclose(combination_weights(errors, "evidence0.33_top3"), np.stack([plain] * 3))  # no points
    with pytest.raises(TsheadsError, match="backtest points"):
        combination_weights(errors, "evidence0.33_top3", points=[1, 2])
    for bad in ("evidence0_top3", "evidence_top3", "evidence-1_top3"):
        with pytest.raises(TsheadsError, match="combination rule"):
            combination_weights(errors, bad, points=[1, 1, 1])

def test_pooled_radius_scales_one_quantile_by_each_series_scale():
    rng = np.random.default_rng(4)
    scales = rng.uniform(0.5, 20, size=400)
    residuals = rng.normal(size=(400, 5, 3)) * scales[:, None, None]  # 5 origins each: too few alone
    radius = pooled_radius(residuals, 0.8, scales)
    assert np.allclose(radius / scales[:, None], radius[0] / scales[0])  # one scaled quantile per step
    future = rng.normal(size=(400, 3)) * scales[:, None]
    assert abs((np.abs(future) <= radius).mean() - 0.8) < 0.04
    own = conformal_bands("m", np.zeros((400, 3)), residuals, [80], [])  # per series: the largest of 5 residuals
    assert (radius / scales[:, None]).mean() < 0.9 * (own["m-hi-80"] / scales[:, None]).mean()
    with pytest.raises(TsheadsError, match="adaptive, pooled or normalised"):
        conformal_bands("m", np.zeros((400, 3)), residuals, [80], [], adaptive=True, pooled=True)


def test_normalized_radius_follows_the_spread_and_covers_about_nominal():
    rng = np.random.default_rng(7)
    spread = rng.uniform(0.5, 5.0, size=(300, 6, 4))
    residuals = rng.normal(size=spread.shape) * spread
    final = rng.uniform(0.5, 5.0, size=(300, 4))
    radius = normalized_radius(residuals, spread, final, 0.8)
    assert np.allclose(radius / final, radius[0, 0] / final[0, 0])  # one factor for the whole frame
    assert abs((np.abs(rng.normal(size=final.shape) * final) <= radius).mean() - 0.8) < 0.04
    assert np.all(normalized_radius(np.full((2, 3, 4), np.nan), spread[:2, :3], final[:2], 0.8) == 0)


def test_network_intervals_centre_the_network_bands_on_the_combined_point():
    y = weekly_half_hourly(weeks=3, seed=5)
    est = ValidatedForecaster(n_windows=4, intervals="network").fit(frame(y))
    out = est.predict(24, level=[80])
    bare = tsheads.forecast(frame(y), 24, method="network", level=[80])
    assert np.allclose(out["TSHeads-hi-80"] - out["TSHeads-lo-80"], bare["TSHeads-hi-80"] - bare["TSHeads-lo-80"],
                       rtol=1e-4, atol=1e-6)
    assert (out["TSHeads-lo-80"] <= out["TSHeads"]).all() and (out["TSHeads"] <= out["TSHeads-hi-80"]).all()
    with pytest.raises(TsheadsError, match="network"):
        ValidatedForecaster(intervals="network", candidates=["naive", "theta"]).fit(frame(y))


def test_worker_processes_give_the_same_forecasts_and_bad_n_jobs_is_refused():
    rng = np.random.default_rng(6)
    df = pd.concat([frame(10 + np.sin(np.arange(60) * 2 * np.pi / 12) + rng.normal(0, 0.3, 60), f"s{i}", "MS")
                    for i in range(MIN_PARALLEL_SERIES)])
    alone = ValidatedForecaster(n_windows=3, n_jobs=None).forecast(df, 6, level=[80])
    pooled = ValidatedForecaster(n_windows=3, n_jobs=2).forecast(df, 6, level=[80])
    pd.testing.assert_frame_equal(alone, pooled)
    for bad in (0, 1.5, True, "all"):
        with pytest.raises(TsheadsError, match="n_jobs"):
            ValidatedForecaster(n_jobs=bad).fit(df)


def test_workers_beside_the_network_share_the_cpus_and_the_caller_takes_unstarted_chunks():
    rng = np.random.default_rng(7)
    tasks = [(10 + rng.normal(0, 1, 40 + i % 7).cumsum(), np.array([30, 34, 40 + i % 7]), [12])
             for i in range(MIN_PARALLEL_SERIES * 2)]
    alone = start_classical(tasks, 6, ModelSpec(), None).result()
    cpus = n_workers(2, len(tasks))
    pending = start_classical(tasks, 6, ModelSpec(), 2, beside_network=True)
    workers = max(1, cpus - max(1, cpus // 4))
    assert alone and pending.network_cpus == (max(1, available_cpus() - workers) if cpus > 1 else None)
    alone_pool = start_classical(tasks, 6, ModelSpec(), 2)
    assert alone_pool.network_cpus is None  # no network beside it: no cap
    alone_pool.cancel()
    shared = pending.result()  # nothing waited for the workers: the caller runs the chunks they did not start
    assert len(shared) == len(alone)
    for a, b in zip(alone, shared):
        assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)


def test_a_daemonic_process_runs_the_classical_candidates_itself(monkeypatch):
    """Dask's workers are daemonic, and a daemonic process may not start others: no pool there."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods() or available_cpus() < 2:
        pytest.skip("worker processes need fork and two CPUs")
    assert n_workers(2, MIN_PARALLEL_SERIES) == 2

    class Daemonic:
        daemon = True

    monkeypatch.setattr(multiprocessing, "current_process", lambda: Daemonic())
    assert n_workers(2, MIN_PARALLEL_SERIES) == 1
    rng = np.random.default_rng(8)
    tasks = [(10 + rng.normal(0, 1, 40).cumsum(), np.array([30, 34, 40]), [12]) for _ in range(MIN_PARALLEL_SERIES)]
    pending = start_classical(tasks, 6, ModelSpec(), 2, beside_network=True)
    assert pending.network_cpus is None and len(pending.result()) == MIN_PARALLEL_SERIES


def test_torch_threads_are_capped_beside_the_workers_and_restored():
    import torch

    from tsheads.inference import torch_threads_at_most

    before = torch.get_num_threads()
    with pytest.raises(RuntimeError, match="inside"):
        with torch_threads_at_most(1):
            assert torch.get_num_threads() == 1
            raise RuntimeError("inside")
    assert torch.get_num_threads() == before
    with torch_threads_at_most(None):
        assert torch.get_num_threads() == before
    rng = np.random.default_rng(8)
    df = pd.concat([frame(10 + rng.normal(0, 1, 50), f"s{i}", "MS") for i in range(MIN_PARALLEL_SERIES)])
    ValidatedForecaster(n_windows=2, n_jobs=2).fit(df).predict(3)
    assert torch.get_num_threads() == before


def test_ets_candidate_carries_the_season_it_divided_out():
    t = np.arange(132)
    y = (10 + 0.05 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 12))
    out = classical_forecasts(y[:120], np.array([96, 120]), 12, [12])
    truth = y[120:]
    assert np.corrcoef(out["ets"][1], truth)[0, 1] > 0.95
    assert np.abs(out["ets"][1] - truth).mean() < 0.3 * np.abs(out["naive"][1] - truth).mean()
    flat = classical_forecasts(np.full(60, 5.0) + np.arange(60) * 0.01, np.array([60]), 12, [12])["ets"][0]
    assert np.ptp(flat) < 0.2  # no season where the test finds none


def test_the_real_forecast_is_fitted_on_the_whole_series():
    t = np.arange(120)
    y = (10 + 0.05 * t + 0.02 * np.maximum(t - 90, 0) ** 1.5) * (1 + 0.3 * np.sin(2 * np.pi * t / 12))
    both = classical_forecasts(y, np.array([60, 120]), 12, [12], ModelSpec(ets="AAdN"))
    whole = classical_forecasts(y, np.array([120]), 12, [12], ModelSpec(ets="AAdN"))
    first = classical_forecasts(y[:60], np.array([60]), 12, [12], ModelSpec(ets="AAdN"))
    for name in ("theta", "ets"):
        np.testing.assert_allclose(both[name][1], whole[name][0], rtol=1e-6)  # not run forward from cut 60
        np.testing.assert_allclose(both[name][0], first[name][0], rtol=1e-6)


def test_model_points_fit_on_the_latest_points_only():
    t = np.arange(400)
    y = 10 + 0.01 * t + np.where(t < 300, 0.0, 0.05 * (t - 300)) + np.sin(t / 3)
    capped = classical_forecasts(y, np.array([380, 400]), 12, [], ModelSpec(ets="AAdN", max_points=100))
    for row, end in enumerate((380, 400)):  # each fit sees the 100 points before its cut, nothing earlier
        alone = classical_forecasts(y[end - 100:end], np.array([100]), 12, [], ModelSpec(ets="AAdN"))
        for name in ("theta", "ets"):
            np.testing.assert_allclose(capped[name][row], alone[name][0], rtol=1e-6)
    with pytest.raises(TsheadsError, match="model_points"):
        ValidatedForecaster(model_points=3).fit(frame(y))


def test_model_points_run_forward_from_where_the_fit_started():
    rng = np.random.default_rng(0)
    y = 10 + 0.5 * np.arange(700) + rng.normal(0, 1, 700)
    cuts, h = np.array([600, 624, 652]), 48
    capped = classical_forecasts(y, cuts, h, [], ModelSpec(ets="AAN", max_points=256))
    errors = {name: [np.abs(capped[name][r] - (10 + 0.5 * np.arange(c, c + h))).mean() for r, c in enumerate(cuts)]
              for name in ("theta", "ets")}
    assert max(errors["ets"]) < 1.0, errors  # the trend continues at the cut run forward to, not only at fits
    assert errors["theta"][1] < 1.5 * max(errors["theta"][0], errors["theta"][2]), errors  # Theta's half slope


@pytest.mark.parametrize("ets, theta", [("AAdN", "adjusted"), ("ANN", "adjusted"), ("AZN", "seasonal"),
                                       ("ZZN", "optimized"), ("ZZN", "dynamic")])
def test_every_model_form_follows_a_seasonal_series(ets, theta):
    t = np.arange(132)
    y = (10 + 0.05 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 12))
    out = classical_forecasts(y[:120], np.array([96, 120]), 12, [12], ModelSpec(ets=ets, theta=theta))
    naive_error = np.abs(out["naive"][1] - y[120:]).mean()
    for name in ("theta", "ets"):
        assert np.abs(out[name][1] - y[120:]).mean() < 0.3 * naive_error, name


@pytest.mark.parametrize("theta", ["adjusted", "seasonal", "optimized", "dynamic"])
def test_statsmodels_fallback_without_statsforecast(monkeypatch, theta):
    monkeypatch.setitem(__import__("sys").modules, "statsforecast.models", None)  # import fails as if absent
    t = np.arange(132)
    y = (10 + 0.05 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 12))
    out = classical_forecasts(y[:120], np.array([96, 120]), 12, [12], ModelSpec(theta=theta))
    naive_error = np.abs(out["naive"][1] - y[120:]).mean()
    for name in ("theta", "ets"):
        assert np.isfinite(out[name]).all() and np.abs(out[name][1] - y[120:]).mean() < 0.5 * naive_error, name


def test_model_forms_are_checked_and_left_out_models_are_not_run():
    assert ModelSpec(ets="AAdN").ets_arguments() == {"model": "AAN", "damped": True}
    assert ModelSpec(ets="ZZN").ets_arguments() == {"model": "ZZN"}
    df = frame(weekly_half_hourly(weeks=2))
    for bad in ({"ets_model": "XYZ"}, {"ets_model": "AAdd"}, {"ets_model": 3}, {"theta_model": "optimised"}):
        with pytest.raises(TsheadsError, match="ets_model|theta_model"):
            ValidatedForecaster(**bad).fit(df)
    only_theta = classical_forecasts(np.arange(40.0), np.array([30, 40]), 5, [], ModelSpec(ets=None))
    assert "theta" in only_theta and "ets" not in only_theta
    assert set(classical_forecasts(np.arange(40.0), np.array([40]), 5, [], None)) == {"naive", "drift"}


def test_stateless_forecast_switch():
    df = frame(weekly_half_hourly(weeks=2, seed=4))
    validated = tsheads.forecast(df, 6, n_windows=3)
    network = tsheads.forecast(df, 6, method="network")
    assert list(validated.columns) == list(network.columns) == ["unique_id", "ds", "TSHeads"]
    with pytest.raises(TsheadsError, match="method"):
        tsheads.forecast(df, 6, method="magic")


def test_second_network_is_the_network_the_routing_did_not_pick():
    rng = np.random.default_rng(3)
    t = np.arange(300)
    df = pd.concat([frame(10 + np.sin(2 * np.pi * t[:n] / 24) + 0.1 * rng.standard_normal(n), uid, "h")
                    for uid, n in (("short", 100), ("long", 300))])
    both = ValidatedForecaster(candidates=("network", "second_network", "naive"), frame_prior=0, n_jobs=1)
    both.fit(df).predict(h=12)
    assert list(both.chosen_.columns[:3]) == ["network", "second_network", "naive"]
    finals = {uid: both.candidate_forecasts_[i] for i, uid in enumerate(both.chosen_.index)}
    # the network the routing picks for the short series is the 512-point one's second opinion, and vice versa
    v1 = tsheads.ZeroShotForecaster(short_history=None).fit(df).predict(h=12)
    short = tsheads.ZeroShotForecaster(short_history=1000).fit(df).predict(h=12)
    for uid, routed, other in (("short", short, v1), ("long", v1, short)):
        mine = routed[routed["unique_id"] == uid]["TSHeads"].to_numpy()
        second = other[other["unique_id"] == uid]["TSHeads"].to_numpy()
        np.testing.assert_allclose(finals[uid][0], mine, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(finals[uid][1], second, rtol=1e-4, atol=1e-4)
        assert np.abs(finals[uid][0] - finals[uid][1]).max() > 1e-3
    # beyond the companion's 96-step head every row goes to the 512-point network: no second one to compete
    far = ValidatedForecaster(candidates=("network", "second_network", "naive"), frame_prior=0, n_jobs=1)
    out = far.fit(df).predict(h=100)
    assert (far.chosen_["second_network"] == 0).all() and far.backtest_errors_["second_network"].isna().all()
    assert np.isfinite(out["TSHeads"]).all()


def test_log_network_is_the_routed_network_on_the_logs_of_positive_series():
    rng = np.random.default_rng(5)
    t = np.arange(300)
    level = 10 + np.sin(2 * np.pi * t / 24) + 0.1 * rng.standard_normal(300)
    df = pd.concat([frame(level, "positive", "h"), frame(level - 10.5, "crosses zero", "h")])
    est = ValidatedForecaster(candidates=("network", "log_network", "naive"), frame_prior=0, n_jobs=1)
    out = est.fit(df).predict(h=12)
    assert list(est.chosen_.columns[:3]) == ["network", "log_network", "naive"] and np.isfinite(out["TSHeads"]).all()
    finals = {uid: est.candidate_forecasts_[i] for i, uid in enumerate(est.chosen_.index)}
    logs = tsheads.ZeroShotForecaster().fit(frame(np.log(level), "positive", "h")).predict(h=12)["TSHeads"]
    np.testing.assert_allclose(finals["positive"][1], np.exp(logs.to_numpy()), rtol=1e-4)
    assert np.abs(finals["positive"][1] - finals["positive"][0]).max() > 1e-3  # not the plain network's
    # a series with a value at or below 0 gets no log forecast, so the candidate gets no weight there
    assert np.isnan(finals["crosses zero"][1]).all() and est.chosen_.loc["crosses zero", "log_network"] == 0


def test_seasonal_median_takes_each_step_from_three_cycles_and_ignores_one_odd_cycle():
    """The median of the same position in the last three cycles: one spoilt cycle (a holiday) does not move it;
    a cut with fewer than three cycles before it gets NaN, never a forecast from part of a cycle."""
    from tsheads.candidates import seasonal_median

    y = np.tile([1.0, 2.0, 3.0, 4.0], 4)
    y[8:12] = 100.0  # the third cycle is odd
    out = seasonal_median(y, np.array([16, 11]), 6, 4)
    assert np.allclose(out[0], [1, 2, 3, 4, 1, 2])  # cycles 2-4: 1,100,1 -> 1 and so on
    assert np.isnan(out[1]).all()  # 11 points hold fewer than three 4-point cycles
    forecasts = classical_forecasts(y, np.array([16]), 4, [4], models=None)
    assert np.allclose(forecasts["smedian_4"], [[1, 2, 3, 4]]) and np.allclose(forecasts["snaive_4"], [[1, 2, 3, 4]])


def test_seasonal_median_is_a_candidate_family_that_can_be_left_out():
    """``candidates`` names the family; each period's column is backtested and reported like seasonal naive."""
    y = weekly_half_hourly(weeks=5)
    families = ("naive", "seasonal_naive", "seasonal_median")
    with_median = ValidatedForecaster(candidates=families, intervals="pooled").fit(frame(y))
    with_median.predict(48)
    columns = list(with_median.backtest_errors_.columns)
    assert columns == ["naive", "snaive_48", "snaive_336", "smedian_48", "smedian_336"]
    assert np.isfinite(with_median.backtest_errors_.to_numpy()).all()
    without = ValidatedForecaster(candidates=("naive", "seasonal_naive"), intervals="pooled").fit(frame(y))
    without.predict(48)
    assert not any(c.startswith("smedian_") for c in without.backtest_errors_.columns)
    only_median = ValidatedForecaster(candidates=("naive", "seasonal_median"), intervals="pooled").fit(frame(y))
    only_median.predict(48)
    assert list(only_median.backtest_errors_.columns) == ["naive", "smedian_48", "smedian_336"]


def test_optimised_theta_forms_fit_the_coefficient_and_unknown_forms_are_refused():
    """The optimised forms fit theta, so on a noisy trending series they differ from the standard Theta's forecast."""
    rng = np.random.default_rng(3)
    y = 50 + np.arange(80) * 0.4 + rng.normal(0, 2, 80).cumsum()
    cuts = np.array([60, 80])
    standard = classical_forecasts(y, cuts, 8, [], ModelSpec(ets=None, theta="adjusted"))["theta"]
    for form in ("optimized", "dynamic"):
        other = classical_forecasts(y, cuts, 8, [], ModelSpec(ets=None, theta=form))["theta"]
        assert np.isfinite(other).all() and not np.allclose(other, standard)
    with pytest.raises(TsheadsError, match="theta_model"):
        ModelSpec(theta="auto")


def test_backtest_residuals_use_the_candidates_that_ran_at_each_origin():
    """A weighted candidate that missed an origin (the seasonal median needs three cycles before a cut) must not
    count as 0 there: that residual would be the series' whole level and blow up every band."""
    from tsheads.estimators.validated import combined_backtests

    back = np.array([[[[10.0, 10.0], [12.0, 12.0]],        # candidate 0 ran at both origins
                      [[np.nan, np.nan], [14.0, 14.0]]]])   # candidate 1 missed the first
    out = combined_backtests(np.array([[0.25, 0.75]]), back)
    np.testing.assert_allclose(out, [[[10.0, 10.0], [13.5, 13.5]]])
    assert np.isnan(combined_backtests(np.array([[0.0, 1.0]]), back)[0, 0]).all()  # nothing weighted ran there

    rng = np.random.default_rng(0)  # monthly series of 60 points, h = 18: the median misses the first origin
    t = np.arange(60)
    df = pd.concat([pd.DataFrame({"unique_id": f"s{i}", "ds": pd.date_range("2000-01-01", periods=60, freq="MS"),
                                  "y": 100 + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, 60)})
                    for i in range(6)])
    widths = {}
    for label, families in (("with", ("naive", "seasonal_naive", "seasonal_median")),
                            ("without", ("naive", "seasonal_naive"))):
        est = ValidatedForecaster(candidates=families, intervals="pooled").fit(df)
        fc = est.predict(18, level=[80])
        widths[label] = (fc["TSHeads-hi-80"] - fc["TSHeads-lo-80"]).mean()
        assert np.nanmax(np.abs(est.residuals_)) < 20  # errors of a forecast, not the level of 100
    assert widths["with"] < 2 * widths["without"], widths


def test_optimised_theta_without_statsforecast_says_it_runs_the_standard_theta(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "statsforecast.models", None)  # import fails as if absent
    with pytest.warns(UserWarning, match="needs statsforecast"):
        ValidatedForecaster(theta_model="dynamic").fit(frame(np.arange(60.0) % 7))


def test_the_evidence_rule_gets_each_series_backtest_points(monkeypatch):
    """The forecaster hands the rule each series' origins x h (a series too short for a backtest: 0)."""
    import tsheads.estimators.validated as validated_module

    seen = {}
    real = validated_module.combination_weights

    def spy(errors, rule, points=None, own=None):
        seen["points"], seen["rule"] = np.asarray(points), rule
        return real(errors, rule, points, own=own)

    monkeypatch.setattr(validated_module, "combination_weights", spy)
    df = pd.concat([frame(weekly_half_hourly(3)[:700], "long"), frame(np.arange(16.0) % 7, "short")])
    est = ValidatedForecaster(combination="evidence0.33_top3").fit(df)
    est.predict(12)
    origins = est.chosen_.loc[["long", "short"], "origins"].to_numpy()
    assert seen["rule"] == "evidence0.33_top3" and origins[0] > 0 and origins[1] == 0
    np.testing.assert_array_equal(seen["points"], est.chosen_["origins"].to_numpy() * 12)


def test_cross_fitted_residuals_weigh_each_origin_from_the_others():
    """Two candidates, each perfect at one origin: in-sample the chosen one is exact at its origin; cross-fitted,
    each origin is forecast by the candidate the other origin preferred, so both residuals show its error."""
    from tsheads.estimators.validated import combined_backtests, cross_fitted_residuals, weights_with_fallback
    actuals = np.zeros((1, 2, 3))
    back = np.zeros((1, 2, 2, 3))
    back[0, 0, 1] = 1.0  # candidate a: exact at origin 0, off by 1 at origin 1
    back[0, 1, 0] = 2.0  # candidate b: off by 2 at origin 0, exact at origin 1
    usable, names = np.ones((1, 2), bool), ["network", "naive"]
    crossed = cross_fitted_residuals(back, actuals, usable, np.ones(1), names, "best", usable, 0.0)
    np.testing.assert_allclose(crossed[0], [[-2.0] * 3, [-1.0] * 3])  # origin 0 by b, origin 1 by a
    errors = np.array([[0.5, 1.0]])
    in_sample = actuals - combined_backtests(weights_with_fallback(errors, names, "best"), back)
    np.testing.assert_allclose(in_sample[0], [[0.0] * 3, [-1.0] * 3])  # a chosen on both origins


def test_cross_fitted_option_keeps_the_point_and_widens_nothing_into_nan():
    y = weekly_half_hourly(weeks=3, seed=4)
    kw = dict(n_windows=3, frame_prior=0)
    base = ValidatedForecaster(**kw)
    crossed = ValidatedForecaster(residuals="cross_fitted", **kw)
    a = base.forecast(frame(y), 24, level=[80, 95])
    b = crossed.forecast(frame(y), 24, level=[80, 95])
    np.testing.assert_allclose(a["TSHeads"], b["TSHeads"], rtol=1e-9)  # the forecast itself is unchanged
    assert np.isfinite(b.drop(columns=["unique_id", "ds"]).to_numpy()).all()
    assert (b["TSHeads-lo-95"] <= b["TSHeads-lo-80"]).all() and (b["TSHeads-hi-80"] <= b["TSHeads-hi-95"]).all()
    assert crossed.residuals_.shape == base.residuals_.shape
    assert not np.allclose(crossed.residuals_, base.residuals_, equal_nan=True)  # the option is not ignored
    # with a single candidate there is no choice to cross-fit: the residuals are the backtest's own
    alone = dict(kw, candidates=("network",))
    one = ValidatedForecaster(**alone).fit(frame(y))
    one.predict(24)
    one_crossed = ValidatedForecaster(residuals="cross_fitted", **alone).fit(frame(y))
    one_crossed.predict(24)
    np.testing.assert_allclose(one_crossed.residuals_, one.residuals_, rtol=1e-9)
    with pytest.raises(TsheadsError, match="residuals"):
        ValidatedForecaster(residuals="jackknife").fit(frame(y))
