"""Long frames from and to files (CSV, Parquet, stdin/stdout), for the command line and scripts.

Reading parses the time column (ISO date strings become ``datetime64``; integer time stays integer) and
refuses what the estimators would choke on later with a message that names the file and the column.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterator, Optional, Union

import numpy as np
import pandas as pd

from .errors import DataTypeError, EmptyDataError, MissingColumnError, TsheadsError

__all__ = ["FrameWriter", "iter_frames", "read_frame", "write_frame"]

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
    name = "stdin" if str(path) == "-" else str(path)
    frame = pd.concat(list(_raw_pieces(path, name, id_col, None)), ignore_index=True)
    if frame.empty:
        raise EmptyDataError(f"{name} has a header but no rows")
    _check_time_column(frame, time_col, name)
    return _parse_time(frame, time_col, name)


def _check_time_column(frame: pd.DataFrame, time_col: str, name: str) -> None:
    if time_col not in frame.columns:
        raise MissingColumnError(f"{name} has no time column {time_col!r} (columns: {list(frame.columns)}); "
                                 "pass the column names (e.g. --time-col)")


def _parse_time(frame: pd.DataFrame, time_col: str, name: str) -> pd.DataFrame:
    from .frames import coerce_time

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


def iter_frames(path: PathLike, *, id_col: str = "unique_id", time_col: str = "ds",
                chunk_rows: int = 1_000_000) -> Iterator[pd.DataFrame]:
    """Read a long frame in pieces of about ``chunk_rows`` rows, each holding whole series.

    The rows of one series must be contiguous in the file (as when it is sorted by id): the last series
    of a piece is held back until the next piece shows it has ended, so memory stays bounded by the piece
    size and the longest series, however many series the file holds.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV (also ``.csv.gz``), Parquet, or ``"-"`` for CSV on stdin.
    id_col, time_col : str
        Series id column (read as text from CSV) and time column (parsed as by :func:`read_frame`).
    chunk_rows : int
        Rows read at a time.

    Yields
    ------
    pandas.DataFrame
        Pieces with complete series, in file order.

    Raises
    ------
    TsheadsError
        As :func:`read_frame`, and when a series' rows are split between non-adjacent parts of the file.
    """
    name = "stdin" if str(path) == "-" else str(path)
    pieces = _raw_pieces(path, name, id_col, int(chunk_rows))
    done = np.empty(0, dtype=np.uint64)  # 64-bit hashes of finished ids, sorted: 8 bytes per series
    carry: Optional[pd.DataFrame] = None
    held: Optional[pd.DataFrame] = None
    any_rows = False
    for piece in pieces:
        if piece.empty:
            continue
        any_rows = True
        _check_time_column(piece, time_col, name)
        if id_col not in piece.columns:
            raise MissingColumnError(f"{name} has no id column {id_col!r} (columns: {list(piece.columns)})")
        if carry is not None:
            piece = pd.concat([carry, piece], ignore_index=True)
        ids = piece[id_col]
        last = ids.iloc[-1]
        tail = (ids == last).to_numpy()
        ready, carry = piece[~tail], piece[tail]
        if len(ready):
            done = _check_new_series(ready, done, id_col, name)
            if held is not None:
                yield _parse_time(held.reset_index(drop=True), time_col, name)
            held = ready  # held back one step, so the file's last series never makes a piece of its own
    rest = [p for p in (held, carry) if p is not None and len(p)]
    if carry is not None and len(carry):
        _check_new_series(carry, done, id_col, name)
    if rest:
        yield _parse_time(pd.concat(rest, ignore_index=True), time_col, name)
    if not any_rows:
        raise EmptyDataError(f"{name} has a header but no rows")


def _raw_pieces(path: PathLike, name: str, id_col: str, chunk_rows: Optional[int]) -> Iterator[pd.DataFrame]:
    """The file as frames of ``chunk_rows`` rows (``None``: one frame), ids read as text from CSV."""
    if str(path) != "-" and not Path(path).is_file():
        raise TsheadsError(f"no such file: {name}")
    try:
        if _is_parquet(path) and chunk_rows is None:
            yield pd.read_parquet(path)
        elif _is_parquet(path):
            import pyarrow.parquet as pq

            # pre_buffer=False: pre-buffering keeps every row group's bytes, so memory would grow with the file
            for batch in pq.ParquetFile(path, pre_buffer=False).iter_batches(batch_size=chunk_rows):
                yield batch.to_pandas()
        else:
            source = sys.stdin if str(path) == "-" else path
            if chunk_rows is None:
                yield pd.read_csv(source, dtype={id_col: str})
            else:
                yield from pd.read_csv(source, dtype={id_col: str}, chunksize=chunk_rows)
    except ImportError as err:
        raise _parquet_engine_missing(err) from err
    except pd.errors.EmptyDataError as err:
        raise EmptyDataError(f"{name} is empty") from err
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as err:
        raise TsheadsError(f"cannot read {name}: {err}") from err


def _check_new_series(piece: pd.DataFrame, done: np.ndarray, id_col: str, name: str) -> np.ndarray:
    """Refuse a series that already ended in an earlier piece; return the hashes with this piece's added.

    A series split inside one piece (a, b, a) is left to validation, which sorts within the piece.
    """
    ids = pd.unique(piece[id_col])
    hashes = pd.util.hash_array(np.asarray(ids, dtype=object))
    again = np.isin(hashes, done)
    if again.any():
        raise TsheadsError(f"{name}: the rows of series {ids[np.argmax(again)]!r} are not contiguous (it appears "
                           "again after other series); sort the file by id, or read it whole (--chunk-rows 0)")
    return np.union1d(done, hashes)


class FrameWriter:
    """Append long frames to one CSV (``"-"``: stdout) or Parquet file, published only when all is written.

    Pieces go to a temporary file next to the target, which replaces the target when the ``with`` block ends
    without an error; a failed run leaves the target as it was (an older file included). On stdout, pieces
    already printed stay printed.

    Parameters
    ----------
    path : str or pathlib.Path
        Target; ``.parquet`` / ``.pq`` is Parquet, ``"-"`` is CSV on stdout, anything else CSV.
    """

    def __init__(self, path: PathLike):
        self.path = path
        self._parquet = None
        self._started = False
        self._temp: Optional[Path] = None

    def __enter__(self) -> "FrameWriter":
        if str(self.path) != "-":
            target = Path(self.path)
            self._temp = target.with_name(f".{target.name}.{os.getpid()}.partial")
        return self

    def write(self, frame: pd.DataFrame) -> None:
        """Append ``frame`` (same columns, and types that fit the first piece's).

        Parameters
        ----------
        frame : pandas.DataFrame
            The next piece of output.
        """
        try:
            if self._temp is None:
                frame.to_csv(sys.stdout, index=False, header=not self._started)
            elif _is_parquet(self.path):
                import pyarrow as pa
                import pyarrow.parquet as pq

                table = pa.Table.from_pandas(frame, preserve_index=False)
                if self._parquet is None:
                    self._parquet = pq.ParquetWriter(str(self._temp), table.schema)
                self._parquet.write_table(table.cast(self._parquet.schema))
            else:
                frame.to_csv(self._temp, index=False, header=not self._started, mode="a" if self._started else "w")
        except ImportError as err:
            raise _parquet_engine_missing(err) from err
        except OSError as err:
            raise TsheadsError(f"cannot write {self.path}: {err}") from err
        except (ValueError, TypeError, NotImplementedError) as err:  # pyarrow's ArrowInvalid is a ValueError
            raise TsheadsError(f"cannot append to {self.path}: a column's type changed between pieces of the "
                               f"input ({err}); read it whole with --chunk-rows 0, or write CSV") from err
        self._started = True

    def __exit__(self, kind, error, trace) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._temp is None:
            return
        if error is None and self._started:
            os.replace(self._temp, self.path)
        else:
            self._temp.unlink(missing_ok=True)
