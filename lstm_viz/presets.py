"""Shipped weights: two hand-built LSTMs that each show one behaviour, an LSTM, GRU and RNN trained per task, a
peephole LSTM that counts a^n b^n, and a character-level LSTM trained on Python's standard library.

Layer: engine. Imports NumPy and the engine (no plotly, pandas, streamlit).

Each preset is a small .npz in lstm_viz/presets/ with PyTorch state_dict names (weight_ih_l0,
weight_hh_l0, bias_ih_l0, bias_hh_l0) plus, for trained ones, the linear read-out (readout.weight (C, H),
readout.bias (C,)), and what a variant or a character model adds (its peephole weights and variant name; its
vocabulary). scripts/make_presets.py writes the hand-built and task-trained ones, scripts/reproduce_papers.py
--preset the a^n b^n one, scripts/make_char_model.py the character model; lstm_viz/presets/README.md explains
every weight of the hand-built ones and what each trained one scores.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .anbn import sample_text as anbn_text
from .charlm import FALLBACK
from .sequences import format_sequence
from .tasks import TASKS, make_task
from .weights import read_weights

PRESET_DIR = Path(__file__).with_name("presets")
TRAINED_HIDDEN = 16   # hidden size of every trained preset
TRAINED_LENGTH = 50   # sequence length the trained presets learned at
SAMPLE_SEED = 2024    # seed of the task sample shown as each trained preset's suggested sequence


@dataclass(frozen=True)
class Preset:
    """One shipped model, described before it is loaded."""

    key: str            # stable name used in URLs and file names
    title: str          # short label for a select box
    description: str    # one line shown in the UI: what it does
    kind: str           # 'lstm', 'gru' or 'rnn'
    task: str | None    # task it was trained on (lstm_viz.tasks), None for hand-built weights
    input_size: int     # D
    hidden_size: int    # H
    sequence: str       # a suggested input in the app's syntax: "1, 0, 1" or rows "0.5 1; 0.2 0"; text for
                        # presets with a vocabulary
    vocabulary: str | None = None  # character models: the one-hot inputs' characters, index order (index 0 is
                                   # lstm_viz.charlm.FALLBACK, where unseen ones go); None for the others

    @property
    def text_mode(self) -> bool:
        """Whether the sample (and any sequence the model reads) is text, one character a step."""
        return self.vocabulary is not None

    @property
    def path(self) -> Path:
        return PRESET_DIR / f"{self.key}.npz"


@dataclass(frozen=True, eq=False)
class PresetModel:
    """A shipped preset, loaded: its catalogue entry, its model and, for trained ones, its read-out."""

    preset: Preset
    model: object                       # LSTM, GRU or RNN
    readout_weight: np.ndarray | None   # (C, H) on the last hidden state; None for hand-built presets
    readout_bias: np.ndarray | None     # (C,)

    def predict(self, x) -> np.ndarray:
        """The read-out's output for x (T, D) or (T, B, D): (C,) or (B, C). Trained presets only."""
        if self.readout_weight is None:
            raise ValueError(f"The preset {self.preset.key!r} has no read-out; "
                             "read it from its states instead.")
        return self.model.forward(x).h[-1] @ self.readout_weight.T + self.readout_bias


def task_sample(task: str, length: int = TRAINED_LENGTH, seed: int = SAMPLE_SEED) -> str:
    """One example of the task as text, the suggested sequence for its trained presets."""
    return format_sequence(np.round(make_task(task, 1, length, seed=seed).x[:, 0, :], 2))


_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}
_TASK_WORDS = {"adding": "the adding problem", "first_symbol": "the first-symbol task",
               "temporal_order": "the temporal-order task"}
# What each trained preset scores on a fresh test set (seed 99, 2,000 examples),
# as printed by scripts/make_presets.py.
_SCORES = {
    "lstm_adding": "test MSE 0.00016 (predicting the mean: 0.167)",
    "gru_adding": "test MSE 0.000016 (predicting the mean: 0.167)",
    "rnn_adding": "test MSE 0.16, no better than predicting the mean (0.167); it did not learn the task",
    "lstm_first_symbol": "100% correct (chance 25%)",
    "gru_first_symbol": "100% correct (chance 25%)",
    "rnn_first_symbol": "87% correct (chance 25%), short of the gated cells",
    "lstm_temporal_order": "100% correct (chance 25%)",
    "gru_temporal_order": "100% correct (chance 25%)",
    "rnn_temporal_order": "25% correct, the chance level; it did not learn the task",
    "char_lstm": "1.877 bits per character on held-out standard-library files",
}
# The character model's inputs, as scripts/make_char_model.py built them from its training files (the
# fallback, then every character seen at least 10 times: the new line and printable ASCII); the loader
# checks the file's vocabulary against this one.
CHAR_VOCABULARY = FALLBACK + "\n" + "".join(map(chr, range(32, 127)))
CHAR_SAMPLE = ('def greet(names):\n    # say hello to everyone\n    for name in names:\n'
               '        print("Hello, " + name + "!")\n    return len(names)\n')


