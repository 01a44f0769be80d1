"""The ``tsheads`` command: forecast, detect and impute long frames from files, run the main job or a benchmark.

``forecast``, ``detect`` and ``impute`` read a long frame (CSV or Parquet; ``-`` is CSV on stdin) and write one
(``-o``, default CSV on stdout), with progress bars on stderr that ``--quiet`` turns off; ``datasets`` writes one.
Every subcommand reports bad input as one ``error: ...`` line with exit status 2, before doing any long work
where it can. ``tsheads SUBCOMMAND --help`` lists the options.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Optional, Sequence

from .errors import TsheadsError

__all__ = ["build_parser", "main"]

#: exit status for bad input or usage, as argparse's; an unexpected failure (a bug) shows its traceback, status 1
EXIT_BAD_INPUT = 2

FORECAST_MODELS = ("zero-shot", "validated", "wta", "seasonal-naive", "naive")
DETECTORS = {"tsheads": "TriangulationDetector", "subpca": "SubPCADetector", "iforest": "WindowIForestDetector",
             "matrix-profile": "MatrixProfileDetector", "stl": "STLResidualDetector"}


# ------------------------------------------------------------------------------------------------ parser
def _columns(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("columns of the long frame")
    g.add_argument("--id-col", default="unique_id", help="series id column (default unique_id)")
    g.add_argument("--time-col", default="ds", help="time column: ISO dates or integers (default ds)")
    g.add_argument("--target-col", default="y", help="value column (default y)")


def _io(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", help="long frame: .csv, .csv.gz, .parquet, or - for CSV on stdin")
    p.add_argument("-o", "--output", default="-", help="where the result goes: .csv or .parquet (default: stdout)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    p.add_argument("--chunk-rows", type=_non_negative_int, default=1_000_000,
                   help="read and process the input in pieces of about this many rows, whole series each, so "
                        "memory stays flat for any number of series (the rows of a series must be contiguous); "
                        "0 reads it whole. Training (--fine-tune, --model wta) always reads it whole. "
                        "Default 1000000")


def _seed(p: argparse.ArgumentParser) -> None:
    p.add_argument("--random-state", type=int, default=0, help="seed for training and sampling (default 0)")


def _number(kind, ok, wanted: str):
    """An argparse type: ``kind(text)`` that must satisfy ``ok``, else "must be <wanted>"."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {wanted}, got {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"must be {wanted}, got {text}")
        return value

    return parse


_positive_int = _number(int, lambda v: v >= 1, "a positive integer")


def _short_history(text: str):
    """``--short-history``: "auto", "none" (None) or a positive number of points."""
    if text in ("auto", "none"):
        return None if text == "none" else text
    return _positive_int(text)


_non_negative_int = _number(int, lambda v: v >= 0, "a non-negative integer")
_fraction = _number(float, lambda v: 0 < v <= 1, "a number in (0, 1]")


def _demo_parser(sub) -> None:
    from .datasets import list_datasets
    from .demo import DEFAULT_PLOT

    p = sub.add_parser("demo", help="the main job: zero-shot forecast + anomaly detection on a real series",
                       description="Forecast a real series zero-shot and with baselines, score its anomalies, "
                                   "print a short table and draw both. With no options it runs on Taylor's "
                                   "half-hourly electricity demand, which installs with tsheads.")
    p.add_argument("--dataset", default="taylor", help=f"one of {', '.join(list_datasets())} (default taylor)")
    p.add_argument("--data-dir", default=None, help="folder with the public sets (default $TSHEADS_DATA)")
    p.add_argument("--horizon", type=_positive_int, default=None, help="forecast horizon (default: the dataset's)")
    p.add_argument("--series", default=None, help="series to score and draw (default: the first)")
    p.add_argument("--plot", default=DEFAULT_PLOT, help=f"PNG to write (default {DEFAULT_PLOT})")
    p.add_argument("--no-plot", action="store_true", help="write no PNG")


