"""The benchmark suites in ``evaluation/``: each runs end to end in quick mode and writes a complete report.

A randomly initialised model stands in for the pretrained one (the numbers are meaningless; the harness is
what is tested). ETTh1 suites read a synthetic ``ETTh1.csv`` built in ``tmp_path`` so they run without the
shared data; only the M4-hourly check needs it. Outputs go to ``tmp_path``, never to ``evaluation/results``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # `evaluation` is a top-level package of the repository, not installed
    sys.path.insert(0, str(REPO_ROOT))

from evaluation import (  # noqa: E402
    anomaly_detection,
    anomaly_settings_choice,
    backtest_choice,
    classical_choice,
    detection_speed,
    etth1_imputation,
    etth1_zero_shot,
    flag_stability,
    frame_prior_choice,
    mcomp_zero_shot,
    model_points_choice,
    peers,
    rule_prior_choice,
    run_all,
    validated_forecasting,
    wta_forecasting,
    wta_settings_choice,
    zero_shot_speed,
)
from evaluation.__main__ import main as evaluation_main  # noqa: E402
from evaluation.report import markdown_table  # noqa: E402

RANDOM = ["--model", "random", "--jobs", "1"]


@pytest.fixture(scope="module")
def fake_etth1(tmp_path_factory) -> Path:
    """A data dir with a synthetic ETTh1.csv of the real shape (14,400 hourly rows, 7 channels)."""
    root = tmp_path_factory.mktemp("data")
    (root / "ett").mkdir()
    rows = 14_400
    rng = np.random.default_rng(0)
    t = np.arange(rows)
    values = {c: 5 + np.sin(2 * np.pi * t / 24 + k) + 0.3 * rng.standard_normal(rows).cumsum() / 30
              for k, c in enumerate(["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"])}
    frame = pd.DataFrame({"date": pd.date_range("2016-07-01", periods=rows, freq="h").astype(str), **values})
    frame.to_csv(root / "ett" / "ETTh1.csv", index=False)
    return root


def read_report(out: Path, suite: str, module: str | None = None) -> dict:
    """The report ``suite`` wrote (``module``: the suite's module when its file is named otherwise), checked."""
    md, js = out / f"{suite}.md", out / f"{suite}.json"
    assert md.is_file() and js.is_file()
    payload = json.loads(js.read_text())
    for key in ("command", "date", "machine", "parameters", "wall_times_s", "tables", "model"):
        assert payload[key], key
    assert payload["command"].startswith(f"python -m evaluation.{module or suite} ")
    assert payload["machine"]["cpu_count"] >= 1 and payload["machine"]["torch"] == torch.__version__
    assert payload["command"] in md.read_text()
    return payload


def test_markdown_table_formats_numbers_and_markers():
    df = pd.DataFrame({"MSE": [0.12345, np.nan], "note": ["a|b", "c"]}, index=pd.Index(["x", "y"], name="m"))
    df = df.astype(object)
    df.loc["ref"] = ["n/q", "d"]
    lines = markdown_table(df).splitlines()
    assert lines[0].split("|")[1].strip() == "m"
    assert lines[1] == "|:----|------:|:-----|"
    assert "0.123" in lines[2] and "a\\|b" in lines[2]
    assert "—" in lines[3] and "n/q" in lines[4]


def test_etth1_zero_shot_quick(fake_etth1, tmp_path):
    argv = ["--data-dir", str(fake_etth1), "--out-dir", str(tmp_path), "--quick", *RANDOM,
            "--horizons", "96", "192", "--max-windows", "3", "--ets-max-windows", "1"]
    etth1_zero_shot.main(argv)
    payload = read_report(tmp_path, "etth1_zero_shot")
    rows = {r["method (all windows)"]: r for r in payload["tables"]["All test windows (stride 1)"]}
    ttm = rows["TTM-r2 (published, zero-shot, context 512)"]
    assert ttm["MSE h=96"] == 0.363 and ttm["MAE h=96"] == "n/q" and ttm["MSE h=192"] == "n/q"
    assert all(np.isfinite(rows["seasonal naive (m=24)"][k]) for k in ("MSE h=96", "MAE h=192"))
    windows = {r["h"]: r for r in payload["tables"]["Windows per horizon"]}
    assert windows[96]["windows in protocol"] == 2785 and windows[192]["windows scored (all)"] == 3
    sub = payload["tables"]["ETS subsample (every 96th window)"]
    assert any(r["method (every 96th window)"].startswith("ETS") for r in sub)


def test_etth1_windows_and_seasonal_naive_match_the_library():
    from tsheads import SeasonalNaive

    starts = etth1_zero_shot.window_starts(96)
    assert (starts[0], starts[-1], len(starts)) == (11520, 14400 - 96, 2785)
    values = np.random.default_rng(1).standard_normal((14_400, 2))
    x, y = etth1_zero_shot.make_windows(values, starts[:2], 512, 96)
    assert np.array_equal(x[1, 0], values[11521 - 512:11521, 0]) and np.array_equal(y[1, 1], values[11521:11617, 1])
    df = pd.DataFrame({"unique_id": "a", "ds": np.arange(512), "y": x[0, 0]})
    ref = SeasonalNaive(season_length=24).forecast(df, h=96)["SeasonalNaive"].to_numpy()
    assert np.allclose(etth1_zero_shot.seasonal_naive(x, 96)[0, 0], ref)


@pytest.mark.parametrize("kind", ["hybrid", "block"])
def test_imputation_masks_hit_the_ratio_exactly(kind):
    for ratio in etth1_imputation.RATIOS:
        gen = torch.Generator().manual_seed(0)
        mask = etth1_imputation.exact_mask(20, 512, ratio, kind, 16, gen)
        assert (mask.sum(dim=1) == round(ratio * 512)).all()
        patches = mask.view(20, 32, 16)
        whole = patches.all(dim=2).sum(dim=1)
        expected = round(ratio * 32) if kind == "block" else int(ratio / 2 * 32)
        assert (whole >= expected).all()
        if kind == "block":
            assert (patches.all(dim=2) == patches.any(dim=2)).all()  # only whole patches
        again = etth1_imputation.exact_mask(20, 512, ratio, kind, 16, torch.Generator().manual_seed(0))
        assert torch.equal(mask, again)


def test_linear_interpolation_fills_lines_and_holds_edges():
    x = np.arange(10, dtype=float)[None, None, :] * 2.0
    observed = np.zeros_like(x, dtype=bool)
    observed[..., [2, 5, 7]] = True
    filled = etth1_imputation.linear_interpolation(np.where(observed, x, np.nan), observed)
    assert np.allclose(filled[0, 0, 2:8], x[0, 0, 2:8])
    assert np.all(filled[0, 0, :2] == 4.0) and np.all(filled[0, 0, 8:] == 14.0)


def test_etth1_imputation_quick(fake_etth1, tmp_path):
    etth1_imputation.main(["--data-dir", str(fake_etth1), "--out-dir", str(tmp_path), "--quick", *RANDOM,
                           "--max-windows", "1"])
    payload = read_report(tmp_path, "etth1_imputation")
    rows = {r["method (MSE on hidden points)"]: r for r in payload["tables"]["MSE on hidden points (normalised)"]}
    assert rows["TSPulse (published, zero-shot)"]["hybrid mean"] == 0.163
    assert rows["TSPulse (published, zero-shot)"]["block 50.0%"] == "n/q"
    lin = rows["linear interpolation"]
    assert all(np.isfinite(lin[f"{k} {r:.1%}"]) for k in ("hybrid", "block") for r in etth1_imputation.RATIOS)
    assert any(name.startswith("tsheads") and np.isfinite(r["block mean"]) for name, r in rows.items())
    assert payload["hidden_points"]["hybrid 25.0%"] == 7 * 128


def test_mcomp_zero_shot_quick(tmp_path):
    mcomp_zero_shot.main(["--out-dir", str(tmp_path), "--quick", *RANDOM, "--groups", "m3_yearly", "m1_quarterly",
                          "--max-series", "3"])
    payload = read_report(tmp_path, "mcomp_zero_shot")
    rel = {r["group"]: r for r in payload["tables"]["Relative MASE (vs seasonal naive, geometric mean)"]}
    assert set(rel) == {"m3_yearly", "m1_quarterly", "all"} and rel["all"]["series"] == 6
    assert rel["all"]["seasonal naive"] == pytest.approx(1.0)
    for method in ("tsheads (mean)", "Naive2", "ETS (AICc)", "Theta"):
        assert np.isfinite(rel["all"][method]) and rel["all"][method] > 0
    smape = {r["group"]: r for r in payload["tables"]["sMAPE (mean, %)"]}
    assert 0 <= smape["m3_yearly"]["ETS (AICc)"] <= 200


def test_validated_forecasting_quick(tmp_path):
    validated_forecasting.main(["--out-dir", str(tmp_path), "--quick", *RANDOM, "--groups", "m3_yearly",
                                "m1_quarterly", "--max-series", "4"])
    payload = read_report(tmp_path, "validated_forecasting")
    rel = {r["group"]: r for r in payload["tables"]["Relative MASE (vs seasonal naive at m)"]}
    assert set(rel) == {"m3_yearly", "m1_quarterly", "M1 + M3 + M4 hourly"}
    assert rel["M1 + M3 + M4 hourly"]["series"] == 8
    for method in ("validated", "network", "theta alone", "Comb"):
        assert np.isfinite(rel["M1 + M3 + M4 hourly"][method]) and rel["M1 + M3 + M4 hourly"][method] > 0
    bands = payload["tables"]["Intervals: scaled CRPS, coverage and width"]
    validated = [r for r in bands if r["method"] == "validated"]
    assert len(validated) == 2 and all(0 <= r["cover 80"] <= r["cover 95"] <= 1 for r in validated)
    assert all(r["width 95"] >= r["width 80"] >= 0 and r["CRPS"] > 0 for r in bands)


def test_validated_speed_quick_times_both_paths(tmp_path):
    from evaluation import validated_speed

    validated_speed.main(["--out-dir", str(tmp_path), "--quick", *RANDOM, "--groups", "m3_yearly"])
    rows = read_report(tmp_path, "validated_speed")["tables"]["Throughput"]
    assert {r["path"] for r in rows} == {"validated (defaults)", "network alone"}
    assert all(r["series"] == 40 and r["series/s (fastest)"] >= r["series/s (median)"] > 0 for r in rows)


def test_choice_groups_are_each_run_once():
    assert len(set(backtest_choice.CHOICE_GROUPS)) == len(backtest_choice.CHOICE_GROUPS)
    assert backtest_choice.build_parser().parse_args([]).groups == list(backtest_choice.CHOICE_GROUPS)


def test_backtest_choice_quick_picks_one_setting(tmp_path):
    backtest_choice.main(["--out-dir", str(tmp_path), "--quick", *RANDOM, "--groups", "m3_yearly", "--max-series", "5"])
    payload = read_report(tmp_path, "backtest_choice")
    pooled = {r["setting"]: r for r in payload["tables"]["Pooled over every validation series"]}
    assert len(pooled) == len(backtest_choice.SETTINGS) and payload["choice"] in pooled
    best = min(r["score"] for r in pooled.values())
    assert pooled[payload["choice"]]["score"] <= best + 0.005 + 1e-9


def test_rolling_groups_are_forecast_one_origin_at_a_time():
    values = np.arange(200.0).reshape(100, 2)
    stamps = pd.date_range("2024-01-01", periods=100, freq="h")
    group = validated_forecasting.rolling_group("etth1", values, stamps, ["a", "b"], [60, 80], 10, 24, None)
    frames = validated_forecasting.forecast_frames(group)
    assert [sorted(f["unique_id"].unique()) for f in frames] == [["a@60", "b@60"], ["a@80", "b@80"]]
    assert all(f["ds"].max() < stamps[cut] for f, cut in zip(frames, (60, 80)))  # nothing after its origin


def test_frame_prior_choice_quick_picks_the_weakest_near_best(tmp_path):
    frame_prior_choice.main(["--out-dir", str(tmp_path), "--quick", *RANDOM, "--groups", "m3_yearly",
                             "--max-series", "6"])
    payload = read_report(tmp_path, "frame_prior_choice")
    pooled = {r["setting"]: r for r in payload["tables"]["Pooled over every validation series"]}
    assert len(pooled) == len(frame_prior_choice.STRENGTHS)
    best = min(r["score"] for r in pooled.values())
    near = [name for name, r in pooled.items() if r["score"] <= best + 0.0005]
    assert payload["choice"] == near[0]


def test_rule_prior_reweighting_rebuilds_the_estimators_own_forecast_and_bands():
    """The joint choice re-weights stored backtests: at the default pair it must give what predict gives."""
    from tsheads.combine import DEFAULT_RULE
    from tsheads.estimators.validated import DEFAULT_FRAME_PRIOR, ValidatedForecaster

    rng = np.random.default_rng(3)
    t = np.arange(60)
    df = pd.concat([pd.DataFrame({"unique_id": f"s{k}", "ds": pd.date_range("2015-01", periods=60 - 7 * k, freq="MS"),
                                  "y": (10 + k + np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.3, 60).cumsum())[7 * k:]})
                    for k in range(5)])
    short = pd.DataFrame({"unique_id": "short", "ds": pd.date_range("2019-06", periods=12, freq="MS"),
                          "y": np.arange(12.0)})  # too short for a backtest: the frame's verdict, the network's bands
    df = pd.concat([df, short])
    stored = {}
    for prior in rule_prior_choice.stored_priors():  # the suite's runs: the default prior, and 0 where it matters
        est = ValidatedForecaster(frame_prior=prior).fit(df)
        est.predict(9)
        stored[prior] = rule_prior_choice.frame_outputs(est, 9)
    for rule, prior in ((DEFAULT_RULE, DEFAULT_FRAME_PRIOR), ("evidence0.33_top3", 0.0), ("best", 3.0)):
        fc = ValidatedForecaster(combination=rule, frame_prior=prior).fit(df).predict(9, level=[80, 95])
        point, bands = rule_prior_choice.reweighted(stored[0.0 if prior == 0 else DEFAULT_FRAME_PRIOR], rule, prior)
        np.testing.assert_allclose(point.ravel(), fc["TSHeads"].to_numpy(), rtol=1e-9)
        for column, values in bands.items():
            np.testing.assert_allclose(values.ravel(), fc[column].to_numpy(), rtol=1e-9)


