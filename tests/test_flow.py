"""Gradient flow (lstm_viz.flow) against independent references.

The batched Jacobian is checked against the definition: run the model on the suffix x[t+1:] from the
state (h_t, c_t) and take dh_T/dh_0 of that run by central finite differences, which never touch the
backward code. The cell-path split is checked against the forget-gate product written as a loop.
"""
import numpy as np
import pytest

from lstm_viz import GRU, LSTM, RNN, Stack, gradient_flow
from lstm_viz.flow import unit_projection
from lstm_viz.limits import MAX_HIDDEN_SIZE, MAX_STEPS

CELLS = {"lstm": LSTM, "gru": GRU, "rnn": RNN}
EPS = 1e-6


def _run_last_h(model, x, h0, c0):
    """h_T of the run on x from (h0, c0); with no steps left, h_T is h0 itself."""
    if len(x) == 0:
        return h0
    tr = model.forward(x, h0, c0) if model.kind == "lstm" else model.forward(x, h0)
    return tr.h[-1]


def _fd_suffix_jacobians(model, x, tr, t):
    """(dh_T/dh_t, dh_T/dc_t or None) by central differences of the run on x[t+1:] from (h_t, c_t).

    dh_T/dh_t holds c_t fixed. dh_T/dc_t is BPTT's dL/dc_t: a change in c_t also changes
    h_t = o_t tanh(c_t), so the run starts from (o_t tanh(c_t + e), c_t + e)."""
    H = model.hidden_size
    suffix = x[t + 1:]
    h_t = tr.h[t]
    lstm = model.kind == "lstm"
    c_t = tr.c[t] if lstm else None
    Jh = np.empty((H, H))                            # (H_out, H_in)
    Jc = np.empty((H, H)) if lstm else None
    for j in range(H):
        e = np.zeros(H)
        e[j] = EPS
        Jh[:, j] = (_run_last_h(model, suffix, h_t + e, c_t) - _run_last_h(model, suffix, h_t - e, c_t)) / (2 * EPS)
        if lstm:
            up, down = c_t + e, c_t - e
            Jc[:, j] = (_run_last_h(model, suffix, tr.o[t] * np.tanh(up), up)
                        - _run_last_h(model, suffix, tr.o[t] * np.tanh(down), down)) / (2 * EPS)
    return Jh, Jc


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_batched_jacobian_equals_separate_suffix_runs(kind):
    T, D, H = 7, 2, 3
    model = CELLS[kind].random(D, H, seed=3, weight_scale=1.5)
    x = np.random.default_rng(1).normal(size=(T, D))
    flow = gradient_flow(model, x, seed=5)
    tr = model.forward(x)
    u = unit_projection(H, 5)
    for t in range(T):
        k = T - 1 - t
        Jh, Jc = _fd_suffix_jacobians(model, x, tr, t)
        np.testing.assert_allclose(flow.jac_fro[k], np.linalg.norm(Jh), rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(flow.jac_spec[k], np.linalg.norm(Jh, 2), rtol=1e-6, atol=1e-9)
        # dL/dh_t = u^T dh_T/dh_t for the loss u . h_T
        np.testing.assert_allclose(flow.grad_h[k], np.linalg.norm(u @ Jh), rtol=1e-6, atol=1e-9)
        if kind == "lstm":
            np.testing.assert_allclose(flow.grad_c[k], np.linalg.norm(u @ Jc), rtol=1e-6, atol=1e-9)
    assert flow.steps_back.tolist() == list(range(T))
    assert flow.retained(0) == 1.0


@pytest.mark.parametrize("cls", [LSTM, GRU, RNN])
def test_without_the_jacobian_every_other_number_is_the_same(cls):
    m = cls.random(2, 5, seed=3)
    x = np.random.default_rng(4).normal(size=(30, 2))
    full, lean = gradient_flow(m, x), gradient_flow(m, x, jacobian=False)
    assert lean.jac_fro is None and lean.jac_spec is None
    for name in ("grad_h", "grad_c", "cell_path", "hidden_path", "forget_product", "pascanu_bound"):
        a, b = getattr(full, name), getattr(lean, name)
        assert (a is None) == (b is None), name
        if a is not None:
            np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-300, err_msg=name)


