"""The cell taken apart: one unit's cell state and hidden state, and the gradient reaching back, for the
original and the changed cell on one shared time axis.

Layer: figures. Imports NumPy, plotly and the figures' core (never streamlit). Data in, go.Figure out.
Input: an lstm_viz.apart.Comparison; every panel runs over step t (the gradient's k steps back is drawn at
t = T - 1 - k, so a pinned stretch lines up in all three panels).
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ._plot import FONT, GREY, GRID, OKABE_ITO, domains, figure, log_ticks, panel_title, positive

CHANGED = OKABE_ITO["vermillion"]


def apart_figure(cmp, unit: int) -> go.Figure:
    """Three panels over time: c_t and h_t of `unit`, and ||dL/dh_t|| (log), original dashed, changed solid."""
    T = len(cmp.changed.h)
    t = np.arange(T)
    panels = [("c", f"cell state c of unit {unit}", cmp.original.c[:, unit], cmp.changed.c[:, unit], False),
              ("h", f"hidden state h of unit {unit}", cmp.original.h[:, unit], cmp.changed.h[:, unit], False),
              ("grad", "gradient reaching back ||dL/dh_t|| (log)", cmp.grad_original[::-1], cmp.grad_changed[::-1],
               True)]
    doms = domains([1.0, 1.0, 1.0], 0.1)
    layout: dict = {"annotations": [panel_title(p[1], d) for p, d in zip(panels, doms)]}
    data = []
    for r, ((_, _, before, after, log), dom) in enumerate(zip(panels, doms)):
        a = "" if r == 0 else str(r + 1)
        ys = (positive(before), positive(after)) if log else (before, after)
        data.append(dict(type="scatter", x=t, y=ys[0], mode="lines", name="unchanged cell", legendgroup="before",
                         showlegend=r == 0, line=dict(color=GREY, width=2, dash="dash"), xaxis=f"x{a}",
                         yaxis=f"y{a}", hovertemplate="step %{x}: %{y:.4g}<extra>unchanged</extra>"))
        data.append(dict(type="scatter", x=t, y=ys[1], mode="lines", name="changed cell", legendgroup="after",
                         showlegend=r == 0, line=dict(color=CHANGED, width=2.5), xaxis=f"x{a}", yaxis=f"y{a}",
                         hovertemplate="step %{x}: %{y:.4g}<extra>changed</extra>"))
        layout[f"xaxis{a}"] = dict(anchor=f"y{a}", domain=[0, 1], showgrid=True, gridcolor=GRID,
                                   **({} if r == 0 else {"matches": "x"}), showticklabels=r == 2)
        layout[f"yaxis{a}"] = dict(anchor=f"x{a}", domain=dom, showgrid=True, gridcolor=GRID,
                                   **({"type": "log", "exponentformat": "power", **log_ticks(before, after)} if log else {}))
    layout["xaxis3"]["title"] = dict(text="step t")
    layout.update(height=620, font=FONT, hovermode="x unified", margin=dict(l=50, r=10, t=60, b=50),
                  paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
                  legend=dict(orientation="h", x=0, y=1.0, yanchor="top", yref="container"))
    return figure(data, layout)
