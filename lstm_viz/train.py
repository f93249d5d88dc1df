"""Train an LSTM, GRU or RNN with a linear read-out on a task, as a generator a UI can watch and stop.

Shapes: T steps, B batch, D input size, H hidden size, C outputs (1 for regression, else classes).
    h_T = cell(x)[-1]                  (B, H) the last hidden state
    out = h_T W^T + b                  (B, C) the read-out
    loss = mean (out - y)^2            regression
         = mean -log softmax(out)_y    classification
Every step draws a fresh batch, takes the exact BPTT gradient from the engine (dL/dh_t is zero except
at the last step), clips the global gradient norm and makes one Adam step. A seeded run gives the same
numbers bit for bit; the wall-clock budget only decides how many steps there are.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from .cells import CELLS
from .limits import MAX_HIDDEN_SIZE, MAX_TRAIN_SECONDS, MAX_TRAIN_STEPS
from .tasks import chance, check_length, make_task, sample, task_info

PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


@dataclass(frozen=True)
class TrainConfig:
    """A training recipe; the defaults learn the adding problem at T=50 in a few seconds."""

    task: str = "adding"          # a key of lstm_viz.tasks.TASKS
    length: int = 50              # sequence length T
    kind: str = "lstm"            # 'lstm', 'gru' or 'rnn'
    hidden_size: int = 16         # H
    batch_size: int = 64          # sequences per Adam step
    max_steps: int = 1500         # Adam steps, at most limits.MAX_TRAIN_STEPS
    max_seconds: float = 10.0     # wall-clock budget, at most limits.MAX_TRAIN_SECONDS
    lr: float = 0.02              # Adam step size
    clip: float = 0.1             # global gradient-norm threshold; 0 turns clipping off
    forget_bias: float = 2.0      # initial bias of the LSTM forget gate / GRU update gate
    weight_scale: float = 1.0     # multiplies PyTorch's default uniform init
    eval_every: int = 50          # steps between test-set evaluations
    test_size: int = 1000         # examples in the fixed test set
    seed: int = 0                 # fixes the init, every batch and the test set
    target: float | None = None   # stop early at this test MSE (regression) or accuracy (classification)


# Where a task trains better away from the adding problem's defaults. Remembering one symbol from step 0
# needs the forget gate open to memory from the start: at T=50 with bias 2 (f = 0.88, 0.88^49 = 0.002) the
# LSTM sat at chance for 2,400 steps; with bias 5 (f = 0.993) seeds 0-5 all reached 100% in 100-700 steps.
RECIPES: dict[str, dict] = {"adding": {}, "first_symbol": {"forget_bias": 5.0}, "temporal_order": {}}


def recipe(task: str = "adding", **changes) -> TrainConfig:
    """The default recipe for a task, with any fields changed."""
    task_info(task)
    return replace(TrainConfig(task=task), **{**RECIPES[task], **changes})


@dataclass(frozen=True, eq=False)
class Progress:
    """The model after `step` Adam steps and how it is doing."""

    step: int                     # Adam steps taken so far
    loss: float                   # training loss on this step's batch
    grad_norm: float              # global gradient norm of that loss, before clipping
    test_loss: float | None       # test-set loss, on evaluation steps only
    test_acc: float | None        # test-set accuracy, on evaluation steps of classification tasks
    seconds: float                # wall-clock time since training started
    model: object                 # the LSTM, GRU or RNN with these weights
    readout: tuple                # (W (C, H), b (C,))
    done: bool                    # the last report of the run
    reason: str = ""              # on the last report: 'steps', 'seconds' or 'target'


def check_config(cfg: TrainConfig) -> TrainConfig:
    """cfg if every field is within the demo's limits, else ValueError in one sentence."""
    task_info(cfg.task)
    check_length(cfg.task, cfg.length)
    if cfg.kind not in CELLS:
        raise ValueError(f"Unknown model kind {cfg.kind!r}; choose one of {', '.join(CELLS)}.")
    rules = [
        ("hidden_size", cfg.hidden_size, 1, MAX_HIDDEN_SIZE), ("batch_size", cfg.batch_size, 1, 1024),
        ("max_steps", cfg.max_steps, 1, MAX_TRAIN_STEPS),
        ("max_seconds", cfg.max_seconds, 0, MAX_TRAIN_SECONDS),
        ("eval_every", cfg.eval_every, 1, MAX_TRAIN_STEPS), ("test_size", cfg.test_size, 1, 10_000),
        ("lr", cfg.lr, 0, 1), ("clip", cfg.clip, 0, 1e6), ("weight_scale", cfg.weight_scale, 0, 10),
        ("forget_bias", cfg.forget_bias, -20, 20),
    ]
    for name, v, lo, hi in rules:
        number = isinstance(v, (int, float, np.integer, np.floating))
        if not number or not np.isfinite(v) or not lo <= v <= hi:
            raise ValueError(f"{name} must be a number from {lo} to {hi}; got {v!r}.")
    return cfg


