"""Figures of gradient flow: how much of dL/dh_T is left k steps back, for RNN, LSTM and GRU side by side.

Input is a dict label -> Flow (lstm_viz.flow), every array indexed by steps back k (0 = the last step):
    gradient_norms       ||dL/dh_t|| (or ||dh_T/dh_t||) against k, log y, one line per model, with the
                         Pascanu et al. (2013) bound sigma_max(W_hh)^k for the RNN
    cell_split           the LSTM's ||dL/dc_t|| split into the cell path (dL/dc_T times the forget-gate
                         product) and the hidden path, with the mean forget product itself
    backward_animation   Plotly frames: the gradient's magnitude spreading back from the last step, one
                         row per model, played in the browser
Layer: figures. Imports NumPy, plotly and the figures' core (never streamlit). Data in, go.Figure out.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from ..words import sigma_shown
from ._plot import GREY, OKABE_ITO, layout_dict, line, log_ticks, model_color, positive

BACKWARD_FRAMES = 60     # frames of the backward-pass animation, whatever the sequence length
FLOOR = -30              # log10 ratios below this are drawn at this colour


def gradient_norms(flows: dict, jacobian: bool = False, show_bound: bool = True, k: int | None = None) -> go.Figure:
    """||dL/dh_t|| (or, with jacobian=True, the spectral norm ||dh_T/dh_t||) against steps back, log y; k, if
    given, is marked by a dashed vertical line (the page's sentences read the curves there)."""
    traces = []
    top = 0.0
    for n, (label, flow) in enumerate(flows.items()):
        y = flow.jac_spec if jacobian else flow.grad_h
        top = max(top, float(np.max(y)))
        traces.append(line(flow.steps_back, positive(y), label,
                            line=dict(color=model_color(label, n), width=2.5)))
    if show_bound:
        for n, (label, flow) in enumerate(flows.items()):
            if flow.pascanu_bound is None:
                continue
            b = np.asarray(flow.pascanu_bound, dtype=float)
            # an exploding bound (sigma_max > 1) would squash every curve; draw it while it is in view
            shown = np.where(b <= max(top, 1.0) * 1e3, b, np.nan)
            traces.append(line(flow.steps_back, positive(shown),
                                f"bound σ_max^k, σ_max = {sigma_shown(flow.sigma_max):.3f}",
                                line=dict(color=model_color(label, n), width=1.5, dash="dash")))
    what = "||dh_T/dh_t|| (largest singular value)" if jacobian else "||dL/dh_t||"
    layout = layout_dict("", "steps back from the last step (k)", what)
    if k is not None:
        layout["shapes"] = [dict(type="line", xref="x", yref="paper", x0=k, x1=k, y0=0, y1=1,
                                 line=dict(color=GREY, width=1.5, dash="dot"))]
        layout["annotations"] = [dict(x=k, y=1, xref="x", yref="paper", text=f"k = {k}", showarrow=False,
                                      xanchor="left", yanchor="top", xshift=4, font=dict(size=12))]
    return go.Figure(data=traces, layout=layout)


def cell_split(flow, label: str = "LSTM") -> go.Figure:
    """The LSTM's ||dL/dc_t|| and its two parts, plus the mean forget-gate product over the same steps."""
    if flow.grad_c is None:
        raise ValueError("The cell-path split exists only for an LSTM; this flow is a "
                         f"{flow.kind.upper()}'s.")
    k = flow.steps_back
    traces = [
        # the total is drawn as a broad pale band: where one part carries nearly all of it, that part's
        # line runs inside the band instead of hiding it
        line(k, positive(flow.grad_c), "||dL/dc_t|| total", line=dict(color=model_color(label), width=7),
              opacity=0.35),
        line(k, positive(flow.cell_path), "cell path: dL/dc_T × ∏ f",
              line=dict(color=OKABE_ITO["green"], width=2)),
        line(k, positive(flow.hidden_path), "entered through h", line=dict(color=OKABE_ITO["orange"], width=2)),
        line(k, positive(flow.forget_product_mean), "∏ f, mean over units (a ratio)",
              line=dict(color="#888888", width=1.5, dash="dot")),
    ]
    layout = layout_dict("", "steps back from the last step (k)", "norm (log scale)")
    layout["yaxis"].update(log_ticks(flow.grad_c, flow.cell_path, flow.hidden_path, flow.forget_product_mean))
    return go.Figure(data=traces, layout=layout)


def _frame_ends(T: int, max_frames: int) -> list[int]:
    """For each frame, the largest k it reveals: evenly spaced, the last frame reveals everything."""
    n = max(1, min(T, max_frames))
    return [math.ceil((j + 1) * T / n) - 1 for j in range(n)]


def _backward_controls(frames: list, ends: list[int], rows: int) -> dict:
    """Height, margins, and the play buttons on one row under the axis with the slider on the next, so that
    at 390 px neither covers the other."""
    play = dict(frame=dict(duration=max(20, 3000 // len(frames)), redraw=True), fromcurrent=False,
                transition=dict(duration=0), mode="immediate")
    top, bottom, plot_h = 90, 170, 50 + 60 * rows                 # px
    buttons_y, slider_y = -60 / plot_h, -105 / plot_h             # under the axis title, in paper units
    return dict(
        height=top + plot_h + bottom, margin=dict(l=60, r=20, t=top, b=bottom),
        updatemenus=[dict(type="buttons", showactive=False, x=0, y=buttons_y, xanchor="left", yanchor="top",
                          direction="right", pad=dict(t=0, r=10),
                          buttons=[dict(label="▶ Play backward pass", method="animate", args=[None, play]),
                                   dict(label="❚❚ Pause", method="animate",
                                        args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate")])])],
        sliders=[dict(active=len(frames) - 1, x=0, len=1.0, y=slider_y, yanchor="top", pad=dict(t=20, l=0),
                      font=dict(color="rgba(0,0,0,0)"), ticklen=3, minorticklen=0,   # 60 tick labels would collide
                      currentvalue=dict(prefix="steps back reached: ", font=dict(color="#888888"), offset=4),
                      steps=[dict(label=str(k), method="animate",
                                  args=[[str(j)], dict(frame=dict(duration=0, redraw=True), mode="immediate")])
                             for j, k in enumerate(ends)])])


def backward_animation(flows: dict, max_frames: int = BACKWARD_FRAMES) -> go.Figure:
    """The backward pass as Plotly frames: row per model, column per step t, colour log10 of the gradient
    relative to its value at the last step, revealed from the end back to the start."""
    labels = list(flows)
    T = max(len(f.grad_h) for f in flows.values())
    Z = np.full((len(labels), T), np.nan)                         # (M, T) log10 ratio by step t
    for row, label in enumerate(labels):
        g = np.asarray(flows[label].grad_h, dtype=float)
        ratio = g / g[0] if g[0] > 0 else np.zeros_like(g)
        with np.errstate(divide="ignore"):
            logs = np.maximum(np.log10(ratio, where=ratio > 0, out=np.full_like(ratio, -np.inf)), FLOOR)
        Z[row, T - len(g):] = logs[::-1]                         # k -> t, aligned at the end
    Z = Z.astype(np.float32)       # sent as base64: 4 bytes a value instead of 8, ample for a colour
    zmin = float(min(-1.0, np.floor(np.nanmin(Z))))
    ends = _frame_ends(T, max_frames)
    steps = np.arange(T)

    def shown(kmax: int) -> np.ndarray:
        z = Z.copy()
        z[:, : T - 1 - kmax] = np.nan                             # steps the gradient has not reached yet
        return z

    # the colour bar lies above the rows, not beside them: beside, it would take a third of a phone's width
    heat = dict(type="heatmap", z=shown(ends[-1]), x=steps, y=labels, zmin=zmin, zmax=0.0,
                colorscale="Viridis",
                colorbar=dict(title=dict(text="log10 of (gradient ÷ gradient at the last step)", side="top"),
                              orientation="h", x=0, xanchor="left", y=1.0, yanchor="bottom", ypad=10,
                              len=1.0, thickness=10),
                hovertemplate="%{y}, step %{x}: 10^%{z:.1f}<extra></extra>", xgap=0, ygap=3)
    # a frame carries only z: Plotly.animate merges it into trace 0, which keeps its colour scale, axes and
    # hover text, so the figure is smaller and 60 frames are validated in a fraction of the time
    frames = [dict(name=str(j), data=[dict(type="heatmap", z=shown(k))], traces=[0])
              for j, k in enumerate(ends)]
    layout = layout_dict("", "step t", "", log_y=False)
    layout["yaxis"]["autorange"] = "reversed"
    layout.update(hovermode="closest", **_backward_controls(frames, ends, len(labels)))
    return go.Figure(data=[heat], layout=layout, frames=frames)
