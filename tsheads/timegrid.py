"""Time arithmetic on plain arrays: frequency inference, regular-grid checks, future time stamps.

Time is either integers (``freq`` is an integer step) or datetimes (``freq`` is a pandas offset);
time-zone-aware stamps are handled in UTC. Functions take the series ids (grouped, each series' time
ascending) and the time stamps as arrays, so they serve validation, gap filling and forecasting alike.
"""

from __future__ import annotations

from typing import Union

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from .errors import FrequencyError, GapError, listed
from .nn.config import RESOLUTIONS

Freq = Union[str, int, pd.DateOffset, None]


def normalise_freq(freq: Freq, integer_time: bool) -> Freq:
    """Validate a user's ``freq``: an integer step for integer time, a pandas offset for datetimes."""
    if integer_time:
        if freq is None:
            return None
        if isinstance(freq, (int, np.integer)) and freq > 0:
            return int(freq)
        raise FrequencyError(f"integer time stamps need an integer freq (a step > 0), got {freq!r}")
    if isinstance(freq, (int, np.integer)):
        raise FrequencyError(f"datetime time stamps need a pandas offset alias such as 'h' or 'D', got {freq!r}")
    try:
        return to_offset(freq)
    except (ValueError, TypeError):
        raise FrequencyError(f"{freq!r} is not a pandas frequency alias (e.g. 'h', 'D', 'W-SUN', 'MS')") from None


def infer_freq(ids, times) -> Freq:
    """Infer one sampling frequency shared by all series (``ids`` grouped, ``times`` sorted in each).

    Returns an integer step for integer time and a pandas offset for datetimes. Raises
    :class:`~tsheads.errors.FrequencyError` when series disagree or are irregular, and
    :class:`~tsheads.errors.GapError` when a regular grid is recognisable but has holes.
    """
    freq = guess_freq(ids, times)
    try:
        check_grid(np.asarray(ids), times, freq)
    except GapError:
        _refuse_mixed_steps(np.asarray(ids), times)
        raise
    return freq


def _refuse_mixed_steps(ids: np.ndarray, times) -> None:
    """When every series is regular at its own step but the steps differ, say so (not "gaps")."""
    values = time_values(times)
    same = ids[1:] == ids[:-1]
    deltas = (values[1:] - values[:-1])
    series = np.cumsum(np.r_[0, ~same])[1:][same]  # series number of each within-series step
    steps = pd.DataFrame({"series": series, "step": deltas[same]}).drop_duplicates()
    if steps["series"].is_unique and steps["step"].nunique() > 1:  # one step per series, several overall
        counts = steps["step"].value_counts()
        shown = ", ".join(f"{_step_name(k)} ({v} series)" for k, v in counts.items())
        raise FrequencyError(f"series have different time steps: {shown}; forecast them separately, or pass "
                             "freq= (and fill the gaps) if the longer steps are missing stamps")


def _step_name(step) -> str:
    return str(pd.Timedelta(step)) if isinstance(step, (np.timedelta64, pd.Timedelta)) else str(step)


def guess_freq(ids, times) -> Freq:
    """The frequency the time stamps suggest, without checking that the grid is complete."""
    ids = np.asarray(ids)
    values = time_values(times)
    same = ids[1:] == ids[:-1]
    deltas = (values[1:] - values[:-1])[same]
    if len(deltas) == 0:
        raise FrequencyError(
            "cannot infer the frequency: every series has a single observation; pass freq= explicitly"
        )
    if pd.api.types.is_integer_dtype(values):
        return _integer_step(deltas, same)
    distinct = np.unique(deltas)
    if len(distinct) == 1 and pd.Timedelta(distinct[0]) <= pd.Timedelta(days=7):
        # one fixed step everywhere (hourly, daily, weekly...): a Tick, whatever weekday a series starts on.
        # Longer equal steps may be calendar months or years that happen to be equal: pandas decides.
        return to_offset(pd.Timedelta(distinct[0]))
    candidates = set()  # calendar frequencies (month/quarter/business-day...) need pandas' inference
    bounds = np.r_[0, np.flatnonzero(~same) + 1, len(ids)]
    for start, end in zip(bounds[:-1], bounds[1:]):
        if end - start >= 3:
            inferred = pd.infer_freq(pd.DatetimeIndex(values[start:end]))
            if inferred is not None:
                candidates.add(inferred)
        if len(candidates) > 1:
            raise FrequencyError(
                f"series have different frequencies ({listed(sorted(candidates))}); "
                "forecast them separately or resample to one frequency"
            )
    if candidates:
        return to_offset(candidates.pop())
    step = pd.Timedelta(np.min(deltas))
    stamps = pd.DatetimeIndex(values)
    if step == pd.Timedelta(days=1) and (stamps.normalize() == stamps).all() and (stamps.dayofweek < 5).all():
        # whole days, never on a weekend, with some gap: business days (missing ones are gaps, not weekends)
        return pd.offsets.BusinessDay()
    if step <= pd.Timedelta(days=7) and np.all(deltas % np.min(deltas) == 0):
        return to_offset(step)  # a fixed-step grid (up to weekly) with holes
    tz_hint = (" Time-zone-aware stamps are compared in UTC: for daily or calendar data kept in local time, "
               "drop the zone first with .dt.tz_localize(None)." if getattr(pd.Index(times), "tz", None) else "")
    raise FrequencyError(
        "cannot infer a regular frequency from the time stamps (irregular spacing); "
        "pass freq= (e.g. 'h', 'D', 'MS') and, if points are missing, call tsheads.fill_gaps." + tz_hint
    )


