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
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

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
        dXf, dHf = dX.reshape(-1, GH), dHH.reshape(-1, GH)
        return Grads(
            weight_ih=dXf.T @ x.reshape(-1, D),
            weight_hh=dHf.T @ hprev.reshape(-1, H),
            bias_ih=dXf.sum(0),
            bias_hh=dHf.sum(0),
            x=_unbatch(dX @ self.weight_ih, batched),
            h0=_unbatch(dh0, batched, 0),
            c0=None if dc0 is None else _unbatch(dc0, batched, 0),
        )

    def _dh(self, tr, dh) -> np.ndarray:
        dh = _array(dh, self.dtype, "dh")
        if dh.shape != tr.h.shape:
            raise ValueError(f"dh has shape {dh.shape}; expected {tr.h.shape}, the shape of trace.h.")
        return dh if tr.batched else dh[:, None, :]

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


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a)  # own copy, so nobody changes the weights behind the precomputed kernels
    a.setflags(write=False)
    return a


def _previous(first: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """The state before each step: (first, seq[0], ..., seq[T-2]), shaped like seq."""
    return np.concatenate([first[None], seq[:-1]], axis=0)


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
        self._Wx = np.ascontiguousarray((self.weight_ih * s[:, None]).T)  # (D, 4H)
        self._Wh = np.ascontiguousarray((self.weight_hh * s[:, None]).T)  # (H, 4H)
        self._b = (self.bias_ih + self.bias_hh) * s                        # (4H,)
        self._mul = s                            # tanh(z/2) -> sigmoid: * 0.5 + 0.5; g stays tanh(z)
        self._add = np.where(s == 0.5, 0.5, 0.0).astype(self.dtype)

    def forward(self, x, h0=None, c0=None) -> LSTMTrace:
        """Run the sequence. x (T, D) or (T, B, D); h0, c0 (H,) or (B, H), zeros by default."""
        x, batched = _input(x, self.input_size, self.dtype)
        T, B, _ = x.shape
        H = self.hidden_size
        h0 = _state(h0, B, H, self.dtype, "h0")
        c0 = _state(c0, B, H, self.dtype, "c0")
        xz = x @ self._Wx + self._b                  # (T, B, 4H) input projection of every step
        a = np.empty((T, B, 4 * H), self.dtype)      # (T, B, 4H) gate activations
        c = np.empty((T, B, H), self.dtype)          # (T, B, H)
        tc = np.empty((T, B, H), self.dtype)         # (T, B, H) tanh(c)
        h = np.empty((T, B, H), self.dtype)          # (T, B, H)
        i, f, g, o = np.split(a, 4, axis=-1)         # views, each (T, B, H)
        hp, cp = h0, c0
        for t in range(T):
            at = a[t]
            np.matmul(hp, self._Wh, out=at)
            at += xz[t]
            np.tanh(at, out=at)
            at *= self._mul
            at += self._add
            ct = c[t]
            np.multiply(f[t], cp, out=ct)
            ct += i[t] * g[t]
            np.tanh(ct, out=tc[t])
            np.multiply(o[t], tc[t], out=h[t])
            hp, cp = h[t], ct
        cache = dict(x=x, h0=h0, c0=c0, a=a, c=c, tc=tc, h=h)
        u = lambda v: _unbatch(v, batched)  # noqa: E731
        return LSTMTrace(x=u(x), h0=_unbatch(h0, batched, 0), c0=_unbatch(c0, batched, 0),
                         i=u(i), f=u(f), g=u(g), o=u(o), c=u(c), tanh_c=u(tc), h=u(h),
                         batched=batched, cache=cache)

    def _bptt(self, cache: dict, dh: np.ndarray):
        """Backward through time from dh (T, K, H), K >= the trace's batch (broadcast).

        Returns dz (T, K, 4H) = dL/dz_t, and the totals dL/dh_t, dL/dc_t (T, K, H) and
        dL/dh0, dL/dc0 (K, H).
        """
        T, K, H = dh.shape
        a, c, tc = cache["a"], cache["c"], cache["tc"]
        i, f, g, o = np.split(a, 4, axis=-1)
        cprev = _previous(cache["c0"], c)              # (T, B, H)
        d = a * (1.0 - a)                              # (T, B, 4H) sigmoid'(z) = s (1 - s) ...
        np.split(d, 4, axis=-1)[2][:] = 1.0 - g * g    # ... and tanh'(z) = 1 - g^2 for g
        odc = o * (1.0 - tc * tc)                      # (T, B, H) dh_t/dc_t through tanh(c_t)
        dz = np.empty((T, K, 4 * H), self.dtype)       # (T, K, 4H)
        di, df, dg, do = np.split(dz, 4, axis=-1)
        dh_tot = np.empty((T, K, H), self.dtype)       # (T, K, H) dL/dh_t
        dc_tot = np.empty((T, K, H), self.dtype)       # (T, K, H) dL/dc_t
        dhn = np.zeros((K, H), self.dtype)
        dcn = np.zeros((K, H), self.dtype)
        for t in range(T - 1, -1, -1):
            dht, dct = dh_tot[t], dc_tot[t]
            np.add(dh[t], dhn, out=dht)
            np.multiply(dht, odc[t], out=dct)
            dct += dcn                                 # the carousel: dL/dc_{t+1} * f_{t+1}
            np.multiply(dct, g[t], out=di[t])
            np.multiply(dct, cprev[t], out=df[t])
            np.multiply(dct, i[t], out=dg[t])
            np.multiply(dht, tc[t], out=do[t])
            dz[t] *= d[t]
            dcn = dct * f[t]
            dhn = dz[t] @ self.weight_hh
        return dz, dh_tot, dc_tot, dhn, dcn

    def backward(self, tr: LSTMTrace, dh) -> Grads:
        """Exact BPTT. dh = dL/dh_t for every step, shaped like tr.h."""
        dz, _, _, dh0, dc0 = self._bptt(tr.cache, self._dh(tr, dh))
        hprev = _previous(tr.cache["h0"], tr.cache["h"])
        return self._grads(dz, dz, tr.cache["x"], hprev, tr.batched, dh0, dc0)


# ---------------------------------------------------------------------------------------------
# GRU


class GRU(_Cell):
    """Gated recurrent unit in torch.nn.GRU's layout.

    weight_ih (3H, D), weight_hh (3H, H), bias_ih (3H,), bias_hh (3H,); gate order r, z, n.
    """

    kind, n_gates, gate_names = "gru", 3, GRU_GATES

    def _prepare(self):
        H = self.hidden_size
        s = np.repeat(np.array([0.5, 0.5, 1.0], self.dtype), H)  # (3H,) halve r and z rows
        self._Wx = np.ascontiguousarray((self.weight_ih * s[:, None]).T)  # (D, 3H)
        self._Wh = np.ascontiguousarray((self.weight_hh * s[:, None]).T)  # (H, 3H)
        self._bx, self._bh = self.bias_ih * s, self.bias_hh * s            # (3H,)

    def forward(self, x, h0=None) -> GRUTrace:
        """Run the sequence. x (T, D) or (T, B, D); h0 (H,) or (B, H), zeros by default."""
        x, batched = _input(x, self.input_size, self.dtype)
        T, B, _ = x.shape
        H = self.hidden_size
        h0 = _state(h0, B, H, self.dtype, "h0")
        xz = x @ self._Wx + self._bx                # (T, B, 3H)
        xrz, xn = np.split(xz, [2 * H], axis=-1)    # (T, B, 2H), (T, B, H)
        a = np.empty((T, B, 3 * H), self.dtype)     # (T, B, 3H) r, z, n
        rz, n = np.split(a, [2 * H], axis=-1)
        r, z, _ = np.split(a, 3, axis=-1)
        hn = np.empty((T, B, H), self.dtype)        # (T, B, H) W_hn h + b_hn
        h = np.empty((T, B, H), self.dtype)         # (T, B, H)
        hp = h0
        for t in range(T):
            hh = hp @ self._Wh + self._bh           # (B, 3H)
            hrz, hn[t] = np.split(hh, [2 * H], axis=-1)
            np.add(xrz[t], hrz, out=rz[t])
            np.tanh(rz[t], out=rz[t])
            rz[t] *= 0.5
            rz[t] += 0.5
            np.multiply(r[t], hn[t], out=n[t])
            n[t] += xn[t]
            np.tanh(n[t], out=n[t])
            np.subtract(hp, n[t], out=h[t])
            h[t] *= z[t]
            h[t] += n[t]                            # n + z (h - n) = (1 - z) n + z h
            hp = h[t]
        cache = dict(x=x, h0=h0, a=a, hn=hn, h=h)
        u = lambda v: _unbatch(v, batched)  # noqa: E731
        return GRUTrace(x=u(x), h0=_unbatch(h0, batched, 0), r=u(r), z=u(z), n=u(n), hn=u(hn),
                        h=u(h), batched=batched, cache=cache)

    def _bptt(self, cache: dict, dh: np.ndarray):
        """Backward from dh (T, K, H). Returns dX, dHH (T, K, 3H), dL/dh_t (T, K, H), dL/dh0."""
        T, K, H = dh.shape
        r, z, n = np.split(cache["a"], 3, axis=-1)
        hn = cache["hn"]
        hprev = _previous(cache["h0"], cache["h"])
        kn = (1.0 - z) * (1.0 - n * n)              # (T, B, H) dh_t/d(n pre-activation)
        kz = (hprev - n) * z * (1.0 - z)            # (T, B, H) dh_t/d(z pre-activation)
        kr = hn * r * (1.0 - r)                     # (T, B, H) d(n pre)/d(r pre)
        dX = np.empty((T, K, 3 * H), self.dtype)    # (T, K, 3H) dL/d(W_ih x + b_ih)
        dHH = np.empty((T, K, 3 * H), self.dtype)   # (T, K, 3H) dL/d(W_hh h + b_hh)
        dr, dzg, dn = np.split(dX, 3, axis=-1)
        dHr, dHz, dHn = np.split(dHH, 3, axis=-1)
        dh_tot = np.empty((T, K, H), self.dtype)
        dhn = np.zeros((K, H), self.dtype)
        for t in range(T - 1, -1, -1):
            dht = dh_tot[t]
            np.add(dh[t], dhn, out=dht)
            np.multiply(dht, kn[t], out=dn[t])
            np.multiply(dht, kz[t], out=dzg[t])
            np.multiply(dn[t], kr[t], out=dr[t])
            np.multiply(dn[t], r[t], out=dHn[t])
            dHr[t], dHz[t] = dr[t], dzg[t]
            dhn = dht * z[t] + dHH[t] @ self.weight_hh
        return dX, dHH, dh_tot, dhn

    def backward(self, tr: GRUTrace, dh) -> Grads:
        """Exact BPTT. dh = dL/dh_t for every step, shaped like tr.h."""
        dX, dHH, _, dh0 = self._bptt(tr.cache, self._dh(tr, dh))
        hprev = _previous(tr.cache["h0"], tr.cache["h"])
        return self._grads(dX, dHH, tr.cache["x"], hprev, tr.batched, dh0)


# ---------------------------------------------------------------------------------------------
# vanilla RNN


class RNN(_Cell):
    """Elman RNN with tanh in torch.nn.RNN's layout: weight_ih (H, D), weight_hh (H, H)."""

    kind, n_gates, gate_names = "rnn", 1, ()

    def _prepare(self):
        self._Wx = np.ascontiguousarray(self.weight_ih.T)  # (D, H)
        self._Wh = np.ascontiguousarray(self.weight_hh.T)  # (H, H)
        self._b = self.bias_ih + self.bias_hh              # (H,)

    def forward(self, x, h0=None) -> RNNTrace:
        """Run the sequence. x (T, D) or (T, B, D); h0 (H,) or (B, H), zeros by default."""
        x, batched = _input(x, self.input_size, self.dtype)
        T, B, _ = x.shape
        H = self.hidden_size
        h0 = _state(h0, B, H, self.dtype, "h0")
        a = x @ self._Wx + self._b                  # (T, B, H) pre-activations, input part
        h = np.empty((T, B, H), self.dtype)         # (T, B, H)
        hp = h0
        for t in range(T):
            a[t] += hp @ self._Wh
            np.tanh(a[t], out=h[t])
            hp = h[t]
        cache = dict(x=x, h0=h0, h=h)
        u = lambda v: _unbatch(v, batched)  # noqa: E731
        return RNNTrace(x=u(x), h0=_unbatch(h0, batched, 0), a=u(a), h=u(h), batched=batched,
                        cache=cache)

    def _bptt(self, cache: dict, dh: np.ndarray):
        """Backward from dh (T, K, H). Returns da (T, K, H), dL/dh_t (T, K, H), dL/dh0."""
        T, K, H = dh.shape
        h = cache["h"]
        d = 1.0 - h * h                             # (T, B, H) tanh'
        da = np.empty((T, K, H), self.dtype)        # (T, K, H) dL/da_t
        dh_tot = np.empty((T, K, H), self.dtype)
        dhn = np.zeros((K, H), self.dtype)
        for t in range(T - 1, -1, -1):
            np.add(dh[t], dhn, out=dh_tot[t])
            np.multiply(dh_tot[t], d[t], out=da[t])
            dhn = da[t] @ self.weight_hh
        return da, dh_tot, dhn

    def backward(self, tr: RNNTrace, dh) -> Grads:
        """Exact BPTT. dh = dL/dh_t for every step, shaped like tr.h."""
        da, _, dh0 = self._bptt(tr.cache, self._dh(tr, dh))
        hprev = _previous(tr.cache["h0"], tr.cache["h"])
        return self._grads(da, da, tr.cache["x"], hprev, tr.batched, dh0)


CELLS = {"lstm": LSTM, "gru": GRU, "rnn": RNN}
