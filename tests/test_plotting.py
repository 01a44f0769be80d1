"""Plot helpers draw what they say: one band per interval level, flagged runs shaded, one line per head."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsheads.errors import MissingColumnError, TsheadsError

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402

from tsheads.plotting import plot_anomalies, plot_forecast, plot_hypotheses  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _history(uid="a", n=48):
    return pd.DataFrame({"unique_id": uid, "ds": pd.date_range("2024-01-01", periods=n, freq="h"),
                         "y": np.sin(np.arange(n) / 4)})


def _forecast(uid="a", h=6, start="2024-01-03"):
    point = np.linspace(0, 1, h)
    frame = pd.DataFrame({"unique_id": uid, "ds": pd.date_range(start, periods=h, freq="h"), "M": point})
    for level, w in ((80, 0.5), (95, 1.0)):
        frame[f"M-lo-{level}"] = point - w
        frame[f"M-hi-{level}"] = point + w
    frame["M-q-0.1"], frame["M-q-0.9"] = point - 0.5, point + 0.5
    return frame


def _bands(ax):
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def test_forecast_fan_has_one_band_per_level_widest_first():
    ax = plot_forecast(_history(), _forecast(), actual=_history().iloc[:6])
    bands = _bands(ax)
    assert len(bands) == 2
    heights = [np.ptp(b.get_paths()[0].vertices[:, 1]) for b in bands]
    assert heights[0] > heights[1]  # the 95 % band is drawn first, under the 80 % one
    assert [t.get_text() for t in ax.get_legend().get_texts()][:3] == ["history", "95 % interval", "80 % interval"]


def test_forecast_fan_from_quantiles_and_chosen_levels():
    quantiles_only = _forecast().drop(columns=[c for c in _forecast() if "-lo-" in c or "-hi-" in c])
    assert len(_bands(plot_forecast(_history(), quantiles_only))) == 1  # 0.1 with 0.9: the 80 % band
    assert len(_bands(plot_forecast(_history(), _forecast(), levels=[95]))) == 1
    with pytest.raises(TsheadsError, match="no \\[50.0\\] % band"):
        plot_forecast(_history(), _forecast(), levels=[50])


def test_forecast_plot_needs_a_series_choice_and_the_columns():
    two = pd.concat([_history("a"), _history("b")])
    with pytest.raises(TsheadsError, match="pass unique_id="):
        plot_forecast(two, _forecast())
    ax = plot_forecast(two, pd.concat([_forecast("a"), _forecast("b")]), unique_id="b", last=10)
    assert len(ax.get_lines()[0].get_xdata()) == 10
    with pytest.raises(TsheadsError, match="no series 'c'"):
        plot_forecast(two, _forecast(), unique_id="c")
    with pytest.raises(MissingColumnError):
        plot_forecast(_history().drop(columns="y"), _forecast())


def test_hypotheses_width_follows_weight_and_weights_are_written():
    h = 5
    hyp = pd.concat([pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2024-01-03", periods=h, freq="h"),
                                   "hypothesis": k, "weight": w, "WTA": np.full(h, k, float)})
                     for k, w in enumerate((0.7, 0.2, 0.1))])
    fig, ax = plt.subplots()
    assert plot_hypotheses(_history(), hyp, ax=ax) is ax
    widths = [line.get_linewidth() for line in ax.get_lines()[1:4]]
    assert widths[0] > widths[1] > widths[2]
    assert sorted(t.get_text() for t in ax.texts) == ["0.10", "0.20", "0.70"]


def test_anomaly_panels_shade_each_flagged_run_and_draw_every_head():
    n = 100
    flags = np.zeros(n, int)
    flags[10:15] = 1
    flags[60] = 1
    detected = _history(n=n).assign(score_time=np.random.default_rng(0).random(n), score_fft=0.5,
                                    anomaly_score=np.linspace(0, 1, n), is_anomaly=flags,
                                    label=(np.arange(n) > 80).astype(int))
    top, bottom = plot_anomalies(detected, threshold=0.9, label_col="label")
    spans = [p for p in top.patches]
    assert len(spans) == 2  # two flagged runs, the single point included
    assert {line.get_label() for line in bottom.get_lines()} >= {"time", "fft", "anomaly_score"}
    assert "labelled" in [t.get_text() for t in top.get_legend().get_texts()]
    with pytest.raises(TsheadsError, match="pair of axes"):
        fig, ax = plt.subplots()
        plot_anomalies(detected, ax=[ax])
    with pytest.raises(TsheadsError, match="pair of axes"):
        plot_anomalies(detected, ax=ax)
