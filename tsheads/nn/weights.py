"""Model files: tensors in safetensors, architecture in a JSON config with a format version.

Loading never unpickles: safetensors holds raw tensors only and the JSON is parsed as data. Every
failure (missing file, truncated or foreign file, wrong version, mismatched tensor names or shapes,
non-finite weights) becomes a :class:`~tsheads.errors.WeightsError` naming the file and the problem.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import torch

from ..errors import TsheadsError, WeightsError
from ..files import check_writable, written_whole
from .config import EncoderConfig
from .model import DualSpaceModel
from .wta import WTAConfig, WTAModel

FORMAT = "tsheads-weights"
FORMAT_VERSION = 2
#: versions this tsheads reads: 1 (encoder v1 shapes), 2 (files whose network uses encoder-v2 parts)
READABLE_VERSIONS = (1, 2)
#: every network a file may hold, with the config class its JSON ``config`` section is read by
ARCHITECTURES = {"DualSpaceModel": (DualSpaceModel, EncoderConfig), "WTAModel": (WTAModel, WTAConfig)}


def model_stem(path) -> Path:
    """``path`` without a ``.safetensors``/``.json`` suffix (other dots, as in ``enc-1.5``, are kept)."""
    path = Path(path)
    return path.with_name(path.name[: -len(path.suffix)]) if path.suffix in (".safetensors", ".json") else path


def _paths(stem) -> tuple[Path, Path]:
    stem = model_stem(stem)
    if not stem.name or stem.name == "..":
        raise TsheadsError(f"model path {str(stem)!r} names a folder, not a file stem; add one, e.g. "
                           f"{str(stem / 'model')!r}")
    return stem.with_name(stem.name + ".safetensors"), stem.with_name(stem.name + ".json")


def check_save_path(stem) -> None:
    """Refuse, before any training, a stem whose two files could not be written (see :func:`save_model`).

    Parameters
    ----------
    stem : str or path
        File stem; a ``.safetensors`` or ``.json`` suffix is dropped.

    Raises
    ------
    OutputError
        A directory, a path under a file, or a read-only or unwritable folder.
    """
    for path in _paths(stem):
        check_writable(path, "model file", create_folders=True)


def save_model(model, stem, meta: Optional[dict] = None) -> Path:
    """Write ``<stem>.safetensors`` and ``<stem>.json``, both or neither; returns the tensor file's path.

    An unwritable stem (see :func:`check_save_path`), a full disk or any other write failure raises
    :class:`~tsheads.errors.OutputError` and leaves any earlier files of that stem as they were.
    """
    from safetensors import SafetensorError
    from safetensors.torch import save_file

    tensors_path, config_path = _paths(stem)
    version = format_version(model.config)
    doc = {"format": FORMAT, "format_version": version, "architecture": type(model).__name__,
           "config": model.config.to_dict(), "n_parameters": model.n_parameters(), "meta": meta or {}}
    json.dumps(doc)  # before any file is written, so bad metadata leaves nothing half-saved
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    with written_whole([tensors_path, config_path], "model file", create_folders=True) as (tensors_temp, config_temp):
        try:
            save_file(state, str(tensors_temp), metadata={"format": FORMAT, "format_version": str(version)})
        except SafetensorError as exc:  # its I/O errors (a full disk) are not OSErrors
            raise OSError(str(exc)) from None
        doc["tensors_sha256"] = file_digest(tensors_temp)  # load refuses tensors changed after saving
        config_temp.write_text(json.dumps(doc, indent=1))
    return tensors_path


def format_version(config) -> int:
    """2 where the network uses encoder-v2 parts, else 1, so v1-shaped files stay readable by older tsheads
    and an older tsheads refuses a v2 file by its version rather than by an unknown config key."""
    encoder = getattr(config, "encoder", config)
    v2 = getattr(encoder, "forecast_head", "flat") != "flat" or getattr(encoder, "n_resolutions", 0)
    return FORMAT_VERSION if v2 else 1


def file_digest(path) -> str:
    """SHA-256 of a file, hex: the integrity check a config keeps of its tensors file."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def saved_architecture(stem) -> str:
    """The architecture name (a key of ARCHITECTURES) a saved model file holds, checked for format and version."""
    return _read_doc(stem)[0]["architecture"]


