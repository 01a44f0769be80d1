"""Time arithmetic: frequency inference and future stamps follow pandas' offset rules exactly."""

import numpy as np
import pandas as pd
import pytest
from pandas.tseries.frequencies import to_offset

from tsheads.errors import FrequencyError
from tsheads.frames import validate
from tsheads.timegrid import future_times, infer_freq, shift_times


def make_long(length=6, freq="MS"):
    return pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2021-01-01", periods=length, freq=freq),
                         "y": np.arange(length, dtype=float)})


def test_infer_freq_calendar():
    df = make_long(6, "MS")
    assert infer_freq(df["unique_id"].to_numpy(), df["ds"]).freqstr == "MS"


def test_future_times_calendar_and_tick():
    last = pd.to_datetime(["2020-01-31", "2020-02-29"]).to_numpy()
    out = pd.DatetimeIndex(future_times(last, "ME", 2))
    assert list(out.strftime("%Y-%m-%d")) == ["2020-02-29", "2020-03-31", "2020-03-31", "2020-04-30"]
    out = pd.DatetimeIndex(future_times(last, "6h", 1))
    assert list(out.strftime("%d %H")) == ["31 06", "29 06"]


def test_future_times_beyond_datetime_range():
    with pytest.raises(FrequencyError, match="past pandas' datetime range"):
        future_times(pd.to_datetime(["2020-12-31"]).to_numpy(), "YE", 400)


def test_shift_times_matches_pandas_offset_arithmetic():
    starts = pd.to_datetime(["2020-01-04", "2020-01-06", "2021-03-15", "2020-02-01"]).to_numpy()
    for freq in ("B", "MS", "ME", "W-SUN", "QS", "h"):
        for length in (3, 120):  # few steps (per-step path) and many (per-start calendar path)
            times, steps = np.repeat(starts, length), np.tile(np.arange(length), len(starts))
            expected = [(pd.Timestamp(t) + int(k) * to_offset(freq)).to_datetime64() for t, k in zip(times, steps)]
            np.testing.assert_array_equal(shift_times(times, steps, freq), np.array(expected))


def test_weekly_series_starting_on_different_weekdays_share_one_frequency():
    a = make_long(5, "W-SUN").assign(unique_id="a")
    b = make_long(5, "W-MON").assign(unique_id="b")
    _, freq = validate(pd.concat([a, b]))
    assert freq == to_offset("7D")


def test_series_with_different_regular_steps_are_named_as_such_not_as_gaps():
    from tsheads.errors import FrequencyError
    from tsheads.timegrid import infer_freq

    ids = np.array(["a", "a", "b", "b"])
    times = pd.to_datetime(["2024-01-01 00:00", "2024-01-01 01:00", "2024-01-01 00:00", "2024-01-02 00:00"])
    with pytest.raises(FrequencyError, match=r"different time steps: 0 days 01:00:00 \(1 series\), 1 days"):
        infer_freq(ids, pd.Series(times))
