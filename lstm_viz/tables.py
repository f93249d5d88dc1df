"""Traces and models as pandas tables: the tidy CSV, every unit at one step, gate saturation, layers.

Layer: tables, above the engine and words. Imports NumPy, pandas, the engine and words (no plotly, streamlit).
Shapes: T steps, H hidden units. A trace here is one layer's unbatched trace (fields (T, H)).
Steps and units are counted from 0, as in the arrays, the CSV and the figures.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .weights import describe_layers
from .words import GATES_IN_01, WORDS, forget_table, quantities, sci

LOW, HIGH = 0.1, 0.9                      # saturation thresholds of Karpathy et al. (2015)


def input_labels(trace, labels=None) -> list[str]:
    """What x_t was at each step, as text: the given labels (characters) or the numbers."""
    if labels is not None:
        return list(labels)
    x = np.asarray(trace.x).reshape(len(trace.h), -1)      # (T, D)
    return [", ".join(f"{v:.4g}" for v in row) for row in x]


def tidy_trace(trace, labels=None) -> pd.DataFrame:
    """One row per (step, unit, quantity): columns step, unit, quantity, value, input."""
    names = quantities(trace)
    T, H = trace.h.shape
    vals = np.stack([getattr(trace, q) for q in names], axis=1)   # (T, Q, H)
    steps, qs, units = np.meshgrid(np.arange(T), np.arange(len(names)), np.arange(H), indexing="ij")
    inputs = np.asarray(input_labels(trace, labels), dtype=object)
    return pd.DataFrame({
        "step": steps.ravel(), "unit": units.ravel(),
        "quantity": np.asarray(names, dtype=object)[qs.ravel()],
        "value": vals.ravel(), "input": inputs[steps.ravel()],
    })


def trace_csv(trace, labels=None) -> bytes:
    return tidy_trace(trace, labels).to_csv(index=False).encode()


def saturation_table(trace, low: float = LOW, high: float = HIGH) -> pd.DataFrame:
    """Fraction of steps each sigmoid gate of each unit spends below `low` and above `high`."""
    rows = []
    for q in quantities(trace):
        if q not in GATES_IN_01:
            continue
        a = getattr(trace, q)                                  # (T, H)
        below, above = (a < low).mean(axis=0), (a > high).mean(axis=0)   # (H,)
        for u in range(a.shape[1]):
            rows.append((WORDS[q], q, u, below[u], above[u], 1.0 - below[u] - above[u]))
    return pd.DataFrame(rows, columns=["gate", "symbol", "unit", f"below {low}", f"above {high}", "in between"])


def layers_table(model) -> pd.DataFrame:
    """One row per layer: kind, sizes and the largest singular value of W_hh (lstm_viz.weights.describe_layers)."""
    return pd.DataFrame(describe_layers(model))


def forget_bias_table(biases=(0, 1, 2, 3, 5), steps: int = 50) -> pd.DataFrame:
    """The forget biases the gradient page talks about, with sigmoid(b) and sigmoid(b)^steps."""
    return pd.DataFrame([{"forget bias b": f"{b:g}", "f = sigmoid(b)": f"{s:.4f}",
                          f"f^{steps} (left after {steps} steps)": sci(p)} for b, s, p in forget_table(biases, steps)])
