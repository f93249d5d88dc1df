"""Payload of the browser text view: the typed text, every gate and state of every unit at every character,
the model's top guesses for the next character, and the connectivity of the first characters, packed as one
binary frame small enough to send once and switch units in the browser.

Layer: figures (data in, a dict of arrays or bytes out). Imports NumPy, the standard library and the figures'
core (for its colour scales): no streamlit; lstm_viz/ui/textview mounts the view.

Shapes: T characters, H units, k guesses, C = min(T, CONNECTIVITY_STEPS) characters with connectivity.
A row t holds the values after reading character t; guesses at t are for character t + 1.
    text            str      the T characters
    vocabulary      str      the model's characters, index order (the guesses index it)
    i, f, o         (T, H)   uint8    round(255 v): gates in [0, 1], error <= 1/510
    g, h            (T, H)   float16  in [-1, 1]: error <= 2^-12 (half a float16 step below 1)
    c               (T, H)   float16  error <= 2^-11 |c|
    c_scale         H floats the colour scale of unit u's c runs from -c_scale[u] to +c_scale[u] (its largest
                             |c| on this text, rounded up to 0.1, at least 1); h's runs from -1 to 1
    guess_ids       (T, k)   uint8    vocabulary indices of the k likeliest next characters, likeliest first
    guess_p         (T, k)   float16  their probabilities
    conn            (C, C)   uint8    ||dh_t/dx_s|| on a log scale: 0 where s > t or the value is at or below
                                      10^lo, else 1 + round(254 (log10 v - lo) / (hi - lo)); absent if not given
    scales          the colour scales of lstm_viz.figures._plot as plotly stops: signed (diverging, for g, c,
                             h) and sequential (for the gates and the connectivity)
    conn_range      [lo, hi] log10 of the scale's ends: hi = log10 of the largest value, lo = hi - DECADES
The frame (`pack`): MAGIC, the header's length n (uint32, little-endian), n bytes of header: JSON (everything
but the arrays, and arrays[name] = {"dtype": "u1" | "f2", "shape": [...], "offset": bytes into the body})
padded with zero bytes so the body starts on a multiple of 8, then the body, each array little-endian and
row-major at its offset.
At T = 500, H = 128: 3 x 64 kB of gates, 3 x 128 kB of g, h, c, 40 kB of connectivity: about 0.63 MB.
"""
from __future__ import annotations

import hashlib
import json
import struct

import numpy as np

from ._plot import DIVERGING, SCALES, SEQUENTIAL

MAGIC = b"LVT1"
CONNECTIVITY_STEPS = 200        # connectivity is computed for the first 200 characters (its cost grows as T^2)
DECADES = 6.0                   # the connectivity scale spans this many powers of ten below its largest value
GATES = ("i", "f", "o")         # in [0, 1]: uint8
SIGNED = ("g", "c", "h")        # float16
DTYPES = {"u1": np.dtype("u1"), "f2": np.dtype("<f2")}


def text_view_data(text: str, trace, guesses, vocabulary: str, connectivity=None, title: str = "") -> dict:
    """The view's payload: {"header": JSON-able dict, "arrays": name -> quantised numpy array}.

    trace: an unbatched LSTM trace of the text (fields (T, H)); guesses: (ids (T, k), probabilities (T, k)),
    lstm_viz.units.top_guesses; connectivity: (C, C) influence.connectivity of the first C characters, or None.
    """
    T, H = np.shape(trace.h)
    if getattr(trace, "kind", "lstm") != "lstm":
        raise ValueError("The text view draws an LSTM's gates; this trace is not an LSTM's.")
    if len(text) != T:
        raise ValueError(f"The text has {len(text)} characters; the trace has {T} steps.")
    ids, p = (np.asarray(a) for a in guesses)
    if ids.shape[0] != T or ids.shape != p.shape or len(vocabulary) > 256:
        raise ValueError(f"guesses must be two (T, k) arrays with T = {T} over at most 256 characters.")
    arrays = {q: quantise_gate(getattr(trace, q)) for q in GATES}
    arrays.update({q: np.asarray(getattr(trace, q), "<f2") for q in SIGNED})
    arrays["guess_ids"], arrays["guess_p"] = ids.astype("u1"), p.astype("<f2")
    c_scale = np.maximum(1.0, np.ceil(np.abs(np.asarray(trace.c)).max(0) * 10) / 10)     # (H,)
    header = {"v": 1, "T": int(T), "H": int(H), "k": int(ids.shape[1]), "text": text, "vocabulary": vocabulary,
              "title": str(title), "c_scale": [float(v) for v in c_scale], "conn_steps": 0,
              "scales": {"signed": SCALES[DIVERGING], "sequential": SCALES[SEQUENTIAL]}}
    if connectivity is not None:
        C = np.asarray(connectivity, float)
        if C.ndim != 2 or C.shape[0] != C.shape[1] or C.shape[0] > T:
            raise ValueError(f"connectivity must be (C, C) with C <= {T}; got {C.shape}.")
        arrays["conn"], (lo, hi) = quantise_log(C)
        header.update(conn_steps=int(C.shape[0]), conn_range=[lo, hi])
    return {"header": header, "arrays": arrays}


