"""A character-level language model: one recurrent layer reads one-hot characters, a linear read-out
guesses the next character at every step. Training, bits per character, and what each unit follows.

Layer: engine. Imports NumPy, .cells and .train (the Adam optimiser) only.

Shapes: T steps, B batch (parallel streams of text), H hidden size, V vocabulary size, F features.
    x_t = onehot(char_t)                                  (B, V)
    h_t, c_t = LSTM(x_t, h_{t-1}, c_{t-1})                 (B, H)
    y_t = h_t W^T + b                                     (B, V)  logits of char_{t+1}
    L = mean over t, b of -ln softmax(y_t)[char_{t+1}]    nats per character
    bits per character = L / ln 2
    dL/dy_t = (softmax(y_t) - onehot(char_{t+1})) / (T B),  dL/dh_t = dL/dy_t W,  then exact BPTT
Truncated BPTT: the training text is cut into B streams; each Adam step reads the next T characters of
every stream from the state the previous step ended in, carried but not differentiated through. Every
epoch starts the streams at a fresh (seeded) offset from a zero state.

The vocabulary is a string, index order; index 0 is FALLBACK, where every character not in it goes.
"""
from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from .cells import LSTM
from .train import Adam

FALLBACK = "\ufffd"  # U+FFFD REPLACEMENT CHARACTER: index 0, the input for any character not in the vocabulary
PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "readout.weight", "readout.bias")


def build_vocabulary(texts, min_count: int = 1) -> str:
    """FALLBACK, then every character seen at least min_count times in the texts, by code point."""
    counts = Counter()
    for text in texts:
        counts.update(text)
    return FALLBACK + "".join(sorted(ch for ch, n in counts.items() if n >= min_count and ch != FALLBACK))


def encode(text: str, vocabulary: str) -> np.ndarray:
    """(T,) int64 index of every character; one not in the vocabulary gets index 0 (FALLBACK)."""
    index = {ch: k for k, ch in enumerate(vocabulary)}
    points = np.frombuffer(text.encode("utf-32-le"), np.uint32) if text else np.zeros(0, np.uint32)
    uniq, inverse = np.unique(points, return_inverse=True)
    return np.array([index.get(chr(p), 0) for p in uniq], np.int64)[inverse].reshape(-1)


def one_hot(ids: np.ndarray, V: int, dtype=np.float64) -> np.ndarray:
    """ids (...) -> (..., V) with a 1 at each index."""
    out = np.zeros((*ids.shape, V), dtype)                 # (..., V)
    np.put_along_axis(out, ids[..., None], 1.0, axis=-1)
    return out


@dataclass(frozen=True)
class CharConfig:
    """A training recipe for the character model; the defaults are the shipped preset's but for its seed, 1
    (pilots at 3,000 steps: lr 1e-2 beat 3e-3, 200 characters per chunk beat 100 slightly)."""

    hidden_size: int = 128        # H
    seq_len: int = 200            # T: characters per stream per Adam step (truncated BPTT)
    batch_size: int = 32          # B: parallel streams of the training text
    steps: int = 10_000           # Adam steps
    lr: float = 1e-2              # Adam step size at the start
    lr_final: float = 5e-4        # step size at the end; cosine decay in between
    clip: float = 1.0             # global gradient-norm threshold
    forget_bias: float = 1.0      # initial forget-gate bias
    seed: int = 0                 # fixes the init and every epoch's stream offsets
    float32: bool = True          # train in float32 (the shipped weights are float32 too)


@dataclass(frozen=True, eq=False)
class CharProgress:
    """The model after `step` Adam steps."""

    step: int                     # Adam steps taken
    bits: float                   # training loss of this step's chunk, bits per character
    grad_norm: float              # global gradient norm before clipping
    seconds: float                # wall-clock time since training started
    model: LSTM
    readout: tuple                # (W (V, H), b (V,))