def _integer_step(deltas: np.ndarray, same: np.ndarray) -> int:
    """One integer step for all series: each series' gcd step, which must agree across series."""
    series_of = np.cumsum(np.r_[False, ~same])[1:][same]  # series number of each in-series delta
    starts = np.flatnonzero(np.r_[True, series_of[1:] != series_of[:-1]])
    steps = np.unique(np.gcd.reduceat(deltas.astype(np.int64), starts))
    if len(steps) > 1:
        raise FrequencyError(
            f"series have different integer steps ({listed(steps.tolist())}); "
            "pass freq= or forecast them separately"
        )
    return int(steps[0])


def resolve_freq(ids: np.ndarray, times, freq: Freq) -> Freq:
    """The user's ``freq`` checked against the stamps, or the inferred one when it is None."""
    freq = normalise_freq(freq, pd.api.types.is_integer_dtype(time_values(times)))
    if freq is None:
        return infer_freq(ids, times)
    check_grid(ids, times, freq)
    return freq


def time_values(times) -> np.ndarray:
    """Time stamps as a plain numpy array for grid arithmetic: int64, or datetime64[ns] where
    time-zone-aware stamps are taken in UTC (a physically regular series is regular in UTC)."""
    index = pd.Index(times)
    if isinstance(index, pd.DatetimeIndex) and index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return index.to_numpy()


def check_grid(ids: np.ndarray, times, freq: Freq) -> None:
    """Every series must sit on the regular grid ``start + k * freq`` with no holes."""
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    counts = np.diff(np.r_[starts, len(ids)])
    actual = time_values(times)
    expected = grid(actual[starts], counts, freq)
    bad = expected != actual
    if bad.any():
        position = int(np.argmax(bad))
        uid = ids[position]
        found = pd.Index(times)[position]
        n_bad = int(pd.Series(ids[bad]).nunique())
        if _off_grid(actual[position], expected[position], freq):
            tz_hint = (" (time-zone-aware stamps are checked in UTC: for daily or calendar data, drop the "
                       "zone with .dt.tz_localize(None))" if getattr(found, "tz", None) is not None else "")
            raise FrequencyError(
                f"series {uid!r} has time stamp {found} that is not on the {freq_alias(freq)!r} "
                f"grid starting at its first time stamp; pass the right freq= or resample{tz_hint}"
            )
        want = expected[position] if isinstance(freq, int) else pd.Timestamp(expected[position])
        raise GapError(
            f"{n_bad} series have missing time stamps for freq {freq_alias(freq)!r} (first: series {uid!r} "
            f"expected {want}, found {found}). Fill the gaps with "
            f"tsheads.fill_gaps(df, freq={freq_alias(freq)!r}, method='linear')"
        )


def _off_grid(actual, expected, freq: Freq) -> bool:
    """True when ``actual`` (later than ``expected``) is not ``expected + k * freq`` for any k."""
    if isinstance(freq, int):
        return (int(actual) - int(expected)) % freq != 0
    calendar = pd.date_range(pd.Timestamp(expected), pd.Timestamp(actual), freq=freq)
    return len(calendar) == 0 or calendar[-1] != pd.Timestamp(actual)


def freq_alias(freq: Freq) -> Union[str, int, None]:
    """A printable/serialisable form of ``freq`` (offset alias string or integer step)."""
    if freq is None or isinstance(freq, (int, np.integer)):
        return None if freq is None else int(freq)
    return to_offset(freq).freqstr


def grid(starts: np.ndarray, counts: np.ndarray, freq: Freq) -> np.ndarray:
    """Time stamps ``start + k*freq`` for k in ``range(count)``, concatenated over series."""
    steps = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return shift_times(np.repeat(starts, counts), steps, freq)


