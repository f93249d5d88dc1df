"""Figures of training: loss curves against the chance baseline, and the lag sweep.

    loss_curves   training loss per Adam step (a trailing mean of 20 batches) and test loss at
                  evaluation steps (markers), one colour per model, log y, the chance-level loss as a dashed line
    lag_sweep     test error (or accuracy) at the end of training against the task's lag, per model:
                  where a line leaves the baseline is the longest lag that model learned
Layer: figures. Imports NumPy, plotly and the figures' core (never streamlit). Data in, go.Figure out.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ._plot import layout_dict, model_color, positive


def loss_curves(curves: dict, baseline: float, baseline_name: str, loss_name: str = "loss") -> go.Figure:
    """curves: label -> a run's curves (lstm_viz.train.RunLog, or anything with lists step, loss, test_step,
    test_loss)."""
    fig = go.Figure()
    for n, (label, c) in enumerate(curves.items()):
        color = model_color(label, n)
        fig.add_trace(go.Scatter(x=list(c.step), y=positive(smooth(c.loss)), mode="lines",
                                 name=f"{label} training (mean of last 20 batches)",
                                 line=dict(color=color, width=1), opacity=0.6, hovertemplate="%{y:.3g}"))
        if len(c.test_step):
            fig.add_trace(go.Scatter(x=list(c.test_step), y=positive(c.test_loss), mode="lines+markers",
                                     name=f"{label} test", line=dict(color=color, width=2.5),
                                     marker=dict(size=6), hovertemplate="%{y:.3g}"))
    fig.add_hline(y=baseline, line=dict(color="#888888", dash="dash", width=1.5),
                  annotation_text=f"chance: {baseline_name}", annotation_position="top right")
    fig.update_layout(layout_dict("",
                                  "Adam step", f"{loss_name} (log scale)"))
    return fig.update_yaxes(tickformat=".2~g")   # 0.5, 0.2, 0.1 rather than bare digits between the decades


def lag_sweep(results: dict, baseline: float, metric: str, higher_is_better: bool = False) -> go.Figure:
    """results: label -> list of (lag, score) with score the final test MSE or accuracy at that lag."""
    fig = go.Figure()
    for n, (label, rows) in enumerate(results.items()):
        rows = sorted(rows)
        lags = [r[0] for r in rows]
        scores = [r[1] for r in rows]
        fig.add_trace(go.Scatter(x=lags, y=scores if higher_is_better else positive(scores),
                                 mode="lines+markers", name=label, marker=dict(size=9),
                                 line=dict(color=model_color(label, n), width=2.5), hovertemplate="%{y:.3g}"))
    fig.add_hline(y=baseline, line=dict(color="#888888", dash="dash", width=1.5),
                  annotation_text="chance", annotation_position="top right")
    fig.update_layout(layout_dict("",
                                  "sequence length T (the lag the model must bridge)", f"test {metric}",
                                  log_y=not higher_is_better))
    if higher_is_better:
        fig.update_yaxes(range=[0, 1.05], tickformat=".0%")
    else:
        fig.update_yaxes(dtick=1)           # one label per decade: errors span several
    return fig


def smooth(values, window: int = 20) -> np.ndarray:
    """Trailing moving average, so a noisy per-batch loss reads as a curve; same length as values."""
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return v
    c = np.cumsum(np.insert(v, 0, 0.0))
    n = np.minimum(np.arange(1, v.size + 1), window)
    return (c[1:] - c[np.arange(1, v.size + 1) - n]) / n
