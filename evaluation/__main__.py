"""``python -m evaluation COLLECTION [ARGS]`` runs a collection (zero_shot, anomaly, wta, validated, scale)."""

from __future__ import annotations

import importlib
import sys

from . import ANOMALY_SUITES, FORECAST_SUITES, OTHER_SUITES, SCALE_SUITES, VALIDATED_SUITES, ZERO_SHOT_SUITES
from .run_all import main as run_all

COLLECTIONS = {"zero_shot": ZERO_SHOT_SUITES, "anomaly": ANOMALY_SUITES, "wta": FORECAST_SUITES,
               "validated": VALIDATED_SUITES,
               "scale": SCALE_SUITES}
SUITES = (*ZERO_SHOT_SUITES, *ANOMALY_SUITES, *FORECAST_SUITES, *VALIDATED_SUITES, *SCALE_SUITES, *OTHER_SUITES)


def main(argv: list[str] | None = None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in (*COLLECTIONS, *SUITES):
        print(__doc__)
        print(f"collections: {', '.join(COLLECTIONS)}; suites: {', '.join(SUITES)}")
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    name, rest = argv[0], argv[1:]
    if name in COLLECTIONS:
        run_all(rest, COLLECTIONS[name])
    else:
        importlib.import_module(f"evaluation.{name}").main(rest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
