"""This session's training runs and lag sweeps for the training page, kept so Stop keeps what was trained.

Layer: ui (imports streamlit for session state). The training itself is lstm_viz.train; its curves are
lstm_viz.train.RunLog; nothing is computed here but bookkeeping.
"""
from __future__ import annotations

import streamlit as st

from .. import jobs, train
from ..figures import lag_sweep
from ..cells import VARIANT_NAMES
from ..presets import PRESETS, task_sample
from ..tasks import chance, task_info
from ..weights import Loaded, npz_bytes
from ..words import lag_sentence, result_sentence
from .models import set_custom_model

RUNS_KEY = "training_runs"       # session key: dict(task, length, runs: label -> RunLog, status) of the last training
START_KEY = "training_start"     # session key: Start was pressed (read once)
SWEEP_KEY = "lag_sweep"          # session key: dict(task, points, status) of the last lag sweep
SWEEP_LENGTHS = train.SWEEP_LENGTHS
# the training page's models: the three cells, and the LSTM variants of Greff et al. (2017) for their ablation
TRAIN_MODELS = ("RNN", "LSTM", "GRU", *(f"LSTM {name}" for name in VARIANT_NAMES[1:]))


def kind_and_variant(label: str) -> tuple[str, str]:
    """'LSTM nfg' -> ('lstm', 'nfg'); 'GRU' -> ('gru', 'lstm')."""
    kind, _, variant = label.partition(" ")
    return kind.lower(), variant or "lstm"

TRAIN_BATCH = train.TrainConfig().batch_size


def train_side_by_side(task: str, length: int, labels, hidden_size: int, max_steps: int, max_seconds: float,
                       seed: int, every: float = 1.0):
    """Train each model in turn on the same budget; yield (fraction done, status text, runs) every ~`every` s.

    The trainer's clock runs while the page redraws, so redraws are kept to about one a second. The runs
    (label -> RunLog) live in st.session_state[RUNS_KEY] while they grow, so a Stop click, which reruns the
    page and ends this loop, keeps what was trained so far.
    """
    runs: dict[str, train.RunLog] = {}
    st.session_state[RUNS_KEY] = dict(task=task, length=length, runs=runs, status="running")
    for n, label in enumerate(labels):
        log = runs[label] = train.RunLog()
        shown = -every
        kind, variant = kind_and_variant(label)
        # in a child process at lower priority, so page renders keep the server (jobs.elsewhere says why)
        for p in jobs.elsewhere(train.train, task=task, length=length, kind=kind, variant=variant,
                                hidden_size=hidden_size, max_steps=max_steps, max_seconds=max_seconds, seed=seed):
            log.add(p)
            if p.done or p.seconds - shown >= every:
                shown = p.seconds
                part = min(1.0, max(p.step / max_steps, p.seconds / max_seconds))
                yield (n + part) / len(labels), f"Training the {label}: step {p.step}, loss {p.loss:.4g}", runs
    st.session_state[RUNS_KEY]["status"] = "done"


def request_training() -> None:
    """on_click of Start: a flag the page reads once (a callback, so the click survives any rerun)."""
    st.session_state[START_KEY] = True


def training_requested() -> bool:
    return bool(st.session_state.pop(START_KEY, False))


def training_runs() -> dict | None:
    """This session's last training: dict(task, length, runs, status), or None."""
    return st.session_state.get(RUNS_KEY)


def run_sentence(last: dict, label: str) -> str:
    """The final (or, if stopped, latest) test result of one model in words."""
    res = last["runs"][label].result()
    if res is None:
        return f"{label}: stopped before its first evaluation."
    return result_sentence(label, task_info(last["task"]).kind, res.test_loss, res.test_acc, chance(last["task"]),
                           res.step, res.seconds, TRAIN_BATCH, res.reason)


def _trained_loaded(last: dict, label: str) -> Loaded:
    p = last["runs"][label].last
    model, (W, b) = p.model, p.readout
    summary = (f"Trained here on {last['task']} at T={last['length']}: {'a' if label == 'GRU' else 'an'} {label} "
               f"with input size {model.input_size} and hidden size {model.hidden_size}, plus a linear read-out "
               f"to {W.shape[0]} output{'s' * (W.shape[0] > 1)}.")
    return Loaded(model, W, b, "pytorch", summary)


def use_run_model(last: dict, label: str) -> None:
    """on_click: the trained model becomes this session's own model on every page, reading one example of
    the task it learned (as choosing a trained preset does), so the pages show it at once."""
    set_custom_model(_trained_loaded(last, label), f"{label} trained on {last['task']} (T={last['length']})")
    st.session_state["sequence"], st.session_state["text_mode"] = task_sample(last["task"], last["length"]), False


def run_npz(last: dict, label: str) -> bytes:
    """The trained model and its read-out as .npz (PyTorch names plus readout.weight / readout.bias)."""
    got = _trained_loaded(last, label)
    return npz_bytes(got.model, got.readout_weight, got.readout_bias)


def trained_presets(task: str) -> dict:
    """The shipped presets trained on `task` whose weight files are present."""
    return {k: p for k, p in PRESETS.items() if p.task == task and p.path.exists()}


def use_preset(key: str) -> None:
    """on_click: select a shipped preset in the sidebar."""
    st.session_state["weights"] = key


def lag_sweep_points(task: str, lengths: tuple, labels, hidden_size: int, max_steps: int, total_seconds: float,
                     seed: int):
    """Yield each finished run of a lag sweep; the points so far live in st.session_state[SWEEP_KEY]."""
    points: list = []
    st.session_state[SWEEP_KEY] = dict(task=task, points=points, status="running")
    for p in jobs.elsewhere(train.lag_sweep, task, tuple(lengths), tuple(kind_and_variant(label)[0] for label
                                                                         in labels if " " not in label),
                            max_steps=max_steps, total_seconds=total_seconds, hidden_size=hidden_size, seed=seed):
        points.append(p)
        yield p
    st.session_state[SWEEP_KEY]["status"] = "done"


def sweep_points() -> dict | None:
    return st.session_state.get(SWEEP_KEY)


def sweep_scores() -> dict:
    """This session's last sweep as label -> [(length, final test accuracy or MSE)]."""
    sweep = sweep_points()
    return train.sweep_scores(sweep["points"], sweep["task"])


def sweep_figure():
    """The lag-sweep plot of this session's last sweep, against the task's chance level."""
    task = sweep_points()["task"]
    classify = task_info(task).kind == "classification"
    return lag_sweep(sweep_scores(), chance(task), "accuracy" if classify else "MSE", higher_is_better=classify)


def sweep_sentence() -> str:
    sweep = sweep_points()
    text = lag_sentence(sweep_scores(), chance(sweep["task"]), task_info(sweep["task"]).kind)
    return text if sweep["status"] == "done" else "Stopped early. " + text
