"""Leakage check: no evaluation series may share a run of values with the pretraining corpus.

An evaluation series *leaks* into the corpus when it shares an exact run of ``ngram`` consecutive
values with some corpus series, compared in two ways:

``raw``
    the values rounded to 6 significant digits (catches a verbatim copy, whatever its dates,
    length or missing values; float noise below 6 digits does not hide it);
``znorm``
    each window z-normalised (minus its mean, over its standard deviation) and rounded to 0.01
    (catches a copy in other units or with an offset, e.g. thousands vs. units, or a shifted index).

Windows that would match by chance are not evidence and are skipped: windows with a non-finite value,
exact straight lines (constant runs included), windows with fewer than ``MIN_DISTINCT`` (4) distinct
values (steps, sparse low counts, which recur across unrelated count series), and for ``znorm`` smooth
windows within ``MIN_ROUGH`` (0.1 standard deviations, RMS) of a quadratic in time (every ramp or
growth curve normalises to nearly the same vector). On the real corpus against all evaluation sets
these rules leave no chance hit, while a copied evaluation series (verbatim, rescaled or offset, whole
or a 100-point piece) still shares tens to hundreds of windows. Windows are hashed to 64 bits to find
candidate pairs; each candidate pair is then re-counted exactly on the integer codes, so a hash
collision cannot produce a hit.

Not caught: a copy stored at a different precision (e.g. rounded to fewer digits) or otherwise
transformed (log, differences, resampled).

Command line (exit status 1 when a leak is found)::

    python -m tsheads.pretrain.leakage --data-dir /work/shared/datasets

``datasets/pretraining.md`` records the corpus and the last output of this check.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["EVALUATION_SETS", "METHODS", "leakage_report", "main", "window_codes"]

METHODS = ("raw", "znorm")
RAW_DIGITS = 6  # significant digits kept by ``raw``
Z_STEP = 0.01  # rounding step of the z-normalised values of ``znorm``
MIN_DISTINCT = 4  # fewer distinct values in a window: too little information to be evidence
MIN_ROUGH = 0.1  # ``znorm`` windows closer (RMS, in standard deviations) to a quadratic are skipped

#: every evaluation set of tsheads (``load_dataset`` names); none may be in the pretraining corpus
EVALUATION_SETS = (
    "m1_yearly", "m1_quarterly", "m1_monthly",
    "m3_yearly", "m3_quarterly", "m3_monthly", "m3_other",
    "m4_hourly", "etth1", "exchange_rate", "nab",
)


def _sig_codes(x: np.ndarray, digits: int = RAW_DIGITS) -> np.ndarray:
    """Exact int64 code of each finite value rounded to ``digits`` significant digits (0 for 0 and non-finite).

    A value is ``m * 10**e`` with ``10**(digits-1) <= |m| < 10**digits``; the code packs ``(m, e)``.
    """
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros(x.shape, dtype=np.int64)
    nz = np.isfinite(x) & (x != 0)
    v = x[nz]
    e = np.floor(np.log10(np.abs(v))).astype(np.int64) - (digits - 1)
    m = np.rint(v / 10.0 ** e.astype(np.float64))
    for _ in range(2):  # repair log10 imprecision and rounding up to the next power of ten
        big = np.abs(m) >= 10 ** digits
        e[big] += 1
        small = np.abs(m) < 10 ** (digits - 1)
        e[small] -= 1
        fix = big | small
        m[fix] = np.rint(v[fix] / 10.0 ** e[fix].astype(np.float64))
    out[nz] = m.astype(np.int64) * 4096 + (e + 2048)
    return out


def _n_distinct(codes: np.ndarray) -> np.ndarray:
    s = np.sort(codes, axis=1)
    return (np.diff(s, axis=1) != 0).sum(axis=1) + 1


def _rough(z: np.ndarray) -> np.ndarray:
    """RMS residual of each row of ``z`` around its least-squares quadratic in time."""
    q, _ = np.linalg.qr(np.vander(np.arange(z.shape[1], dtype=np.float64), 3))
    r = z - (z @ q) @ q.T
    return np.sqrt((r ** 2).mean(axis=1))


def window_codes(
    x,
    ngram: int = 12,
    method: str = "raw",
    min_distinct: int = MIN_DISTINCT,
    min_rough: float = MIN_ROUGH,
) -> np.ndarray:
    """Integer codes ``(n_windows, ngram)`` of the eligible windows of series ``x`` under ``method``.

    Two windows match exactly when their rows are equal. Left out: windows with a non-finite value,
    straight lines (``raw``: exact arithmetic progressions), windows with fewer than ``min_distinct``
    distinct values (constant, steps, sparse counts: they recur by chance), and for ``znorm`` smooth
    windows, whose z-values lie within ``min_rough`` (RMS) of a quadratic in time (ramps and growth
    curves normalise to nearly the same vector whatever the series).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {METHODS}")
    if ngram < 2:
        raise ValueError("ngram must be at least 2")
    x = np.asarray(x, dtype=np.float64).ravel()
    if len(x) < ngram:
        return np.zeros((0, ngram), dtype=np.int64)
    finite = np.isfinite(x)
    ok = sliding_window_view(finite, ngram).all(axis=1)
    if method == "raw":
        if ngram > 2:  # not a straight line
            xf = np.where(finite, x, 0.0)
            bend = sliding_window_view(np.abs(np.diff(xf, 2)), ngram - 2).max(axis=1)
            ok &= bend > 1e-9 * sliding_window_view(np.abs(xf), ngram).max(axis=1)
        codes = sliding_window_view(_sig_codes(x), ngram)[ok]
        return np.ascontiguousarray(codes[_n_distinct(codes) >= max(min_distinct, 2)])
    w = sliding_window_view(np.where(finite, x, 0.0), ngram)[ok]
    mu = w.mean(axis=1, keepdims=True)
    sd = w.std(axis=1, keepdims=True)
    varying = (sd > 1e-12 * np.abs(w).max(axis=1, keepdims=True))[:, 0]
    z = (w[varying] - mu[varying]) / sd[varying]
    codes = np.rint(z / Z_STEP).astype(np.int64)
    keep = (_n_distinct(codes) >= max(min_distinct, 2)) & (_rough(z) >= min_rough)
    return np.ascontiguousarray(codes[keep])


