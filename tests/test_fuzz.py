"""Property-based tests: random, often broken, frames either give a well-formed result or a TsheadsError.

Every case either returns one result per input series (forecast: ``h`` rows each; detect: every input row)
with no NaN, or raises the project's error with a message; never a raw pandas/torch/numpy exception, a
silent drop, or NaN in the output. Examples are seeded (``derandomize``) so CI runs are repeatable.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import tsheads  # noqa: E402
from tsheads.errors import TsheadsError  # noqa: E402

FUZZ = settings(max_examples=30, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

IDS = st.one_of(st.text(min_size=1, max_size=6), st.integers(-5, 10**6), st.sampled_from(["a", "ß", "系列", "😀", " "]))
VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.floats(min_value=-1e300, max_value=1e300),
    st.floats(min_value=-1e-300, max_value=1e-300),
    st.integers(-10**9, 10**9).map(float),
)


@st.composite
def series_frames(draw, max_series: int = 4, max_length: int = 90, clean=None):
    """Long frames with the usual defects: NaN/inf, gaps, duplicates, mixed steps, constants, odd dtypes.

    About half are clean (finite values, regular stamps, numeric dtypes, at least 2 points), so the success
    path is exercised as often as the refusals; ``clean=True`` draws only those.
    """
    clean = draw(st.booleans()) if clean is None else clean
    n_series = draw(st.integers(1, max_series))
    frame_freq = draw(st.sampled_from(["h", "D", "30min"]))  # clean frames share one frequency
    ids = draw(st.lists(IDS, min_size=n_series, max_size=n_series, unique_by=str))
    parts = []
    for uid in ids:
        length = draw(st.integers(2 if clean else 1, max_length))
        kind = draw(st.sampled_from(["walk", "constant"] if clean else ["walk", "constant", "raw"]))
        if kind == "raw":
            y = np.array(draw(st.lists(VALUES, min_size=length, max_size=length)), dtype=float)
        else:
            rng = np.random.default_rng(draw(st.integers(0, 2**16)))
            scale = draw(st.sampled_from([1e-200, 1e-6, 1.0, 1e6, 1e200]))
            y = scale * (rng.normal(size=length).cumsum() if kind == "walk" else np.ones(length))
        freq = frame_freq if clean else draw(st.sampled_from(["h", "D", "30min"]))
        ds = pd.date_range("2024-01-01", periods=length, freq=freq)
        frame = pd.DataFrame({"unique_id": uid, "ds": ds, "y": y})
        defect = draw(st.sampled_from(["none", "shuffle"] if clean else ["none", "gap", "duplicate", "nan", "shuffle"]))
        if defect == "gap" and length > 3:
            frame = frame.drop(index=length // 2)
        elif defect == "duplicate" and length > 1:
            frame = pd.concat([frame, frame.iloc[:1]])
        elif defect == "nan":
            frame.loc[frame.index[draw(st.integers(0, length - 1))], "y"] = np.nan
        elif defect == "shuffle":
            frame = frame.sample(frac=1.0, random_state=0)
        parts.append(frame)
    df = pd.concat(parts, ignore_index=True)
    dtype = draw(st.sampled_from(["float", "int-ds"] if clean else ["float", "object", "string-y", "int-ds"]))
    if dtype == "object":
        df["y"] = df["y"].astype(object)
    elif dtype == "string-y":
        df["y"] = df["y"].astype(str)
    elif dtype == "int-ds":
        df["ds"] = df.groupby("unique_id", sort=False).cumcount()
    return df


def _check_error(err: Exception) -> None:
    assert isinstance(err, TsheadsError), f"{type(err).__name__} leaked: {err}"
    assert len(str(err)) > 10


@FUZZ
@given(df=series_frames(), h=st.integers(1, 30))
def test_forecast_is_complete_and_finite_or_refused(df, h):
    try:
        out = tsheads.forecast(df, h, level=[80])
    except Exception as err:  # noqa: BLE001 - the property is about which exceptions escape
        _check_error(err)
        return
    assert set(map(str, out["unique_id"])) == set(map(str, df["unique_id"]))
    assert out.groupby("unique_id").size().eq(h).all()
    assert np.isfinite(out[["TSHeads", "TSHeads-lo-80", "TSHeads-hi-80"]].to_numpy()).all()


@FUZZ
@given(df=series_frames(clean=True), h=st.integers(1, 30))
def test_clean_frames_are_always_forecast(df, h):
    """No false refusals: any finite, regular, numeric frame with 2+ points per series is forecast."""
    out = tsheads.forecast(df, h, quantiles=[0.1, 0.9])
    assert len(out) == h * df["unique_id"].nunique()
    assert np.isfinite(out.drop(columns=["unique_id", "ds"]).to_numpy()).all()


@FUZZ
@given(df=series_frames(max_series=3, max_length=80))
def test_detect_scores_every_row_or_refuses(df):
    try:
        out = tsheads.detect(df, window=16, smoothing=4)
    except Exception as err:  # noqa: BLE001
        _check_error(err)
        return
    assert len(out) == len(df)
    assert set(map(str, out["unique_id"])) == set(map(str, df["unique_id"]))
    assert np.isfinite(out["anomaly_score"].to_numpy(dtype=float)).all()
    assert set(out["is_anomaly"].unique()) <= {0, 1}


@FUZZ
@given(df=series_frames(max_series=3, max_length=40))
def test_baseline_forecasts_are_complete_or_refused(df):
    try:
        out = tsheads.SeasonalNaive(season_length=2).fit(df).predict(3, level=[90])
    except Exception as err:  # noqa: BLE001
        _check_error(err)
        return
    assert out.groupby("unique_id").size().eq(3).all() and len(out) == 3 * df["unique_id"].nunique()
    assert not out.drop(columns=["unique_id", "ds"]).isna().any().any()


@FUZZ
@given(text=st.text(max_size=300))
def test_reading_arbitrary_csv_text_gives_a_frame_or_a_project_error(text, tmp_path_factory):
    from tsheads.io import read_frame

    path = tmp_path_factory.mktemp("csv") / "in.csv"
    path.write_text(text, encoding="utf-8")
    try:
        frame = read_frame(path)
    except Exception as err:  # noqa: BLE001
        _check_error(err)
        return
    assert "ds" in frame.columns and len(frame) > 0


@FUZZ
@given(data=st.binary(max_size=2000), header=st.booleans(), checksum=st.booleans())
def test_foreign_or_corrupt_weight_files_raise_weights_errors(data, header, checksum, tmp_path_factory):
    import json

    from tsheads.errors import WeightsError
    from tsheads.nn.weights import load_model

    folder = tmp_path_factory.mktemp("weights")
    stem = folder / "m"
    (folder / "m.safetensors").write_bytes((len(data)).to_bytes(8, "little") + data if header else data)
    config = json.loads(tsheads_pretrained_json())  # a valid config next to broken tensors
    if not checksum:  # files from before the checksum: the safetensors parser must catch it
        config.pop("tensors_sha256")
    (folder / "m.json").write_text(json.dumps(config))
    with pytest.raises(WeightsError):
        load_model(stem)


def tsheads_pretrained_json() -> str:
    from importlib.resources import files

    return next(p for p in files("tsheads.pretrained").iterdir() if p.name.endswith(".json")).read_text()


@FUZZ
@given(df=series_frames(clean=True, max_series=6, max_length=40), chunk_rows=st.integers(1, 120))
def test_streamed_pieces_hold_whole_series_and_add_up_to_the_file(df, chunk_rows, tmp_path_factory):
    from tsheads.io import iter_frames, read_frame

    df = df.sort_values("unique_id", key=lambda c: c.map(str), kind="stable")  # contiguous series
    path = tmp_path_factory.mktemp("stream") / "in.csv"
    df.to_csv(path, index=False)
    pieces = list(iter_frames(path, chunk_rows=chunk_rows))
    seen = [set(p["unique_id"]) for p in pieces]
    assert all(not (a & b) for i, a in enumerate(seen) for b in seen[i + 1:])  # no series split across pieces
    assert df["unique_id"].nunique() < 2 or len(seen[-1]) >= 2  # the last series never goes alone
    pd.testing.assert_frame_equal(pd.concat(pieces, ignore_index=True), read_frame(path))
