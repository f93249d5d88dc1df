"""The LSTM cell in Olah's notation as an animated Plotly figure, boxes numbered as in the article.

Layer: figures. Imports NumPy, plotly, words and the figures' core (never streamlit).
Shapes: T steps, H hidden units, D input size. A trace here is one layer's unbatched trace (fields (T, H)).
Animated with Plotly frames that the browser plays: each frame restyles only the traces whose colour or
number changes at that step.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..words import BOX, GATES_IN_01, WORDS, quantities
from ._plot import (DIVERGING, FONT, GREY, SCALES, SEQUENTIAL, anim_controls, colorbar_trace, colours, domains,
                    figure, signed_range)

CELL_FRAMES = 120        # frames of the cell animation; longer sequences are sampled evenly


def frame_steps(T: int, step: int = 0, cap: int = CELL_FRAMES) -> list[int]:
    """Steps that get an animation frame: all of them up to `cap`, else `cap` evenly spaced plus `step`."""
    if T <= cap:
        return list(range(T))
    picked = set(np.round(np.linspace(0, T - 1, cap)).astype(int).tolist()) | {int(step)}
    return sorted(picked)


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
            col = GREY if x_value is None else colours([x_value], -S, S, DIVERGING)[0][0]
        elif name in _SIGMOID:
            col = colours([v[name]], 0, 1, SEQUENTIAL)[0][0]
        else:
            col = colours([v[name]], -S, S, DIVERGING)[0][0]
        out.append(dict(type="scatter", line=dict(color=col)))
    names = list(_BOXES)
    sig = [n in _SIGMOID for n in names]
    fill = [None] * len(names)
    text_col = [None] * len(names)
    for k, n in enumerate(names):
        fc, tc = colours([v[n]], 0, 1, SEQUENTIAL) if sig[k] else colours([v[n]], -S, S, DIVERGING)
        fill[k], text_col[k] = fc[0], tc[0]
    text = [f"{_BOXES[n][2]}<br>{v[n]:.2f}" for n in names]
    out.append(dict(type="scatter", marker=dict(color=fill), text=text, textfont=dict(color=text_col)))
    labels = [tmpl.format(x_text if n == "x" else f"{v[n]:+.2f}") for n, (_, _, tmpl) in _LINE_LABELS.items()]
    labels.append(f"<b>step {t}</b> of {len(trace.h)} · unit {u}")
    out.append(dict(type="scatter", text=labels))
    if strips:
        for block in _blocks(quantities(trace)):
            z = np.round(np.stack([getattr(trace, q)[t] for q in block]), 4)   # (rows, H) every unit at step t
            out.append(dict(type="heatmap", z=z.tolist()))
    return out


def _blocks(rows: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Consecutive rows that share a colour scale: (i, f), (g,), (o,), (c, h) for an LSTM."""
    out: list[list[str]] = []
    for q in rows:
        if out and (out[-1][-1] in GATES_IN_01) == (q in GATES_IN_01):
            out[-1].append(q)
        else:
            out.append([q])
    return [tuple(b) for b in out]


def _x_info(x: np.ndarray, labels, t: int) -> tuple[str, float | None]:
    """What to print for x_t, and its value when one number colours the input line."""
    if labels is not None:
        return str(labels[t]), None
    if x.shape[1] == 1:
        return f"{x[t, 0]:+.2f}", float(x[t, 0])
    return "[" + ", ".join(f"{v:.2g}" for v in x[t, :4]) + (", …]" if x.shape[1] > 4 else "]"), None


def _traces(rows: tuple[str, ...], H: int, strips: bool) -> tuple[list[dict], int]:
    """The diagram's traces and the index of the first animated one (lines, nodes, labels[, strips])."""
    data = []
    # static: grey underlays so every line shows even where its value is 0 (white on the diverging scale)
    for name, pts in _LINES.items():
        xs, ys = _xy(pts)
        data.append(dict(type="scatter", x=xs, y=ys, mode="lines", line=dict(color=GREY, width=9),
                         hoverinfo="skip", showlegend=False))
    bx, by = _xy(_BUS)
    data.append(dict(type="scatter", x=bx, y=by, mode="lines", line=dict(color=GREY, width=4),
                     hoverinfo="skip", showlegend=False))
    first_animated = len(data)
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
    if strips:   # one row per quantity in the engine's gate order; a heatmap per run of rows on one scale
        for block in _blocks(rows):
            gates = block[0] in GATES_IN_01
            data.append(dict(type="heatmap", x=list(range(H)), y=[rows.index(q) for q in block],
                             coloraxis="coloraxis" if gates else "coloraxis2", xaxis="x2", yaxis="y2",
                             name=f"{'gates' if gates else 'signed values'} {', '.join(block)}, all units",
                             text=[[q] * H for q in block],
                             hovertemplate="unit %{x}<br>%{text} = %{z:.3f}<extra></extra>"))
    return data, first_animated


