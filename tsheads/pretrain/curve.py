"""The training curve of a pretraining run: a table of mean losses per block of steps, and a plot.

``python -m tsheads.pretrain.curve RUN_DIR [--every 500] [--png PATH]`` prints the markdown table.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

LOSSES = ["total", "forecast_mse", "forecast_pinball", "time_recon", "fft_recon"]


def read_log(run_dir) -> pd.DataFrame:
    """``log.jsonl`` as a frame; a resumed run's repeated steps keep their last record."""
    rows = [json.loads(line) for line in (Path(run_dir) / "log.jsonl").read_text().splitlines() if line.strip()]
    return pd.DataFrame(rows).drop_duplicates("step", keep="last").sort_values("step").reset_index(drop=True)


def summarise(log: pd.DataFrame, every: int = 500) -> pd.DataFrame:
    """Mean of each loss over blocks of ``every`` steps (single batches are too noisy to read)."""
    block = ((log["step"] - 1) // every + 1) * every
    out = log.groupby(block)[LOSSES].mean()
    out.index.name = "steps up to"
    return out


def plot(log: pd.DataFrame, path, every: int = 500) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    smooth = log.set_index("step")[LOSSES].rolling(max(1, every // 25), min_periods=1).mean()
    for name in LOSSES:
        ax.plot(smooth.index, smooth[name], label=name)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(f"loss (scaled space, rolling mean over {every} steps)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m tsheads.pretrain.curve", description=__doc__.splitlines()[0])
    p.add_argument("run_dir")
    p.add_argument("--every", type=int, default=500)
    p.add_argument("--png", default=None)
    args = p.parse_args(argv)
    log = read_log(args.run_dir)
    table = summarise(log, args.every)
    print(table.round(4).to_markdown() if _has_tabulate() else table.round(4).to_string())
    print(f"\nsteps {int(log.step.max())}, wall time of the last call {log.elapsed_s.max() / 60:.1f} min")
    if args.png:
        print(f"wrote {plot(log, args.png, args.every)}")
    return 0


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
