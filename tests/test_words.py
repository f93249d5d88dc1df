"""The sentences (lstm_viz.words): every number in them checked against the engine directly."""
import math
import re

import numpy as np
import pytest

from lstm_viz import GRU, LSTM, RNN, gradient_flow
from lstm_viz import words as R
from lstm_viz.flow import unit_projection

NUM = r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?"


def _numbers(s: str) -> list[float]:
    return [float(v) for v in re.findall(NUM, s)]


def _close(a: float, b: float) -> bool:
    """Equal to the two significant digits the sentences print."""
    return math.isclose(a, b, rel_tol=0.051) or (a == 0 and b == 0)


def _dL_dh_by_suffix(model, x, u, t) -> float:
    """||dL/dh_t|| for L = u . h_T from the engine's own backward on the run x[t+1:] started at h_t."""
    if t == len(x) - 1:
        return float(np.linalg.norm(u))
    tr_full = model.forward(x)
    suffix = x[t + 1:]
    kw = {"c0": tr_full.c[t]} if model.kind == "lstm" else {}
    tr = model.forward(suffix, tr_full.h[t], **kw)
    dh = np.zeros_like(tr.h)
    dh[-1] = u
    return float(np.linalg.norm(model.backward(tr, dh).h0))


@pytest.mark.parametrize("v", [0.21, 3e-9, 1.57e-7, 2.5e12, 1.0, 0.0123, 999.0, 7e-3])
def test_sci_reads_back_to_two_digits(v):
    s = R.sci(v)
    assert _close(float(s), v)
    assert len(s) <= 7


def test_retention_sentence_numbers_are_the_engine_ratios():
    T, H, k = 60, 8, 40
    x = np.random.default_rng(0).normal(size=(T, 1))
    models = {"RNN": RNN.random(1, H, seed=1), "LSTM": LSTM.random(1, H, seed=1, forget_bias=3.0),
              "GRU": GRU.random(1, H, seed=1)}
    flows = {name: gradient_flow(m, x, seed=2) for name, m in models.items()}
    s = R.retention_sentence(flows, k)
    assert s.startswith(f"After {k} steps back, the RNN's gradient")
    assert "the LSTM keeps" in s and "the GRU keeps" in s
    got = _numbers(s.split("back,")[1].replace("dL/dh", ""))
    u = unit_projection(H, 2)
    for value, (name, m) in zip(got, models.items()):
        want = _dL_dh_by_suffix(m, x, u, T - 1 - k) / _dL_dh_by_suffix(m, x, u, T - 1)
        assert _close(value, want), (name, value, want)
    # the RNN forgets far faster than an LSTM with open forget gates: the sentence's point
    assert got[0] < got[1] / 100


def test_retention_clamps_k_to_the_sequence():
    flows = {"RNN": gradient_flow(RNN.random(1, 3), np.zeros(5))}
    assert R.retention_sentence(flows, 400).startswith("After 4 steps back")
    assert R.retention_sentence({}, 3) == ""
    assert "single step" in R.retention_sentence({"RNN": gradient_flow(RNN.random(1, 3), np.zeros(1))}, 0)


@pytest.mark.parametrize("b, want", [(0, 0.5 ** 50), (1, 1.6e-7), (2, 1.8e-3), (3, 0.088), (5, 0.71)])
def test_forget_sentence_powers(b, want):
    s = R.forget_sentence(b)
    gate = 1 / (1 + math.exp(-b))
    m = re.search(rf"sigmoid\({b}\) = ({NUM}), and ({NUM})\^50 = ({NUM}):", s)
    assert _close(float(m[1]), gate) and float(m[2]) == float(m[1])
    assert _close(float(m[3]), gate ** 50) and _close(float(m[3]), want)
    assert f"forget bias {b}" in s


def test_forget_sentence_uses_the_actual_gates():
    T = 80
    m = LSTM.random(1, 5, seed=3, forget_bias=2.0)
    x = np.random.default_rng(1).normal(size=T)
    flow = gradient_flow(m, x)
    f = m.forward(x).f                                       # (T, H)
    want = np.prod(f[T - 50:], axis=0).mean()                # the last 50 gates, per unit, then the mean
    s = R.forget_sentence(2.0, flow)
    actual = _numbers(s.split("multiply to")[1])[0]
    assert _close(actual, want)
    shut = gradient_flow(LSTM.random(1, 5, seed=3, forget_bias=-3.0), x)
    assert "forgets too" in R.forget_sentence(-3.0, shut)
    assert "forgets too" not in R.forget_sentence(5.0, gradient_flow(LSTM.random(1, 5, seed=3, forget_bias=5.0), x))
    short = gradient_flow(m, x[:10])
    assert "last 9 steps" in R.forget_sentence(2.0, short)


