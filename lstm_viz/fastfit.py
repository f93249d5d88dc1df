"""The trainer's fast path: an LSTM (or a vanilla RNN) and its linear read-out as one flat parameter
vector, with a training-only forward and backward that keep only what backward needs, in reused buffers.

Shapes: T steps, B batch, D input size, H hidden size, C outputs, K = D + 2 + H.
Feature-major: a step's arrays are (rows, B), so each gate is one contiguous (H, B) block.
    theta = [W (K, 4H) | W_r (C, H) | b_r (C,)]     one vector: Adam, the norm and clipping are one pass each
    W = [W_ih^T; b_ih; b_hh; W_hh^T]                 PyTorch's arrays, gate columns reordered o, i, f, g
    u_t = [x_t; 1; 1; h_{t-1}]                       (K, B) both biases ride on rows of ones
    z_t = W^T u_t                                    (4H, B) one product a step
    o, i, f = sigmoid(z) = (1 + tanh(z / 2)) / 2     the kernel's copy of W has these columns halved
    g = tanh(z_g);  c_t = f c_{t-1} + i g;  h_t = o tanh(c_t)
    out = W_r h_T + b_r                              (C, B); loss as lstm_viz.train (MSE or cross-entropy)
Backward, from dh_T = W_r^T dL/dout and dc_{T+1} f_{T+1} = 0, for t = T .. 1:
    dz_o = dh_t * o (1 - o) tanh c_t
    dc_t = dh_t * o (1 - tanh^2 c_t) + f_{t+1} dc_{t+1}
    dz_i, dz_f, dz_g = dc_t * (g i (1 - i),  c_{t-1} f (1 - f),  i (1 - g^2))
    dh_{t-1} = W_hh^T dz_t = W[D+2:] dz_t            (H, B)
    dL/dW = sum_t u_t dz_t^T                         one product over all steps, after the loop
Every LSTM variant but the peephole one runs here: nig, nfg, nog pin a gate at 1 (tanh(z) * 0 + 1, so
its derivative is exactly 0); niaf leaves g = z_g; noaf uses c_t for tanh c_t; cifg sets f = 1 - i.
The vanilla RNN (tanh or relu) is the same machinery with one block of H columns:
    h_t = act(W^T u_t);  da_t = dh_t * act'(h_t) (1 - h_t^2, or [h_t > 0]);  dh_{t-1} = W[D+2:] da_t
The arithmetic runs in `dtype` (float32 or float64); theta itself, the master copy Adam updates, is
float64, and each step reads it into the kernel's weights (a cast and the halving, a few calls).
Layer: engine. Imports NumPy and the engine only.
"""
from __future__ import annotations

import numpy as np

from .cells import VARIANT_NAMES

FAST_VARIANTS = tuple(v for v in VARIANT_NAMES if v != "peephole")  # the LSTM variants this module trains
_CHUNK = 32768  # elements of one (steps, H, B) block of local derivatives: few calls, still in cache
_EVAL = 1 << 22  # elements of predict's buffers at most (16 MB in float32), whatever the test set's size


def fast_fit(model, readout, dtype=np.float32):
    """The fast learner for this model and read-out (LSTMFit or RNNFit), or None where there is none
    (the GRU and the peephole LSTM)."""
    if model.kind == "rnn":
        return RNNFit(model, readout, dtype)
    if model.kind == "lstm" and model.variant in FAST_VARIANTS:
        return LSTMFit(model, readout, dtype)
    return None


