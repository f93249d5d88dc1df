"""Payload of the browser cell view: one layer's whole trace, every step and unit, as compact JSON.

Layer: figures (data in, a JSON-able dict out). Imports NumPy and the standard library only: no
streamlit, no plotly; lstm_viz/ui/cellview mounts the view and builds the offline file from this dict.

Shapes: T steps, H hidden units, D input size. Every array travels as base64 of little-endian float32,
row-major, so a (T, H) field is T*H*4 bytes before base64 (4/3 after): at the limits (500 steps, 128
units, an LSTM's 7 fields and 4 pre-activations) about 3.8 MB of text; at defaults (24 steps, 8 units) 11 KB.

    kind           'lstm' | 'gru' | 'rnn'
    T, H, D        sizes
    fields[q]      (T, H) what the cell computed at step t: LSTM i f g o c tanh_c h; GRU r z n hn h; RNN h
    pre[q]         (T, H) what each nonlinearity read (model.preactivations): LSTM i f g o, GRU r z n, RNN h
    h0, c0         (H,)   the states before step 0 (c0 for the LSTM only)
    x              (T,)   the input value per step when D == 1 and the input is numbers, else absent
    labels         T strings: what x_t was, as the sidebar prints it (a character in text mode)
    rows           the table's rows, in gate order then the states: LSTM i f g o c h; GRU r z n h; RNN h
    signed_range   S: the diverging scale runs from -S to S (1, or the largest |c| rounded up to 0.1)
    layer, layers  which layer of a stack this is (0 = bottom) and how many there are
    title          one line naming the model
    digest         16 hex digits of a hash of every number and label: tells payloads apart cheaply (caches)

The browser formats and colours these numbers; it computes nothing else (the reading sentence
multiplies two of them, f * c_{t-1} and i * g, as the sentence says it does).
"""
from __future__ import annotations

import base64
import hashlib
import json

import numpy as np

from ._plot import signed_range

KINDS = {  # kind -> (fields, pre-activations, table rows)
    "lstm": (("i", "f", "g", "o", "c", "tanh_c", "h"), ("i", "f", "g", "o"), ("i", "f", "g", "o", "c", "h")),
    "gru": (("r", "z", "n", "hn", "h"), ("r", "z", "n"), ("r", "z", "n", "h")),
    "rnn": (("h",), ("h",), ("h",)),
}


def encode(a) -> str:
    """base64 of the array as little-endian float32, row-major."""
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode("ascii")


def decode(text: str, shape=None) -> np.ndarray:
    """The float32 array `encode` wrote (flat, or in `shape`)."""
    a = np.frombuffer(base64.b64decode(text), dtype="<f4")
    return a if shape is None else a.reshape(shape)


def cell_view_data(trace, preactivations: dict, labels=None, *, title: str = "", layer: int = 0,
                   layers: int = 1, text_mode: bool = False) -> dict:
    """The JSON-able payload of the cell view for one unbatched layer trace (fields (T, H)).

    preactivations: model.preactivations(trace), gate -> (T, H). labels: T strings for x_t (the
    sequence's labels); numbers are printed when None. text_mode: the input is one-hot characters, so
    no x value colours the input line.
    """
    kind = trace.kind
    if kind not in KINDS:
        raise ValueError(f"The cell view draws an LSTM, a GRU or an RNN; this trace is a {kind!r}.")
    if getattr(trace, "batched", False):
        raise ValueError("The cell view shows one sequence: pass an unbatched trace (fields of shape (T, H)).")
    fields, pre, rows = KINDS[kind]
    T, H = trace.h.shape
    x = np.asarray(trace.x, dtype=np.float64).reshape(T, -1)                # (T, D)
    D = x.shape[1]
    if labels is None:
        labels = [", ".join(f"{v:.4g}" for v in row) for row in x]
    labels = [str(s) for s in labels]
    if len(labels) != T:
        raise ValueError(f"labels has {len(labels)} entries; the trace has {T} steps.")
    variant = getattr(trace, "variant", "lstm")
    nonlinearity = getattr(trace, "nonlinearity", "tanh")
    removed = {"nig": "i", "nfg": "f", "nog": "o", "cifg": "f"}.get(variant)     # a gate with no weights
    missing = [q for q in pre if q not in preactivations and q != removed]
    if missing:
        raise ValueError(f"preactivations lacks {missing}; pass model.preactivations(trace).")
    # a removed gate read nothing: NaN, which the view prints as the variant's rule (f = 1, f = 1 - i)
    preactivations = {q: preactivations.get(q, np.full((T, H), np.nan)) for q in pre}
    for q in pre:
        if np.shape(preactivations[q]) != (T, H):
            raise ValueError(f"preactivations[{q!r}] has shape {np.shape(preactivations[q])}; expected ({T}, {H}).")
    data = {
        "v": 1, "kind": kind, "T": int(T), "H": int(H), "D": int(D),
        "fields": {q: encode(getattr(trace, q)) for q in fields},           # (T, H) each
        "pre": {q: encode(preactivations[q]) for q in pre},                 # (T, H) each
        "h0": encode(trace.h0),                                             # (H,)
        "labels": labels, "rows": list(rows), "signed_range": signed_range(trace),
        "layer": int(layer), "layers": int(layers), "title": str(title),
        "variant": variant, "nonlinearity": nonlinearity,
    }
    if kind == "lstm":
        data["c0"] = encode(trace.c0)                                       # (H,)
    if D == 1 and not text_mode:
        data["x"] = encode(x[:, 0])                                         # (T,)
    data["digest"] = hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
    return data
