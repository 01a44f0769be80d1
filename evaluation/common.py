"""What every suite shares: the command line, the data directory, the model and the ETTh1 z-scored array.

Keeping these in one place means the suites cannot drift apart on where data comes from, how the model is
loaded or how ETTh1 is normalised.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path

import numpy as np
import torch

from tsheads.inference import forecast_arrays

from .report import REPO_ROOT, RESULTS_DIR, ProvenanceError, check_provenance

DEFAULT_SHARED_DATA = REPO_ROOT.parent / "shared" / "datasets"


# ------------------------------------------------------------------------------------------ command line
def output_parser(description: str) -> argparse.ArgumentParser:
    """Arguments every suite has, whatever it runs: data, where results go (and their guard), threads, seed.

    Parameters
    ----------
    description : str
        The suite's one-line description for ``--help``.

    Returns
    -------
    argparse.ArgumentParser
        A parser the suite adds its own arguments to.
    """
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--data-dir", default=None,
                   help="benchmark data directory (default: $TSHEADS_DATA, else ../shared/datasets if present)")
    p.add_argument("--out-dir", default=None,
                   help=f"where <suite>.md/.json go (default: {RESULTS_DIR}, or its quick/ folder with --quick)")
    p.add_argument("--allow-dirty", action="store_true",
                   help=f"write into {RESULTS_DIR.name}/ even from a git tree with uncommitted changes (refused "
                        "otherwise: committed numbers must come from a clean commit that holds the code)")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's choice)")
    p.add_argument("--seed", type=int, default=0, help="seed for masks, random data and the random model")
    return p


def base_parser(description: str) -> argparse.ArgumentParser:
    """:func:`output_parser` (same argument and result) plus the model, speed and ``--quick`` arguments of the
    network suites; ``run_all`` forwards exactly these."""
    p = output_parser(description)
    p.add_argument("--quick", action="store_true", help="tiny subset for a smoke test (numbers are not comparable)")
    p.add_argument("--model", choices=("pretrained", "random"), default="pretrained",
                   help="'random' = untrained DualSpaceModel(EncoderConfig()), for testing the harness only")
    p.add_argument("--weights", default=None,
                   help="path stem of a saved model (<stem>.safetensors + .json) instead of the bundled one")
    p.add_argument("--batch-size", type=int, default=512, help="rows per forward pass of the network")
    p.add_argument("--jobs", type=int, default=None,
                   help="processes for the statistical peers (default: all CPUs, 1 with --quick)")
    return p


def suite_main(build_parser, run, argv: list[str] | None = None):
    """A suite's command line: parse, run, write ``<suite>.{md,json}``, print the table; returns the Report."""
    from .report import write_report

    args = parse_args(build_parser(), argv)
    report = run(args)
    md, js = write_report(report, args.out_dir, allow_dirty=args.allow_dirty)
    print(md.read_text())
    print(f"wrote {md} and {js}")
    return report


