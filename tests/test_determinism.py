"""Same random_state, separate processes: identical fitted models and forecasts (what a user re-running gets)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import hashlib, numpy as np, pandas as pd
from tsheads import WTAForecaster, ZeroShotForecaster, detect
rng = np.random.default_rng(0)
df = pd.DataFrame({"unique_id": np.repeat(["a", "b"], 300), "ds": np.tile(np.arange(300), 2),
                   "y": rng.normal(size=600).cumsum()})
parts = [
    ZeroShotForecaster(fine_tune="all", fine_tune_steps=4, random_state=7).fit(df).predict(12, level=[80]),
    WTAForecaster(h=12, n_hypotheses=3, max_epochs=2, steps_per_epoch=3, random_state=7).fit(df).sample(5),
    detect(df, fit_fraction=0.5, fine_tune=True, fine_tune_steps=3, random_state=7),
]
print(hashlib.sha256(b"".join(p.to_csv(index=False).encode() for p in parts)).hexdigest())
"""


def _digest() -> str:
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", SCRIPT], capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def test_two_processes_with_the_same_seed_agree_bit_for_bit():
    first, second = _digest(), _digest()
    assert len(first) == 64 and first == second
