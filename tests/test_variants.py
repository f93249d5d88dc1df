"""LSTM variants (Greff et al. 2017), gate clamps and the ReLU RNN against independent references.

The reference is the textbook loop, one gate at a time with 1 / (1 + exp(-z)), written from the equations
in lstm_viz/cells.py's docstring; gradients are checked by central finite differences of the forward pass,
which never touch the backward code.
"""
import numpy as np
import pytest

from gradcheck import numgrad

from lstm_viz import LSTM, RNN, Stack
from lstm_viz.cells import LSTM_VARIANTS, VARIANT_NAMES
from lstm_viz.train import train

SHAPES = [(1, None, 1, 1), (2, 1, 1, 1), (3, 3, 2, 2), (4, None, 3, 2)]  # T, B, D, H


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def reference(m: LSTM, x, h0, c0, clamp=None):
    """Every step of the variant written out gate by gate; returns {name: (T, ..., H)}."""
    W = dict(zip("ifgo", np.split(m.weight_ih, 4)))
    U = dict(zip("ifgo", np.split(m.weight_hh, 4)))
    b = dict(zip("ifgo", np.split(m.bias_ih + m.bias_hh, 4)))
    p = m.weight_peep if m.variant == "peephole" else np.zeros((3, m.hidden_size))
    v = m.variant
    h, c = np.asarray(h0, float), np.asarray(c0, float)
    pins = {k: np.broadcast_to(np.asarray(val, float), x.shape[:-1] + (m.hidden_size,))
            for k, val in (clamp or {}).items()}
    out = {k: [] for k in ("i", "f", "g", "o", "c", "h")}

    def pin(name, t, value):
        return np.where(np.isnan(pins[name][t]), value, pins[name][t]) if name in pins else value

    for t in range(len(x)):
        z = {k: x[t] @ W[k].T + h @ U[k].T + b[k] for k in "ifgo"}
        i = pin("i", t, 1.0 + 0 * z["i"] if v == "nig" else _sig(z["i"] + p[0] * c))
        f = pin("f", t, 1.0 + 0 * z["f"] if v == "nfg" else 1.0 - i if v == "cifg" else _sig(z["f"] + p[1] * c))
        g = pin("g", t, z["g"] if v == "niaf" else np.tanh(z["g"]))
        c = f * c + i * g
        o = pin("o", t, 1.0 + 0 * z["o"] if v == "nog" else _sig(z["o"] + p[2] * c))
        h = o * (c if v == "noaf" else np.tanh(c))
        for k, val in zip("ifgoch", (i, f, g, o, c, h)):
            out[k].append(val)
    return {k: np.stack(val) for k, val in out.items()}


def _inputs(T, B, D, H, seed=0):
    rng = np.random.default_rng(seed)
    lead = (B,) if B else ()
    return rng.normal(size=(T, *lead, D)), rng.normal(size=(*lead, H)) * 0.5, rng.normal(size=(*lead, H)) * 0.5


_numgrad = numgrad


def _check_gradients(m, x, h0, c0, clamp=None, seed=1):
    """Every parameter, x, h0 and c0 of m.backward against central differences of loss = sum(w * h)."""
    tr = m.forward(x, h0, c0, clamp=clamp)
    w = np.random.default_rng(seed).normal(size=tr.h.shape)
    gr = m.backward(tr, w)
    params = {k: np.array(v) for k, v in m.parameters().items()}

    def loss(model=m):
        return float(np.sum(model.forward(x, h0, c0, clamp=clamp).h * w))

    for name, p in params.items():
        num = _numgrad(lambda name=name, p=p: loss(m.with_parameters(**{name: p})), p)
        np.testing.assert_allclose(getattr(gr, name), num, rtol=1e-6, atol=1e-8, err_msg=name)
    for name, a in (("x", x), ("h0", h0), ("c0", c0)):
        np.testing.assert_allclose(getattr(gr, name), _numgrad(loss, a), rtol=1e-6, atol=1e-8, err_msg=name)
    return gr