def test_rule_prior_choice_quick_scores_every_pair_and_applies_its_rule(tmp_path):
    rule_prior_choice.main(["--out-dir", str(tmp_path), "--quick", *RANDOM, "--groups", "m3_yearly",
                            "--max-series", "6"])
    payload = read_report(tmp_path, "rule_prior_choice")
    grid = payload["tables"]["Score (relative MASE + coverage error) of every rule (rows) and prior (columns)"]
    assert len(grid) == len(rule_prior_choice.RULES)
    scores = {(row["rule"], float(p)): v for row in grid for p, v in row.items() if p != "rule"}
    assert len(scores) == len(rule_prior_choice.RULES) * len(rule_prior_choice.STRENGTHS)
    best = min(scores.values())
    near = [p for p, v in scores.items() if v <= best + rule_prior_choice.TIE]
    rule, prior = min(near, key=lambda p: (p[1], rule_prior_choice.RULES.index(p[0])))
    assert payload["choice"] == rule_prior_choice.pair_name(rule, prior)


def test_model_points_choice_quick_compares_every_cap(tmp_path):
    model_points_choice.main(["--out-dir", str(tmp_path), "--quick", *RANDOM, "--max-series", "3"])
    payload = read_report(tmp_path, "model_points_choice")
    pooled = {r["setting"]: r for r in payload["tables"]["Pooled over every validation series"]}
    assert len(pooled) == len(model_points_choice.CAPS) and payload["choice"] in pooled
    assert pooled[payload["choice"]]["score"] <= min(r["score"] for r in pooled.values()) + 0.005 + 1e-9


