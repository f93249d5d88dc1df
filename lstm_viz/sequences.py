"""What the user types, read into an input sequence for the cells.

Shapes: T steps, D input size.
    numbers   "0.5, -1, 2" or one per line          -> x (T, 1)
    vectors   "1 0; 0 1; 1 1" (rows by ; or newline) -> x (T, D)
    text      "hello" in text mode                   -> x (T, D) one-hot over the D characters present,
                                                        each step labelled by its character
Every refusal is a ValueError with one sentence saying what was wrong and what is accepted.
Layer: engine. Imports NumPy and limits only (no plotly, pandas, streamlit), so parsers are tested and
fuzzed directly.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .limits import MAX_ABS_INPUT, MAX_INPUT_SIZE, MAX_STEPS

MAX_TEXT_CHARS = 400_000  # longer text is refused before reading it: 500 x 64 numbers fit easily
ACCEPTED = ("type numbers like 0.5, -1, 2 (comma-separated or one per line), vectors like 1 0; 0 1 "
            "(rows split by ; or new lines), or switch on text mode to read characters")
_TOKEN_SPLIT = re.compile(r"[,\s]+")
_SHOWN = {" ": "␣", "\n": "⏎", "\t": "⇥"}  # whitespace made visible where a character labels a step


@dataclass(frozen=True, eq=False)
class Sequence:
    """A parsed input sequence, ready for `model.forward(values)`."""

    values: np.ndarray            # (T, D) float64, read-only
    labels: tuple[str, ...]       # (T,) what to print for x_t: the character, or the number(s)
    channels: tuple[str, ...]     # (D,) name of each input dimension: characters in text mode, else x1..xD
    text_mode: bool               # True: one-hot characters
    text: str                     # the text it was read from

    @property
    def steps(self) -> int:
        return self.values.shape[0]

    @property
    def input_size(self) -> int:
        return self.values.shape[1]

    def key(self) -> tuple:
        """Plain, hashable identity of the values (for caches)."""
        return (self.values.shape, self.values.tobytes())


def show_char(ch: str) -> str:
    """A character as a visible label (spaces and new lines become symbols)."""
    return _SHOWN.get(ch, ch)


def format_number(v: float) -> str:
    """Short, exact-enough text for a value: up to 4 significant decimals, no trailing zeros."""
    s = f"{v:.4g}" if abs(v) >= 1e-4 or v == 0 else f"{v:.3e}"
    return "0" if s in ("-0", "0") else s


def parse_sequence(text: str, text_mode: bool = False, vocabulary: str | None = None) -> Sequence:
    """Read the user's text. Raises ValueError (one sentence) when it cannot be read.

    vocabulary: in text mode, a character model's inputs (a string, index order; index 0 takes every
    character not in it): the one-hot runs over it instead of over the characters the text happens to use.
    """
    if not isinstance(text, str):
        raise ValueError(f"The sequence must be text; {ACCEPTED}.")
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"The sequence text is {len(text):,} characters long; at most {MAX_TEXT_CHARS:,} "
                         f"are read, for at most {MAX_STEPS} steps.")
    if text_mode and vocabulary is not None:
        return _parse_vocabulary(text, vocabulary)
    return _parse_text(text) if text_mode else _parse_numbers(text)


def _checked_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text:
        raise ValueError("Text mode needs at least one character; type a word or a sentence.")
    if len(text) > MAX_STEPS:
        raise ValueError(f"The text has {len(text)} characters; at most {MAX_STEPS} steps are allowed, "
                         f"so shorten it.")
    return text


def _parse_vocabulary(text: str, vocabulary: str) -> Sequence:
    text = _checked_text(text)
    index = {ch: k for k, ch in enumerate(vocabulary)}
    x = np.zeros((len(text), len(vocabulary)))             # (T, V) one-hot over the model's vocabulary
    x[np.arange(len(text)), [index.get(ch, 0) for ch in text]] = 1.0
    x.setflags(write=False)
    return Sequence(x, tuple(show_char(ch) for ch in text), tuple(show_char(ch) for ch in vocabulary),
                    True, text)


def _parse_text(text: str) -> Sequence:
    text = _checked_text(text)
    alphabet = sorted(set(text))
    if len(alphabet) > MAX_INPUT_SIZE:
        raise ValueError(f"The text uses {len(alphabet)} distinct characters; text mode allows at most "
                         f"{MAX_INPUT_SIZE} (one input per character).")
    index = {ch: k for k, ch in enumerate(alphabet)}
    x = np.zeros((len(text), len(alphabet)))               # (T, D) one-hot
    x[np.arange(len(text)), [index[ch] for ch in text]] = 1.0
    x.setflags(write=False)
    return Sequence(x, tuple(show_char(ch) for ch in text), tuple(show_char(ch) for ch in alphabet),
                    True, text)


def _tokens(chunk: str) -> list[str]:
    return [t for t in _TOKEN_SPLIT.split(chunk) if t]


def _rows(text: str) -> list[list[str]]:
    """Tokens per step. Rows are split by ';', or by new lines when some line holds several numbers;
    otherwise every number is one step of a 1-D sequence."""
    if ";" in text:
        chunks = re.split(r"[;\n\r]", text)
    else:
        lines = [line for line in re.split(r"[\n\r]", text) if _tokens(line)]
        if len(lines) < 2 or all(len(_tokens(line)) == 1 for line in lines):
            return [[t] for t in _tokens(text)]
        chunks = lines
    return [toks for toks in map(_tokens, chunks) if toks]


def _number(tok: str) -> float:
    try:
        v = float(tok)
    except (ValueError, OverflowError):
        shown = tok if len(tok) <= 20 else tok[:20] + "…"
        raise ValueError(f"Could not read {shown!r} as a number; {ACCEPTED}.") from None
    if not np.isfinite(v) or abs(v) > MAX_ABS_INPUT:
        raise ValueError(f"The value {tok[:20]!r} is not a finite number of size at most {MAX_ABS_INPUT:g}; "
                         f"{ACCEPTED}.")
    return v


def _count(n: int) -> str:
    return f"{n} number" if n == 1 else f"{n} numbers"


def _parse_numbers(text: str) -> Sequence:
    rows = _rows(text)
    if not rows:
        raise ValueError(f"The sequence is empty; {ACCEPTED}.")
    if len(rows) > MAX_STEPS:
        raise ValueError(f"The sequence has {len(rows)} steps; at most {MAX_STEPS} are allowed.")
    D = len(rows[0])
    if D > MAX_INPUT_SIZE:
        raise ValueError(f"Each step has {_count(D)}; at most {MAX_INPUT_SIZE} input dimensions are allowed.")
    for t, row in enumerate(rows):
        if len(row) != D:
            raise ValueError(f"Step {t + 1} has {_count(len(row))} but step 1 has {_count(D)}; every row of a "
                             f"vector sequence needs the same count.")
    x = np.array([[_number(tok) for tok in row] for row in rows], dtype=np.float64)  # (T, D)
    x.setflags(write=False)
    labels = tuple(", ".join(format_number(v) for v in row) for row in x)
    channels = ("x",) if D == 1 else tuple(f"x{k + 1}" for k in range(D))
    return Sequence(x, labels, channels, False, text)


def format_sequence(values) -> str:
    """Text that parse_sequence reads back to the same values (to 4 significant digits)."""
    x = np.asarray(values, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.shape[1] == 1:
        return ", ".join(format_number(v) for v in x[:, 0])
    text = "; ".join(" ".join(format_number(v) for v in row) for row in x)
    return text + ";" if x.shape[0] == 1 else text  # the ';' marks one vector, not D steps


# ---------------------------------------------------------------------------------------------
# ready sequences


class Ready(NamedTuple):
    """A ready-made sequence the sidebar offers."""

    title: str        # short label for a select box
    hint: str         # one line on what to look for
    text: str         # the sequence in the app's syntax
    text_mode: bool   # True: read the text one character per step


def _adding_sample(T: int = 30, seed: int = 1) -> np.ndarray:
    """One adding-problem input (Hochreiter & Schmidhuber 1997): values in [0, 1] and two markers."""
    rng = np.random.default_rng(seed)
    x = np.zeros((T, 2))                                     # (T, 2): value, marker
    x[:, 0] = np.round(rng.uniform(0, 1, T), 2)
    a = rng.integers(0, T // 2)
    b = rng.integers(T // 2, T)
    x[[a, b], 1] = 1.0
    return x


def _ready() -> dict[str, Ready]:
    t = np.arange(40)
    step = np.where(np.arange(24) >= 6, 1.0, 0.0)
    impulse = np.where(np.arange(24) == 4, 1.0, 0.0)
    noise = np.round(np.random.default_rng(0).normal(0, 1, 40), 2)
    return {
        "step": Ready("Step", "input switches from 0 to 1 at step 6 and stays: watch the memory fill up",
                 format_sequence(step), False),
        "impulse": Ready("Impulse", "a single 1 at step 4: does the cell remember it afterwards?",
                    format_sequence(impulse), False),
        "sine": Ready("Sine", "a slow wave, two periods over 40 steps", format_sequence(np.round(np.sin(t * np.pi / 10), 3)),
                 False),
        "noise": Ready("Noise", "40 random values (standard normal, seed 0)", format_sequence(noise), False),
        "adding": Ready("Adding-problem sample", "two channels: a value and a marker; the task is the sum of "
                   "the two marked values", format_sequence(_adding_sample()), False),
        "sentence": Ready("Sentence", "a pangram in text mode: one input per character",
                     "the quick brown fox jumps over the lazy dog", True),
    }


READY = _ready()
DEFAULT_READY = "step"
DEFAULT_TEXT = READY[DEFAULT_READY].text


def ready_sequence(key: str) -> Sequence:
    """The ready sequence named key (see READY)."""
    if key not in READY:
        raise ValueError(f"There is no ready sequence {key!r}; choose one of {', '.join(READY)}.")
    return parse_sequence(READY[key].text, READY[key].text_mode)