def _layout(rows: tuple[str, ...], H: int, u: int, S: float, strips: bool, animate: bool, height) -> dict:
    annotations = [
        dict(x=5.0, y=5.75, text="long-term memory: cell state c", showarrow=False, font=dict(size=12)),
        dict(x=5.0, y=0.35, text="short-term memory: hidden state h", showarrow=False, font=dict(size=12),
             xanchor="left"),
    ]
    for n, num in BOX.items():
        bx_, by_, _, _ = _BOXES[n]
        annotations.append(dict(x=bx_ - 0.42, y=by_ + 0.42, text=f"<b>{num}</b>", showarrow=False,
                                font=dict(size=11, color="#fff"), bgcolor="#444", borderpad=2))
    for a in annotations:
        a.update(xref="x", yref="y")
    layout = dict(
        height=height or (620 if strips else 430),
        margin=dict(l=10, r=80, t=10, b=(105 if strips else 75) if animate else 10),
        font=FONT, showlegend=False, hovermode="closest",
        xaxis=dict(range=[-0.4, 10.4], visible=False, fixedrange=True),
        yaxis=dict(range=[-0.9, 6.8], visible=False, fixedrange=True),
        annotations=annotations,
        coloraxis=dict(colorscale=SCALES[SEQUENTIAL], cmin=0, cmax=1, showscale=False),
        coloraxis2=dict(colorscale=SCALES[DIVERGING], cmin=-S, cmax=S, showscale=False),
    )
    if strips:
        top, bottom = domains([0.78, 0.22], 0.1)
        layout["yaxis"]["domain"] = top
        layout["xaxis2"] = dict(domain=[0, 1], anchor="y2", fixedrange=True, tickmode="auto", nticks=min(H, 12))
        annotations.append(dict(text=f"every unit at this step (orange: unit {u})", x=0, y=bottom[1], xref="paper",
                                yref="paper", xanchor="left", yanchor="bottom", showarrow=False, font=dict(size=12)))
        layout["yaxis2"] = dict(domain=bottom, anchor="x2", autorange="reversed", fixedrange=True,
                                tickmode="array", tickvals=list(range(len(rows))), ticktext=list(rows))
        layout["shapes"] = [dict(type="rect", xref="x2", yref="y2", x0=u - 0.5, x1=u + 0.5, y0=-0.5,
                                 y1=len(rows) - 0.5, line=dict(color="#ff7f0e", width=2.5))]
    return layout


def cell_diagram(trace, unit: int = 0, step: int = 0, labels=None, strips: bool = True,
                 animate: bool = True, height: int | None = None, max_frames: int = CELL_FRAMES) -> go.Figure:
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
    rows = quantities(trace)
    x = np.asarray(trace.x).reshape(T, -1)                              # (T, D)
    data, first_animated = _traces(rows, H, strips)
    steps = frame_steps(T, step, max_frames) if animate else [step]
    frames = [_cell_frame(trace, t, u, S, *_x_info(x, labels, t), strips) for t in steps]
    for k, patch in enumerate(frames[steps.index(step)]):
        _merge(data[first_animated + k], patch)
    animated = list(range(first_animated, len(data)))
    data.append(colorbar_trace(SEQUENTIAL, 0, 1, "gate (0-1)", 1.02, 0.80, 0.38))
    data.append(colorbar_trace(DIVERGING, -S, S, "value (0 = white)", 1.02, 0.32, 0.38))
    layout = _layout(rows, H, u, S, strips, animate, height)
    frame_dicts = []
    if animate and len(steps) > 1:
        names_ = [str(t) for t in steps]
        frame_dicts = [dict(name=n, data=f, traces=animated) for n, f in zip(names_, frames)]
        ticks = [str(labels[t]) for t in steps] if labels is not None else names_   # characters in text mode
        layout.update(anim_controls(names_, steps.index(step), ticks, y=-0.08 if strips else -0.02))
    return figure(data, layout, frame_dicts)


def _merge(base: dict, patch: dict) -> None:
    for k, v in patch.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _merge(base[k], v)
        else:
            base[k] = v

