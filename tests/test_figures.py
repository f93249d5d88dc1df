"""Figure builders tested on what they hold (fig.data, fig.layout, frames), against the trace itself."""
import base64
import json

import numpy as np
import pytest

from lstm_viz import LSTM
from lstm_viz.tables import saturation_table
from lstm_viz.figures import gate_heatmaps, saturation_figure, unit_lines
from lstm_viz.figures._plot import signed_range
from lstm_viz.sequences import parse_sequence, ready_sequence


@pytest.fixture(scope="module")
def step_trace():
    s = ready_sequence("step")
    return s, LSTM.random(1, 5, seed=3, weight_scale=2.0).forward(s.values)


def _arr(v) -> np.ndarray:
    """A figure array as NumPy, whether plotly kept a list or encoded it as typed base64 ('bdata')."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        return a.reshape([int(n) for n in str(v["shape"]).split(",")]) if "shape" in v else a
    return np.asarray(v, dtype=float)


def _by_name(fig, name):
    return next(t for t in fig.to_dict()["data"] if t.get("name") == name)


def test_default_figures_are_small(step_trace):
    s, tr = step_trace
    for fig in (gate_heatmaps(tr, None, s.channels), unit_lines(tr, [0, 1]),
                saturation_figure(saturation_table(tr))):
        assert len(fig.to_json()) < 200_000


def test_gate_heatmaps_hold_the_trace_with_the_right_scales(step_trace):
    s, tr = step_trace
    fig = gate_heatmaps(tr, None, s.channels)
    d = fig.to_dict()
    heat = {t["name"]: t for t in d["data"][1:]}
    assert list(heat) == ["i", "f", "g", "o", "c", "h"]
    for q, t in heat.items():
        np.testing.assert_allclose(_arr(t["z"]), getattr(tr, q).T, atol=1e-6)
        assert t["coloraxis"] == ("coloraxis" if q in "ifo" else "coloraxis2")
    lay = d["layout"]
    assert (lay["coloraxis"]["cmin"], lay["coloraxis"]["cmax"]) == (0, 1)
    assert lay["coloraxis2"]["cmin"] == -lay["coloraxis2"]["cmax"] == -signed_range(tr)
    assert "0 to 1" in lay["coloraxis"]["colorbar"]["title"]["text"]            # sequential, says its range
    assert "0 is white" in lay["coloraxis2"]["colorbar"]["title"]["text"]       # diverging, says its centre
    assert lay["coloraxis"]["colorbar"]["orientation"] == "h"                   # above the panels, not beside
    np.testing.assert_array_equal(_arr(d["data"][0]["z"]), s.values.T)   # the input track
    # every panel shares the time axis
    assert all(lay[f"xaxis{k}"]["matches"] == "x" for k in range(2, 8))


@pytest.mark.parametrize("H,dtick", [(1, 1), (5, 1), (8, 2), (9, 2), (128, 26)])
def test_unit_axes_tick_whole_units(H, dtick):
    lay = gate_heatmaps(LSTM.random(1, H).forward(np.zeros(4))).to_dict()["layout"]
    assert all((lay[f"yaxis{k}"]["tick0"], lay[f"yaxis{k}"]["dtick"]) == (0, dtick) for k in range(2, 8))


def test_text_mode_labels_the_time_axis_with_characters():
    s = parse_sequence("hello", text_mode=True)
    tr = LSTM.random(s.input_size, 3).forward(s.values)
    d = gate_heatmaps(tr, s.labels, s.channels, text_mode=True).to_dict()
    assert d["data"][0]["text"] == [list("hello")]
    bottom = d["layout"]["xaxis7"]
    assert bottom["ticktext"] == list("hello")


def test_unit_lines_and_saturation(step_trace):
    s, tr = step_trace
    fig = unit_lines(tr, [0, 3], ("f", "h"))
    assert len(fig.data) == 4
    np.testing.assert_allclose(_arr(fig.to_dict()["data"][3]["y"]), tr.h[:, 3])
    assert fig.layout.yaxis.range == (-0.02, 1.02)
    with pytest.raises(ValueError):
        unit_lines(tr, [0], ("r",))
    text = parse_sequence("abcab", text_mode=True)
    tt = LSTM.random(text.input_size, 2, seed=0).forward(text.values)
    axis = unit_lines(tt, [0], ("h",), text.labels, text_mode=True).layout.xaxis
    assert list(axis.ticktext) == list("abcab") and list(axis.tickvals) == list(range(5))
    table = saturation_table(tr)
    sat = saturation_figure(table).to_dict()
    bars = sat["data"]
    assert len(bars) == 9 and sat["layout"]["barmode"] == "stack"          # i, f, o x shut, between, open
    assert [a["text"][:2] for a in sat["layout"]["annotations"]] == ["i:", "f:", "o:"]
    f_bars = [b for b in bars if b["xaxis"] == "x2"]
    for b, col in zip(f_bars, (3, 5, 4)):                                   # shut, in between, open
        np.testing.assert_allclose(_arr(b["y"]), table[table.symbol == "f"].iloc[:, col])
    np.testing.assert_allclose(sum(_arr(b["y"]) for b in f_bars), 1.0)     # every step counted once
    json.dumps(sat, default=str)