def test_classical_choice_quick_compares_every_form(tmp_path):
    classical_choice.main(["--out-dir", str(tmp_path), "--quick", *RANDOM, "--groups", "m3_quarterly",
                           "--max-series", "5"])
    payload = read_report(tmp_path, "classical_choice")
    pooled = {r["setting"]: r for r in payload["tables"]["Pooled over every validation series"]}
    assert set(pooled) == set(classical_choice.SETTINGS) and payload["choice"] in pooled
    assert all(np.isfinite(r["relative MASE"]) and r["series/s"] > 0 for r in pooled.values())


def test_flag_stability_quick_reports_moves_per_rule(tmp_path):
    flag_stability.main(["--out-dir", str(tmp_path), "--quick", *RANDOM])
    payload = read_report(tmp_path, "flag_stability")
    summary = {r["combine"]: r for r in payload["tables"]["Summary by combination rule"]}
    assert set(summary) == set(flag_stability.RULES)
    cases = payload["tables"]["Every case"]
    assert all(0 <= r["move"] <= 1 and r["move"] == pytest.approx(abs(r["flagged (fit n)"] - r["flagged (fit 1.01 n)"]))
               for r in cases)


def test_corpus_validation_group_is_hourly_history_and_one_held_out_week():
    from evaluation import corpus_validation
    from tsheads.pretrain.staged import staged_root

    if staged_root() is None:
        pytest.skip("no staged pretraining corpus here (../shared/pretraining or $TSHEADS_PRETRAINING)")
    group = corpus_validation.corpus_group(max_series=6)
    assert len(group.ids) == 6 and group.test.shape == (6, corpus_validation.HORIZON) and group.h == 168
    assert all(len(y) == corpus_validation.HISTORY for y in group.train)
    assert group.train_df.groupby("unique_id").size().eq(corpus_validation.HISTORY).all()
    assert pd.infer_freq(group.train_df["ds"].iloc[:10]) == "h" and np.isfinite(group.test).all()
    assert corpus_validation.season_arg(group) is None  # day and week from the stamps, as Taylor's


