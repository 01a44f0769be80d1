"""A smaller copy of the staged corpus for a machine it must travel to (a lent GPU takes 64 MiB in all).

Every source keeps its series, each cut to its last ``max_points // n_series`` points (at least
``min_points``), so the copy keeps the corpus' variety of sources, resolutions and shapes and drops
mostly the length of the few very long series. The copy has the staged layout (one Parquet file per source,
``unique_id``/``ds``/``y``), so :mod:`.staged` reads it through ``$TSHEADS_PRETRAINING``::

    python -m tsheads.pretrain.pack --out .device/pretraining --max-points 600000
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from .staged import staged_sources


def pack_source(path: Path, out: Path, max_points: int, min_points: int = 256) -> int:
    """Write the cut copy of one source file; returns the points written."""
    df = pd.read_parquet(path, columns=["unique_id", "ds", "y"])
    per_series = max(min_points, max_points // max(1, df["unique_id"].nunique()))
    cut = df.groupby("unique_id", sort=False, observed=True).tail(per_series)
    tmp = out / (path.name + ".partial")
    cut.to_parquet(tmp, index=False)
    tmp.replace(out / path.name)
    return len(cut)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m tsheads.pretrain.pack", description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--max-points", type=int, default=600_000, help="points kept per source (about)")
    p.add_argument("--staged-dir", default=None)
    args = p.parse_args(argv)
    sources = staged_sources(args.staged_dir)
    if not sources:
        raise SystemExit("no staged corpus found (see tsheads.pretrain.staged)")
    args.out.mkdir(parents=True, exist_ok=True)
    total = sum(pack_source(path, args.out, args.max_points) for path in sources)
    size = sum(f.stat().st_size for f in args.out.glob("*.parquet")) / 2**20
    print(f"{len(sources)} sources, {total:,} points, {size:.1f} MiB in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