def shift_times(times: np.ndarray, steps: np.ndarray, freq: Freq) -> np.ndarray:
    """``times + steps * freq`` elementwise, for integer steps and any frequency (vectorised).

    ``times`` are int64 or naive datetime64 (see :func:`time_values`); pandas' offset arithmetic
    is followed exactly, including its roll-forward of a start that is not on the offset.
    """
    steps = np.asarray(steps, dtype=np.int64)
    if isinstance(freq, (int, np.integer)):
        return np.asarray(times, dtype=np.int64) + steps * int(freq)
    offset = to_offset(freq)
    stamps = pd.DatetimeIndex(times)
    if isinstance(offset, pd.offsets.Tick):
        return (stamps + pd.to_timedelta(steps * offset.nanos, unit="ns")).to_numpy()
    out = np.empty(len(stamps), dtype="datetime64[ns]")
    distinct_steps = np.unique(steps)
    bases, base_of = np.unique(stamps.to_numpy(), return_inverse=True)
    if len(distinct_steps) <= len(bases) or steps.min() < 0:
        for k in distinct_steps:  # calendar offsets: one vectorised add per distinct step
            sel = steps == k
            out[sel] = (stamps[sel] + int(k) * offset).to_numpy()
        return out
    for b, base in enumerate(bases):  # long series: one calendar per distinct start
        sel = base_of == b
        start = pd.Timestamp(base)
        calendar = pd.date_range(start, periods=int(steps[sel].max()) + 1, freq=offset).to_numpy()
        # pandas rolls an off-offset start forward: base + 0*off == base + 1*off == calendar[0]
        index = steps[sel] if offset.is_on_offset(start) else np.maximum(steps[sel] - 1, 0)
        out[sel] = calendar[index]
    return out


def future_times(last_times, freq: Freq, h: int):
    """The ``h`` time stamps after each of ``last_times``, series-major: shape ``(n * h,)``.

    Time-zone-aware stamps are stepped in UTC and returned in their own zone.
    """
    if freq is None:
        raise FrequencyError("future time stamps need a known frequency; pass freq=")
    tz = getattr(pd.Index(last_times), "tz", None)
    steps = np.tile(np.arange(1, h + 1), len(last_times))
    try:
        out = shift_times(np.repeat(time_values(last_times), h), steps, freq)
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        raise FrequencyError(
            f"{h} steps of {freq_alias(freq)!r} after the last time stamp go past pandas' datetime range "
            "(year 2262); use a shorter horizon or integer time stamps"
        ) from None
    return out if tz is None else pd.DatetimeIndex(out).tz_localize("UTC").tz_convert(tz)


# ----------------------------------------------------------------------------------- resolution buckets
#: upper edge (exclusive) of each calendar bucket of :data:`~tsheads.nn.config.RESOLUTIONS`, in seconds
_RESOLUTION_EDGES_S = (("sub-hourly", 50 * 60), ("hourly", 20 * 3600), ("daily", 4 * 86400),
                       ("weekly", 20 * 86400), ("monthly", 60 * 86400), ("quarterly", 200 * 86400))


def resolution_index(step_seconds: float | None) -> int:
    """Index in :data:`~tsheads.nn.config.RESOLUTIONS` of a series sampled every ``step_seconds``.

    ``None`` or NaN (integer time, no calendar) is "unknown"; steps past the quarterly bucket are yearly.
    """
    if step_seconds is None or not np.isfinite(step_seconds) or step_seconds <= 0:
        return RESOLUTIONS.index("unknown")
    for name, edge in _RESOLUTION_EDGES_S:
        if step_seconds < edge:
            return RESOLUTIONS.index(name)
    return RESOLUTIONS.index("yearly")


#: days per step of calendar offsets whose length varies (first match by class name wins)
_CALENDAR_DAYS = (("Week", 7.0), ("SemiMonth", 15.22), ("Business", 1.0), ("Month", 30.44), ("Quarter", 91.3),
                  ("Year", 365.25))


def step_seconds(freq) -> float:
    """Seconds of one step of a pandas frequency (months as 30.4 days); NaN for integer steps or None."""
    if freq is None or isinstance(freq, (int, np.integer)):
        return float("nan")
    offset = to_offset(freq)
    name = type(offset).__name__
    days = next((d for key, d in _CALENDAR_DAYS if key in name and not (key == "Business" and "Month" in name)),
                None)
    if days is not None:
        return days * 86400 * offset.n
    try:
        return pd.Timedelta(offset).total_seconds()
    except ValueError:
        return float("nan")