def test_given_dh_T_is_used_and_is_linear():
    model = LSTM.random(1, 4, seed=0)
    x = np.linspace(-1, 1, 9)
    e1 = np.array([0.0, 1.0, 0.0, 0.0])
    one, two = gradient_flow(model, x, dh_T=e1), gradient_flow(model, x, dh_T=2 * e1)
    assert two.grad_h[0] == pytest.approx(2.0)
    np.testing.assert_allclose(two.grad_h, 2 * one.grad_h, rtol=1e-12)
    assert not np.allclose(gradient_flow(model, x).grad_h, one.grad_h)   # the default is another direction


def test_rnn_below_unit_singular_value_obeys_pascanu_bound():
    T, H = 30, 5
    rng = np.random.default_rng(0)
    Q1, _ = np.linalg.qr(rng.normal(size=(H, H)))
    Q2, _ = np.linalg.qr(rng.normal(size=(H, H)))
    W_hh = Q1 @ np.diag([0.5, 0.4, 0.3, 0.2, 0.1]) @ Q2.T           # largest singular value exactly 0.5
    model = RNN(rng.normal(size=(H, 1)), W_hh, rng.normal(size=H) * 0.1, np.zeros(H))
    flow = gradient_flow(model, rng.normal(size=(T, 1)))
    assert flow.sigma_max == pytest.approx(0.5, rel=1e-12)
    bound = 0.5 ** np.arange(T)
    np.testing.assert_allclose(flow.pascanu_bound, bound, rtol=1e-12)
    assert np.all(flow.jac_spec <= bound * (1 + 1e-9))
    assert flow.jac_spec[T - 1] <= 0.5 ** (T - 1)
    assert np.all(flow.grad_h <= flow.jac_spec * (1 + 1e-9))        # |u| = 1
    assert flow.grad_c is None and flow.cell_path is None and flow.forget_product is None


def test_lstm_with_open_forget_gates_keeps_the_cell_gradient():
    T = 200
    model = LSTM.random(1, 6, seed=1, forget_bias=30.0, weight_scale=0.01)
    flow = gradient_flow(model, np.random.default_rng(2).normal(size=T))
    assert np.all(flow.forget_product_mean > 0.999)
    ratio = flow.grad_c / flow.grad_c[0]
    assert np.all((ratio > 0.95) & (ratio < 1.05))
    # the same cell with its forget gates shut: the carousel empties, just as the RNN's gradient vanishes
    shut = gradient_flow(LSTM.random(1, 6, seed=1, forget_bias=-8.0, weight_scale=0.01),
                         np.random.default_rng(2).normal(size=T))
    assert shut.grad_c[50] / shut.grad_c[0] < 1e-12


def test_cell_path_is_dc_T_times_forget_product_by_hand():
    T, H = 12, 3
    model = LSTM.random(2, H, seed=4, forget_bias=0.5)
    x = np.random.default_rng(4).normal(size=(T, 2))
    u = np.array([0.6, -0.8, 0.0])
    flow = gradient_flow(model, x, dh_T=u)
    tr = model.forward(x)
    dc_T = u * tr.o[-1] * (1 - np.tanh(tr.c[-1]) ** 2)              # dL/dc_T straight from h_T = o tanh(c_T)
    assert flow.grad_c[0] == pytest.approx(np.linalg.norm(dc_T), rel=1e-12)
    for k in range(T):
        t = T - 1 - k
        prod = np.ones(H)
        for s in range(t + 1, T):
            prod = prod * tr.f[s]
        np.testing.assert_allclose(flow.forget_product[k], prod, rtol=1e-12)
        assert flow.cell_path[k] == pytest.approx(np.linalg.norm(dc_T * prod), rel=1e-10)
        # the two parts are vectors summing to dL/dc_t: triangle inequalities hold
        assert abs(flow.grad_c[k] - flow.cell_path[k]) <= flow.hidden_path[k] * (1 + 1e-9) + 1e-15
        assert flow.hidden_path[k] <= flow.grad_c[k] + flow.cell_path[k] + 1e-15
    assert flow.hidden_path[0] == pytest.approx(0.0, abs=1e-15)
    np.testing.assert_allclose(flow.forget_product_mean, flow.forget_product.mean(axis=1))