def test_half_hours_average_whole_half_hours_from_the_end_and_refuse_other_steps():
    from evaluation.corpus_validation import half_hours

    assert np.array_equal(half_hours(np.arange(7.0), 600.0), [2.0, 5.0])  # the first point does not fill one
    assert np.array_equal(half_hours(np.arange(4.0), 1800.0), np.arange(4.0))
    assert half_hours(np.arange(10.0), 3600.0) is None and half_hours(np.arange(10.0), 700.0) is None
    assert half_hours(np.arange(10.0), float("nan")) is None


def test_halfhourly_validation_group_is_taylor_shaped_and_fitted_one_series_at_a_time():
    from evaluation import corpus_validation as cv
    from tsheads.pretrain.staged import staged_root

    if staged_root() is None:
        pytest.skip("no staged pretraining corpus here (../shared/pretraining or $TSHEADS_PRETRAINING)")
    group = cv.halfhourly_group(max_series=4)
    assert len(group.ids) == 4 and group.test.shape == (4, 336) and group.m == 336
    assert all(len(y) == cv.HH_HISTORY for y in group.train) and np.isfinite(group.test).all()
    assert pd.infer_freq(group.train_df["ds"].iloc[:10]) == "30min" and cv.season_arg(group) is None
    frames = cv.frames_of(group)
    assert [f["unique_id"].unique().tolist() for f in frames] == [[i] for i in group.ids]


def test_mcomp_scores_on_a_known_case():
    group = mcomp_zero_shot.Group("g", ["a", "b"], [np.array([1.0, 2, 3, 4]), np.array([5.0, 5, 5, 5])],
                                  np.array([[5.0, 6], [5, 5]]), pd.DataFrame(), 1)
    scores = mcomp_zero_shot.series_scores(group, {"snaive": np.array([[4.0, 4], [5, 5]]),
                                                   "x": np.array([[5.0, 5], [6, 6]])})
    assert np.allclose(scores["snaive"]["mase"], [1.5, np.nan], equal_nan=True)  # constant history: no scale
    agg = mcomp_zero_shot.aggregate(scores)
    assert agg["x"]["rel_mase"] == pytest.approx(0.5 / 1.5)  # series b skipped: seasonal naive is exact
    assert agg["x"]["rel_skipped"] == 1 and agg["x"]["mase_undefined"] == 1


@pytest.mark.shared_data
def test_mcomp_m4_hourly_quick(data_dir, tmp_path):
    mcomp_zero_shot.main(["--data-dir", str(data_dir), "--out-dir", str(tmp_path), *RANDOM,
                          "--groups", "m4_hourly", "--max-series", "2", "--methods", "tsheads", "naive2", "theta"])
    payload = read_report(tmp_path, "mcomp_zero_shot")
    groups = payload["tables"]["Groups"]
    assert groups == [{"group": "m4_hourly", "series": 2, "h": 48, "m": 24}]


