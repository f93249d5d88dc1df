"""Classic LSTM results reproduced with this engine: the tasks exactly as published, their criteria, the runs.

Layer: engine. Imports NumPy, the standard library (json) and the engine (cells, train) only.
Shapes: T steps (L for a padded batch), B batch, D input size, H hidden size, C outputs.

Hochreiter & Schmidhuber (1997), experiment 4, the adding problem as published (T >= 22):
    length  ell ~ U{T, ..., T + T/10}, drawn per sequence             a batch is padded to L = max ell
    x_t = (value, marker)                                              (L, B, 2), zero after ell
    value   ~ U(-1, 1) at every step
    marker  1 at two steps: m1 ~ U{0..9}, then m2 one of the first T/2 - 1 still unmarked steps,
            i.e. m2 ~ U{0 .. T/2 - 1} without m1; -1 at the first step (unless marked) and the last;
            0 elsewhere. The value at m1 is set to 0 when m1 = 0 (the paper says so for X1 only)
    target  y = 0.5 + (X1 + X2) / 4, read at the sequence's own end, t = ell - 1      (B,)
    solved  |out - y| < 0.04 for one sequence
    stop    the last 2,000 training sequences were all solved and their mean squared error is below
            0.01 (the paper's "average training error"; the mean absolute error is reported too)
    The paper trained online, one sequence per weight update; we draw batches of HSConfig.batch_size
    and score each sequence before the update that uses it, as online learning would.
    Variable length in a batch: each sequence is read out at its own last step. The cell is causal,
    so the zero padding after a sequence's end changes nothing before it, and dL/dh is 0 there.
    The app's own adding task (lstm_viz.tasks) is the later form of Le et al. (2015): values in [0, 1],
    target the plain sum, chance MSE 1/6. It is not this task.
Greff et al. (2017), "LSTM: A Search Space Odyssey": lstm_viz.train.train with TrainConfig.variant on
    the app's adding problem and temporal order, every variant on the same steps and seeds; their
    "vanilla" LSTM has peepholes, our "peephole" (GREFF_REFERENCE).
Gers & Schmidhuber (2001), a^n b^n: lstm_viz.anbn (its own module, to keep each under 400 lines).
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .cells import LSTM, VARIANT_NAMES
from .train import Adam, recipe, train

RESULTS_PATH = Path(__file__).with_name("papers_results.json")
HS_SOLVED = 0.04          # |error| below this: the sequence was processed correctly
HS_MEAN = 0.01            # the mean error the stopping rule asks for
HS_WINDOW = 2000          # the last training sequences that must all be solved
HS_TEST = 2560            # test sequences, as in the paper
HS_PAPER = {100: 74_000, 500: 209_000, 1000: 853_000}   # Table 7: training sequences to solution


def hs_adding(n: int, T: int, rng: np.random.Generator):
    """n sequences of the published adding problem: x (L, n, 2), y (n,), lengths (n,), marks (2, n)."""
    if T < 22:
        raise ValueError(f"The published adding problem needs T >= 22 (the first mark is in the first 10 "
                         f"steps, the second in the first T/2 - 1 others); got T = {T}.")
    lengths = rng.integers(T, T + T // 10 + 1, n)                   # (n,) ell
    L, cols = int(lengths.max()), np.arange(n)
    inside = np.arange(L)[:, None] < lengths                       # (L, n)
    x = np.zeros((L, n, 2))                                         # (L, n, 2)
    x[:, :, 0] = rng.uniform(-1.0, 1.0, (L, n)) * inside
    m1 = rng.integers(0, 10, n)                                     # (n,)
    r = rng.integers(0, T // 2 - 1, n)                              # (n,) rank among the others
    m2 = r + (r >= m1)                                              # (n,) in 0 .. T/2 - 1, not m1
    x[0, :, 1] = -1.0
    x[lengths - 1, cols, 1] = -1.0
    x[m1, cols, 1] = 1.0
    x[m2, cols, 1] = 1.0
    x[0, m1 == 0, 0] = 0.0                                          # X1 = 0 if the first pair is marked
    y = 0.5 + (x[m1, cols, 0] + x[m2, cols, 0]) / 4.0               # (n,)
    return x, y, lengths, np.stack([m1, m2])


def hs_solved(err) -> np.ndarray:
    """Per sequence: processed correctly (absolute error below 0.04)."""
    return np.abs(np.asarray(err, dtype=float)) < HS_SOLVED


def hs_should_stop(window) -> bool:
    """The paper's stopping rule on the errors of the most recent training sequences (oldest first)."""
    e = np.asarray(window, dtype=float)[-HS_WINDOW:]
    return len(e) == HS_WINDOW and bool(hs_solved(e).all()) and float(np.mean(e * e)) < HS_MEAN


