"""pandas in: input shapes (long, wide, Series), validation and explicit gap filling.

Everything user data passes through :func:`validate` once, so every later layer can rely on a sorted
long frame with finite numeric targets, unique ``(id, time)`` pairs and a known sampling frequency.
Time may be datetimes (``freq`` is a pandas offset alias) or integers (``freq`` is an integer step);
the time arithmetic itself lives in :mod:`tsheads.timegrid`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Union

import numpy as np
import pandas as pd

from .errors import (
    MAX_LISTED,
    ConstantSeriesError,
    DataTypeError,
    DuplicateTimestampError,
    EmptyDataError,
    FrequencyError,
    MissingColumnError,
    NonFiniteError,
    SeriesTooShortError,
    TsheadsError,
    listed,
)
from .timegrid import Freq, freq_alias, grid, guess_freq, normalise_freq, resolve_freq, time_values


@dataclass(frozen=True)
class Columns:
    """Names of the id, time and target column(s) of a long frame.

    Parameters
    ----------
    id : str, default "unique_id"
        Series-id column.
    time : str, default "ds"
        Timestamp column (datetimes or integers).
    target : str or tuple of str, default "y"
        Observed-value column, or several for a multivariate panel.
    """

    id: str = "unique_id"
    time: str = "ds"
    target: Union[str, tuple] = "y"

    def __post_init__(self):
        names = [self.id, self.time, *self.targets]
        if len(set(names)) != len(names):
            raise TsheadsError(f"id, time and target columns must be distinct, got {names}; "
                               "pass id_col/time_col/target_col naming different columns")

    @property
    def targets(self) -> tuple:
        """The target column name(s) as a tuple, also for a single target."""
        return (self.target,) if isinstance(self.target, str) else tuple(self.target)


# --------------------------------------------------------------------------------------------- input shapes


def to_long(data, columns: Columns = Columns()) -> pd.DataFrame:
    """Return ``data`` as a long frame with ``columns``' names.

    Accepts a long DataFrame (has the id column), a wide DataFrame (one column per series, time in the
    index) or a single ``pd.Series`` (time in the index; its name, or ``"series_0"``, becomes the id).

    Parameters
    ----------
    data : pandas.DataFrame or pandas.Series
        The series, in any of the shapes above. A frame with the id column is returned as is.
    columns : Columns, optional
        Column names of the long frame (default ``unique_id, ds, y``).

    Returns
    -------
    pandas.DataFrame
        Long frame, one row per (id, time); not yet validated (see :func:`validate`).
    """
    if isinstance(data, pd.Series):
        uid = "series_0" if data.name is None else data.name
        uid = str(uid) if isinstance(uid, tuple) else uid
        frame = pd.DataFrame(
            {columns.id: uid, columns.time: data.index, columns.targets[0]: data.to_numpy()}
        )
        return frame.reset_index(drop=True)
    if not isinstance(data, pd.DataFrame):
        raise DataTypeError(_not_pandas(data))
    if columns.id in data.columns:
        return data
    if columns.id in (data.index.names or []):
        return data.reset_index()  # the id (and maybe time) kept in the index, as older Nixtla code did
    if len(columns.targets) == 1 and columns.time not in data.columns and _is_wide(data):
        return _wide_to_long(data, columns)
    if columns.time in data.columns and all(t in data.columns for t in columns.targets):
        _check_single_series(data, columns)
        frame = data.copy()
        frame.insert(0, columns.id, "series_0")
        return frame
    raise MissingColumnError(
        f"cannot read the frame: no id column {columns.id!r}, no {columns.time!r}/{columns.targets} "
        "columns of a single series, and it is not a wide frame (numeric columns, one per series, "
        "indexed by a DatetimeIndex, PeriodIndex or a named integer index). "
        f"Columns present: {listed(data.columns)}. Pass id_col/time_col/target_col to name yours."
    )


#: top-level modules of the distributed frames :mod:`tsheads.distributed` runs on
_DISTRIBUTED_FRAMES = ("dask", "pyspark", "fugue")


def _not_pandas(data) -> str:
    """The message for input that is no pandas object, naming its type with its module."""
    kind = type(data)
    module = kind.__module__ or ""
    name = f"{module}.{kind.__qualname__}" if module not in ("", "builtins") else kind.__qualname__
    if module.split(".")[0] in _DISTRIBUTED_FRAMES:
        hint = ("; a Spark or Dask frame runs through tsheads.distributed.forecast / tsheads.distributed.detect "
                "(pip install 'tsheads[distributed]'), or collect it to pandas first")
    else:
        hint = "; convert it to pandas first (e.g. its .to_pandas())" if hasattr(data, "to_pandas") else ""
    return f"expected a pandas DataFrame or Series, got {name}{hint}"


def _check_single_series(data: pd.DataFrame, columns: Columns) -> None:
    """A frame without the id column is one series only if it holds nothing but time and target(s).

    Any other column may be the series id under another name (``id``, or a typo in ``id_col``): reading
    such a frame as one series would silently merge every series into one.
    """
    others = [c for c in data.columns if c != columns.time and c not in columns.targets]
    if others:
        raise MissingColumnError(
            f"the frame has no id column {columns.id!r} but other columns besides {columns.time!r} and "
            f"{listed(columns.targets)}: {listed(others)}. If one of them identifies the series, pass "
            f"id_col={others[0]!r} (or its name); for a single series, drop the other columns."
        )


def _wide_to_long(wide: pd.DataFrame, columns: Columns) -> pd.DataFrame:
    """Stack a wide frame; each column's leading and trailing NaN are padding (series of different
    spans share one index), not gaps, so they are left out. Interior NaN stay and count as gaps."""
    wide = wide.copy()
    wide.index.name = columns.time
    wide.columns.name = columns.id
    long = wide.stack(future_stack=True).rename(columns.targets[0]).reset_index()
    long = long.sort_values(columns.id, kind="stable")  # series-major, time order kept inside
    present = long[columns.targets[0]].notna()
    by_id = present.groupby(long[columns.id], sort=False)
    inside = by_id.cummax() & present[::-1].groupby(long[columns.id][::-1], sort=False).cummax()[::-1]
    long = long[inside | ~by_id.transform("any")]  # an all-NaN column stays whole: validate reports it
    long[columns.id] = long[columns.id].astype(str)
    return long[[columns.id, columns.time, columns.targets[0]]].reset_index(drop=True)


def _is_wide(data: pd.DataFrame) -> bool:
    """One numeric column per series and a time index (a default RangeIndex does not count)."""
    index = data.index
    time_index = isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex)) or (
        pd.api.types.is_integer_dtype(index) and index.name is not None
    )
    numeric = all(pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) for t in data.dtypes)
    return time_index and numeric and data.shape[1] > 0


# ------------------------------------------------------------------------------------------------ validation


def validate(
    data,
    columns: Columns = Columns(),
    *,
    freq: Freq = None,
    require_freq: bool = True,
    allow_nan: bool = False,
    min_length: int = 1,
    reject_constant: bool = False,
) -> tuple[pd.DataFrame, Freq]:
    """Check and normalise a panel of series; return ``(sorted long frame, freq)``.

    Raises a specific :class:`~tsheads.errors.TsheadsError` subclass for each problem: empty input,
    missing columns, non-numeric targets or unparsable times, NaN/inf targets (unless ``allow_nan``;
    inf is never allowed), duplicated ``(id, time)``, missing timestamps or irregular/unknown frequency
    (when ``require_freq``), series shorter than ``min_length``, constant series (if ``reject_constant``).
    Unsorted input is sorted, not rejected.

    Parameters
    ----------
    data : pandas.DataFrame or pandas.Series
        Long frame, wide frame or one Series (see :func:`to_long`).
    columns : Columns, optional
        Column names (default ``unique_id, ds, y``).
    freq : str, pandas.DateOffset or int, optional
        Sampling frequency: an offset alias for datetimes, a step for integer times. None: inferred.
    require_freq : bool, default True
        Resolve the frequency and refuse gaps or irregular spacing; False skips both (e.g. for anomaly
        scoring, which only needs time order).
    allow_nan : bool, default False
        Accept NaN targets (inf is always refused).
    min_length : int, default 1
        Fewest observations per series.
    reject_constant : bool, default False
        Refuse series whose target never changes.

    Returns
    -------
    frame : pandas.DataFrame
        Copy sorted by id then time, id/time/target columns first, targets as float64, times as integers
        or nanosecond datetimes; other columns carried through.
    freq : str, pandas.DateOffset, int or None
        The resolved frequency (the ``freq`` argument unchanged when ``require_freq`` is False).
    """
    df = to_long(data, columns)
    if len(df) == 0:
        raise EmptyDataError("the input frame has no rows")
    missing = [c for c in (columns.id, columns.time, *columns.targets) if c not in df.columns]
    if missing:
        raise MissingColumnError(
            f"missing column(s) {listed(missing)}; columns present: {listed(df.columns)}. "
            "Pass id_col/time_col/target_col to name yours."
        )
    df = df[[columns.id, columns.time, *columns.targets]
             + [c for c in df.columns if c not in (columns.id, columns.time, *columns.targets)]].copy()
    _check_ids(df, columns)
    df[columns.time] = coerce_time(df[columns.time], columns.time)
    for target in columns.targets:
        df[target] = _coerce_target(df[target], target)
        _check_finite(df, columns, target, allow_nan)
    _check_duplicates(df, columns)
    if not _is_sorted(df, columns):
        df = df.sort_values([columns.id, columns.time], kind="stable")
    df = df.reset_index(drop=True)
    lengths = df.groupby(columns.id, sort=False, observed=True).size()
    short = lengths[lengths < min_length]
    if len(short):
        raise SeriesTooShortError(
            f"{len(short)} series have fewer than {min_length} observations: "
            + ", ".join(f"{uid!r} ({n})" for uid, n in list(short.items())[:MAX_LISTED])
        )
    if reject_constant:
        _check_not_constant(df, columns)
    if require_freq:
        freq = resolve_freq(df[columns.id].to_numpy(), df[columns.time], freq)
    return df, freq


def _check_ids(df: pd.DataFrame, columns: Columns) -> None:
    ids = df[columns.id]
    if ids.isna().any():
        raise DataTypeError(f"id column {columns.id!r} has {int(ids.isna().sum())} missing value(s)")
    if isinstance(ids.dtype, pd.CategoricalDtype):
        # plain values: unused categories would otherwise become empty "series" in groupbys
        df[columns.id] = ids.astype(ids.cat.categories.dtype)
    elif ids.dtype == object and ids.map(type).nunique() > 1:
        distinct = ids.drop_duplicates()
        as_text = distinct.astype(str)
        clash = as_text[as_text.duplicated(keep=False)]
        if len(clash):
            raise DataTypeError(
                f"id column {columns.id!r} mixes types so that different ids print the same "
                f"({listed(distinct[clash.index])}); convert the ids to one type, e.g. .astype(str)"
            )


def coerce_time(times: pd.Series, name: str) -> pd.Series:
    """Integers stay; datetimes (parsed from strings or periods if need be) become nanosecond stamps.

    Parameters
    ----------
    times : pandas.Series
        A time column: integers, integer-valued floats, datetimes, periods or date strings.
    name : str
        The column's name, for error messages.

    Returns
    -------
    pandas.Series
        ``int64`` or ``datetime64[ns]`` (time-zone kept) stamps.

    Raises
    ------
    DataTypeError
        Booleans, fractional floats, unparsable or missing stamps, mixed UTC offsets, out-of-range dates.
    """
    if pd.api.types.is_bool_dtype(times):
        raise DataTypeError(f"time column {name!r} is boolean; expected datetimes or integers")
    if pd.api.types.is_integer_dtype(times) or pd.api.types.is_datetime64_any_dtype(times):
        out = times
    elif isinstance(times.dtype, pd.PeriodDtype):
        out = times.dt.to_timestamp()
    elif pd.api.types.is_float_dtype(times):
        if times.notna().all() and np.all(np.mod(times.to_numpy(), 1) == 0):
            out = times.astype("int64")
        else:
            raise DataTypeError(f"time column {name!r} has non-integer floats; expected datetimes or integers")
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)  # pandas' mixed-offset notice; handled below
                out = pd.to_datetime(times)
        except (ValueError, TypeError) as exc:
            raise DataTypeError(_unparsable_time(times, name, exc)) from None
        if not pd.api.types.is_datetime64_any_dtype(out):
            raise DataTypeError(
                f"time column {name!r} mixes UTC offsets; parse it with pd.to_datetime(..., utc=True) "
                "(and tz_convert to your zone) first"
            )
    if out.isna().any():
        raise DataTypeError(f"time column {name!r} has {int(out.isna().sum())} missing timestamp(s)")
    if pd.api.types.is_datetime64_any_dtype(out):
        tz = getattr(out.dtype, "tz", None)
        try:
            out = out.astype("datetime64[ns]" if tz is None else pd.DatetimeTZDtype("ns", tz))
        except (pd.errors.OutOfBoundsDatetime, OverflowError):
            raise DataTypeError(
                f"time column {name!r} has stamps outside pandas' nanosecond range (1677-2262); "
                "use integer time stamps for such series"
            ) from None
    return out


def _unparsable_time(times: pd.Series, name: str, exc: Exception) -> str:
    """The message for time stamps pandas cannot parse: the stamps that are no dates, or else two stamps in
    different formats (pandas' own advice is about ``pd.to_datetime`` options a file's user does not have)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            each = pd.to_datetime(times, format="mixed", errors="coerce", utc=True)  # every stamp on its own
        bad = times[each.isna() & times.notna()]
    except (ValueError, TypeError):
        reason = str(exc).split("You might want to try")[0].strip().rstrip(".")
        return f"time column {name!r} (dtype {times.dtype}) could not be parsed as datetimes ({reason})"
    if len(bad):
        return (f"time column {name!r} (dtype {times.dtype}) could not be parsed as datetimes: "
                f"{listed(bad.unique())}, first at row {bad.index[0]}")
    from pandas.tseries.api import guess_datetime_format

    first_format = guess_datetime_format(str(times.iloc[0])) or "%Y-%m-%d"
    other = times[pd.to_datetime(times, format=first_format, errors="coerce").isna()]
    example = f" ({times.iloc[0]!r} at row {times.index[0]}, {other.iloc[0]!r} at row {other.index[0]})" \
        if len(other) else ""
    return (f"time column {name!r} mixes date formats{example}; write every stamp in one format, preferably "
            "ISO 8601 (2021-01-31 or 2021-01-31 14:00:00)")


