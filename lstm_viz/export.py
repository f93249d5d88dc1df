"""Traces as tables and words: tidy CSV, the per-step table, the equations and a one-line reading.

Shapes: T steps, H hidden units. A trace here is one layer's unbatched trace (fields (T, H)).
Steps and units are counted from 0, as in the arrays, the CSV and the figures.
pandas and NumPy only: pages show these, tests check them against the trace.
"""
from __future__ import annotations

import io

import numpy as np
import pandas as pd

# what each trace field is called in words, and the article's box number where it has one
WORDS = {"i": "input gate", "f": "forget gate", "g": "candidate", "o": "output gate", "c": "cell state",
         "h": "hidden state", "tanh_c": "tanh of the cell state", "r": "reset gate", "z": "update gate",
         "n": "candidate"}
BOX = {"f": 1, "i": 2, "g": 3, "o": 4, "tanh_c": 5}
GATES_IN_01 = ("i", "f", "o", "r", "z")   # sigmoid gates: values in [0, 1]
LOW, HIGH = 0.1, 0.9                      # saturation thresholds of Karpathy et al. (2015)


def quantities(trace) -> tuple[str, ...]:
    """The per-unit fields a page shows for this kind of cell, in reading order."""
    return {"lstm": ("i", "f", "g", "o", "c", "h"), "gru": ("r", "z", "n", "h"), "rnn": ("h",)}[trace.kind]


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


def weights_npz(model) -> bytes:
    """The model's weights as .npz with PyTorch state_dict names."""
    buf = io.BytesIO()
    np.savez(buf, **model.state_dict())
    return buf.getvalue()


def step_table(trace, t: int) -> pd.DataFrame:
    """Every unit's values at step t: one row per unit, one column per quantity."""
    names = quantities(trace)
    table = pd.DataFrame({q: getattr(trace, q)[t] for q in names})
    table.index.name = "unit"
    return table


def _pct(v: float) -> str:
    return f"{100 * v:.0f}%"


def _num(v: float) -> str:
    return f"{v:+.2f}" if abs(v) >= 0.005 or v == 0 else f"{v:+.1e}"


def _prev(trace, field: str, t: int, u: int) -> float:
    first = trace.c0 if field == "c" else trace.h0
    return float(first[u] if t == 0 else getattr(trace, field)[t - 1, u])


def step_reading(trace, t: int, unit: int, label: str | None = None) -> str:
    """One plain-language sentence about what unit `unit` did at step t."""
    x = f" (input {label})" if label is not None else ""
    u = unit
    h_prev, h = _prev(trace, "h", t, u), float(trace.h[t, u])
    if trace.kind == "lstm":
        f, i, g, o = (float(getattr(trace, q)[t, u]) for q in "figo")
        c_prev, c = _prev(trace, "c", t, u), float(trace.c[t, u])
        return (f"At step {t}{x}, the forget gate kept {_pct(f)} of unit {u}'s memory ({_num(c_prev)} → "
                f"{_num(f * c_prev)}), the input gate wrote {_num(i * g)} into it ({_pct(i)} of the candidate "
                f"{_num(g)}), so the cell state is {_num(c)}, and the output gate let {_pct(o)} of "
                f"tanh(c) = {_num(np.tanh(c))} out as h = {_num(h)}.")
    if trace.kind == "gru":
        z, n = float(trace.z[t, u]), float(trace.n[t, u])
        return (f"At step {t}{x}, the update gate kept {_pct(z)} of unit {u}'s previous state {_num(h_prev)} "
                f"and took {_pct(1 - z)} of the candidate {_num(n)}, so h = {_num(h)}.")
    return (f"At step {t}{x}, unit {u} squashed its weighted input and previous state {_num(h_prev)} through "
            f"tanh, so h = {_num(h)}.")


def _p(v: float) -> str:
    """A factor in a product: negative numbers in parentheses."""
    return f"({v:.3f})" if v < 0 else f"{v:.3f}"


def step_equations(trace, t: int, unit: int) -> list[str]:
    """LaTeX lines: the cell's equations with unit `unit`'s numbers at step t substituted."""
    u = unit
    v = {q: float(getattr(trace, q)[t, u]) for q in quantities(trace)}
    h_prev = _prev(trace, "h", t, u)
    hx = r"[h_{t-1}, x_t]"
    if trace.kind == "lstm":
        c_prev = _prev(trace, "c", t, u)
        return [
            rf"\boxed{{1}}\; f_t = \sigma(W_f {hx} + b_f) = {v['f']:.3f}",
            rf"\boxed{{2}}\; i_t = \sigma(W_i {hx} + b_i) = {v['i']:.3f}",
            rf"\boxed{{3}}\; g_t = \tanh(W_g {hx} + b_g) = {v['g']:.3f}",
            rf"\begin{{aligned}} c_t &= f_t\,c_{{t-1}} + i_t\,g_t \\ &= {_p(v['f'])} \times {_p(c_prev)} + "
            rf"{_p(v['i'])} \times {_p(v['g'])} \\ &= {v['c']:.3f} \end{{aligned}}",
            rf"\boxed{{4}}\; o_t = \sigma(W_o {hx} + b_o) = {v['o']:.3f}",
            rf"\begin{{aligned}} \boxed{{5}}\; h_t &= o_t \tanh(c_t) \\ &= {_p(v['o'])} \times "
            rf"\tanh({v['c']:.3f}) \\ &= {v['h']:.3f} \end{{aligned}}",
        ]
    if trace.kind == "gru":
        return [
            rf"r_t = \sigma(W_r {hx} + b_r) = {v['r']:.3f}",
            rf"z_t = \sigma(W_z {hx} + b_z) = {v['z']:.3f}",
            rf"\begin{{aligned}} n_t &= \tanh(W_{{in}} x_t + b_{{in}} + r_t (W_{{hn}} h_{{t-1}} + b_{{hn}})) \\ "
            rf"&= {v['n']:.3f} \end{{aligned}}",
            rf"\begin{{aligned}} h_t &= (1 - z_t)\,n_t + z_t\,h_{{t-1}} \\ &= {_p(1 - v['z'])} \times "
            rf"{_p(v['n'])} + {_p(v['z'])} \times {_p(h_prev)} \\ &= {v['h']:.3f} \end{{aligned}}",
        ]
    return [rf"h_t = \tanh(W_{{ih}} x_t + W_{{hh}} h_{{t-1}} + b) = {v['h']:.3f}"]


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