def _forecast_parser(sub) -> None:
    p = sub.add_parser("forecast", help="forecast every series of a long frame",
                       description="Forecast every series of a long frame. Zero-shot by default (no training); "
                                   "--model wta trains the winner-takes-all forecaster on the frame first.")
    _io(p)
    _seed(p)
    p.add_argument("-H", "--horizon", type=_positive_int, required=True, help="steps to forecast")
    p.add_argument("--model", choices=FORECAST_MODELS, default="zero-shot",
                   help="default zero-shot (the network alone); validated = what tsheads.forecast(df, h) returns: "
                        "the network and classical forecasters backtested and weighted per series")
    p.add_argument("--level", type=float, nargs="*", default=None,
                   help="prediction-interval levels in percent (default 80 95; none: --level alone)")
    p.add_argument("--quantiles", type=float, nargs="*", default=None, help="quantile levels in (0, 1), e.g. 0.1 0.9")
    p.add_argument("--season-length", type=_positive_int, default=None,
                   help="seasonal period: of seasonal naive, of the validated candidates, the WTA heads' anchor")
    p.add_argument("--context-length", type=_positive_int, default=None, help="history the network reads (<= 512)")
    p.add_argument("--short-history", type=_short_history, default="auto",
                   help="series of at most this many points go to the bundled short-context network: auto (the "
                        "default), a number, or none")
    p.add_argument("--fine-tune", choices=("head", "all"), default=None,
                   help="zero-shot model: fine-tune the forecast head or the whole model on the frame first")
    p.add_argument("--fine-tune-steps", type=_positive_int, default=200, help="fine-tuning steps (default 200)")
    p.add_argument("--n-hypotheses", type=_positive_int, default=8, help="WTA: hypothesis heads (default 8)")
    p.add_argument("--max-epochs", type=_positive_int, default=40, help="WTA: most training epochs (default 40)")
    p.add_argument("--steps-per-epoch", type=_positive_int, default=50, help="WTA: batches per epoch (default 50)")
    p.add_argument("--transform", choices=("log", "auto"), default=None,
                   help="WTA: learn the log of each series (values must be above 0); auto: only with a seasonal "
                        "anchor (default: the series as they are)")
    p.add_argument("--hypotheses", action="store_true",
                   help="WTA: write the weighted hypotheses (hypothesis, weight columns) instead of the forecast")
    p.add_argument("--precision", choices=("float32", "bfloat16"), default="float32", help="network precision")
    p.add_argument("--save-model", default=None, help="save the fitted model to this path stem (.safetensors + .json)")
    p.add_argument("--load-model", default=None, help="forecast with a model saved by --save-model (no training)")
    p.add_argument("--plot", default=None, help="draw the first series' forecast (or --plot-series) to this PNG")
    p.add_argument("--plot-series", default=None, help="series to draw with --plot")
    _columns(p)


def _detect_parser(sub) -> None:
    p = sub.add_parser("detect", help="score anomalies of every series of a long frame",
                       description="Anomaly scores (higher = more anomalous) and 0/1 flags for every time step of "
                                   "every series. Each series gets its own detector, fitted on its first "
                                   "--fit-fraction (or all of it) as the example of normal behaviour.")
    _io(p)
    _seed(p)
    p.add_argument("--detector", choices=tuple(DETECTORS), default="tsheads",
                   help="tsheads (pretrained encoder, zero-shot; default) or a classical peer")
    p.add_argument("--fit-fraction", type=_fraction, default=None,
                   help="share of each series that is normal (default: the whole series)")
    p.add_argument("--contamination", type=float, default=0.1,
                   help="expected share of anomalies: sets the flag threshold (default 0.1)")
    p.add_argument("--combine", default=None,
                   help="tsheads: how the heads' scores combine: auto (default), probe, fisher, agreement, max, mean "
                        "or a head name")
    p.add_argument("--heads", nargs="+", default=None,
                   help="tsheads: heads to use, of time fft forecast embedding cycle coarse subspace (default: "
                        "TriangulationDetector's default heads)")
    p.add_argument("--score-col", default="anomaly_score", help="output score column (default anomaly_score)")
    p.add_argument("--flag-col", default="is_anomaly", help="output 0/1 column (default is_anomaly)")
    p.add_argument("--threshold-col", default=None, help="also write each series' flag threshold in this column")
    p.add_argument("--plot", default=None, help="draw the first series (or --plot-series) with its scores to a PNG")
    p.add_argument("--plot-series", default=None, help="series to draw with --plot")
    _columns(p)


