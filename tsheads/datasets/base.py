"""The :class:`Dataset` container, data-directory resolution and the opt-in downloader.

Public benchmark files are never shipped with tsheads. A loader looks for them under a *data
directory* with the layout of ``datasets/README.md``::

    <data_dir>/nab/data/<category>/*.csv
    <data_dir>/nab/labels/combined_windows.json
    <data_dir>/ett/ETTh1.csv
    <data_dir>/exchange_rate/exchange_rate.txt.gz
    <data_dir>/m4/Hourly-train.csv, <data_dir>/m4/Hourly-test.csv

The directory is, in order: the ``data_dir=`` argument, the ``TSHEADS_DATA`` environment variable,
``~/.cache/tsheads``. A missing file raises :class:`~tsheads.errors.DatasetNotFoundError` naming the
expected path, the environment variable and the original URL; ``download=True`` fetches missing
files from the original public URL with :mod:`urllib` (any scheme urllib opens, so a ``file://``
mirror works too).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DatasetFileError, DatasetNotFoundError, ShapeError

__all__ = ["DATA_ENV", "DEFAULT_DATA_DIR", "Dataset", "get_data_dir"]

DATA_ENV = "TSHEADS_DATA"
DEFAULT_DATA_DIR = Path("~/.cache/tsheads")
DOWNLOAD_TIMEOUT_S = 120

log = logging.getLogger(__name__)


@dataclass
class Dataset:
    """A loaded benchmark set (the loaders build it; its fields are its attributes).

    Parameters
    ----------
    name : str
        Canonical name (``"nab"``, ``"etth1"``, ``"m3_monthly"`` ...).
    df : pandas.DataFrame
        Long frame ``unique_id`` (str), ``ds`` (datetime64 or int64), ``y`` (float64), plus extra
        columns where meaningful (``is_anomaly`` for NAB and the sample). Rows are grouped by series,
        time ascending; series appear in the source's order.
    freq : str, int or None
        pandas offset alias (``"h"``, ``"B"``), integer step ``1`` for integer time, ``None`` if the
        set is irregular or mixes frequencies.
    horizon : int or None
        Official forecast horizon (the shortest one where the literature uses several; see ``meta``).
    seasonality : int or None
        Seasonal period in steps (used e.g. by MASE).
    train_df, test_df : pandas.DataFrame or None
        Official train / test parts where the set defines them.
    splits : dict
        Split boundaries and protocol details (row indices are 0-based, half-open ``[start, end)``).
    meta : dict
        Source URL, licence, ``n_series`` and set-specific details.
    """

    name: str
    df: pd.DataFrame = field(repr=False)
    freq: str | int | None
    horizon: int | None = None
    seasonality: int | None = None
    train_df: pd.DataFrame | None = field(default=None, repr=False)
    test_df: pd.DataFrame | None = field(default=None, repr=False)
    splits: dict = field(default_factory=dict, repr=False)
    meta: dict = field(default_factory=dict, repr=False)

    @property
    def n_series(self) -> int:
        """Number of distinct series in :attr:`df`."""
        return int(self.df["unique_id"].nunique())

    @property
    def ids(self) -> list:
        """Series ids in the order they appear in :attr:`df`."""
        return list(pd.unique(self.df["unique_id"]))

    def to_wide(self, frame: pd.DataFrame | None = None, value: str = "y") -> pd.DataFrame:
        """Pivot ``frame`` (default :attr:`df`) to one column per series, ``ds`` as index.

        Columns keep the order of first appearance (for ETTh1 the file's channel order), so
        ``load_etth1().to_wide()`` is the multivariate frame of the original CSV.

        Parameters
        ----------
        frame : pandas.DataFrame, optional
            A long frame with ``unique_id`` and ``ds`` columns, e.g. :attr:`train_df`; default :attr:`df`.
        value : str, default "y"
            Column whose values fill the wide frame.

        Returns
        -------
        pandas.DataFrame
            Index ``ds``, one column per series id; NaN where a series has no row at that time.
        """
        frame = self.df if frame is None else frame
        order = list(pd.unique(frame["unique_id"]))
        wide = frame.pivot(index="ds", columns="unique_id", values=value)
        wide = wide[order]
        wide.columns.name = None
        return wide

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, n_series={self.n_series}, rows={len(self.df)}, "
            f"freq={self.freq!r}, horizon={self.horizon!r}, seasonality={self.seasonality!r})"
        )


# ----------------------------------------------------------------------------------- data directory


def get_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The data directory: ``data_dir``, else ``$TSHEADS_DATA``, else ``~/.cache/tsheads``.

    Parameters
    ----------
    data_dir : str or os.PathLike, optional
        Explicit directory; ``~`` is expanded.

    Returns
    -------
    pathlib.Path
        The directory (not checked to exist).
    """
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    return DEFAULT_DATA_DIR.expanduser()


def _where_from(data_dir: str | os.PathLike | None) -> str:
    if data_dir is not None:
        return "the data_dir argument"
    if os.environ.get(DATA_ENV):
        return f"${DATA_ENV}"
    return f"the default (${DATA_ENV} is not set)"


def ensure_files(
    label: str,
    root: Path,
    files: Mapping[str, str],
    *,
    download: bool,
    source: str,
    manifest: str,
    data_dir_arg: str | os.PathLike | None = None,
) -> dict[str, Path]:
    """Return ``{relpath: absolute path}`` for ``files``; fetch or complain about missing ones.

    ``files`` maps a path relative to ``root`` (the data directory) to the URL it comes from.
    """
    paths = {rel: root / rel for rel in files}
    missing = [rel for rel, path in paths.items() if not path.is_file()]
    if not missing:
        return paths
    if not download:
        first = missing[0]
        more = f" (and {len(missing) - 1} more file(s))" if len(missing) > 1 else ""
        raise DatasetNotFoundError(
            f"{label} not found: expected {paths[first]}{more}. The data directory {root} comes from "
            f"{_where_from(data_dir_arg)}; point the {DATA_ENV} environment variable (or data_dir=) "
            f"at a folder with the layout described in datasets/{manifest}, or pass download=True "
            f"to fetch it from {files[first]} (original source: {source})."
        )
    for rel in missing:
        fetch(files[rel], paths[rel])
    return paths


def fetch(url: str, dest: Path) -> Path:
    """Download ``url`` to ``dest`` atomically (a partial file never appears under ``dest``)."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    log.info("downloading %s -> %s", url, dest)
    fd, tmp = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as resp:
            while True:
                chunk = resp.read(1 << 20)
                if not chunk:
                    break
                out.write(chunk)
        os.replace(tmp, dest)
    except (urllib.error.URLError, OSError, ValueError) as err:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise DatasetNotFoundError(f"could not download {url} to {dest}: {err}") from err
    return dest


def read_csv(path: Path, **kwargs) -> pd.DataFrame:
    """``pd.read_csv(path, **kwargs)`` of a dataset file; an empty, truncated or garbled one is refused.

    Parameters
    ----------
    path : pathlib.Path
        The file (compression inferred from its suffix).
    **kwargs
        Passed to :func:`pandas.read_csv`.

    Returns
    -------
    pandas.DataFrame
        The table, with at least one row.

    Raises
    ------
    DatasetFileError
        The file is empty (no header or no rows), cut short or not text, naming the file and the fix.
    """
    try:
        frame = pd.read_csv(path, **kwargs)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError, EOFError, OSError) as err:
        raise _damaged(path, err) from None
    if frame.empty:
        raise _damaged(path, "no rows")
    return frame


def read_json(path: Path):
    """The JSON document in a dataset file; an empty or garbled one is refused as for :func:`read_csv`.

    Parameters
    ----------
    path : pathlib.Path
        The file.

    Returns
    -------
    object
        The parsed document.
    """
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as err:
        raise _damaged(path, err) from None


def _damaged(path: Path, reason) -> DatasetFileError:
    return DatasetFileError(f"dataset file {path} is empty or damaged ({reason}); delete it and load the "
                            "dataset again with download=True, or copy a good file there")


def ragged_to_long(ids, values, lengths, first_ds) -> pd.DataFrame:
    """Long frame ``unique_id, ds (int64), y (float64)`` of series of different lengths.

    ``values`` holds every series' values concatenated, series after series (time ascending);
    ``lengths[i]`` of them belong to ``ids[i]``, whose integer time index starts at ``first_ds[i]``
    (a scalar applies to every series) and counts up by 1.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    total = int(lengths.sum())
    if values.shape != (total,):
        raise ShapeError(f"values must be 1-D with sum(lengths) = {total} entries, got shape {values.shape}")
    first = np.broadcast_to(np.asarray(first_ds, dtype=np.int64), lengths.shape)
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return pd.DataFrame({
        "unique_id": np.repeat(np.asarray(ids, dtype=object), lengths),
        "ds": np.repeat(first, lengths) + np.arange(total, dtype=np.int64) - offsets,
        "y": values,
    })


def join_url(base: str, rel: str) -> str:
    return base.rstrip("/") + "/" + rel.lstrip("/")
