"""leakage_report on small made-up series: planted runs are found, chance and trivial runs are not."""

from __future__ import annotations

import numpy as np
import pytest

from tsheads.pretrain.leakage import leakage_report, window_codes

KEYS = {"corpus_source", "corpus_index", "eval_set", "eval_index", "method", "shared"}


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
        assert h["shared"] == 19


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
