"""Recurrent cells in PyTorch's layout, with full traces and exact backprop through time.

Shapes: T steps, B batch, D input size, H hidden size, G gates per cell (LSTM 4, GRU 3, RNN 1).
Arrays are time-major, (T, B, .); unbatched input (T, D) gives unbatched traces (T, H).

LSTM, gate order i, f, g, o (torch.nn.LSTM):
    z_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh            (B, 4H)
    i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o)     input, forget, output gates
    g = tanh(z_g)                                         candidate memory
    c_t = f * c_{t-1} + i * g                             long-term memory (cell state)
    h_t = o * tanh(c_t)                                   short-term memory (hidden state)
  Variants (Greff et al. 2017, LSTM_VARIANTS) each change one line; p = weight_peep (3, H):
    peephole  z_i += p_i * c_{t-1},  z_f += p_f * c_{t-1},  z_o += p_o * c_t   (o waits for c_t)
    nig i = 1;  nfg f = 1;  nog o = 1;  niaf g = z_g;  noaf h_t = o * c_t;  cifg f = 1 - i
  A clamp pins gates to given values after the variant's rule (i first, so under cifg f = 1 - pinned i);
  backward treats a pinned gate as a constant: no gradient reaches its pre-activation there.
GRU, gate order r, z, n (torch.nn.GRU):
    r = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)     reset gate
    z = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)     update gate (1 keeps the old state)
    n = tanh(W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn))  candidate
    h_t = (1 - z) * n + z * h_{t-1}
RNN (torch.nn.RNN, nonlinearity tanh or relu):
    h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)      or max(0, .) for relu

sigmoid(z) is computed as (1 + tanh(z / 2)) / 2: no overflow for any finite z, and halving is
exact in binary floating point, so the sigmoid rows of the weights are pre-halved once and a
single tanh per step serves every gate. A gate a variant removes is pinned at 1 by the same affine
step, tanh(z) * 0 + 1, so it costs nothing.

Each forward rule sits next to its backward rule. Backward is a function of the trace only:
it never recomputes the forward pass.
Layer: engine. Imports NumPy only.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np

_CHUNK = 8192  # elements per (steps, B, H) block of backward's local derivatives: fits in L2 cache
_FOLD = 1 << 16  # 4 K H^2 / G up to which backward adds dh[t] inside its product (saved call > flops)

LSTM_GATES = ("i", "f", "g", "o")  # PyTorch's order; the one place it is written down
GRU_GATES = ("r", "z", "n")
LSTM_VARIANTS = (  # Greff et al. 2017, "LSTM: A Search Space Odyssey": (name, what it changes)
    ("lstm", "PyTorch's LSTM: input, forget and output gates, no peepholes"),
    ("peephole", "peepholes (Gers & Schmidhuber 2000): i and f also see c_{t-1}, o sees c_t"),
    ("nig", "no input gate: i = 1, every candidate is written in full"),
    ("nfg", "no forget gate: f = 1, the cell state keeps everything it is given"),
    ("nog", "no output gate: o = 1, so h = tanh(c)"),
    ("niaf", "no input activation: the candidate g is its pre-activation, not squashed by tanh"),
    ("noaf", "no output activation: h = o * c, the cell state is not squashed by tanh"),
    ("cifg", "coupled input and forget gate: f = 1 - i, writing and forgetting go together"),
)
VARIANT_NAMES = tuple(name for name, _ in LSTM_VARIANTS)
RNN_NONLINEARITIES = ("tanh", "relu")  # torch.nn.RNN's choices
_UNUSED = {"nig": "i", "nfg": "f", "nog": "o", "cifg": "f"}  # the gate whose weights a variant never reads


# ---------------------------------------------------------------------------------------------
# traces and gradients


@dataclass(frozen=True, eq=False)
class LSTMTrace:
    """Everything an LSTM forward pass computed; each state field is (T, H) or (T, B, H)."""

    x: np.ndarray       # (T, D) or (T, B, D), as given
    h0: np.ndarray      # (H,) or (B, H)
    c0: np.ndarray
    i: np.ndarray       # input gate
    f: np.ndarray       # forget gate
    g: np.ndarray       # candidate
    o: np.ndarray       # output gate
    c: np.ndarray       # cell state after step t
    tanh_c: np.ndarray  # tanh(c_t), box 5 of the diagram (c_t itself under "noaf")
    h: np.ndarray       # hidden state after step t
    batched: bool
    cache: dict = field(repr=False)  # the same arrays, always batched, for backward
    kind: str = "lstm"
    variant: str = "lstm"   # a name in VARIANT_NAMES
    clamp: dict = field(default_factory=dict)  # gate -> values shaped like h, NaN where free; pinned gates only


@dataclass(frozen=True, eq=False)
class GRUTrace:
    """Everything a GRU forward pass computed; each state field is (T, H) or (T, B, H)."""

    x: np.ndarray
    h0: np.ndarray
    r: np.ndarray       # reset gate
    z: np.ndarray       # update gate
    n: np.ndarray       # candidate
    hn: np.ndarray      # W_hn h_{t-1} + b_hn, the part the reset gate scales
    h: np.ndarray
    batched: bool
    cache: dict = field(repr=False)
    kind: str = "gru"


@dataclass(frozen=True, eq=False)
class RNNTrace:
    """Everything a vanilla-RNN forward pass computed; each field is (T, H) or (T, B, H)."""

    x: np.ndarray
    h0: np.ndarray
    a: np.ndarray       # pre-activation W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
    h: np.ndarray
    batched: bool
    cache: dict = field(repr=False)
    kind: str = "rnn"
    nonlinearity: str = "tanh"  # 'tanh' or 'relu'


@dataclass(frozen=True, eq=False)
class Grads:
    """Exact gradients of the loss, shaped like what they differentiate.

    h0 and c0 are shaped like the states that were passed in: a shared (H,) state of a batch gets
    the gradient summed over the batch. A state left at its default (zeros) is one per sequence:
    (H,) for one sequence, (B, H) for a batch.
    """

    weight_ih: np.ndarray  # (G*H, D)
    weight_hh: np.ndarray  # (G*H, H)
    bias_ih: np.ndarray    # (G*H,)
    bias_hh: np.ndarray    # (G*H,)
    x: np.ndarray          # (T, D) or (T, B, D)
    h0: np.ndarray         # (H,) or (B, H)
    c0: np.ndarray | None = None  # LSTM only
    weight_peep: np.ndarray | None = None  # (3, H) p_i, p_f, p_o; the peephole LSTM only


@dataclass(frozen=True, eq=False)
class StepGrads:
    """What backward through time computed for every step, in K directions at once (see bptt).

    Each field is dL/d(the quantity it is named after), one row per direction k.
    """

    pre_ih: np.ndarray            # (T, K, G*H) dL/d(W_ih x_t + b_ih), the cell's gate order
    pre_hh: np.ndarray            # (T, K, G*H) dL/d(W_hh h_{t-1} + b_hh); the same array but for the GRU
    h: np.ndarray                 # (T, K, H) dL/dh_t in total: dh[t] and all that comes back from later steps
    h0: np.ndarray                # (K, H) dL/dh_0
    c: np.ndarray | None = None   # (T, K, H) dL/dc_t in total (through h_t and c_{t+1}), LSTM only
    c0: np.ndarray | None = None  # (K, H) dL/dc_0, LSTM only


# ---------------------------------------------------------------------------------------------
# shared plumbing


def _array(a, dtype, what: str) -> np.ndarray:
    try:
        a = np.asarray(a, dtype=dtype)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{what} must be an array of real numbers.") from None
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{what} contains NaN or infinity; only finite numbers are accepted.")
    return a


def _input(x, D: int, dtype) -> tuple[np.ndarray, bool]:
    """x as (T, B, D) plus whether the caller passed a batch."""
    x = _array(x, dtype, "The input x")
    if x.ndim == 1 and D == 1:
        x = x[:, None]
    if x.ndim not in (2, 3) or x.shape[-1] != D or x.shape[0] < 1 or (x.ndim == 3 and x.shape[1] < 1):
        raise ValueError(f"The input x has shape {x.shape}; expected (T, {D}) or (T, B, {D}) with T >= 1.")
    return (x, True) if x.ndim == 3 else (x[:, None, :], False)


def _state(s, B: int, H: int, dtype, name: str) -> tuple[np.ndarray, bool]:
    """s as (B, H), plus whether one (H,) state was shared by the batch (its gradient is then summed)."""
    if s is None:
        return np.zeros((B, H), dtype), False
    s = _array(s, dtype, name)
    shared = s.shape == (H,)
    if shared:
        s = np.broadcast_to(s, (B, H))
    if s.shape != (B, H):
        raise ValueError(f"{name} has shape {s.shape}; expected ({H},) or ({B}, {H}).")
    return s, shared


def _unbatch(a: np.ndarray, batched: bool, axis: int = 1) -> np.ndarray:
    return a if batched else a.squeeze(axis)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """Overflow-free logistic function, the same formula the kernels use."""
    return 0.5 + 0.5 * np.tanh(0.5 * z)


def _relu(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.maximum(a, 0.0, out=out)


class _Cell:
    """Weights in PyTorch's layout plus what every cell shares. Weights are read-only copies."""

    kind = ""
    n_gates = 1
    gate_names: tuple[str, ...] = ()

    def __init__(self, weight_ih, weight_hh, bias_ih=None, bias_hh=None, dtype=np.float64):
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype {dtype} is not supported; use numpy.float64 or numpy.float32.")
        G = self.n_gates
        W_ih = _array(weight_ih, dtype, "weight_ih")
        W_hh = _array(weight_hh, dtype, "weight_hh")
        if W_hh.ndim != 2 or W_hh.shape[1] < 1 or W_hh.shape[0] != G * W_hh.shape[1]:
            raise ValueError(f"weight_hh has shape {W_hh.shape}; a {self.kind.upper()} expects ({G}*H, H).")
        H = W_hh.shape[1]
        if W_ih.ndim != 2 or W_ih.shape[0] != G * H or W_ih.shape[1] < 1:
            raise ValueError(f"weight_ih has shape {W_ih.shape}; expected ({G * H}, D) to match weight_hh.")
        b = []
        for name, v in (("bias_ih", bias_ih), ("bias_hh", bias_hh)):
            v = np.zeros(G * H, dtype) if v is None else _array(v, dtype, name)
            if v.shape != (G * H,):
                raise ValueError(f"{name} has shape {v.shape}; expected ({G * H},).")
            b.append(v)
        self.dtype = dtype
        self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh = (
            _frozen(a) for a in (W_ih, W_hh, *b))
        self.input_size, self.hidden_size = W_ih.shape[1], H
        self._prepare()

    def _prepare(self):
        """Precompute kernel-side weights (transposed, sigmoid rows halved)."""

    def _settings(self) -> dict:
        """Constructor keywords beyond the weights and dtype (the LSTM's variant, the RNN's nonlinearity)."""
        return {}

    @classmethod
    def random(cls, input_size: int, hidden_size: int, seed: int = 0, forget_bias: float = 1.0,
               weight_scale: float = 1.0, dtype=np.float64, **settings):
        """PyTorch's default init, U(-1/sqrt(H), 1/sqrt(H)), with every weight times weight_scale.

        forget_bias sets the total bias (b_ih + b_hh) of the gate that keeps memory: the LSTM's
        forget gate f, the GRU's update gate z. The RNN has no such gate and ignores it. settings go
        to the constructor (nonlinearity for the RNN).
        """
        input_size, hidden_size = int(input_size), int(hidden_size)
        if input_size < 1 or hidden_size < 1:
            raise ValueError("input_size and hidden_size must be at least 1.")
        rng = np.random.default_rng(seed)
        G, H, k = cls.n_gates, hidden_size, 1.0 / np.sqrt(hidden_size)
        W_ih = rng.uniform(-k, k, (G * H, input_size)) * weight_scale  # (GH, D)
        W_hh = rng.uniform(-k, k, (G * H, H)) * weight_scale           # (GH, H)
        b_ih = rng.uniform(-k, k, G * H)                                # (GH,)
        b_hh = rng.uniform(-k, k, G * H)
        keep = {"lstm": 1, "gru": 1}.get(cls.kind)  # index of the memory-keeping gate
        if keep is not None:
            np.split(b_ih, G)[keep][:] = forget_bias
            np.split(b_hh, G)[keep][:] = 0.0
        return cls(W_ih, W_hh, b_ih, b_hh, dtype=dtype, **settings)

    def parameters(self) -> dict[str, np.ndarray]:
        """The trainable arrays by name (Grads has a field of the same name for each)."""
        return {"weight_ih": self.weight_ih, "weight_hh": self.weight_hh,
                "bias_ih": self.bias_ih, "bias_hh": self.bias_hh}

    def with_parameters(self, **arrays):
        """The same kind of cell (variant, nonlinearity, dtype) with some parameters replaced."""
        unknown = sorted(set(arrays) - set(self.parameters()))
        if unknown:
            raise ValueError(f"{', '.join(unknown)} is not a parameter of this {self.kind.upper()}; "
                             f"its parameters are {', '.join(self.parameters())}.")
        return type(self)(**{**self.parameters(), **arrays}, dtype=self.dtype, **self._settings())

    def _grads(self, s: StepGrads, cache: dict, batched: bool, **extra) -> Grads:
        """Parameter and input gradients from the per-step pre-activation gradients of one batch."""
        D, H, GH = self.input_size, self.hidden_size, self.n_gates * self.hidden_size
        T, B = s.pre_ih.shape[:2]
        # 2-D products: a (T, B, .) @ (., .) matmul would run T small products instead of one
        dXf = s.pre_ih.reshape(-1, GH)                           # (T*B, GH)
        dHf = dXf if s.pre_hh is s.pre_ih else s.pre_hh.reshape(-1, GH)  # (T*B, GH)
        bias_ih = dXf.sum(0)                                     # (GH,)
        h0_shared, c0_shared = cache["shared"]
        first = lambda d, shared: d.sum(0) if shared else _unbatch(d, batched, 0)  # noqa: E731
        return Grads(
            weight_ih=dXf.T @ cache["x"].reshape(-1, D),
            weight_hh=dHf.T @ cache["hprev"].reshape(-1, H),
            bias_ih=bias_ih,
            bias_hh=bias_ih.copy() if dHf is dXf else dHf.sum(0),
            x=_unbatch((dXf @ self.weight_ih).reshape(T, B, D), batched),
            h0=first(s.h0, h0_shared),
            c0=None if s.c0 is None else first(s.c0, c0_shared),
            **extra,
        )

    def _check_trace(self, tr) -> None:
        """Backward reads the trace with this model's rules, so it must be this kind of cell's trace."""
        mine = (self.kind, *self._settings().values())
        theirs = (tr.kind, *(getattr(tr, k) for k in self._settings()))
        label = lambda t: ("a " if t[0] == "gru" else "an ") + t[0].upper() + "".join(f" ({v})" for v in t[1:])  # noqa: E731
        if mine != theirs:
            raise ValueError(f"This trace was made by {label(theirs)}, but this model is {label(mine)}; "
                             "backward needs a trace of this model's own forward pass.")

    def _dh(self, tr, dh) -> np.ndarray:
        self._check_trace(tr)
        dh = _array(dh, self.dtype, "dh")
        if dh.shape != tr.h.shape:
            raise ValueError(f"dh has shape {dh.shape}; expected {tr.h.shape}, the shape of trace.h.")
        return dh if tr.batched else dh[:, None, :]

    def bptt(self, trace, dh) -> StepGrads:
        """Backward through time in K directions at once, keeping every step's gradients.

        dh (T, K, H) is dL/dh_t of K losses: K equals the trace's batch B, or, for one sequence (B = 1,
        or an unbatched trace), any K: gradient_flow carries dL/dh_T and the H unit vectors this way.
        """
        self._check_trace(trace)
        dh = _array(dh, self.dtype, "dh")
        T, B, H = trace.cache["h"].shape
        if dh.ndim != 3 or dh.shape[::2] != (T, H) or dh.shape[1] < 1 or B not in (1, dh.shape[1]):
            raise ValueError(f"dh has shape {dh.shape}; bptt expects (T, K, H) = ({T}, {B if B > 1 else 'K'}, {H}), "
                             "one row of dL/dh_t per direction.")
        return self._bptt(trace.cache, dh)

    def preactivations(self, tr) -> dict[str, np.ndarray]:
        """What each gate's nonlinearity read, gate name -> (T, H) or (T, B, H), from the trace.

        LSTM i, f, g, o and GRU r, z: W_ih x_t + b_ih + W_hh h_{t-1} + b_hh, split in gate order;
        GRU n: W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn); RNN: {"h": the tanh's (relu's) argument}.
        One product over all steps, after the fact, so the forward kernel stays as lean as it is.
        """
        x, hprev = tr.cache["x"], tr.cache["hprev"]                       # (T, B, D), (T, B, H)
        xz = x @ self.weight_ih.T + self.bias_ih                          # (T, B, GH)
        hz = hprev @ self.weight_hh.T + self.bias_hh                      # (T, B, GH)
        if self.kind == "rnn":
            parts = {"h": xz + hz}
        else:
            parts = dict(zip(self.gate_names, np.split(xz + hz, self.n_gates, axis=-1)))
            if self.kind == "gru":
                parts["n"] = np.split(xz, 3, axis=-1)[2] + tr.cache["r"] * np.split(hz, 3, axis=-1)[2]
        return {k: _unbatch(v, tr.batched) for k, v in parts.items()}

    def _extra_state(self) -> dict[str, np.ndarray]:
        """Entries beyond PyTorch's four that say how this cell differs from torch.nn's (PyTorch ignores them)."""
        return {}

    def state_dict(self) -> dict[str, np.ndarray]:
        """PyTorch state_dict names for a one-layer module, plus _extra_state() for a variant or relu."""
        return {"weight_ih_l0": self.weight_ih, "weight_hh_l0": self.weight_hh,
                "bias_ih_l0": self.bias_ih, "bias_hh_l0": self.bias_hh, **self._extra_state()}

    def save(self, path) -> None:
        """Write .npz with PyTorch state_dict names; torch.load-free round trip via load_weights."""
        np.savez(path, **self.state_dict())

    def astype(self, dtype):
        return type(self)(**self.parameters(), dtype=dtype, **self._settings())

    def __repr__(self):
        extra = "".join(f", {k}={v!r}" for k, v in self._settings().items()
                        if isinstance(v, str) and v not in ("lstm", "tanh"))
        return (f"{type(self).__name__}(input_size={self.input_size}, hidden_size={self.hidden_size}{extra}, "
                f"dtype={self.dtype.name})")


