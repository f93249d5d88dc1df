"""Figure builders tested on what they hold (fig.data, fig.layout, frames), against the trace itself."""
import base64
import json

import numpy as np
import pytest

from lstm_viz import GRU, LSTM
from lstm_viz.tables import saturation_table
from lstm_viz.figures import (CELL_FRAMES, DIVERGING, SEQUENTIAL, cell_diagram, gate_heatmaps, saturation_figure,
                              unit_lines)
from lstm_viz.figures._plot import colours, signed_range
from lstm_viz.figures.cell import frame_steps
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


def test_frame_steps_cover_short_sequences_and_sample_long_ones():
    assert frame_steps(7) == list(range(7))
    long = frame_steps(500, step=251)
    assert 251 in long and long[0] == 0 and long[-1] == 499 and len(long) <= CELL_FRAMES + 1
    assert long == sorted(set(long))
    gaps = np.diff(long)
    assert gaps.max() <= int(np.ceil(499 / (CELL_FRAMES - 1))) + 1


def test_colours_follow_the_scales():
    lo, _ = colours([0.0], 0, 1, SEQUENTIAL)
    hi, _ = colours([1.0], 0, 1, SEQUENTIAL)
    assert lo[0].lower() == "#440154" and hi[0].lower() == "#fde725"      # Viridis' ends
    mid, text = colours([0.0], -1, 1, DIVERGING)
    assert mid[0].lower() in ("#f7f7f7", "#f7f6f6") and text[0] == "#111111"           # 0 is near-white, dark text on it
    far, text = colours([-5.0], -1, 1, DIVERGING)                        # out of range clips to the end
    assert far[0].lower() == "#053061" and text[0] == "#ffffff"


def test_cell_diagram_shows_the_selected_step_and_unit(step_trace):
    s, tr = step_trace
    t, u = 9, 2
    fig = cell_diagram(tr, unit=u, step=t)
    nodes = _by_name(fig, "nodes")
    shown = [float(x.split("<br>")[1]) for x in nodes["text"]]
    expect = [tr.f[t, u], tr.i[t, u], tr.g[t, u], tr.o[t, u], tr.tanh_c[t, u], tr.f[t, u] * tr.c[t - 1, u],
              tr.i[t, u] * tr.g[t, u], tr.c[t, u], tr.h[t, u]]
    np.testing.assert_allclose(shown, expect, atol=0.006)
    assert nodes["marker"]["symbol"].count("square") == 5                 # the article's boxes 1-5
    labels = [a["text"] for a in fig.layout.annotations]
    assert all(f"<b>{k}</b>" in labels for k in range(1, 6))
    rows = ["i", "f", "g", "o", "c", "h"]                                  # the engine's gate order, then states
    assert fig.layout.yaxis2.ticktext == tuple(rows)
    strips = [d for d in fig.to_dict()["data"] if d["type"] == "heatmap"]
    assert [d["coloraxis"] for d in strips] == ["coloraxis", "coloraxis2", "coloraxis", "coloraxis2"]   # 0-1 or signed
    shown = {r[0]: z for d in strips for r, z in zip(d["text"], d["z"])}
    assert [q for d in strips for q in (r[0] for r in d["text"])] == rows
    for q in rows:
        np.testing.assert_allclose(shown[q], getattr(tr, q)[t], atol=1e-4)


def test_cell_diagram_frames_play_every_step_in_the_browser(step_trace):
    s, tr = step_trace
    fig = cell_diagram(tr, unit=1, step=4)
    d = fig.to_dict()
    assert len(d["frames"]) == s.steps == len(fig.frames)
    assert [f["name"] for f in d["frames"]] == [str(t) for t in range(s.steps)]
    slider = d["layout"]["sliders"][0]
    assert slider["active"] == 4 and len(slider["steps"]) == s.steps
    assert [b["label"] for b in d["layout"]["updatemenus"][0]["buttons"]] == ["▶ Play", "❚❚ Pause"]
    # each frame restyles only the animated traces, and frame t carries step t's numbers
    animated = d["frames"][0]["traces"]
    assert len(animated) < len(d["data"])
    for t in (0, 11, s.steps - 1):
        fr = d["frames"][t]
        nodes = fr["data"][animated.index(next(k for k, tr_ in enumerate(d["data"]) if tr_.get("name") == "nodes"))]
        assert float(nodes["text"][0].split("<br>")[1]) == pytest.approx(tr.f[t, 1], abs=0.006)
        assert f"step {t}</b>" in fr["data"][-5]["text"][-1]          # the labels, before four strip blocks


def test_long_sequences_are_sampled_and_stay_under_a_megabyte():
    x = np.sin(np.arange(500) / 7.0)[:, None]
    tr = LSTM.random(1, 128, seed=0).forward(x)
    fig = cell_diagram(tr, unit=5, step=250)
    assert len(fig.frames) <= CELL_FRAMES + 1 and fig.layout.sliders[0].active == frame_steps(500, 250).index(250)
    assert len(fig.to_json()) < 1_000_000


def test_default_figures_are_small(step_trace):
    s, tr = step_trace
    for fig in (cell_diagram(tr), gate_heatmaps(tr, None, s.channels), unit_lines(tr, [0, 1]),
                saturation_figure(saturation_table(tr))):
        assert len(fig.to_json()) < 200_000


def test_cell_diagram_refuses_other_cells():
    tr = GRU.random(1, 2).forward(np.zeros(3))
    with pytest.raises(ValueError, match="GRU"):
        cell_diagram(tr)


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


@pytest.mark.parametrize("H,dtick", [(1, 1), (8, 1), (9, 2), (128, 16)])
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
