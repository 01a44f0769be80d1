"""The README's demo table as a results file: the ``tsheads demo`` job written through the report writer.

Runs :func:`tsheads.demo.run`, the function ``tsheads demo`` (``make demo``) prints from, with the same
defaults (Taylor's half-hourly demand, the last week forecast, the detector fit on the first 15 %), and
writes its forecast table, the detector's strongest flagged regions and, for labelled sets, VUS-PR against
Sub-PCA, with the command, commit and machine, to ``evaluation/results/demo_table.{md,json}``.

    python -m evaluation.demo_table [--dataset taylor] [--horizon H] [--series ID] [--data-dir DIR]
"""

from __future__ import annotations

import argparse

from tsheads import demo
from tsheads.datasets import list_datasets

from .common import load_model, model_info, output_parser, parameters, suite_main
from .report import Report, suite_command

SUITE = "demo_table"


def run(args) -> Report:
    """Run the demo job and turn its tables into a :class:`~evaluation.report.Report`."""
    result = demo.run(args.dataset, args.data_dir, args.horizon, args.series, random_state=args.seed)
    ds, h = result.dataset, result.horizon
    flagged = int(result.detected["is_anomaly"].sum())
    forecast_caption = (f"Forecast of the last {h} points of each series ({ds.n_series} series; MASE seasonality "
                        f"{ds.seasonality or 1}; OWA vs Naive2)")
    regions_caption = f"Anomalies in {result.series!r}: the strongest flagged regions"
    regions = result.flagged_regions.set_axis(range(1, len(result.flagged_regions) + 1)).rename_axis("rank")
    tables = {forecast_caption: result.forecast_table.set_index("model"), regions_caption: regions}
    if result.label_table is not None:
        tables[f"Labelled anomalies (fit on the first {demo.FIT_FRACTION:.0%} of each series)"] = result.label_table
    notes = [
        f"The same job as `tsheads demo --dataset {args.dataset}` (`make demo` for Taylor); its printed table is "
        "this one. Forecast numbers are deterministic (seed fixed); the seconds column is wall time.",
        f"Models: {', '.join(result.forecast_table['model'])}. TSHeads-tuned = the forecast head fine-tuned "
        f"{demo.TUNE_STEPS} steps on the history (last 10 % held out for early stopping); TSHeads-validated = "
        "ValidatedForecaster, the default of tsheads.forecast; coverage of the "
        f"{'/'.join(map(str, demo.LEVELS))} % intervals.",
        f"Anomalies: TriangulationDetector(contamination={demo.CONTAMINATION}) fit on the first "
        f"{demo.FIT_FRACTION:.0%} of {result.series!r}; threshold {result.threshold:.3f}; {flagged} of "
        f"{len(result.detected)} points flagged.",
    ]
    bundled = argparse.Namespace(model="pretrained", weights=None)  # the demo always runs the bundled weights
    return Report(
        suite=SUITE, title=f"tsheads demo: {ds.name}", command=suite_command(SUITE, args.argv),
        parameters=parameters(args, horizon_effective=h, series_effective=result.series),
        tables=tables, wall_times={k: round(v, 3) for k, v in result.seconds.items()}, notes=notes,
        model=model_info(load_model(warm_up=False), bundled),
        extra={"anomalies": {"series": result.series, "threshold": result.threshold, "flagged": flagged,
                             "points": len(result.detected)}},
        floatfmt={forecast_caption: {"seconds": ".3f"}},
    )


def build_parser() -> argparse.ArgumentParser:
    """The demo's own options plus where the result goes (no model options: the demo runs the bundled one)."""
    p = output_parser(__doc__.splitlines()[0])
    p.add_argument("--dataset", default="taylor", choices=list_datasets(), help="dataset (default taylor)")
    p.add_argument("--horizon", type=int, default=None, help="forecast horizon (default: the dataset's)")
    p.add_argument("--series", default=None, help="series to score for anomalies (default: a labelled one)")
    return p


def main(argv: list[str] | None = None) -> Report:
    """``python -m evaluation.demo_table``: run, write ``demo_table.{md,json}``, print the table."""
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
