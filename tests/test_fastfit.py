"""The trainer's fast path (lstm_viz.fastfit) against the engine, and what training in float32 keeps.

Speed is measured by benchmarks/bench_train.py, never here: these tests assert behaviour only.
"""
import pickle
from functools import partial

import numpy as np
import pytest

from lstm_viz.cells import GRU, LSTM, RNN, VARIANT_NAMES
from lstm_viz.fastfit import FAST_VARIANTS, LSTMFit, RNNFit
from lstm_viz.tasks import TASKS, make_task
from lstm_viz.train import (Adam, EngineFit, Progress, TrainConfig, _loss_and_grads, _score, evaluate,
                            learner_for, train)

SMALL = dict(hidden_size=4, batch_size=16, length=8, eval_every=20, test_size=200, max_seconds=60)


FAST = [("lstm", v) for v in FAST_VARIANTS] + [("rnn", "tanh"), ("rnn", "relu")]   # (kind, variant)


def _model(kind, variant, D, H):
    """kind's cell; variant is the LSTM's variant or the RNN's nonlinearity (unused for the GRU)."""
    if kind == "rnn":
        return RNN.random(D, H, seed=3, weight_scale=2.0, nonlinearity=variant)
    if kind == "gru":
        return GRU.random(D, H, seed=3, weight_scale=2.0)
    return LSTM.random(D, H, seed=3, weight_scale=2.0, variant=variant)


def _case(task, variant, T, B, H=5, kind="lstm"):
    info = TASKS[task]
    C = info.n_classes or 1
    m = _model(kind, variant, info.input_size, H)
    rng = np.random.default_rng(1)
    readout = (rng.normal(size=(C, H)), rng.normal(size=C))
    return m, readout, make_task(task, B, T, seed=2), info.kind == "classification"


@pytest.mark.parametrize("kind, variant", FAST)
@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("T, B", [(4, 1), (9, 7), (40, 33)])
def test_fast_loss_and_gradient_are_the_engines(task, kind, variant, T, B):
    """The training-only kernel gives the engine's loss and every gradient (the engine's are checked by finite
    differences in test_train.py), also for a batch that follows another one through the reused buffers."""
    m, readout, t, classify = _case(task, variant, T, B, kind=kind)
    other = make_task(task, B, T, seed=5)
    want_loss, want = _loss_and_grads(m, readout, t.x, t.y, classify)
    for dtype, rtol in ((np.float64, 1e-12), (np.float32, 2e-4)):
        fit = (RNNFit if kind == "rnn" else LSTMFit)(m, readout, dtype)
        fit.loss_and_grad(other.x, other.y, classify)
        loss = fit.loss_and_grad(t.x, t.y, classify)
        cell, (W_r, b_r) = fit.parameters(fit.grad.astype(np.float64))
        got = {**cell, "readout.weight": W_r, "readout.bias": b_r}
        assert loss == pytest.approx(want_loss, rel=rtol)
        for name, g in want.items():
            np.testing.assert_allclose(got[name], g, rtol=rtol, atol=rtol * np.abs(g).max(), err_msg=name)


@pytest.mark.parametrize("kind, variant", [("lstm", "lstm"), ("lstm", "cifg"), ("lstm", "peephole"),
                                           ("rnn", "relu"), ("gru", None)])
@pytest.mark.parametrize("task, T, N", [("adding", 400, 300), ("temporal_order", 9, 70)])
def test_predict_gives_the_engines_outputs_in_chunks_of_any_size(task, kind, variant, T, N):
    """Evaluation in the learner (what Progress.test_loss uses): the engine's read-out outputs, also when
    the test set is cut into chunks (T = 400, N = 300 needs four) and the last chunk is a short one."""
    m, readout, t, classify = _case(task, variant, T, N, H=16, kind=kind)
    out = m.forward(t.x).h[-1] @ readout[0].T + readout[1]
    for dtype, rtol in ((np.float64, 1e-12), (np.float32, 1e-4)):
        got = learner_for(m, readout, dtype).predict(t.x)
        np.testing.assert_allclose(got, out, rtol=rtol, atol=rtol * np.abs(out).max())
    loss, acc = _score(learner_for(m, readout, np.float64).predict(t.x), t.y, classify)
    want_loss, want_acc = evaluate(m, readout, t.x, t.y, classify)
    assert loss == pytest.approx(want_loss, rel=1e-12) and acc == want_acc