def _catalog() -> dict[str, Preset]:
    out = {
        "latch": Preset(
            "latch", "Hand-built latch (LSTM, 1 unit)",
            "Stores the value channel when the store signal is 1 and holds it, forget gate ≈ 1, "
            "until the next store.",
            "lstm", None, 2, 1,
            "0.8 1; 0.3 0; -0.5 0; 0.1 0; 0.9 0; 0.2 0; -0.6 1; 0.4 0; 0.7 0; -0.9 0; 0 0; 0.5 0"),
        "counter": Preset(
            "counter", "Hand-built counter (LSTM, 1 unit)",
            "Counts pulses: each 1 in the input adds 0.1 to the cell state, which never forgets.",
            "lstm", None, 1, 1, "1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 1, 0"),
    }
    for task in TASKS:
        sequence = task_sample(task)
        for kind in ("lstm", "gru", "rnn"):
            key = f"{kind}_{task}"
            out[key] = Preset(
                key, f"{_NAMES[kind]} trained on {_TASK_WORDS[task]} (T={TRAINED_LENGTH})",
                f"{_NAMES[kind]}, {TRAINED_HIDDEN} units, trained on {_TASK_WORDS[task]} at "
                f"T={TRAINED_LENGTH}: {_SCORES[key]}.",
                kind, task, TASKS[task].input_size, TRAINED_HIDDEN, sequence)
    out["anbn_peephole"] = Preset(   # scripts/reproduce_papers.py --preset; numbers in presets/README.md
        "anbn_peephole", "Peephole LSTM that counts aⁿbⁿ (2 units, Gers & Schmidhuber 2001)",
        "Trained on S aⁿ bⁿ for n ≤ 10 to name the possible next symbols (a, b, end); unit 0's cell state "
        "falls by 1.00 per a and climbs back by about 1 per b, and it gets every n up to 2,568 right.",
        "lstm", None, 3, 2, anbn_text(12))
    out["char_lstm"] = Preset(
        "char_lstm", "LSTM trained on Python code (characters, 128 units)",
        f"One LSTM layer of 128 units reading one character at a time, trained to guess the next one on "
        f"Python's standard library: {_SCORES['char_lstm']}.",
        "lstm", None, len(CHAR_VOCABULARY), 128, CHAR_SAMPLE, CHAR_VOCABULARY)
    return out


PRESETS: dict[str, Preset] = _catalog()


def load_preset(key: str) -> PresetModel:
    """The preset's model (and read-out), read from its .npz without executing code."""
    if key not in PRESETS:
        raise ValueError(f"Unknown preset {key!r}; choose one of {', '.join(PRESETS)}.")
    return _load(key)


@lru_cache(maxsize=None)
def _load(key: str) -> PresetModel:
    p = PRESETS[key]
    # a character model's input size is its vocabulary, past the limit on typed vectors, and it is our own file
    w = read_weights(p.path, enforce_limits=p.vocabulary is None)
    if p.vocabulary is not None and _stored_vocabulary(p.path) != p.vocabulary:
        raise ValueError(f"The preset file {p.path.name} was trained on another vocabulary than the catalog's.")
    if (w.model.kind, w.model.input_size, w.model.hidden_size) != (p.kind, p.input_size, p.hidden_size):
        m = w.model
        raise ValueError(f"The preset file {p.path.name} holds a {m.kind.upper()} with D={m.input_size}, "
                         f"H={m.hidden_size}; the catalog says {p.kind.upper()} with D={p.input_size}, "
                         f"H={p.hidden_size}.")
    for a in (w.readout_weight, w.readout_bias):
        if a is not None:
            a.setflags(write=False)   # cached and shared: nobody may change them
    return PresetModel(p, w.model, w.readout_weight, w.readout_bias)


def _stored_vocabulary(path: Path) -> str:
    """The characters a character model's .npz keeps as float code points under "vocabulary"."""
    with np.load(path, allow_pickle=False) as z:
        return "".join(map(chr, z["vocabulary"].astype(np.int64))) if "vocabulary" in z.files else ""
