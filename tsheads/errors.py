"""Project exceptions.

Every input problem raises a subclass of :class:`TsheadsError`, itself a ``ValueError``, so callers can
catch one type while tests can assert the specific cause.
"""

from __future__ import annotations

from typing import Iterable

MAX_LISTED = 5


def listed(values: Iterable) -> str:
    """A few values for an error message: ``'a', 'b', 'c' and 7 more``.

    Parameters
    ----------
    values : iterable
        The values; the first ``MAX_LISTED`` are shown with ``repr``.

    Returns
    -------
    str
        The shortened list.
    """
    values = list(values)
    shown = ", ".join(repr(v) for v in values[:MAX_LISTED])
    return shown + (f" and {len(values) - MAX_LISTED} more" if len(values) > MAX_LISTED else "")


class TsheadsError(ValueError):
    """Base class for all bad-input errors raised by tsheads."""


class EmptyDataError(TsheadsError):
    """The input holds no rows (or no series)."""


class MissingColumnError(TsheadsError):
    """A required column (id, time or target) is absent."""


class DataTypeError(TsheadsError):
    """A column has a dtype tsheads cannot use (e.g. non-numeric target, unparsable timestamps)."""


class NonFiniteError(TsheadsError):
    """The target holds NaN or +/-inf where finite values are required."""


class DuplicateTimestampError(TsheadsError):
    """The same (id, timestamp) pair occurs more than once."""


class FrequencyError(TsheadsError):
    """The sampling frequency is irregular, inconsistent or cannot be inferred."""


class GapError(FrequencyError):
    """Timestamps are missing inside a series (the grid implied by ``freq`` has holes)."""


class SeriesTooShortError(TsheadsError):
    """A series has fewer observations than the operation needs."""


class ConstantSeriesError(TsheadsError):
    """A series is constant where the operation needs variation (e.g. a scale for MASE)."""


class ShapeError(TsheadsError):
    """Array arguments have incompatible shapes."""


class ZeroScaleError(TsheadsError):
    """A scaled metric's denominator is zero (e.g. MASE on a constant training series)."""


class IdMismatchError(TsheadsError):
    """Series ids of two frames that must match (forecasts vs. training data) do not."""


class UndefinedMetricError(TsheadsError):
    """A metric is undefined for these labels (e.g. no anomalous or no normal point)."""


class DatasetNotFoundError(TsheadsError, FileNotFoundError):
    """A public dataset's files are not in the data directory."""


class WeightsError(TsheadsError):
    """A weight/config file is corrupt, truncated, foreign or of an unsupported format version."""


class OutputError(TsheadsError):
    """An output file cannot be written: a directory, a missing, read-only or full folder, a path under a file."""


class ValueRangeError(TsheadsError):
    """A result would leave the float64 range (about +/-1.8e308), e.g. intervals of series near its limits."""


class SplitSeriesError(TsheadsError):
    """The rows of a series are split between non-adjacent parts of a file read in pieces (not sorted by id)."""


class NonNumericValueError(DataTypeError, TypeError):
    """An object array holds a value that is not a number (a TypeError too, as in scikit-learn)."""


class DatasetFileError(TsheadsError):
    """A public dataset's file is present but empty, truncated or not in the expected format."""
