"""Plotly figures of a trace: the animated cell diagram, gate heatmaps, unit lines, saturation.

Shapes: T steps, H hidden units, D input size. A trace here is one layer's unbatched trace (fields (T, H)).
Every builder takes data and returns a go.Figure; none imports streamlit.

Colour: gates in [0, 1] use a sequential scale (Viridis); signed values (candidate, cell state,
hidden state, inputs) use a diverging scale (RdBu, reversed: blue negative, white 0, red positive).
Both are colour-blind safe. The cell diagram is animated with Plotly frames that the browser plays:
each frame restyles only the traces whose colour or number changes at that step.
Figures are built with plotly's validation off (`_validate=False`, frames attached as raw dicts, see
`_figure`): a page holds hundreds of small frame dicts, and validating each would cost more than the
rest of the page; tests check the contents instead. Subplots are laid out by `_domains`, not
make_subplots, for the same reason.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import get_colorscale, sample_colorscale

from ..export import BOX, GATES_IN_01, HIGH, LOW, WORDS, quantities

SEQUENTIAL = "Viridis"
DIVERGING = "RdBu_r"
# as explicit lists: unvalidated figures reach plotly.js as given, and it knows no "_r" names
_SCALES = {name: get_colorscale(name) for name in (SEQUENTIAL, DIVERGING)}
MAX_FRAMES = 120        # frames per animation; longer sequences are sampled evenly
_GREY = "rgba(128,128,128,0.55)"
_FONT = dict(family="sans-serif")


# ---------------------------------------------------------------------------------------------
# colour helpers: values -> CSS colours with the figure's own scales, vectorised


_LUTS: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def _lut(scale: str) -> tuple[np.ndarray, np.ndarray]:
    """256 colours of a named scale and whether dark text reads on each."""
    if scale not in _LUTS:
        cols = sample_colorscale(scale, list(np.linspace(0, 1, 256)))
        rgb = np.array([[float(v) for v in c[c.index("(") + 1:-1].split(",")] for c in cols])  # (256, 3)
        hexes = np.array(["#%02x%02x%02x" % tuple(int(round(v)) for v in row) for row in rgb])
        dark_text = (0.299 * rgb[:, 0] + 0.587 * rgb[:, 1] + 0.114 * rgb[:, 2]) > 140
        _LUTS[scale] = hexes, dark_text
    return _LUTS[scale]


def _colours(values, lo: float, hi: float, scale: str) -> tuple[list[str], list[str]]:
    """Fill colours for values on [lo, hi] and a readable text colour for each."""
    hexes, dark = _lut(scale)
    k = np.clip(np.round((np.asarray(values, float) - lo) / (hi - lo) * 255), 0, 255).astype(int)
    return hexes[k].tolist(), np.where(dark[k], "#111111", "#ffffff").tolist()


def signed_range(trace) -> float:
    """Half-width of the diverging scale: 1, or the largest |cell state| when it exceeds 1."""
    c = getattr(trace, "c", None)
    m = float(np.abs(c).max()) if c is not None else 0.0
    return max(1.0, float(np.ceil(m * 10) / 10))


def frame_steps(T: int, step: int = 0, cap: int = MAX_FRAMES) -> list[int]:
    """Steps that get an animation frame: all of them up to `cap`, else `cap` evenly spaced plus `step`."""
    if T <= cap:
        return list(range(T))
    picked = set(np.round(np.linspace(0, T - 1, cap)).astype(int).tolist()) | {int(step)}
    return sorted(picked)


def _domains(heights, gap: float) -> list[list[float]]:
    """Vertical [y0, y1] paper domains for stacked panels, top first, sizes proportional to heights."""
    h = np.asarray(heights, float)
    free = 1.0 - gap * (len(h) - 1)
    sizes = h / h.sum() * free
    tops = 1.0 - np.concatenate([[0.0], np.cumsum(sizes[:-1] + gap)])
    return [[max(0.0, float(t - s_)), float(t)] for t, s_ in zip(tops, sizes)]


def _title(text: str, domain, x: float = 0.0) -> dict:
    """A panel title just above a stacked panel (what make_subplots' subplot_titles would draw)."""
    return dict(text=text, x=x, y=domain[1], xref="paper", yref="paper", xanchor="left", yanchor="bottom",
                showarrow=False, font=dict(size=13))


def _figure(data: list[dict], layout: dict, frames: list[dict] | None = None) -> go.Figure:
    """go.Figure without per-object validation; frames are attached as plain dicts.

    plotly validates every frame's traces on construction even with _validate=False; the frames
    here are restyle patches we build and test ourselves, so they are stored as given (plotly keeps a
    frame's properties in `_props`, which is what to_dict()/to_json() and st.plotly_chart serialise).
    """
    fig = go.Figure(data=data, layout=layout, _validate=False)
    if frames:
        objs = []
        for f in frames:
            fr = go.Frame()
            fr._props.update(f)
            objs.append(fr)
        fig._frame_objs = tuple(objs)
    return fig


def _colorbar_trace(scale: str, lo: float, hi: float, title: str, x: float, y: float, length: float) -> dict:
    """An invisible point whose only job is to show a colour bar."""
    return dict(type="scatter", x=[None], y=[None], mode="markers", hoverinfo="skip", showlegend=False,
                marker=dict(colorscale=_SCALES[scale], cmin=lo, cmax=hi, color=[lo], showscale=True,
                            colorbar=dict(title=dict(text=title, side="right"), x=x, y=y, len=length,
                                          thickness=12, yanchor="middle")))


def _anim_controls(names: list[str], active: int, labels: list[str], duration: int = 450, y: float = -0.02) -> dict:
    """Play/Pause buttons and a step slider that run in the browser."""
    frame_args = lambda d: dict(frame=dict(duration=d, redraw=True), mode="immediate",  # noqa: E731
                                transition=dict(duration=0), fromcurrent=True)
    return dict(
        updatemenus=[dict(type="buttons", direction="left", x=0.0, y=y, xanchor="left", yanchor="top",
                          pad=dict(r=8, t=4), showactive=False, buttons=[
                              dict(label="▶ Play", method="animate", args=[None, frame_args(duration)]),
                              dict(label="❚❚ Pause", method="animate",
                                   args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate",
                                                      transition=dict(duration=0))])])],
        sliders=[dict(active=active, x=0.2, len=0.8, y=y, yanchor="top", pad=dict(t=4, b=4),
                      currentvalue=dict(visible=False),   # the figure names the step it shows
                      steps=[dict(label=lab, method="animate", args=[[n], frame_args(0)])
                             for n, lab in zip(names, labels)])],
    )


