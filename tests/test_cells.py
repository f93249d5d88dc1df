"""The cells against independent references: finite differences, one-at-a-time runs, a hand-computed step."""
import numpy as np
import pytest

from gradcheck import numgrad

from lstm_viz import GRU, LSTM, RNN, Stack

CELLS = [LSTM, GRU, RNN]
SHAPES = [(1, None, 1, 1), (1, 1, 1, 1), (3, 2, 2, 3), (4, None, 3, 2), (2, 3, 1, 1)]  # T, B, D, H


def _inputs(cls, T, B, D, H, seed=0):
    rng = np.random.default_rng(seed)
    lead = (B,) if B else ()
    x = rng.normal(size=(T, *lead, D))
    h0 = rng.normal(size=(*lead, H)) * 0.5
    c0 = rng.normal(size=(*lead, H)) * 0.5 if cls is LSTM else None
    return x, h0, c0


def _run(m, x, h0, c0):
    return m.forward(x, h0, c0) if m.kind == "lstm" else m.forward(x, h0)


def _loss(m, x, h0, c0, w):
    return float(np.sum(_run(m, x, h0, c0).h * w))


_numgrad = numgrad


@pytest.mark.parametrize("cls", CELLS)
@pytest.mark.parametrize("T,B,D,H", SHAPES)
def test_backward_matches_finite_differences(cls, T, B, D, H):
    m = cls.random(D, H, seed=T * 7 + H, forget_bias=0.5)
    x, h0, c0 = _inputs(cls, T, B, D, H)
    w = np.random.default_rng(1).normal(size=_run(m, x, h0, c0).h.shape)  # loss = sum(w * h)
    gr = m.backward(_run(m, x, h0, c0), w)
    params = {k: np.array(getattr(m, k)) for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}

    def loss_with(**p):
        return _loss(cls(**{**params, **p}), x, h0, c0, w)

    for name, p in params.items():
        num = _numgrad(lambda: loss_with(**{name: p}), p)
        np.testing.assert_allclose(getattr(gr, name), num, rtol=1e-6, atol=1e-8, err_msg=name)
    np.testing.assert_allclose(gr.x, _numgrad(lambda: _loss(m, x, h0, c0, w), x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gr.h0, _numgrad(lambda: _loss(m, x, h0, c0, w), h0), rtol=1e-6, atol=1e-8)
    if cls is LSTM:
        np.testing.assert_allclose(gr.c0, _numgrad(lambda: _loss(m, x, h0, c0, w), c0), rtol=1e-6, atol=1e-8)
    else:
        assert gr.c0 is None


@pytest.mark.parametrize("cls", CELLS)
def test_batch_equals_one_at_a_time(cls):
    T, B, D, H = 6, 5, 3, 4
    m = cls.random(D, H, seed=3)
    x, h0, c0 = _inputs(cls, T, B, D, H, seed=2)
    tr = _run(m, x, h0, c0)
    dh = np.random.default_rng(5).normal(size=tr.h.shape)
    gr = m.backward(tr, dh)
    wsum = np.zeros_like(gr.weight_hh)
    for b in range(B):
        one = _run(m, x[:, b], h0[b], None if c0 is None else c0[b])
        np.testing.assert_allclose(one.h, tr.h[:, b], rtol=0, atol=1e-14)
        for gate in m.gate_names:
            np.testing.assert_allclose(getattr(one, gate), getattr(tr, gate)[:, b], rtol=0, atol=1e-14)
        g1 = m.backward(one, dh[:, b])
        np.testing.assert_allclose(g1.x, gr.x[:, b], atol=1e-13)
        np.testing.assert_allclose(g1.h0, gr.h0[b], atol=1e-13)
        wsum += g1.weight_hh
    np.testing.assert_allclose(wsum, gr.weight_hh, atol=1e-12)


def test_hand_computed_one_unit_lstm():
    """One unit, one input, every weight 0.5 and every bias 0, x = 1, h0 = c0 = 0. On paper:
    z = 0.5 * 1 = 0.5 for all four gates; i = f = o = sigmoid(0.5) = 0.6224593, g = tanh(0.5) = 0.4621172;
    c = f*0 + i*g = 0.2876491; h = o * tanh(c) = 0.6224593 * 0.2799696 = 0.1742697."""
    m = LSTM(np.full((4, 1), 0.5), np.full((4, 1), 0.5))
    tr = m.forward([1.0])
    assert tr.i[0, 0] == pytest.approx(0.6224593312, abs=1e-9)
    assert tr.f[0, 0] == pytest.approx(0.6224593312, abs=1e-9)
    assert tr.g[0, 0] == pytest.approx(0.4621171573, abs=1e-9)
    assert tr.c[0, 0] == pytest.approx(0.2876491, abs=1e-7)
    assert tr.h[0, 0] == pytest.approx(0.1742697, abs=1e-7)
    # and the second step reads h1 = 0.1742697 back: z = 0.5 * (1 + 0.1742697) = 0.58713485
    tr2 = m.forward([1.0, 1.0])
    s = 1 / (1 + np.exp(-0.58713485))
    c2 = s * 0.2876491 + s * np.tanh(0.58713485)
    assert tr2.c[1, 0] == pytest.approx(c2, abs=1e-7)
    assert tr2.h[1, 0] == pytest.approx(s * np.tanh(c2), abs=1e-7)


@pytest.mark.parametrize("cls", CELLS)
def test_stable_for_huge_preactivations(cls):
    m = cls.random(1, 3, seed=0)
    x = np.array([1e6, -1e6, 3e5, -1e6])
    with np.errstate(all="raise"):
        tr = _run(m, x, None, None)
        gr = m.backward(tr, np.ones_like(tr.h))
    assert np.all(np.isfinite(tr.h)) and np.all(np.isfinite(gr.weight_ih))
    for gate in ("i", "f", "o", "r", "z"):
        if hasattr(tr, gate):
            v = getattr(tr, gate)
            assert v.min() >= 0.0 and v.max() <= 1.0


@pytest.mark.parametrize("cls", CELLS)
def test_float32_agrees_with_float64(cls):
    m = cls.random(2, 5, seed=1)
    x = np.random.default_rng(0).normal(size=(20, 2))
    h64 = _run(m, x, None, None).h
    tr32 = _run(m.astype(np.float32), x, None, None)
    assert tr32.h.dtype == np.float32
    np.testing.assert_allclose(tr32.h, h64, atol=1e-5)


@pytest.mark.parametrize("cls", CELLS)
def test_stack_equals_layers_by_hand(cls):
    layers = [cls.random(2, 3, seed=1), cls.random(3, 3, seed=2), cls.random(3, 3, seed=3)]
    st = Stack(layers)
    x = np.random.default_rng(0).normal(size=(7, 2, 2))
    tr = st.forward(x)
    inp = x
    for layer, ltr in zip(layers, tr.layers):
        ref = layer.forward(inp)
        np.testing.assert_array_equal(ref.h, ltr.h)
        inp = ref.h
    np.testing.assert_array_equal(tr.h, inp)
    dh = np.random.default_rng(1).normal(size=tr.h.shape)
    gr = st.backward(tr, dh)
    # the bottom layer's weight gradient by finite differences through the whole stack
    W = np.array(layers[0].weight_hh)

    def loss():
        bottom = cls(layers[0].weight_ih, W, layers[0].bias_ih, layers[0].bias_hh)
        return float(np.sum(Stack([bottom, *layers[1:]]).forward(x).h * dh))

    np.testing.assert_allclose(gr.layers[0].weight_hh, _numgrad(loss, W), rtol=1e-6, atol=1e-8)
    xs = x.copy()
    np.testing.assert_allclose(gr.x, _numgrad(lambda: float(np.sum(st.forward(xs).h * dh)), xs), rtol=1e-6, atol=1e-8)
    assert gr.h0.shape == (3, 2, 3)


@pytest.mark.parametrize("kwargs,match", [
    (dict(weight_ih=np.ones((5, 2)), weight_hh=np.ones((4, 1))), "weight_ih has shape"),
    (dict(weight_ih=np.ones((4, 2)), weight_hh=np.ones((4, 2))), "weight_hh has shape"),
    (dict(weight_ih=np.ones((4, 2)), weight_hh=np.ones((4, 1)), bias_ih=np.ones(3)), "bias_ih has shape"),
    (dict(weight_ih=np.full((4, 2), np.nan), weight_hh=np.ones((4, 1))), "NaN or infinity"),
    (dict(weight_ih=[["a", "b"]] * 4, weight_hh=np.ones((4, 1))), "real numbers"),
    (dict(weight_ih=np.ones((4, 2)), weight_hh=np.ones((4, 1)), dtype=np.int32), "not supported"),
])
def test_every_constructor_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LSTM(**kwargs)


def test_every_forward_error():
    m = LSTM.random(2, 3)
    with pytest.raises(ValueError, match="expected \\(T, 2\\)"):
        m.forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match="expected \\(T, 2\\)"):
        m.forward(np.ones((0, 2)))
    with pytest.raises(ValueError, match="NaN or infinity"):
        m.forward([[1.0, np.inf]])
    with pytest.raises(ValueError, match="h0 has shape"):
        m.forward(np.ones((4, 2)), h0=np.ones(2))
    with pytest.raises(ValueError, match="c0 has shape"):
        m.forward(np.ones((4, 5, 2)), c0=np.ones((4, 3)))
    tr = m.forward(np.ones((4, 2)))
    with pytest.raises(ValueError, match="dh has shape"):
        m.backward(tr, np.ones((3, 3)))
    with pytest.raises(ValueError, match="at least 1"):
        LSTM.random(0, 3)
    with pytest.raises(ValueError, match="same cell type"):
        Stack([LSTM.random(2, 3), GRU.random(3, 3)])
    with pytest.raises(ValueError, match="must match"):
        Stack([LSTM.random(2, 3), LSTM.random(4, 3)])
    with pytest.raises(ValueError, match="same hidden size"):
        Stack([LSTM.random(2, 3), LSTM.random(3, 4)])