def test_gru_forget_product_is_the_update_gate_product():
    T, H = 8, 2
    model = GRU.random(1, H, seed=2)
    x = np.random.default_rng(0).normal(size=T)
    flow = gradient_flow(model, x)
    z = model.forward(x).z
    for k in range(T):
        np.testing.assert_allclose(flow.forget_product[k], np.prod(z[T - k:], axis=0), rtol=1e-12)


def test_clip_scales_every_norm_but_keeps_ratios():
    model = RNN.random(1, 8, seed=0, weight_scale=3.0)
    x = np.random.default_rng(0).normal(size=40)
    raw = gradient_flow(model, x, dh_T=np.full(8, 10.0))
    assert raw.grad_h.max() > 1.0
    clipped = gradient_flow(model, x, dh_T=np.full(8, 10.0), clip=1.0)
    assert clipped.grad_h.max() == pytest.approx(1.0)
    s = clipped.clip_scale
    assert 0 < s < 1
    np.testing.assert_allclose(clipped.grad_h, raw.grad_h * s, rtol=1e-12)
    for k in (0, 5, 39):
        assert clipped.retained(k) == pytest.approx(raw.retained(k), rel=1e-12)
    np.testing.assert_allclose(clipped.jac_spec, raw.jac_spec)       # the Jacobian is not a gradient: unclipped
    lstm = LSTM.random(1, 8, seed=0)
    a, b = gradient_flow(lstm, x), gradient_flow(lstm, x, clip=1e-3)
    np.testing.assert_allclose(b.grad_c / b.clip_scale, a.grad_c, rtol=1e-12)
    np.testing.assert_allclose(b.cell_path / b.clip_scale, a.cell_path, rtol=1e-12)
    assert gradient_flow(lstm, x, clip=1e9).clip_scale == 1.0       # under the threshold: untouched


@pytest.mark.parametrize("call, words", [
    (lambda: gradient_flow(Stack([LSTM.random(1, 2), LSTM.random(2, 2)]), np.zeros(3)), "one layer"),
    (lambda: gradient_flow(LSTM.random(1, 2), np.zeros((3, 2, 1))), "not a batch"),
    (lambda: gradient_flow(RNN.random(1, 2), np.zeros(MAX_STEPS + 1)), "sequence length"),
    (lambda: gradient_flow(RNN.random(1, MAX_HIDDEN_SIZE + 1), np.zeros(2)), "hidden size"),
    (lambda: gradient_flow(LSTM.random(1, 3), np.zeros(4), dh_T=np.ones(2)), "dh_T"),
    (lambda: gradient_flow(LSTM.random(1, 3), np.zeros(4), dh_T=[1, np.nan, 0]), "dh_T"),
    (lambda: gradient_flow(LSTM.random(1, 3), np.zeros(4), clip=0), "clip"),
    (lambda: gradient_flow(LSTM.random(1, 3), np.zeros(4), clip=-1.0), "clip"),
    (lambda: gradient_flow(LSTM.random(1, 3), [0.0, np.inf]), "NaN or infinity"),
    (lambda: gradient_flow(GRU.random(2, 3), np.zeros((4, 3))), "shape"),
])
def test_every_refusal_is_one_value_error_sentence(call, words):
    with pytest.raises(ValueError) as e:
        call()
    msg = str(e.value)
    assert words in msg
    assert msg.endswith(".") and "\n" not in msg


@pytest.mark.parametrize("variant", ["nfg", "cifg", "nig"])
def test_flow_of_an_lstm_variant_is_its_finite_difference_jacobian(variant):
    """gradient_flow reads the named per-step gradients of model.bptt, whichever variant made the trace."""
    T, D, H = 6, 2, 3
    model = LSTM.random(D, H, seed=3, weight_scale=1.5, variant=variant)
    x = np.random.default_rng(1).normal(size=(T, D))
    flow, tr = gradient_flow(model, x, seed=5), model.forward(x)
    assert flow.trace.variant == variant
    for t in range(T):
        Jh, _ = _fd_suffix_jacobians(model, x, tr, t)
        np.testing.assert_allclose(flow.jac_fro[T - 1 - t], np.linalg.norm(Jh), rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(flow.grad_h[T - 1 - t], np.linalg.norm(unit_projection(H, 5) @ Jh),
                                   rtol=1e-6, atol=1e-9)