def _impute_parser(sub) -> None:
    p = sub.add_parser("impute", help="fill NaN values and missing time stamps",
                       description="Fill NaN values and missing time stamps of every series by masked reconstruction "
                                   "with the pretrained model; adds a boolean column marking the filled rows.")
    _io(p)
    p.add_argument("--head", choices=("mean", "time", "fft"), default="mean",
                   help="reconstruction head (default: the mean of both)")
    p.add_argument("--freq", default=None, help="the series' frequency when it cannot be inferred (e.g. 30min, D)")
    p.add_argument("--indicator", default="is_imputed", help="name of the filled-row column (default is_imputed)")
    _columns(p)


def _benchmark_parser(sub) -> None:
    p = sub.add_parser("benchmark", help="run an evaluation suite and print its table",
                       description="Run a benchmark suite of the repository's evaluation/ folder (needs a clone of "
                                   "the repository) and print its table; options after SUITE go to the suite, "
                                   "e.g. --quick or --data-dir. Without SUITE, list them.")
    p.add_argument("suite", nargs="?", default=None, help="suite or collection name")
    p.add_argument("suite_args", nargs=argparse.REMAINDER, help="options for the suite (see SUITE --help)")


def _datasets_parser(sub) -> None:
    p = sub.add_parser("datasets", help="list the datasets, or write one as a long frame",
                       description="Without NAME, list the datasets load_dataset knows. With NAME, write it as a "
                                   "long frame, e.g. to try the other commands on real data.")
    p.add_argument("name", nargs="?", default=None, help="dataset to write (e.g. taylor)")
    p.add_argument("-o", "--output", default="-", help=".csv or .parquet (default: stdout)")
    p.add_argument("--part", choices=("all", "train", "test"), default="all", help="which part (default all)")
    p.add_argument("--data-dir", default=None, help="folder with the public sets (default $TSHEADS_DATA)")


