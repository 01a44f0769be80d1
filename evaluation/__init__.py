"""Benchmark suites: the zero-shot pretrained model (issue 3), anomaly detection (issue 4), WTA forecasting (issue 5).

Each suite runs tsheads and its peers on the same data in one process and writes
``evaluation/results/<suite>.md`` and ``<suite>.json`` (table, exact command, date, machine, wall times,
parameters), so every number in the README can be traced to a file and re-made with one command::

    python -m evaluation.etth1_zero_shot [--data-dir DIR] [--quick]
    python -m evaluation.mcomp_zero_shot
    python -m evaluation.etth1_imputation
    python -m evaluation.zero_shot_speed
    python -m evaluation.point_choice       # how the default point (median) was chosen (validation windows)
    python -m evaluation zero_shot          # all of the above (same as python -m evaluation.run_all)
    python -m evaluation.anomaly_detection  # NAB + KDD-TSAD 135, tsheads vs classical detectors
    python -m evaluation.anomaly_settings_choice   # how the detector's defaults were chosen (dev data)
    python -m evaluation.cycle_head_choice  # whether the cycle head joins the default heads (dev data)
    python -m evaluation.detection_speed    # detect over many short series: series per second, every head
    python -m evaluation anomaly            # the anomaly suites
    python -m evaluation.wta_settings_choice  # the WTA forecaster's M4 settings, chosen on validation windows
    python -m evaluation.wta_forecasting    # WTA forecaster on M4 hourly + exchange rate vs ETS/Theta/DeepAR
    python -m evaluation wta                # both (the M4 row uses the choice only with --m4-settings-from)
    python -m evaluation.wta_defaults       # WTA with its defaults (+ ablations) on M1/M3/M4 vs naive/ETS/Theta
    python -m evaluation.scale              # peak memory for 10k..1M series, Dask/Spark throughput
    python -m evaluation.demo_table         # the `tsheads demo` table of the README, as a results file

Writing into ``evaluation/results`` is refused from a git tree with uncommitted changes (``--allow-dirty``
overrides; ``--out-dir`` writes elsewhere): committed numbers come from a clean commit that holds the code.

Data: ``--data-dir``, else ``$TSHEADS_DATA``, else ``../shared/datasets`` next to the repository.
"""

#: the issue-3 suites, in the order ``run_all`` runs them
ZERO_SHOT_SUITES = ("etth1_zero_shot", "mcomp_zero_shot", "etth1_imputation", "zero_shot_speed", "point_choice")
#: the issue-4 suites
ANOMALY_SUITES = ("anomaly_settings_choice", "cycle_head_choice", "anomaly_detection", "detection_speed",
                  "flag_stability")
#: the issue-5 suites: the M4 settings choice on validation windows, then the benchmark
FORECAST_SUITES = ("wta_settings_choice", "wta_forecasting")
#: the issue-16 suites: combination rule, intervals and origins chosen on validation windows, then the benchmark
VALIDATED_SUITES = ("combination_choice", "backtest_choice", "classical_choice", "frame_prior_choice",
                    "model_points_choice", "validated_forecasting")
#: the issue-7 suite: memory as series grow, Dask/Spark throughput
SCALE_SUITES = ("scale",)
#: suites outside the collections: the README's demo table, the encoder choice on M validation windows
OTHER_SUITES = ("demo_table", "encoder_choice")
