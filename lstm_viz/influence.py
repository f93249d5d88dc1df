"""How strongly a cell's hidden state depends on each earlier input, and what changing one input changes.

Layer: engine. Imports NumPy and .cells only.

Shapes: T steps, D input size, H hidden size, G gates (LSTM 4, GRU 3, RNN 1), S state size (LSTM 2H for
(c, h); GRU and RNN H), r = rank of W_ih, k = min(r, S) tangent rows per source step, N rows in flight.

    connectivity[t, s] = || dh_t / dx_s ||_F  for s <= t, 0 above the diagonal    (Madsen 2019)

Forward mode, every source at once. Write the state's tangent as rows (one row per input direction):
    Y_s = K_s E            where E = rows of W_ih^T (D, GH) and K_s maps a pre-activation tangent to a
                           state tangent through step s's gates (the local derivatives, below)
    Y_t = Y_{t-1} A_t      for t > s, A_t = d state_t / d state_{t-1}  (S, S)
    connectivity[t, s] = || Y_t restricted to h ||_F
The norm is unchanged by any orthonormal mixing of the rows, so E can be Σ U^T from W_ih = U Σ V^T (r rows,
not D), and a source whose r rows outnumber S can be shrunk to S rows with the same Gram matrix (a QR).
Each step then multiplies all N = (t + 1) k rows of the sources s <= t in one product: T^2 k / 2 rows in
all (reverse mode would need H rows per end step and a readout through W_ih at every step: costlier).

Local rules, with every gate matrix folded into one per-step matrix so a step is one product:
LSTM  (ki, kf, kg, ko) = (g i(1-i), c_{t-1} f(1-f), i(1-g^2), tanh(c) o(1-o)),  odc = o (1 - tanh^2 c)
    dc_t = f * dc_{t-1} + dh_{t-1} C_t,   C_t = (ki W_hi + kf W_hf + kg W_hg)^T      rows scaled per unit
    dh_t = odc * dc_t + dh_{t-1} O_t,     O_t = (ko W_ho)^T
GRU   (kr, kz, kn) = (hn r(1-r), (h_{t-1} - n) z(1-z), (1-z)(1-n^2))
    dh_t = dh_{t-1} M_t,   M_t = diag(z) + (kz W_hz + kn r W_hn + kn kr W_hr)^T
RNN   dh_t = dh_{t-1} (d W_hh)^T,  d = 1 - h_t^2
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cells import GRU, LSTM, RNN

_ROWS = 1024  # tangent rows per block of a step: (rows, H) float32 blocks stay in the L2 cache


def connectivity(model, x, dtype=np.float32) -> np.ndarray:
    """(T, T) array, [t, s] = Frobenius norm of dh_t/dx_s for s <= t, 0 above the diagonal.

    model: an LSTM, GRU or RNN; x (T, D), or (T,) when D = 1: one sequence, read from zero states.
    dtype: precision of the tangents; float32 (the default) is about twice as fast as float64 and agrees
    with it within 1e-5 of each row's largest value (the tests' bound; about 1e-7 on the char_lstm preset).
    Cost: T^2 k / 2 tangent rows of H numbers; at T = 200, H = 128 about 1.8 s for an LSTM with D = 97 and
    0.6 s with D = 32 (benchmarks/bench_text.py).
    """
    if not isinstance(model, (LSTM, GRU, RNN)):
        raise ValueError("connectivity reads one LSTM, GRU or RNN layer; for a stack, pass one of its layers "
                         "and that layer's input.")
    tr = model.forward(x)
    if tr.batched:
        raise ValueError(f"connectivity reads one sequence (T, D); got a batch of shape {np.shape(x)}.")
    T = tr.h.shape[0]
    U, sv, _ = np.linalg.svd(model.weight_ih, full_matrices=False)   # (GH, m), (m,)
    keep = sv > sv.max(initial=0.0) * 1e-12 * max(model.weight_ih.shape)
    if not keep.any():
        return np.zeros((T, T))                                        # W_ih = 0: no input reaches h
    E = (U[:, keep] * sv[keep]).T                                      # (r, GH) input directions
    seeds, step = {"lstm": _lstm, "gru": _gru, "rnn": _rnn}[model.kind](model, tr, E, np.dtype(dtype))
    if seeds.shape[1] > seeds.shape[2]:
        seeds = np.linalg.qr(seeds, mode="r")                          # (T, S, S): the same Gram matrix
    return _propagate(seeds.astype(dtype), step, model.hidden_size, model.kind == "lstm")


def _propagate(seeds: np.ndarray, step, H: int, lstm: bool) -> np.ndarray:
    """Carry every source's tangent rows forward, adding source t's rows at step t; norms of the h part."""
    T, k, S = seeds.shape
    dtype = seeds.dtype
    out = np.zeros((T, T))                                             # (T, T)
    Yh = np.empty((T * k, H), dtype)                                   # (Tk, H) dh rows of sources s <= t
    Yc = np.empty((T * k, H), dtype) if lstm else None                 # (Tk, H) dc rows (LSTM)
    sq = np.empty(T * k, dtype)                                        # (Tk,) squared norm of each dh row
    buf = np.empty((min(_ROWS, T * k), 2 * H if lstm else H), dtype)   # (rows, .) one block's product
    mul, add, mm = np.multiply, np.add, np.matmul
    for t in range(T):
        n = t * k
        if n and lstm:
            W, f, odc = step(t)                                        # (H, 2H), (H,), (H,)
            for a in range(0, n, _ROWS):
                b = min(n, a + _ROWS)
                p, dc, dh = buf[:b - a], Yc[a:b], Yh[a:b]
                mm(dh, W, out=p)                                       # [dh C_t, dh O_t]
                mul(dc, f, out=dc)
                add(dc, p[:, :H], out=dc)                              # dc_t = f dc_{t-1} + dh_{t-1} C_t
                mul(dc, odc, out=dh)
                add(dh, p[:, H:], out=dh)                              # dh_t = odc dc_t + dh_{t-1} O_t
        elif n:
            M = step(t)                                                # (H, H)
            for a in range(0, n, _ROWS):
                b = min(n, a + _ROWS)
                mm(Yh[a:b], M, out=buf[:b - a])
                Yh[a:b] = buf[:b - a]
        Yh[n:n + k] = seeds[t, :, S - H:]
        if lstm:
            Yc[n:n + k] = seeds[t, :, :H]
        h = Yh[:n + k]
        np.einsum("ij,ij->i", h, h, out=sq[:n + k])
        out[t, :t + 1] = np.sqrt(sq[:n + k].reshape(t + 1, k).sum(1, dtype=np.float64))
    return out


def _lstm(model, tr, E, dtype):
    """Seeds (T, r, 2H) as [dc, dh], and step(t) -> (W (H, 2H) = [C_t | O_t], f_t, odc_t)."""
    H = model.hidden_size
    i, f, g, o, c, tc = (np.asarray(getattr(tr, k)) for k in ("i", "f", "g", "o", "c", "tanh_c"))  # (T, H)
    cprev = np.vstack([tr.c0[None], c[:-1]])                           # (T, H) c_{t-1}
    ki, kf, kg, ko = g * i * (1 - i), cprev * f * (1 - f), i * (1 - g * g), tc * o * (1 - o)  # (T, H)
    odc = o * (1 - tc * tc)                                            # (T, H) dh_t/dc_t
    Ei, Ef, Eg, Eo = np.split(E, 4, axis=1)                            # (r, H) each
    dc = ki[:, None] * Ei + kf[:, None] * Ef + kg[:, None] * Eg        # (T, r, H)
    seeds = np.concatenate([dc, odc[:, None] * dc + ko[:, None] * Eo], axis=-1)  # (T, r, 2H)
    Wi, Wf, Wg, Wo = (w.T.astype(dtype) for w in np.split(model.weight_hh, 4))  # (H, H) each: W_h?^T
    ks = [a.astype(dtype) for a in (ki, kf, kg, ko, f, odc)]
    W = np.empty((H, 2 * H), dtype)                                    # (H, 2H) reused every step

    def step(t):
        ki_t, kf_t, kg_t, ko_t, f_t, odc_t = (a[t] for a in ks)
        np.multiply(Wi, ki_t, out=W[:, :H])                            # column j scaled by unit j's factor
        W[:, :H] += Wf * kf_t
        W[:, :H] += Wg * kg_t
        np.multiply(Wo, ko_t, out=W[:, H:])
        return W, f_t, odc_t
    return seeds, step


def _gru(model, tr, E, dtype):
    """Seeds (T, r, H) and step(t) -> M_t (H, H)."""
    r, z, n, hn, h = (np.asarray(getattr(tr, k)) for k in ("r", "z", "n", "hn", "h"))  # (T, H)
    hprev = np.vstack([tr.h0[None], h[:-1]])                           # (T, H) h_{t-1}
    kr, kz, kn = hn * r * (1 - r), (hprev - n) * z * (1 - z), (1 - z) * (1 - n * n)  # (T, H)
    Er, Ez, En = np.split(E, 3, axis=1)                                # (r, H) each
    seeds = kz[:, None] * Ez + kn[:, None] * (En + kr[:, None] * Er)   # (T, r, H)
    Wr, Wz, Wn = (w.T for w in np.split(model.weight_hh, 3))           # (H, H) each
    diag = np.arange(model.hidden_size)

    def step(t):
        M = Wz * kz[t] + Wn * (kn[t] * r[t]) + Wr * (kn[t] * kr[t])    # (H, H)
        M[diag, diag] += z[t]                                          # the z * h_{t-1} path
        return M.astype(dtype)
    return seeds, step


def _rnn(model, tr, E, dtype):
    """Seeds (T, r, H) and step(t) -> M_t (H, H)."""
    d = 1 - np.asarray(tr.h) ** 2                                      # (T, H) tanh'
    Wt = model.weight_hh.T                                             # (H, H)
    return d[:, None] * E[None], lambda t: (Wt * d[t]).astype(dtype)


# ---------------------------------------------------------------------------------------------
# counterfactual


@dataclass(frozen=True, eq=False)
class Counterfactual:
    """Two runs of one model, on x and on x with some inputs changed, and what differs step by step."""

    changed: np.ndarray           # (T,) bool: steps whose input differs
    before: object                # trace on x
    after: object                 # trace on the changed x
    delta: dict                   # name -> (T, H) after - before: each gate in the cell's order, then c, h

    @property
    def first(self) -> int | None:
        """The first step whose input changed, or None if none did."""
        steps = np.flatnonzero(self.changed)
        return int(steps[0]) if steps.size else None


def counterfactual(model, x, x_changed) -> Counterfactual:
    """Run model on x and on x_changed (same shape, (T, D) or (T,)) from zero states and subtract.

    Nothing before the first changed step can differ; where the difference lives on afterwards, and in
    which units, is the picture.
    """
    if not isinstance(model, (LSTM, GRU, RNN)):
        raise ValueError("counterfactual reads one LSTM, GRU or RNN layer.")
    a, b = np.asarray(x, float), np.asarray(x_changed, float)
    if a.shape != b.shape:
        raise ValueError(f"The changed sequence has shape {b.shape}; it must match the original's {a.shape}.")
    before, after = model.forward(a), model.forward(b)
    if before.batched:
        raise ValueError(f"counterfactual reads one sequence (T, D); got a batch of shape {a.shape}.")
    names = [*model.gate_names, *(["c"] if model.kind == "lstm" else []), "h"]
    delta = {k: np.asarray(getattr(after, k)) - np.asarray(getattr(before, k)) for k in names}
    changed = np.any((a != b).reshape(len(a), -1), axis=1)             # (T,)
    return Counterfactual(changed, before, after, delta)
