"""Long frames from and to files (CSV, Parquet, stdin/stdout), for the command line and scripts.

Reading parses the time column (ISO date strings become ``datetime64``; integer time stays integer) and
refuses what the estimators would choke on later with a message that names the file and the column.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Union

import pandas as pd

from .errors import DataTypeError, EmptyDataError, MissingColumnError, TsheadsError

__all__ = ["read_frame", "write_frame"]

PathLike = Union[str, Path]
_PARQUET = (".parquet", ".pq")


def _is_parquet(path: PathLike) -> bool:
    return str(path).lower().endswith(_PARQUET)


def _parquet_engine_missing(err: ImportError) -> TsheadsError:
    return TsheadsError(f"Parquet needs pyarrow: pip install pyarrow (or 'tsheads[parquet]'); {err}")


def read_frame(path: PathLike, *, id_col: str = "unique_id", time_col: str = "ds") -> pd.DataFrame:
    """Read a long frame from CSV (also ``.csv.gz``), Parquet, or ``"-"`` for CSV on stdin.

    Parameters
    ----------
    path : str or pathlib.Path
        The file; the suffix picks the format (``.parquet`` / ``.pq`` is Parquet, anything else CSV).
    id_col : str
        The series id column: read from CSV as text, so ids such as ``"001"`` keep their leading zeros.
    time_col : str
        The time column, parsed as :func:`tsheads.frames.coerce_time` does for in-memory frames (integers
        stay integers; date strings become ``datetime64``).

    Returns
    -------
    pandas.DataFrame
        The frame as read, with the time column parsed.

    Raises
    ------
    TsheadsError
        A missing file, an empty file, a missing time column or time stamps that do not parse.
    """
    from .frames import coerce_time

    name = "stdin" if str(path) == "-" else str(path)
    if str(path) != "-" and not Path(path).is_file():
        raise TsheadsError(f"no such file: {name}")
    try:
        if _is_parquet(path):
            frame = pd.read_parquet(path)
        else:
            source = io.StringIO(sys.stdin.read()) if str(path) == "-" else path
            frame = pd.read_csv(source, dtype={id_col: str})
    except ImportError as err:
        raise _parquet_engine_missing(err) from err
    except pd.errors.EmptyDataError as err:
        raise EmptyDataError(f"{name} is empty") from err
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as err:
        raise TsheadsError(f"cannot read {name}: {err}") from err
    if frame.empty:
        raise EmptyDataError(f"{name} has a header but no rows")
    if time_col not in frame.columns:
        raise MissingColumnError(f"{name} has no time column {time_col!r} (columns: {list(frame.columns)}); "
                                 "pass the column names (e.g. --time-col)")
    try:
        frame[time_col] = coerce_time(frame[time_col], time_col)
    except DataTypeError as err:
        raise DataTypeError(f"{name}: {err}") from None
    return frame


def write_frame(frame: pd.DataFrame, path: PathLike) -> None:
    """Write ``frame`` as CSV (``"-"``: stdout) or Parquet (by suffix), without the index.

    Parameters
    ----------
    frame : pandas.DataFrame
        What to write.
    path : str or pathlib.Path
        Target file; ``.parquet`` / ``.pq`` is Parquet, ``"-"`` is CSV on stdout, anything else CSV.
    """
    if str(path) == "-":
        frame.to_csv(sys.stdout, index=False)
        return
    try:
        if _is_parquet(path):
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
    except ImportError as err:
        raise _parquet_engine_missing(err) from err
    except OSError as err:
        raise TsheadsError(f"cannot write {path}: {err}") from err
