"""Shared fixtures: where the public benchmark data lives for tests.

CI clones the repo next to ``../shared/datasets``; a developer may instead set ``TSHEADS_DATA``.
Tests that need it use the ``data_dir`` fixture and are skipped (with the reason) when it is absent, unless
``TSHEADS_REQUIRE_DATA=1`` (set by ``.ci/run``): then they fail, so CI cannot pass the leakage check by skipping it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _find_shared_data() -> Path | None:
    env = os.environ.get("TSHEADS_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(REPO_ROOT.parent / "shared" / "datasets")
    for path in candidates:
        if path.is_dir():
            return path
    return None


SHARED_DATA = _find_shared_data()

if os.environ.get("PYTEST_XDIST_WORKER"):
    # one torch thread per xdist worker: with `-n 2` on two cores, two threads each oversubscribe the CPU
    # and the many small ops of the training tests run about ten times slower
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if SHARED_DATA is None:
        message = "public datasets not found: set TSHEADS_DATA or place ../shared/datasets"
        if os.environ.get("TSHEADS_REQUIRE_DATA") == "1":
            pytest.fail(message + " (TSHEADS_REQUIRE_DATA=1 asks for them)")
        pytest.skip(message)
    return SHARED_DATA


@pytest.fixture
def tiny_model():
    """Factory for a small randomly initialised DualSpaceModel (context 64, patch 8, horizon 12)."""
    import torch

    from tsheads.nn.config import EncoderConfig
    from tsheads.nn.model import DualSpaceModel

    def make(seed: int = 0, **overrides):
        base = dict(context_length=64, patch_length=8, d_model=16, n_layers=2, n_registers=2, horizon=12,
                    head_hidden=32, head_token_dim=4)
        torch.manual_seed(seed)
        return DualSpaceModel(EncoderConfig(**{**base, **overrides})).eval()

    return make