def train(config: TrainConfig | None = None, **changes) -> Iterator[Progress]:
    """Yield Progress for step 0 (the initial model), then after every Adam step until a budget runs out.

    Stop early by simply not asking for more. Keyword arguments override fields of config; without a
    config, training starts from the task's recipe (recipe(task)).
    """
    if config is None:
        config = recipe(changes.get("task", TrainConfig.task))
    cfg = check_config(replace(config, **changes))
    info = task_info(cfg.task)
    C = info.n_classes or 1
    classify = info.kind == "classification"
    cls = CELLS[cfg.kind]
    rng = np.random.default_rng(cfg.seed)
    init = cls.random(info.input_size, cfg.hidden_size, seed=int(rng.integers(2**31)),
                      forget_bias=cfg.forget_bias, weight_scale=cfg.weight_scale)
    H = cfg.hidden_size
    k = 1.0 / np.sqrt(H)
    params = {name: np.array(getattr(init, name)) for name in PARAMS}
    params["readout.weight"] = rng.uniform(-k, k, (C, H))   # (C, H) as torch.nn.Linear
    params["readout.bias"] = np.zeros(C)                     # (C,)
    test = make_task(cfg.task, cfg.test_size, cfg.length, seed=int(rng.integers(2**31)))
    data_rng = np.random.default_rng(int(rng.integers(2**31)))
    adam = Adam(params, cfg.lr)
    start = time.perf_counter()
    step = 0
    while True:
        model = cls(*(params[name] for name in PARAMS))
        readout = (params["readout.weight"].copy(), params["readout.bias"].copy())
        x, y = sample(cfg.task, cfg.batch_size, cfg.length, data_rng)
        loss, grads = _loss_and_grads(model, readout, x, y, classify)
        grad_norm = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
        seconds = time.perf_counter() - start
        reason = ("steps" if step >= cfg.max_steps else "seconds" if seconds >= cfg.max_seconds else "")
        test_loss = test_acc = None
        if reason or step % cfg.eval_every == 0:
            test_loss, test_acc = evaluate(model, readout, test.x, test.y, classify)
            if not reason and cfg.target is not None and step > 0:
                reached = test_acc >= cfg.target if classify else test_loss <= cfg.target
                reason = "target" if reached else ""
        yield Progress(step, loss, grad_norm, test_loss, test_acc, seconds, model, readout,
                       done=bool(reason), reason=reason)
        if reason:
            return
        if cfg.clip and grad_norm > cfg.clip:
            for g in grads.values():
                g *= cfg.clip / grad_norm
        adam.step(params, grads)
        step += 1


def run(config: TrainConfig | None = None, **changes) -> Progress:
    """Train to the end of the budget and return the last report."""
    for p in train(config, **changes):
        pass
    return p


@dataclass(frozen=True)
class SweepPoint:
    """One finished run of a lag sweep."""

    kind: str                 # 'lstm', 'gru' or 'rnn'
    length: int               # sequence length T the model trained and was tested at
    test_loss: float          # final test loss
    test_acc: float | None    # final test accuracy (classification)
    baseline: float           # chance level of the task: MSE of the mean, or 1 / classes
    steps: int                # Adam steps the run took
    seconds: float            # wall-clock time of the run


SWEEP_LENGTHS = (5, 10, 20, 40, 80)