def test_zero_shot_speed_quick(tmp_path):
    zero_shot_speed.main(["--out-dir", str(tmp_path), "--quick", *RANDOM, "--n-series", "24", "--length", "128",
                          "--batch-size", "16"])
    payload = read_report(tmp_path, "zero_shot_speed")
    table = {r["path"]: r for r in payload["tables"]["Throughput"]}
    assert table["forecast_arrays (numpy)"]["series"] == 24
    assert table["forecast_arrays (numpy)"]["series/s (median)"] > 0
    pandas_path = "ZeroShotForecaster.forecast (pandas)"
    assert pandas_path in table or any("pandas path not measured" in n for n in payload["notes"])
    if pandas_path in table:  # both paths run the same network on the same series
        assert any("max |difference| 0.00e+00" in n for n in payload["notes"])


def test_detection_speed_quick(tmp_path):
    detection_speed.main(["--out-dir", str(tmp_path), "--quick", *RANDOM, "--n-series", "6", "--alone", "2",
                          "--min-length", "20", "--max-length", "80", "--batch-size", "64"])
    payload = read_report(tmp_path, "detection_speed")
    table = {r["path"]: r for r in payload["tables"]["Throughput"]}
    batched = table["detect, batched, fit_fraction=None"]
    assert batched["series"] == 6 and batched["series/s (median)"] > 0
    assert table["one series at a time, fit_fraction=0.5"]["series"] == 2
    # batching shares forward passes but must not change any series' scores
    assert sum("max |difference|" in n for n in payload["notes"]) == 2
    for note in payload["notes"]:
        if "max |difference|" in note:
            assert float(note.split("max |difference| ")[1].split(";")[0]) < 1e-9


def test_entry_points_dispatch(tmp_path, capsys):
    assert evaluation_main([]) == 2 and "zero_shot" in capsys.readouterr().out
    reports = run_all.main(["--out-dir", str(tmp_path), "--quick", *RANDOM], suites=("zero_shot_speed",))
    assert set(reports) == {"zero_shot_speed"} and (tmp_path / "zero_shot_speed.json").is_file()
    with pytest.raises(SystemExit):
        run_all.main(["--horizons", "96"])  # suite-specific flags belong to the suite's own module


def test_anomaly_detection_quick(data_dir, tmp_path):
    anomaly_detection.main(["--data-dir", str(data_dir), "--out-dir", str(tmp_path), "--quick", *RANDOM,
                            "--max-series", "1", "--fine-tune-steps", "2"])
    payload = read_report(tmp_path, "anomaly_detection")
    main = {r["detector"]: r for r in payload["tables"]["NAB: mean over series"]}
    for det in (anomaly_detection.AUTO, anomaly_detection.TUNED, *anomaly_detection.HEAD_ROWS,
                *anomaly_detection.PEERS):
        assert 0 <= main[det]["VUS-PR"] <= 1, det
    assert payload["parameters"]["n_nab_series"] == 1 and len(payload["nab_per_series"]) == len(main)
    speed = payload["tables"]["Speed: score a 100,000-point series, all heads"]
    assert all(r["points/s"] > 0 for r in speed)


def test_cycle_head_choice_quick_decides_by_its_rule(data_dir, tmp_path):
    from evaluation import cycle_head_choice

    cycle_head_choice.main(["--data-dir", str(data_dir), "--out-dir", str(tmp_path), "--quick", *RANDOM])
    payload = read_report(tmp_path, "cycle_head_choice")
    decision = {r["candidate"]: r for r in payload["tables"]["Decision"]}
    chosen = [c for c, r in decision.items() if r["chosen"]]
    assert chosen == [payload["chosen"]] and decision[chosen[0]]["within the injected-set bound"]
    best = max((r["all dev series"] for r in decision.values() if r["within the injected-set bound"]))
    assert decision[chosen[0]]["all dev series"] == pytest.approx(best)


def test_generated_cycles_hold_three_whole_cycle_anomalies_after_the_fit_part():
    from evaluation.cycle_head_choice import FIT_FRACTION, cycle_series

    for name, x, labels in cycle_series(4, seed=1):
        period = int(name.rsplit("period", 1)[1])
        starts = np.flatnonzero(np.diff(np.r_[0, labels]) == 1)
        assert len(starts) == 3 and labels.sum() == 3 * period and np.isfinite(x).all()
        assert starts.min() >= len(x) * FIT_FRACTION and (starts % period == 0).all()


def test_injected_anomalies_are_labelled_where_they_are():
    rng = np.random.default_rng(0)
    x = np.sin(np.arange(3000) / 5.0)
    y, labels, kinds = anomaly_settings_choice.inject(x, rng, n=3, start=450)
    assert len(kinds) == 3 and labels[:450].sum() == 0
    changed = np.flatnonzero(y != x)
    assert labels[changed].all() and changed.min() >= 450


def test_wta_forecasting_quick(data_dir, tmp_path):
    wta_forecasting.main(["--data-dir", str(data_dir), "--out-dir", str(tmp_path), "--quick", *RANDOM,
                          "--max-series", "3", "--epochs", "1", "--steps-per-epoch", "2", "--deepar-epochs", "1"])
    payload = read_report(tmp_path, "wta_forecasting")
    m4 = {r["method"]: r for r in payload["tables"]["M4 hourly (first 3 series, h=48)"]}
    assert {"tsheads WTA (K=8, relaxed)", "seasonal naive", "Naive2", "ETS", "Theta", "DeepAR (GluonTS)"} == set(m4)
    assert m4["Naive2"]["OWA"] == pytest.approx(1.0)
    for row in m4.values():
        assert np.isfinite([row["sMAPE"], row["MASE"], row["OWA"]]).all()
    ex = {r["method"]: r for r in payload["tables"]["Exchange rate (8 series jointly, 5 rolling windows of 30)"]}
    assert len(ex) == 7 and all(0 <= r["coverage 80"] <= 1 and r["CRPS-sum"] > 0 for r in ex.values())
    assert (tmp_path / "wta_hypotheses.png").stat().st_size > 10_000
    # a run of one dataset writes its own files, never over the table of both
    assert wta_forecasting.suite_name(["exchange_rate"]) == "wta_forecasting_exchange_rate"
    assert wta_forecasting.suite_name(["exchange_rate", "m4_hourly"]) == "wta_forecasting"


