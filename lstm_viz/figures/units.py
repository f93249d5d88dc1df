"""The 'what a unit means' page's charts: connectivity as a T x T heatmap per model, and what changing one
character changes, units x steps.

Layer: figures. Imports NumPy, plotly and the figures' core (never streamlit). Data in, go.Figure out.
Shapes: C characters with connectivity, T characters, H units.
    connectivity_heatmap   z[t, s] = log10 ||dh_t/dx_s|| (C, C), blank above the diagonal and below the
                           scale's floor; one sequential scale (Viridis) shared by the models compared
    counterfactual_heatmap z[u, t] = after - before of one quantity (H, T - first), from the changed step on,
                           on a diverging scale (RdBu, reversed) centred at 0 and symmetric
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ._plot import DIVERGING, FONT, SCALES, SEQUENTIAL, figure

WORDS = {"i": "input gate i", "f": "forget gate f", "g": "candidate g", "o": "output gate o", "c": "cell state c",
         "h": "hidden state h"}


def log_range(*matrices, decades: float = 6.0) -> tuple[float, float]:
    """(lo, hi): log10 of the largest value over every matrix, and `decades` below it (one shared scale)."""
    top = max((float(np.max(m)) for m in matrices if np.size(m)), default=1.0)
    hi = float(np.log10(top)) if top > 0 else 0.0
    return hi - decades, hi


def connectivity_heatmap(C: np.ndarray, title: str, zrange: tuple[float, float]) -> go.Figure:
    """log10 ||dh_t/dx_s|| over input s (x) and step t (y, down), for one model; zrange = (lo, hi) in log10."""
    C = np.asarray(C, float)
    n = C.shape[0]
    lo, hi = zrange
    with np.errstate(divide="ignore"):
        z = np.log10(C)                                                        # (C, C)
    z[(np.triu(np.ones_like(C, bool), 1)) | ~(z > lo)] = np.nan               # nothing above s = t or under lo
    data = [dict(type="heatmap", z=z.astype(np.float32), x=np.arange(n), y=np.arange(n), zmin=lo, zmax=hi,
                 colorscale=SCALES[SEQUENTIAL], hoverongaps=False,
                 hovertemplate="h at character %{y} from input %{x}: 10^%{z:.2f}<extra></extra>",
                 colorbar=dict(title=dict(text="log10 ||dh_t/dx_s||", side="right"), thickness=10, len=0.9,
                               tickformat=".0f"))]
    layout = dict(title=dict(text=title, x=0, xanchor="left", font=dict(size=14)), height=330, font=FONT,
                  margin=dict(l=46, r=8, t=34, b=44), paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
                  xaxis=dict(title=dict(text="input character s"), range=[-0.5, n - 0.5]),
                  yaxis=dict(title=dict(text="h at character t"), range=[n - 0.5, -0.5]))
    return figure(data, layout)


def counterfactual_heatmap(delta: np.ndarray, first: int, quantity: str) -> go.Figure:
    """after - before of one quantity (T, H) for every unit (y) over steps first..T-1 (x)."""
    d = np.asarray(delta, float)[first:]                                       # (T - first, H)
    top = max(float(np.abs(d).max(initial=0.0)), 1e-6)
    steps = np.arange(first, first + d.shape[0])
    data = [dict(type="heatmap", z=d.T.astype(np.float32), x=steps, y=np.arange(d.shape[1]), zmin=-top, zmax=top,
                 zmid=0, colorscale=SCALES[DIVERGING],
                 hovertemplate="character %{x}, unit %{y}: %{z:+.3f}<extra></extra>",
                 colorbar=dict(title=dict(text=f"change in {quantity}<br>(RdBu, 0 = white)", side="right"),
                               thickness=10, len=0.9))]
    layout = dict(height=420, font=FONT, margin=dict(l=46, r=8, t=10, b=44), paper_bgcolor="rgba(0,0,0,0)",
                  plot_bgcolor="rgba(0,0,0,0)",
                  xaxis=dict(title=dict(text="character t (from the changed one on)")),
                  yaxis=dict(title=dict(text=f"unit ({WORDS[quantity]})"), autorange="reversed"))
    return figure(data, layout)
