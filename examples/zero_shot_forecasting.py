"""Zero-shot forecasting, imputation and embeddings with the pretrained model: no training at all.

``ZeroShotForecaster`` ships with weights (about 1 M parameters) that load offline, so it forecasts any
long frame straight away: ``predict(h, df=df)``. The same model fills holes in a series (``impute``) and
turns series into fixed-size vectors (``transform``) for clustering or search.

    python examples/zero_shot_forecasting.py [--quick] [--out-dir DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # draw to files, no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from tsheads import ZeroShotForecaster, load_dataset  # noqa: E402
from tsheads.plotting import plot_forecast  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="forecast one day instead of two")
    parser.add_argument("--out-dir", default=".", help="where to write zero_shot_forecast.png")
    args = parser.parse_args(argv)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    ds = load_dataset("taylor")
    train, test = ds.train_df, ds.test_df
    h = 48 if args.quick else 96  # 96 steps is the forecast head's native horizon; longer ones are rolled
    zs = ZeroShotForecaster()

    # 1. Forecast with intervals (lo/hi columns) and quantiles (q columns) from the quantile head.
    fc = zs.predict(h=h, df=train, level=[50, 80, 95], quantiles=[0.1, 0.9])
    print("forecast columns:", list(fc.columns))
    print(fc.head(4).round(0).to_string(index=False), "\n")

    # 2. Imputation: knock out 10 % of the values (NaN) and drop some rows entirely (missing time stamps);
    #    impute() restores the regular grid, fills both kinds of holes and flags them in `is_imputed`.
    rng = np.random.default_rng(0)
    recent = train.tail(1000).reset_index(drop=True)
    holes = recent.assign(y=recent.y.mask(rng.random(len(recent)) < 0.10)).drop(index=range(500, 524))
    filled = zs.impute(holes)
    truth = filled.merge(recent, on=["unique_id", "ds"], suffixes=("", "_true"))
    gap = truth[truth.is_imputed]
    mae = (gap.y - gap.y_true).abs().mean()
    print(f"imputed {len(gap)} points; MAE {mae:.0f} MW (series std {recent.y.std():.0f} MW)\n")

    # 3. Embeddings: one row per series. Here each week of the history becomes its own series, and we ask
    #    which earlier week looks most like the last one (cosine similarity of the embeddings).
    weeks = train.assign(unique_id=[f"week {i // 336 + 1:02d}" for i in range(len(train))])
    emb = zs.transform(weeks)
    unit = emb.to_numpy() / np.linalg.norm(emb.to_numpy(), axis=1, keepdims=True)
    similarity = unit[:-1] @ unit[-1]
    print(f"embeddings: {emb.shape[0]} series x {emb.shape[1]} dims; the {emb.index[-1]} is most like",
          f"{emb.index[similarity.argmax()]} (cosine {similarity.max():.3f}), least like",
          f"{emb.index[similarity.argmin()]} ({similarity.min():.3f})\n")

    # 4. A fan chart: nested intervals, last three days of history, and what actually happened.
    fig, ax = plt.subplots(figsize=(10, 3.5), layout="constrained")
    plot_forecast(train, fc, test.head(h), last=3 * 48, ax=ax)  # shades the lo/hi bands, widest lightest
    ax.set(title=f"Taylor electricity demand: zero-shot forecast, {h} half-hours", ylabel="MW")
    fig.savefig(out_dir / "zero_shot_forecast.png", dpi=110)
    plt.close(fig)
    print("wrote", out_dir / "zero_shot_forecast.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
