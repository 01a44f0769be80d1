"""Committed results come from a clean commit: the suites refuse to write into ``evaluation/results`` otherwise.

The committed results folder is redirected to ``tmp_path`` (``RESULTS_DIR`` is monkeypatched), so no test
writes into the repository; the git state is either faked or read from a throw-away repository.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # `evaluation` is a top-level package of the repository, not installed
    sys.path.insert(0, str(REPO_ROOT))

from evaluation import common as common_mod  # noqa: E402
from evaluation import report as report_mod  # noqa: E402
from evaluation.common import base_parser, parse_args  # noqa: E402
from evaluation.report import ProvenanceError, Report, check_provenance, write_report  # noqa: E402

CLEAN = {"git_commit": "a" * 40, "git_dirty": False, "git_changes": []}
DIRTY = {"git_commit": "a" * 40, "git_dirty": True, "git_changes": ["tsheads/new_module.py"]}
UNKNOWN = {"git_commit": None, "git_dirty": None, "git_changes": None}


@pytest.fixture
def results_dir(tmp_path, monkeypatch) -> Path:
    """A stand-in for the committed results folder."""
    folder = tmp_path / "results"
    monkeypatch.setattr(report_mod, "RESULTS_DIR", folder)
    monkeypatch.setattr(common_mod, "RESULTS_DIR", folder)  # the suites' default --out-dir
    return folder


def fake_git(monkeypatch, state: dict) -> None:
    monkeypatch.setattr(report_mod, "_git_info", lambda root=None: dict(state))


def small_report() -> Report:
    return Report(suite="toy", title="Toy", command="python -m evaluation.toy", parameters={"quick": False},
                  tables={"t": pd.DataFrame({"x": [1.5]}, index=pd.Index(["a"], name="row"))},
                  wall_times={"run": 0.1})


@pytest.mark.parametrize("state", [DIRTY, UNKNOWN])
def test_dirty_or_unknown_tree_is_refused_for_the_results_folder(results_dir, monkeypatch, state):
    fake_git(monkeypatch, state)
    with pytest.raises(ProvenanceError, match="--allow-dirty") as err:
        write_report(small_report(), results_dir)
    if state["git_dirty"]:
        assert "tsheads/new_module.py" in str(err.value)
    with pytest.raises(ProvenanceError):
        write_report(small_report())  # the default target is the results folder
    assert not results_dir.exists()


def test_allow_dirty_writes_and_records_the_state(results_dir, monkeypatch):
    fake_git(monkeypatch, DIRTY)
    md, js = write_report(small_report(), results_dir, allow_dirty=True)
    machine = json.loads(js.read_text())["machine"]
    assert machine["git_dirty"] is True and machine["git_changes"] == ["tsheads/new_module.py"]
    assert "(DIRTY: 1 changed paths" in md.read_text()


def test_other_folders_and_a_clean_tree_are_written(results_dir, monkeypatch, tmp_path):
    fake_git(monkeypatch, DIRTY)
    for out in (results_dir / "quick", tmp_path / "elsewhere"):
        _, js = write_report(small_report(), out)
        assert json.loads(js.read_text())["machine"]["git_dirty"] is True
    fake_git(monkeypatch, CLEAN)
    md, js = write_report(small_report(), results_dir)
    assert json.loads(js.read_text())["machine"]["git_commit"] == "a" * 40
    assert "commit aaaaaaaaaa (clean)" in md.read_text()


def test_suite_command_line_refuses_before_running(results_dir, monkeypatch, capsys):
    fake_git(monkeypatch, DIRTY)
    parser = base_parser("toy suite")
    with pytest.raises(SystemExit) as exit_info:
        parse_args(parser, [])  # default out-dir: the results folder
    assert exit_info.value.code == 2 and "refusing to write" in capsys.readouterr().err
    assert parse_args(base_parser("toy suite"), ["--allow-dirty"]).allow_dirty
    assert parse_args(base_parser("toy suite"), ["--quick"]).out_dir == str(results_dir / "quick")


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_state_counts_untracked_code_but_not_the_results_folder(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / "evaluation" / "results").mkdir(parents=True)
    (repo / "code.py").write_text("x = 1\n")
    (repo / ".gitignore").write_text("ignored/\n")

    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo, check=True,
                       capture_output=True)

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "init")
    monkeypatch.setattr(report_mod, "RESULTS_DIR", repo / "evaluation" / "results")
    monkeypatch.setattr(report_mod, "REPO_ROOT", repo)
    info = report_mod._git_info(repo)
    assert info["git_dirty"] is False and len(info["git_commit"]) == 40
    (repo / "evaluation" / "results" / "suite.json").write_text("{}")  # a suite's own output
    (repo / "ignored").mkdir()
    (repo / "ignored" / "x.py").write_text("")
    assert report_mod._git_info(repo)["git_dirty"] is False
    (repo / "new_module.py").write_text("y = 2\n")  # code the commit does not hold
    assert report_mod._git_info(repo)["git_changes"] == ["new_module.py"]
    (repo / "new_module.py").unlink()
    (repo / "code.py").write_text("x = 2\n")
    info = report_mod._git_info(repo)
    assert info["git_dirty"] is True and info["git_changes"] == ["code.py"]
    with pytest.raises(ProvenanceError, match="code.py"):
        check_provenance(repo / "evaluation" / "results", git=info)
    assert report_mod._git_info(tmp_path)["git_dirty"] is None  # not a checkout: state unknown