# ---------------------------------------------------------------------------------------------
# the LSTM cell in Olah's notation, boxes numbered as in the article


# pointwise nodes and layer boxes: name -> (x, y, symbol text, marker shape)
_BOXES = {
    "f": (2.0, 2.4, "σ", "square"), "i": (3.3, 2.4, "σ", "square"), "g": (4.5, 2.4, "tanh", "square"),
    "o": (6.2, 2.4, "σ", "square"), "tanh_c": (7.6, 3.7, "tanh", "square"),
    "fc": (2.0, 5.0, "×", "circle"), "ig": (4.5, 3.7, "×", "circle"), "c": (4.5, 5.0, "+", "circle"),
    "h": (7.6, 2.4, "×", "circle"),
}
# lines coloured by the value they carry: name -> polyline points
_LINES = {
    "c_prev": [(-0.2, 5), (2.0, 5)], "fc": [(2.0, 5), (4.5, 5)], "c": [(4.5, 5), (10.2, 5), (None, None),
                                                                      (7.6, 5), (7.6, 3.7)],
    "f": [(2.0, 2.4), (2.0, 5)], "i": [(3.3, 2.4), (3.3, 3.7), (4.5, 3.7)], "g": [(4.5, 2.4), (4.5, 3.7)],
    "ig": [(4.5, 3.7), (4.5, 5)], "o": [(6.2, 2.4), (7.6, 2.4)], "tanh_c": [(7.6, 3.7), (7.6, 2.4)],
    "h": [(7.6, 2.4), (7.6, 1.0), (10.2, 1.0)],
    "h_prev": [(-0.2, 1.0), (1.0, 1.0)], "x": [(1.0, -0.3), (1.0, 1.0)],
}
# the bus that carries [h_{t-1}, x_t] to the four layers: a vector, so drawn in neutral grey
_BUS = [(1.0, 1.0), (6.2, 1.0), (None, None), (2.0, 1.0), (2.0, 2.4), (None, None), (3.3, 1.0), (3.3, 2.4),
        (None, None), (4.5, 1.0), (4.5, 2.4), (None, None), (6.2, 1.0), (6.2, 2.4)]
