"""How the gradient of a loss at the last step flows back through time, for LSTM, GRU and RNN.

Shapes: T steps, H hidden, K = H + 1 backward directions. Index k counts steps back from the end,
k = T - 1 - t, so k = 0 is the last step.

The loss is L = u . h_T for a unit vector u (a fixed random projection, or the dL/dh_T you give).
One backward pass carries K directions at once: u itself, and the H unit vectors e_j, whose
gradients dL_j/dh_t = e_j^T dh_T/dh_t are the rows of the Jacobian J_t = dh_T/dh_t. So the
Jacobian norms for every t cost one backward pass, not T (or T*H) of them.

For an LSTM the state is (h_t, c_t); J_t holds c_t fixed, and dL/dc_t is reported beside it.
dL/dc_t obeys
    dL/dc_t = dL/dh_t * o_t * (1 - tanh^2 c_t) + dL/dc_{t+1} * f_{t+1}
so the part of dL/dc_T that rides the cell line untouched to step t is
    cell_path_t = dL/dc_T * prod_{s=t+1..T} f_s             (the "carousel": no weight matrix, only f)
and the rest of dL/dc_t entered the cell line at a later step through h (hidden_path_t).
The product of forget gates is the honest version of "the cell state remembers": if the forget
gates close, the carousel empties just as an RNN's gradient vanishes.

For the RNN, dh_T/dh_t = prod (diag(1 - h_s^2) W_hh), so ||J_t|| <= sigma_max(W_hh)^k
(Pascanu, Mikolov & Bengio 2013): below sigma_max = 1 the gradient must vanish; above it may explode.
Layer: engine. Imports NumPy and limits only.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import limits


@dataclass(frozen=True, eq=False)
class Flow:
    """Per-step gradient measurements, every array indexed by steps back k (0 = last step)."""

    kind: str                       # 'lstm', 'gru' or 'rnn'
    steps_back: np.ndarray          # (T,) k = 0 .. T-1
    grad_h: np.ndarray              # (T,) ||dL/dh_t||
    grad_c: np.ndarray | None       # (T,) ||dL/dc_t||, LSTM only
    jac_fro: np.ndarray | None      # (T,) ||dh_T/dh_t|| Frobenius (None when jacobian=False)
    jac_spec: np.ndarray | None     # (T,) ||dh_T/dh_t|| largest singular value
    forget_product: np.ndarray | None  # (T, H) prod of f (LSTM) or z (GRU) over steps t+1..T
    forget_product_mean: np.ndarray | None  # (T,) its mean over units
    cell_path: np.ndarray | None    # (T,) ||dL/dc_T * prod f||, LSTM only
    hidden_path: np.ndarray | None  # (T,) ||dL/dc_t - that||, LSTM only
    sigma_max: float                # largest singular value of W_hh (the whole (G*H, H) matrix)
    pascanu_bound: np.ndarray | None  # (T,) sigma_max ** k, RNN only: bound on jac_spec
    clip_scale: float               # 1.0, or the factor gradient clipping applied to every norm
    trace: object                   # the forward trace the gradients came from

    def retained(self, k: int) -> float:
        """||dL/dh_t|| k steps back as a fraction of its value at the last step."""
        return float(self.grad_h[k] / self.grad_h[0]) if self.grad_h[0] > 0 else 0.0


def unit_projection(hidden_size: int, seed: int = 0) -> np.ndarray:
    """The default dL/dh_T: a fixed random unit vector, (H,)."""
    u = np.random.default_rng(seed).normal(size=hidden_size)
    return u / np.linalg.norm(u)


def jacobian_norms(J: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Frobenius and spectral norms of each J_t (T, H, H), the rows of dh_T/dh_t."""
    fro = np.linalg.norm(J, axis=(1, 2))                              # (T,)
    # ||J_t||_2 = sqrt of the largest eigenvalue of J_t J_t^T: a symmetric eigensolve is several times
    # faster than an SVD at T = 500, H = 128; J_t is scaled to unit Frobenius norm first so a vanished
    # Jacobian (1e-200) does not underflow when squared
    Jn = J / np.where(fro > 0, fro, 1.0)[:, None, None]               # (T, H, H)
    top = np.linalg.eigvalsh(Jn @ Jn.transpose(0, 2, 1))[:, -1]       # (T,)
    return fro, fro * np.sqrt(np.clip(top, 0.0, 1.0))


