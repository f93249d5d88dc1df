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
from ._plot import (DIVERGING, FONT, GREY, OKABE_ITO, PALETTE, SCALES, SEQUENTIAL, domains, figure, panel_title,
                    signed_range)


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


def _unit_dtick(H: int) -> int:
    """Every how many units a heatmap labels: whole units, at most five labels a panel, so that at 390 px
    (a panel is about 95 px tall) the labels do not touch."""
    return max(1, -(-H // 5))


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
    else:   # numbers are on hover: printed in the cells they would not fit on a phone
        ch = list(channels) if channels is not None else [f"x{k + 1}" for k in range(D)]
        data.append(dict(type="heatmap", x=steps, y=ch, z=x.T, coloraxis="coloraxis3",
                         hovertemplate="step %{x}<br>%{y} = %{z:.4g}<extra></extra>"))
    for a, q in zip(sfx[1:], names):
        data.append(dict(type="heatmap", x=steps, y=np.arange(H), z=getattr(trace, q).T.astype(np.float32),
                         coloraxis="coloraxis" if q in GATES_IN_01 else "coloraxis2", name=q,
                         hovertemplate=f"step %{{x}}<br>unit %{{y}}<br>{q} = %{{z:.4f}}<extra></extra>",
                         xaxis=f"x{a}", yaxis=f"y{a}"))
    for a in sfx[1:]:
        # whole-number unit ticks (a 1-unit model would otherwise get -0.5, 0, 0.5)
        layout[f"yaxis{a}"].update(title=dict(text="unit"), autorange="reversed", tick0=0, dtick=_unit_dtick(H))
    layout["yaxis"].update(autorange="reversed")
    xlabel = dict(title=dict(text="step (time)"))
    if text_mode and labels is not None and T <= 80:
        xlabel.update(tickmode="array", tickvals=steps, ticktext=list(labels), tickangle=0)
    layout[f"xaxis{sfx[-1]}"].update(xlabel)
    layout.update(height=190 + int(np.clip(60 + 8 * H, 120, 220)) * len(names) + 14 * input_rows,
                  margin=dict(l=10, r=10, t=100, b=40), font=FONT, **_colour_axes(S))
    return figure(data, layout)


def _colour_axes(S: float) -> dict:
    """The two colour scales as horizontal bars above the panels, side by side: at 390 px a vertical bar
    beside them would take half the width."""
    bar = dict(orientation="h", y=1.0, yanchor="bottom", ypad=24, len=0.46, lenmode="fraction", tickangle=0,
               thickness=10, title=dict(side="top", font=dict(size=12)), tickfont=dict(size=10))
    return dict(
        coloraxis=dict(colorscale=SCALES[SEQUENTIAL], cmin=0, cmax=1, colorbar={
            **bar, "x": 0.0, "xanchor": "left", "tickvals": [0, 0.5, 1], "title": {**bar["title"], "text": "gates, 0 to 1"}}),
        coloraxis2=dict(colorscale=SCALES[DIVERGING], cmin=-S, cmax=S, colorbar={
            **bar, "x": 1.0, "xanchor": "right", "tickvals": [-S, 0, S], "ticktext": [f"{-S:g}", "0", f"{S:g}"],
            "title": {**bar["title"], "text": "signed, 0 is white"}}),
        coloraxis3=dict(colorscale=SCALES[DIVERGING], cmid=0, showscale=False),
    )


def unit_lines(trace, units, quantities_=("c", "h"), labels=None, text_mode: bool = False) -> go.Figure:
    """Line plots over time of the chosen units, one panel per quantity; in text mode the time axis reads
    the characters (up to 80 steps), as the heatmaps do."""
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
    xlabel = dict(title=dict(text="step (time)"))
    if text_mode and labels is not None and T <= 80:
        xlabel.update(tickmode="array", tickvals=list(range(T)), ticktext=list(labels), tickangle=0)
    layout[f"xaxis{sfx[-1]}"].update(xlabel)
    layout.update(height=110 + 190 * len(qs), margin=dict(l=10, r=10, t=50, b=40), font=FONT,
                  legend=dict(orientation="h", y=1.0, yanchor="bottom", x=1, xanchor="right"),
                  hovermode="x unified")
    return figure(data, layout)


def saturation_figure(table) -> go.Figure:
    """After Karpathy, Johnson & Fei-Fei (2015): for each sigmoid gate a panel, for each unit a bar split into the
    share of steps the gate spent shut (below LOW), in between, and wide open (above HIGH).

    Panels are stacked, not side by side, so they keep their width on a phone; a gate that acts as a switch
    shows bars that are all shut and open, one that idles in the middle shows grey bars.
    """
    gates = list(dict.fromkeys(table["symbol"]))
    below, above, between = table.columns[3], table.columns[4], table.columns[5]
    parts = ((below, f"shut (< {LOW})", OKABE_ITO["vermillion"]), (between, "in between", GREY),
             (above, f"wide open (> {HIGH})", OKABE_ITO["blue"]))
    layout, sfx = _stacked_axes(len(gates), [1.0] * len(gates), 0.12,
                                [f"{g}: {WORDS[g]}" for g in gates])
    data = []
    for r, (a, g) in enumerate(zip(sfx, gates)):
        sub = table[table["symbol"] == g]
        for col, name, color in parts:
            data.append(dict(type="bar", x=sub["unit"].to_numpy(), y=sub[col].to_numpy(), name=name,
                             marker=dict(color=color), legendgroup=name, showlegend=r == 0,
                             xaxis=f"x{a}", yaxis=f"y{a}",
                             hovertemplate=f"unit %{{x}}: {g} {name} on %{{y:.0%}} of steps<extra></extra>"))
        layout[f"yaxis{a}"].update(range=[0, 1], tickformat=".0%", tickvals=[0, 0.5, 1])
        layout[f"xaxis{a}"].update(showticklabels=True, dtick=max(1, -(-len(sub) // 16)))
    layout[f"xaxis{sfx[-1]}"].update(title=dict(text="unit"))
    layout.update(barmode="stack", bargap=0.15, height=80 + 150 * len(gates), font=FONT,
                  margin=dict(l=10, r=10, t=60, b=40),
                  legend=dict(orientation="h", x=0, y=1.0, yanchor="top", yref="container"))
    return figure(data, layout)