@dataclass(frozen=True)
class HSConfig:
    """One run on the published adding problem."""

    T: int = 100                  # minimal sequence length; lengths are T .. T + T/10
    variant: str = "nfg"          # 'nfg' is the 1997 cell (no forget gate); 'lstm' has one
    hidden_size: int = 8          # H (the paper: 2 blocks of 2 cells, 93 weights)
    batch_size: int = 16          # sequences per Adam step (the paper: 1, online)
    lr: float = 0.01              # Adam step size
    clip: float = 1.0             # global gradient-norm threshold
    forget_bias: float = 5.0      # initial forget-gate bias (variants with a forget gate)
    seed: int = 0                 # fixes the init and every sequence
    max_sequences: int = 300_000  # give up after this many training sequences
    max_seconds: float = float("inf")  # wall-clock budget


@dataclass(frozen=True, eq=False)
class HSProgress:
    """The run after `sequences` training sequences."""

    step: int                 # Adam steps taken
    sequences: int            # training sequences seen (each scored before the update that used it)
    window_mse: float         # mean squared error of the last (up to) 2,000 of them
    window_mae: float         # their mean absolute error
    solved_share: float       # share of the last 2,000 that were solved (missing ones count as unsolved)
    seconds: float            # wall clock since the start
    model: LSTM               # the cell before this step's update
    readout: tuple            # (W (1, H), b (1,))
    done: bool
    reason: str = ""          # on the last report: 'solved', 'sequences' or 'seconds'


def init_params(variant: str, D: int, H: int, C: int, forget_bias: float, rng) -> tuple[LSTM, dict]:
    """A seeded LSTM variant plus a linear read-out (C, H), as one dict of trainable arrays."""
    model = LSTM.random(D, H, seed=int(rng.integers(2**31)), forget_bias=forget_bias, variant=variant)
    params = {k: np.array(v) for k, v in model.parameters().items()}
    params["readout.weight"] = rng.uniform(-1.0, 1.0, (C, H)) / np.sqrt(H)   # (C, H)
    params["readout.bias"] = np.zeros(C)                                      # (C,)
    return model, params


def update(model: LSTM, params: dict, adam: Adam, clip: float, grads: dict) -> LSTM:
    """One Adam step on the globally clipped gradients; the cell with the new weights."""
    norm = float(np.sqrt(sum(np.sum(v * v) for v in grads.values())))
    if clip and norm > clip:
        for v in grads.values():
            v *= clip / norm
    adam.step(params, grads)
    return model.with_parameters(**{name: params[name] for name in model.parameters()})


def grads_of(model: LSTM, tr, dh: np.ndarray, readout_grads: dict) -> dict:
    """Every trainable gradient: the cell's by BPTT from dL/dh_t (L, B, H), plus the read-out's."""
    g = model.backward(tr, dh)
    return {name: np.array(getattr(g, name)) for name in model.parameters()} | readout_grads