class _Fit:
    """What the kernels share: theta and grad, the kernel's weights, the read-out and its loss, predict, and
    the one product that gives every weight gradient. A subclass has G blocks of H columns in W, in the
    order _order(H) of PyTorch's rows, and its own _buffers, _forward and _backward.

    theta (float64) is the master copy of every parameter; grad, in the kernel's dtype, is laid out like it.
    """

    G = 1

    def __init__(self, model, readout, dtype=np.float32):
        D, H, G = model.input_size, model.hidden_size, self.G
        W_r, b_r = (np.asarray(a, np.float64) for a in readout)
        C, K = len(b_r), D + 2 + H
        self.shape, self.dtype = (D, H, C, K), np.dtype(dtype)
        self.theta = np.zeros(K * G * H + C * H + C)                     # (P,) float64 master copy
        self.grad = np.zeros(len(self.theta), self.dtype)                # (P,) dL/dtheta
        self.W, self.W_r, self.b_r = self._split(self.theta)             # (K, GH), (C, H), (C,) views
        self.gW, self.gW_r, self.gb_r = self._split(self.grad)
        order = self._order(H)                                           # PyTorch rows in kernel order
        self._back_order = np.argsort(order)                             # kernel columns in PyTorch order
        self.W[:] = np.vstack([model.weight_ih.T, model.bias_ih, model.bias_hh, model.weight_hh.T])[:, order]
        self.W_r[:], self.b_r[:] = W_r, b_r
        self._k = self._scale(H)                                         # (GH, 1)
        self._Wk = np.empty((G * H, K), self.dtype)                      # (GH, K) W^T, sigmoid rows halved
        self._Whh = np.empty((H, G * H), self.dtype)                     # (H, GH) W[D+2:] for backward
        self._Wr = np.empty((C, H), self.dtype)
        self._fit = self._eval = None                                    # buffers for training, for predict

    def _order(self, H: int) -> np.ndarray:
        return np.arange(self.G * H)

    def _scale(self, H: int) -> np.ndarray:
        """(GH, 1): what multiplies each column of W in the kernel's copy (the LSTM halves its sigmoids)."""
        return np.ones((self.G * H, 1))

    def _split(self, v: np.ndarray):
        D, H, C, K = self.shape
        n = K * self.G * H
        return v[:n].reshape(K, self.G * H), v[n:n + C * H].reshape(C, H), v[n + C * H:]

    def parameters(self, theta: np.ndarray | None = None) -> tuple[dict, tuple]:
        """(the cell's parameters in PyTorch's layout, (W_r, b_r)), copied from theta (default self.theta)."""
        D, H, C, K = self.shape
        W, W_r, b_r = self._split(self.theta if theta is None else theta)
        Wt = W[:, self._back_order].T                                     # (GH, K) PyTorch's row order
        cell = dict(weight_ih=Wt[:, :D].copy(), weight_hh=Wt[:, D + 2:].copy(),
                    bias_ih=Wt[:, D].copy(), bias_hh=Wt[:, D + 1].copy())
        return cell, (W_r.copy(), b_r.copy())

    def _weights(self) -> None:
        """theta into the kernel's weights, in dtype: W^T scaled, W_hh^T's rows for backward, W_r."""
        D = self.shape[0]
        np.multiply(self.W.T, self._k, out=self._Wk)
        np.copyto(self._Whh, self.W[D + 2:])
        np.copyto(self._Wr, self.W_r)

    def loss_and_grad(self, x: np.ndarray, y: np.ndarray, classify: bool) -> float:
        """Loss of the batch x (T, B, D), y (B,), and its gradient written into self.grad."""
        T, B, D = x.shape
        if self._fit is None or self._fit.TB != (T, B):
            self._fit = self._buffers(T, B, backward=True)
        bf = self._fit
        np.copyto(bf.u[:D, :T], x.transpose(2, 0, 1))                            # cast into the buffer
        self._weights()
        self._forward(bf)
        loss = self._readout(bf, y, classify)
        dz = self._backward(bf)                                                  # (T, GH, B) dL/dz_t
        np.copyto(bf.dzT, dz.transpose(0, 2, 1))
        np.dot(bf.u[:, :T].reshape(len(bf.u), T * B), bf.dzT.reshape(T * B, -1), out=self.gW)
        return loss

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The read-out's outputs (N, C) for x (T, N, D) with the current theta, in dtype: the same forward
        over chunks of the batch, each with at most _EVAL elements of buffers."""
        T, N, D = x.shape
        H, C, K = self.shape[1:]
        chunks = -(-N // max(1, _EVAL // ((T + 1) * (K + 6 * H))))
        n = -(-N // chunks)                                                     # sequences per chunk
        if self._eval is None or self._eval.TB != (T, n):
            self._eval = self._buffers(T, n, backward=False)
        bf, out = self._eval, np.empty((N, C), self.dtype)                      # (N, C)
        self._weights()
        for s in range(0, N, n):
            e = min(N, s + n)
            np.copyto(bf.u[:D, :T, :e - s], x[:, s:e].transpose(2, 0, 1))    # columns past e - s: ignored
            self._forward(bf)
            out[s:e] = (self._Wr @ bf.u[D + 2:, T, :e - s]).T + self.b_r
        return out

    def _readout(self, bf: _Buffers, y: np.ndarray, classify: bool) -> float:
        """The loss from h_T, the read-out's gradient, and dL/dh_T into bf.dh."""
        D, H, C, K = self.shape
        T, B = bf.TB
        h = bf.u[D + 2:, T]                                      # (H, B) h_T
        out = self._Wr @ h + self.b_r.astype(self.dtype)[:, None]  # (C, B)
        if classify:                                             # log-softmax, as train._cross_entropy
            z = out - out.max(0)
            logp = z - np.log(np.exp(z).sum(0))                  # (C, B)
            cols = np.arange(B)
            loss = -np.mean(logp[y, cols])
            p = np.exp(logp)
            p[y, cols] -= 1.0
            dout = p / B                                         # (C, B) softmax - one-hot, averaged
        else:
            err = out[0] - y.astype(self.dtype)                  # (B,)
            loss = np.dot(err, err) / B
            dout = (2.0 / B) * err[None]                         # (1, B)
        np.dot(dout, h.T, out=self.gW_r)
        np.sum(dout, axis=1, out=self.gb_r)
        np.dot(self._Wr.T, dout, out=bf.dh)
        return float(loss)

