"""Every script in ``examples/`` runs end to end (``--quick``) and writes the pictures it promises.

Scripts are found by globbing, so a new example is tested without touching this file. Each one is loaded
with ``runpy`` and its ``main(argv)`` called in this process (no interpreter start-up or re-import of
torch per script). A script that needs the public data gets ``--data-dir`` from the ``data_dir`` fixture,
which skips the test when the data is absent.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))

#: PNGs each script must write into --out-dir (scripts not listed may write none)
PNGS = {
    "zero_shot_forecasting.py": ["zero_shot_forecast.png"],
    "anomaly_detection_nab.py": ["nab_anomalies.png"],
    "wta_hypotheses.py": ["wta_hypotheses.png"],
}
#: scripts that read the public datasets (they get --data-dir; skipped without the data)
NEEDS_DATA = {"anomaly_detection_nab.py"}


def _main(script: Path):
    namespace = runpy.run_path(str(script), run_name=f"example_{script.stem}")  # not "__main__": no sys.exit
    return namespace["main"]


@pytest.fixture(autouse=True)
def _headless(monkeypatch, tmp_path):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)  # nothing lands in the repository even if a script ignores --out-dir
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_every_example_is_listed():
    assert SCRIPTS, f"no scripts in {EXAMPLES}"
    readme = (EXAMPLES / "README.md").read_text()
    missing = [s.name for s in SCRIPTS if s.name not in readme]
    assert not missing, f"examples/README.md does not mention {missing}"
    assert set(PNGS) | NEEDS_DATA <= {s.name for s in SCRIPTS}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_example_runs(script, tmp_path, request, capsys):
    out_dir = tmp_path / "out"
    args = ["--quick", "--out-dir", str(out_dir)]
    if script.name in NEEDS_DATA:
        args += ["--data-dir", str(request.getfixturevalue("data_dir"))]
    assert _main(script)(args) == 0
    assert capsys.readouterr().out.strip(), "an example should print its result table"
    for name in PNGS.get(script.name, []):
        png = out_dir / name
        assert png.is_file() and png.stat().st_size > 1000, f"{script.name} did not write {name}"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for png in out_dir.glob("*.png") if out_dir.exists() else []:
        assert png.stat().st_size > 0, f"{script.name} wrote an empty {png.name}"


def test_nab_example_without_data_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("TSHEADS_DATA", raising=False)
    main = _main(EXAMPLES / "anomaly_detection_nab.py")
    assert main(["--quick", "--data-dir", str(tmp_path / "nowhere"), "--out-dir", str(tmp_path)]) == 2
    assert "NAB data not found" in capsys.readouterr().err