def test_the_variants_are_the_papers_eight_each_with_a_sentence():
    assert VARIANT_NAMES == ("lstm", "peephole", "nig", "nfg", "nog", "niaf", "noaf", "cifg")
    assert all(isinstance(d, str) and 20 < len(d) < 100 for _, d in LSTM_VARIANTS)
    with pytest.raises(ValueError, match="Unknown LSTM variant"):
        LSTM.random(2, 3, variant="vanilla")
    with pytest.raises(ValueError, match="only the 'peephole' variant"):
        LSTM(np.ones((4, 1)), np.ones((4, 1)), weight_peep=np.ones((3, 1)))
    with pytest.raises(ValueError, match="weight_peep has shape"):
        LSTM(np.ones((4, 1)), np.ones((4, 1)), variant="peephole", weight_peep=np.ones((2, 1)))


@pytest.mark.parametrize("variant", VARIANT_NAMES)
@pytest.mark.parametrize("B", [None, 3])
def test_forward_equals_the_textbook_loop(variant, B):
    m = LSTM.random(2, 3, seed=5, forget_bias=0.3, weight_scale=1.5, variant=variant)
    x, h0, c0 = _inputs(6, B, 2, 3, seed=2)
    tr = m.forward(x, h0, c0)
    ref = reference(m, x, h0, c0)
    for k in ("i", "f", "g", "o", "c", "h"):
        np.testing.assert_allclose(getattr(tr, k), ref[k], rtol=1e-12, atol=1e-13, err_msg=k)
    assert tr.variant == variant and tr.clamp == {}


@pytest.mark.parametrize("variant", VARIANT_NAMES)
def test_each_variant_keeps_its_defining_identity_exactly(variant):
    m = LSTM.random(2, 4, seed=1, weight_scale=2.0, variant=variant)
    tr = m.forward(np.random.default_rng(0).normal(size=(9, 2, 2)) * 2)
    rule = {"nig": tr.i == 1.0, "nfg": tr.f == 1.0, "nog": tr.o == 1.0, "cifg": tr.f == 1.0 - tr.i,
            "noaf": tr.h == tr.o * tr.c}
    if variant in rule:
        assert np.all(rule[variant])
    # g is its own pre-activation (the same sum, added up in another order: equal to rounding)
    g_pre = np.abs(tr.g - m.preactivations(tr)["g"]).max()
    assert g_pre < 1e-13 if variant == "niaf" else g_pre > 0.1
    # and none of them holds by accident in the plain LSTM, so each check can fail
    plain = LSTM(*(getattr(m, k) for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))).forward(tr.x)
    assert not np.all(plain.h == plain.o * plain.c) and not np.all(plain.f == 1 - plain.i)
    assert np.all(tr.tanh_c == (tr.c if variant == "noaf" else np.tanh(tr.c)))


def test_peephole_preactivations_include_the_cell_state_and_removed_gates_have_none():
    m = LSTM.random(2, 3, seed=2, variant="peephole", weight_scale=3.0)
    x, h0, c0 = _inputs(5, 2, 2, 3, seed=4)
    tr = m.forward(x, h0, c0)
    pre = m.preactivations(tr)
    for k in "ifo":
        np.testing.assert_allclose(_sig(pre[k]), getattr(tr, k), atol=1e-13, err_msg=k)
    np.testing.assert_allclose(np.tanh(pre["g"]), tr.g, atol=1e-13)
    assert m.weight_peep.shape == (3, 3) and np.abs(m.weight_peep).min() > 0
    for variant, gone in (("nig", "i"), ("nfg", "f"), ("nog", "o"), ("cifg", "f")):
        mv = LSTM.random(2, 3, variant=variant)
        assert list(mv.preactivations(mv.forward(x))) == [k for k in "ifgo" if k != gone]


@pytest.mark.parametrize("variant", VARIANT_NAMES)
@pytest.mark.parametrize("T,B,D,H", SHAPES)
def test_backward_matches_finite_differences(variant, T, B, D, H):
    m = LSTM.random(D, H, seed=T * 7 + H, forget_bias=0.5, weight_scale=1.5, variant=variant)
    gr = _check_gradients(m, *_inputs(T, B, D, H))
    assert (gr.weight_peep is not None) == (variant == "peephole")