def test_wta_settings_choice_quick_reads_no_test_part(data_dir, tmp_path, monkeypatch):
    import dataclasses

    from evaluation import point_choice

    load = point_choice.load_dataset  # the settings are chosen on validation windows: hide the test part entirely
    monkeypatch.setattr(point_choice, "load_dataset", lambda *a, **k: dataclasses.replace(
        ds := load(*a, **k), test_df=None, df=ds.train_df))
    wta_settings_choice.main(["--data-dir", str(data_dir), "--out-dir", str(tmp_path), "--quick", *RANDOM,
                              "--max-series", "2", "--epochs", "1", "--steps-per-epoch", "1",
                              "--candidates", "no_anchor", "committed"])
    payload = read_report(tmp_path, "wta_settings_choice")
    table = {r["candidate"]: r for r in payload["tables"]["Candidates on the validation windows (last 48 points "
                                                         "of each training part)"]}
    assert list(table) == ["committed", "no_anchor"]  # listed order, which decides ties
    assert table["no_anchor"]["season_length (0 = no anchor)"] == 0 and table["committed"]["K"] == 8
    assert all(np.isfinite([r["OWA"], r["CRPS (wQL)"]]).all() for r in table.values())
    choice = payload["choice"]
    assert table[choice["candidate"]]["OWA"] == min(r["OWA"] for r in table.values())
    assert choice["settings"] == wta_settings_choice.candidate_settings(choice["candidate"])
    assert choice["complete"] is False and payload["parameters"]["n_series"] == 2
    reference = {r["method"]: r for r in payload["tables"]["Reference on the same windows"]}
    assert set(reference) == {"seasonal naive", "Naive2"} and reference["Naive2"]["OWA"] == pytest.approx(1.0)

    # the benchmark takes the choice from that file, but refuses a subset's choice for a full run
    args = wta_forecasting.build_parser().parse_args(["--m4-settings-from", str(tmp_path / "wta_settings_choice.json"),
                                                      "--quick", *RANDOM, "--epochs", "1", "--steps-per-epoch", "1"])
    settings, note = wta_forecasting.m4_settings(args)
    assert settings == {**wta_forecasting.M4_SETTINGS, **choice["settings"]}
    assert choice["candidate"] in note and "NOT APPLICABLE" in note
    args.quick = False
    with pytest.raises(SystemExit, match="subset"):
        wta_forecasting.m4_settings(args)


def test_wta_settings_candidates_are_wta_parameters():
    from tsheads.estimators.wta import WTAForecaster

    accepted = set(WTAForecaster(h=1).get_params())
    table = wta_settings_choice.settings_table(wta_settings_choice.CANDIDATES)
    assert len(table) <= 6 and not table.duplicated().any()  # every candidate differs from the others
    for name in wta_settings_choice.CANDIDATES:
        assert set(wta_settings_choice.candidate_settings(name)) <= accepted, name


def test_statistical_peers_give_finite_gaussian_forecasts():
    t = np.arange(24 * 20)
    y = 10 + np.sin(2 * np.pi * t / 24) + 0.1 * np.random.default_rng(0).standard_normal(len(t))
    for fn in (peers.ets_forecast, peers.theta_forecast):
        f = fn(y, 48, 24)
        assert f.kind in ("ets", "theta") and f.mean.shape == f.sigma.shape == (48,)
        assert np.all(np.isfinite(f.mean)) and np.all(f.sigma > 0)
        assert np.abs(f.mean[:24] - (10 + np.sin(2 * np.pi * np.arange(24) / 24))).max() < 0.5
    paths = peers.ets_samples(y, 12, 24, 50, seed=0)
    assert paths.shape == (50, 12) and np.all(np.isfinite(paths)) and paths.std(0).min() > 0


def test_point_choice_quick_reads_no_test_part(fake_etth1, tmp_path, monkeypatch):
    import dataclasses

    from evaluation import point_choice

    load = point_choice.load_dataset  # the suite chooses on validation windows: hide every test part from it
    monkeypatch.setattr(point_choice, "load_dataset", lambda *a, **k: dataclasses.replace(load(*a, **k), test_df=None))
    point_choice.main(["--data-dir", str(fake_etth1), "--out-dir", str(tmp_path), "--quick", *RANDOM,
                       "--groups", "m3_yearly", "m1_quarterly", "--horizons", "96"])
    payload = read_report(tmp_path, "point_choice")
    rows = {r["group"]: r for r in payload["tables"]["M1 / M3 / M4 hourly validation windows (last h of each "
                                                     "training part)"]}
    assert set(rows) == {"m3_yearly", "m1_quarterly", "all"}
    assert rows["all"]["series"] == rows["m3_yearly"]["series"] + rows["m1_quarterly"]["series"]
    assert payload["choice"] == rows["all"]["better point"] in ("mean", "median")
    etth1 = payload["tables"]["ETTh1 validation windows (targets in rows 8640-11519, normalised)"]
    assert etth1[0]["h"] == 96 and etth1[0]["windows"] > 0 and np.isfinite(etth1[0]["MSE median"])


