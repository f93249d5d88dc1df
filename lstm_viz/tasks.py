"""Classic long-lag tasks as seeded, deterministic NumPy generators.

Shapes: T steps, N examples, D input channels. Inputs are time-major, x (T, N, D) float64; a model
reads the whole sequence and answers from its last hidden state.

    adding          Hochreiter & Schmidhuber (1997) experiment 4 in the form of Le et al. (2015):
                    channel 0 holds values drawn from U(0, 1), channel 1 marks one step in the first half
                    and one in the second; the target is the sum of the two marked values. Predicting the
                    mean (1.0) scores MSE = Var(U + U) = 1/12 + 1/12 = 1/6.
    first_symbol    the first step shows one of K = 4 symbols (one-hot); every later step shows one of
                    2 distractor symbols at random; the answer is the first symbol. Chance is 1/4.
    temporal_order  Hochreiter & Schmidhuber (1997) experiment 6a: B starts and E ends the sequence,
                    X or Y appears once in steps [T/10, T/5] and once in [T/2, 3T/5], distractors a, b,
                    c, d fill the rest; the class is the order XX, XY, YX or YY. Chance is 1/4.
Layer: engine. Imports NumPy and limits only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .limits import MAX_STEPS

MAX_EXAMPLES = 100_000  # examples per call; a test set is a few thousand


@dataclass(frozen=True)
class TaskInfo:
    """What a task is before any data is drawn; the UI builds its controls from this."""

    description: str            # one line
    kind: str                   # 'regression' or 'classification'
    input_size: int             # D
    n_classes: int              # classes; 0 for regression
    channels: tuple[str, ...]   # a name for each input channel
    classes: tuple[str, ...]    # a name for each class; () for regression
    default_length: int         # T the app starts with
    min_length: int             # shortest T the task is defined for
    max_length: int = MAX_STEPS  # longest T the demo allows


TASKS: dict[str, TaskInfo] = {
    "adding": TaskInfo(
        "Add the two marked numbers in a long list of random numbers in [0, 1] (Le et al. 2015's form of "
        "Hochreiter & Schmidhuber's 1997 task).",
        "regression", 2, 0, ("value", "marker"), (), default_length=50, min_length=2),
    "first_symbol": TaskInfo(
        "Remember which of 4 symbols came first, across a run of random distractors.",
        "classification", 6, 4, ("A", "B", "C", "D", "x", "y"), ("A", "B", "C", "D"),
        default_length=50, min_length=2),
    "temporal_order": TaskInfo(
        "Tell the order of two X/Y symbols hidden among distractors: XX, XY, YX or YY (H&S 1997).",
        "classification", 8, 4, ("a", "b", "c", "d", "B", "E", "X", "Y"), ("XX", "XY", "YX", "YY"),
        default_length=50, min_length=4),
}


@dataclass(frozen=True, eq=False)
class Task:
    """A drawn data set: inputs, targets and what chance scores on them."""

    name: str
    x: np.ndarray          # (T, N, D) float64
    y: np.ndarray          # (N,) float64 targets (regression) or int64 class indices (classification)
    kind: str              # 'regression' or 'classification'
    n_classes: int         # 0 for regression
    baseline: float        # chance level: MSE of predicting the mean, or accuracy of guessing
    baseline_name: str     # what the baseline measures, in words
    description: str       # one line

    @property
    def length(self) -> int:
        return self.x.shape[0]

    @property
    def input_size(self) -> int:
        return self.x.shape[2]

    @property
    def output_size(self) -> int:
        """Width of the read-out: 1 for regression, one logit per class otherwise."""
        return self.n_classes or 1


def check_length(name: str, length) -> int:
    """length as an int, or ValueError in one sentence if the task cannot use it."""
    info = task_info(name)
    try:
        T = int(length)
        whole = T == length and not isinstance(length, bool)
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole:
        raise ValueError(f"The sequence length must be a whole number; got {length!r}.")
    if not info.min_length <= T <= info.max_length:
        raise ValueError(f"The {name} task needs a sequence length between {info.min_length} and "
                         f"{info.max_length}; got {length}.")
    return T


@dataclass(frozen=True)
class Chance:
    """What a model that knows nothing scores on a task: the one place these numbers and words live."""

    score: float        # test metric: MSE of predicting the mean (regression) or accuracy of guessing
    score_words: str    # that metric in words, with its value
    loss: float         # training loss: the same MSE, or the cross-entropy ln C of a uniform guess
    loss_words: str     # that loss in words, with its value


def chance_level(name: str) -> Chance:
    """The task's chance levels. Regression targets are U + U with U ~ U(0, 1): predicting the mean 1 scores
    MSE Var(U + U) = 1/6. Classification over C classes: accuracy 1/C, cross-entropy ln C."""
    info = task_info(name)
    if info.kind == "regression":
        words = "MSE of always predicting the mean (1/6)"
        return Chance(1.0 / 6.0, words, 1.0 / 6.0, words)
    C = info.n_classes
    return Chance(1.0 / C, f"accuracy of guessing (1/{C})", math.log(C), f"cross-entropy of guessing (ln {C})")


def chance(name: str) -> float:
    """The task's chance score: MSE of predicting the mean (1/6) or accuracy of guessing (1/classes)."""
    return chance_level(name).score