def test_random_is_reproducible_and_sets_forget_bias():
    a, b = LSTM.random(2, 3, seed=4, forget_bias=2.0), LSTM.random(2, 3, seed=4, forget_bias=2.0)
    np.testing.assert_array_equal(a.weight_hh, b.weight_hh)
    f_bias = np.split(a.bias_ih + a.bias_hh, 4)[1]
    np.testing.assert_array_equal(f_bias, 2.0)
    assert not a.weight_hh.flags.writeable


@pytest.mark.parametrize("cls", CELLS)
@pytest.mark.parametrize("B", [None, 3])
def test_preactivations_recomputed_by_hand_give_the_gates(cls, B):
    """Each pre-activation, written out from the weights one gate at a time, and its nonlinearity gives the
    trace's gate: the numbers the cell page prints inside sigmoid(...) and tanh(...)."""
    x, h0, c0 = _inputs(cls, 5, B, 2, 3, seed=4)
    m = cls.random(2, 3, seed=2, forget_bias=0.7)
    tr = _run(m, x, h0, c0)
    pre = m.preactivations(tr)
    H = 3
    hprev = np.concatenate([np.asarray(h0)[None], tr.h[:-1]])
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    for k, name in enumerate(m.gate_names or ("h",)):
        rows = slice(k * H, (k + 1) * H)
        xin = x @ m.weight_ih[rows].T + m.bias_ih[rows]
        hin = hprev @ m.weight_hh[rows].T + m.bias_hh[rows]
        want = xin + (tr.r * hin if name == "n" else hin)
        np.testing.assert_allclose(pre[name], want, atol=1e-13)
        act = np.tanh if name in ("g", "n", "h") else sig
        np.testing.assert_allclose(act(pre[name]), getattr(tr, name), atol=1e-13)
