"""Gers & Schmidhuber (2001): a peephole LSTM learns the context-free language a^n b^n and counts past n = 10.

Layer: engine. Imports NumPy and the engine (cells, train, papers) only.
Shapes: L steps, B strings, D = 3 input symbols (S, a, b), H hidden size, C = 3 outputs (a, b, T).
    string n    S a^n b^n T with n >= 1; the network reads S a^n b^n, one one-hot symbol a step (2n + 1 steps)
                and after each step names every symbol that may come next:
                after S: {a};  after an a: {a, b};  after the k-th b, k < n: {b};  after the n-th b: {T}
    out_t = W h_t + b                         (L, B, C) one logit per possible next symbol
    loss  = binary cross-entropy of sigmoid(out_t) against that set, averaged over the real steps
    dL/dh_t = (sigmoid(out_t) - y_t) W / N    at every step: the per-step objective of next-symbol prediction
    accepted        at every step the outputs above 0.5 (logit > 0) are exactly the possible next symbols
    generalises to  the largest N such that every n in 1..N is accepted (searched up to a cap)
Training draws nothing at random: every Adam step sees the whole training set, the strings n = 1..10
padded to 21 steps and masked; the paper trained online, one string at a time.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .cells import LSTM
from .papers import grads_of, init_params, update
from .train import Adam

SYMBOLS = ("S", "a", "b")      # input channels
NEXT = ("a", "b", "T")         # output units: the symbols that may come next
PAPER_N = 1000                 # Gers & Schmidhuber 2001, best network trained on n <= 10 (from memory)
REPORTED_N = (65, 100)         # npow/schmidhuber-problems (NumPy, 2 cells, seeds 0-4, tested to n = 100)


def anbn_strings(ns) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """S a^n b^n for each n in ns: x (L, B, 3) one-hot, y (L, B, 3) next-symbol sets, mask (L, B)."""
    ns = np.asarray(ns, dtype=int)                  # (B,)
    if ns.ndim != 1 or len(ns) == 0 or ns.min() < 1:
        raise ValueError("a^n b^n needs a list of string sizes n >= 1.")
    L = 2 * int(ns.max()) + 1
    t = np.arange(L)[:, None]                       # (L, 1)
    is_a = (t >= 1) & (t <= ns)                     # (L, B) step t reads an a
    is_b = (t > ns) & (t <= 2 * ns)                 # (L, B) step t reads a b
    x = np.stack([np.broadcast_to(t == 0, is_a.shape), is_a, is_b], axis=-1).astype(float)  # (L, B, 3)
    nxt = [(t == 0) | is_a, is_a | (is_b & (t < 2 * ns)), t == 2 * ns]   # may come next: a, b, T
    y = np.stack(nxt, axis=-1).astype(float)        # (L, B, 3)
    return x, y, (t <= 2 * ns).astype(float)         # mask (L, B): 1 on real steps


def accepts(model: LSTM, readout, ns) -> np.ndarray:
    """(B,) bool: the network predicts every next-symbol set of S a^n b^n exactly, for each n in ns."""
    x, y, mask = anbn_strings(ns)
    out = model.forward(x).h @ readout[0].T + readout[1]        # (L, B, 3)
    right = ((out > 0) == (y > 0.5)).all(-1) | (mask == 0)      # (L, B)
    return right.all(0)


def generalises(model: LSTM, readout, n_max: int = 1000, chunk: int = 100) -> int:
    """The largest N <= n_max such that every n in 1..N is accepted (0 if n = 1 is not)."""
    for lo in range(1, n_max + 1, chunk):
        ok = accepts(model, readout, np.arange(lo, min(lo + chunk, n_max + 1)))
        if not ok.all():
            return lo - 1 + int(np.argmin(ok))
    return n_max


@dataclass(frozen=True)
class AnbnConfig:
    """One training run on a^n b^n."""

    hidden_size: int = 2          # H, memory cells
    train_max_n: int = 10         # the training set is n = 1 .. train_max_n
    steps: int = 2000             # Adam steps, each on the whole training set
    lr: float = 0.01              # Adam step size
    clip: float = 1.0             # global gradient-norm threshold
    forget_bias: float = 1.0      # initial forget-gate bias: remember by default
    input_bias: float = -1.0      # initial input-gate bias: the cell starts nearly shut
    seed: int = 0                 # fixes the initial weights (the data is fixed)


@dataclass(frozen=True, eq=False)
class AnbnProgress:
    step: int                 # Adam steps taken
    loss: float               # training loss before this step's update
    train_accepted: int       # training strings accepted before it
    seconds: float
    model: LSTM
    readout: tuple            # (W (3, H), b (3,))
    done: bool


def anbn_train(cfg: AnbnConfig = AnbnConfig()) -> Iterator[AnbnProgress]:
    """Train a peephole LSTM to predict the next symbol of a^n b^n; yield after every step."""
    rng = np.random.default_rng(cfg.seed)
    H = cfg.hidden_size
    model, params = init_params("peephole", 3, H, 3, cfg.forget_bias, rng)
    params["bias_ih"][:H], params["bias_hh"][:H] = cfg.input_bias, 0.0      # input gate rows come first
    model = model.with_parameters(**{k: params[k] for k in model.parameters()})
    x, y, mask = anbn_strings(np.arange(1, cfg.train_max_n + 1))             # (L, B, 3), (L, B, 3), (L, B)
    adam, start = Adam(params, cfg.lr), time.perf_counter()
    for step in range(cfg.steps + 1):
        readout = (params["readout.weight"].copy(), params["readout.bias"].copy())
        loss, right, grads = anbn_loss(model, readout, x, y, mask)
        yield AnbnProgress(step, loss, int(right.sum()), time.perf_counter() - start, model, readout,
                           step == cfg.steps)
        if step == cfg.steps:
            return
        model = update(model, params, adam, cfg.clip, grads)


def anbn_loss(model: LSTM, readout, x, y, mask) -> tuple[float, np.ndarray, dict]:
    """Per-step next-symbol loss: (mean BCE over real steps, strings accepted (B,) bool, gradients)."""
    W, b = readout
    tr = model.forward(x)
    out = tr.h @ W.T + b                                                 # (L, B, 3)
    N = float(mask.sum())
    bce = np.logaddexp(0.0, out) - y * out                               # -log p or -log(1 - p)
    right = (((out > 0) == (y > 0.5)).all(-1) | (mask == 0)).all(0)      # (B,)
    dout = mask[..., None] * (0.5 + 0.5 * np.tanh(0.5 * out) - y) / N    # (L, B, 3) (sigmoid - y) / N
    grads = grads_of(model, tr, dout @ W, {"readout.weight": np.einsum("lbc,lbh->ch", dout, tr.h),
                                           "readout.bias": dout.sum((0, 1))})
    return float(np.sum(mask[..., None] * bce) / N), right, grads


def anbn_run(cfg: AnbnConfig = AnbnConfig(), n_max: int = 1000) -> tuple[dict, LSTM, tuple]:
    """Train, then test every n up to n_max: (result, model, readout)."""
    for p in anbn_train(cfg):
        pass
    t0 = time.perf_counter()
    reach = generalises(p.model, p.readout, n_max)
    return (dict(seed=cfg.seed, generalises=reach, n_max=n_max, train_accepted=p.train_accepted,
                 loss=p.loss, seconds=p.seconds, test_seconds=time.perf_counter() - t0), p.model, p.readout)


def counter_unit(model: LSTM, n: int = 20) -> tuple[int, float, float]:
    """(unit, mean change of c per a, mean change per b) of the unit whose cell state moves one way on
    every a and the other way on every b of S a^n b^n; ValueError if no unit does."""
    c = model.forward(anbn_strings([n])[0][:, 0]).c                        # (2n+1, H)
    da, db = np.diff(c[:n + 1], axis=0), np.diff(c[n:], axis=0)            # (n, H) each
    for j in np.argsort(-np.abs(da.mean(0))):
        if (np.all(da[:, j] > 0) and np.all(db[:, j] < 0)) or (np.all(da[:, j] < 0) and np.all(db[:, j] > 0)):
            return int(j), float(da[:, j].mean()), float(db[:, j].mean())
    raise ValueError("No unit's cell state counts the a's one way and the b's the other.")


def sample_text(n: int) -> str:
    """S a^n b^n as the app's vector syntax, one one-hot row per symbol (S, a, b): '1 0 0; 0 1 0; ...'."""
    x = anbn_strings([n])[0][:, 0].astype(int)                             # (2n+1, 3)
    return "; ".join(" ".join(map(str, row)) for row in x)
