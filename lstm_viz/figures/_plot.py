"""The private core every figure shares (as plotly express has one): scales, palette, layout, frames.

Layer: figures. Imports NumPy and plotly only (never streamlit). Public names here are for the other
figure modules; pages import the figure builders from lstm_viz.figures.

Colour: gates in [0, 1] use a sequential scale (Viridis); signed values (candidate, cell state, hidden
state, inputs) use a diverging scale centred at 0 (RdBu, reversed: blue negative, white 0, red positive).
Both are colour-blind safe, as is the Okabe-Ito palette that gives every model and line its colour.
Figures are built with plotly's validation off (`figure`): a page holds hundreds of small frame dicts,
and validating each would cost more than the rest of the page; tests check the contents instead.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.colors import get_colorscale

SEQUENTIAL = "Viridis"
DIVERGING = "RdBu_r"
# as explicit lists: unvalidated figures reach plotly.js as given, and it knows no "_r" names
SCALES = {name: get_colorscale(name) for name in (SEQUENTIAL, DIVERGING)}
GREY = "rgba(128,128,128,0.55)"
GRID = "rgba(128,128,128,0.25)"
FONT = dict(family="sans-serif")
# Okabe & Ito (2008): eight colours told apart by colour-blind readers; every palette here is drawn from it
OKABE_ITO = {"blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "pink": "#CC79A7",
             "sky": "#56B4E9", "vermillion": "#D55E00", "yellow": "#F0E442", "black": "#000000"}
PALETTE = tuple(OKABE_ITO.values())
# one colour per model, the same on every figure
MODEL_COLORS = {"RNN": OKABE_ITO["vermillion"], "LSTM": OKABE_ITO["blue"], "GRU": OKABE_ITO["green"],
                "your model": OKABE_ITO["pink"], "the preset": OKABE_ITO["pink"]}
_EXTRA = (OKABE_ITO["orange"], OKABE_ITO["sky"], OKABE_ITO["yellow"], OKABE_ITO["black"])


def model_color(label: str, index: int = 0) -> str:
    """The colour a model keeps on every figure: by kind for RNN/LSTM/GRU, else from a fixed list."""
    return MODEL_COLORS.get(label, _EXTRA[index % len(_EXTRA)])


# ---------------------------------------------------------------------------------------------
# scales and layout


def signed_range(trace) -> float:
    """Half-width of the diverging scale: 1, or the largest |cell state| when it exceeds 1."""
    c = getattr(trace, "c", None)
    m = float(np.abs(c).max()) if c is not None else 0.0
    return max(1.0, float(np.ceil(m * 10) / 10))


def domains(heights, gap: float) -> list[list[float]]:
    """Vertical [y0, y1] paper domains for stacked panels, top first, sizes proportional to heights."""
    h = np.asarray(heights, float)
    free = 1.0 - gap * (len(h) - 1)
    sizes = h / h.sum() * free
    tops = 1.0 - np.concatenate([[0.0], np.cumsum(sizes[:-1] + gap)])
    return [[max(0.0, float(t - s_)), float(t)] for t, s_ in zip(tops, sizes)]


def panel_title(text: str, domain, x: float = 0.0) -> dict:
    """A panel title just above a stacked panel (what make_subplots' subplot_titles would draw)."""
    return dict(text=text, x=x, y=domain[1], xref="paper", yref="paper", xanchor="left", yanchor="bottom",
                showarrow=False, font=dict(size=13))


def figure(data: list[dict], layout: dict, frames: list[dict] | None = None) -> go.Figure:
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


# ---------------------------------------------------------------------------------------------
# line charts: the house layout


def layout_dict(title: str, xtitle: str, ytitle: str, log_y: bool = True) -> dict:
    """The house layout as a plain dict: handed to go.Figure at once, it is validated once (each
    update_layout / update_xaxes call validates again, and the gradient page redraws on every rerun).

    Pages put a figure's title in a heading above it, where it wraps on a phone; title="" leaves it out
    and gives the legend, on top, the room."""
    yaxis = dict(title=dict(text=ytitle))
    if log_y:
        yaxis.update(type="log", exponentformat="power", showgrid=True, gridcolor=GRID)
    return dict(**({"title": dict(text=title)} if title else {}),
                xaxis=dict(title=dict(text=xtitle), showgrid=True, gridcolor=GRID),
                yaxis=yaxis, hovermode="x unified",
                paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
                legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
                margin=dict(l=60, r=20, t=80 if title else 50, b=50), height=420)


def log_ticks(*arrays) -> dict:
    """Tick settings for a log axis over these values: 1-2-5 within a decade, else whole decades (every
    second or third when there are many).
    Left to itself plotly labels every digit 2..9 over a short range, and at 390 px they collide."""
    v = np.concatenate([np.asarray(a, float).ravel() for a in arrays if a is not None])
    v = v[np.isfinite(v) & (v > 0)]
    span = float(np.log10(v.max() / v.min())) if v.size else 0.0
    return {"dtick": "D2"} if span < 1 else {"dtick": max(1, int(np.ceil(span / 5)))}


def positive(a) -> list:
    """Values for a log axis: zeros (an underflowed gradient) become gaps instead of errors."""
    return [float(v) if v > 0 and math.isfinite(v) else None for v in np.asarray(a, dtype=float)]


def line(x, y, name: str, **style) -> dict:
    """One Scatter trace as a plain dict (go.Figure validates it once, with the figure)."""
    return dict(type="scatter", x=x, y=y, mode="lines", name=name, hovertemplate="%{y:.3g}", **style)