@pytest.mark.parametrize("variant", ["nig", "nfg", "nog", "cifg"])
def test_weights_a_variant_never_reads_get_exactly_zero_gradient(variant):
    m = LSTM(*(np.random.default_rng(0).normal(size=s) for s in ((8, 3), (8, 2), (8,), (8,))), variant=variant)
    x, h0, c0 = _inputs(5, 3, 3, 2)
    gr = m.backward(m.forward(x, h0, c0), np.ones((5, 3, 2)))
    k = "ifgo".index({"nig": "i", "nfg": "f", "nog": "o", "cifg": "f"}[variant])
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        rows = np.split(getattr(gr, name), 4)
        assert np.all(rows[k] == 0.0), name
        assert all(np.any(r != 0.0) for j, r in enumerate(rows) if j != k), name


def test_random_zeroes_unread_rows_and_couples_the_forget_bias():
    assert np.all(np.split(LSTM.random(2, 3, variant="nfg").bias_ih, 4)[1] == 0)
    cifg = LSTM.random(2, 3, forget_bias=2.0, variant="cifg")
    np.testing.assert_array_equal(np.split(cifg.bias_ih + cifg.bias_hh, 4)[0], -2.0)  # f = 1 - i starts at sigmoid(2)
    a, b = LSTM.random(2, 3, seed=3), LSTM.random(2, 3, seed=3, variant="peephole")
    np.testing.assert_array_equal(a.weight_hh, b.weight_hh)                          # one seed, one set of weights


# ---------------------------------------------------------------------------------------------
# clamps


