"""How the v2 pretraining mix was chosen: short proxy runs scored on held-out pretraining series only.

Candidates differ in the share of real windows (the rest synthetic), the per-source cap, the share of
downsampled (summed) real windows and the weight on the semantic-register loss. Each trains the same small
v2-shaped proxy (1,024-point context, 32-point patches, resolution offsets, 720-step patch head) for the same
number of steps and seed, then is scored on the held-out series of :mod:`tsheads.pretrain.mix` (every
source weighs the same there, so no candidate's weighting is favoured). No benchmark series is used, so the
choice cannot tune on a suite's test windows.

    python -m evaluation.pretraining_mix_choice [--steps 300] [--quick]
"""

from __future__ import annotations

import tempfile

import numpy as np
import pandas as pd
import torch

from tsheads.nn.config import V2_SHAPE, EncoderConfig
from tsheads.nn.weights import load_model
from tsheads.pretrain.loop import TrainConfig, pretrain
from tsheads.pretrain.mix import Corpus, build_corpus, source_groups
from tsheads.pretrain.validate import register_retrieval, validation_losses

from .common import base_parser, parameters, suite_main
from .report import Report, Timings, suite_command

SUITE = "pretraining_mix_choice"
PROXY = {**V2_SHAPE, "d_model": 48, "n_layers": 3}
#: name -> (real_fraction, cap, aggregate_fraction, register_weight)
CANDIDATES = {
    "v1-like: 30 % real, cap 0.15": (0.3, 0.15, 0.0, 0.0),
    "70 % real, cap 0.15": (0.7, 0.15, 0.0, 0.0),
    "70 % real, no cap": (0.7, 1.0, 0.0, 0.0),
    "70 % real, cap 0.15, 20 % summed": (0.7, 0.15, 0.2, 0.0),
    "70 % real, cap 0.15, 20 % summed, registers 0.1": (0.7, 0.15, 0.2, 0.1),
}


def equal_source_weights(corpus: Corpus) -> Corpus:
    """The same series, each source weighing the same (series inside a source by sqrt of length)."""
    sources = np.array(corpus.sources)
    lengths = np.sqrt([len(s) for s in corpus.series])
    weights = np.zeros(len(sources))
    for name in set(corpus.sources):
        inside = sources == name
        weights[inside] = lengths[inside] / lengths[inside].sum()
    return corpus._replace(weights=list(weights))


def run(args) -> Report:
    torch.manual_seed(args.seed)
    timings = Timings()
    with timings.time("load corpus"):
        groups = source_groups()
    validation = equal_source_weights(build_corpus(groups)[1])
    config = EncoderConfig(**PROXY)
    steps = 4 if args.quick else args.steps
    n_views = 64 if args.quick else 256
    rows = []
    for name, (real, cap, aggregate, registers) in CANDIDATES.items():
        train_corpus = build_corpus(groups, cap=cap)[0]
        train = TrainConfig(steps=steps, batch_size=args.train_batch, learning_rate=2e-3, warmup=max(1, steps // 10),
                            real_fraction=real, aggregate_fraction=aggregate, register_weight=registers,
                            checkpoint_every=10**9, seed=args.seed, bf16=False)
        with timings.time(name), tempfile.TemporaryDirectory() as tmp:
            pretrain(tmp, config, train, train_corpus, verbose=False)
            model = load_model(f"{tmp}/final")
            losses = validation_losses(model, validation, n_batches=2 if args.quick else 8,
                                       batch_size=args.train_batch, real_fraction=1.0)
            retrieval = register_retrieval(model, validation, n=n_views)
        rows.append({"candidate": name, "forecast pinball": losses["forecast_pinball"],
                     "forecast MSE": losses["forecast_mse"], "time recon": losses["time_recon"],
                     "FFT recon": losses["fft_recon"], "register retrieval": retrieval})
    table = pd.DataFrame(rows).set_index("candidate")
    best = table["forecast pinball"].idxmin()
    notes = [f"proxy {PROXY['d_model']}-wide, {PROXY['n_layers']} layers, {steps} steps of {args.train_batch} "
             f"windows per candidate, seed {args.seed}; scored on {len(validation.series)} held-out series "
             f"({sum(map(len, validation.series)):,} points), every source weighing the same.",
             f"lowest held-out forecast pinball loss: {best}. Losses are in each window's scaled units.",
             f"register retrieval: share of {n_views} perturbed held-out windows (rescaled, offset, shifted up to a "
             f"patch, noisy) whose nearest register embedding is their own original; chance is 1/{n_views}."]
    return Report(
        suite=SUITE, title="Pretraining mix of encoder v2, chosen on held-out pretraining series (not a benchmark)",
        command=suite_command(SUITE, args.argv), parameters=parameters(args, proxy=PROXY),
        tables={"Held-out losses by candidate mix (lower is better; retrieval higher)": table},
        wall_times={k: round(v, 2) for k, v in timings.seconds.items()}, notes=notes,
        floatfmt={"Held-out losses by candidate mix (lower is better; retrieval higher)": ".4f"})


def build_parser():
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=300, help="training steps per candidate")
    p.add_argument("--train-batch", type=int, default=64, help="windows per training step")
    return p


def main(argv=None) -> Report:
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
