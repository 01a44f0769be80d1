"""Zero-shot anomaly detection on NAB series, scored with VUS-PR against a classical detector.

``tsheads.detect(df)`` scores every time step of every series in a long frame with the pretrained model's
heads (time and FFT reconstruction, forecast error, embedding distance), each fitted on the first part of
its series ("normal" behaviour), and flags the highest scores. We compare it with Sub-PCA on a few labelled
series of the Numenta Anomaly Benchmark, using the threshold-free VUS-PR (1 = perfect ranking).

NAB is not bundled: point ``--data-dir`` (or ``$TSHEADS_DATA``) at a folder holding ``nab/`` (see the
repository's ``datasets/nab.md``).

    python examples/anomaly_detection_nab.py --data-dir ../shared/datasets [--series 5] [--out-dir DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # draw to files, no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from tsheads import SubPCADetector, detect, load_dataset  # noqa: E402
from tsheads.errors import DatasetNotFoundError  # noqa: E402
from tsheads.metrics import vus_pr  # noqa: E402
from tsheads.plotting import plot_anomalies  # noqa: E402

FIT_FRACTION = 0.15  # NAB's probationary period: each detector learns "normal" from this first share


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="folder holding nab/ (default: $TSHEADS_DATA)")
    parser.add_argument("--series", type=int, default=5, help="how many labelled NAB series to score")
    parser.add_argument("--quick", action="store_true", help="score two series only")
    parser.add_argument("--out-dir", default=".", help="where to write nab_anomalies.png")
    args = parser.parse_args(argv)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    try:  # a few NAB files repeat a time stamp; detect() refuses those, so keep the first of each
        ds = load_dataset("nab", data_dir=args.data_dir, drop_duplicates=True,
                          categories=["realAWSCloudwatch", "realAdExchange", "realTraffic"])
    except DatasetNotFoundError as err:
        print(f"NAB data not found; pass --data-dir or set TSHEADS_DATA.\n{err}", file=sys.stderr)
        return 2

    # Labelled series only (VUS-PR needs at least one anomaly), spread evenly over the categories.
    labelled = ds.df.groupby("unique_id", sort=False)["is_anomaly"].max()
    labelled = labelled[labelled > 0].index
    n = min(2 if args.quick else args.series, len(labelled))
    chosen = labelled[np.linspace(0, len(labelled) - 1, n).round().astype(int)]
    df = ds.df[ds.df.unique_id.isin(chosen)]

    # NAB's df already has the ground truth in `is_anomaly`, so the detectors write their flags to
    # `flagged`. contamination: the share of the fit part's scores that lies above the flagging threshold.
    ours = detect(df, fit_fraction=FIT_FRACTION, flag_col="flagged", contamination=0.02)
    peer = SubPCADetector(contamination=0.02).detect(df, fit_fraction=FIT_FRACTION, flag_col="flagged")

    rows = []
    for uid, g in ours.groupby("unique_id", sort=False):
        p = peer[peer.unique_id == uid]
        rows.append({"series": uid, "points": len(g), "tsheads VUS-PR": vus_pr(g.is_anomaly, g.anomaly_score),
                     "Sub-PCA VUS-PR": vus_pr(p.is_anomaly, p.anomaly_score)})
    table = pd.DataFrame(rows)
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 200):
        print(table.to_string(index=False))
        print("mean:", table.filter(like="VUS").mean().round(3).to_dict())

    # The series on top with flagged regions shaded and the known anomaly windows as a black bar;
    # underneath, each head's score and the combined one.
    top, bottom = plot_anomalies(ours, unique_id=chosen[-1], flag_col="flagged", label_col="is_anomaly")
    top.set_title(f"NAB {chosen[-1]}: tsheads zero-shot (fit on the first {FIT_FRACTION:.0%})")
    top.figure.savefig(out_dir / "nab_anomalies.png", dpi=110)
    plt.close(top.figure)
    print("wrote", out_dir / "nab_anomalies.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