def _read_doc(stem):
    _, config_path = _paths(stem)
    if not config_path.is_file():
        raise WeightsError(f"model config {config_path} not found")
    try:
        doc = json.loads(config_path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WeightsError(f"model config {config_path} is not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise WeightsError(f"{config_path} is not a tsheads model config (format {doc.get('format')!r})"
                           if isinstance(doc, dict) else f"{config_path} is not a tsheads model config")
    if doc.get("format_version") not in READABLE_VERSIONS:
        raise WeightsError(f"{config_path} has format version {doc.get('format_version')!r}; this tsheads "
                           f"reads versions {', '.join(map(str, READABLE_VERSIONS))}")
    if doc.get("architecture") not in ARCHITECTURES:
        raise WeightsError(f"{config_path} holds an unknown architecture {doc.get('architecture')!r}; "
                           f"this tsheads knows {sorted(ARCHITECTURES)}")
    return doc, config_path


def read_config(stem, architecture: str = "DualSpaceModel"):
    """The config and metadata of a saved ``architecture`` (see ARCHITECTURES), checked for format and version."""
    doc, config_path = _read_doc(stem)
    if doc.get("architecture") != architecture:
        raise WeightsError(f"{config_path} holds a {doc.get('architecture')!r}, not a {architecture}")
    try:
        config = ARCHITECTURES[architecture][1].from_dict(doc["config"])
    except WeightsError as exc:
        raise WeightsError(f"{config_path}: {exc}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise WeightsError(f"{config_path}: bad model config ({exc!r})") from None
    meta = doc.get("meta", {})
    if not isinstance(meta, dict):
        raise WeightsError(f"{config_path}: 'meta' must be a JSON object, got {type(meta).__name__}")
    return config, meta


def load_model(stem, device="cpu", architecture: str = "DualSpaceModel"):
    """Rebuild the model from ``<stem>.json`` and fill it from ``<stem>.safetensors`` (eval mode)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    config, _ = read_config(stem, architecture)
    doc, _ = _read_doc(stem)
    tensors_path, _ = _paths(stem)
    if not tensors_path.is_file():
        raise WeightsError(f"weight file {tensors_path} not found")
    digest = doc.get("tensors_sha256")
    if digest is not None and file_digest(tensors_path) != digest:
        raise WeightsError(f"weight file {tensors_path} does not match the checksum in its config: it was changed, "
                           "truncated or mixed up with another model's after saving")
    try:
        state = load_file(str(tensors_path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise WeightsError(f"weight file {tensors_path} is corrupt or not a safetensors file ({exc})") from None
    try:
        with torch.random.fork_rng(devices=[]):  # the random initial weights are overwritten: leave the seed alone
            model = ARCHITECTURES[architecture][0](config)
    except (RuntimeError, ValueError, TypeError) as exc:  # a config that passed the checks but cannot be built
        raise WeightsError(f"{tensors_path}: cannot build a model from its config ({exc})") from None
    expected = model.state_dict()
    missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing or unexpected:
        raise WeightsError(f"weight file {tensors_path} does not match its config: missing {missing[:5]}, "
                           f"unexpected {unexpected[:5]}")
    for name, tensor in state.items():
        if tensor.shape != expected[name].shape:
            raise WeightsError(f"weight {name!r} in {tensors_path} has shape {tuple(tensor.shape)}, the config "
                               f"needs {tuple(expected[name].shape)}")
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise WeightsError(f"weight {name!r} in {tensors_path} contains NaN or inf")
    model.load_state_dict(state)
    return model.to(device).eval()