def _coerce_target(values: pd.Series, name: str) -> pd.Series:
    if pd.api.types.is_complex_dtype(values):
        raise DataTypeError(f"target column {name!r} is complex ({values.dtype}); pass real values")
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        sample = values[pd.to_numeric(values, errors="coerce").isna() & values.notna()]
        hint = f" e.g. {listed(sample.unique()[:3])}" if len(sample) else ""
        raise DataTypeError(
            f"target column {name!r} must be numeric, got dtype {values.dtype}{hint}; "
            "convert it with pd.to_numeric first"
        )
    return values.astype("float64")


def _check_finite(df: pd.DataFrame, columns: Columns, target: str, allow_nan: bool) -> None:
    values = df[target].to_numpy()
    n_nan, n_inf = int(np.isnan(values).sum()), int(np.isinf(values).sum())
    if n_inf or (n_nan and not allow_nan):
        bad = df.loc[~np.isfinite(values) if not allow_nan else np.isinf(values), [columns.id, columns.time]]
        where = "; ".join(f"{r[0]!r} at {r[1]}" for r in bad.head(MAX_LISTED).itertuples(index=False))
        kinds = ", ".join(k for k in (f"{n_nan} NaN" if n_nan and not allow_nan else "",
                                      f"{n_inf} inf" if n_inf else "") if k)
        raise NonFiniteError(
            f"target column {target!r} has {kinds} value(s) in {bad[columns.id].nunique()} series "
            f"(first: {where}). Fill them with tsheads.fill_gaps(..., method='linear') or a model's "
            "impute(), or drop them explicitly."
        )


