"""KDD-TSAD series 135, a labelled anomaly series that ships in the ``aeon`` package's data folder.

Series 135 of the UCR / KDD Cup 2021 anomaly archive (InternalBleeding16): one univariate series of 7,501
points with one labelled anomaly (12 points); the first 1,200 points are the archive's anomaly-free
training part. No aeon import is needed.

Files are looked up under ``<data_dir>/aeon/<folder>/`` first, then in the installed aeon package
(``pip install aeon --no-deps`` is enough: only its data folder is read). See ``datasets/aeon_tsad.md``.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DatasetNotFoundError, TsheadsError
from .base import Dataset, ensure_files, get_data_dir

__all__ = ["AEON_DATA_URL", "load_kdd_tsad_135"]

AEON_SOURCE = "https://github.com/aeon-toolkit/aeon"
AEON_DATA_URL = "https://raw.githubusercontent.com/aeon-toolkit/aeon/main/aeon/datasets/data"
UCR_ANOMALY_SOURCE = "https://www.cs.ucr.edu/~eamonn/time_series_data_2018/UCR_TimeSeriesAnomalyDatasets2021.zip"
KDD_FOLDER, KDD_STEM = "KDD-TSAD_135", "135_UCR_Anomaly_InternalBleeding16"


def aeon_data_folder() -> Path | None:
    """The installed aeon package's ``datasets/data`` folder, found without importing aeon."""
    spec = importlib.util.find_spec("aeon")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data"
    return folder if folder.is_dir() else None


def _files(folder: str, names: list[str], data_dir, download: bool, base_url: str | None) -> dict[str, Path]:
    root = get_data_dir(data_dir)
    local = {n: root / "aeon" / folder / n for n in names}
    if all(p.is_file() for p in local.values()):
        return local
    installed = aeon_data_folder()
    if installed is not None and all((installed / folder / n).is_file() for n in names):
        return {n: installed / folder / n for n in names}
    base = (base_url or AEON_DATA_URL).rstrip("/")
    try:
        found = ensure_files(f"aeon data folder {folder}", root, {f"aeon/{folder}/{n}": f"{base}/{folder}/{n}"
                                                                  for n in names},
                             download=download, source=AEON_SOURCE, manifest="aeon_tsad.md", data_dir_arg=data_dir)
    except DatasetNotFoundError as err:
        hint = "Alternatively install aeon's data folder: pip install aeon --no-deps"
        raise DatasetNotFoundError(f"{err} {hint}") from None
    return {n: found[f"aeon/{folder}/{n}"] for n in names}


def _read(path: Path) -> pd.DataFrame:
    """One of the archive's CSV files, checked: ``timestamp,value,is_anomaly`` with finite values."""
    try:
        frame = pd.read_csv(path)
        ok = list(frame.columns) == ["timestamp", "value", "is_anomaly"] and len(frame) > 0
        ok = ok and np.isfinite(frame["value"].to_numpy(dtype=np.float64)).all()
        ok = ok and frame["is_anomaly"].isin([0, 1]).all()
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise TsheadsError(f"{path} cannot be read as a KDD-TSAD file ({exc})") from None
    if not ok:
        raise TsheadsError(f"{path}: expected columns timestamp,value,is_anomaly with finite values and 0/1 labels")
    return frame


def load_kdd_tsad_135(data_dir: str | os.PathLike | None = None, *, download: bool = False,
                      base_url: str | None = None) -> Dataset:
    """UCR/KDD-TSAD series 135: ``df`` (``unique_id``, integer ``ds``, ``y``, ``is_anomaly``), whole series.

    ``train_df`` is the anomaly-free first part (``splits["train_length"]`` points) the archive provides
    for fitting; ``test_df`` is the whole series, which is what gets scored.

    The files are looked up under ``<data_dir>/aeon/``, then in an installed aeon's data folder.

    Parameters
    ----------
    data_dir : str or os.PathLike, optional
        Data directory (default: ``$TSHEADS_DATA``, else ``~/.cache/tsheads``).
    download : bool, default False
        Fetch missing files from ``base_url`` instead of raising :class:`~tsheads.errors.DatasetNotFoundError`.
    base_url : str, optional
        Mirror of aeon's ``datasets/data`` folder (default :data:`AEON_DATA_URL`).

    Returns
    -------
    Dataset
        One labelled series.
    """
    names = [f"{KDD_STEM}_TRAIN.csv", f"{KDD_STEM}_TEST.csv"]
    paths = _files(KDD_FOLDER, names, data_dir, download, base_url)
    train, test = (_read(paths[n]) for n in names)
    df = pd.DataFrame({"unique_id": KDD_STEM, "ds": test["timestamp"].to_numpy(dtype=np.int64),
                       "y": test["value"].to_numpy(dtype=np.float64),
                       "is_anomaly": test["is_anomaly"].to_numpy(dtype=np.int64)})
    df["unique_id"] = df["unique_id"].astype(object)
    n_train = len(train)
    meta = {"source": UCR_ANOMALY_SOURCE, "url": f"{AEON_DATA_URL}/{KDD_FOLDER}",
            "licence": "research use (UCR archive)",
            "citation": "Wu & Keogh, 'Current Time Series Anomaly Detection Benchmarks are Flawed and are Creating "
                        "the Illusion of Progress', IEEE TKDE 2021", "n_series": 1, "train_length": n_train}
    return Dataset(name="kdd_tsad_135", df=df, freq=1, train_df=df.iloc[:n_train].reset_index(drop=True),
                   test_df=df, splits={"train_length": n_train}, meta=meta)