def test_validation_group_holds_out_the_end_of_the_training_part():
    from evaluation.point_choice import validation_group
    from tsheads import load_dataset

    group, dropped = validation_group("m3_yearly", None, 5)
    ds = load_dataset("m3_yearly")
    first = ds.train_df[ds.train_df["unique_id"] == group.ids[0]]["y"].to_numpy()
    assert np.array_equal(group.test[0], first[-group.h:]) and np.array_equal(group.train[0], first[:-group.h])
    assert len(group.ids) + dropped == 5


def test_demo_table_writes_the_demo_job(tmp_path):
    from evaluation import demo_table

    demo_table.main(["--dataset", "sample", "--out-dir", str(tmp_path)])
    payload = json.loads((tmp_path / "demo_table.json").read_text())
    forecast = next(v for k, v in payload["tables"].items() if k.startswith("Forecast"))
    models = {r["model"]: r for r in forecast}
    assert {"TSHeads", "TSHeads-tuned", "SeasonalNaive", "Naive", "Naive2"} <= set(models)
    assert models["Naive2"]["owa"] == pytest.approx(1.0) and all(np.isfinite(r["mase"]) for r in forecast)
    assert any(k.startswith("Labelled anomalies") for k in payload["tables"])
    assert payload["anomalies"]["points"] > 0 and payload["command"].startswith("python -m evaluation.demo_table")


def test_wta_defaults_validation_reads_no_test_part_and_resumes(data_dir, tmp_path, monkeypatch):
    import dataclasses

    from evaluation import point_choice, wta_defaults

    load = point_choice.load_dataset  # the validation split must not see the official test part
    monkeypatch.setattr(point_choice, "load_dataset", lambda *a, **k: dataclasses.replace(
        ds := load(*a, **k), test_df=None, df=ds.train_df))
    argv = ["--data-dir", str(data_dir), "--out-dir", str(tmp_path), "--quick", *RANDOM, "--max-series", "3",
            "--groups", "m1_yearly", "m1_quarterly", "--variants", "defaults", "sigmoid",
            "--cache-dir", str(tmp_path / "cache")]
    assert wta_defaults.result_name(wta_defaults.build_parser().parse_args(["--split", "test"])) == "wta_defaults_test"
    wta_defaults.main(argv)
    payload = read_report(tmp_path, "wta_ablations_validation", "wta_defaults")
    owa = {r["group"]: r for r in payload["tables"]["OWA (vs Naive2)"]}
    assert set(owa) == {"m1_yearly", "m1_quarterly", "mean of groups"}
    for row in owa.values():
        assert row["Naive2"] == pytest.approx(1.0)
        assert np.isfinite([row[m] for m in (wta_defaults.WTA, "tsheads WTA sigmoid", *wta_defaults.PEERS)]).all()
    details = payload["tables"]["tsheads WTA: anchor, anchor weight, probabilistic scores"]
    assert {(r["group"], r["variant"]) for r in details} == {(g, v) for g in ("m1_yearly", "m1_quarterly")
                                                            for v in (wta_defaults.WTA, "tsheads WTA sigmoid")}
    assert all(0 <= r["coverage 80"] <= r["coverage 95"] <= 1 and r["anchor period"] >= 1
               and 0 <= r["anchor weight"] <= 1 for r in details)
    assert not (tmp_path / "cache").exists() or payload["machine"]["git_dirty"] is False  # dirty code: never kept
    clean = {"git_commit": "0" * 40, "git_dirty": False}  # as from a clean tree: each group is kept, then read back
    monkeypatch.setattr(wta_defaults, "machine_info", lambda: clean)
    wta_defaults.main(argv)
    computed = read_report(tmp_path, "wta_ablations_validation", "wta_defaults")["tables"]["OWA (vs Naive2)"]
    kept = [f"validation-{g}-{unit}.json" for g in ("m1_quarterly", "m1_yearly")
            for unit in ("defaults", "peers", "sigmoid")]
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == kept
    for name in ("fit_wta", "peer_forecasts"):
        monkeypatch.setattr(wta_defaults, name, lambda *a: pytest.fail("a kept result was recomputed"))
    wta_defaults.main(argv)
    stored = read_report(tmp_path, "wta_ablations_validation", "wta_defaults")["tables"]["OWA (vs Naive2)"]
    assert stored == computed  # as stored, not recomputed