def _check_duplicates(df: pd.DataFrame, columns: Columns) -> None:
    dup = df.duplicated([columns.id, columns.time], keep=False)
    if dup.any():
        rows = df.loc[dup, [columns.id, columns.time]].drop_duplicates()
        where = "; ".join(f"{r[0]!r} at {r[1]}" for r in rows.head(MAX_LISTED).itertuples(index=False))
        raise DuplicateTimestampError(
            f"{int(dup.sum())} rows share an ({columns.id}, {columns.time}) pair with another row "
            f"({len(rows)} distinct pairs, first: {where}); aggregate or drop duplicates first"
        )


def _is_sorted(df: pd.DataFrame, columns: Columns) -> bool:
    ids = df[columns.id].to_numpy()
    if len(ids) < 2:
        return True
    new_block = ids[1:] != ids[:-1]
    # ids must be grouped (each id's rows contiguous) and times increasing inside each block
    if pd.Series(ids[np.r_[True, new_block]]).duplicated().any():
        return False
    times = time_values(df[columns.time])
    return bool(np.all((times[1:] > times[:-1]) | new_block))


def _check_not_constant(df: pd.DataFrame, columns: Columns) -> None:
    grouped = df.groupby(columns.id, sort=False)[list(columns.targets)]
    is_flat = (grouped.min().to_numpy() == grouped.max().to_numpy()).all(axis=1)
    flat = grouped.min().index[is_flat].tolist()
    if flat:
        raise ConstantSeriesError(f"{len(flat)} series are constant: {listed(flat)}")