def quantise_gate(a) -> np.ndarray:
    """Values in [0, 1] as uint8: round(255 v)."""
    return np.round(np.clip(np.asarray(a, float), 0, 1) * 255).astype("u1")


def quantise_log(C: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    """(codes (C, C) uint8, (lo, hi)): 0 above the diagonal and at or below 10^lo, else 1..255 on log10."""
    low = np.tril(np.ones(C.shape, bool))                                # (C, C) s <= t
    positive = low & (C > 0)
    hi = float(np.log10(C[positive].max())) if positive.any() else 0.0
    lo = hi - DECADES
    logs = np.log10(np.where(positive, C, 1.0))                          # (C, C)
    codes = 1 + np.round(254 * (np.clip(logs, lo, hi) - lo) / DECADES)
    return np.where(positive & (logs > lo), codes, 0).astype("u1"), (lo, hi)


def values(data: dict, name: str) -> np.ndarray:
    """An array of the payload as the browser reads it back: gates / 255, float16 as floats, connectivity
    as ||dh_t/dx_s|| (0 where the code is 0)."""
    a = data["arrays"][name]
    if name in GATES:
        return a / 255.0
    if name == "conn":
        lo, hi = data["header"]["conn_range"]
        return np.where(a > 0, 10 ** (lo + (a.astype(float) - 1) / 254 * (hi - lo)), 0.0)
    return a.astype(float)


def pack(data: dict, **extra) -> bytes:
    """The payload as one binary frame (see the module's docstring), with `extra` added to its header (the
    ui's mount key); a digest of the arrays and the text lands in the header."""
    header = dict(data["header"], **extra, arrays={})
    body, offset = [], 0
    for name, a in data["arrays"].items():
        code = next(k for k, d in DTYPES.items() if d == a.dtype.newbyteorder("<"))
        raw = np.ascontiguousarray(a, DTYPES[code]).tobytes()
        header["arrays"][name] = {"dtype": code, "shape": list(a.shape), "offset": offset}
        pad = -len(raw) % 8
        body.append(raw + b"\0" * pad)
        offset += len(raw) + pad
    blob = b"".join(body)
    header["digest"] = hashlib.sha1(blob + data["header"]["text"].encode()).hexdigest()[:16]
    head = json.dumps(header, separators=(",", ":"), ensure_ascii=True).encode()
    head += b"\0" * (-(8 + len(head)) % 8)                              # the body starts on 8 bytes
    return struct.pack("<4sI", MAGIC, len(head)) + head + blob


def unpack(raw: bytes) -> dict:
    """What `pack` wrote: {"header": ..., "arrays": name -> numpy array} (digest left in the header)."""
    magic, n = struct.unpack_from("<4sI", raw) if len(raw) >= 8 else (b"", 0)
    if magic != MAGIC:
        raise ValueError("Not a text view frame.")
    header, body = json.loads(raw[8:8 + n].rstrip(b"\0")), raw[8 + n:]
    arrays = {}
    for name, ref in header.pop("arrays").items():
        dt = DTYPES[ref["dtype"]]
        count = int(np.prod(ref["shape"]))
        arrays[name] = np.frombuffer(body, dt, count, ref["offset"]).reshape(ref["shape"])
    return {"header": header, "arrays": arrays}