def _rows(x: np.ndarray, h0: np.ndarray) -> np.ndarray:
    """(T+1, B, D+1+H) rows [x_t, 1, h_{t-1}]: step t reads row t and writes h_t into row t+1, so a
    single product with [W_ih^T; b; W_hh^T] gives every pre-activation and h is a view, never copied."""
    (T, B, D), H = x.shape, h0.shape[-1]
    u = np.zeros((T + 1, B, D + 1 + H), x.dtype)
    u[:T, :, :D] = x
    u[:, :, D] = 1.0
    u[0, :, D + 1:] = h0
    return u


def _identity_over(W_hh: np.ndarray) -> np.ndarray:
    """[I; W_hh] (H + G*H, H): backward adds dL/dh_t and carries dz @ W_hh in one product."""
    H = W_hh.shape[1]
    return np.ascontiguousarray(np.vstack([np.eye(H, dtype=W_hh.dtype), W_hh]))


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a)  # own copy, so nobody changes the weights behind the precomputed kernels
    a.setflags(write=False)
    return a


# ---------------------------------------------------------------------------------------------
# LSTM


class LSTM(_Cell):
    """Long short-term memory in torch.nn.LSTM's layout, or one of Greff et al.'s variants of it.

    weight_ih (4H, D), weight_hh (4H, H), bias_ih (4H,), bias_hh (4H,); gate order i, f, g, o.
    variant is a name in VARIANT_NAMES; weight_peep (3, H) holds p_i, p_f, p_o of the "peephole"
    variant (zeros if not given) and is None for every other variant.
    """

    kind, n_gates, gate_names = "lstm", 4, LSTM_GATES

    def __init__(self, weight_ih, weight_hh, bias_ih=None, bias_hh=None, dtype=np.float64, *,
                 variant: str = "lstm", weight_peep=None):
        if variant not in VARIANT_NAMES:
            raise ValueError(f"Unknown LSTM variant {variant!r}; choose one of {', '.join(VARIANT_NAMES)}.")
        if weight_peep is not None and variant != "peephole":
            raise ValueError(f"weight_peep is given, but only the 'peephole' variant has peepholes, not {variant!r}.")
        self.variant = variant
        self.weight_peep = weight_peep  # checked by _prepare, once H and dtype are known
        super().__init__(weight_ih, weight_hh, bias_ih, bias_hh, dtype)

    @classmethod
    def random(cls, input_size: int, hidden_size: int, seed: int = 0, forget_bias: float = 1.0,
               weight_scale: float = 1.0, dtype=np.float64, variant: str = "lstm"):
        """_Cell.random for any variant; the variants of one seed share every weight they read.

        The rows of a gate the variant never reads (nig i; nfg, cifg f; nog o) are zero. Under cifg, where
        f = 1 - i, the input gate's bias is -forget_bias, so f starts where the LSTM's would. weight_peep
        is U(-1/sqrt(H), 1/sqrt(H)) * weight_scale, drawn from its own stream.
        """
        if variant not in VARIANT_NAMES:
            raise ValueError(f"Unknown LSTM variant {variant!r}; choose one of {', '.join(VARIANT_NAMES)}.")
        m = super().random(input_size, hidden_size, seed, forget_bias, weight_scale)
        W_ih, W_hh, b_ih, b_hh = (np.array(a) for a in (m.weight_ih, m.weight_hh, m.bias_ih, m.bias_hh))
        if variant in _UNUSED:
            for a in (W_ih, W_hh, b_ih, b_hh):
                np.split(a, 4)[LSTM_GATES.index(_UNUSED[variant])][:] = 0.0
        if variant == "cifg":
            np.split(b_ih, 4)[0][:] = -forget_bias
            np.split(b_hh, 4)[0][:] = 0.0
        peep = None
        if variant == "peephole":
            k = 1.0 / np.sqrt(m.hidden_size)
            peep = np.random.default_rng([int(seed), 1]).uniform(-k, k, (3, m.hidden_size)) * weight_scale  # (3, H)
        return cls(W_ih, W_hh, b_ih, b_hh, dtype=dtype, variant=variant, weight_peep=peep)

    def _prepare(self):
        H, v = self.hidden_size, self.variant
        if v == "peephole":
            p = (np.zeros((3, H), self.dtype) if self.weight_peep is None
                 else _array(self.weight_peep, self.dtype, "weight_peep"))
            if p.shape != (3, H):
                raise ValueError(f"weight_peep has shape {p.shape}; expected (3, {H}): p_i, p_f, p_o.")
            self.weight_peep = _frozen(p)
            self._peep_if, self._peep_o = 0.5 * p[:2], 0.5 * p[2]              # (2, H), (H,) halved like their rows
        s = np.repeat(np.array([0.5, 0.5, 1.0, 0.5], self.dtype), H)  # (4H,) halve sigmoid rows
        # The kernel keeps the gates in the order o, i, f, g: the sigmoid gates side by side (one
        # affine after the tanh), and (i, f) next to (g, c_{t-1}) so one multiply gives (i g, f c_{t-1}).
        # Input, bias and recurrent weights are one matrix: z_t = [x_t, 1, h_{t-1}] @ _W, one product a step.
        oifg = np.r_[3 * H:4 * H, 0:3 * H]                                     # (4H,) kernel order
        W = np.vstack([self.weight_ih.T, (self.bias_ih + self.bias_hh)[None], self.weight_hh.T]) * s
        self._W = np.ascontiguousarray(W[:, oifg])                              # (D+1+H, 4H)
        mul = np.r_[np.full(3 * H, 0.5), np.ones(H)]    # (4H,) sigmoid = tanh(z/2) * .5 + .5, g stays tanh(z)
        add = np.r_[np.full(3 * H, 0.5), np.zeros(H)]
        if v in ("nig", "nfg", "nog"):                  # the removed gate is tanh(z) * 0 + 1 = 1 exactly
            k = "oifg".index(_UNUSED[v])
            mul[k * H:(k + 1) * H], add[k * H:(k + 1) * H] = 0.0, 1.0
        # the columns the tanh runs over: o waits for c_t under peepholes; g keeps its pre-activation under niaf
        self._act = {"peephole": slice(H, 4 * H), "niaf": slice(0, 3 * H)}.get(v, slice(0, 4 * H))
        self._mul, self._add = mul[self._act].astype(self.dtype), add[self._act].astype(self.dtype)
        self._tanh_c = np.positive if v == "noaf" else np.tanh   # noaf: the "tanh c" box holds c itself
        # backward reads [dL/dh_t from outside, dz_{t+1}] @ _Wb = dL/dh_t, again one product a step
        self._Wb = _identity_over(self.weight_hh)  # (5H, H)
        if v == "peephole":
            self._W_2h = self._W.copy()
            self._W_2h[self.input_size + 1:] *= 0.5    # reads the peephole loop's 2 h_{t-1}
            self._P = np.hstack([np.diag(q) for q in (self._peep_o, *self._peep_if)])  # (H, 3H)

    def _settings(self) -> dict:
        return {"variant": self.variant}

    def parameters(self) -> dict[str, np.ndarray]:
        extra = {} if self.weight_peep is None else {"weight_peep": self.weight_peep}
        return {**super().parameters(), **extra}

    def _extra_state(self) -> dict[str, np.ndarray]:
        """weight_peep_l0 (3, H) for peepholes; a variant other than "lstm" is named by an empty array's key."""
        out = {} if self.weight_peep is None else {"weight_peep_l0": self.weight_peep}
        if self.variant != "lstm":
            out[f"variant_l0.{self.variant}"] = np.zeros(0, self.dtype)
        return out

    def forward(self, x, h0=None, c0=None, clamp=None) -> LSTMTrace:
        """Run the sequence. x (T, D) or (T, B, D); h0, c0 (H,) or (B, H), zeros by default.

        clamp, e.g. {"f": 1.0, "i": 0.0}, pins gates (i, f, g, o) to values: a number, or an array that
        broadcasts to the shape of trace.h, (T, H) or (T, B, H) (so a per-step value for a batch is
        (T, 1, H)), with NaN where the gate runs free. Sigmoid gates take values in [0, 1], g in [-1, 1]
        (any finite number under "niaf", where g is not squashed); anything else is a ValueError.
        """
        x, batched = _input(x, self.input_size, self.dtype)
        T, B, D = x.shape
        H = self.hidden_size
        h0, h0_shared = _state(h0, B, H, self.dtype, "h0")
        c0, c0_shared = _state(c0, B, H, self.dtype, "c0")
        pins = self._pins(clamp, T, B, batched)          # gate -> ((T, B, H) values, (T, B, H) where pinned)
        # Row t of each buffer holds what step t reads, and step t writes into row t + 1, so the
        # traces are views and nothing is copied in the loop.
        u = _rows(x, h0)                                 # (T+1, B, D+1+H) [x_t, 1, h_{t-1}]
        a = np.empty((T + 1, B, 5 * H), self.dtype)      # (T+1, B, 5H) [o, i, f, g of step t, c_{t-1}]
        a[0, :, 4 * H:] = c0
        tc = np.empty((T, B, H), self.dtype)             # (T, B, H) tanh(c_t)
        if pins or self.variant in ("cifg", "niaf"):
            self._run_general(u, a, tc, pins)
        elif self.variant == "peephole":
            self._run_peephole(u, a, tc)
        else:
            self._run_fused(u, a, tc)
        o, i, f, g, cp = (a[:T, :, k * H:(k + 1) * H] for k in range(5))  # (T, B, H) views
        c, h = a[1:, :, 4 * H:], u[1:, :, D + 1:]        # (T, B, H) views: c_t, h_t
        cache = dict(x=x, h0=h0, c0=c0, i=i, f=f, g=g, o=o, c=c, cprev=cp, tc=tc, h=h, hprev=u[:T, :, D + 1:],
                     pins=pins, shared=(h0_shared, c0_shared))
        un = lambda v: _unbatch(v, batched)  # noqa: E731
        return LSTMTrace(x=un(x), h0=_unbatch(h0, batched, 0), c0=_unbatch(c0, batched, 0),
                         i=un(i), f=un(f), g=un(g), o=un(o), c=un(c), tanh_c=un(tc), h=un(h),
                         batched=batched, cache=cache, variant=self.variant,
                         clamp={k: _frozen(un(v)) for k, (v, _) in pins.items()})

    def _pins(self, clamp, T: int, B: int, batched: bool) -> dict:
        """The clamp checked and spread to (T, B, H): gate -> (values, where pinned), gates pinned somewhere."""
        if clamp is None:
            return {}
        if not isinstance(clamp, Mapping):
            raise ValueError(  # noqa: TRY004 (every error of the engine is a ValueError)
                "clamp must be a dict from gate name (i, f, g, o) to a value, NaN where the gate is free.")
        H = self.hidden_size
        shape = (T, B, H) if batched else (T, H)
        pins = {}
        for gate in LSTM_GATES:  # gate order, whatever the dict's
            if gate not in clamp:
                continue
            try:
                v = np.broadcast_to(np.asarray(clamp[gate], dtype=self.dtype), shape)
            except (TypeError, ValueError):
                raise ValueError(f"The clamp for gate {gate} must be a number or an array that broadcasts to "
                                 f"{shape}, the shape of trace.h, with NaN where the gate is free.") from None
            where = ~np.isnan(v)
            lo, hi, what = ((-np.inf, np.inf, "a finite number") if gate == "g" and self.variant == "niaf" else
                            (-1.0, 1.0, "a number from -1 to 1, the range of g = tanh") if gate == "g" else
                            (0.0, 1.0, "a number from 0 to 1, the range of a sigmoid gate"))
            bad = v[where & ~(np.isfinite(v) & (v >= lo) & (v <= hi))]
            if bad.size:
                raise ValueError(f"The clamp for gate {gate} holds {bad[0]:g}; a pinned {gate} must be {what}.")
            if where.any():
                pins[gate] = (v.reshape(T, B, H), where.reshape(T, B, H))
        unknown = sorted(map(str, set(clamp) - set(LSTM_GATES)))
        if unknown:
            raise ValueError(f"The clamp names {', '.join(unknown)}; an LSTM's gates are {', '.join(LSTM_GATES)}.")
        return pins

    def _run_fused(self, u, a, tc):
        """The tuned loop: every gate from one product, one tanh and one affine; c_t and h_t from four more.
        lstm, and nig, nfg, nog, noaf through their constants (_prepare), run it unchanged."""
        T, B, H = tc.shape
        D = u.shape[2] - 1 - H
        pair = np.empty((B, 2 * H), self.dtype)          # (B, 2H) scratch: (i g, f c_{t-1})
        ig, fc = pair[:, :H], pair[:, H:]
        mul = np.broadcast_to(self._mul, (B, len(self._mul))).copy()  # (B, 4H): same-shape operands are faster
        add = np.broadcast_to(self._add, (B, len(self._add))).copy()
        mm = np.dot if B == 1 else np.matmul             # dot is the cheaper call for one row
        W, tanh, tanh_c, multiply, plus = self._W, np.tanh, self._tanh_c, np.multiply, np.add
        c, h = a[1:, :, 4 * H:], u[1:, :, D + 1:]        # (T, B, H) views: c_t, h_t
        for ut, zt, gates, carry, ct, ot, tct, ht in zip(
                u[:T], a[:T, :, :4 * H], a[:T, :, H:3 * H], a[:T, :, 3 * H:], c, a[:T, :, :H], tc, h):
            mm(ut, W, out=zt)
            tanh(zt, out=zt)
            multiply(zt, mul, out=zt)
            plus(zt, add, out=zt)
            multiply(gates, carry, out=pair)             # (i, f) * (g, c_{t-1})
            plus(ig, fc, out=ct)
            tanh_c(ct, out=tct)
            multiply(ot, tct, out=ht)

    def _run_peephole(self, u, a, tc):
        """The fused loop for peepholes. Two tricks keep it within a few steps of the plain one: one product
        c_t @ [diag p_o, diag p_i, diag p_f] gives o's peephole term now and i's and f's for the next step;
        and the loop keeps 2 o_t = 1 + tanh(z_o / 2) and 2 h_t, whose halves (exact in binary) the rows of
        W_hh and the end take."""
        T, B, H = tc.shape
        D = u.shape[2] - 1 - H
        pair = np.empty((B, 2 * H), self.dtype)          # (B, 2H) scratch: (i g, f c_{t-1})
        ig, fc = pair[:, :H], pair[:, H:]
        pc = np.empty((B, 3 * H), self.dtype)            # (B, 3H) (p_o, p_i, p_f) * c_t, halved like their rows
        pc_o, pc_if = pc[:, :H], pc[:, H:]
        half = np.full((B, 2 * H), 0.5, self.dtype)      # (B, 2H) sigmoid = tanh(z/2) * .5 + .5 for i, f
        one = np.ones((B, H), self.dtype)
        mm = np.dot if B == 1 else np.matmul
        W, P, tanh, multiply, plus = self._W_2h, self._P, np.tanh, np.multiply, np.add
        u[0, :, D + 1:] *= 2.0                           # the loop's h is 2 h
        mm(a[0, :, 4 * H:], P, out=pc)                   # from c_0
        c, h = a[1:, :, 4 * H:], u[1:, :, D + 1:]        # (T, B, H) views
        for ut, zt, zif, zifg, carry, ct, ot, tct, ht in zip(
                u[:T], a[:T, :, :4 * H], a[:T, :, H:3 * H], a[:T, :, H:4 * H], a[:T, :, 3 * H:], c, a[:T, :, :H], tc, h):
            mm(ut, W, out=zt)
            plus(zif, pc_if, out=zif)                    # + (p_i, p_f) * c_{t-1}
            tanh(zifg, out=zifg)
            multiply(zif, half, out=zif)
            plus(zif, half, out=zif)
            multiply(zif, carry, out=pair)               # (i, f) * (g, c_{t-1})
            plus(ig, fc, out=ct)
            tanh(ct, out=tct)
            mm(ct, P, out=pc)
            plus(ot, pc_o, out=ot)                       # o sees c_t
            tanh(ot, out=ot)
            plus(ot, one, out=ot)                        # 2 o
            multiply(ot, tct, out=ht)                    # 2 h
        u[:, :, D + 1:] *= 0.5
        a[:T, :, :H] *= 0.5

    def _run_general(self, u, a, tc, pins):
        """The fused loop plus the steps niaf, cifg, clamps and peepholes with clamps need, in this order:
        gates (i and f reading c_{t-1}); i pinned; cifg's f = 1 - i; f, g pinned; c_t; o reading c_t; o pinned; h_t."""
        T, B, H = tc.shape
        D = u.shape[2] - 1 - H
        act, peep, cifg = self._act, self.variant == "peephole", self.variant == "cifg"
        pair = np.empty((B, 2 * H), self.dtype)          # (B, 2H) scratch: (i g, f c_{t-1})
        ig, fc = pair[:, :H], pair[:, H:]
        mul = np.broadcast_to(self._mul, (B, len(self._mul))).copy()  # (B, width of act)
        add = np.broadcast_to(self._add, (B, len(self._add))).copy()
        mm = np.dot if B == 1 else np.matmul
        W, tanh, tanh_c, multiply, plus, minus, copyto = (
            self._W, np.tanh, self._tanh_c, np.multiply, np.add, np.subtract, np.copyto)
        o, i, f, g, cp = (a[:T, :, k * H:(k + 1) * H] for k in range(5))  # (T, B, H) views
        c, h = a[1:, :, 4 * H:], u[1:, :, D + 1:]
        z_if = c_if = repeat(None)
        if peep:
            p_if, p_o = self._peep_if, np.broadcast_to(self._peep_o, (B, H)).copy()  # (2, H), (B, H)
            tmp2, tmp, half = np.empty((B, 2, H), self.dtype), np.empty((B, H), self.dtype), np.full((B, H), 0.5)
            z_if, c_if = a[:T, :, H:3 * H].reshape(T, B, 2, H), cp[:, :, None, :]   # (T, B, 2, H), (T, B, 1, H) views
        stage = lambda names: [(view, *pins[n]) for n, view in zip("ifgo", (i, f, g, o)) if n in names and n in pins]  # noqa: E731
        first, then, last = stage("i"), stage("fg"), stage("o")
        one = np.ones((B, H), self.dtype)
        for t, (ut, zt, zat, gates, carry, it, ft, ct, ot, tct, ht, zif, cif) in enumerate(zip(
                u[:T], a[:T, :, :4 * H], a[:T, :, act], a[:T, :, H:3 * H], a[:T, :, 3 * H:], i, f, c, o, tc, h,
                z_if, c_if)):
            mm(ut, W, out=zt)
            if peep:
                multiply(cif, p_if, out=tmp2)            # (p_i, p_f) * c_{t-1}, halved like their rows
                plus(zif, tmp2, out=zif)
            tanh(zat, out=zat)
            multiply(zat, mul, out=zat)
            plus(zat, add, out=zat)
            for view, value, where in first:
                copyto(view[t], value[t], where=where[t])
            if cifg:
                minus(one, it, out=ft)
            for view, value, where in then:
                copyto(view[t], value[t], where=where[t])
            multiply(gates, carry, out=pair)             # (i, f) * (g, c_{t-1})
            plus(ig, fc, out=ct)
            tanh_c(ct, out=tct)
            if peep:
                multiply(p_o, ct, out=tmp)               # o sees c_t
                plus(ot, tmp, out=ot)
                tanh(ot, out=ot)
                multiply(ot, half, out=ot)
                plus(ot, half, out=ot)
            for view, value, where in last:
                copyto(view[t], value[t], where=where[t])
            multiply(ot, tct, out=ht)

    def _local(self, cache: dict, ch: slice, k: np.ndarray):
        """Local derivatives of the steps ch, written into k (5 or 7, L, B, H): how h_t and c_t move with c_t
        and with each pre-activation, and what carries dL/dc_t to c_{t-1} (f)."""
        i, f, g, o, cp, tc = (cache[n][ch] for n in ("i", "f", "g", "o", "cprev", "tc"))  # (L, B, H)
        odc, ko, ki, kf, kg = k[:5]
        multiply, minus = np.multiply, np.subtract
        multiply(tc, tc, out=odc)
        minus(1.0, odc, out=odc)
        multiply(odc, o, out=odc)              # dh_t/dc_t = o (1 - tanh^2 c) through tanh(c_t)
        minus(1.0, o, out=ko)
        multiply(ko, o, out=ko)
        multiply(ko, tc, out=ko)               # dh_t/dz_o = tanh(c) o (1 - o)
        minus(1.0, i, out=ki)
        multiply(ki, i, out=ki)
        multiply(ki, g, out=ki)                # dc_t/dz_i = g i (1 - i)
        minus(1.0, f, out=kf)
        multiply(kf, f, out=kf)
        multiply(kf, cp, out=kf)               # dc_t/dz_f = c_{t-1} f (1 - f)
        multiply(g, g, out=kg)
        minus(1.0, kg, out=kg)
        multiply(kg, i, out=kg)                # dc_t/dz_g = i (1 - g^2)
        return odc, ko, ki, kf, kg, f

    def _local_variant(self, cache: dict, ch: slice, k: np.ndarray):
        """_local with each variant's change, and nothing through a removed or pinned gate."""
        odc, ko, ki, kf, kg, _ = self._local(cache, ch, k)
        i, f, g, o, cp = (cache[n][ch] for n in ("i", "f", "g", "o", "cprev"))  # (L, B, H)
        pinned = {gate: where[ch] for gate, (_, where) in cache["pins"].items()}
        v = self.variant
        if v == "noaf":
            np.copyto(odc, o)                  # h_t = o c_t: dh_t/dc_t = o
        if v == "niaf":
            np.copyto(kg, i)                   # g = z_g: dc_t/dz_g = i
        if v == "cifg":                        # f = 1 - i: dc_t/dz_i = (g - c_{t-1}) i (1 - i), unless f is pinned
            np.multiply(i, 1.0 - i, out=ki)
            ki *= g - (np.where(pinned["f"], 0.0, cp) if "f" in pinned else cp)
        for gate, kk in zip(LSTM_GATES, (ki, kf, kg, ko)):
            if _UNUSED.get(v) == gate:
                kk[...] = 0.0
            if gate in pinned:
                np.copyto(kk, 0.0, where=pinned[gate])
        if v != "peephole":
            return odc, ko, ki, kf, kg, f
        p_i, p_f, p_o = self.weight_peep       # (H,) each
        kc = k[5]                              # (L, B, H) the carry dc_t/dc_{t-1}
        np.multiply(ko, p_o, out=kc)
        odc += kc                              # c_t reaches h_t through o's peephole too
        np.multiply(kf, p_f, out=kc)
        np.add(kc, f, out=kc)
        np.multiply(ki, p_i, out=k[6])
        kc += k[6]                             # c_{t-1} reaches c_t through f, and through i's and f's peepholes
        return odc, ko, ki, kf, kg, kc

    def _bptt(self, cache: dict, dh: np.ndarray) -> StepGrads:
        """Backward through time from dh (T, K, H), K = B, or any K when B = 1 (broadcast)."""
        T, K, H = dh.shape
        B = cache["h"].shape[1]
        # row t + 1 of z is what dL/dh_t is made of: [dh[t], dz_{t+1}]; row 0 gives dL/dh0
        z = np.empty((T + 1, K, 5 * H), self.dtype)    # (T+1, K, 5H)
        z[1:, :, :H] = dh
        z[0, :, :H] = 0.0
        z[T, :, H:] = 0.0
        dh_tot = np.empty((T, K, H), self.dtype)       # (T, K, H) dL/dh_t
        dc_tot = np.empty((T, K, H), self.dtype)       # (T, K, H) dL/dc_t
        fdc = np.empty((T + 1, K, H), self.dtype)      # (T+1, K, H) row t: dL/dc_t * dc_t/dc_{t-1}, the carousel
        fdc[T] = 0.0
        di, df, dg, do = (z[:T, :, k * H:(k + 1) * H] for k in range(1, 5))  # (T, K, H) views
        # The local derivatives are computed for a chunk of steps at a time, small enough to stay in
        # cache when B * H is large, and the whole sequence in one chunk when it is small.
        n = min(T, max(1, _CHUNK // (B * H)))
        kbuf = np.empty((7 if self.variant == "peephole" else 5, n, B, H), self.dtype)  # (5 or 7, n, B, H) one chunk's
        # odc, ko, ki, kf, kg (and for peepholes the carry dc_t/dc_{t-1} and a scratch row)
        local = self._local if self.variant == "lstm" and not cache["pins"] else self._local_variant
        mm = np.dot if K == 1 else np.matmul
        W, multiply, plus = self._Wb, np.multiply, np.add
        fold, Whh = 4 * K * H * H <= _FOLD * self.n_gates, self._Wb[H:]
        back = slice(None, None, -1)
        for e in range(T, 0, -n):
            s = max(0, e - n)
            ch = slice(s, e)
            odc, ko, ki, kf, kg, kc = local(cache, ch, kbuf[:, :e - s])  # (L, B, H) each
            for zn, dht, dct, fdn, fdt, dit, dft, dgt, dot, odct, kot, kct, kit, kft, kgt in zip(
                    z[e:s:-1], dh_tot[ch][back], dc_tot[ch][back], fdc[e:s:-1], fdc[ch][back], di[ch][back],
                    df[ch][back], dg[ch][back], do[ch][back], odc[back], ko[back], kc[back], ki[back],
                    kf[back], kg[back]):
                if fold:
                    mm(zn, W, out=dht)                 # dh[t] + dz_{t+1} W_hh
                else:
                    mm(zn[:, H:], Whh, out=dht)
                    plus(dht, zn[:, :H], out=dht)
                multiply(dht, kot, out=dot)
                multiply(dht, odct, out=dct)
                plus(dct, fdn, out=dct)                # + dL/dc_{t+1} dc_{t+1}/dc_t
                multiply(dct, kct, out=fdt)
                multiply(dct, kit, out=dit)
                multiply(dct, kft, out=dft)
                multiply(dct, kgt, out=dgt)
        dz = z[:T, :, H:]                              # (T, K, 4H) dL/dz_t in gate order i, f, g, o
        return StepGrads(pre_ih=dz, pre_hh=dz, h=dh_tot, h0=mm(z[0], W), c=dc_tot, c0=fdc[0])

    def backward(self, tr: LSTMTrace, dh) -> Grads:
        """Exact BPTT. dh = dL/dh_t for every step, shaped like tr.h. A pinned gate passes no gradient."""
        s = self._bptt(tr.cache, self._dh(tr, dh))
        peep = None
        if self.variant == "peephole":
            dzi, dzf, _, dzo = np.split(s.pre_ih, 4, axis=-1)             # (T, B, H) each
            cp, c = tr.cache["cprev"], tr.cache["c"]
            peep = np.stack([np.einsum("tbh,tbh->h", dz, a) for dz, a in ((dzi, cp), (dzf, cp), (dzo, c))])  # (3, H)
        return self._grads(s, tr.cache, tr.batched, weight_peep=peep)

    def preactivations(self, tr: LSTMTrace) -> dict[str, np.ndarray]:
        """_Cell.preactivations plus the peephole terms, which the sigmoids read too. A gate the variant
        removes has no pre-activation and is left out (nig i; nfg f; nog o; cifg f, which is 1 - i)."""
        pre = super().preactivations(tr)
        if self.variant == "peephole":
            cp, c = (_unbatch(tr.cache[k], tr.batched) for k in ("cprev", "c"))
            p_i, p_f, p_o = self.weight_peep
            pre["i"], pre["f"], pre["o"] = pre["i"] + p_i * cp, pre["f"] + p_f * cp, pre["o"] + p_o * c
        pre.pop(_UNUSED.get(self.variant), None)
        return pre


# ---------------------------------------------------------------------------------------------
# GRU


class GRU(_Cell):
    """Gated recurrent unit in torch.nn.GRU's layout.

    weight_ih (3H, D), weight_hh (3H, H), bias_ih (3H,), bias_hh (3H,); gate order r, z, n.
    """

    kind, n_gates, gate_names = "gru", 3, GRU_GATES

    def _prepare(self):
        H, D = self.hidden_size, self.input_size
        s = np.repeat(np.array([0.5, 0.5, 1.0], self.dtype), H)  # (3H,) halve r and z rows
        W_ih, W_hh = self.weight_ih * s[:, None], self.weight_hh * s[:, None]
        b_ih, b_hh = self.bias_ih * s, self.bias_hh * s
        # one product a step: [x_t, 1, h_{t-1}] @ _W = [r and z pre-activations, W_in x + b_in, W_hn h + b_hn]
        W = np.zeros((D + 1 + H, 4 * H), self.dtype)                          # (D+1+H, 4H)
        W[:D, :3 * H] = W_ih.T
        W[D, :3 * H] = b_ih
        W[D, :2 * H] += b_hh[:2 * H]
        W[D, 3 * H:] = b_hh[2 * H:]
        W[D + 1:, :2 * H] = W_hh[:2 * H].T
        W[D + 1:, 3 * H:] = W_hh[2 * H:].T
        self._W = W
        self._half = np.full(2 * H, 0.5, self.dtype)                          # (2H,) tanh(z/2) -> sigmoid
        # backward: [dL/dh_t arriving directly (from outside and through z), dL/d(W_hh h + b_hh)] @ _Wb
        self._Wb = _identity_over(self.weight_hh)  # (4H, H)

    def forward(self, x, h0=None) -> GRUTrace:
        """Run the sequence. x (T, D) or (T, B, D); h0 (H,) or (B, H), zeros by default."""
        x, batched = _input(x, self.input_size, self.dtype)
        T, B, D = x.shape
        H = self.hidden_size
        h0, h0_shared = _state(h0, B, H, self.dtype, "h0")
        u = _rows(x, h0)                                 # (T+1, B, D+1+H) [x_t, 1, h_{t-1}]; t writes row t+1
        a = np.empty((T, B, 5 * H), self.dtype)          # (T, B, 5H) [r, z, W_in x + b_in, hn, n]
        half = np.broadcast_to(self._half, (B, 2 * H)).copy()  # (B, 2H): same-shape operands are faster
        mm = np.dot if B == 1 else np.matmul
        W, tanh, multiply, plus, minus = self._W, np.tanh, np.multiply, np.add, np.subtract
        r, z, xn, hn, n = (a[:, :, k * H:(k + 1) * H] for k in range(5))  # (T, B, H) views
        hprev, h = u[:T, :, D + 1:], u[1:, :, D + 1:]    # (T, B, H) views
        for ut, pre, rz, zt, rt, xnt, hnt, nt, hp, ht in zip(
                u[:T], a[:, :, :4 * H], a[:, :, :2 * H], z, r, xn, hn, n, hprev, h):
            mm(ut, W, out=pre)
            tanh(rz, out=rz)
            multiply(rz, half, out=rz)
            plus(rz, half, out=rz)
            multiply(rt, hnt, out=nt)
            plus(nt, xnt, out=nt)
            tanh(nt, out=nt)
            minus(hp, nt, out=ht)
            multiply(ht, zt, out=ht)
            plus(ht, nt, out=ht)                        # n + z (h - n) = (1 - z) n + z h
        cache = dict(x=x, h0=h0, r=r, z=z, n=n, hn=hn, h=h, hprev=hprev, shared=(h0_shared, False))
        un = lambda v: _unbatch(v, batched)  # noqa: E731
        return GRUTrace(x=un(x), h0=_unbatch(h0, batched, 0), r=un(r), z=un(z), n=un(n), hn=un(hn),
                        h=un(h), batched=batched, cache=cache)

    def _bptt(self, cache: dict, dh: np.ndarray) -> StepGrads:
        """Backward through time from dh (T, K, H), K = B, or any K when B = 1 (broadcast)."""
        T, K, H = dh.shape
        B = cache["h"].shape[1]
        r, z, n, hn, hprev = (cache[k] for k in ("r", "z", "n", "hn", "hprev"))  # (T, B, H)
        # row t of q: [e_t, dL/d(W_hh h + b_hh) at step t], where e_t = dh[t-1] + z_t dL/dh_t is the part
        # of dL/dh_{t-1} that does not pass through W_hh; row t + 1 @ _Wb = dL/dh_t
        q = np.empty((T + 1, K, 4 * H), self.dtype)  # (T+1, K, 4H)
        q[1:, :, :H] = dh
        q[0, :, :H] = 0.0
        q[T, :, H:] = 0.0
        dn = np.empty((T, K, H), self.dtype)        # (T, K, H) dL/d(n pre-activation)
        zdh = np.empty((K, H), self.dtype)          # (K, H) scratch: z_t dL/dh_t
        dh_tot = np.empty((T, K, H), self.dtype)
        e, dr, dzg, dHn = (q[:T, :, k * H:(k + 1) * H] for k in range(4))  # (T, K, H) views
        nc = min(T, max(1, _CHUNK // (B * H)))      # steps per chunk of local derivatives (see LSTM)
        kbuf = np.empty((3, nc, B, H), self.dtype)  # (3, nc, B, H) kn, kz, kr
        mm = np.dot if K == 1 else np.matmul
        W, multiply, plus, minus = self._Wb, np.multiply, np.add, np.subtract
        fold, Whh = 4 * K * H * H <= _FOLD * self.n_gates, self._Wb[H:]
        back = slice(None, None, -1)
        for end in range(T, 0, -nc):
            s = max(0, end - nc)
            kn, kz, kr = kbuf[:, :end - s]          # (L, B, H) each
            ch = slice(s, end)
            multiply(n[ch], n[ch], out=kn)
            minus(1.0, kn, out=kn)
            minus(1.0, z[ch], out=kz)
            multiply(kn, kz, out=kn)                # dh_t/d(n pre) = (1 - z) (1 - n^2)
            multiply(kz, z[ch], out=kz)
            minus(hprev[ch], n[ch], out=kr)
            multiply(kz, kr, out=kz)                # dh_t/d(z pre) = (h_{t-1} - n) z (1 - z)
            minus(1.0, r[ch], out=kr)
            multiply(kr, r[ch], out=kr)
            multiply(kr, hn[ch], out=kr)            # d(n pre)/d(r pre) = hn r (1 - r)
            for qn, dht, et, drt, dzt, dHnt, dnt, knt, kzt, krt, rt, zt in zip(
                    q[end:s:-1], dh_tot[ch][back], e[ch][back], dr[ch][back], dzg[ch][back], dHn[ch][back],
                    dn[ch][back], kn[back], kz[back], kr[back], r[ch][back], z[ch][back]):
                if fold:
                    mm(qn, W, out=dht)              # e_{t+1} + dHH_{t+1} W_hh
                else:
                    mm(qn[:, H:], Whh, out=dht)
                    plus(dht, qn[:, :H], out=dht)
                multiply(dht, knt, out=dnt)
                multiply(dht, kzt, out=dzt)
                multiply(dnt, krt, out=drt)
                multiply(dnt, rt, out=dHnt)
                multiply(dht, zt, out=zdh)
                plus(et, zdh, out=et)
        dHH = q[:T, :, H:]                                            # (T, K, 3H) r, z, n
        dX = np.concatenate([q[:T, :, H:3 * H], dn], axis=-1)         # (T, K, 3H) r, z, n
        return StepGrads(pre_ih=dX, pre_hh=dHH, h=dh_tot, h0=mm(q[0], W))

    def backward(self, tr: GRUTrace, dh) -> Grads:
        """Exact BPTT. dh = dL/dh_t for every step, shaped like tr.h."""
        return self._grads(self._bptt(tr.cache, self._dh(tr, dh)), tr.cache, tr.batched)


# ---------------------------------------------------------------------------------------------
# vanilla RNN


class RNN(_Cell):
    """Elman RNN in torch.nn.RNN's layout: weight_ih (H, D), weight_hh (H, H); nonlinearity "tanh" or "relu"."""

    kind, n_gates, gate_names = "rnn", 1, ()

    def __init__(self, weight_ih, weight_hh, bias_ih=None, bias_hh=None, dtype=np.float64, *,
                 nonlinearity: str = "tanh"):
        if nonlinearity not in RNN_NONLINEARITIES:
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', as in torch.nn.RNN; got {nonlinearity!r}.")
        self.nonlinearity = nonlinearity
        super().__init__(weight_ih, weight_hh, bias_ih, bias_hh, dtype)

    def _settings(self) -> dict:
        return {"nonlinearity": self.nonlinearity}

    def _extra_state(self) -> dict[str, np.ndarray]:
        """PyTorch keeps nonlinearity out of the state_dict; relu is named by an empty array's key."""
        return {"nonlinearity_l0.relu": np.zeros(0, self.dtype)} if self.nonlinearity == "relu" else {}

    def _prepare(self):
        # one product a step: [x_t, 1, h_{t-1}] @ _W = a_t
        self._W = np.ascontiguousarray(np.vstack(
            [self.weight_ih.T, (self.bias_ih + self.bias_hh)[None], self.weight_hh.T]))  # (D+1+H, H)
        self._Wb = _identity_over(self.weight_hh)  # (2H, H)

    def forward(self, x, h0=None) -> RNNTrace:
        """Run the sequence. x (T, D) or (T, B, D); h0 (H,) or (B, H), zeros by default."""
        x, batched = _input(x, self.input_size, self.dtype)
        T, B, D = x.shape
        H = self.hidden_size
        h0, h0_shared = _state(h0, B, H, self.dtype, "h0")
        u = _rows(x, h0)                                 # (T+1, B, D+1+H) [x_t, 1, h_{t-1}]; t writes row t+1
        a = np.empty((T, B, H), self.dtype)             # (T, B, H) pre-activations
        h = u[1:, :, D + 1:]                            # (T, B, H) view
        mm = np.dot if B == 1 else np.matmul
        W, act = self._W, np.tanh if self.nonlinearity == "tanh" else _relu
        for ut, at, ht in zip(u[:T], a, h):
            mm(ut, W, out=at)
            act(at, out=ht)
        cache = dict(x=x, h0=h0, h=h, hprev=u[:T, :, D + 1:], shared=(h0_shared, False))
        un = lambda v: _unbatch(v, batched)  # noqa: E731
        return RNNTrace(x=un(x), h0=_unbatch(h0, batched, 0), a=un(a), h=un(h), batched=batched,
                        cache=cache, nonlinearity=self.nonlinearity)

    def _bptt(self, cache: dict, dh: np.ndarray) -> StepGrads:
        """Backward through time from dh (T, K, H), K = B, or any K when B = 1 (broadcast)."""
        T, K, H = dh.shape
        h = cache["h"]                              # (T, B, H)
        B = h.shape[1]
        q = np.empty((T + 1, K, 2 * H), self.dtype)  # (T+1, K, 2H) row t + 1: [dh[t], da_{t+1}]
        q[1:, :, :H] = dh
        q[0, :, :H] = 0.0
        q[T, :, H:] = 0.0
        da = q[:T, :, H:]                           # (T, K, H) dL/da_t, a view
        dh_tot = np.empty((T, K, H), self.dtype)
        nc = min(T, max(1, _CHUNK // (B * H)))      # steps per chunk of local derivatives (see LSTM)
        dbuf = np.empty((nc, B, H), self.dtype)     # (nc, B, H) tanh' = 1 - h^2, or relu' = [h > 0]
        relu = self.nonlinearity == "relu"
        mm = np.dot if K == 1 else np.matmul
        W, multiply, plus, minus = self._Wb, np.multiply, np.add, np.subtract
        fold, Whh = 4 * K * H * H <= _FOLD * self.n_gates, self._Wb[H:]
        back = slice(None, None, -1)
        for end in range(T, 0, -nc):
            s = max(0, end - nc)
            d, ch = dbuf[:end - s], slice(s, end)
            if relu:
                np.greater(h[ch], 0.0, out=d)
            else:
                multiply(h[ch], h[ch], out=d)
                minus(1.0, d, out=d)
            for qn, dht, dat, dt in zip(q[end:s:-1], dh_tot[ch][back], da[ch][back], d[back]):
                if fold:
                    mm(qn, W, out=dht)              # dh[t] + da_{t+1} W_hh
                else:
                    mm(qn[:, H:], Whh, out=dht)
                    plus(dht, qn[:, :H], out=dht)
                multiply(dht, dt, out=dat)
        return StepGrads(pre_ih=da, pre_hh=da, h=dh_tot, h0=mm(q[0], W))

    def backward(self, tr: RNNTrace, dh) -> Grads:
        """Exact BPTT. dh = dL/dh_t for every step, shaped like tr.h."""
        return self._grads(self._bptt(tr.cache, self._dh(tr, dh)), tr.cache, tr.batched)


CELLS = {"lstm": LSTM, "gru": GRU, "rnn": RNN}
