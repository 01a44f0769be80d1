"""Run every issue-3 suite in turn with the same common arguments (one command for the whole table set).

    python -m evaluation.run_all [--data-dir DIR] [--quick] [--model pretrained|random] [--out-dir DIR]

Only the arguments every suite understands are accepted here; run a suite's own module to change its
specific settings. Each suite still records its own equivalent command in its report.
"""

from __future__ import annotations

import importlib
import sys
import time

from . import ZERO_SHOT_SUITES
from .common import base_parser


def main(argv: list[str] | None = None, suites=ZERO_SHOT_SUITES) -> dict:
    argv = list(sys.argv[1:] if argv is None else argv)
    base_parser(__doc__.splitlines()[0]).parse_args(argv)  # reject suite-specific flags early
    reports = {}
    for suite in suites:
        start = time.perf_counter()
        print(f"=== {suite} ===", flush=True)
        reports[suite] = importlib.import_module(f"evaluation.{suite}").main(argv)
        print(f"=== {suite} done in {time.perf_counter() - start:.1f} s ===", flush=True)
    return reports


if __name__ == "__main__":
    main()