def test_encoder_choice_scores_candidates_and_routes_on_validation_only(tmp_path, monkeypatch):
    import dataclasses

    from evaluation import encoder_choice, point_choice
    from tsheads.nn.config import RESOLUTIONS, EncoderConfig
    from tsheads.nn.model import DualSpaceModel
    from tsheads.nn.weights import save_model

    load = point_choice.load_dataset  # chosen on validation windows: hide every test part from the suite
    monkeypatch.setattr(point_choice, "load_dataset", lambda *a, **k: dataclasses.replace(load(*a, **k), test_df=None))
    torch.manual_seed(0)
    short = DualSpaceModel(EncoderConfig(context_length=32, patch_length=8, d_model=16, n_layers=1, horizon=8,
                                         forecast_head="patch", n_resolutions=len(RESOLUTIONS)))
    save_model(short, tmp_path / "short")
    encoder_choice.main(["--out-dir", str(tmp_path), "--quick", *RANDOM, "--groups", "m3_yearly", "m1_quarterly",
                         "--candidates", f"short={tmp_path / 'short'}", "--route", "short=v1",
                         "--thresholds", "0", "100000"])
    payload = read_report(tmp_path, "encoder_choice")
    rel = {r["candidate"]: r for r in payload["tables"]["Relative MASE (vs seasonal naive, geometric mean)"]}
    # routing every series to one model is that model
    assert rel["short if history <= 100000, else v1"]["all"] == pytest.approx(rel["short"]["all"])
    assert rel["short if history <= 0, else v1"]["all"] == pytest.approx(rel["v1"]["all"])
    chosen_from = [k for k in rel if "(resolution unknown)" not in k]
    assert "short (resolution unknown)" in rel and "v1 (resolution unknown)" not in rel
    assert payload["chosen"] == min(chosen_from, key=lambda k: rel[k]["all"])


def test_group_resolution_reads_the_frequency_from_the_group_name():
    from evaluation.mcomp_zero_shot import group_resolution
    from tsheads.nn.config import RESOLUTIONS

    assert [RESOLUTIONS[group_resolution(g)] for g in ("m3_monthly", "m1_quarterly", "m3_yearly", "m4_hourly",
                                                       "m3_other")] == ["monthly", "quarterly", "yearly", "hourly",
                                                                        "unknown"]


def test_a_detector_default_must_keep_every_flag_bound_and_no_dev_set_may_fall_too_far():
    from evaluation.cycle_count_choice import SHORT_FIT_BOUND, within_bounds
    from evaluation.flag_stability import CONTAMINATION, FLAGGED_FACTOR, MAX_MOVE

    ok = (MAX_MOVE / 2, FLAGGED_FACTOR * CONTAMINATION, SHORT_FIT_BOUND)  # at a bound counts as within
    assert within_bounds(ok) and within_bounds(ok, drop=0.03)
    assert not within_bounds((MAX_MOVE, *ok[1:]))  # the move must stay under its bound
    assert not within_bounds((ok[0], FLAGGED_FACTOR * CONTAMINATION + 1e-3, ok[2]))
    assert not within_bounds((*ok[:2], SHORT_FIT_BOUND + 1e-3))
    assert not within_bounds(ok, drop=0.031)


def test_the_bounded_choice_report_parts_name_every_candidate_and_the_choice():
    from evaluation.cycle_count_choice import bounded_rule_note, decision_table
    from evaluation.cycle_head_choice import set_sizes

    rows = [{"mean of the set means": 0.4, "chosen": False}, {"mean of the set means": 0.5, "chosen": True}]
    table = decision_table((1, 2), lambda c: f"power {c}", rows)
    assert list(table.index) == ["power 1", "power 2"] and table.loc["power 2", "chosen"]
    note = bounded_rule_note("power 1", "power 2", {1: 0.4, 2: 0.5}, 1, 2, ", a bound of its own")
    assert note.startswith("Rule, fixed before the run") and "a bound of its own)" in note
    assert note.endswith("CHOICE: power 2 (0.500; power 1 0.400).")
    frame = pd.DataFrame({"set": ["b", "a", "b"], "series": ["x", "y", "z"]})
    assert set_sizes(frame) == "b: 2, a: 1"


def test_clean_cycles_are_periodic_draws_of_both_kinds():
    from evaluation.cycle_count_choice import clean_cycles

    x, period = clean_cycles(0, "two harmonics")
    assert period == 96 and len(x) == 12 * 96 and np.isfinite(x).all()
    y, p = clean_cycles(1, "generated")
    assert 24 <= p <= 288 and len(y) == 12 * p
    np.testing.assert_array_equal(clean_cycles(1, "generated")[0], y)  # seeded


def test_the_subspace_choices_name_valid_detector_settings():
    """Every candidate of the choices made with the subspace head is a valid detector, labelled once."""
    from evaluation import (
        power_subspace_choice,
        rebuild_scale_subspace_choice,
        subspace_head_choice,
        votes_subspace_choice,
    )
    from tsheads.estimators.anomaly import CYCLE_HEADS, DEFAULT_HEADS, DEFAULT_VOTES, TriangulationDetector

    params = [subspace_head_choice._params(c, None, 64) for c in subspace_head_choice.CANDIDATES]
    params += [{"power": p} for p in power_subspace_choice.POWERS]
    params += [{"rebuild_scale": s} for s in rebuild_scale_subspace_choice.CANDIDATES]
    params += [{"votes": v} for v in votes_subspace_choice.CANDIDATES.values()]
    for p in params:
        TriangulationDetector(**p)._min_length()  # raises on an invalid setting
    labels = [subspace_head_choice._label(c) for c in subspace_head_choice.CANDIDATES]
    assert len(set(labels)) == len(labels) and subspace_head_choice.CURRENT is None
    assert params[0]["heads"] == CYCLE_HEADS and set(subspace_head_choice.WITH_SUBSPACE) == set(DEFAULT_HEADS)
    assert votes_subspace_choice.CANDIDATES["embedding, cycle and subspace 2"] == DEFAULT_VOTES  # its choice
