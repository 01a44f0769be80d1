"""Held-out pretraining loss: the same masked objective on a fixed set of batches, for clean curves.

Single training batches are too noisy to compare checkpoints (one spiky or trending window can dominate
a batch's forecast MSE), so checkpoints are scored on ``n_batches`` batches drawn with a seed the
training sampler never uses: fresh synthetic series, and new windows of the real series.

    python -m tsheads.pretrain.validate STEM_OR_CHECKPOINT [...]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from .corpus import CorpusSampler
from .loop import TrainConfig, batch_losses

VALIDATION_SEED = 12345


def validation_losses(model, real: list, n_batches: int = 8, batch_size: int = 256,
                      seed: int = VALIDATION_SEED) -> dict:
    """Mean of each loss part over the fixed validation batches (float32, no dropout)."""
    cfg = model.config
    train = TrainConfig(real_fraction=0.3 if real else 0.0, bf16=False)
    sampler = CorpusSampler(cfg.context_length, cfg.horizon, real, train.real_fraction, seed=seed)
    gen = torch.Generator().manual_seed(seed)
    quantiles = torch.tensor(cfg.quantiles)
    model.eval()
    sums = None
    with torch.no_grad():
        for _ in range(n_batches):
            parts = batch_losses(model, sampler.batch(batch_size), gen, train, quantiles, "cpu")._asdict()
            values = {k: float(v) for k, v in parts.items()}
            sums = values if sums is None else {k: sums[k] + values[k] for k in sums}
    return {k: v / n_batches for k, v in sums.items()}


def _load(path):
    """A model file stem, or a training checkpoint (``model.``-prefixed tensors) with the default config."""
    from safetensors.torch import load_file

    from ..nn.config import EncoderConfig
    from ..nn.model import DualSpaceModel
    from ..nn.weights import load_model

    if str(path).endswith(".safetensors"):
        tensors = load_file(str(path))
        if any(k.startswith("model.") for k in tensors):
            model = DualSpaceModel(EncoderConfig())
            model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
            return model.eval()
    return load_model(path)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m tsheads.pretrain.validate", description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="+")
    p.add_argument("--batches", type=int, default=8)
    p.add_argument("--synthetic-only", action="store_true")
    args = p.parse_args(argv)
    real = []
    if not args.synthetic_only:
        from .real import real_series

        real = [s for group in real_series().values() for s in group]
    for path in args.models:
        losses = validation_losses(_load(path), real, args.batches)
        print(path, " ".join(f"{k}={v:.4f}" for k, v in losses.items()))
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