# numbers printed next to lines: name -> (x, y, template)
_LINE_LABELS = {"c_prev": (0.55, 5.38, "c<sub>t-1</sub> {}"), "fc": (3.25, 5.38, "f·c<sub>t-1</sub> {}"),
                "c": (9.25, 5.38, "c<sub>t</sub> {}"), "h_prev": (0.35, 0.62, "h<sub>t-1</sub> {}"),
                "x": (1.0, -0.62, "x<sub>t</sub> {}"), "h": (9.4, 0.62, "h<sub>t</sub> {}")}
_SIGMOID = ("f", "i", "o")


def _xy(points):
    return [p[0] for p in points], [p[1] for p in points]


def _step_values(trace, t: int, u: int) -> dict[str, float]:
    """Every value the diagram shows for unit u at step t."""
    c_prev = float(trace.c0[u] if t == 0 else trace.c[t - 1, u])
    h_prev = float(trace.h0[u] if t == 0 else trace.h[t - 1, u])
    v = {q: float(getattr(trace, q)[t, u]) for q in ("i", "f", "g", "o", "c", "h", "tanh_c")}
    v.update(c_prev=c_prev, h_prev=h_prev, fc=v["f"] * c_prev, ig=v["i"] * v["g"])
    return v


def _cell_frame(trace, t: int, u: int, S: float, x_text: str, x_value: float | None,
                strips: bool) -> list[dict]:
    """Restyles for step t, in the order of the animated traces (lines, nodes, labels[, strips])."""
    v = _step_values(trace, t, u)
    out = []
    for name in _LINES:
        if name == "x":
            col = _GREY if x_value is None else _colours([x_value], -S, S, DIVERGING)[0][0]
        elif name in _SIGMOID:
            col = _colours([v[name]], 0, 1, SEQUENTIAL)[0][0]
        else:
            col = _colours([v[name]], -S, S, DIVERGING)[0][0]
        out.append(dict(type="scatter", line=dict(color=col)))
    names = list(_BOXES)
    sig = [n in _SIGMOID for n in names]
    fill = [None] * len(names)
    text_col = [None] * len(names)
    for k, n in enumerate(names):
        fc, tc = _colours([v[n]], 0, 1, SEQUENTIAL) if sig[k] else _colours([v[n]], -S, S, DIVERGING)
        fill[k], text_col[k] = fc[0], tc[0]
    text = [f"{_BOXES[n][2]}<br>{v[n]:.2f}" for n in names]
    out.append(dict(type="scatter", marker=dict(color=fill), text=text, textfont=dict(color=text_col)))
    labels = [tmpl.format(x_text if n == "x" else f"{v[n]:+.2f}") for n, (_, _, tmpl) in _LINE_LABELS.items()]
    labels.append(f"<b>step {t}</b> of {len(trace.h)} · unit {u}")
    out.append(dict(type="scatter", text=labels))
    if strips:
        z_gates = np.stack([trace.f[t], trace.i[t], trace.o[t]])        # (3, H)
        z_signed = np.stack([trace.g[t], trace.c[t], trace.h[t]])       # (3, H)
        out.append(dict(type="heatmap", z=np.round(z_gates, 4).tolist()))
        out.append(dict(type="heatmap", z=np.round(z_signed, 4).tolist()))
    return out


