"""Winner-takes-all forecasting: several weighted futures instead of one, trained on your own series.

``WTAForecaster`` puts K hypothesis heads (whole forecast paths) and K score heads (how likely each path
is) on the pretrained encoder. In training only the head closest to the truth is rewarded ("the winner
takes all"), so the heads spread out over the distinct futures the data allows. ``predict`` turns the
weighted paths into a median and calibrated intervals; ``predict_hypotheses`` returns the raw paths and
``sample`` draws from the mixture. A held-out tail of each series drives early stopping and calibration.

    python examples/wta_hypotheses.py [--max-epochs 10] [--steps-per-epoch 50] [--quick] [--out-dir DIR]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # draw to files, no display needed
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from tsheads import WTAForecaster, evaluate, load_dataset  # noqa: E402
from tsheads.plotting import plot_hypotheses  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-epochs", type=int, help="training epochs, early stopping may end sooner (default 10)")
    parser.add_argument("--steps-per-epoch", type=int, help="minibatches per epoch (default 30)")
    parser.add_argument("--quick", action="store_true", help="one day ahead, 1 epoch of 2 small batches")
    parser.add_argument("--out-dir", default=".", help="where to write wta_hypotheses.png")
    args = parser.parse_args(argv)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    epochs = args.max_epochs or (1 if args.quick else 10)
    steps = args.steps_per_epoch or (2 if args.quick else 30)

    ds = load_dataset("taylor")
    train, test = ds.train_df, ds.test_df
    # Hypotheses are learned as offsets from the seasonal-naive path (the last `season_length` points
    # repeated): demand repeats weekly, so the heads only learn what last week's copy gets wrong.
    h, season = (48, 48) if args.quick else (ds.horizon, 336)
    # --quick also shrinks the minibatches and the held-out tail (calibration then rests on few windows).
    small = dict(batch_size=16, validation_size=96) if args.quick else {}
    wta = WTAForecaster(h=h, n_hypotheses=8, wta="relaxed", season_length=season, max_epochs=epochs,
                        steps_per_epoch=steps, random_state=0, **small)
    with warnings.catch_warnings():  # a very short run may leave some heads unused; it says so in a warning
        warnings.simplefilter("ignore" if args.quick else "default")
        wta.fit(train)
    # validation_coverage_ is measured on the held-out windows the intervals were calibrated on, so it is
    # close to nominal by construction; the test-week coverage below is the honest check.
    coverage = {k: round(v, 3) for k, v in wta.validation_coverage_.items()}
    print(f"trained {len(wta.history_)} epoch(s); heads that win on held-out windows: {wta.n_heads_used_} of 8;",
          f"held-out coverage of the 80/95 % intervals: {coverage}\n")

    # Median and intervals from the weighted mixture of the K paths, scored on the test part.
    fc = wta.predict(level=[80, 95])
    scored = fc.merge(test, on=["unique_id", "ds"])
    table = evaluate(scored, ["mae", "smape", "mase", "coverage"], train_df=train, seasonality=ds.seasonality,
                     level=[80, 95], aggregate=True)
    print(table.round(3).to_string(index=False), "\n")

    paths = wta.predict_hypotheses()  # unique_id, ds, hypothesis, weight, WTA
    weights = paths.groupby("hypothesis")["weight"].first()
    print("hypothesis weights:", weights.round(3).to_dict())
    draws = wta.sample(200)  # unique_id, ds, sample, WTA: e.g. for the distribution of the weekly peak
    peaks = draws.groupby("sample")["WTA"].max()
    print(f"peak demand over the horizon (200 sample paths): median {peaks.median():.0f} MW,",
          f"90 % range {peaks.quantile(0.05):.0f} - {peaks.quantile(0.95):.0f} MW;",
          f"actual {test.y.head(h).max():.0f} MW")

    # Draw the first two days only (or one with --quick), so the paths stay apart by eye.
    shown = paths[paths.ds < paths.ds.min() + pd.Timedelta(days=1 if args.quick else 2)]
    fig, ax = plt.subplots(figsize=(10, 3.5), layout="constrained")
    plot_hypotheses(train, shown, test[test.ds.isin(shown.ds)], last=2 * 48, ax=ax)
    ax.set(title="Taylor electricity demand: 8 WTA hypotheses (weight at each path's end)", ylabel="MW")
    fig.savefig(out_dir / "wta_hypotheses.png", dpi=110)
    plt.close(fig)
    print("wrote", out_dir / "wta_hypotheses.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
