"""Fine-tuning the pretrained model on your own history: zero-shot vs head-only vs all weights.

Zero-shot forecasts use the shipped weights as they are. ``fine_tune="head"`` adapts only the forecast
head on sliding windows of the history you ``fit`` (fast, hard to overfit); ``fine_tune="all"`` adapts
every weight (slower; more capacity, more risk). Both hold out the last 10 % of the history, stop early
when the loss there stops falling and keep the best weights (``model.fine_tune_report_`` says how it went).
We compare the three on Taylor's test week, then save the tuned model and load it back: a loaded model must
reproduce the saved one's forecasts exactly.

    python examples/fine_tuning.py [--steps 100] [--quick] [--out-dir DIR]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from tsheads import ZeroShotForecaster, evaluate, load_dataset


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, help="fine-tuning steps (AdamW minibatches; default 100)")
    parser.add_argument("--quick", action="store_true", help="2 steps, forecast one day")
    parser.add_argument("--out-dir", default=".", help="where to save the tuned model (taylor_tuned.*)")
    args = parser.parse_args(argv)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    steps = args.steps or (2 if args.quick else 100)

    ds = load_dataset("taylor")
    train = ds.train_df
    h = 48 if args.quick else ds.horizon
    test = ds.test_df.head(h)

    # Same class, three settings; random_state makes the fine-tuning minibatches repeatable.
    # --quick also uses small minibatches: the point there is to run every step, not to learn much.
    batch = 8 if args.quick else 64
    variants = {"zero-shot": ZeroShotForecaster(),
                "tuned head": ZeroShotForecaster(fine_tune="head", fine_tune_steps=steps,
                                                 fine_tune_batch_size=batch, random_state=0),
                "tuned all": ZeroShotForecaster(fine_tune="all", fine_tune_steps=steps,
                                                fine_tune_batch_size=batch, random_state=0)}
    scored, seconds = test.copy(), {}
    for name, model in variants.items():
        start = time.perf_counter()
        model.fit(train)  # zero-shot: only keeps the history; otherwise fine-tunes on it first
        seconds[name] = time.perf_counter() - start
        scored[name] = model.predict(h)["TSHeads"].to_numpy()  # predict(h) forecasts after the fitted frame

    table = evaluate(scored, ["mae", "smape", "mase"], train_df=train, seasonality=ds.seasonality, aggregate=True)
    table = pd.concat([table, pd.DataFrame([{"metric": "fit seconds", **seconds}])], ignore_index=True)
    print(f"forecasting the {h} half-hours after the training part; {steps} fine-tuning steps")
    with pd.option_context("display.float_format", "{:.3f}".format):
        print(table.to_string(index=False), "\n")

    # save() writes <stem>.safetensors (the weights) + <stem>.json (the estimator's parameters).
    # A loaded model holds no fitted frame, so it forecasts from a history passed as df=.
    tuned = variants["tuned head"]
    path = tuned.save(out_dir / "taylor_tuned")
    loaded = ZeroShotForecaster.load(path)
    same = np.array_equal(loaded.predict(h, df=train)["TSHeads"], tuned.predict(h)["TSHeads"])
    print(f"saved {path.name} ({path.stat().st_size / 1e6:.1f} MB); loaded model gives identical forecasts: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
