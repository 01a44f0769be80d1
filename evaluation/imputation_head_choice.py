"""How the default imputation head was chosen: all three heads on ETTh1's *validation* block.

The test block is only used by ``evaluation.etth1_imputation``; choosing the head there would tune on
test. Windows of 512 rows every 128 rows inside rows [8640, 11520), exact hybrid and block masks at
12.5/25/37.5/50 % (the suite's ``exact_mask``), MSE on hidden points of train-normalised values.

    python -m evaluation.imputation_head_choice [--data-dir DIR]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from tsheads.datasets import ETTH1_SPLITS
from tsheads.inference import HEADS, impute_arrays
from tsheads.pretrained import load_pretrained

from .common import etth1_normalised, resolve_data_dir
from .etth1_imputation import RATIOS, exact_mask


def head_errors(values: np.ndarray, model, stride: int = 128, seed: int = 777) -> dict:
    start, end = ETTH1_SPLITS["val"]
    context = model.config.context_length
    x = np.stack([values[s:s + context].T for s in range(start, end - context + 1, stride)])
    n, c, t = x.shape
    out = {}
    for kind in ("hybrid", "block"):
        errors = {h: [] for h in HEADS}
        for ratio in RATIOS:
            gen = torch.Generator().manual_seed(seed + int(ratio * 1000))
            mask = exact_mask(n * c, t, ratio, kind, model.config.patch_length, gen).numpy().reshape(n, c, t)
            for head in HEADS:
                filled = impute_arrays(model, np.where(mask, 0.0, x), ~mask, head=head)
                errors[head].append(float(((filled - x)[mask] ** 2).mean()))
        out[kind] = {h: float(np.mean(v)) for h, v in errors.items()}
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m evaluation.imputation_head_choice", description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=None)
    args = p.parse_args(argv)
    values, _, _ = etth1_normalised(resolve_data_dir(args.data_dir))
    for kind, errors in head_errors(values, load_pretrained()).items():
        print(kind, "mean MSE over ratios:", {h: round(v, 4) for h, v in errors.items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
