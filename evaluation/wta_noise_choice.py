"""Whether the joint WTA forecaster's sample noise is correlated across series: chosen on validation windows only.

Exchange rate's official test windows are never read. Validation windows mirror them inside the training part:
five back-to-back windows of 30 business days ending where the training part ends; the forecaster (the
exchange settings of ``evaluation.wta_forecasting``, relaxed WTA) is fitted on the points before the first
of them, and each window is forecast from the history before it, as in the test protocol.

Both ways of sampling use the same fitted model and hypotheses: kernel noise independent across the 8 series
(before), or correlated as the series' held-out errors around their nearest hypothesis were
(``WTAForecaster.noise_correlation_``). CRPS-sum (100 paths per window, as in the test suite) is averaged
over :data:`SEEDS` sampling seeds, since one seed's Monte-Carlo noise is about as large as the difference
looked for. The random walk and ETS are shown on the same windows for reference.

Rule, fixed before the numbers: correlated noise becomes the default if its mean validation CRPS-sum is lower
than the independent noise's; otherwise sampling stays independent (and correlated noise an option of
``WTAForecaster.sample``).

    python -m evaluation.wta_noise_choice [--data-dir DIR] [--quick]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsheads.datasets import load_dataset
from tsheads.metrics import crps_sum

from .common import base_parser, load_model, model_info, parameters, suite_main
from .peers import ets_samples
from .report import Report, Timings, suite_command
from .wta_forecasting import (
    EXCHANGE_SETTINGS,
    N_SAMPLES,
    _wta,
    add_training_arguments,
    exchange_windows,
    random_walk_samples,
    training_defaults,
    window_paths,
)

SUITE = "wta_noise_choice"
N_WINDOWS = 5
SEEDS = (0, 1, 2, 3, 4)


def sample_array(est, histories: list, ids: list, seed: int, noise: str) -> np.ndarray:
    """``(W, S, h, D)`` sample paths of every window."""
    return window_paths([est.sample(N_SAMPLES, df=hist, random_state=seed, noise=noise) for hist in histories],
                        "sample", ids, est.model_name)


def run(args) -> Report:
    training_defaults(args)
    timings, notes = Timings(), []
    ds = load_dataset("exchange_rate", data_dir=args.data_dir)
    ids, h = list(ds.ids), ds.horizon
    train = ds.train_df.sort_values(["unique_id", "ds"], kind="stable")
    end = int(train.groupby("unique_id").size().min())
    starts = [end - h * (N_WINDOWS - w) for w in range(N_WINDOWS)]
    rows_of, histories, y = exchange_windows(train, ids, starts, h)
    est = _wta(args, EXCHANGE_SETTINGS, wta="relaxed")
    with timings.time("fit (points before the first validation window)"):
        est.fit(train[rows_of < starts[0]])
    correlation = est.noise_correlation_
    if correlation is None:
        raise RuntimeError("the joint forecaster fitted no noise correlation")
    off_diagonal = correlation[~np.eye(len(correlation), dtype=bool)]
    notes.append(f"noise correlation across the {len(ids)} series: off-diagonal mean {off_diagonal.mean():.3f}, "
                 f"range {off_diagonal.min():.3f} .. {off_diagonal.max():.3f}.")
    scores: dict[str, list] = {"independent": [], "correlated": []}
    with timings.time("sample"):
        for seed in SEEDS:
            for way in scores:
                samples = sample_array(est, histories, ids, seed, way)
                scores[way].append(crps_sum(y, samples.transpose(0, 2, 1, 3)))
    hist_series = [g.to_numpy(np.float64) for hist in histories for _, g in hist.groupby("unique_id", sort=False)["y"]]
    walk = [crps_sum(y, random_walk_samples(hist_series, len(ids), h, seed).transpose(0, 2, 1, 3)) for seed in SEEDS]
    with timings.time("ETS"):
        ets = [crps_sum(y, np.stack([np.stack([ets_samples(x, h, 1, N_SAMPLES, seed + j) for j, x in
                                               enumerate(hist_series[w * len(ids):(w + 1) * len(ids)])], -1)
                                     for w in range(N_WINDOWS)]).transpose(0, 2, 1, 3)) for seed in SEEDS]
    rows = {f"tsheads WTA relaxed, {way} noise": v for way, v in scores.items()}
    rows.update({"random walk": walk, "ETS (statsmodels, per series)": ets})
    table = pd.DataFrame({name: {"CRPS-sum (mean over seeds)": float(np.mean(v)), "std over seeds": float(np.std(v)),
                                 **{f"seed {s}": float(x) for s, x in zip(SEEDS, v)}} for name, v in rows.items()}).T
    table.index.name = "method"
    choice = "correlated" if np.mean(scores["correlated"]) < np.mean(scores["independent"]) else "independent"
    notes.append(f"CHOICE: {choice} noise (mean CRPS-sum {np.mean(scores[choice]):.5f}).")
    notes.append(f"validation windows start at rows {starts} of the training part ({end} points per series); "
                 f"fitted on the {starts[0]} points before them; {len(est.history_)} epochs.")
    return Report(
        suite=SUITE, title="Correlated sample noise of the joint WTA forecaster, on exchange-rate validation windows",
        command=suite_command(SUITE, args.argv), parameters=parameters(args),
        tables={"CRPS-sum on the validation windows": table},
        wall_times={k: round(v, 3) for k, v in timings.seconds.items()}, notes=notes,
        model=model_info(load_model(args.model, args.seed, args.weights, warm_up=False), args),
        extra={"choice": choice, "noise_correlation": correlation.tolist()},
        floatfmt={"CRPS-sum on the validation windows": ".5f"},
    )


def build_parser():
    p = base_parser(__doc__.splitlines()[0])
    add_training_arguments(p)
    return p


def main(argv: list[str] | None = None) -> Report:
    """``python -m evaluation.wta_noise_choice``: run, write ``wta_noise_choice.{md,json}``, print the table."""
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