def hs_loss(model: LSTM, readout, x, y, lengths) -> tuple[float, np.ndarray, dict]:
    """Mean squared error read at each sequence's own end: (loss, errors (B,), gradients)."""
    W, b = readout
    cols = np.arange(len(y))
    tr = model.forward(x)
    last = tr.h[lengths - 1, cols]                      # (B, H) each sequence at its own end
    err = last @ W[0] + b[0] - y                        # (B,)
    dout = 2.0 * err / len(y)                           # (B,) dL/dout of the batch's mean squared error
    dh = np.zeros_like(tr.h)                            # (L, B, H) only each sequence's end is read
    dh[lengths - 1, cols] = dout[:, None] * W[0]
    grads = grads_of(model, tr, dh, {"readout.weight": (dout @ last)[None],     # (1, H)
                                     "readout.bias": np.array([dout.sum()])})   # (1,)
    return float(np.mean(err * err)), err, grads


def hs_train(cfg: HSConfig = HSConfig()) -> Iterator[HSProgress]:
    """Train on the published adding problem until the paper's stopping rule holds or a budget runs out."""
    rng = np.random.default_rng(cfg.seed)
    model, params = init_params(cfg.variant, 2, cfg.hidden_size, 1, cfg.forget_bias, rng)
    params["readout.bias"][:] = 0.5                     # the mean target
    data = np.random.default_rng(int(rng.integers(2**31)))
    adam, window = Adam(params, cfg.lr), np.full(HS_WINDOW, np.nan)   # (2000,) ring of recent errors
    start, step, seen = time.perf_counter(), 0, 0
    while True:
        x, y, lengths, _ = hs_adding(cfg.batch_size, cfg.T, data)
        readout = (params["readout.weight"].copy(), params["readout.bias"].copy())
        _, err, grads = hs_loss(model, readout, x, y, lengths)
        window[(seen + np.arange(len(y))) % HS_WINDOW] = err
        seen += cfg.batch_size
        e = window[np.isfinite(window)]
        seconds = time.perf_counter() - start
        reason = ("solved" if hs_should_stop(e) else "sequences" if seen >= cfg.max_sequences
                  else "seconds" if seconds >= cfg.max_seconds else "")
        share = float(np.sum(hs_solved(e)) / HS_WINDOW)
        yield HSProgress(step, seen, float(np.mean(e * e)), float(np.mean(np.abs(e))), share, seconds, model,
                         readout, bool(reason), reason)
        if reason:
            return
        model = update(model, params, adam, cfg.clip, grads)
        step += 1


def hs_test(model: LSTM, readout, T: int, n: int = HS_TEST, seed: int = 2560) -> tuple[int, float]:
    """(sequences not solved, mean squared error) on n fresh test sequences."""
    x, y, lengths, _ = hs_adding(n, T, np.random.default_rng(seed))
    out = model.forward(x).h[lengths - 1, np.arange(n)] @ readout[0][0] + readout[1][0]   # (n,)
    return int(np.sum(~hs_solved(out - y))), float(np.mean((out - y) ** 2))


def hs_run(cfg: HSConfig = HSConfig()) -> dict:
    """One seeded run to the stopping rule: sequences to solution (None if never), test result, time."""
    for p in hs_train(cfg):
        pass
    wrong, mse = hs_test(p.model, p.readout, cfg.T)
    return dict(seed=cfg.seed, variant=cfg.variant, T=cfg.T, solved=p.reason == "solved",
                sequences=p.sequences if p.reason == "solved" else None, tried=p.sequences,
                window_mae=p.window_mae, test_wrong=wrong, test_mse=mse, seconds=p.seconds)


# ---------------------------------------------------------------------------------------------
# Greff et al. 2017: every variant on the same budget and seeds


@dataclass(frozen=True)
class GreffTask:
    """One task of the ablation and its matched budget."""

    task: str             # a key of lstm_viz.tasks.TASKS
    length: int           # T
    max_steps: int        # Adam steps, the same for every variant and seed
    target: float         # steps to target: test MSE at most this, or accuracy at least this


