"""Validation of user input: every bad input gets the project error with a specific message."""

import numpy as np
import pandas as pd
import pytest

from tsheads.errors import (
    ConstantSeriesError,
    DataTypeError,
    DuplicateTimestampError,
    EmptyDataError,
    FrequencyError,
    GapError,
    MissingColumnError,
    NonFiniteError,
    SeriesTooShortError,
    TsheadsError,
)
from tsheads.frames import Columns, fill_gaps, to_long, validate
from tsheads.timegrid import future_times


def make_long(n_series=2, length=10, freq="h", start="2021-01-01"):
    frames = []
    for i in range(n_series):
        ds = pd.date_range(start, periods=length, freq=freq)
        frames.append(pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": np.arange(length, dtype=float) + i}))
    return pd.concat(frames, ignore_index=True)


def test_errors_subclass_value_error():
    assert issubclass(TsheadsError, ValueError)
    for err in (EmptyDataError, MissingColumnError, DataTypeError, NonFiniteError, GapError):
        assert issubclass(err, TsheadsError)


def test_valid_frame_passes_and_freq_inferred():
    df, freq = validate(make_long())
    assert freq.freqstr == "h"
    assert list(df.columns) == ["unique_id", "ds", "y"]
    assert df["y"].dtype == np.float64


def test_empty_frame():
    with pytest.raises(EmptyDataError, match="no rows"):
        validate(pd.DataFrame({"unique_id": [], "ds": [], "y": []}))


def test_missing_columns_named():
    df = make_long().rename(columns={"y": "value"})
    with pytest.raises(MissingColumnError, match=r"missing column\(s\) 'y'.*'value'"):
        validate(df)


def test_configurable_column_names():
    df = make_long().rename(columns={"unique_id": "item", "ds": "time", "y": "sales"})
    out, freq = validate(df, Columns("item", "time", "sales"))
    assert list(out.columns[:3]) == ["item", "time", "sales"] and freq.freqstr == "h"


def test_non_numeric_target():
    df = make_long()
    df["y"] = df["y"].astype(str)
    df.loc[3, "y"] = "n/a"
    with pytest.raises(DataTypeError, match=r"target column 'y' must be numeric.*'n/a'"):
        validate(df)


def test_boolean_target_rejected():
    df = make_long()
    df["y"] = df["y"] > 3
    with pytest.raises(DataTypeError, match="must be numeric"):
        validate(df)


def test_unparsable_time():
    df = make_long()
    df["ds"] = df["ds"].astype(str)
    df.loc[2, "ds"] = "not a date"
    with pytest.raises(DataTypeError, match="could not be parsed as datetimes"):
        validate(df)


def test_string_dates_are_parsed():
    df = make_long()
    df["ds"] = df["ds"].astype(str)
    out, freq = validate(df)
    assert pd.api.types.is_datetime64_any_dtype(out["ds"]) and freq.freqstr == "h"


def test_nan_and_inf_counted_and_located():
    df = make_long()
    df.loc[3, "y"] = np.nan
    df.loc[4, "y"] = np.nan
    df.loc[15, "y"] = np.inf
    with pytest.raises(NonFiniteError) as err:
        validate(df)
    msg = str(err.value)
    assert "2 NaN" in msg and "1 inf" in msg and "in 2 series" in msg
    assert "'s0' at 2021-01-01 03:00:00" in msg and "fill_gaps" in msg


def test_nan_allowed_when_asked_but_inf_never():
    df = make_long()
    df.loc[3, "y"] = np.nan
    out, _ = validate(df, allow_nan=True)
    assert out["y"].isna().sum() == 1
    df.loc[4, "y"] = -np.inf
    with pytest.raises(NonFiniteError, match="1 inf"):
        validate(df, allow_nan=True)


def test_duplicate_pairs():
    df = make_long()
    df = pd.concat([df, df.iloc[[2]]], ignore_index=True)
    with pytest.raises(DuplicateTimestampError, match=r"2 rows share.*'s0' at 2021-01-01 02:00:00"):
        validate(df)


def test_unsorted_input_is_sorted_not_rejected():
    df = make_long()
    shuffled = df.sample(frac=1.0, random_state=0)
    out, _ = validate(shuffled)
    pd.testing.assert_frame_equal(out, df)


def test_interleaved_ids_are_grouped():
    df = make_long(length=3)
    interleaved = df.iloc[[0, 3, 1, 4, 2, 5]]
    out, _ = validate(interleaved)
    assert list(out["unique_id"]) == ["s0"] * 3 + ["s1"] * 3


def test_gap_detected_with_fix_hint():
    df = make_long().drop(index=[4, 5]).reset_index(drop=True)
    with pytest.raises(GapError, match=r"1 series have missing time stamps for freq 'h'.*fill_gaps"):
        validate(df)


def test_irregular_frequency_asks_for_freq():
    df = pd.DataFrame({
        "unique_id": "a",
        "ds": pd.to_datetime(["2021-01-01 00:00", "2021-01-01 00:07", "2021-01-01 00:31", "2021-01-01 01:00"]),
        "y": [1.0, 2, 3, 4],
    })
    with pytest.raises(FrequencyError, match="pass freq="):
        validate(df)
    out, freq = validate(df, require_freq=False)  # anomaly scoring may accept irregular stamps
    assert freq is None and len(out) == 4


def test_mixed_frequencies_rejected():
    df = pd.concat([make_long(1, 10, "h"), make_long(1, 10, "D").assign(unique_id="daily")])
    with pytest.raises(FrequencyError, match="different frequencies"):
        validate(df)


def test_explicit_freq_checked_against_stamps():
    df = make_long(freq="D")
    with pytest.raises(GapError):
        validate(df, freq="h")
    with pytest.raises(FrequencyError, match="not a pandas frequency alias"):
        validate(df, freq="fortnightly-ish")


def test_single_point_series_need_freq():
    df = make_long(length=1)
    with pytest.raises(FrequencyError, match="single observation"):
        validate(df)
    _, freq = validate(df, freq="h")
    assert freq.freqstr == "h"


def test_too_short_series_listed():
    df = pd.concat([make_long(1, 10), make_long(1, 3).assign(unique_id="tiny")])
    with pytest.raises(SeriesTooShortError, match=r"1 series have fewer than 5 observations: 'tiny' \(3\)"):
        validate(df, min_length=5)


def test_constant_series_rejected_only_on_request():
    df = make_long()
    df.loc[df.unique_id == "s1", "y"] = 7.0
    validate(df)
    with pytest.raises(ConstantSeriesError, match="'s1'"):
        validate(df, reject_constant=True)


def test_missing_id_values():
    df = make_long()
    df.loc[0, "unique_id"] = None
    with pytest.raises(DataTypeError, match="missing value"):
        validate(df)


def test_not_a_frame():
    with pytest.raises(DataTypeError, match="expected a pandas DataFrame or Series"):
        validate([1, 2, 3])


def test_integer_time_index():
    df = pd.DataFrame({"unique_id": "a", "ds": np.arange(1, 11) * 2, "y": np.arange(10.0)})
    out, freq = validate(df)
    assert freq == 2
    assert list(future_times(out["ds"].to_numpy()[-1:], freq, 3)) == [22, 24, 26]


def test_series_input():
    s = pd.Series(np.arange(5.0), index=pd.date_range("2020", periods=5, freq="D"), name="temp")
    out, freq = validate(s)
    assert list(out["unique_id"].unique()) == ["temp"] and freq.freqstr == "D"


def test_wide_input():
    wide = pd.DataFrame({"a": np.arange(4.0), "b": np.arange(4.0) * 2},
                        index=pd.date_range("2020", periods=4, freq="MS"))
    out = to_long(wide)
    assert len(out) == 8 and set(out["unique_id"]) == {"a", "b"}
    _, freq = validate(wide)
    assert freq.freqstr == "MS"


def test_multivariate_targets():
    df = make_long()
    df["load"] = df["y"] * 2
    out, _ = validate(df, Columns(target=("y", "load")))
    assert list(out.columns[:4]) == ["unique_id", "ds", "y", "load"]
    df.loc[1, "load"] = np.nan
    with pytest.raises(NonFiniteError, match="'load'"):
        validate(df, Columns(target=("y", "load")))






def test_fill_gaps_linear_with_indicator():
    df = make_long().drop(index=[4, 5]).reset_index(drop=True)
    df.loc[0, "y"] = np.nan
    out = fill_gaps(df, freq="h")
    s0 = out[out.unique_id == "s0"]
    assert len(out) == 20 and s0["y"].tolist() == list(np.r_[1.0, np.arange(1, 10.0)])
    assert s0["is_filled"].tolist() == [1, 0, 0, 0, 1, 1, 0, 0, 0, 0]
    validate(out)  # the result passes validation


def test_fill_gaps_infers_freq_and_methods():
    df = make_long().drop(index=[4]).reset_index(drop=True)
    assert fill_gaps(df, method="zero").loc[4, "y"] == 0.0
    assert fill_gaps(df, method="ffill").loc[4, "y"] == 3.0
    assert np.isnan(fill_gaps(df, method="nan").loc[4, "y"])
    with pytest.raises(TsheadsError, match="method must be one of"):
        fill_gaps(df, method="spline")






def test_long_frame_with_other_names_is_not_read_as_wide():
    # a RangeIndex frame with unknown column names must not become two "series" (one being time)
    df = pd.DataFrame({"t": range(5), "value": np.arange(5.0)})
    with pytest.raises(MissingColumnError, match="no id column 'unique_id'.*'t', 'value'"):
        validate(df)
    stamped = pd.DataFrame({"timestamp": pd.date_range("2020", periods=3, freq="D"), "value": [1.0, 2, 3]})
    with pytest.raises(MissingColumnError, match="Pass id_col/time_col/target_col"):
        validate(stamped)
    out, _ = validate(stamped, Columns(time="timestamp", target="value"))  # named: one series
    assert out["unique_id"].unique().tolist() == ["series_0"]


def test_fill_gaps_refuses_off_grid_rows_instead_of_dropping():
    df = pd.DataFrame({"unique_id": "a", "ds": [0, 1, 4, 10], "y": [1.0, 2, 3, 4]})
    with pytest.raises(FrequencyError, match=r"1 time stamp\(s\) are not on the 2 grid.*'a' at 1"):
        fill_gaps(df, freq=2)
    hourly = make_long(1, 4)
    hourly.loc[1, "ds"] = hourly.loc[1, "ds"] + pd.Timedelta(minutes=30)
    with pytest.raises(FrequencyError, match="not on the 'h' grid"):
        fill_gaps(hourly, freq="h")


def test_fill_gaps_all_nan_series_raises():
    df = make_long()
    df.loc[df.unique_id == "s1", "y"] = np.nan
    with pytest.raises(NonFiniteError, match="1 series have no finite value to fill from: 's1'"):
        fill_gaps(df, freq="h")
    assert fill_gaps(df, freq="h", method="nan")["y"].isna().sum() == 10  # only inserting rows is fine


def test_timezone_aware_hourly_across_dst():
    ds = pd.date_range("2021-03-27 22:00", periods=6, freq="h", tz="Europe/Berlin")  # spans the spring change
    df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": np.arange(6.0)})
    out, freq = validate(df)
    assert freq.freqstr == "h" and str(out["ds"].dt.tz) == "Europe/Berlin"
    nxt = future_times(out["ds"].iloc[-1:], freq, 2)
    assert list(nxt) == list(pd.date_range(ds[-1], periods=3, freq="h")[1:])
    gappy = df.drop(index=2)
    filled = fill_gaps(gappy, freq="h")
    assert len(filled) == 6 and str(filled["ds"].dt.tz) == "Europe/Berlin" and filled["is_filled"].sum() == 1


def test_timezone_aware_calendar_frequency():
    ds = pd.date_range("2021-01-01", periods=4, freq="MS", tz="UTC")
    out, freq = validate(pd.DataFrame({"unique_id": "a", "ds": ds, "y": [1.0, 2, 3, 4]}))
    assert freq.freqstr == "MS"
    assert future_times(out["ds"].iloc[-1:], freq, 1)[0] == pd.Timestamp("2021-05-01", tz="UTC")


def test_categorical_ids_with_unused_categories():
    df = make_long()
    df["unique_id"] = df["unique_id"].astype("category").cat.add_categories(["never"])
    out, _ = validate(df)
    assert sorted(out["unique_id"].unique()) == ["s0", "s1"]


def test_mixed_type_ids_that_print_alike_are_rejected():
    df = make_long()
    df["unique_id"] = df["unique_id"].map({"s0": 1, "s1": "1"}).astype(object)
    with pytest.raises(DataTypeError, match="mixes types so that different ids print the same"):
        validate(df)


def test_complex_target_rejected():
    df = make_long()
    df["y"] = df["y"].astype(complex)
    with pytest.raises(DataTypeError, match="complex"):
        validate(df)


def test_integer_series_with_different_steps():
    df = pd.DataFrame({"unique_id": ["a"] * 3 + ["b"] * 3, "ds": [1, 2, 3, 2, 4, 6], "y": np.arange(6.0)})
    with pytest.raises(FrequencyError, match=r"different integer steps \(1, 2\)"):
        validate(df)
    gappy = pd.DataFrame({"unique_id": "a", "ds": [2, 4, 8], "y": [1.0, 2, 3]})
    with pytest.raises(GapError, match="expected 6, found 8"):
        validate(gappy)


def test_id_kept_in_the_index_is_read_back():
    df = make_long()
    out, _ = validate(df.set_index("unique_id"))
    assert sorted(out["unique_id"].unique()) == ["s0", "s1"] and len(out) == len(df)


def test_wide_frame_with_different_spans_is_not_padded():
    idx = pd.date_range("2020-01-01", periods=6, freq="D")
    wide = pd.DataFrame({"a": np.arange(6.0), "b": [np.nan, np.nan, 1.0, np.nan, 3.0, np.nan]}, index=idx)
    long = to_long(wide)
    b = long[long.unique_id == "b"]
    assert list(b["ds"].dt.day) == [3, 4, 5]  # leading/trailing padding gone, the interior gap kept
    filled = fill_gaps(wide, freq="D")
    assert filled[filled.unique_id == "b"]["y"].tolist() == [1.0, 2.0, 3.0]


def test_business_days_with_a_gap_are_not_filled_on_weekends():
    ds = pd.bdate_range("2024-01-01", periods=10)
    df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": np.arange(10.0)}).drop(index=4)
    with pytest.raises(GapError, match="freq 'B'"):
        validate(df)
    filled = fill_gaps(df)
    assert len(filled) == 10 and (filled["ds"].dt.dayofweek < 5).all()


def test_short_calendar_series_keep_calendar_frequencies():
    for freq, nxt in (("YS", "2024-01-01"), ("MS", "2021-10-01")):
        ds = pd.date_range("2021-01-01" if freq == "YS" else "2021-07-01", periods=3, freq=freq)
        out, inferred = validate(pd.DataFrame({"unique_id": "a", "ds": ds, "y": [1.0, 2, 3]}))
        assert future_times(out["ds"].iloc[-1:], inferred, 1)[0] == pd.Timestamp(nxt)


def test_time_stamps_outside_nanosecond_range_and_mixed_offsets():
    old = pd.DataFrame({"unique_id": "a", "ds": np.array(["1500-01-01", "1500-01-02"], dtype="datetime64[s]"),
                        "y": [1.0, 2.0]})
    with pytest.raises(DataTypeError, match="outside pandas' nanosecond range"):
        validate(old)
    mixed = pd.DataFrame({"unique_id": "a", "ds": ["2020-01-01 00:00+01:00", "2020-01-01 01:00+02:00"],
                          "y": [1.0, 2.0]})
    with pytest.raises(DataTypeError, match=r"mixes UTC offsets.*utc=True"):
        validate(mixed)


def test_series_with_tuple_name():
    s = pd.Series([1.0, 2.0, 3.0], index=pd.date_range("2020", periods=3, freq="D"), name=("sales", "eu"))
    out, _ = validate(s)
    assert out["unique_id"].iloc[0] == "('sales', 'eu')"


def test_fill_gaps_is_vectorised_and_exact_on_many_series():
    n, length = 2_000, 12
    df = pd.DataFrame({"unique_id": np.repeat(np.arange(n), length), "ds": np.tile(np.arange(length), n),
                       "y": np.tile(np.arange(length, dtype=float) * 2.0, n)})
    holes = df.drop(index=df.index[(df.ds == 5) | (df.ds == 6)])
    filled = fill_gaps(holes, freq=1)
    np.testing.assert_array_equal(filled["y"].to_numpy(), df["y"].to_numpy())
    assert filled["is_filled"].sum() == 2 * n


def test_long_frame_with_an_id_column_of_another_name_is_refused_not_merged():
    df = make_long().rename(columns={"unique_id": "id"})
    with pytest.raises(MissingColumnError, match=r"no id column 'unique_id'.*'id'.*pass id_col='id'"):
        validate(df)
    with pytest.raises(MissingColumnError, match=r"no id column 'uid'.*'unique_id'"):  # a typo in id_col
        validate(make_long(), Columns(id="uid"))
    out, _ = validate(df, Columns(id="id"))
    assert out["id"].unique().tolist() == ["s0", "s1"]
    single, _ = validate(df.loc[df["id"] == "s0", ["ds", "y"]])  # only time and target: one series
    assert single["unique_id"].unique().tolist() == ["series_0"] and len(single) == 10


@pytest.mark.parametrize("names", [("ds", "ds", "y"), ("unique_id", "y", "y"), ("y", "ds", "y"),
                                   ("unique_id", "ds", ("y", "y"))])
def test_id_time_and_target_must_name_different_columns(names):
    with pytest.raises(TsheadsError, match="must be distinct"):
        Columns(*names)


@pytest.mark.parametrize("module, hint", [("dask.dataframe.core", "tsheads.distributed"),
                                          ("pyspark.sql.dataframe", "tsheads.distributed"),
                                          ("polars.dataframe.frame", "to_pandas")])
def test_frames_of_other_libraries_are_named_with_their_module(module, hint):
    frame_type = type("DataFrame", (), {"__module__": module, "to_pandas": lambda self: None})
    with pytest.raises(DataTypeError, match=rf"got {module}\.DataFrame.*{hint}"):
        validate(frame_type())


def test_mixed_date_formats_name_two_stamps_without_pandas_options():
    df = make_long()
    df["ds"] = df["ds"].dt.strftime("%Y-%m-%d %H:%M:%S")
    df.loc[3, "ds"] = "01/01/2021 03:00"
    with pytest.raises(DataTypeError, match="mixes date formats") as caught:
        validate(df)
    message = str(caught.value)
    assert "'01/01/2021 03:00' at row 3" in message and "ISO 8601" in message
    assert "format=" not in message and "You might want" not in message