def _checked(model, tr, dh_T, seed: int, clip) -> np.ndarray:
    """dL/dh_T (H,) after checking what gradient_flow was given."""
    if tr.batched:
        raise ValueError("Gradient flow takes one sequence, shaped (T, D), not a batch.")
    H = model.hidden_size
    limits.check(steps=tr.h.shape[0], hidden_size=H)
    u = unit_projection(H, seed) if dh_T is None else np.asarray(dh_T, dtype=model.dtype)
    if u.shape != (H,) or not np.all(np.isfinite(u)):
        raise ValueError(f"dh_T must be {H} finite numbers, the size of the hidden state.")
    if clip is not None and not clip > 0:
        raise ValueError("clip must be a positive number, or None for no clipping.")
    return u


def gradient_flow(model, x, dh_T=None, seed: int = 0, clip: float | None = None, jacobian: bool = True,
                  clamp: dict | None = None) -> Flow:
    """Gradient flow for a single-layer LSTM, GRU or RNN on one sequence x (T, D) or (T,) for D = 1.

    dh_T (H,) is dL/dh_T (default: unit_projection(H, seed)). clip, if given, rescales every
    reported norm so the largest ||dL/dh_t|| is at most clip, as norm clipping would: it caps an
    explosion but cannot bring back a gradient that has vanished (the ratios stay the same).
    jacobian=False skips the H extra directions and the norms of dh_T/dh_t (seconds at T = 500,
    H = 128; the rest takes milliseconds). clamp pins an LSTM's gates, as LSTM.forward does.
    """
    if getattr(model, "layers", None) is not None:
        raise ValueError("Gradient flow takes one layer; pass stack.layers[k] for the layer you want.")
    H = model.hidden_size
    tr = model.forward(x) if clamp is None else model.forward(x, clamp=clamp)
    u = _checked(model, tr, dh_T, seed, clip)
    T = tr.h.shape[0]

    K = H + 1 if jacobian else 1
    dh = np.zeros((T, K, H), model.dtype)                         # (T, K, H)
    dh[-1, 0] = u
    dh[-1, 1:] = np.eye(H, dtype=model.dtype)[:K - 1]
    steps = model.bptt(tr, dh)                                    # every step's gradients, K directions
    dh_tot = steps.h                                              # (T, K, H) dL/dh_t per direction
    back = slice(None, None, -1)                                  # t -> k = T-1-t
    grad_h = np.linalg.norm(dh_tot[back, 0], axis=-1)             # (T,)
    jac_fro, jac_spec = jacobian_norms(dh_tot[back, 1:]) if jacobian else (None, None)
    sigma_max = float(np.linalg.svd(model.weight_hh, compute_uv=False)[0])

    grad_c = cell_path = hidden_path = fp = fp_mean = bound = None
    if model.kind in ("lstm", "gru"):
        keep = tr.f if model.kind == "lstm" else tr.z            # (T, H) gate on the direct path
        # prod_{s=t+1}^{T-1} keep_s for each t, empty product (= 1) at the last step
        fp = np.cumprod(np.vstack([np.ones((1, H), keep.dtype), keep[:0:-1]]), axis=0)  # (T, H) by k
        fp_mean = fp.mean(axis=1)
    if model.kind == "lstm":
        dc = steps.c[back, 0]                                     # (T, H) dL/dc_t by k
        grad_c = np.linalg.norm(dc, axis=-1)
        carried = dc[0] * fp                                      # (T, H) dL/dc_T * prod f
        cell_path = np.linalg.norm(carried, axis=-1)
        hidden_path = np.linalg.norm(dc - carried, axis=-1)
    if model.kind == "rnn":
        # sigma_max ** k, held at the largest float where it would overflow (sigma 9, k 499 is 1e476)
        with np.errstate(over="ignore"):
            bound = np.minimum(sigma_max ** np.arange(T, dtype=np.float64), np.finfo(np.float64).max)

    scale = 1.0 if clip is None or grad_h.max() <= clip else float(clip / grad_h.max())
    sc = (lambda a: None if a is None else a * scale)  # noqa: E731
    return Flow(kind=model.kind, steps_back=np.arange(T), grad_h=grad_h * scale, grad_c=sc(grad_c),
                jac_fro=jac_fro, jac_spec=jac_spec, forget_product=fp, forget_product_mean=fp_mean,
                cell_path=sc(cell_path), hidden_path=sc(hidden_path), sigma_max=sigma_max,
                pascanu_bound=bound, clip_scale=scale, trace=tr)