def build_parser() -> argparse.ArgumentParser:
    """The ``tsheads`` argument parser with its subcommands.

    Returns
    -------
    argparse.ArgumentParser
        Parser whose ``command`` attribute names the chosen subcommand.
    """
    from . import __version__

    parser = argparse.ArgumentParser(prog="tsheads", description="Forecast, detect anomalies in and impute long "
                                     "frames from CSV or Parquet files; run the main job or a benchmark suite.",
                                     epilog="Run 'tsheads demo' first: it needs no data and shows what comes out.")
    parser.add_argument("--version", action="version", version=f"tsheads {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _demo_parser(sub)
    _forecast_parser(sub)
    _detect_parser(sub)
    _impute_parser(sub)
    _benchmark_parser(sub)
    _datasets_parser(sub)
    return parser


# ------------------------------------------------------------------------------------------------ commands
#: options that only shape training; a loaded model keeps the settings it was saved with
TRAINING_OPTIONS = {"model": "zero-shot", "fine_tune": None, "fine_tune_steps": 200, "context_length": None,
                    "short_history": "auto", "season_length": None, "n_hypotheses": 8, "max_epochs": 40,
                    "steps_per_epoch": 50, "precision": "float32", "transform": None}
#: the models each training option applies to (set for another model, it would be silently ignored)
MODEL_OPTIONS = {"fine_tune": ("zero-shot",), "context_length": ("zero-shot", "validated", "wta"),
                 "short_history": ("zero-shot", "validated"),
                 "precision": ("zero-shot", "validated", "wta"),
                 "season_length": ("seasonal-naive", "validated", "wta"), "n_hypotheses": ("wta",),
                 "max_epochs": ("wta",), "steps_per_epoch": ("wta",), "transform": ("wta",)}


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _column_kwargs(args) -> dict:
    return {"id_col": args.id_col, "time_col": args.time_col, "target_col": args.target_col}


def _check_plot_options(args) -> None:
    if args.plot_series is not None and not args.plot:
        raise TsheadsError("--plot-series chooses the series --plot draws; add --plot FILE.png")
    if args.plot:
        from .files import check_writable

        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise TsheadsError("--plot needs matplotlib: pip install 'tsheads[plot]'") from None
        check_writable(args.plot, "plot")


def _plot_id(frame, args):
    """The series ``--plot`` draws if it is in ``frame``: ``--plot-series`` (compared as text) or the first."""
    ids = frame[args.id_col].drop_duplicates()
    if args.plot_series is None:
        return ids.iloc[0]
    match = ids[ids.astype(str) == args.plot_series]
    return None if match.empty else match.iloc[0]


def _run_pieces(args, process, whole: bool = False):
    """Feed the input through ``process`` piece by piece (whole series each), appending the outputs.

    Returns the input and output rows of the series ``--plot`` draws (``None`` without ``--plot``). An output
    file appears only when every piece succeeded; on stdout, pieces printed before an error stay printed.
    """
    from .io import FrameWriter, iter_frames, read_frame

    if args.output != "-" and args.input != "-" and Path(args.output).exists() and \
            Path(args.output).resolve() == Path(args.input).resolve():
        raise TsheadsError("-o names the input file; write the result to another file")

    drawn, plot = None, getattr(args, "plot", None)
    with FrameWriter(args.output) as writer:  # refuses an output that cannot be written before any reading
        if whole or not args.chunk_rows:
            pieces = iter([read_frame(args.input, id_col=args.id_col, time_col=args.time_col)])
        else:
            pieces = iter_frames(args.input, id_col=args.id_col, time_col=args.time_col, chunk_rows=args.chunk_rows)
        for piece in pieces:
            try:
                out = process(piece)
            except TsheadsError:
                _raise_if_split(pieces)
                raise
            writer.write(out)
            if plot and drawn is None:
                uid = _plot_id(piece, args)
                if uid is not None:
                    drawn = (uid, piece[piece[args.id_col] == uid], out[out[args.id_col] == uid])
    if plot and drawn is None:
        raise TsheadsError(f"the output is written, but --plot-series {args.plot_series!r} is not a series of the "
                           "input: nothing drawn")
    return drawn


def _raise_if_split(pieces) -> None:
    """Read the rest of the input (without processing it): a series whose rows are split across the file, as
    in one sorted by time, makes pieces of a few rows each, and that is the real cause of an error they raise."""
    from .errors import SplitSeriesError

    try:
        for _ in pieces:
            pass
    except SplitSeriesError:
        raise
    except TsheadsError:
        pass


def _check_forecast_options(args) -> None:
    """Refuse contradictory options before any data is read or any model trained."""
    _check_plot_options(args)
    if args.hypotheses and (args.level is not None or args.quantiles is not None):
        raise TsheadsError("--hypotheses writes the weighted paths, not intervals: drop --level/--quantiles")
    if args.load_model is not None:
        changed = [_option(k) for k, v in TRAINING_OPTIONS.items() if getattr(args, k) != v]
        if changed:
            raise TsheadsError(f"--load-model forecasts with the saved model's settings; {', '.join(changed)} "
                               "would be ignored: drop them")
        if args.save_model is not None:
            raise TsheadsError("--save-model with --load-model would only copy the saved files")
        return
    if args.save_model is not None:
        from .nn.weights import check_save_path

        check_save_path(args.save_model)  # before training, not after it
    if args.hypotheses and args.model != "wta":
        raise TsheadsError("--hypotheses needs --model wta (or --load-model of a saved WTA forecaster)")
    unused = [_option(k) for k, models in MODEL_OPTIONS.items()
              if args.model not in models and getattr(args, k) != TRAINING_OPTIONS[k]]
    if unused:
        raise TsheadsError(f"{', '.join(unused)} do(es) not apply to --model {args.model}")
    if args.fine_tune is None and args.fine_tune_steps != TRAINING_OPTIONS["fine_tune_steps"]:
        raise TsheadsError("--fine-tune-steps needs --fine-tune head|all")
    if args.save_model is not None and args.model not in ("zero-shot", "wta"):
        raise TsheadsError(f"--save-model: the {args.model} baseline has no model to save")
    if args.model == "seasonal-naive" and args.season_length is None:
        raise TsheadsError("--model seasonal-naive needs --season-length")


def _load_saved(path: str):
    """The forecaster a ``save`` wrote, by the architecture its JSON names (nothing is unpickled)."""
    from .estimators.wta import WTAForecaster
    from .estimators.zero_shot import ZeroShotForecaster
    from .nn.weights import saved_architecture

    return {"DualSpaceModel": ZeroShotForecaster, "WTAModel": WTAForecaster}[saved_architecture(path)].load(path)


def _forecaster(args):
    from .estimators.baselines import Naive, SeasonalNaive

    if args.model == "zero-shot":
        from .estimators.zero_shot import ZeroShotForecaster

        return ZeroShotForecaster(context_length=args.context_length, short_history=args.short_history,
                                  fine_tune=args.fine_tune,
                                  fine_tune_steps=args.fine_tune_steps, random_state=args.random_state,
                                  precision=args.precision, verbose=not args.quiet)
    if args.model == "validated":
        from .estimators.validated import ValidatedForecaster

        return ValidatedForecaster(season_length=args.season_length, context_length=args.context_length,
                                   short_history=args.short_history, precision=args.precision)
    if args.model == "wta":
        from .estimators.wta import WTAForecaster

        return WTAForecaster(h=args.horizon, context_length=args.context_length, n_hypotheses=args.n_hypotheses,
                             season_length=args.season_length, max_epochs=args.max_epochs,
                             steps_per_epoch=args.steps_per_epoch, transform=args.transform,
                             random_state=args.random_state, precision=args.precision, verbose=not args.quiet)
    if args.model == "seasonal-naive":
        return SeasonalNaive(season_length=args.season_length)
    return Naive()


def cmd_forecast(args) -> None:
    _check_forecast_options(args)
    cols = _column_kwargs(args)
    bands = {"level": [80, 95] if args.level is None else (args.level or None), "quantiles": args.quantiles or None}
    if args.load_model:
        model = _load_saved(args.load_model)
        if args.hypotheses and not hasattr(model, "predict_hypotheses"):
            raise TsheadsError(f"--hypotheses: {args.load_model} holds a {type(model).__name__}, which gives no "
                               "hypotheses; load a model saved with --model wta")

        def process(frame):
            if args.hypotheses:
                return model.predict_hypotheses(args.horizon, df=frame, **cols)
            return model.predict(args.horizon, df=frame, **bands, **cols)
        trains = False
    else:
        trains = args.model == "wta" or args.fine_tune is not None
        model = _forecaster(args)  # one estimator for every piece
        zero_shot = args.model == "zero-shot" and not trains and args.save_model is None

        def process(frame):
            if zero_shot:  # predict(df=) keeps the loaded network; fit() would load it again per piece
                return model.predict(args.horizon, df=frame, **bands, **cols)
            model.fit(frame, **cols)
            out = model.predict_hypotheses(args.horizon) if args.hypotheses else model.predict(args.horizon, **bands)
            if args.save_model:
                model.save(args.save_model)
            return out
    drawn = _run_pieces(args, process, whole=trains or args.save_model is not None)
    if drawn is not None:
        from .plotting import plot_forecast, plot_hypotheses

        uid, history, out = drawn
        draw = plot_hypotheses if args.hypotheses else plot_forecast
        _save_plot(lambda ax: draw(history, out, unique_id=uid, last=4 * args.horizon, ax=ax, **cols), args.plot)


def _save_plot(draw, path, n_axes: int = 1) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(n_axes, 1, figsize=(10, 3.2 * n_axes), sharex=True, layout="constrained", squeeze=False)
    draw(axes[:, 0] if n_axes > 1 else axes[0, 0])
    try:
        fig.savefig(path, dpi=110)
    except (OSError, ValueError) as err:
        raise TsheadsError(f"cannot write the plot {path}: {err}") from None
    finally:
        plt.close(fig)
    print(f"plot written to {path}", file=sys.stderr)


def _detector(args):
    if args.detector == "tsheads":
        from .estimators.anomaly import DEFAULT_HEADS, TriangulationDetector

        rule = {} if args.combine is None else {"combine": args.combine}
        return TriangulationDetector(heads=tuple(args.heads) if args.heads else DEFAULT_HEADS, **rule,
                                     contamination=args.contamination, random_state=args.random_state,
                                     verbose=not args.quiet)
    if args.heads or args.combine is not None:
        raise TsheadsError(f"--heads and --combine apply to the tsheads detector, not {args.detector}")
    from .estimators import anomaly_baselines

    detector = getattr(anomaly_baselines, DETECTORS[args.detector])(contamination=args.contamination)
    if "random_state" in detector.get_params():  # e.g. the isolation forest: repeatable runs
        detector.set_params(random_state=args.random_state)
    return detector


def cmd_detect(args) -> None:
    _check_plot_options(args)
    detector = _detector(args)
    cols = _column_kwargs(args)
    names = {"score_col": args.score_col, "flag_col": args.flag_col, "threshold_col": args.threshold_col}
    drawn = _run_pieces(args, lambda frame: detector.detect(frame, fit_fraction=args.fit_fraction, **names, **cols))
    if drawn is not None:
        from .plotting import plot_anomalies

        uid, _, out = drawn
        names.pop("threshold_col")
        _save_plot(lambda ax: plot_anomalies(out, unique_id=uid, threshold_col=args.threshold_col, ax=ax, **names,
                                             **cols), args.plot, n_axes=2)


def cmd_impute(args) -> None:
    from .estimators.zero_shot import ZeroShotForecaster

    model = ZeroShotForecaster(verbose=not args.quiet)
    _run_pieces(args, lambda frame: model.impute(frame, head=args.head, freq=args.freq, indicator=args.indicator,
                                                 **_column_kwargs(args)))


def _evaluation_package():
    """Import the repository's ``evaluation`` package (it is not installed with the library)."""
    root = Path(__file__).resolve().parents[1]
    if not (root / "evaluation" / "__main__.py").is_file():
        raise TsheadsError("the benchmark suites live in the repository's evaluation/ folder, which is not part of "
                           "an installed package: clone the repository and install it with pip install -e .")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    import evaluation.__main__ as runner

    return runner


def cmd_benchmark(args) -> None:
    runner = _evaluation_package()
    if args.suite is None:
        print("collections: " + ", ".join(runner.COLLECTIONS) + "\nsuites: " + ", ".join(runner.SUITES))
        return
    if args.suite not in (*runner.COLLECTIONS, *runner.SUITES):
        raise TsheadsError(f"unknown suite {args.suite!r}; collections: {', '.join(runner.COLLECTIONS)}; "
                           f"suites: {', '.join(runner.SUITES)}")
    runner.main([args.suite, *args.suite_args])


def cmd_datasets(args) -> None:
    from .datasets import list_datasets, load_dataset
    from .io import write_frame

    if args.name is None:
        print("\n".join(list_datasets()))
        return
    ds = load_dataset(args.name, data_dir=args.data_dir)
    frame = {"all": ds.df, "train": ds.train_df, "test": ds.test_df}[args.part]
    if frame is None:
        raise TsheadsError(f"dataset {ds.name!r} has no official {args.part} part; use --part all")
    write_frame(frame, args.output)


def cmd_demo(args) -> None:
    from .demo import execute

    execute(args)


COMMANDS = {"demo": cmd_demo, "forecast": cmd_forecast, "detect": cmd_detect, "impute": cmd_impute,
            "benchmark": cmd_benchmark, "datasets": cmd_datasets}


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the ``tsheads`` command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments after the program name (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 2 for bad input or usage (one ``error:`` line on stderr), 1 for an
        unexpected failure.
    """
    args = build_parser().parse_args(argv)

    def warn(message, category, *_, **__):  # one readable line, not the source line of the library
        print(f"tsheads {args.command}: warning: {message}", file=sys.stderr)

    try:
        with warnings.catch_warnings():
            warnings.showwarning = warn
            COMMANDS[args.command](args)
    except TsheadsError as err:
        print(f"tsheads {args.command}: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # e.g. piped into head: not an error of ours
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