class LSTMFit(_Fit):
    """An LSTM (any variant in FAST_VARIANTS) with its read-out: gate columns o, i, f, g."""

    G = 4

    def __init__(self, model, readout, dtype=np.float32):
        if model.kind != "lstm" or model.variant not in FAST_VARIANTS:
            raise ValueError(f"The fast path trains the LSTM variants {', '.join(FAST_VARIANTS)}; "
                             f"not {model!r}.")
        self.variant = model.variant
        super().__init__(model, readout, dtype)

    def _order(self, H: int) -> np.ndarray:
        return np.r_[3 * H:4 * H, 0:3 * H]                               # o, i, f, g from i, f, g, o

    def _scale(self, H: int) -> np.ndarray:
        return np.repeat([0.5, 0.5, 0.5, 1.0], H)[:, None]               # sigmoid(z) reads tanh(z / 2)

    def _buffers(self, T: int, B: int, backward: bool) -> _LSTMBuffers:
        return _LSTMBuffers(self.shape, T, B, self.dtype, self.variant, backward)

    def _forward(self, bf: _LSTMBuffers) -> None:
        """h_t for every step into u, the gates and c_{t-1} into a, tanh(c_t) into tc: eight calls a step."""
        H = self.shape[1]
        ig, fc = bf.pair[:H], bf.pair[H:]
        cifg = self.variant == "cifg"
        Wk, mul, add, pair = self._Wk, bf.mul, bf.add, bf.pair
        tanh, tanh_c = np.tanh, np.positive if self.variant == "noaf" else np.tanh
        dot, multiply, plus, minus = np.dot, np.multiply, np.add, np.subtract
        for ut, zt, zat, it, ft, gates, carry, ct, ot, tct, ht in bf.steps:   # views made once (_Buffers)
            dot(Wk, ut, out=zt)                      # z_t, sigmoid rows halved
            tanh(zat, out=zat)
            multiply(zat, mul, out=zat)
            plus(zat, add, out=zat)                  # o, i, f = (1 + tanh) / 2; g = tanh
            if cifg:
                minus(1.0, it, out=ft)
            multiply(gates, carry, out=pair)         # (i, f) * (g, c_{t-1})
            plus(ig, fc, out=ct)
            tanh_c(ct, out=tct)
            multiply(ot, tct, out=ht)

    def _local(self, bf: _LSTMBuffers, s: int, e: int) -> np.ndarray:
        """Local derivatives of steps s..e-1 into k (L, 6, H, B): odc = dh/dc through tanh c, ko = dh/dz_o,
        ki, kf, kg = dc/dz_i, dc/dz_f, dc/dz_g, and f, which carries dc_t back to c_{t-1}. Gates that sit
        side by side in a are done in one call: per-call cost, not arithmetic, is what these sizes pay."""
        H = self.shape[1]
        L, B, v = e - s, bf.TB[1], self.variant
        a, k, tc = bf.a[s:e], bf.k[:e - s], bf.tc[s:e]
        o, i, f, g, cp = (a[:, j * H:(j + 1) * H] for j in range(5))       # (L, H, B) views
        odc, ko, ki, kf, kg, kc = (k[:, j] for j in range(6))
        oif, gc = a[:, :3 * H].reshape(L, 3, H, B), a[:, 3 * H:].reshape(L, 2, H, B)     # (L, 3 or 2, H, B)
        multiply, minus = np.multiply, np.subtract
        minus(1.0, oif, out=k[:, 1:4])
        multiply(k[:, 1:4], oif, out=k[:, 1:4])  # o (1 - o), i (1 - i), f (1 - f)
        multiply(ko, tc, out=ko)                 # dh/dz_o = tanh(c) o (1 - o)
        if v == "cifg":                          # f = 1 - i: c = i g + (1 - i) c_{t-1}, and f has no weights
            minus(g, cp, out=kf)
            multiply(ki, kf, out=ki)             # (g - c_{t-1}) i (1 - i)
            kf[...] = 0.0
        else:
            multiply(k[:, 2:4], gc, out=k[:, 2:4])  # g i (1 - i), c_{t-1} f (1 - f)
        if v == "noaf":
            np.copyto(odc, o)                    # h = o c
        else:
            multiply(tc, tc, out=odc)
            minus(1.0, odc, out=odc)
            multiply(odc, o, out=odc)            # o (1 - tanh^2 c)
        if v == "niaf":
            np.copyto(kg, i)                     # g = z_g
        else:
            multiply(g, g, out=kg)
            minus(1.0, kg, out=kg)
            multiply(kg, i, out=kg)              # i (1 - g^2)
        np.copyto(kc, f)
        return k

    def _backward(self, bf: _LSTMBuffers) -> np.ndarray:
        """dz_t for every step into E, from dL/dh_T in bf.dh: a product and three calls a step."""
        dh, dh1 = bf.dh, bf.dh[None]                             # (H, B), (1, H, B)
        Whh, multiply, plus, dot = self._Whh, np.multiply, np.add, np.dot
        for s, e, steps in bf.chunks:                            # last chunk first; steps last first
            self._local(bf, s, e)
            for two, dc, dc1, fdn, four, dz, k2, k4 in steps:
                multiply(dh1, k2, out=two)                       # dh odc, dz_o
                plus(dc, fdn, out=dc)                            # dc_t
                multiply(dc1, k4, out=four)                      # dz_i, dz_f, dz_g, f dc_t
                dot(Whh, dz, out=dh)                             # dL/dh_{t-1}
        H = self.shape[1]
        return bf.E[:bf.TB[0], H:5 * H]                          # (T, 4H, B) dz_t, gates o, i, f, g


