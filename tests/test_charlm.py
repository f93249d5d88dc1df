"""The character-level objective: vocabulary and encoding, the per-step cross-entropy gradient against central
finite differences, the carried state, a short training run, and the held-out reading against a direct one."""
import math

import numpy as np
import pytest

from lstm_viz.cells import LSTM
from lstm_viz.charlm import (
    FALLBACK,
    CharConfig,
    build_vocabulary,
    chunk_loss_and_grads,
    correlations,
    encode,
    log_softmax,
    one_hot,
    read_texts,
    train_char_model,
)


def test_vocabulary_keeps_frequent_characters_after_the_fallback():
    voc = build_vocabulary(["abba", "cab\n"], min_count=2)
    assert voc == FALLBACK + "ab"                       # c and \n are seen once
    assert encode("abcé", voc).tolist() == [1, 2, 0, 0]   # unseen characters go to index 0
    assert encode("", voc).shape == (0,)
    assert one_hot(np.array([[2, 0]]), 3).tolist() == [[[0, 0, 1], [1, 0, 0]]]


def _tiny(seed=0, V=5, H=3):
    rng = np.random.default_rng(seed)
    model = LSTM.random(V, H, seed=seed, weight_scale=2.0)
    readout = (rng.normal(0, 1, (V, H)), rng.normal(0, 1, V))
    return model, readout, rng


def test_chunk_gradient_matches_finite_differences():
    model, (W, b), rng = _tiny()
    ids = rng.integers(0, 5, (5, 2))                    # T = 4 steps, B = 2 streams, 5 characters each
    h0, c0 = rng.normal(0, 0.5, (2, 3)), rng.normal(0, 0.5, (2, 3))
    _, grads, _ = chunk_loss_and_grads(model, (W, b), ids, h0, c0)
    params = {k: np.array(getattr(model, k)) for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    params["readout.weight"], params["readout.bias"] = W.copy(), b.copy()

    def loss():
        m = LSTM(*(params[k] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")))
        return chunk_loss_and_grads(m, (params["readout.weight"], params["readout.bias"]), ids, h0, c0)[0]

    for name, p in params.items():
        num = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            keep = p[idx]
            p[idx] = keep + 1e-6
            up = loss()
            p[idx] = keep - 1e-6
            num[idx] = (up - loss()) / 2e-6
            p[idx] = keep
        np.testing.assert_allclose(grads[name], num, rtol=1e-6, atol=1e-9, err_msg=name)


def test_the_carried_state_continues_the_sequence_exactly():
    """Two chunks with the state carried read the text exactly as one chunk does."""
    model, readout, rng = _tiny(1)
    ids = rng.integers(0, 5, (9, 2))
    z = np.zeros((2, 3))
    whole, _, (h, c) = chunk_loss_and_grads(model, readout, ids, z, z)
    first, _, state = chunk_loss_and_grads(model, readout, ids[:5], z, z)
    second, _, (h2, c2) = chunk_loss_and_grads(model, readout, ids[4:], *state)
    assert whole == pytest.approx((first + second) / 2, rel=1e-12)
    np.testing.assert_allclose(h2, h, rtol=1e-12)
    np.testing.assert_allclose(c2, c, rtol=1e-12)


def test_a_short_training_run_learns_a_repeating_text():
    text = "def f(x):\n    return (x + 1)\n" * 40
    voc = build_vocabulary([text])
    cfg = CharConfig(hidden_size=16, seq_len=20, batch_size=4, steps=300, lr=2e-2, lr_final=2e-3, seed=3)
    runs = [list(train_char_model(text, voc, cfg)) for _ in range(2)]
    assert runs[0][-1].bits == runs[1][-1].bits             # seeded: the same numbers twice
    first, last = runs[0][0], runs[0][-1]
    assert last.step == 300 and last.model.dtype == np.float32
    assert last.bits < 0.3 and first.bits > 3                   # a text that repeats is easy to predict
    reading = read_texts(last.model, last.readout, [text[:200]], voc)
    assert reading.bits_per_char < 0.3 and reading.characters == 199


def test_reading_matches_a_direct_computation_and_numpy_corrcoef():
    model, readout, _ = _tiny(2, V=4, H=3)
    voc = FALLBACK + "abc"
    texts = ["abcab" * 9, "cc a" * 7]                       # different lengths: a padded batch

    def feat(t):
        return {"is_a": np.array([ch == "a" for ch in t], float), "pos": np.arange(len(t), dtype=float)}

    got = read_texts(model, readout, texts, voc, feat, chunk=7)   # chunks that do not divide the lengths
    nats, n, H_all, F_all = 0.0, 0, [], []
    for t in texts:
        ids = encode(t, voc)
        tr = model.forward(one_hot(ids, 4))                    # (T, H) from a zero state
        logp = log_softmax(tr.h @ readout[0].T + readout[1])
        nats -= logp[np.arange(len(t) - 1), ids[1:]].sum()
        n += len(t) - 1
        H_all.append(np.concatenate([tr.h, tr.c], 1))
        F_all.append(np.stack([feat(t)["is_a"], feat(t)["pos"]], 1))
    assert got.characters == n and got.bits_per_char == pytest.approx(nats / n / math.log(2), rel=1e-12)
    U, X = np.concatenate(H_all), np.concatenate(F_all)
    want = np.corrcoef(np.concatenate([X, U], 1).T)[:2, 2:]
    np.testing.assert_allclose(got.r, want, atol=1e-10)
    kind, unit, r = got.best("pos")
    assert abs(r) == pytest.approx(np.abs(want[1]).max()) and kind in "hc" and 0 <= unit < 3


def test_correlations_of_a_constant_are_zero_not_nan():
    states = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    np.testing.assert_allclose(correlations(states, [1, 2, 4]), [np.corrcoef([1, 2, 3], [1, 2, 4])[0, 1], 0.0])
    assert correlations(states, [5, 5, 5]).tolist() == [0.0, 0.0]
