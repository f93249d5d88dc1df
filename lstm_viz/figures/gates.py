"""Gates over time: heatmaps of every quantity, chosen units as lines, how often each gate saturates.

Layer: figures. Imports NumPy, plotly, words, tables' thresholds and the figures' core (never streamlit).
Shapes: T steps, H hidden units, D input size. A trace here is one layer's unbatched trace (fields (T, H)).
Subplots are laid out by `domains`, not make_subplots: building unvalidated dicts is several times faster.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..tables import HIGH, LOW
from ..words import GATES_IN_01, WORDS, quantities
from ._plot import DIVERGING, FONT, GREY, PALETTE, SCALES, SEQUENTIAL, domains, figure, panel_title, signed_range


# ---------------------------------------------------------------------------------------------
# gates over time


def _stacked_axes(n: int, heights, gap: float, titles) -> tuple[dict, list[str]]:
    """Layout for n panels stacked on one shared time axis, top first; returns (layout, axis suffixes)."""
    doms = domains(heights, gap)
    sfx = ["" if r == 0 else str(r + 1) for r in range(n)]
    layout: dict = {"annotations": [panel_title(t, d) for t, d in zip(titles, doms) if t]}
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
        height=150 + int(np.clip(60 + 8 * H, 120, 220)) * len(names) + 14 * input_rows, margin=dict(l=10, r=10, t=30, b=40), font=FONT,
        coloraxis=dict(colorscale=SCALES[SEQUENTIAL], cmin=0, cmax=1,
                       colorbar=dict(title=dict(text="gate (0-1),<br>sequential"), y=0.75, len=0.4, thickness=12)),
        coloraxis2=dict(colorscale=SCALES[DIVERGING], cmin=-S, cmax=S,
                        colorbar=dict(title=dict(text="signed value,<br>diverging, 0 = white"), y=0.25, len=0.4,
                                      thickness=12)),
        coloraxis3=dict(colorscale=SCALES[DIVERGING], cmid=0, showscale=False),
    )
    return figure(data, layout)


def unit_lines(trace, units, quantities_=("c", "h"), labels=None) -> go.Figure:
    """Line plots over time of the chosen units, one panel per quantity."""
    qs = [q for q in quantities_ if q in quantities(trace)]
    if not qs:
        raise ValueError(f"None of {list(quantities_)} is a field of a {trace.kind.upper()} trace.")
    T, H = trace.h.shape
    units = [int(u) for u in units if 0 <= int(u) < H]
    layout, sfx = _stacked_axes(len(qs), [1.0] * len(qs), 0.08, [f"{q}: {WORDS[q]}" for q in qs])
    hov = list(labels) if labels is not None else [f"{v:.3g}" for v in np.asarray(trace.x).reshape(T, -1)[:, 0]]
    data = []
    for r, (a, q) in enumerate(zip(sfx, qs)):
        for k, u in enumerate(units):
            data.append(dict(type="scatter", x=np.arange(T), y=getattr(trace, q)[:, u], mode="lines",
                             name=f"unit {u}", legendgroup=f"unit {u}", showlegend=r == 0,
                             line=dict(color=PALETTE[k % len(PALETTE)], width=2), customdata=hov,
                             hovertemplate=f"step %{{x}} (input %{{customdata}})<br>unit {u}: {q} = %{{y:.4f}}"
                                           "<extra></extra>", xaxis=f"x{a}", yaxis=f"y{a}"))
        layout[f"yaxis{a}"].update(title=dict(text=q), **({"range": [-0.02, 1.02]} if q in GATES_IN_01 else {}))
    layout[f"xaxis{sfx[-1]}"].update(title=dict(text="step (time)"))
    layout.update(height=110 + 190 * len(qs), margin=dict(l=10, r=10, t=50, b=40), font=FONT,
                  legend=dict(orientation="h", y=1.0, yanchor="bottom", x=1, xanchor="right"),
                  hovermode="x unified")
    return figure(data, layout)


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
                         line=dict(color=GREY, width=1), showlegend=False, xaxis=f"x{a}", yaxis=f"y{a}"))
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
    layout.update(height=340, margin=dict(l=10, r=10, t=20, b=10), font=FONT)
    return figure(data, layout)