def lag_sweep(task: str = "adding", lengths=SWEEP_LENGTHS, kinds=("rnn", "lstm"), max_steps: int = 800,
              total_seconds: float = MAX_TRAIN_SECONDS, **changes) -> Iterator[SweepPoint]:
    """Train each kind at each length on a small budget and yield the result of every run.

    Runs go length by length (shortest first), every kind at a length before the next length, so a
    plot of error against lag fills in from the left. Each run may use the time left divided by the
    runs left, so time a quick run leaves over goes to the longer ones.
    """
    runs = [(T, kind) for T in lengths for kind in kinds]
    if not runs:
        raise ValueError("A lag sweep needs at least one length and one model kind.")
    if not 0 < total_seconds <= MAX_TRAIN_SECONDS:
        raise ValueError(f"total_seconds must be above 0 and at most {MAX_TRAIN_SECONDS}; "
                         f"got {total_seconds!r}.")
    baseline = chance(task)
    configs = [check_config(recipe(task, length=T, kind=kind, max_steps=max_steps, max_seconds=total_seconds,
                                   eval_every=max_steps, **changes)) for T, kind in runs]
    start = time.perf_counter()
    for n, cfg in enumerate(configs):
        left = max(total_seconds - (time.perf_counter() - start), 0.0)
        last = run(replace(cfg, max_seconds=left / (len(configs) - n)))
        yield SweepPoint(cfg.kind, cfg.length, last.test_loss, last.test_acc, baseline, last.step,
                         last.seconds)


def evaluate(model, readout, x, y, classify: bool) -> tuple[float, float | None]:
    """(loss, accuracy) on a data set; accuracy is None for regression."""
    out = _readout(model.forward(x).h[-1], readout)
    if classify:
        return float(_cross_entropy(out, y)[0]), float(np.mean(out.argmax(1) == y))
    return float(np.mean((out[:, 0] - y) ** 2)), None


def state_dict(model, readout) -> dict[str, np.ndarray]:
    """PyTorch names for the cell plus readout.weight, readout.bias: what a preset .npz holds."""
    return {**model.state_dict(), "readout.weight": readout[0], "readout.bias": readout[1]}


# ---------------------------------------------------------------------------------------------
# loss, gradient and optimiser


def _readout(h_last: np.ndarray, readout) -> np.ndarray:
    W, b = readout
    return h_last @ W.T + b                                  # (B, C)


def _cross_entropy(out: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy and its gradient with respect to the logits."""
    z = out - out.max(1, keepdims=True)                      # (B, C)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    rows = np.arange(len(y))
    dout = np.exp(logp)
    dout[rows, y] -= 1.0
    return -logp[rows, y].mean(), dout / len(y)


def _loss_and_grads(model, readout, x, y, classify: bool):
    """Batch loss and the gradient of every parameter, readout included."""
    tr = model.forward(x)
    h_last = tr.h[-1]                                        # (B, H)
    out = _readout(h_last, readout)                          # (B, C)
    if classify:
        loss, dout = _cross_entropy(out, y)
    else:
        err = out[:, 0] - y                                  # (B,)
        loss = np.mean(err * err)
        dout = (2.0 / len(y)) * err[:, None]                 # (B, 1)
    dh = np.zeros_like(tr.h)                                 # (T, B, H) the loss reads only h_T
    dh[-1] = dout @ readout[0]
    g = model.backward(tr, dh)
    grads = {name: np.array(getattr(g, name)) for name in PARAMS}
    grads["readout.weight"] = dout.T @ h_last                # (C, H)
    grads["readout.bias"] = dout.sum(0)                      # (C,)
    return float(loss), grads


class Adam:
    """Kingma & Ba (2015) with bias correction; updates the parameter arrays in place."""

    def __init__(self, params: dict, lr: float, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.b1, self.b2, self.eps, self.t = lr, beta1, beta2, eps, 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, params: dict, grads: dict) -> None:
        self.t += 1
        a = self.lr * np.sqrt(1 - self.b2 ** self.t) / (1 - self.b1 ** self.t)
        for k, g in grads.items():
            m, v = self.m[k], self.v[k]
            m *= self.b1
            m += (1 - self.b1) * g
            v *= self.b2
            v += (1 - self.b2) * g * g
            params[k] -= a * m / (np.sqrt(v) + self.eps)