def train_char_model(text: str, vocabulary: str, config: CharConfig = CharConfig()) -> Iterator[CharProgress]:
    """Yield progress after every Adam step on the text; stop by not asking for more."""
    cfg, V, H = config, len(vocabulary), config.hidden_size
    dtype = np.float32 if cfg.float32 else np.float64
    ids = encode(text, vocabulary)                                    # (N,)
    rng = np.random.default_rng(cfg.seed)
    init = LSTM.random(V, H, seed=int(rng.integers(2**31)), forget_bias=cfg.forget_bias)
    params = {k: np.array(getattr(init, k), dtype) for k in PARAMS[:4]}
    k = 1.0 / math.sqrt(H)
    params["readout.weight"] = rng.uniform(-k, k, (V, H)).astype(dtype)   # (V, H) as torch.nn.Linear
    freq = np.bincount(ids, minlength=V) + 1.0                         # (V,) start from the unigram guess
    params["readout.bias"] = np.log(freq / freq.sum()).astype(dtype)
    adam = Adam(params, cfg.lr)
    B, T = cfg.batch_size, cfg.seq_len
    per_epoch = (len(ids) // B - 1) // T                               # Adam steps per pass over the text
    if per_epoch < 1:
        raise ValueError(f"The text has {len(ids)} characters; {B} streams of {T + 1} need more.")
    start = time.perf_counter()
    for step in range(cfg.steps):
        k = step % per_epoch
        if k == 0:                                                     # a new epoch: fresh offsets, zero state
            streams = np.roll(ids, -int(rng.integers(len(ids))))[:B * (len(ids) // B)].reshape(B, -1).T
            h = c = np.zeros((B, H), dtype)                            # streams (N/B, B); h, c (B, H)
        model = LSTM(*(params[n] for n in PARAMS[:4]), dtype=dtype)
        readout = (params["readout.weight"], params["readout.bias"])
        nats, grads, (h, c) = chunk_loss_and_grads(model, readout, streams[k * T:(k + 1) * T + 1], h, c)
        norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))
        if cfg.clip and norm > cfg.clip:
            for g in grads.values():
                g *= cfg.clip / norm
        adam.lr = cfg.lr_final + (cfg.lr - cfg.lr_final) * (1 + math.cos(math.pi * step / cfg.steps)) / 2
        adam.step(params, grads)
        yield CharProgress(step + 1, nats / math.log(2), norm, time.perf_counter() - start,
                           LSTM(*(params[n] for n in PARAMS[:4]), dtype=dtype),
                           (params["readout.weight"].copy(), params["readout.bias"].copy()))


def chunk_loss_and_grads(model, readout, ids: np.ndarray, h0, c0):
    """Mean next-character loss (nats) of ids (T+1, B) read from (h0, c0), the gradient of every
    parameter in PARAMS, and the final state (h_T, c_T) to carry into the next chunk."""
    W, b = readout                                                     # (V, H), (V,)
    (V, H), dtype = W.shape, model.dtype
    tr = model.forward(one_hot(ids[:-1], V, dtype), h0, c0)          # h (T, B, H)
    T, B = ids.shape[0] - 1, ids.shape[1]
    h = tr.h.reshape(T * B, H)                                         # (TB, H)
    logp = log_softmax(h @ W.T + b)                                    # (TB, V)
    rows, target = np.arange(T * B), ids[1:].reshape(-1)               # (TB,)
    nats = -float(logp[rows, target].mean())
    dy = np.exp(logp)                                                  # (TB, V) dL/dy
    dy[rows, target] -= 1.0
    dy /= T * B
    g = model.backward(tr, (dy @ W).reshape(T, B, H))
    grads = {"weight_ih": g.weight_ih, "weight_hh": g.weight_hh, "bias_ih": g.bias_ih, "bias_hh": g.bias_hh,
             "readout.weight": dy.T @ h, "readout.bias": dy.sum(0)}
    return nats, grads, (tr.h[-1], tr.c[-1])


def log_softmax(y: np.ndarray) -> np.ndarray:
    """ln softmax over the last axis, computed without overflow."""
    y = y - y.max(-1, keepdims=True)
    return y - np.log(np.exp(y).sum(-1, keepdims=True))


# ---------------------------------------------------------------------------------------------
# reading held-out text: bits per character and what each unit follows


@dataclass(frozen=True, eq=False)
class Reading:
    """A model read over some texts: how well it predicts them and how its units follow features."""

    bits_per_char: float          # mean -log2 p(next character), over every character after the first
    characters: int               # characters predicted
    features: tuple[str, ...]     # (F,) feature names, in the order of the rows of r
    r: np.ndarray                 # (F, 2H) Pearson r of each feature with h units 0..H-1, then c units

    def best(self, feature: str) -> tuple[str, int, float]:
        """('h' or 'c', unit, r) of the state unit whose |r| with the feature is highest."""
        row = self.r[self.features.index(feature)]
        j = int(np.argmax(np.abs(row)))
        H = row.shape[0] // 2
        return ("h" if j < H else "c"), j % H, float(row[j])


def read_texts(model, readout, texts, vocabulary: str,
               feature_fn: Callable[[str], dict] | None = None, chunk: int = 1024) -> Reading:
    """Run the model over each text from a zero state (the texts side by side as a batch, read a chunk of
    steps at a time) and return its bits per character and, given feature_fn(text) -> {name: (T,)},
    every state unit's Pearson r with every feature (the state after reading character t against the
    feature of character t)."""
    W, b = readout
    V, H = len(vocabulary), model.hidden_size
    n, lengths = len(texts), np.array([len(t) for t in texts])
    Tm = int(lengths.max())
    ids = np.zeros((Tm, n), np.int64)                                 # (T, n) padded with FALLBACK
    for j, t in enumerate(texts):
        ids[:len(t), j] = encode(t, vocabulary)
    valid = np.arange(Tm)[:, None] < lengths                          # (T, n)
    feats = [feature_fn(t) for t in texts] if feature_fn else []
    names = tuple(feats[0]) if feats else ()
    X = np.zeros((Tm, n, len(names)))                                 # (T, n, F)
    for j, (t, f) in enumerate(zip(texts, feats)):
        X[:len(t), j] = np.stack([f[k] for k in names], -1)
    moments = _Pearson(2 * H, len(names))
    h = c = np.zeros((n, H))                                          # (n, H)
    nats = 0.0
    for s in range(0, Tm, chunk):
        e = min(Tm, s + chunk)
        tr = model.forward(one_hot(ids[s:e], V, model.dtype), h, c)  # h, c (L, n, H)
        h, c = tr.h[-1], tr.c[-1]
        nxt = slice(s + 1, e + 1)                                      # step t predicts character t + 1
        ok = valid[nxt]                                                # (L', n)
        logp = log_softmax(tr.h[:ok.shape[0]][ok] @ W.T + b)           # (M, V)
        nats -= float(logp[np.arange(len(logp)), ids[nxt][ok]].sum())
        m = valid[s:e]
        moments.add(np.concatenate([tr.h[m], tr.c[m]], -1), X[s:e][m])
    count = int(valid[1:].sum())
    return Reading(nats / count / math.log(2), count, names, moments.r())


def correlations(states: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """Pearson r of each column of states (T, K) with feature (T,): (K,), 0 where either is constant."""
    p = _Pearson(states.shape[1], 1)
    p.add(np.asarray(states, float), np.asarray(feature, float)[:, None])
    return p.r()[0]


class _Pearson:
    """Running sums for Pearson r between F features and K units, over rows given a chunk at a time."""

    def __init__(self, K: int, F: int):
        self.n, self.su, self.suu = 0, np.zeros(K), np.zeros(K)      # (K,)
        self.sx, self.sxx, self.sxu = np.zeros(F), np.zeros(F), np.zeros((F, K))

    def add(self, U: np.ndarray, X: np.ndarray) -> None:
        """U (N, K) unit values and X (N, F) feature values on the same N rows."""
        U, X = U.astype(float), X.astype(float)
        self.n += len(U)
        self.su += U.sum(0)
        self.suu += (U * U).sum(0)
        self.sx += X.sum(0)
        self.sxx += (X * X).sum(0)
        self.sxu += X.T @ U

    def r(self) -> np.ndarray:
        """(F, K) correlations; 0 where a feature or a unit does not vary."""
        n = self.n
        cov = n * self.sxu - np.outer(self.sx, self.su)                # (F, K)
        var = np.outer(np.maximum(n * self.sxx - self.sx ** 2, 0), np.maximum(n * self.suu - self.su ** 2, 0))
        tiny = var <= 1e-12 * max(float(var.max(initial=0.0)), 1e-300)
        return np.where(tiny, 0.0, cov / np.sqrt(np.where(tiny, 1.0, var)))