class RNNFit(_Fit):
    """A vanilla RNN (tanh or relu) with its read-out: one block of H columns, two calls a step each way."""

    def __init__(self, model, readout, dtype=np.float32):
        if model.kind != "rnn":
            raise ValueError(f"RNNFit trains a vanilla RNN, not {model!r}.")
        self.relu = model.nonlinearity == "relu"
        super().__init__(model, readout, dtype)

    def _buffers(self, T: int, B: int, backward: bool) -> _RNNBuffers:
        return _RNNBuffers(self.shape, T, B, self.dtype, backward)

    def _forward(self, bf: _RNNBuffers) -> None:
        """h_t = act(W^T u_t) for every step, into u."""
        Wk, a, dot, relu = self._Wk, bf.a, np.dot, self.relu
        for ut, ht in bf.steps:
            dot(Wk, ut, out=a)                                   # (H, B) a_t
            if relu:
                np.maximum(a, 0.0, out=ht)
            else:
                np.tanh(a, out=ht)

    def _backward(self, bf: _RNNBuffers) -> np.ndarray:
        """da_t for every step, from dL/dh_T in bf.dh: act' for all steps at once, then two calls a step."""
        d, h = bf.d, bf.h                                        # (T, H, B) act'(a_t), h_t
        if self.relu:
            np.greater(h, 0.0, out=d)
        else:
            np.multiply(h, h, out=d)
            np.subtract(1.0, d, out=d)
        dh, Whh, multiply, dot = bf.dh, self._Whh, np.multiply, np.dot
        for dat, dt in bf.back:                                  # last step first
            multiply(dh, dt, out=dat)                            # da_t
            dot(Whh, dat, out=dh)                                # dL/dh_{t-1}
        return bf.da


class _Buffers:
    """Every array a pass writes, allocated once for batches of T steps and B sequences; backward's too
    when asked. These are what every kernel has; a kernel's own buffers add theirs."""

    def __init__(self, shape: tuple, T: int, B: int, dtype, G: int, backward: bool):
        D, H, C, K = shape
        self.TB = (T, B)
        self.u = np.zeros((K, T + 1, B), dtype)      # (K, T+1, B) column t: u_t = [x_t; 1; 1; h_{t-1}]
        self.u[D:D + 2] = 1.0
        if backward:
            self.dh = np.empty((H, B), dtype)        # (H, B) dL/dh_t of the step being processed
            self.dzT = np.empty((T, B, G * H), dtype)    # (T, B, GH) dz_t transposed for one weight product


