"""Write a suite's result as Markdown (for people) and JSON (for tools) with everything needed to redo it.

A result without its command, date, machine, commit and parameters cannot be checked later, so
:func:`write_report` records them all, and refuses to write into the committed ``evaluation/results`` from a
tree with uncommitted changes (:func:`check_provenance`; ``--allow-dirty`` overrides, and the report then says
so). ``tabulate`` (pandas' ``to_markdown``) is not a
dependency of tsheads, hence the small formatter :func:`markdown_table`.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO_ROOT / "evaluation" / "results"
MISSING = "—"
MAX_CHANGES_LISTED = 20  # changed paths kept in a report


# ------------------------------------------------------------------------------------------------ tables
def _cell(value, floatfmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if isinstance(value, (float, np.floating)):
        return format(float(value), floatfmt)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(df: pd.DataFrame, floatfmt: str = ".3f", index: bool = True) -> str:
    """GitHub Markdown table of ``df``; numeric columns right-aligned, NaN/None shown as an em dash.

    ``floatfmt`` may be a dict ``{column: format}`` (others use ``".3f"``).
    """
    frame = df.reset_index() if index else df
    cols = [str(c) for c in frame.columns]
    fmts = floatfmt if isinstance(floatfmt, dict) else {}
    default = ".3f" if isinstance(floatfmt, dict) else floatfmt
    rows = [[_cell(v, fmts.get(c, default)) for c, v in zip(cols, rec)] for rec in frame.itertuples(index=False)]
    # right-align a column holding any number (a reference row may mix in "n/q" strings)
    numeric = [any(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in frame[c])
               for c in frame.columns]
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(cols)]

    def line(cells):
        return "| " + " | ".join(s.rjust(w) if num else s.ljust(w) for s, w, num in zip(cells, widths, numeric)) + " |"

    sep = "|" + "|".join(("-" * (w + 1) + ":") if num else (":" + "-" * (w + 1))
                         for w, num in zip(widths, numeric)) + "|"
    return "\n".join([line(cols), sep, *(line(r) for r in rows)])


def _json_value(value):
    """NaN/inf are not JSON: write ``null``; numpy scalars become Python numbers, time stamps ISO strings."""
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_json_value(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (pd.Timestamp, _dt.date, np.datetime64)):  # time stamps, e.g. of flagged regions
        return None if pd.isna(value) else pd.Timestamp(value).isoformat()
    return value


def table_records(df: pd.DataFrame) -> list[dict]:
    """The table as JSON records, the index kept as the first field(s)."""
    return _json_value(df.reset_index().to_dict(orient="records"))


# ------------------------------------------------------------------------------------------- provenance
def machine_info() -> dict:
    """CPU, memory and library versions: the numbers in a table depend on all of them."""
    import torch

    info = {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": _memory_gib(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cuda_available": torch.cuda.is_available(),
        # other work on the machine slows every timing in the report; the load average shows it
        "load_average_1_5_15min": [round(v, 2) for v in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "numpy": np.__version__,
        "pandas": pd.__version__,
    }
    for mod in ("statsmodels", "tsheads"):
        try:
            info[mod] = __import__(mod).__version__
        except Exception:  # pragma: no cover - reporting only
            info[mod] = None
    info.update(_git_info())
    return info


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _memory_gib() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


def _git_info(root: Path | None = None) -> dict:
    """Commit, whether the tree had local changes, and the first changed paths (read-only git calls).

    Changed tracked files and untracked files that git does not ignore both count: an untracked module the
    suite imports is code the commit does not hold. The results folder itself is left out, so one suite of
    ``run_all`` writing its tables does not make the next one dirty.
    """
    root = REPO_ROOT if root is None else Path(root)

    def run(*args):
        out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)
        return out.stdout if out.returncode == 0 else None

    results = RESULTS_DIR.relative_to(REPO_ROOT).as_posix()
    try:
        commit = run("rev-parse", "HEAD")
        status = run("status", "--porcelain", "--untracked-files=all", "--", ".", f":(exclude){results}")
    except (OSError, subprocess.SubprocessError):
        commit = status = None
    if commit is None or status is None:  # not a git checkout, or no git: provenance unknown
        return {"git_commit": None if commit is None else commit.strip(), "git_dirty": None, "git_changes": None}
    changes = [line[3:] for line in status.splitlines() if line.strip()]
    return {"git_commit": commit.strip(), "git_dirty": bool(changes), "git_changes": changes[:MAX_CHANGES_LISTED]}


class ProvenanceError(RuntimeError):
    """A result would go into the committed results folder from a tree that is not a clean commit."""


def is_results_dir(out_dir: str | os.PathLike | None) -> bool:
    """Whether ``out_dir`` is the committed results folder (``evaluation/results``, not a subfolder of it)."""
    target = Path(RESULTS_DIR if out_dir is None else out_dir).expanduser().resolve()
    return target == RESULTS_DIR.resolve()


def check_provenance(out_dir: str | os.PathLike | None, allow_dirty: bool = False, git: dict | None = None) -> dict:
    """Refuse to write committed results from a tree whose code is not exactly a commit.

    Parameters
    ----------
    out_dir : str or os.PathLike or None
        Where the suite will write (``None``: the committed results folder).
    allow_dirty : bool, default False
        Write anyway (the report still records ``git_dirty`` and the changed paths).
    git : dict, optional
        The output of the git query, if already made (default: ask git now).

    Returns
    -------
    dict
        ``git_commit``, ``git_dirty`` and ``git_changes`` (the first changed paths).

    Raises
    ------
    ProvenanceError
        When ``out_dir`` is the committed results folder, ``allow_dirty`` is false and the tree has changes
        outside that folder, or git cannot tell.
    """
    info = _git_info() if git is None else git
    if allow_dirty or not is_results_dir(out_dir) or info["git_dirty"] is False:
        return info
    if info["git_dirty"] is None:
        reason = "git cannot tell which commit this code is (no git, or not a checkout)"
    else:
        shown = ", ".join(info["git_changes"][:5]) + (", ..." if len(info["git_changes"]) > 5 else "")
        reason = f"the git tree has changes outside {RESULTS_DIR.name}/ ({shown})"
    raise ProvenanceError(
        f"refusing to write into the committed results folder {RESULTS_DIR}: {reason}, so the commit recorded "
        "with the numbers would not hold the code that made them. Commit (or stash) first and run again from "
        "a clean tree, write elsewhere with --out-dir DIR, or pass --allow-dirty to write anyway (the report "
        "then says the tree was dirty).")


def _invoked_as() -> str:
    """How this process was started (``run_all`` or pytest may differ from the suite's own command)."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    head = ["python", "-m", spec.name] if spec is not None and spec.name else [Path(sys.argv[0]).name]
    return shlex.join(head + sys.argv[1:])


def suite_command(suite: str, argv: list[str] | None) -> str:
    """The shell command that re-makes this suite's result with the same arguments."""
    args = shlex.join(argv) if argv else ""
    return f"python -m evaluation.{suite} {args}".strip()


# ----------------------------------------------------------------------------------------------- timing
@dataclass
class Timings:
    """Wall-clock seconds per labelled step, in the order they ran."""

    seconds: dict = field(default_factory=dict)

    @contextmanager
    def time(self, label: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - start


# ----------------------------------------------------------------------------------------------- writing
@dataclass
class Report:
    """One suite's result; ``tables`` maps a caption to a DataFrame (shown in that order)."""

    suite: str
    title: str
    command: str
    parameters: dict
    tables: dict
    wall_times: dict
    notes: list = field(default_factory=list)
    model: dict | None = None
    extra: dict = field(default_factory=dict)
    floatfmt: dict = field(default_factory=dict)  # caption -> format for that table


def write_report(report: Report, out_dir: str | os.PathLike | None = None,
                 allow_dirty: bool = False) -> tuple[Path, Path]:
    """Write ``<out_dir>/<suite>.md`` and ``.json`` (default ``evaluation/results``); return both paths.

    Parameters
    ----------
    report : Report
        The suite's tables, command, parameters and timings.
    out_dir : str or os.PathLike, optional
        Target folder (default: the committed results folder).
    allow_dirty : bool, default False
        Allow writing into the committed results folder from a tree with uncommitted changes
        (see :func:`check_provenance`); elsewhere it has no effect.

    Returns
    -------
    tuple of Path
        The Markdown and the JSON file.

    Raises
    ------
    ProvenanceError
        When the target is the committed results folder and the tree is not a clean commit.
    """
    out = Path(out_dir) if out_dir is not None else RESULTS_DIR
    machine = machine_info()
    check_provenance(out, allow_dirty, git=machine)
    out.mkdir(parents=True, exist_ok=True)
    now = _dt.datetime.now(_dt.timezone.utc).astimezone()
    payload = {
        "suite": report.suite,
        "title": report.title,
        "command": report.command,
        "invoked_as": _invoked_as(),
        "date": now.isoformat(timespec="seconds"),
        "machine": machine,
        "parameters": report.parameters,
        "model": report.model,
        "wall_times_s": report.wall_times,
        "tables": {caption: table_records(df) for caption, df in report.tables.items()},
        "notes": list(report.notes),
        **report.extra,
    }
    json_path = out / f"{report.suite}.json"
    json_path.write_text(json.dumps(_json_value(payload), indent=2) + "\n")

    title = report.title
    if report.model and report.model.get("kind") == "random":
        title += " — RANDOM WEIGHTS (harness check)"
    if report.parameters.get("quick"):
        title += " — QUICK MODE (smoke test, not a result)"
    lines = [f"# {title}", "", "```", report.command, "```", ""]
    lines.append(f"- date: {payload['date']}")
    lines.append(
        f"- machine: {machine['cpu_count']} CPUs ({machine['cpu_model']}), {machine['memory_gib']} GiB, "
        f"torch {machine['torch']} ({machine['torch_threads']} threads), statsmodels {machine['statsmodels']}, "
        f"commit {(machine['git_commit'] or '?')[:10]}{_dirty_label(machine)}, "
        f"load average {machine['load_average_1_5_15min']}"
    )
    if report.model:
        lines.append("- model: " + ", ".join(f"{k} {_short(v)}" for k, v in report.model.items() if k != "config"))
    lines.append("- parameters: " + ", ".join(f"{k}={_short(v)}" for k, v in report.parameters.items()))
    lines.append("")
    for caption, df in report.tables.items():
        lines += [f"## {caption}", "", markdown_table(df, report.floatfmt.get(caption, ".3f")), ""]
    lines += ["## Wall times (s)", "", markdown_table(
        pd.DataFrame({"step": list(report.wall_times), "seconds": list(report.wall_times.values())}),
        ".2f", index=False), ""]
    if report.notes:
        lines += ["## Notes", "", *(f"- {n}" for n in report.notes), ""]
    md_path = out / f"{report.suite}.md"
    md_path.write_text("\n".join(lines))
    return md_path, json_path


def _dirty_label(machine: dict) -> str:
    """How the Markdown header shows the tree's state next to the commit."""
    changes = machine.get("git_changes")
    if machine["git_dirty"] is None:
        return " (clean state unknown)"
    if not machine["git_dirty"]:
        return " (clean)"
    more = "+" if len(changes) >= MAX_CHANGES_LISTED else ""
    return f" (DIRTY: {len(changes)}{more} changed paths, listed in the JSON)"


def _short(value, limit: int = 100) -> str:
    text = ",".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)
    return text if len(text) <= limit else "(see JSON)"