# ---------------------------------------------------------------------------------------------- gap filling


FILL_METHODS = ("linear", "ffill", "zero", "nan")


def fill_gaps(
    data,
    freq: Freq = None,
    *,
    method: str = "linear",
    columns: Columns = Columns(),
    indicator: str | None = "is_filled",
) -> pd.DataFrame:
    """Put every series on its regular grid and fill missing or NaN targets explicitly.

    ``method``: ``"linear"`` (linear in the step index, edges held), ``"ffill"``, ``"zero"`` or
    ``"nan"`` (only insert the missing rows). ``indicator`` names a 0/1 column marking filled rows
    (None: omit). Rows off the grid and series with no finite value raise instead of being dropped
    or left NaN; inf values are errors in the data, not gaps, and are never filled.

    Parameters
    ----------
    data : pandas.DataFrame or pandas.Series
        Long frame, wide frame or one Series (see :func:`to_long`); NaN targets allowed.
    freq : str, pandas.DateOffset or int, optional
        The grid's step (offset alias, or integer step for integer times). None: guessed from the data.
    method : {"linear", "ffill", "zero", "nan"}, default "linear"
        How missing targets are filled.
    columns : Columns, optional
        Column names (default ``unique_id, ds, y``).
    indicator : str or None, default "is_filled"
        Name of the 0/1 column flagging filled rows; None adds none.

    Returns
    -------
    pandas.DataFrame
        Long frame with one row per grid step from each series' first to last time stamp.
    """
    if method not in FILL_METHODS:
        raise TsheadsError(f"method must be one of {', '.join(map(repr, FILL_METHODS))}, got {method!r}")
    df, _ = validate(data, columns, allow_nan=True, require_freq=False)
    tz = getattr(df[columns.time].dtype, "tz", None)
    if tz is not None:
        df[columns.time] = time_values(df[columns.time])
    integer_time = pd.api.types.is_integer_dtype(df[columns.time])
    freq = normalise_freq(freq, integer_time)
    if freq is None:
        freq = guess_freq(df[columns.id].to_numpy(), df[columns.time])
    if method != "nan":
        empty = df.groupby(columns.id, sort=False)[list(columns.targets)].count().min(axis=1)
        empty = empty[empty == 0]
        if len(empty):
            raise NonFiniteError(
                f"{len(empty)} series have no finite value to fill from: {listed(empty.index)}"
            )
    firsts = df.groupby(columns.id, sort=False)[columns.time].agg(["first", "last"])
    if integer_time:
        counts = ((firsts["last"] - firsts["first"]) // freq + 1).to_numpy()
    elif isinstance(freq, pd.offsets.Tick):
        counts = ((firsts["last"] - firsts["first"]).to_numpy().astype(np.int64) // freq.nanos + 1)
    else:  # calendar offsets: count their steps one series at a time
        counts = np.array([len(pd.date_range(a, b, freq=freq)) for a, b in zip(firsts["first"], firsts["last"])])
    full = pd.DataFrame({
        columns.id: np.repeat(firsts.index.to_numpy(), counts),
        columns.time: grid(firsts["first"].to_numpy(), counts, freq),
    })
    out = full.merge(df, on=[columns.id, columns.time], how="outer", indicator="_source", sort=False)
    off_grid = out[out["_source"] == "right_only"]
    if len(off_grid):
        where = "; ".join(f"{r[0]!r} at {r[1]}" for r in off_grid[[columns.id, columns.time]].head(MAX_LISTED)
                          .itertuples(index=False))
        raise FrequencyError(
            f"{len(off_grid)} time stamp(s) are not on the {freq_alias(freq)!r} grid of their series "
            f"(first: {where}); pass the right freq= or resample"
        )
    out = out.drop(columns="_source")
    filled = out[list(columns.targets)].isna().any(axis=1)
    for target in columns.targets:
        if method == "linear":
            out[target] = _interpolate(out[target], out[columns.id])
        elif method == "ffill":
            by_id = out[target].groupby(out[columns.id], sort=False)
            out[target] = by_id.ffill().fillna(by_id.bfill())
        elif method == "zero":
            out[target] = out[target].fillna(0.0)
    if indicator:
        out[indicator] = filled.astype("int8")
    if tz is not None:
        out[columns.time] = pd.DatetimeIndex(out[columns.time]).tz_localize("UTC").tz_convert(tz)
    return out


def _interpolate(values: pd.Series, ids: pd.Series) -> pd.Series:
    """Linear interpolation in the step index inside each series; edges hold the nearest value.

    Vectorised with grouped forward/backward fills (no Python loop over series).
    """
    position = pd.Series(np.arange(len(values), dtype=np.float64), index=values.index)
    known = values.notna()
    before_pos = position.where(known).groupby(ids, sort=False).ffill()
    after_pos = position.where(known).groupby(ids, sort=False).bfill()
    before = values.groupby(ids, sort=False).ffill()
    after = values.groupby(ids, sort=False).bfill()
    weight = ((position - before_pos) / (after_pos - before_pos)).fillna(0.0)
    inner = before + (after - before) * weight
    return values.fillna(inner).fillna(before).fillna(after)