def test_saturated_logits_give_a_finite_float32_loss_and_gradient():
    """Logits 400 apart underflow exp() in float32; the loss is a log-softmax, as the engine's."""
    m, _, t, classify = _case("first_symbol", "lstm", 6, 8, H=3)
    readout = (np.array([[200.0, 0, 0], [-200.0, 0, 0], [0, 0, 0], [0, 0, 0]]), np.zeros(4))
    fit = LSTMFit(m, readout, np.float32)
    loss = fit.loss_and_grad(t.x, t.y, classify)
    assert loss == pytest.approx(_loss_and_grads(m, readout, t.x, t.y, classify)[0], rel=1e-5)
    assert np.isfinite(fit.grad).all()


def test_the_flat_vector_round_trips_and_every_kind_has_a_learner():
    m, readout, t, classify = _case("adding", "lstm", 6, 3)
    cell, (W_r, b_r) = LSTMFit(m, readout).parameters()
    for name, a in m.parameters().items():
        assert np.array_equal(cell[name], a), name
    assert np.array_equal(W_r, readout[0]) and np.array_equal(b_r, readout[1])
    assert isinstance(learner_for(m, readout), LSTMFit)
    zero = (np.zeros((1, 3)), np.zeros(1))
    assert isinstance(learner_for(RNN.random(2, 3, nonlinearity="relu"), zero), RNNFit)
    for init in (LSTM.random(2, 3, variant="peephole"), GRU.random(2, 3)):
        fit = learner_for(init, zero)
        assert isinstance(fit, EngineFit) and fit.theta.dtype == np.float64 and fit.grad.dtype == np.float32


@pytest.mark.parametrize("kind, variant", [("lstm", v) for v in VARIANT_NAMES] + [("rnn", "tanh"),
                                                                                 ("rnn", "relu")])
def test_float64_fast_and_engine_training_agree(kind, variant):
    """Ten Adam steps through either learner end at the same weights (to rounding): one recipe, same draws."""
    m, readout, t, classify = _case("adding", variant, 8, 16, H=4, kind=kind)
    weights = []
    for fit in (learner_for(m, readout, "float64"), EngineFit(m, readout, np.float64)):
        adam = Adam({"theta": fit.theta}, 0.02)
        for _ in range(10):
            fit.loss_and_grad(t.x, t.y, classify)
            adam.step({"theta": fit.theta}, {"theta": fit.grad})
        cell, _ = fit.parameters()
        weights.append(cell)
    for name in weights[0]:
        np.testing.assert_allclose(weights[0][name], weights[1][name], rtol=1e-9, atol=1e-12, err_msg=name)


def test_reports_hold_float64_models_built_when_first_read():
    ps = list(train(max_steps=3, **SMALL))
    assert TrainConfig().dtype == "float32"
    assert all(isinstance(p, Progress) for p in ps)
    assert isinstance(vars(ps[1])["_model"], partial)                                     # nobody read it yet
    model = ps[1].model
    assert isinstance(model, LSTM) and model.dtype == np.float64 and ps[1].model is model
    assert not np.array_equal(ps[1].model.weight_hh, ps[2].model.weight_hh)
    assert ps[0].readout[0].dtype == np.float64


def test_a_report_pickles_with_its_model():
    p = list(train(max_steps=2, **SMALL))[1]
    q = pickle.loads(pickle.dumps(p))
    assert np.array_equal(q.model.weight_hh, p.model.weight_hh) and q.step == p.step and q.loss == p.loss


def test_float32_and_float64_runs_differ_only_by_rounding_at_first():
    a = list(train(max_steps=5, dtype="float32", **SMALL))
    b = list(train(max_steps=5, dtype="float64", **SMALL))
    assert a[0].loss == pytest.approx(b[0].loss, rel=1e-5)
    np.testing.assert_allclose(a[-1].model.weight_hh, b[-1].model.weight_hh, rtol=1e-3, atol=1e-5)


def test_an_unknown_dtype_is_refused_in_one_sentence():
    with pytest.raises(ValueError, match="float32, float64") as e:
        next(train(dtype="float16"))
    assert str(e.value).endswith(".")


def test_float32_learns_the_adding_problem_as_fast_as_float64():
    """The quick version of the benchmark's learning check (adding at T = 50, the default recipe, seeds 0-2):
    each float32 run reaches test MSE < 0.01, and the median step count stays within two evaluations of
    float64's (225, 250 and 275 steps for seeds 0-2, the same as before the fast path existed)."""
    steps = []
    for seed in range(3):
        last = list(train(dtype="float32", seed=seed, target=0.01, eval_every=25, max_steps=1000,
                          max_seconds=60))[-1]
        assert last.reason == "target", (seed, last.step, last.test_loss)
        steps.append(last.step)
    assert np.median(steps) <= 250 + 50, steps