GREFF_TASKS = (GreffTask("adding", 50, 600, 0.01), GreffTask("temporal_order", 50, 600, 0.95))
GREFF_REFERENCE = "peephole"   # Greff's "vanilla" LSTM has peepholes


def greff_run(spec: GreffTask, variant: str, seed: int, eval_every: int = 25, test_size: int = 500) -> dict:
    """One variant, one seed: final test score, first evaluated step at the target (None), time."""
    cfg = recipe(spec.task, variant=variant, seed=seed, length=spec.length, max_steps=spec.max_steps,
                 max_seconds=60, eval_every=eval_every, test_size=test_size)
    reached = None
    for p in train(cfg):
        if p.test_loss is not None and reached is None and p.step > 0:
            score = p.test_acc if p.test_acc is not None else p.test_loss
            hit = score >= spec.target if p.test_acc is not None else score <= spec.target
            reached = p.step if hit else None
    error = p.test_loss if p.test_acc is None else 1.0 - p.test_acc
    return dict(task=spec.task, variant=variant, seed=seed, error=float(error), steps=p.step,
                steps_to_target=reached, seconds=p.seconds, reason=p.reason)


def greff_job(spec: GreffTask, variant: str, seed: int):
    """greff_run as a generator of its one result, so a child process can run it (lstm_viz.jobs.elsewhere)."""
    yield greff_run(spec, variant, seed)


def greff_summary(runs: list[dict]) -> list[dict]:
    """Per task and variant: median final error (MSE, or 1 - accuracy), median steps to target, its rank."""
    out = []
    for task in dict.fromkeys(r["task"] for r in runs):
        rows = []
        for v in VARIANT_NAMES:
            mine = [r for r in runs if r["task"] == task and r["variant"] == v]
            if not mine:
                continue
            hit = sorted(r["steps_to_target"] for r in mine if r["steps_to_target"] is not None)
            steps = float(np.median(hit)) if 2 * len(hit) > len(mine) else None   # most seeds got there
            rows.append(dict(task=task, variant=v, seeds=len(mine),
                             median_error=float(np.median([r["error"] for r in mine])),
                             reached=len(hit), median_steps=steps,
                             cut=sum(r.get("reason", "steps") != "steps" for r in mine),  # by the clock
                             seconds=float(sum(r["seconds"] for r in mine))))
        for r in rows:
            r["rank"] = 1 + sum(o["median_error"] < r["median_error"] for o in rows)   # ties share a rank
        out += rows
    return out


def compare(summary: list[dict], variant: str, task: str, reference: str = GREFF_REFERENCE) -> str:
    """The variant against the reference on one task: 'worse' or 'better' when the median final error
    differs by more than 2x (plus a floor: 0.001 MSE, or 1% wrong); else, if both reached the target on
    most seeds, 'slower' or 'faster' when the median steps to it differ by 1.5x or more; else 'same'."""
    row = {r["variant"]: r for r in summary if r["task"] == task}
    me, ref = row[variant], row[reference]
    a, b = me["median_error"], ref["median_error"]
    floor = 0.001 if task == "adding" else 0.01
    if a > 2 * b + floor or b > 2 * a + floor:
        return "worse" if a > b else "better"
    sa, sb = me["median_steps"], ref["median_steps"]
    if sa is not None and sb is not None and max(sa, sb) >= 1.5 * min(sa, sb):
        return "slower" if sa > sb else "faster"
    return "same"


def save_results(results: dict, path=RESULTS_PATH) -> None:
    Path(path).write_text(json.dumps(results, indent=1) + "\n")


def load_results(path=RESULTS_PATH) -> dict | None:
    """The committed table that scripts/reproduce_papers.py wrote, or None if there is none."""
    path = Path(path)
    return json.loads(path.read_text()) if path.exists() else None


def config_dict(cfg) -> dict:
    """A config as plain JSON values (infinite budgets become None)."""
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in asdict(cfg).items()}

