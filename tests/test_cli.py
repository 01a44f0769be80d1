"""The ``tsheads`` command line: every subcommand on small made-up files, and bad input as exit status 2."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tsheads.cli import EXIT_BAD_INPUT, main

pytest.importorskip("matplotlib")


def _frame(n: int = 160, ids=("a", "b"), freq: str = "h") -> pd.DataFrame:
    t = np.arange(n)
    parts = [pd.DataFrame({"unique_id": uid, "ds": pd.date_range("2024-01-01", periods=n, freq=freq),
                           "y": 10 + i + np.sin(2 * np.pi * t / 24) + 0.1 * np.cos(t)}) for i, uid in enumerate(ids)]
    return pd.concat(parts, ignore_index=True)


@pytest.fixture
def csv(tmp_path):
    path = tmp_path / "in.csv"
    _frame().to_csv(path, index=False)
    return path


def _run(argv, capsys) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse: --help (0) and usage errors (2)
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", ["", "demo", "forecast", "detect", "impute", "benchmark", "datasets"])
def test_every_command_has_help(command, capsys):
    code, out, _ = _run([command, "--help"] if command else ["--help"], capsys)
    assert code == 0
    assert "usage: tsheads" in out


def test_module_entry_point_runs():
    done = subprocess.run([sys.executable, "-m", "tsheads", "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.startswith("tsheads ")


def test_forecast_zero_shot_csv_to_csv(csv, tmp_path, capsys):
    out = tmp_path / "fc.csv"
    code, _, err = _run(["forecast", csv, "-H", 12, "-o", out, "--quantiles", 0.1, 0.9, "-q"], capsys)
    assert code == 0, err
    fc = pd.read_csv(out, parse_dates=["ds"])
    assert list(fc.columns[:3]) == ["unique_id", "ds", "TSHeads"]
    assert {"TSHeads-lo-80", "TSHeads-hi-95", "TSHeads-q-0.1", "TSHeads-q-0.9"} <= set(fc.columns)
    assert fc.groupby("unique_id").size().to_dict() == {"a": 12, "b": 12}
    assert fc["ds"].min() == pd.Timestamp("2024-01-01") + pd.Timedelta(hours=160)
    assert not fc.isna().any().any()
    assert (fc["TSHeads-lo-95"] <= fc["TSHeads-hi-95"]).all()


def test_forecast_parquet_and_stdout_and_custom_columns(tmp_path, capsys):
    pytest.importorskip("pyarrow")
    frame = _frame().rename(columns={"unique_id": "store", "ds": "when", "y": "sales"})
    path = tmp_path / "in.parquet"
    frame.to_parquet(path)
    code, out, err = _run(["forecast", path, "-H", 5, "--model", "seasonal-naive", "--season-length", 24,
                           "--id-col", "store", "--time-col", "when", "--target-col", "sales", "--level"], capsys)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0] == "store,when,SeasonalNaive" and len(lines) == 11
    expected = frame[frame.store == "a"].sales.iloc[-24:-19].to_numpy()
    got = pd.read_csv(pd.io.common.StringIO(out)).query("store == 'a'")["SeasonalNaive"].to_numpy()
    np.testing.assert_allclose(got, expected)


def test_forecast_wta_saves_and_reloads_with_hypotheses(csv, tmp_path, capsys):
    stem = tmp_path / "wta"
    fc_path, hyp_path, plot = tmp_path / "fc.csv", tmp_path / "hyp.csv", tmp_path / "hyp.png"
    code, _, err = _run(["forecast", csv, "-H", 6, "--model", "wta", "--n-hypotheses", 3, "--max-epochs", 1,
                         "--steps-per-epoch", 2, "--season-length", 24, "--transform", "log", "-o", fc_path,
                         "--save-model", stem, "-q"], capsys)
    assert code == 0, err
    assert json.loads(stem.with_suffix(".json").read_text())["meta"]["transform"] == "log"
    code, _, err = _run(["forecast", csv, "-H", 6, "--load-model", stem, "--hypotheses", "-o", hyp_path,
                         "--plot", plot, "--plot-series", "b"], capsys)
    assert code == 0, err
    hyp = pd.read_csv(hyp_path)
    assert set(hyp["hypothesis"]) == {0, 1, 2} and len(hyp) == 2 * 3 * 6
    np.testing.assert_allclose(hyp.groupby(["unique_id", "ds"])["weight"].sum(), 1.0, atol=1e-6)
    assert plot.stat().st_size > 0
    code, _, err = _run(["forecast", csv, "-H", 6, "--load-model", stem, "-o", tmp_path / "again.csv"], capsys)
    assert code == 0, err
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "again.csv"), pd.read_csv(fc_path))


def test_detect_writes_scores_flags_and_plot(csv, tmp_path, capsys):
    out, plot = tmp_path / "det.csv", tmp_path / "det.png"
    code, _, err = _run(["detect", csv, "-o", out, "--fit-fraction", 0.5, "--contamination", 0.05, "--plot", plot,
                         "-q"], capsys)
    assert code == 0, err
    det = pd.read_csv(out)
    assert {"score_time", "score_fft", "score_forecast", "score_embedding", "anomaly_score", "is_anomaly"} <= set(det)
    assert len(det) == 320 and set(det["is_anomaly"]) <= {0, 1}
    assert np.isfinite(det["anomaly_score"]).all()
    assert plot.stat().st_size > 0


def test_detect_with_a_classical_peer(csv, tmp_path, capsys):
    code, out, err = _run(["detect", csv, "--detector", "subpca"], capsys)
    assert code == 0, err
    det = pd.read_csv(pd.io.common.StringIO(out))
    assert {"anomaly_score", "is_anomaly"} <= set(det) and len(det) == 320


def test_impute_fills_nan_and_missing_rows(tmp_path, capsys):
    frame = _frame(n=600, ids=("a",))
    frame.loc[100:104, "y"] = np.nan
    frame = frame.drop(index=[300, 301])
    path, out = tmp_path / "holes.csv", tmp_path / "filled.csv"
    frame.to_csv(path, index=False)
    code, _, err = _run(["impute", path, "-o", out, "-q"], capsys)
    assert code == 0, err
    filled = pd.read_csv(out)
    assert len(filled) == 600 and filled["y"].notna().all()
    assert filled["is_imputed"].sum() == 7


def test_datasets_lists_and_exports_the_bundled_real_series(tmp_path, capsys):
    code, out, _ = _run(["datasets"], capsys)
    assert code == 0 and "taylor" in out.split()
    code, _, err = _run(["datasets", "taylor", "--part", "test", "-o", tmp_path / "t.csv"], capsys)
    assert code == 0, err
    assert len(pd.read_csv(tmp_path / "t.csv")) == 336


def test_benchmark_lists_suites_and_refuses_unknown(capsys):
    code, out, _ = _run(["benchmark"], capsys)
    assert code == 0 and "wta_forecasting" in out
    code, _, err = _run(["benchmark", "nope"], capsys)
    assert code == EXIT_BAD_INPUT and "unknown suite 'nope'" in err


def test_benchmark_runs_a_quick_suite(tmp_path, capsys):
    code, out, err = _run(["benchmark", "zero_shot_speed", "--quick", "--n-series", 8, "--out-dir", tmp_path], capsys)
    assert code == 0, err
    assert "series/s" in out
    assert (tmp_path / "zero_shot_speed.md").is_file()


@pytest.mark.parametrize("content, message", [
    ("unique_id,ds,y\na,2024-01-01,1\na,2024-01-01,2\n" + "".join(f"a,2024-01-{d:02d},{d}\n" for d in range(2, 30)),
     "duplicate"),
    ("unique_id,ds,y\n" + "".join(f"a,2024-01-{d:02d},{'nan' if d == 5 else d}\n" for d in range(1, 30)), "NaN"),
    ("unique_id,ds,y\n" + "".join(f"a,2024-01-{d:02d},{'inf' if d == 5 else d}\n" for d in range(1, 30)), "inf"),
    ("unique_id,when,y\na,2024-01-01,1\n", "no time column 'ds'"),
    ("unique_id,ds,y\na,yesterday,1\na,today,2\n", "could not be parsed as datetimes"),
    ("unique_id,ds,y\n", "no rows"),
    ("", "empty"),
    ("unique_id,ds,y\n" + "".join(f"a,2024-01-{d:02d},x{d}\n" for d in range(1, 30)), "numeric"),
])
def test_forecast_bad_input_is_one_error_line_and_status_2(content, message, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    code, out, err = _run(["forecast", path, "-H", 3], capsys)
    assert code == EXIT_BAD_INPUT
    assert err.startswith("tsheads forecast: error:") and message.lower() in err.lower(), err
    assert err.count("\n") == 1 and out == ""  # one line, no traceback, nothing written


def test_missing_file_and_bad_options_exit_2(tmp_path, csv, capsys):
    code, _, err = _run(["forecast", tmp_path / "nope.csv", "-H", 3], capsys)
    assert code == EXIT_BAD_INPUT and "no such file" in err
    code, _, err = _run(["forecast", csv, "-H", 0], capsys)
    assert code == 2 and "positive integer" in err
    code, _, err = _run(["forecast", csv, "-H", 3, "--model", "seasonal-naive"], capsys)
    assert code == EXIT_BAD_INPUT and "--season-length" in err
    code, _, err = _run(["detect", csv, "--detector", "subpca", "--combine", "max"], capsys)
    assert code == EXIT_BAD_INPUT and "--combine" in err
    code, _, err = _run(["forecast", csv, "-H", 3, "--load-model", csv], capsys)
    assert code == EXIT_BAD_INPUT and "model config" in err


def test_load_model_refuses_a_saved_detector(csv, tmp_path, capsys):
    from tsheads import TriangulationDetector

    TriangulationDetector().fit(np.sin(np.arange(600) / 5)).save(tmp_path / "det")
    code, _, err = _run(["forecast", csv, "-H", 3, "--load-model", tmp_path / "det"], capsys)
    assert code == EXIT_BAD_INPUT and "saved by TriangulationDetector" in err


@pytest.mark.parametrize("options, message", [
    (["--load-model", "m", "--model", "wta"], "--model would be ignored"),
    (["--load-model", "m", "--context-length", 64], "--context-length would be ignored"),
    (["--model", "wta", "--short-history", "none"], "--short-history do(es) not apply to --model wta"),
    (["--short-history", "0"], "positive integer"),
    (["--load-model", "m", "--save-model", "n"], "only copy"),
    (["--model", "naive", "--save-model", "n"], "no model to save"),
    (["--hypotheses"], "needs --model wta"),
    (["--model", "wta", "--hypotheses", "--level", 80], "drop --level"),
    (["--n-hypotheses", 4], "--n-hypotheses do(es) not apply to --model zero-shot"),
    (["--model", "validated", "--transform", "log"], "--transform do(es) not apply to --model validated"),
    (["--model", "naive", "--season-length", 24], "--season-length do(es) not apply"),
    (["--fine-tune-steps", 10], "needs --fine-tune"),
    (["--plot-series", "a"], "add --plot"),
    (["--model", "wta", "--save-model", "in.csv/m"], "in.csv is a file, not a folder"),
    (["--model", "wta", "--save-model", "."], "names a folder, not a file stem"),
])
def test_contradictory_forecast_options_are_refused_before_training(options, message, csv, tmp_path, capsys,
                                                                      monkeypatch):
    import tsheads.estimators.wta as wta_module

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(wta_module.WTAForecaster, "fit", lambda *a, **k: pytest.fail("trained before refusing"))
    code, out, err = _run(["forecast", csv, "-H", 3, *options], capsys)
    assert code == EXIT_BAD_INPUT and message in err, err
    assert out == "" and not list(tmp_path.glob("n.*"))


def test_unknown_plot_series_is_reported_after_streaming_the_output(csv, tmp_path, capsys):
    code, out, err = _run(["forecast", csv, "-H", 3, "--plot", tmp_path / "p.png", "--plot-series", "zz"], capsys)
    assert code == EXIT_BAD_INPUT and "--plot-series 'zz' is not a series" in err
    assert len(out.splitlines()) == 1 + 2 * 3 and not (tmp_path / "p.png").exists()


def test_streaming_in_small_pieces_equals_reading_whole(tmp_path, capsys):
    frame = _frame(n=100, ids=tuple(f"s{i:02d}" for i in range(7)))
    path = tmp_path / "in.csv"
    frame.to_csv(path, index=False)
    outs = {}
    for rows in (0, 130, 1000):  # whole; pieces that split series; pieces of several whole series
        code, outs[rows], err = _run(["forecast", path, "-H", 4, "--chunk-rows", rows, "-q"], capsys)
        assert code == 0, err
    assert outs[0] == outs[130] == outs[1000]
    assert len(outs[0].splitlines()) == 1 + 7 * 4
    shuffled = tmp_path / "split.csv"
    pd.concat([frame.iloc[:50], frame.iloc[150:], frame.iloc[50:150]]).to_csv(shuffled, index=False)
    code, out, err = _run(["detect", shuffled, "--chunk-rows", 60, "-o", tmp_path / "d.csv"], capsys)
    assert code == EXIT_BAD_INPUT and "not contiguous" in err
    assert not (tmp_path / "d.csv").exists()  # no half-written output
    code, out, err = _run(["detect", shuffled, "--chunk-rows", 0, "-o", tmp_path / "d.csv"], capsys)
    assert code == 0, err


def test_zero_shot_model_saved_and_loaded_gives_no_hypotheses(csv, tmp_path, capsys):
    stem = tmp_path / "zs"
    code, _, err = _run(["forecast", csv, "-H", 4, "--save-model", stem, "-o", tmp_path / "a.csv"], capsys)
    assert code == 0, err
    code, _, err = _run(["forecast", csv, "-H", 4, "--load-model", stem, "-o", tmp_path / "b.csv"], capsys)
    assert code == 0, err
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "b.csv"))
    code, _, err = _run(["forecast", csv, "-H", 4, "--load-model", stem, "--hypotheses"], capsys)
    assert code == EXIT_BAD_INPUT and "gives no hypotheses" in err


def test_ids_keep_leading_zeros_and_plots_use_custom_columns(tmp_path, capsys):
    frame = _frame(ids=("001", "002")).rename(columns={"unique_id": "store", "ds": "when", "y": "sales"})
    path = tmp_path / "in.csv"
    frame.to_csv(path, index=False)
    cols = ["--id-col", "store", "--time-col", "when", "--target-col", "sales"]
    code, _, err = _run(["forecast", path, "-H", 4, "-o", tmp_path / "fc.csv", "--plot", tmp_path / "fc.png",
                         "--plot-series", "002", *cols], capsys)
    assert code == 0, err
    assert set(pd.read_csv(tmp_path / "fc.csv", dtype={"store": str})["store"]) == {"001", "002"}
    code, _, err = _run(["detect", path, "-o", tmp_path / "det.parquet", "--plot", tmp_path / "det.png",
                         "--threshold-col", "thr", *cols], capsys)
    assert code == 0, err
    det = pd.read_parquet(tmp_path / "det.parquet")
    assert set(det["store"]) == {"001", "002"} and det.groupby("store")["thr"].nunique().eq(1).all()
    assert (tmp_path / "fc.png").stat().st_size > 0 and (tmp_path / "det.png").stat().st_size > 0


def test_stdin_input(monkeypatch, capsys):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(_frame().to_csv(index=False)))
    code, out, err = _run(["forecast", "-", "-H", 2, "--model", "naive", "--level"], capsys)
    assert code == 0, err
    assert out.splitlines()[0] == "unique_id,ds,Naive" and len(out.splitlines()) == 5


def test_validated_model_is_what_tsheads_forecast_returns(csv, capsys):
    import io

    import tsheads

    code, out, err = _run(["forecast", csv, "-H", 4, "--model", "validated", "--season-length", 24, "-q"], capsys)
    assert code == 0, err
    got = pd.read_csv(io.StringIO(out), parse_dates=["ds"])
    want = tsheads.forecast(pd.read_csv(csv, parse_dates=["ds"]), 4, level=[80, 95], season_length=24)
    pd.testing.assert_frame_equal(got, want.reset_index(drop=True), check_exact=False, rtol=1e-6)
    code, _, err = _run(["forecast", csv, "-H", 4, "--model", "validated", "--fine-tune", "head"], capsys)
    assert code == 2 and "--fine-tune do(es) not apply to --model validated" in err


def test_isolation_forest_runs_are_repeatable(csv, capsys):
    runs = [_run(["detect", csv, "--detector", "iforest", "--fit-fraction", 0.5], capsys)[1] for _ in range(2)]
    assert runs[0] == runs[1] and "anomaly_score" in runs[0]


def test_demo_prints_the_table_and_writes_the_plot(tmp_path, capsys):
    plot = tmp_path / "demo.png"
    code, out, err = _run(["demo", "--plot", plot], capsys)
    assert code == 0, err
    assert "TSHeads-tuned" in out and "SeasonalNaive336" in out and "Anomalies in 'taylor'" in out
    assert plot.stat().st_size > 10_000


def test_demo_on_the_labelled_sample_scores_against_labels(tmp_path, capsys):
    from tsheads.demo import run

    result = run("sample")
    assert result.series == "sensor"  # the labelled series is the one scored and drawn
    assert set(result.label_table["detector"]) == {"TSHeads", "Sub-PCA"}
    assert result.label_table["VUS-PR"].between(0, 1).all()
    assert "labelled" in result.detected.columns
    assert set(result.forecast_table["model"]) >= {"TSHeads", "TSHeads-tuned", "SeasonalNaive", "Naive2"}
    assert not result.forecast_table.drop(columns=["cov 80", "cov 95"]).isna().any().any()
    code, out, err = _run(["demo", "--dataset", "sample", "--plot", tmp_path / "s.png"], capsys)
    assert code == 0, err
    assert "Labelled anomalies" in out and (tmp_path / "s.png").stat().st_size > 10_000


def test_streaming_never_leaves_the_last_series_alone_or_the_output_half_written(tmp_path, capsys):
    pytest.importorskip("pyarrow")
    frame = pd.concat([_frame(n=50, ids=("a",)), _frame(n=1, ids=("b",))], ignore_index=True)
    path = tmp_path / "one.csv"
    frame.to_csv(path, index=False)  # b has one row: alone it could not even get a frequency
    code, out, err = _run(["forecast", path, "-H", 2, "--model", "naive", "--level", "--chunk-rows", 20], capsys)
    assert code == 0, err
    assert sorted(pd.read_csv(pd.io.common.StringIO(out))["unique_id"].unique()) == ["a", "b"]
    code, _, err = _run(["detect", path, "--detector", "iforest", "-o", path, "--chunk-rows", 20], capsys)
    assert code == EXIT_BAD_INPUT and "names the input" in err and path.stat().st_size > 0
    mixed = _frame(n=60, ids=("a", "b", "c")).assign(note=None)
    mixed.loc[mixed["unique_id"] == "c", "note"] = "text"  # all-null in the first piece, strings later
    mixed.to_csv(tmp_path / "mixed.csv", index=False)
    out = tmp_path / "out.parquet"
    out.write_bytes(b"an older result")
    code, _, err = _run(["detect", tmp_path / "mixed.csv", "--detector", "iforest", "--chunk-rows", 50, "-o", out],
                        capsys)
    assert code == EXIT_BAD_INPUT and "type changed between pieces" in err
    assert out.read_bytes() == b"an older result" and not list(tmp_path.glob(".out.parquet*"))
    code, _, err = _run(["detect", tmp_path / "mixed.csv", "--detector", "iforest", "--chunk-rows", 0, "-o", out],
                        capsys)
    assert code == 0, err
    assert len(pd.read_parquet(out)) == 180


def _partials(*folders) -> list:
    return [p for folder in folders for p in folder.rglob("*.partial")]


def test_unwritable_outputs_are_one_error_line_and_leave_no_partial_files(csv, tmp_path, capsys, monkeypatch):
    folder = tmp_path / "results"
    folder.mkdir()
    for output, message in [(folder, "is a directory"), (csv / "out.csv", "is a file, not a folder"),
                            (tmp_path / "no" / "out.csv", "does not exist"), (tmp_path / "out.xlsx", "'.xlsx'")]:
        code, out, err = _run(["forecast", csv, "-H", 3, "-o", output], capsys)
        assert code == EXIT_BAD_INPUT and message in err and err.count("\n") == 1, err
    assert "reads and writes .parquet, .pq, .csv" in err and not (tmp_path / "out.xlsx").exists()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != folder and real_access(path, mode))
    code, _, err = _run(["forecast", csv, "-H", 3, "-o", folder / "out.csv"], capsys)
    assert code == EXIT_BAD_INPUT and "not writable (a read-only file system" in err
    assert _partials(tmp_path, tmp_path.parent) == [] and list(folder.iterdir()) == []


def test_a_full_disk_while_writing_is_one_error_line_and_keeps_the_older_output(csv, tmp_path, capsys, monkeypatch):
    out = tmp_path / "fc.csv"
    out.write_text("an older result")

    def full_disk(frame, path=None, **kwargs):
        Path(path).write_text("half a ro")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
    code, _, err = _run(["forecast", csv, "-H", 3, "--model", "naive", "-o", out], capsys)
    assert code == EXIT_BAD_INPUT and err.count("\n") == 1 and "No space left on device" in err, err
    assert out.read_text() == "an older result" and _partials(tmp_path) == []


def test_unknown_input_types_are_refused_not_read_as_csv(csv, tmp_path, capsys):
    as_json = tmp_path / "in.json"
    as_json.write_text(csv.read_text())
    code, _, err = _run(["forecast", as_json, "-H", 3], capsys)
    assert code == EXIT_BAD_INPUT and "unknown file type '.json'" in err and ".csv.gz" in err


def test_one_row_pieces_of_a_file_sorted_by_time_report_the_order(tmp_path, capsys):
    path = tmp_path / "by_time.csv"
    _frame(n=30).sort_values(["ds", "unique_id"]).to_csv(path, index=False)
    code, _, err = _run(["forecast", path, "-H", 3, "--chunk-rows", 1, "-o", tmp_path / "fc.csv"], capsys)
    assert code == EXIT_BAD_INPUT and "not contiguous" in err and "sort the file by id" in err, err
    assert not (tmp_path / "fc.csv").exists()


def test_mixed_date_formats_get_advice_that_fits_the_command_line(tmp_path, capsys):
    frame = _frame(n=30)
    frame["ds"] = frame["ds"].dt.strftime("%Y-%m-%d %H:%M")
    frame.loc[4, "ds"] = "01/01/2024 04:00"
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    code, _, err = _run(["forecast", path, "-H", 3], capsys)
    assert code == EXIT_BAD_INPUT and "mixes date formats" in err and "ISO 8601" in err
    assert "format=" not in err and err.count("\n") == 1