def parse_args(parser: argparse.ArgumentParser, argv: list[str] | None):
    """Parse ``argv`` (default ``sys.argv[1:]``); keep it for the report and resolve the data directory.

    Refuses (exit status 2, via ``parser.error``) a run that would write into the committed results
    folder from a dirty tree, unless ``--allow-dirty`` is given (see :func:`evaluation.report.check_provenance`).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv
    args.data_dir = resolve_data_dir(args.data_dir)
    if args.out_dir is None:  # smoke-test tables must never overwrite real results
        args.out_dir = str(RESULTS_DIR / "quick" if getattr(args, "quick", False) else RESULTS_DIR)
    try:  # refuse before the run, not after hours of it (write_report checks again)
        check_provenance(args.out_dir, args.allow_dirty)
    except ProvenanceError as err:
        parser.error(str(err))
    if args.threads:
        torch.set_num_threads(args.threads)
    return args


def n_jobs(args) -> int:
    if args.jobs is not None:
        return max(1, args.jobs)
    return 1 if args.quick else (os.cpu_count() or 1)


def resolve_data_dir(arg: str | None) -> Path | None:
    """``--data-dir``, else ``$TSHEADS_DATA``, else ``../shared/datasets`` if it exists, else None (loader default)."""
    if arg:
        return Path(arg).expanduser().resolve()
    env = os.environ.get("TSHEADS_DATA")
    if env:
        return Path(env).expanduser().resolve()
    return DEFAULT_SHARED_DATA.resolve() if DEFAULT_SHARED_DATA.is_dir() else None


def parameters(args, **extra) -> dict:
    """Every argument (with the resolved data directory) plus derived settings, for the report."""
    params = {k: v for k, v in vars(args).items() if k not in ("out_dir", "argv")}
    params["data_dir"] = None if args.data_dir is None else str(args.data_dir)
    params.update(extra)
    return params


# -------------------------------------------------------------------------------------------------- model
def load_model(kind: str = "pretrained", seed: int = 0, weights: str | None = None, warm_up: bool = True):
    """The bundled model, a saved one (``weights`` stem), or a randomly initialised one (harness tests only).

    ``warm_up`` runs one tiny forecast so one-off start-up costs do not land in the first timed method.
    """
    if weights is not None:
        from tsheads.nn.weights import load_model as load_saved

        model = load_saved(weights)
    elif kind == "pretrained":
        try:
            from tsheads.pretrained import load_pretrained
        except ImportError as err:
            raise SystemExit(f"tsheads.pretrained.load_pretrained is not available ({err}); "
                             "run with --model random to test the harness") from err
        model = load_pretrained()
    else:
        from tsheads.nn.config import EncoderConfig
        from tsheads.nn.model import DualSpaceModel

        with torch.random.fork_rng():
            torch.manual_seed(seed)
            model = DualSpaceModel(EncoderConfig())
    model.eval()
    if warm_up:
        x = np.random.default_rng(0).standard_normal((2, 1, model.config.context_length)).cumsum(-1)
        forecast_arrays(model, x, np.ones_like(x, dtype=bool), model.config.horizon)
    return model


def model_from_args(args):
    return load_model(args.model, args.seed, args.weights)


def estimator_weights(args, model, folder) -> str | None:
    """The ``weights=`` an estimator needs to use ``model``: the suite's file, else ``model`` saved in ``folder``.

    Estimators load weights from files, so the untrained ``--model random`` network is saved first; None
    (the shipped weights) for the pretrained model.
    """
    if args.weights is None and args.model == "random":
        from tsheads.nn.weights import save_model

        save_model(model, Path(folder) / "random")
        return str(Path(folder) / "random")
    return args.weights


def weights_digest(model) -> str:
    """First 16 hex digits of the SHA-256 of a network's named tensors: which weights made a number."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def model_info(model, args) -> dict:
    """What identifies the network behind a number: source, size, shape, weight-file metadata, weight hash."""
    cfg = model.config
    stem, meta = args.weights, None
    if stem is None and args.model == "pretrained":
        from tsheads.pretrained import pretrained_path

        stem = pretrained_path()
    if stem is not None:
        from tsheads.nn.weights import read_config

        meta = read_config(stem)[1]
    return {
        "kind": "file" if args.weights else args.model,
        "weights": None if stem is None else str(stem),
        "weights_meta": meta,
        "parameters": int(model.n_parameters()),
        "context_length": cfg.context_length,
        "horizon": cfg.horizon,
        "n_quantiles": len(cfg.quantiles),
        "weights_sha256": weights_digest(model),
        "config": cfg.to_dict() if hasattr(cfg, "to_dict") else str(cfg),
    }


# ------------------------------------------------------------------------------------------------- ETTh1
def etth1_normalised(data_dir) -> tuple[np.ndarray, list[str], dict]:
    """ETTh1 as a (rows, 7) array z-scored per channel with train-row statistics (Informer's StandardScaler).

    The standard protocol scores normalised values, so MSE/MAE here are comparable with published tables.
    """
    from tsheads.datasets import ETTH1_SPLITS, load_dataset

    wide = load_dataset("etth1", data_dir=data_dir).to_wide()
    values = wide.to_numpy(dtype=np.float64)
    train = values[slice(*ETTH1_SPLITS["train"])]
    mean, std = train.mean(axis=0), train.std(axis=0)  # ddof=0, as sklearn's StandardScaler
    return (values - mean) / std, list(wide.columns), {"mean": mean.tolist(), "std": std.tolist()}
