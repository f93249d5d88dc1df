"""The engine against PyTorch's own numbers, read from a committed fixture (PyTorch is not imported).

tests/fixtures/torch_golden.npz was written by scripts/make_torch_fixture.py: nn.LSTM, nn.GRU, nn.RNN(tanh),
nn.RNN(relu) with D=3, H=5, T=7, batch 2, and a 2-layer nn.LSTM; forward outputs and autograd gradients of
loss = sum(dh * y) in float64. Loading the state_dict names through our constructors also checks that
PyTorch's weight layout and gate order drop straight in.
"""
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from lstm_viz import GRU, LSTM, RNN, Stack

FIXTURE = Path(__file__).parent / "fixtures" / "torch_golden.npz"
TOL = dict(rtol=1e-12, atol=1e-12)
PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
CASES = {"lstm": LSTM, "gru": GRU, "rnn": RNN, "relu": partial(RNN, nonlinearity="relu")}


@pytest.fixture(scope="module")
def golden():
    with np.load(FIXTURE, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _layer(cls, g, case, l=0):
    return cls(*(g[f"{case}/{p}_l{l}"] for p in PARAMS))


def _assert_torch_grads(gr, g: dict, case: str) -> None:
    """Our Grads against the fixture's autograd gradients for one layer."""
    for p in PARAMS:
        np.testing.assert_allclose(getattr(gr, p), g[f"grad/{p}_l0"], **TOL, err_msg=p)
    np.testing.assert_allclose(gr.x, g["grad/x"], **TOL)
    np.testing.assert_allclose(gr.h0, g["grad/h0"][0], **TOL)
    if case == "lstm":
        np.testing.assert_allclose(gr.c0, g["grad/c0"][0], **TOL)


def _run(m, x, h0, c0):
    return m.forward(x, h0, c0) if m.kind == "lstm" else m.forward(x, h0)


@pytest.mark.parametrize("case", CASES)
def test_one_layer_forward_and_gradients_match_pytorch(golden, case):
    g = {k.split("/", 1)[1]: v for k, v in golden.items() if k.startswith(case + "/")}
    m = _layer(CASES[case], golden, case)
    c0 = g["c0"][0] if case == "lstm" else None
    tr = _run(m, g["x"], g["h0"][0], c0)
    np.testing.assert_allclose(tr.h, g["y"], **TOL)
    np.testing.assert_allclose(tr.h[-1], g["h_n"][0], **TOL)
    if case == "lstm":
        np.testing.assert_allclose(tr.c[-1], g["c_n"][0], **TOL)
    gr = m.backward(tr, g["dh"])
    _assert_torch_grads(gr, g, case)


@pytest.mark.parametrize("case", CASES)
def test_unbatched_sequence_matches_its_pytorch_batch_column(golden, case):
    m = _layer(CASES[case], golden, case)
    for b in range(golden[f"{case}/x"].shape[1]):
        c0 = golden[f"{case}/c0"][0, b] if case == "lstm" else None
        tr = _run(m, golden[f"{case}/x"][:, b], golden[f"{case}/h0"][0, b], c0)
        assert tr.h.shape == (7, 5)
        np.testing.assert_allclose(tr.h, golden[f"{case}/y"][:, b], **TOL)


def test_lstm_gates_match_gates_recomputed_from_pytorch_weights(golden):
    """Independent of our kernels: textbook sigmoid/tanh on PyTorch's weights and PyTorch's own h_{t-1}."""
    g = {k.split("/", 1)[1]: v for k, v in golden.items() if k.startswith("lstm/")}
    W_ih, W_hh, b = g["weight_ih_l0"], g["weight_hh_l0"], g["bias_ih_l0"] + g["bias_hh_l0"]
    hprev = np.concatenate([g["h0"], g["y"][:-1]])             # (T, B, H) PyTorch's h_{t-1}
    z = g["x"] @ W_ih.T + hprev @ W_hh.T + b                     # (T, B, 4H)
    zi, zf, zg, zo = np.split(z, 4, axis=-1)
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
    tr = _layer(LSTM, golden, "lstm").forward(g["x"], g["h0"][0], g["c0"][0])
    for name, want in (("i", sig(zi)), ("f", sig(zf)), ("g", np.tanh(zg)), ("o", sig(zo))):
        np.testing.assert_allclose(getattr(tr, name), want, **TOL, err_msg=name)
    cprev = np.concatenate([g["c0"], tr.c[:-1]])
    np.testing.assert_allclose(tr.c, sig(zf) * cprev + sig(zi) * np.tanh(zg), **TOL)
    np.testing.assert_allclose(tr.tanh_c, np.tanh(tr.c), **TOL)


def test_two_layer_lstm_stack_matches_pytorch(golden):
    g = {k.split("/", 1)[1]: v for k, v in golden.items() if k.startswith("lstm2/")}
    st = Stack([_layer(LSTM, golden, "lstm2", 0), _layer(LSTM, golden, "lstm2", 1)])
    tr = st.forward(g["x"], g["h0"], g["c0"])
    np.testing.assert_allclose(tr.h, g["y"], **TOL)
    np.testing.assert_allclose(np.stack([t.h[-1] for t in tr.layers]), g["h_n"], **TOL)
    np.testing.assert_allclose(np.stack([t.c[-1] for t in tr.layers]), g["c_n"], **TOL)
    gr = st.backward(tr, g["dh"])
    for l, lg in enumerate(gr.layers):
        for p in PARAMS:
            np.testing.assert_allclose(getattr(lg, p), g[f"grad/{p}_l{l}"], **TOL, err_msg=f"{p}_l{l}")
    np.testing.assert_allclose(gr.x, g["grad/x"], **TOL)
    np.testing.assert_allclose(gr.h0, g["grad/h0"], **TOL)
    np.testing.assert_allclose(gr.c0, g["grad/c0"], **TOL)


def test_relu_case_clips_so_it_can_tell_relu_from_tanh(golden):
    g = {k.split("/", 1)[1]: v for k, v in golden.items() if k.startswith("relu/")}
    tr = _layer(CASES["relu"], golden, "relu").forward(g["x"], g["h0"][0])
    assert (tr.a < 0).mean() > 0.2 and (tr.a > 1).any()          # both sides of the kink, and beyond tanh's range
    assert not np.allclose(_layer(RNN, golden, "relu").forward(g["x"], g["h0"][0]).h, g["y"])


def test_fixture_is_what_the_script_describes(golden):
    assert golden["lstm/x"].shape == (7, 2, 3) and golden["lstm/y"].shape == (7, 2, 5)
    assert golden["lstm2/h0"].shape == (2, 2, 5)
    assert all(v.dtype == np.float64 for k, v in golden.items() if k != "torch_version")
    # the gates are neither all saturated nor all linear, so gate-order slips would show
    tr = _layer(LSTM, golden, "lstm").forward(golden["lstm/x"], golden["lstm/h0"][0], golden["lstm/c0"][0])
    assert 0.01 < tr.f.min() and tr.f.max() < 0.99 and np.ptp(tr.f) > 0.5


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("chunk,fold", [(1, 0), (7, 1 << 16), (10, 0), (23, 1 << 16), (10 ** 6, 0)])
def test_backward_in_chunks_matches_pytorch(golden, case, chunk, fold, monkeypatch):
    """Backward computes its local derivatives a chunk of steps at a time (sized for the cache), and
    adds dh[t] inside its recurrent product only when the step is small. Any chunk size, including
    ones that do not divide T = 7, and either way of adding must give PyTorch's gradients."""
    from lstm_viz import cells
    monkeypatch.setattr(cells, "_CHUNK", chunk)   # elements per chunk: B * H = 10, so 1 to 3 steps, or all
    monkeypatch.setattr(cells, "_FOLD", fold)
    g = {k.split("/", 1)[1]: v for k, v in golden.items() if k.startswith(case + "/")}
    m = _layer(CASES[case], golden, case)
    tr = _run(m, g["x"], g["h0"][0], g["c0"][0] if case == "lstm" else None)
    gr = m.backward(tr, g["dh"])
    _assert_torch_grads(gr, g, case)