def _clamps(T, B, H):
    """All steps; from step t on; one unit only: each as the arrays a page would build."""
    lead = (T, 1, H) if B else (T, H)
    later = np.full(lead, np.nan)
    later[T // 2:] = 0.9
    unit = np.full(lead, np.nan)
    unit[..., H - 1] = 0.2
    return [{"f": 1.0}, {"i": later}, {"o": unit, "g": np.where(np.isnan(unit), np.nan, -0.5)}, {"f": later, "i": unit}]


@pytest.mark.parametrize("variant", VARIANT_NAMES)
@pytest.mark.parametrize("T,B,D,H", [(1, None, 1, 1), (4, 3, 2, 2), (5, None, 2, 3)])
def test_clamped_forward_is_the_textbook_loop_and_backward_its_derivative(variant, T, B, D, H):
    m = LSTM.random(D, H, seed=3, forget_bias=0.5, weight_scale=1.5, variant=variant)
    x, h0, c0 = _inputs(T, B, D, H, seed=T)
    for clamp in _clamps(T, B, H):
        tr = m.forward(x, h0, c0, clamp=clamp)
        ref = reference(m, x, h0, c0, clamp)
        for k in ("i", "f", "g", "o", "c", "h"):
            np.testing.assert_allclose(getattr(tr, k), ref[k], rtol=1e-12, atol=1e-13, err_msg=f"{k} {clamp}")
        assert set(tr.clamp) == set(clamp) and all(v.shape == tr.h.shape for v in tr.clamp.values())
        _check_gradients(m, x, h0, c0, clamp)


@pytest.mark.parametrize("variant", VARIANT_NAMES)
def test_forget_open_and_input_shut_hold_the_cell_state_exactly(variant):
    m = LSTM.random(2, 3, seed=1, weight_scale=3.0, variant=variant)
    x, h0, c0 = _inputs(20, 4, 2, 3)
    tr = m.forward(x, h0, c0, clamp={"f": 1.0, "i": 0.0})
    assert np.all(tr.c == c0) and np.all(tr.f == 1.0) and np.all(tr.i == 0.0)
    assert not np.all(m.forward(x, h0, c0, clamp={"f": 1.0}).c == c0)   # the input gate alone does move it


def test_a_gate_pinned_everywhere_passes_no_gradient_to_its_weights():
    m = LSTM.random(2, 3, seed=1)
    x, h0, c0 = _inputs(6, 2, 2, 3)
    tr = m.forward(x, h0, c0, clamp={"o": 0.7})
    gr = m.backward(tr, np.ones_like(tr.h))
    assert np.all(np.split(gr.weight_hh, 4)[3] == 0.0) and np.all(np.split(gr.bias_ih, 4)[3] == 0.0)
    assert np.all(np.split(gr.weight_hh, 4)[0] != 0.0)
    assert np.all(m.bptt(tr, np.ones((6, 2, 3))).pre_ih[..., 9:] == 0.0)


def test_an_all_nan_clamp_is_no_clamp():
    m = LSTM.random(2, 3, seed=1)
    x = np.ones((4, 2))
    tr = m.forward(x, clamp={"f": np.full((4, 3), np.nan)})
    assert tr.clamp == {}
    np.testing.assert_array_equal(tr.h, m.forward(x).h)


@pytest.mark.parametrize("clamp, words", [
    ({"q": 1.0}, "The clamp names q; an LSTM's gates are i, f, g, o"),
    ({"f": 1.5}, "holds 1.5; a pinned f must be a number from 0 to 1"),
    ({"g": -2.0}, "from -1 to 1"),
    ({"i": np.inf}, "holds inf"),
    ({"f": np.ones((5, 3))}, "broadcasts to (4, 3)"),
    ({"f": "open"}, "must be a number or an array"),
    ([("f", 1.0)], "clamp must be a dict"),
])
def test_every_clamp_error_is_one_sentence(clamp, words):
    with pytest.raises(ValueError) as e:
        LSTM.random(2, 3).forward(np.ones((4, 2)), clamp=clamp)
    msg = str(e.value)
    assert words in msg and msg.endswith(".") and "\n" not in msg


def test_under_niaf_the_candidate_may_be_pinned_anywhere():
    tr = LSTM.random(2, 3, variant="niaf").forward(np.ones((4, 2)), clamp={"g": 3.0})
    assert np.all(tr.g == 3.0)


# ---------------------------------------------------------------------------------------------
# initial states, bptt


@pytest.mark.parametrize("variant", ["lstm", "peephole"])
def test_a_shared_initial_state_gets_the_batch_summed_gradient(variant):
    m = LSTM.random(2, 3, seed=4, variant=variant)
    x, _, _ = _inputs(4, 3, 2, 3)
    h0, c0 = np.array([0.3, -0.2, 0.5]), np.array([-0.4, 0.1, 0.2])   # (H,) shared by the 3 sequences
    gr = _check_gradients(m, x, h0, c0)
    assert gr.h0.shape == (3,) and gr.c0.shape == (3,)
    per_sequence = m.backward(m.forward(x, np.tile(h0, (3, 1)), np.tile(c0, (3, 1))), np.ones((4, 3, 3)))
    shared = m.backward(m.forward(x, h0, c0), np.ones((4, 3, 3)))
    np.testing.assert_allclose(shared.h0, per_sequence.h0.sum(0), rtol=1e-13)


def test_default_states_are_one_per_sequence():
    m = LSTM.random(2, 3)
    batch = m.backward(m.forward(np.ones((4, 5, 2))), np.ones((4, 5, 3)))
    assert batch.h0.shape == (5, 3) and batch.c0.shape == (5, 3)
    one = m.backward(m.forward(np.ones((4, 2))), np.ones((4, 3)))
    assert one.h0.shape == (3,) and one.c0.shape == (3,)


def test_stack_gradients_follow_the_shape_of_the_given_states():
    st = Stack([LSTM.random(2, 3, seed=1), LSTM.random(3, 3, seed=2, variant="peephole")])
    x = np.random.default_rng(0).normal(size=(5, 4, 2))
    h0 = np.random.default_rng(1).normal(size=(2, 3))                     # (L, H) shared by the batch
    dh = np.random.default_rng(2).normal(size=(5, 4, 3))
    gr = st.backward(st.forward(x, h0), dh)
    assert gr.h0.shape == (2, 3) and gr.c0.shape == (2, 4, 3)             # c0 was left at its default
    num = _numgrad(lambda: float(np.sum(st.forward(x, h0).h * dh)), h0)
    np.testing.assert_allclose(gr.h0, num, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("cls", [LSTM, RNN])
def test_bptt_carries_many_directions_through_one_sequence(cls):
    m = cls.random(2, 3, seed=1)
    x = np.random.default_rng(0).normal(size=(6, 2))
    tr = m.forward(x)
    dh = np.random.default_rng(1).normal(size=(6, 4, 3))                  # K = 4 losses, one sequence
    steps = m.bptt(tr, dh)
    assert steps.pre_ih.shape == (6, 4, cls.n_gates * 3) and steps.h.shape == (6, 4, 3) and steps.h0.shape == (4, 3)
    for k in range(4):                                                    # each direction is its own backward
        np.testing.assert_allclose(steps.h0[k], m.backward(tr, dh[:, k]).h0, rtol=1e-12, atol=1e-14)
    assert (steps.c is None) == (cls is RNN)
    with pytest.raises(ValueError, match="bptt expects"):
        m.bptt(m.forward(np.ones((6, 2, 2))), dh)                          # B = 2 takes K = 2 only
    with pytest.raises(ValueError, match=r"made by an LSTM \(lstm\), but this model is an LSTM \(peephole\)"):
        LSTM.random(2, 3, variant="peephole").bptt(LSTM.random(2, 3).forward(x), dh)


# ---------------------------------------------------------------------------------------------
# RNN with ReLU


@pytest.mark.parametrize("T,B,D,H", SHAPES)
def test_relu_rnn_is_the_textbook_loop_and_its_gradient_checks(T, B, D, H):
    m = RNN.random(D, H, seed=T + H, weight_scale=1.5, nonlinearity="relu")
    x, h0, _ = _inputs(T, B, D, H, seed=3)
    h0 = np.abs(h0)
    tr = m.forward(x, h0)
    h, ref = h0, []
    for t in range(T):
        h = np.maximum(0.0, x[t] @ m.weight_ih.T + m.bias_ih + h @ m.weight_hh.T + m.bias_hh)
        ref.append(h)
    np.testing.assert_allclose(tr.h, np.stack(ref), rtol=1e-13, atol=1e-14)
    assert tr.nonlinearity == "relu" and np.allclose(m.preactivations(tr)["h"], tr.a, rtol=0, atol=1e-14)
    w = np.random.default_rng(1).normal(size=tr.h.shape)
    gr = m.backward(tr, w)

    def loss(model=m):
        return float(np.sum(model.forward(x, h0).h * w))

    for name, p in {k: np.array(v) for k, v in m.parameters().items()}.items():
        np.testing.assert_allclose(getattr(gr, name), _numgrad(lambda name=name, p=p: loss(m.with_parameters(**{name: p})), p),
                                   rtol=1e-6, atol=1e-8, err_msg=name)
    np.testing.assert_allclose(gr.x, _numgrad(loss, x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gr.h0, _numgrad(loss, h0), rtol=1e-6, atol=1e-8)


def test_relu_is_not_tanh_and_an_unknown_nonlinearity_is_refused():
    m = RNN.random(1, 4, seed=0, weight_scale=2.0, nonlinearity="relu")
    assert m.forward(np.ones(5) * 3).h.max() > 1.0                         # tanh could never exceed 1
    assert "nonlinearity='relu'" in repr(m) and m.astype(np.float32).nonlinearity == "relu"
    with pytest.raises(ValueError, match="'tanh' or 'relu'"):
        RNN.random(1, 4, nonlinearity="sigmoid")


# ---------------------------------------------------------------------------------------------
# training


@pytest.mark.parametrize("variant", VARIANT_NAMES)
def test_every_variant_trains_on_the_adding_problem(variant):
    runs = list(train(task="adding", variant=variant, hidden_size=4, batch_size=16, length=8, max_steps=60,
                      eval_every=60, test_size=200, max_seconds=60, seed=2))
    first, last = runs[0], runs[-1]
    assert last.step == 60 and last.model.variant == variant
    assert last.test_loss < 0.8 * first.test_loss
    if variant == "peephole":
        assert not np.array_equal(last.model.weight_peep, first.model.weight_peep)   # the peepholes learned too


@pytest.mark.parametrize("variant", VARIANT_NAMES)
@pytest.mark.parametrize("B", [None, 3])
def test_the_fast_loop_and_the_clamp_loop_agree_bit_for_bit(variant, B):
    """Unclamped runs take a tuned loop (the peephole one keeps 2 o and 2 h); any clamp takes the general
    loop. Pinning one gate value to exactly what it already is must change nothing at all."""
    m = LSTM.random(3, 4, seed=1, weight_scale=2.0, variant=variant)
    x, h0, c0 = _inputs(7, B, 3, 4, seed=6)
    fast = m.forward(x, h0, c0)
    same = np.full_like(fast.o, np.nan)
    same[3, ..., 2] = fast.o[3, ..., 2]
    slow = m.forward(x, h0, c0, clamp={"o": same})
    assert slow.clamp
    for k in ("i", "f", "g", "o", "c", "tanh_c", "h"):
        assert np.array_equal(getattr(fast, k), getattr(slow, k)), k