def test_pascanu_sentence_states_sigma_and_the_side_of_one():
    x = np.random.default_rng(0).normal(size=30)
    for scale, side in ((0.5, "below 1"), (3.0, "above 1")):
        m = RNN.random(1, 6, seed=0, weight_scale=scale)
        flow = gradient_flow(m, x)
        s = R.pascanu_sentence(flow, 20)
        sigma = np.linalg.svd(m.weight_hh, compute_uv=False)[0]
        assert side in s
        assert _close(_numbers(s)[0], sigma)
        assert _close(_numbers(s.split("it is" if side == "below 1" else "is ")[-1])[0], flow.jac_spec[20])
        if side == "below 1":
            shown_sigma, k, bound = _numbers(s.split("||dh_T/dh_t|| <=")[1])[:3]
            assert shown_sigma >= sigma and k == 20 and bound >= flow.jac_spec[20]    # still a bound
            assert _close(bound, shown_sigma ** 20)


def test_cell_path_sentence_numbers():
    T, k = 30, 20
    m = LSTM.random(1, 4, seed=2)
    x = np.random.default_rng(0).normal(size=T)
    flow = gradient_flow(m, x)
    nums = _numbers(R.cell_path_sentence(flow, k))
    assert nums[0] == k
    tr = m.forward(x)
    u = unit_projection(4, 0)
    dc_T = u * tr.o[-1] * (1 - np.tanh(tr.c[-1]) ** 2)
    prod = np.prod(tr.f[T - k:], axis=0)
    assert _close(nums[1], flow.grad_c[k])
    assert _close(nums[2], prod.mean())
    assert _close(nums[3], np.linalg.norm(dc_T * prod))
    assert _close(nums[4], flow.hidden_path[k])


def test_clip_sentence():
    x = np.random.default_rng(0).normal(size=20)
    m = RNN.random(1, 4, seed=0)
    clipped = {"RNN": gradient_flow(m, x, clip=0.25)}
    s = R.clip_sentence(clipped)
    assert _close(_numbers(s)[0], clipped["RNN"].clip_scale) and "ratios" in s
    assert "nothing was scaled" in R.clip_sentence({"RNN": gradient_flow(m, x, clip=100.0)})


def test_result_and_lag_sentences():
    s = R.result_sentence("LSTM", "regression", 0.0021, None, 1 / 6, 1500, 8.14, 64)
    assert s == ("LSTM: test MSE 0.0021, better than guessing the mean (0.17), after 1500 steps "
                 "(96,000 training sequences) in 8.1 s.")
    assert "no better than" in R.result_sentence("RNN", "regression", 0.16, None, 1 / 6, 10, 1.0, 64)
    assert "accuracy 97% (chance 25%)" in R.result_sentence("GRU", "classification", 0.1, 0.97, 0.25, 10, 1.0, 8)
    lag = R.lag_sentence({"RNN": [(10, 0.01), (50, 0.17)], "LSTM": [(10, 0.01), (50, 0.005)]}, 1 / 6, "regression")
    assert lag.startswith("The RNN learned up to lag 10; the LSTM learned up to lag 50")
    assert "learned no lag" in R.lag_sentence({"RNN": [(10, 0.3)]}, 0.25, "classification")


def test_forget_table():
    rows = R.forget_table()
    assert [r[0] for r in rows] == [0, 1, 2, 3, 5]
    for b, s, p in rows:
        assert s == round(1 / (1 + math.exp(-b)), 4)           # printed to four decimals ...
        assert p == s ** 50                                      # ... and the power taken of what is printed


POWER = re.compile(r"(\d+\.\d+)\^(\d+) = (" + NUM + ")")


@pytest.mark.parametrize("b", [-3, -1, 0, 1, 2, 3, 5, 6])
def test_every_printed_power_checks_out(b):
    """A reader who types the printed base into a calculator and raises it to the printed power gets the
    printed result (to its two significant digits): 'sigmoid(3) = 0.9526, and 0.9526^50 = 0.088'."""
    x = np.random.default_rng(0).normal(size=60)
    flows = {"RNN": gradient_flow(RNN.random(1, 5, seed=1, weight_scale=0.8), x),
             "LSTM": gradient_flow(LSTM.random(1, 5, seed=1, forget_bias=b), x)}
    texts = [R.forget_sentence(b, flows["LSTM"], k) for k in (1, 10, 40)] + [R.pascanu_sentence(flows["RNN"], 40)]
    found = 0
    for text in texts:
        for base, power, shown in POWER.findall(text):
            want = float(base) ** int(power)
            assert float(R.sci(want)) == float(shown), (text, base, power, shown)
            found += 1
    assert found >= 3
