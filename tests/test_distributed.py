"""forecast/detect on real local engines (Dask LocalCluster, Spark local[2]) equal the pandas path exactly."""

from __future__ import annotations

import os
import shutil
import sys

import numpy as np
import pandas as pd
import pytest

from tsheads.distributed import detect, forecast
from tsheads.errors import TsheadsError

pytest.importorskip("fugue")


def _frame(n_series: int = 10, length: int = 160) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"unique_id": np.repeat([f"s{i:02d}" for i in range(n_series)], length),
                         "ds": np.tile(pd.date_range("2024-01-01", periods=length, freq="h"), n_series),
                         "y": rng.normal(size=n_series * length).cumsum()})


def _tidy(frame) -> pd.DataFrame:
    """Engines return their own dtypes (Float64, string) and row order; compare values."""
    frame = frame.compute() if hasattr(frame, "compute") else frame
    frame = frame.toPandas() if hasattr(frame, "toPandas") else frame
    frame = frame.astype({"unique_id": object}).assign(ds=lambda f: f["ds"].astype("datetime64[ns]"))
    numeric = frame.columns.drop(["unique_id", "ds"])
    frame[numeric] = frame[numeric].astype("float64")
    return frame.sort_values(["unique_id", "ds"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def dask_client():
    pytest.importorskip("dask.distributed")
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            yield client


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime on PATH")
    os.environ["PYSPARK_PYTHON"] = sys.executable  # workers must import the same tsheads
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("tsheads-tests").config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "4").getOrCreate())
    yield session
    session.stop()


def test_dask_forecast_and_detect_equal_pandas(dask_client):
    import dask.dataframe as dd

    df = _frame(n_series=40)  # batches above the 16-row floor on the pandas side, smaller ones on workers
    ddf = dd.from_pandas(df, npartitions=3)  # partitions that cut through series: tsheads regroups them
    expected = _tidy(forecast(df, 12, level=[80, 95], quantiles=[0.1]))
    got = _tidy(forecast(ddf, 12, level=[80, 95], quantiles=[0.1], engine=dask_client))
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got["unique_id"].nunique() == 40 and not got.isna().any().any()
    integer_time = df.assign(ds=df.groupby("unique_id").cumcount())  # integer stamps keep their type
    got = forecast(dd.from_pandas(integer_time, npartitions=2), 5, engine=dask_client).compute()
    assert pd.api.types.is_integer_dtype(got["ds"]) and got["ds"].min() == 160
    expected = _tidy(detect(df, fit_fraction=0.5, threshold_col="thr"))
    got = _tidy(detect(ddf, fit_fraction=0.5, threshold_col="thr", engine=dask_client))
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_fitted_model_is_shipped_to_the_workers(dask_client):
    import dask.dataframe as dd

    from tsheads import ZeroShotForecaster

    df = _frame(n_series=4)
    tuned = ZeroShotForecaster(fine_tune="head", fine_tune_steps=3, random_state=0).fit(df)
    expected = _tidy(tuned.predict(6, level=[80], df=df))
    assert not expected.equals(_tidy(forecast(df, 6, level=[80])))  # the tuned weights matter
    got = _tidy(forecast(dd.from_pandas(df, npartitions=2), 6, level=[80], model=tuned, engine=dask_client))
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_spark_forecast_and_detect_equal_pandas(spark):
    df = _frame()
    sdf = spark.createDataFrame(df).repartition(3)
    expected = _tidy(forecast(df, 12, level=[80]))
    pd.testing.assert_frame_equal(_tidy(forecast(sdf, 12, level=[80])), expected, check_exact=True)
    expected = _tidy(detect(df, fit_fraction=0.5))
    pd.testing.assert_frame_equal(_tidy(detect(sdf, fit_fraction=0.5)), expected, check_exact=True)


def test_pandas_without_engine_stays_local_and_bad_settings_fail_early():
    df = _frame(n_series=2)
    # tsheads.distributed forecasts with the bare network (tsheads.forecast defaults to ValidatedForecaster)
    pd.testing.assert_frame_equal(forecast(df, 4), __import__("tsheads").forecast(df, 4, method="network"))
    with pytest.raises(TsheadsError, match="no column 'value'"):
        forecast(df, 4, target_col="value", engine="dask")
    with pytest.raises(TsheadsError):
        detect(df, engine="dask", contamination=2.0)
