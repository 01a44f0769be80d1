"""Long frames from and to files (CSV, Parquet, stdin/stdout), for the command line and scripts.

Reading parses the time column (ISO date strings become ``datetime64``; integer time stays integer) and
refuses what the estimators would choke on later with a message that names the file and the column.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator, Optional, Union

import numpy as np
import pandas as pd

from .errors import DataTypeError, EmptyDataError, MissingColumnError, SplitSeriesError, TsheadsError
from .files import check_writable, discard, partial_path, publish, written_error, written_whole

__all__ = ["FORMATS", "FrameWriter", "file_format", "iter_frames", "read_frame", "write_frame"]

PathLike = Union[str, Path]
#: file suffixes by format; CSV may be compressed (pandas infers the compression from the suffix)
FORMATS = {"parquet": (".parquet", ".pq"),
           "csv": (".csv", ".csv.gz", ".csv.bz2", ".csv.xz")}
#: pandas' name of the compression each CSV suffix implies (temporary files have no telling suffix)
_COMPRESSION = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz"}


def file_format(path: PathLike) -> str:
    """``"csv"`` or ``"parquet"`` by the file's suffix (``"-"``, stdin or stdout, is CSV).

    Parameters
    ----------
    path : str or pathlib.Path
        A file name, or ``"-"``.

    Returns
    -------
    str
        The format.

    Raises
    ------
    TsheadsError
        Any other suffix (``.json``, ``.xlsx`` ...): it would be read or written as the wrong format.
    """
    if str(path) == "-":
        return "csv"
    name = Path(path).name.lower()
    for kind, suffixes in FORMATS.items():
        if name.endswith(suffixes):
            return kind
    supported = ", ".join(s for suffixes in FORMATS.values() for s in suffixes)
    raise TsheadsError(f"{path}: unknown file type {''.join(Path(path).suffixes) or '(no suffix)'!r}; tsheads "
                       f"reads and writes {supported}, or - for stdin/stdout")


def _is_parquet(path: PathLike) -> bool:
    return file_format(path) == "parquet"


def _parquet_engine_missing(err: ImportError) -> TsheadsError:
    return TsheadsError(f"Parquet needs pyarrow: pip install pyarrow (or 'tsheads[parquet]'); {err}")


def read_frame(path: PathLike, *, id_col: str = "unique_id", time_col: str = "ds") -> pd.DataFrame:
    """Read a long frame from CSV (also ``.csv.gz``), Parquet, or ``"-"`` for CSV on stdin.

    Parameters
    ----------
    path : str or pathlib.Path
        The file; the suffix picks the format (``.parquet`` / ``.pq`` is Parquet, ``.csv`` and compressed
        ``.csv.gz`` ... CSV; others are refused, see :data:`FORMATS`).
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
        A missing file, an unknown suffix, an empty file, a missing time column or time stamps that do not
        parse.
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
        Target file; ``.parquet`` / ``.pq`` is Parquet, ``.csv`` (also compressed) CSV, ``"-"`` CSV on
        stdout; other suffixes are refused. The file appears only when completely written.
    """
    parquet = _is_parquet(path)
    if str(path) == "-":
        frame.to_csv(sys.stdout, index=False)
        return
    with written_whole([path]) as (temp,):
        try:
            if parquet:
                frame.to_parquet(temp, index=False)
            else:
                frame.to_csv(temp, index=False, compression=_compression(path))
        except ImportError as err:
            raise _parquet_engine_missing(err) from err


def _compression(path: PathLike) -> Optional[str]:
    """The compression of a CSV target by its suffix (the temporary file it is written to has none)."""
    return _COMPRESSION.get(Path(path).suffix.lower())


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
        As :func:`read_frame`; :class:`~tsheads.errors.SplitSeriesError` when a series' rows are split between
        non-adjacent parts of the file.
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
    parquet = _is_parquet(path)
    if str(path) != "-" and not Path(path).is_file():
        raise TsheadsError(f"no such file: {name}")
    try:
        if parquet and chunk_rows is None:
            yield pd.read_parquet(path)
        elif parquet:
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
        raise SplitSeriesError(f"{name}: the rows of series {ids[np.argmax(again)]!r} are not contiguous (it "
                               "appears again after other series); sort the file by id, or read it whole "
                               "(--chunk-rows 0)")
    return np.union1d(done, hashes)


class FrameWriter:
    """Append long frames to one CSV (``"-"``: stdout) or Parquet file, published only when all is written.

    Pieces go to a temporary file next to the target, which replaces the target when the ``with`` block ends
    without an error; a failed run leaves the target as it was (an older file included). On stdout, pieces
    already printed stay printed.

    Parameters
    ----------
    path : str or pathlib.Path
        Target; ``.parquet`` / ``.pq`` is Parquet, ``.csv`` (also compressed) CSV, ``"-"`` CSV on stdout;
        other suffixes, directories and unwritable folders are refused when the block starts.
    """

    def __init__(self, path: PathLike):
        self.path = path
        self._parquet = None
        self._started = False
        self._temp: Optional[Path] = None

    def __enter__(self) -> "FrameWriter":
        if str(self.path) != "-":
            self._temp = partial_path(check_writable(self.path))
        file_format(self.path)
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
                frame.to_csv(self._temp, index=False, header=not self._started, mode="a" if self._started else "w",
                             compression=_compression(self.path))
        except ImportError as err:
            raise _parquet_engine_missing(err) from err
        except OSError as err:
            raise written_error(self.path, err) from None
        except (ValueError, TypeError, NotImplementedError) as err:  # pyarrow's ArrowInvalid is a ValueError
            raise TsheadsError(f"cannot append to {self.path}: a column's type changed between pieces of the "
                               f"input ({err}); read it whole with --chunk-rows 0, or write CSV") from err
        self._started = True

    def __exit__(self, kind, error, trace) -> None:
        failure = None
        if self._parquet is not None:
            try:
                self._parquet.close()
            except OSError as err:  # the last bytes go out here: a full disk shows now
                failure = written_error(self.path, err)
        if self._temp is not None and error is None and failure is None and self._started:
            publish([self._temp], [Path(self.path)])
        elif self._temp is not None:
            discard([self._temp])
        if failure is not None and error is None:
            raise failure
