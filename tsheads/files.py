"""Output files written whole or not at all, refused up front when no file can be written there.

Stdlib only, so every layer may use it: :mod:`tsheads.io` for result frames, :mod:`tsheads.nn.weights`
for model files and :mod:`tsheads.cli` to check its output paths before any long work. A file is
written to a temporary ``.NAME.PID.partial`` next to its target and replaces it only when complete;
any failure removes the temporary file and becomes one :class:`~tsheads.errors.OutputError`.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence, Union

from .errors import OutputError

PathLike = Union[str, os.PathLike]


def check_writable(path: PathLike, what: str = "output", *, create_folders: bool = False) -> Path:
    """``path`` as a Path, or an :class:`~tsheads.errors.OutputError` if no file can be written there.

    Refused: an existing directory, a path under an existing file, a missing folder (unless
    ``create_folders``) and a folder that is read-only or not writable for this user.

    Parameters
    ----------
    path : str or os.PathLike
        The file to be written.
    what : str, default "output"
        What the file is, for the message (e.g. ``"model file"``).
    create_folders : bool, default False
        Whether the writer creates missing folders (then the nearest existing one must be writable).

    Returns
    -------
    pathlib.Path
        The target.
    """
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"{what} {path} is a directory; name a file to write (e.g. inside it)")
    existing = next((p for p in (target.parent, *target.parent.parents) if p.exists()), target.parent)
    if not existing.is_dir():
        raise OutputError(f"cannot write {what} {path}: {existing} is a file, not a folder")
    if existing != target.parent and not create_folders:
        raise OutputError(f"cannot write {what} {path}: folder {target.parent} does not exist; create it first")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {what} {path}: folder {existing} is not writable "
                          "(a read-only file system, or no permission)")
    return target


def partial_path(target: Path) -> Path:
    """The temporary file a write of ``target`` goes to until it is complete."""
    return target.with_name(f".{target.name}.{os.getpid()}.partial")


def publish(temps: Sequence[Path], targets: Sequence[Path], what: str = "output") -> None:
    """Move finished temporary files onto their targets; on failure remove them and raise OutputError.

    Parameters
    ----------
    temps, targets : sequence of pathlib.Path
        Temporary files (from :func:`partial_path`) and the files they become, in the same order.
    what : str, default "output"
        What the files are, for the message.
    """
    try:
        for temp, target in zip(temps, targets):
            os.replace(temp, target)
    except OSError as err:
        discard(temps)
        raise written_error(targets[0], err, what) from None


def discard(temps: Sequence[Path]) -> None:
    """Remove temporary files, quietly (on a read-only file system there is nothing to remove).

    Parameters
    ----------
    temps : sequence of pathlib.Path
        Temporary files, existing or not.
    """
    for temp in temps:
        try:
            temp.unlink(missing_ok=True)
        except OSError:
            pass


def written_error(path: PathLike, err: OSError, what: str = "output") -> OutputError:
    """One clear error for an OSError while writing ``path`` (a full disk, a read-only file system ...).

    Parameters
    ----------
    path : str or os.PathLike
        The file being written.
    err : OSError
        What the operating system said.
    what : str, default "output"
        What the file is, for the message.

    Returns
    -------
    OutputError
        The error to raise.
    """
    reason = err.strerror or str(err)
    return OutputError(f"cannot write {what} {path}: {reason}; nothing was written")


@contextmanager
def written_whole(targets: Sequence[PathLike], what: str = "output", *,
                  create_folders: bool = False) -> Iterator[list]:
    """Check ``targets``, yield their temporary paths, and publish them all if the block succeeds.

    Parameters
    ----------
    targets : sequence of str or os.PathLike
        Files the block writes (through the yielded temporary paths).
    what : str, default "output"
        What the files are, for messages.
    create_folders : bool, default False
        Create missing folders of the targets first.

    Yields
    ------
    list of pathlib.Path
        Temporary paths, in the order of ``targets``.
    """
    paths = [check_writable(t, what, create_folders=create_folders) for t in targets]
    temps = [partial_path(p) for p in paths]
    try:
        if create_folders:
            for p in paths:
                p.parent.mkdir(parents=True, exist_ok=True)
        yield temps
    except OSError as err:
        discard(temps)
        raise written_error(paths[0], err, what) from None
    except BaseException:
        discard(temps)
        raise
    publish(temps, paths, what)