def task_info(name: str) -> TaskInfo:
    if name not in TASKS:
        raise ValueError(f"Unknown task {name!r}; choose one of {', '.join(TASKS)}.")
    return TASKS[name]


def make_task(name: str, n: int, length: int, seed: int = 0) -> Task:
    """n examples of length `length`, the same for the same seed on every machine."""
    info = task_info(name)
    T = check_length(name, length)
    if not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_EXAMPLES:
        raise ValueError(f"The number of examples must be a whole number from 1 to {MAX_EXAMPLES}; "
                         f"got {n!r}.")
    x, y = sample(name, int(n), T, np.random.default_rng(seed))
    level = chance_level(name)
    return Task(name=name, x=x, y=y, kind=info.kind, n_classes=info.n_classes, baseline=level.score,
                baseline_name=level.score_words, description=info.description)


def sample(name: str, n: int, T: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Unchecked fast path for the trainer: (x (T, n, D), y (n,)) drawn from rng."""
    return _GENERATORS[name](n, T, rng)


# ---------------------------------------------------------------------------------------------
# generators; each draws from rng in a fixed order so a seed fixes the data


def _adding(n: int, T: int, rng: np.random.Generator):
    x = np.zeros((T, n, 2))                              # (T, N, 2)
    x[:, :, 0] = rng.random((T, n))
    half = T // 2
    first = rng.integers(0, half, n)                     # (N,) a step in the first half
    second = rng.integers(half, T, n)                    # (N,) a step in the second half
    cols = np.arange(n)
    x[first, cols, 1] = 1.0
    x[second, cols, 1] = 1.0
    y = x[first, cols, 0] + x[second, cols, 0]           # (N,)
    return x, y


def _first_symbol(n: int, T: int, rng: np.random.Generator):
    K, D = 4, 6
    y = rng.integers(0, K, n)                            # (N,) the symbol to remember
    filler = rng.integers(K, D, (T - 1, n))              # (T-1, N) distractors x, y
    sym = np.concatenate([y[None], filler])              # (T, N) symbol index per step
    return _one_hot(sym, D), y.astype(np.int64)


def _temporal_order(n: int, T: int, rng: np.random.Generator):
    D, B, E, X = 8, 4, 5, 6                              # a b c d B E X Y
    lo1 = max(1, T // 10)
    hi1 = max(lo1, T // 5)
    lo2 = max(hi1 + 1, T // 2)
    hi2 = max(lo2, min(T - 2, 6 * T // 10))
    sym = rng.integers(0, 4, (T, n))                     # (T, N) distractors a..d
    sym[0], sym[-1] = B, E
    t1 = rng.integers(lo1, hi1 + 1, n)                   # (N,)
    t2 = rng.integers(lo2, hi2 + 1, n)                   # (N,)
    first, second = rng.integers(0, 2, n), rng.integers(0, 2, n)   # 0 = X, 1 = Y
    cols = np.arange(n)
    sym[t1, cols] = X + first
    sym[t2, cols] = X + second
    return _one_hot(sym, D), (2 * first + second).astype(np.int64)  # XX 0, XY 1, YX 2, YY 3


def _one_hot(sym: np.ndarray, D: int) -> np.ndarray:
    x = np.zeros((*sym.shape, D))                        # (T, N, D)
    np.put_along_axis(x, sym[..., None], 1.0, axis=-1)
    return x


_GENERATORS = {"adding": _adding, "first_symbol": _first_symbol, "temporal_order": _temporal_order}