class _LSTMBuffers(_Buffers):
    """The LSTM's: gates, cell states, tanh(c_t); backward's local derivatives and dz_t."""

    def __init__(self, shape: tuple, T: int, B: int, dtype, variant: str, backward: bool):
        super().__init__(shape, T, B, dtype, 4, backward)
        D, H, C, K = shape
        self.a = np.zeros((T + 1, 5 * H, B), dtype)  # (T+1, 5H, B) step t: o, i, f, g, c_{t-1}
        self.tc = np.empty((T, H, B), dtype)         # (T, H, B) tanh(c_t)
        self.pair = np.empty((2 * H, B), dtype)      # (2H, B) scratch: i g, f c_{t-1}
        self.act = slice(0, 3 * H) if variant == "niaf" else slice(0, 4 * H)   # rows the tanh runs over
        mul, add = np.repeat([0.5, 0.5, 0.5, 1.0], H), np.repeat([0.5, 0.5, 0.5, 0.0], H)
        pin = {"nog": 0, "nig": 1, "nfg": 2}.get(variant)                     # a gate pinned at 1
        if pin is not None:
            mul[pin * H:(pin + 1) * H], add[pin * H:(pin + 1) * H] = 0.0, 1.0
        # same-shape operands: a broadcast costs about a call's worth at these sizes
        self.mul = np.repeat(mul[self.act, None], B, axis=1).astype(dtype)     # (rows of act, B)
        self.add = np.repeat(add[self.act, None], B, axis=1).astype(dtype)
        self.steps = self._forward_steps(D, H, T)
        if backward:
            n = min(T, max(1, _CHUNK // (B * H)))    # steps per chunk of local derivatives
            self.k = np.empty((n, 6, H, B), dtype)   # (n, 6, H, B) odc, ko, ki, kf, kg, f of a chunk
            self.E = np.zeros((T + 1, 6 * H, B), dtype)  # (T+1, 6H, B) t: dc, dz_o, dz_i, dz_f, dz_g, f dc
            self.chunks = self._backward_steps(H, T, B, n)

    def _forward_steps(self, D: int, H: int, T: int) -> list:
        """Each step's views, in the forward loop's order: made once, as views cost a call each."""
        u, a = self.u.transpose(1, 0, 2), self.a                   # (T+1, K, B) column t: u_t; (T+1, 5H, B)
        return list(zip(u[:T], a[:T, :4 * H], a[:T, self.act], a[:T, H:2 * H], a[:T, 2 * H:3 * H],
                        a[:T, H:3 * H], a[:T, 3 * H:], a[1:, 4 * H:], a[:T, :H], self.tc, u[1:, D + 2:]))

    def _backward_steps(self, H: int, T: int, B: int, n: int) -> list:
        """[(s, e, the views of steps e-1 .. s)] for the chunks of n steps, the last chunk first."""
        E, k, back = self.E, self.k, slice(None, None, -1)
        E[T, 5 * H:] = 0.0                                       # f_{T+1} dc_{T+1}
        two = E[:, :2 * H].reshape(T + 1, 2, H, B)               # dc (first dh odc), dz_o
        four = E[:, 2 * H:].reshape(T + 1, 4, H, B)              # dz_i, dz_f, dz_g, f dc
        dc, fdc, dz = E[:, :H], E[:, 5 * H:], E[:, H:5 * H]      # (T+1, H, B), (T+1, H, B), (T+1, 4H, B)
        chunks = []
        for e in range(T, 0, -n):
            s = max(0, e - n)
            chunks.append((s, e, list(zip(
                two[s:e][back], dc[s:e][back], dc[s:e, None][back], fdc[s + 1:e + 1][back], four[s:e][back],
                dz[s:e][back], k[:e - s, :2][back], k[:e - s, 2:][back]))))
        return chunks


class _RNNBuffers(_Buffers):
    """The RNN's: a scratch a_t; backward's act'(a_t) and da_t."""

    def __init__(self, shape: tuple, T: int, B: int, dtype, backward: bool):
        super().__init__(shape, T, B, dtype, 1, backward)
        D, H, C, K = shape
        self.a = np.empty((H, B), dtype)             # (H, B) a_t = W^T u_t, the step's pre-activation
        u = self.u.transpose(1, 0, 2)                # (T+1, K, B) view: u_t
        self.h = u[1:, D + 2:]                       # (T, H, B) view: h_t
        self.steps = list(zip(u[:T], self.h))
        if backward:
            self.d = np.empty((T, H, B), dtype)      # (T, H, B) act'(a_t)
            self.da = np.empty((T, H, B), dtype)     # (T, H, B) dL/da_t
            self.back = list(zip(self.da[::-1], self.d[::-1]))