_K1 = np.uint64(0xBF58476D1CE4E5B9)
_K2 = np.uint64(0x94D049BB133111EB)
_K3 = np.uint64(0x9E3779B97F4A7C15)


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (uint64 arrays wrap silently)."""
    z = (z ^ (z >> np.uint64(30))) * _K1
    z = (z ^ (z >> np.uint64(27))) * _K2
    return z ^ (z >> np.uint64(31))


def _hash_rows(codes: np.ndarray) -> np.ndarray:
    h = np.zeros(len(codes), dtype=np.uint64)
    for j in range(codes.shape[1]):
        h = _mix(h * _K3 + codes[:, j].view(np.uint64))
    return h


def _table(series: Mapping[str, Sequence[np.ndarray]], ngram: int, method: str, **kw) -> pd.DataFrame:
    """Distinct window hashes per series: columns ``h``, ``key`` (position in ``series``), ``idx``."""
    hs, keys, idxs = [], [], []
    for k, name in enumerate(series):
        for i, x in enumerate(series[name]):
            h = np.unique(_hash_rows(window_codes(x, ngram, method, **kw)))
            hs.append(h)
            keys.append(np.full(len(h), k, dtype=np.int32))
            idxs.append(np.full(len(h), i, dtype=np.int32))
    if not hs:
        return pd.DataFrame({"h": np.zeros(0, np.uint64), "key": np.zeros(0, np.int32), "idx": np.zeros(0, np.int32)})
    return pd.DataFrame({"h": np.concatenate(hs), "key": np.concatenate(keys), "idx": np.concatenate(idxs)})


def leakage_report(
    corpus: Mapping[str, Sequence[np.ndarray]],
    evaluation: Mapping[str, Sequence[np.ndarray]],
    ngram: int = 12,
    methods: Sequence[str] = METHODS,
    min_distinct: int = MIN_DISTINCT,
    min_rough: float = MIN_ROUGH,
) -> list[dict]:
    """Evaluation series that share an exact run of ``ngram`` values with a corpus series.

    Parameters
    ----------
    corpus, evaluation : mapping name -> list of 1-D arrays
        Pretraining series by source and evaluation series by set.
    ngram : int
        Length of the shared run.
    methods : sequence of ``"raw"`` / ``"znorm"``
        How windows are compared (see the module docstring).
    min_distinct, min_rough : int, float
        Which windows count as evidence (see :func:`window_codes`).

    Returns
    -------
    list of dict
        One dict per (corpus series, evaluation series, method) with at least one shared window:
        ``corpus_source``, ``corpus_index``, ``eval_set``, ``eval_index``, ``method`` and ``shared``
        (number of distinct shared ``ngram``-windows), sorted by ``shared`` (largest first). Empty
        when nothing leaks.
    """
    c_names, e_names = list(corpus), list(evaluation)
    kw = {"min_distinct": min_distinct, "min_rough": min_rough}
    hits: list[dict] = []
    for method in methods:
        ctab = _table(corpus, ngram, method, **kw)
        etab = _table(evaluation, ngram, method, **kw)
        common = np.intersect1d(ctab["h"].to_numpy(), etab["h"].to_numpy())
        if len(common) == 0:
            continue
        pairs = ctab[ctab["h"].isin(common)].merge(etab[etab["h"].isin(common)], on="h", suffixes=("_c", "_e"))
        cache: dict = {}

        def rows(side, key, idx, _cache=cache, _method=method):
            if (side, key, idx) not in _cache:
                src = corpus[c_names[key]] if side == "c" else evaluation[e_names[key]]
                _cache[side, key, idx] = {r.tobytes() for r in window_codes(src[idx], ngram, _method, **kw)}
            return _cache[side, key, idx]

        for kc, ic, ke, ie in pairs[["key_c", "idx_c", "key_e", "idx_e"]].drop_duplicates().itertuples(index=False):
            shared = len(rows("c", kc, ic) & rows("e", ke, ie))  # exact, not hashed
            if shared:
                hits.append({"corpus_source": c_names[kc], "corpus_index": int(ic), "eval_set": e_names[ke],
                             "eval_index": int(ie), "method": method, "shared": shared})
    hits.sort(key=lambda d: (-d["shared"], d["corpus_source"], d["corpus_index"], d["eval_set"], d["eval_index"]))
    return hits


# ------------------------------------------------------------------------------------------ command line


def _load_evaluation(data_dir, names) -> tuple[dict, dict, list[str]]:
    from ..datasets import load_dataset
    from ..errors import DatasetNotFoundError

    series, ids, notes = {}, {}, []
    for name in names:
        try:
            ds = load_dataset(name, data_dir=data_dir)
        except DatasetNotFoundError as err:
            notes.append(f"skipped {name}: {str(err).split('. ')[0]}")
            continue
        groups = ds.df.groupby("unique_id", sort=False)["y"]
        ids[name] = [str(k) for k, _ in groups]
        series[name] = [g.to_numpy(dtype=np.float64) for _, g in groups]
    return series, ids, notes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tsheads.pretrain.leakage", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=None, help="data directory of the public sets (else $TSHEADS_DATA)")
    parser.add_argument("--ngram", type=int, default=12, help="length of the shared run (default 12)")
    parser.add_argument("--details", type=int, default=20, help="how many individual hits to list (default 20)")
    args = parser.parse_args(argv)

    from .real import real_series

    corpus = real_series()
    evaluation, ids, notes = _load_evaluation(args.data_dir, EVALUATION_SETS)
    n_c = sum(len(v) for v in corpus.values())
    print(f"corpus: {len(corpus)} real sources, {n_c} series, {sum(len(x) for v in corpus.values() for x in v)} points")
    for name, vals in evaluation.items():
        print(f"evaluation {name}: {len(vals)} series, {sum(len(x) for x in vals)} points")
    for note in notes:
        print(f"note: {note}")

    hits = leakage_report(corpus, evaluation, ngram=args.ngram)
    df = pd.DataFrame(hits, columns=["corpus_source", "corpus_index", "eval_set", "eval_index", "method", "shared"])
    table = pd.DataFrame("0", index=list(corpus), columns=list(evaluation))
    for (src, name), g in df.groupby(["corpus_source", "eval_set"]):
        table.loc[src, name] = f"{g['shared'].sum()}/{g['eval_index'].nunique()}"
    print(f"\nshared {args.ngram}-grams (methods {' + '.join(METHODS)}) / evaluation series hit, "
          "per corpus source (rows) and evaluation set (columns):")
    print(table.to_string())
    if df.empty:
        print("\nno leak: no evaluation series shares a run with the corpus")
        return 0
    df["eval_id"] = [ids[s][i] for s, i in zip(df["eval_set"], df["eval_index"])]
    df["eval_windows"] = [len(window_codes(evaluation[s][i], args.ngram, m))
                          for s, i, m in zip(df["eval_set"], df["eval_index"], df["method"])]
    print(f"\nLEAK: {df[['eval_set', 'eval_index']].drop_duplicates().shape[0]} evaluation series; "
          f"largest {min(args.details, len(df))} of {len(df)} hits:")
    print(df.head(args.details).to_string(index=False))
    return 1


if __name__ == "__main__":
    sys.exit(main())