def cell_diagram(trace, unit: int = 0, step: int = 0, labels=None, strips: bool = True,
                 animate: bool = True, height: int | None = None, max_frames: int = MAX_FRAMES) -> go.Figure:
    """The LSTM cell (Olah's notation, the article's boxes 1-5), coloured by unit `unit`'s values.

    labels: per-step text for x_t (characters in text mode). strips: add a units x quantities strip
    under the diagram showing every unit at the current step. animate: Plotly frames + Play/Pause + slider
    over the steps (sampled evenly to at most max_frames).
    """
    if trace.kind != "lstm":
        raise ValueError(f"The cell diagram draws an LSTM; this model is a {trace.kind.upper()}.")
    T, H = trace.h.shape
    u, step = int(np.clip(unit, 0, H - 1)), int(np.clip(step, 0, T - 1))
    S = signed_range(trace)
    x = np.asarray(trace.x).reshape(T, -1)                              # (T, D)
    one_d = x.shape[1] == 1 and labels is None

    def x_info(t):
        if labels is not None:
            return str(labels[t]), None
        if one_d:
            return f"{x[t, 0]:+.2f}", float(x[t, 0])
        return "[" + ", ".join(f"{v:.2g}" for v in x[t, :4]) + (", …]" if x.shape[1] > 4 else "]"), None

    data = []
    # static: grey underlays so every line shows even where its value is 0 (white on the diverging scale)
    for name, pts in _LINES.items():
        xs, ys = _xy(pts)
        data.append(dict(type="scatter", x=xs, y=ys, mode="lines", line=dict(color=_GREY, width=9),
                         hoverinfo="skip", showlegend=False))
    bx, by = _xy(_BUS)
    data.append(dict(type="scatter", x=bx, y=by, mode="lines", line=dict(color=_GREY, width=4),
                     hoverinfo="skip", showlegend=False))
    first_animated = len(data)
    # animated: value lines, nodes, labels, strips (this order is the frames' order)
    for name, pts in _LINES.items():
        xs, ys = _xy(pts)
        data.append(dict(type="scatter", x=xs, y=ys, mode="lines", line=dict(width=5),
                         hoverinfo="skip", showlegend=False, name=name))
    names = list(_BOXES)
    hover = [f"{WORDS.get(n, {'fc': 'f·c_{t-1}: memory kept', 'ig': 'i·g: memory written'}.get(n, n))}"
             + (f" (box {BOX[n]})" if n in BOX else "") for n in names]
    data.append(dict(type="scatter", x=[_BOXES[n][0] for n in names], y=[_BOXES[n][1] for n in names],
                     mode="markers+text", textposition="middle center", hovertext=hover,
                     hovertemplate="%{hovertext}: %{text}<extra></extra>", showlegend=False, name="nodes",
                     marker=dict(symbol=[_BOXES[n][3] for n in names], line=dict(color="#555", width=1.5),
                                 size=[44 if _BOXES[n][3] == "square" else 34 for n in names]),
                     textfont=dict(size=10)))
    ll = list(_LINE_LABELS.values())
    data.append(dict(type="scatter", x=[p[0] for p in ll] + [5.0], y=[p[1] for p in ll] + [6.55],
                     mode="text", hoverinfo="skip", showlegend=False, textfont=dict(size=12), name="labels"))
    if strips:
        data.append(dict(type="heatmap", x=list(range(H)), y=[0, 1, 2], coloraxis="coloraxis",
                         xaxis="x2", yaxis="y2", name="gates, all units",
                         text=[["f"] * H, ["i"] * H, ["o"] * H],
                         hovertemplate="unit %{x}<br>%{text} = %{z:.3f}<extra></extra>"))
        data.append(dict(type="heatmap", x=list(range(H)), y=[3, 4, 5], coloraxis="coloraxis2",
                         xaxis="x2", yaxis="y2", name="signed values, all units", text=[["g"] * H, ["c"] * H, ["h"] * H],
                         hovertemplate="unit %{x}<br>%{text} = %{z:.3f}<extra></extra>"))
    steps = frame_steps(T, step, max_frames) if animate else [step]
    xi = [x_info(t) for t in steps]
    frames = [_cell_frame(trace, t, u, S, xi[k][0], xi[k][1], strips) for k, t in enumerate(steps)]
    current = frames[steps.index(step)]
    for k, patch in enumerate(current):
        _merge(data[first_animated + k], patch)
    animated = list(range(first_animated, len(data)))
    data.append(_colorbar_trace(SEQUENTIAL, 0, 1, "gate (0-1)", 1.02, 0.80, 0.38))
    data.append(_colorbar_trace(DIVERGING, -S, S, "value (0 = white)", 1.02, 0.32, 0.38))

    annotations = [
        dict(x=5.0, y=5.75, text="long-term memory: cell state c", showarrow=False, font=dict(size=12)),
        dict(x=5.0, y=0.35, text="short-term memory: hidden state h", showarrow=False, font=dict(size=12),
             xanchor="left"),
    ]
    for n, num in BOX.items():
        bx_, by_, _, _ = _BOXES[n]
        annotations.append(dict(x=bx_ - 0.42, y=by_ + 0.42, text=f"<b>{num}</b>", showarrow=False,
                                font=dict(size=11, color="#fff"), bgcolor="#444", borderpad=2))
    for k, a in enumerate(annotations):
        a.update(xref="x", yref="y")
    layout = dict(
        height=height or (620 if strips else 430),
        margin=dict(l=10, r=80, t=10, b=(105 if strips else 75) if animate else 10),
        font=_FONT, showlegend=False, hovermode="closest",
        xaxis=dict(range=[-0.4, 10.4], visible=False, fixedrange=True),
        yaxis=dict(range=[-0.9, 6.8], visible=False, fixedrange=True),
        annotations=annotations,
        coloraxis=dict(colorscale=_SCALES[SEQUENTIAL], cmin=0, cmax=1, showscale=False),
        coloraxis2=dict(colorscale=_SCALES[DIVERGING], cmin=-S, cmax=S, showscale=False),
    )
    if strips:
        top, bottom = _domains([0.78, 0.22], 0.1)
        layout["yaxis"]["domain"] = top
        layout["xaxis2"] = dict(domain=[0, 1], anchor="y2", fixedrange=True, tickmode="auto", nticks=min(H, 12))
        annotations.append(dict(text=f"every unit at this step (orange: unit {u})", x=0, y=bottom[1], xref="paper",
                                yref="paper", xanchor="left", yanchor="bottom", showarrow=False, font=dict(size=12)))
        layout["yaxis2"] = dict(domain=bottom, anchor="x2", autorange="reversed",
                                fixedrange=True, tickmode="array", tickvals=list(range(6)),
                                ticktext=["f", "i", "o", "g", "c", "h"])
        layout["shapes"] = [dict(type="rect", xref="x2", yref="y2", x0=u - 0.5, x1=u + 0.5, y0=-0.5, y1=5.5,
                                 line=dict(color="#ff7f0e", width=2.5))]
    frame_dicts = []
    if animate and len(steps) > 1:
        names_ = [str(t) for t in steps]
        frame_dicts = [dict(name=n, data=f, traces=animated) for n, f in zip(names_, frames)]
        ticks = [str(labels[t]) for t in steps] if labels is not None else names_   # characters in text mode
        layout.update(_anim_controls(names_, steps.index(step), ticks, y=-0.08 if strips else -0.02))
    return _figure(data, layout, frame_dicts)


