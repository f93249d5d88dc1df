"""connectivity against central finite differences and PyTorch autograd (a committed fixture, so torch is not
imported), float32 against float64; counterfactual on the hand-built latch, whose memory a reader can predict."""
from pathlib import Path

import numpy as np
import pytest

from lstm_viz import GRU, LSTM, RNN, Stack, connectivity, counterfactual
from lstm_viz.presets import load_preset

FIXTURE = Path(__file__).parent / "fixtures" / "torch_connectivity.npz"
CELLS = {"lstm": LSTM, "gru": GRU, "rnn": RNN}
PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _finite_differences(model, x, eps=1e-6):
    """||dh_t/dx_s||_F from 2 T D forward passes, each input number nudged up and down."""
    T, D = x.shape
    J = np.zeros((T, model.hidden_size, T, D))                   # (T, H, T, D)
    for s in range(T):
        for d in range(D):
            up, down = x.copy(), x.copy()
            up[s, d] += eps
            down[s, d] -= eps
            J[:, :, s, d] = (model.forward(up).h - model.forward(down).h) / (2 * eps)
    return np.sqrt((J ** 2).sum(axis=(1, 3)))


@pytest.mark.parametrize("kind", CELLS)
@pytest.mark.parametrize("T,D,H", [(1, 1, 1), (6, 3, 4), (5, 1, 3), (4, 12, 2)])
def test_connectivity_matches_finite_differences(kind, T, D, H):
    """(4, 12, 2): more input directions than state numbers, the path that shrinks each source by a QR."""
    model = CELLS[kind].random(D, H, seed=T + D, weight_scale=2.0)
    x = np.random.default_rng(H).normal(0, 1, (T, D))
    got = connectivity(model, x, dtype=np.float64)
    assert got.shape == (T, T) and got.dtype == np.float64
    np.testing.assert_allclose(got, _finite_differences(model, x), rtol=1e-7, atol=1e-9)
    assert np.all(np.triu(got, 1) == 0.0) and np.all(np.diag(got) > 0)


@pytest.fixture(scope="module")
def golden():
    with np.load(FIXTURE, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


@pytest.mark.parametrize("case", ["lstm", "gru", "rnn", "lstm_wide"])
def test_connectivity_matches_pytorch_autograd(golden, case):
    cls = CELLS[case.split("_")[0]]
    model = cls(*(golden[f"{case}/{p}_l0"] for p in PARAMS))
    want = golden[f"{case}/connectivity"]                          # (T, T) from torch's Jacobian
    np.testing.assert_allclose(connectivity(model, golden[f"{case}/x"], dtype=np.float64), want,
                               rtol=1e-10, atol=1e-13)
    got32 = connectivity(model, golden[f"{case}/x"])               # the default: float32 tangents
    assert np.max(np.abs(got32 - want) / want.max(axis=1, keepdims=True)) < 1e-5
    assert want[-1, 0] > 1e-3 * want[-1, -1]                      # influence reaches back: a real test


def test_float32_agrees_with_float64_on_a_long_memory():
    """T = 120, H = 32, one-hot inputs over 20 symbols, forget bias 3 (memory that lasts)."""
    model = LSTM.random(20, 32, seed=5, forget_bias=3.0, weight_scale=1.5)
    x = np.eye(20)[np.random.default_rng(0).integers(0, 20, 120)]   # (T, D)
    exact, fast = connectivity(model, x, dtype=np.float64), connectivity(model, x)
    assert exact[-1, 0] > 1e-4 * exact[-1].max()
    assert np.max(np.abs(fast - exact) / exact.max(axis=1, keepdims=True)) < 1e-5


def test_connectivity_refuses_batches_and_stacks():
    m = LSTM.random(2, 3)
    with pytest.raises(ValueError, match="one sequence"):
        connectivity(m, np.zeros((4, 2, 2)))
    with pytest.raises(ValueError, match="one LSTM, GRU or RNN layer"):
        connectivity(Stack([m, LSTM.random(3, 3)]), np.zeros((4, 2)))
    zero = LSTM(np.zeros((12, 2)), np.ones((12, 3)))
    assert np.all(connectivity(zero, np.ones((4, 2))) == 0.0)      # no input weight: nothing depends on x


def test_counterfactual_on_the_latch_lives_until_the_next_store():
    """The latch stores tanh(value) on a store step and holds it: changing the value stored at step 0
    changes c and h from step 0 up to the next store (step 4) and nothing after it."""
    latch = load_preset("latch").model
    x = np.array([[0.8, 1], [0.3, 0], [-0.5, 0], [0.1, 0], [0.9, 1], [0.2, 0]])
    x2 = x.copy()
    x2[0, 0] = -0.4
    cf = counterfactual(latch, x, x2)
    assert cf.first == 0 and cf.changed.tolist() == [True] + [False] * 5
    assert list(cf.delta) == ["i", "f", "g", "o", "c", "h"] and cf.delta["c"].shape == (6, 1)
    assert cf.delta["c"][0, 0] == pytest.approx(np.tanh(-0.4) - np.tanh(0.8), rel=1e-6)
    assert np.all(np.abs(cf.delta["c"][:4]) > 0.5) and np.all(np.abs(cf.delta["c"][4:]) < 1e-6)
    np.testing.assert_allclose(cf.delta["h"], cf.after.h - cf.before.h)


@pytest.mark.parametrize("kind", CELLS)
def test_counterfactual_changes_nothing_before_the_change(kind):
    model = CELLS[kind].random(3, 4, seed=1)
    x = np.random.default_rng(1).normal(0, 1, (8, 3))
    x2 = x.copy()
    x2[5, 1] += 1.0
    cf = counterfactual(model, x, x2)
    assert cf.first == 5 and list(cf.delta)[-1] == "h"
    for name, d in cf.delta.items():
        assert d.shape == (8, 4) and np.all(d[:5] == 0.0), name
    assert np.abs(cf.delta["h"][5]).max() > 0
    assert counterfactual(model, x, x).first is None
    with pytest.raises(ValueError, match="must match"):
        counterfactual(model, x, x[:4])
