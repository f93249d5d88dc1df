"""Recurrent cells in PyTorch's layout, with full traces and exact backprop through time.

Shapes: T steps, B batch, D input size, H hidden size, G gates per cell (LSTM 4, GRU 3, RNN 1).
Arrays are time-major, (T, B, .); unbatched input (T, D) gives unbatched traces (T, H).

LSTM, gate order i, f, g, o (torch.nn.LSTM):
    z_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh            (B, 4H)
    i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o)     input, forget, output gates
    g = tanh(z_g)                                         candidate memory
    c_t = f * c_{t-1} + i * g                             long-term memory (cell state)
    h_t = o * tanh(c_t)                                   short-term memory (hidden state)
GRU, gate order r, z, n (torch.nn.GRU):
    r = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)     reset gate
    z = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)     update gate (1 keeps the old state)
    n = tanh(W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn))  candidate
    h_t = (1 - z) * n + z * h_{t-1}
RNN (torch.nn.RNN, nonlinearity tanh):
    h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)

sigmoid(z) is computed as (1 + tanh(z / 2)) / 2: no overflow for any finite z, and halving is
exact in binary floating point, so the sigmoid rows of the weights are pre-halved once and a
single tanh per step serves every gate.

Each forward rule sits next to its backward rule. Backward is a function of the trace only:
it never recomputes the forward pass.
Layer: engine. Imports NumPy only.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

_CHUNK = 8192  # elements per (steps, B, H) block of backward's local derivatives: fits in L2 cache
_FOLD = 1 << 16  # 4 K H^2 / G up to which backward adds dh[t] inside its product (saved call > flops)

LSTM_GATES = ("i", "f", "g", "o")  # PyTorch's order; the one place it is written down
GRU_GATES = ("r", "z", "n")


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
    tanh_c: np.ndarray  # tanh(c_t), box 5 of the diagram
    h: np.ndarray       # hidden state after step t
    batched: bool
    cache: dict = field(repr=False)  # the same arrays, always batched, for backward
    kind: str = "lstm"


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
    """Everything a tanh-RNN forward pass computed; each field is (T, H) or (T, B, H)."""

    x: np.ndarray
    h0: np.ndarray
    a: np.ndarray       # pre-activation W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
    h: np.ndarray
    batched: bool
    cache: dict = field(repr=False)
    kind: str = "rnn"


@dataclass(frozen=True, eq=False)
class Grads:
    """Exact gradients of the loss, shaped like what they differentiate."""

    weight_ih: np.ndarray  # (G*H, D)
    weight_hh: np.ndarray  # (G*H, H)
    bias_ih: np.ndarray    # (G*H,)
    bias_hh: np.ndarray    # (G*H,)
    x: np.ndarray          # (T, D) or (T, B, D)
    h0: np.ndarray         # (H,) or (B, H)
    c0: np.ndarray | None = None  # LSTM only


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


def _state(s, B: int, H: int, dtype, name: str) -> np.ndarray:
    if s is None:
        return np.zeros((B, H), dtype)
    s = _array(s, dtype, name)
    if s.shape == (H,):
        s = np.broadcast_to(s, (B, H))
    if s.shape != (B, H):
        raise ValueError(f"{name} has shape {s.shape}; expected ({H},) or ({B}, {H}).")
    return s


def _unbatch(a: np.ndarray, batched: bool, axis: int = 1) -> np.ndarray:
    return a if batched else a.squeeze(axis)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """Overflow-free logistic function, the same formula the kernels use."""
    return 0.5 + 0.5 * np.tanh(0.5 * z)


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

    @classmethod
    def random(cls, input_size: int, hidden_size: int, seed: int = 0, forget_bias: float = 1.0,
               weight_scale: float = 1.0, dtype=np.float64):
        """PyTorch's default init, U(-1/sqrt(H), 1/sqrt(H)), with every weight times weight_scale.

        forget_bias sets the total bias (b_ih + b_hh) of the gate that keeps memory: the LSTM's
        forget gate f, the GRU's update gate z. The RNN has no such gate and ignores it.
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
        return cls(W_ih, W_hh, b_ih, b_hh, dtype=dtype)

    def _grads(self, dX, dHH, x, hprev, batched, dh0, dc0=None) -> Grads:
        """Parameter and input gradients from the per-step pre-activation gradients.

        dX (T, B, GH) is dL/d(W_ih x + b_ih), dHH (T, B, GH) is dL/d(W_hh h + b_hh).
        """
        D, H, GH = self.input_size, self.hidden_size, self.n_gates * self.hidden_size
        T, B = dX.shape[:2]
        # 2-D products: a (T, B, .) @ (., .) matmul would run T small products instead of one
        dXf = dX.reshape(-1, GH)                                 # (T*B, GH)
        dHf = dXf if dHH is dX else dHH.reshape(-1, GH)          # (T*B, GH)
        bias_ih = dXf.sum(0)                                     # (GH,)
        return Grads(
            weight_ih=dXf.T @ x.reshape(-1, D),
            weight_hh=dHf.T @ hprev.reshape(-1, H),
            bias_ih=bias_ih,
            bias_hh=bias_ih.copy() if dHf is dXf else dHf.sum(0),
            x=_unbatch((dXf @ self.weight_ih).reshape(T, B, D), batched),
            h0=_unbatch(dh0, batched, 0),
            c0=None if dc0 is None else _unbatch(dc0, batched, 0),
        )

    def _dh(self, tr, dh) -> np.ndarray:
        dh = _array(dh, self.dtype, "dh")
        if dh.shape != tr.h.shape:
            raise ValueError(f"dh has shape {dh.shape}; expected {tr.h.shape}, the shape of trace.h.")
        return dh if tr.batched else dh[:, None, :]

    def preactivations(self, tr) -> dict[str, np.ndarray]:
        """What each gate's nonlinearity read, gate name -> (T, H) or (T, B, H), from the trace.

        LSTM i, f, g, o and GRU r, z: W_ih x_t + b_ih + W_hh h_{t-1} + b_hh, split in gate order;
        GRU n: W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn); RNN: {"h": the tanh's argument}.
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

    def state_dict(self) -> dict[str, np.ndarray]:
        """PyTorch state_dict names for a one-layer module."""
        return {"weight_ih_l0": self.weight_ih, "weight_hh_l0": self.weight_hh,
                "bias_ih_l0": self.bias_ih, "bias_hh_l0": self.bias_hh}

    def save(self, path) -> None:
        """Write .npz with PyTorch state_dict names; torch.load-free round trip via load_weights."""
        np.savez(path, **self.state_dict())

    def astype(self, dtype):
        return type(self)(self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, dtype=dtype)

    def __repr__(self):
        return f"{type(self).__name__}(input_size={self.input_size}, hidden_size={self.hidden_size}, dtype={self.dtype.name})"


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
    """Long short-term memory in torch.nn.LSTM's layout.

    weight_ih (4H, D), weight_hh (4H, H), bias_ih (4H,), bias_hh (4H,); gate order i, f, g, o.
    """

    kind, n_gates, gate_names = "lstm", 4, LSTM_GATES

    def _prepare(self):
        H = self.hidden_size
        s = np.repeat(np.array([0.5, 0.5, 1.0, 0.5], self.dtype), H)  # (4H,) halve sigmoid rows
        # The kernel keeps the gates in the order o, i, f, g: the sigmoid gates side by side (one
        # affine after the tanh), and (i, f) next to (g, c_{t-1}) so one multiply gives (i g, f c_{t-1}).
        # Input, bias and recurrent weights are one matrix: z_t = [x_t, 1, h_{t-1}] @ _W, one product a step.
        oifg = np.r_[3 * H:4 * H, 0:3 * H]                                     # (4H,) kernel order
        W = np.vstack([self.weight_ih.T, (self.bias_ih + self.bias_hh)[None], self.weight_hh.T]) * s
        self._W = np.ascontiguousarray(W[:, oifg])                              # (D+1+H, 4H)
        self._mul = np.r_[np.full(3 * H, 0.5), np.ones(H)].astype(self.dtype)  # sigmoid = tanh(z/2) * .5 + .5
        self._add = np.r_[np.full(3 * H, 0.5), np.zeros(H)].astype(self.dtype)  # g stays tanh(z)
        # backward reads [dL/dh_t from outside, dz_{t+1}] @ _Wb = dL/dh_t, again one product a step
        self._Wb = _identity_over(self.weight_hh)  # (5H, H)

    def forward(self, x, h0=None, c0=None) -> LSTMTrace:
        """Run the sequence. x (T, D) or (T, B, D); h0, c0 (H,) or (B, H), zeros by default."""
        x, batched = _input(x, self.input_size, self.dtype)
        T, B, D = x.shape
        H = self.hidden_size
        h0 = _state(h0, B, H, self.dtype, "h0")
        c0 = _state(c0, B, H, self.dtype, "c0")
        # Row t of each buffer holds what step t reads, and step t writes into row t + 1, so the
        # traces are views and nothing is copied in the loop.
        u = _rows(x, h0)                                 # (T+1, B, D+1+H) [x_t, 1, h_{t-1}]
        a = np.empty((T + 1, B, 5 * H), self.dtype)      # (T+1, B, 5H) [o, i, f, g of step t, c_{t-1}]
        a[0, :, 4 * H:] = c0
        tc = np.empty((T, B, H), self.dtype)             # (T, B, H) tanh(c_t)
        pair = np.empty((B, 2 * H), self.dtype)          # (B, 2H) scratch: (i g, f c_{t-1})
        ig, fc = pair[:, :H], pair[:, H:]
        mul = np.broadcast_to(self._mul, (B, 4 * H)).copy()  # (B, 4H): same-shape operands are faster
        add = np.broadcast_to(self._add, (B, 4 * H)).copy()
        mm = np.dot if B == 1 else np.matmul             # dot is the cheaper call for one row
        W, tanh, multiply, plus = self._W, np.tanh, np.multiply, np.add
        o, i, f, g, cp = (a[:T, :, k * H:(k + 1) * H] for k in range(5))  # (T, B, H) views
        c, h = a[1:, :, 4 * H:], u[1:, :, D + 1:]        # (T, B, H) views: c_t, h_t
        for ut, zt, gates, carry, ct, ot, tct, ht in zip(
                u[:T], a[:T, :, :4 * H], a[:T, :, H:3 * H], a[:T, :, 3 * H:], c, o, tc, h):
            mm(ut, W, out=zt)
            tanh(zt, out=zt)
            multiply(zt, mul, out=zt)
            plus(zt, add, out=zt)
            multiply(gates, carry, out=pair)             # (i, f) * (g, c_{t-1})
            plus(ig, fc, out=ct)
            tanh(ct, out=tct)
            multiply(ot, tct, out=ht)
        cache = dict(x=x, h0=h0, c0=c0, i=i, f=f, g=g, o=o, c=c, cprev=cp, tc=tc, h=h, hprev=u[:T, :, D + 1:])
        un = lambda v: _unbatch(v, batched)  # noqa: E731
        return LSTMTrace(x=un(x), h0=_unbatch(h0, batched, 0), c0=_unbatch(c0, batched, 0),
                         i=un(i), f=un(f), g=un(g), o=un(o), c=un(c), tanh_c=un(tc), h=un(h),
                         batched=batched, cache=cache)

    def _bptt(self, cache: dict, dh: np.ndarray):
        """Backward through time from dh (T, K, H), K >= the trace's batch (broadcast).

        Returns dz (T, K, 4H) = dL/dz_t, and the totals dL/dh_t, dL/dc_t (T, K, H) and
        dL/dh0, dL/dc0 (K, H).
        """
        T, K, H = dh.shape
        B = cache["h"].shape[1]
        i, f, g, o, cp, tc = (cache[k] for k in ("i", "f", "g", "o", "cprev", "tc"))  # (T, B, H)
        # row t + 1 of z is what dL/dh_t is made of: [dh[t], dz_{t+1}]; row 0 gives dL/dh0
        z = np.empty((T + 1, K, 5 * H), self.dtype)    # (T+1, K, 5H)
        z[1:, :, :H] = dh
        z[0, :, :H] = 0.0
        z[T, :, H:] = 0.0
        dh_tot = np.empty((T, K, H), self.dtype)       # (T, K, H) dL/dh_t
        dc_tot = np.empty((T, K, H), self.dtype)       # (T, K, H) dL/dc_t
        fdc = np.empty((T + 1, K, H), self.dtype)      # (T+1, K, H) row t: dL/dc_t * f_t, the carousel
        fdc[T] = 0.0
        di, df, dg, do = (z[:T, :, k * H:(k + 1) * H] for k in range(1, 5))  # (T, K, H) views
        # The local derivatives are computed for a chunk of steps at a time, small enough to stay in
        # cache when B * H is large, and the whole sequence in one chunk when it is small.
        n = min(T, max(1, _CHUNK // (B * H)))
        kbuf = np.empty((5, n, B, H), self.dtype)      # (5, n, B, H) one chunk's odc, ko, ki, kf, kg
        mm = np.dot if K == 1 else np.matmul
        W, multiply, plus, minus = self._Wb, np.multiply, np.add, np.subtract
        fold, Whh = 4 * K * H * H <= _FOLD * self.n_gates, self._Wb[H:]
        back = slice(None, None, -1)
        for e in range(T, 0, -n):
            s = max(0, e - n)
            odc, ko, ki, kf, kg = kbuf[:, :e - s]      # (L, B, H) each
            ch = slice(s, e)
            multiply(tc[ch], tc[ch], out=odc)
            minus(1.0, odc, out=odc)
            multiply(odc, o[ch], out=odc)              # dh_t/dc_t = o (1 - tanh^2 c) through tanh(c_t)
            minus(1.0, o[ch], out=ko)
            multiply(ko, o[ch], out=ko)
            multiply(ko, tc[ch], out=ko)               # dh_t/dz_o = tanh(c) o (1 - o)
            minus(1.0, i[ch], out=ki)
            multiply(ki, i[ch], out=ki)
            multiply(ki, g[ch], out=ki)                # dc_t/dz_i = g i (1 - i)
            minus(1.0, f[ch], out=kf)
            multiply(kf, f[ch], out=kf)
            multiply(kf, cp[ch], out=kf)               # dc_t/dz_f = c_{t-1} f (1 - f)
            multiply(g[ch], g[ch], out=kg)
            minus(1.0, kg, out=kg)
            multiply(kg, i[ch], out=kg)                # dc_t/dz_g = i (1 - g^2)
            for zn, dht, dct, fdn, fdt, dit, dft, dgt, dot, odct, kot, ft, kit, kft, kgt in zip(
                    z[e:s:-1], dh_tot[ch][back], dc_tot[ch][back], fdc[e:s:-1], fdc[ch][back], di[ch][back],
                    df[ch][back], dg[ch][back], do[ch][back], odc[back], ko[back], f[ch][back], ki[back],
                    kf[back], kg[back]):
                if fold:
                    mm(zn, W, out=dht)                 # dh[t] + dz_{t+1} W_hh
                else:
                    mm(zn[:, H:], Whh, out=dht)
                    plus(dht, zn[:, :H], out=dht)
                multiply(dht, kot, out=dot)
                multiply(dht, odct, out=dct)
                plus(dct, fdn, out=dct)                # + dL/dc_{t+1} f_{t+1}
                multiply(dct, ft, out=fdt)
                multiply(dct, kit, out=dit)
                multiply(dct, kft, out=dft)
                multiply(dct, kgt, out=dgt)
        return z[:T, :, H:], dh_tot, dc_tot, mm(z[0], W), fdc[0]

    def backward(self, tr: LSTMTrace, dh) -> Grads:
        """Exact BPTT. dh = dL/dh_t for every step, shaped like tr.h."""
        dz, _, _, dh0, dc0 = self._bptt(tr.cache, self._dh(tr, dh))
        return self._grads(dz, dz, tr.cache["x"], tr.cache["hprev"], tr.batched, dh0, dc0)


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
        h0 = _state(h0, B, H, self.dtype, "h0")
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
        cache = dict(x=x, h0=h0, r=r, z=z, n=n, hn=hn, h=h, hprev=hprev)
        un = lambda v: _unbatch(v, batched)  # noqa: E731
        return GRUTrace(x=un(x), h0=_unbatch(h0, batched, 0), r=un(r), z=un(z), n=un(n), hn=un(hn),
                        h=un(h), batched=batched, cache=cache)

    def _bptt(self, cache: dict, dh: np.ndarray):
        """Backward from dh (T, K, H). Returns dX, dHH (T, K, 3H), dL/dh_t (T, K, H), dL/dh0."""
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
        return dX, dHH, dh_tot, mm(q[0], W)

    def backward(self, tr: GRUTrace, dh) -> Grads:
        """Exact BPTT. dh = dL/dh_t for every step, shaped like tr.h."""
        dX, dHH, _, dh0 = self._bptt(tr.cache, self._dh(tr, dh))
        return self._grads(dX, dHH, tr.cache["x"], tr.cache["hprev"], tr.batched, dh0)


# ---------------------------------------------------------------------------------------------
# vanilla RNN


class RNN(_Cell):
    """Elman RNN with tanh in torch.nn.RNN's layout: weight_ih (H, D), weight_hh (H, H)."""

    kind, n_gates, gate_names = "rnn", 1, ()

    def _prepare(self):
        H = self.hidden_size
        # one product a step: [x_t, 1, h_{t-1}] @ _W = a_t
        self._W = np.ascontiguousarray(np.vstack(
            [self.weight_ih.T, (self.bias_ih + self.bias_hh)[None], self.weight_hh.T]))  # (D+1+H, H)
        self._Wb = _identity_over(self.weight_hh)  # (2H, H)

    def forward(self, x, h0=None) -> RNNTrace:
        """Run the sequence. x (T, D) or (T, B, D); h0 (H,) or (B, H), zeros by default."""
        x, batched = _input(x, self.input_size, self.dtype)
        T, B, D = x.shape
        H = self.hidden_size
        h0 = _state(h0, B, H, self.dtype, "h0")
        u = _rows(x, h0)                                 # (T+1, B, D+1+H) [x_t, 1, h_{t-1}]; t writes row t+1
        a = np.empty((T, B, H), self.dtype)             # (T, B, H) pre-activations
        h = u[1:, :, D + 1:]                            # (T, B, H) view
        mm = np.dot if B == 1 else np.matmul
        W, tanh = self._W, np.tanh
        for ut, at, ht in zip(u[:T], a, h):
            mm(ut, W, out=at)
            tanh(at, out=ht)
        cache = dict(x=x, h0=h0, h=h, hprev=u[:T, :, D + 1:])
        un = lambda v: _unbatch(v, batched)  # noqa: E731
        return RNNTrace(x=un(x), h0=_unbatch(h0, batched, 0), a=un(a), h=un(h), batched=batched,
                        cache=cache)

    def _bptt(self, cache: dict, dh: np.ndarray):
        """Backward from dh (T, K, H). Returns da (T, K, H), dL/dh_t (T, K, H), dL/dh0."""
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
        dbuf = np.empty((nc, B, H), self.dtype)     # (nc, B, H) tanh' = 1 - h^2
        mm = np.dot if K == 1 else np.matmul
        W, multiply, plus, minus = self._Wb, np.multiply, np.add, np.subtract
        fold, Whh = 4 * K * H * H <= _FOLD * self.n_gates, self._Wb[H:]
        back = slice(None, None, -1)
        for end in range(T, 0, -nc):
            s = max(0, end - nc)
            d, ch = dbuf[:end - s], slice(s, end)
            multiply(h[ch], h[ch], out=d)
            minus(1.0, d, out=d)
            for qn, dht, dat, dt in zip(q[end:s:-1], dh_tot[ch][back], da[ch][back], d[back]):
                if fold:
                    mm(qn, W, out=dht)              # dh[t] + da_{t+1} W_hh
                else:
                    mm(qn[:, H:], Whh, out=dht)
                    plus(dht, qn[:, :H], out=dht)
                multiply(dht, dt, out=dat)
        return da, dh_tot, mm(q[0], W)

    def backward(self, tr: RNNTrace, dh) -> Grads:
        """Exact BPTT. dh = dL/dh_t for every step, shaped like tr.h."""
        da, _, dh0 = self._bptt(tr.cache, self._dh(tr, dh))
        return self._grads(da, da, tr.cache["x"], tr.cache["hprev"], tr.batched, dh0)


CELLS = {"lstm": LSTM, "gru": GRU, "rnn": RNN}