def _merge(base: dict, patch: dict) -> None:
    for k, v in patch.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _merge(base[k], v)
        else:
            base[k] = v


# ---------------------------------------------------------------------------------------------
# gates over time


def _stacked_axes(n: int, heights, gap: float, titles) -> tuple[dict, list[str]]:
    """Layout for n panels stacked on one shared time axis, top first; returns (layout, axis suffixes)."""
    doms = _domains(heights, gap)
    sfx = ["" if r == 0 else str(r + 1) for r in range(n)]
    layout: dict = {"annotations": [_title(t, d) for t, d in zip(titles, doms) if t]}
    for r, (a, d) in enumerate(zip(sfx, doms)):
        layout[f"xaxis{a}"] = dict(anchor=f"y{a}", domain=[0, 1], showticklabels=r == n - 1,
                                   **({} if r == 0 else {"matches": "x"}))
        layout[f"yaxis{a}"] = dict(anchor=f"x{a}", domain=d)
    return layout, sfx


def gate_heatmaps(trace, labels=None, channels=None, text_mode: bool = False) -> go.Figure:
    """Heatmaps units x time of every quantity, sharing the time axis, with the input as a track on top."""
    names = quantities(trace)
    T, H = trace.h.shape
    x = np.asarray(trace.x).reshape(T, -1)                              # (T, D)
    D = x.shape[1]
    S = signed_range(trace)
    steps = np.arange(T)
    input_rows = 1 if text_mode else D
    heights = [max(0.12, min(0.3, 0.05 * input_rows))] + [1.0] * len(names)
    titles = ["input x<sub>t</sub>"] + [f"{q}: {WORDS[q]}" for q in names]
    layout, sfx = _stacked_axes(1 + len(names), heights, 0.045, titles)
    data = []
    if text_mode:
        data.append(dict(type="heatmap", x=steps, y=["input"], z=[[0] * T], text=[list(labels)],
                         texttemplate="%{text}", colorscale=[[0, "rgba(128,128,128,0.15)"],
                                                             [1, "rgba(128,128,128,0.15)"]],
                         showscale=False, hovertemplate="step %{x}: %{text}<extra></extra>"))
    else:
        ch = list(channels) if channels is not None else [f"x{k + 1}" for k in range(D)]
        extra = {}
        if T <= 40 and D <= 4:   # few enough cells to print the numbers in them
            extra = dict(text=[[f"{v:.2g}" for v in row] for row in x.T], texttemplate="%{text}")
        data.append(dict(type="heatmap", x=steps, y=ch, z=x.T, coloraxis="coloraxis3",
                         hovertemplate="step %{x}<br>%{y} = %{z:.4g}<extra></extra>", **extra))
    for a, q in zip(sfx[1:], names):
        data.append(dict(type="heatmap", x=steps, y=np.arange(H), z=getattr(trace, q).T.astype(np.float32),
                         coloraxis="coloraxis" if q in GATES_IN_01 else "coloraxis2", name=q,
                         hovertemplate=f"step %{{x}}<br>unit %{{y}}<br>{q} = %{{z:.4f}}<extra></extra>",
                         xaxis=f"x{a}", yaxis=f"y{a}"))
    for a in sfx[1:]:
        # whole-number unit ticks (a 1-unit model would otherwise get -0.5, 0, 0.5)
        layout[f"yaxis{a}"].update(title=dict(text="unit"), autorange="reversed", tick0=0, dtick=max(1, -(-H // 8)))
    layout["yaxis"].update(autorange="reversed")
    xlabel = dict(title=dict(text="step (time)"))
    if text_mode and labels is not None and T <= 80:
        xlabel.update(tickmode="array", tickvals=steps, ticktext=list(labels), tickangle=0)
    layout[f"xaxis{sfx[-1]}"].update(xlabel)
    layout.update(
        height=150 + int(np.clip(60 + 8 * H, 120, 220)) * len(names) + 14 * input_rows, margin=dict(l=10, r=10, t=30, b=40), font=_FONT,
        coloraxis=dict(colorscale=_SCALES[SEQUENTIAL], cmin=0, cmax=1,
                       colorbar=dict(title=dict(text="gate (0-1),<br>sequential"), y=0.75, len=0.4, thickness=12)),
        coloraxis2=dict(colorscale=_SCALES[DIVERGING], cmin=-S, cmax=S,
                        colorbar=dict(title=dict(text="signed value,<br>diverging, 0 = white"), y=0.25, len=0.4,
                                      thickness=12)),
        coloraxis3=dict(colorscale=_SCALES[DIVERGING], cmid=0, showscale=False),
    )
    return _figure(data, layout)


def unit_lines(trace, units, quantities_=("c", "h"), labels=None) -> go.Figure:
    """Line plots over time of the chosen units, one panel per quantity."""
    qs = [q for q in quantities_ if q in quantities(trace)]
    if not qs:
        raise ValueError(f"None of {list(quantities_)} is a field of a {trace.kind.upper()} trace.")
    T, H = trace.h.shape
    units = [int(u) for u in units if 0 <= int(u) < H]
    layout, sfx = _stacked_axes(len(qs), [1.0] * len(qs), 0.08, [f"{q}: {WORDS[q]}" for q in qs])
    palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]  # Okabe-Ito
    hov = list(labels) if labels is not None else [f"{v:.3g}" for v in np.asarray(trace.x).reshape(T, -1)[:, 0]]
    data = []
    for r, (a, q) in enumerate(zip(sfx, qs)):
        for k, u in enumerate(units):
            data.append(dict(type="scatter", x=np.arange(T), y=getattr(trace, q)[:, u], mode="lines",
                             name=f"unit {u}", legendgroup=f"unit {u}", showlegend=r == 0,
                             line=dict(color=palette[k % len(palette)], width=2), customdata=hov,
                             hovertemplate=f"step %{{x}} (input %{{customdata}})<br>unit {u}: {q} = %{{y:.4f}}"
                                           "<extra></extra>", xaxis=f"x{a}", yaxis=f"y{a}"))
        layout[f"yaxis{a}"].update(title=dict(text=q), **({"range": [-0.02, 1.02]} if q in GATES_IN_01 else {}))
    layout[f"xaxis{sfx[-1]}"].update(title=dict(text="step (time)"))
    layout.update(height=110 + 190 * len(qs), margin=dict(l=10, r=10, t=50, b=40), font=_FONT,
                  legend=dict(orientation="h", y=1.0, yanchor="bottom", x=1, xanchor="right"),
                  hovermode="x unified")
    return _figure(data, layout)


def saturation_figure(table) -> go.Figure:
    """Karpathy et al. (2015)-style: per gate, each unit's fraction of steps below LOW (x) and above HIGH (y)."""
    gates = list(dict.fromkeys(table["symbol"]))
    n = max(1, len(gates))
    lo_col, hi_col = table.columns[3], table.columns[4]
    gap = 0.06
    width = (1 - gap * (n - 1)) / n
    data, layout = [], {"annotations": []}
    for k, g in enumerate(gates):
        a = "" if k == 0 else str(k + 1)
        dom = [k * (width + gap), k * (width + gap) + width]
        sub = table[table["symbol"] == g]
        data.append(dict(type="scatter", x=[0, 1, 0, 0], y=[0, 0, 1, 0], mode="lines", hoverinfo="skip",
                         line=dict(color=_GREY, width=1), showlegend=False, xaxis=f"x{a}", yaxis=f"y{a}"))
        data.append(dict(type="scatter", x=sub[lo_col].to_numpy(), y=sub[hi_col].to_numpy(), mode="markers",
                         marker=dict(size=9, color="#0072B2", opacity=0.75, line=dict(color="#fff", width=1)),
                         text=[f"unit {u}" for u in sub["unit"]], name=g, showlegend=False,
                         hovertemplate=f"%{{text}}<br>{g} < {LOW}: %{{x:.0%}} of steps<br>{g} > {HIGH}: "
                                       "%{y:.0%} of steps<extra></extra>", xaxis=f"x{a}", yaxis=f"y{a}"))
        layout[f"xaxis{a}"] = dict(domain=dom, anchor=f"y{a}", range=[-0.05, 1.05], tickformat=".0%",
                                   title=dict(text=f"steps with {g} < {LOW}"))
        layout[f"yaxis{a}"] = dict(domain=[0, 0.88], anchor=f"x{a}", range=[-0.05, 1.05], tickformat=".0%",
                                   title=dict(text=f"steps with {g} > {HIGH}"))
        layout["annotations"].append(dict(text=f"{g}: {WORDS[g]}", x=dom[0], y=0.9, xref="paper", yref="paper",
                                          xanchor="left", yanchor="bottom", showarrow=False, font=dict(size=13)))
    layout.update(height=340, margin=dict(l=10, r=10, t=20, b=10), font=_FONT)
    return _figure(data, layout)
