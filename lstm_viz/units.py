"""What a unit of the character model means: the model's next-character guesses, the units that follow a
feature of the text or fire on a span of it, and the text with one character changed.

Layer: engine. Imports NumPy and the engine (charlm, code_text) only.

Shapes: T characters, H hidden units, V vocabulary size, K = 2H state units (h units 0..H-1, then c units),
k guesses per step. A unit's value at character t is its value after reading character t (trace row t).
    p_t = softmax(h_t W^T + b)                                  (T, V)  the guess for character t + 1
    top_guesses: the k most likely characters of every p_t and their probabilities       (T, k)
    follows(u, feature) = r(u),  Pearson's r over t of unit u's value and feature[t]     (K,)
    selectivity(u, span) = (mean_in u - mean_out u) / s_pooled(u)                          (K,)
        s_pooled^2 = ((n_in - 1) s_in^2 + (n_out - 1) s_out^2) / (n_in + n_out - 2)     (Cohen's d)
        s_in, s_out: the sample standard deviations inside and outside the span; a unit whose pooled
        deviation is 0 (constant inside and outside) scores 0
Units are ranked by |score|: a unit that is strongly negative on a span tells it apart as well as one that is
strongly positive (the sign of a unit is an accident of training).
"""
from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np

from .charlm import correlations, log_softmax
from .code_text import FEATURES, features, regex_feature

REGEX = "regex"        # feature name for a regular expression the visitor types
TINY = 1e-12           # a pooled standard deviation at or below this counts as 0


def top_guesses(readout, h: np.ndarray, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """The read-out's k most likely next characters after every step, most likely first.

    readout: (W (V, H), b (V,)); h: (T, H) hidden states. Returns (ids (T, k) int64 vocabulary indices,
    probabilities (T, k) float64), ties broken by the lower index.
    """
    W, b = readout
    logp = log_softmax(np.asarray(h, float) @ np.asarray(W, float).T + np.asarray(b, float))   # (T, V)
    k = min(int(k), logp.shape[1])
    ids = np.argsort(-logp, axis=1, kind="stable")[:, :k]                                       # (T, k)
    return ids, np.exp(np.take_along_axis(logp, ids, axis=1))


def states(trace) -> np.ndarray:
    """(T, 2H): every h unit, then every c unit (an RNN or GRU has no c: (T, H))."""
    c = getattr(trace, "c", None)
    return np.asarray(trace.h) if c is None else np.concatenate([trace.h, c], axis=1)


class Ranked(NamedTuple):
    """One unit and how well it did."""

    state: str        # 'h' or 'c'
    unit: int         # 0..H-1
    score: float      # Pearson r, or the selectivity d

    @property
    def name(self) -> str:
        return f"{self.state}[{self.unit}]"


def ranked(scores: np.ndarray, top: int = 8) -> list[Ranked]:
    """The `top` units with the largest |score|, best first; scores (2H,) are h units then c units."""
    scores = np.asarray(scores, float)
    H = scores.shape[0] // 2
    order = np.argsort(-np.abs(scores), kind="stable")[:top]
    return [Ranked("h" if j < H else "c", int(j % H), float(scores[j])) for j in order]


def follows(values: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """(K,) Pearson r of every column of values (T, K), e.g. states(trace), with the feature (T,); 0 where either
    does not vary."""
    return correlations(values, feature)


def selectivity(values: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """(K,) how selectively each column of values (T, K) fires inside the span: Cohen's d (see above).

    inside: (T,) bool, True on the span. Needs at least one step inside, one outside and three in all.
    """
    X = np.asarray(values, float)                                       # (T, K)
    m = np.asarray(inside, bool)                                        # (T,)
    n_in, n_out = int(m.sum()), int((~m).sum())
    if n_in == 0 or n_out == 0 or n_in + n_out < 3:
        raise ValueError("A span needs at least one character inside it and one outside, and the text at "
                         "least three characters.")
    a, b = X[m], X[~m]                                                  # (n_in, K), (n_out, K)
    ss = ((a - a.mean(0)) ** 2).sum(0) + ((b - b.mean(0)) ** 2).sum(0)  # (K,) (n-1) s^2, both sides
    sd = np.sqrt(ss / (n_in + n_out - 2))                               # (K,) s_pooled
    diff = a.mean(0) - b.mean(0)                                        # (K,)
    return np.where(sd > TINY, diff / np.where(sd > TINY, sd, 1.0), 0.0)


def feature(text: str, name: str, pattern: str = "") -> np.ndarray:
    """(T,) the feature `name` of code_text.FEATURES, or 1 where the regular expression covers a character
    (name == REGEX). Raises ValueError, one sentence, when it is unknown or the same on every character (no
    unit can follow a constant)."""
    if name == REGEX:
        if not pattern:
            raise ValueError("Type a regular expression to find the units that follow it, e.g. self or \\d+.")
        values = regex_feature(text, pattern)
        if not values.any():
            raise ValueError(f"The pattern {pattern!r} matches nothing in this text, so no unit can follow it.")
        if values.all():
            raise ValueError(f"The pattern {pattern!r} covers every character of this text, so no unit can "
                             "follow it.")
        return values
    if name not in FEATURES:
        raise ValueError(f"Unknown feature {name!r}; choose one of {', '.join(FEATURES)} or {REGEX}.")
    values = features(text)[name]
    if values.size and np.all(values == values[0]):
        raise ValueError(f"The feature {name} ({FEATURES[name]}) is {values[0]:g} on every character of this "
                         "text, so no unit can follow it; choose another or type a text that varies it.")
    return values


def parse_span(typed: str, T: int) -> tuple[int, int]:
    """(first, last) character of a span typed as 'first-last' (both counted, from 0), inside a text of T."""
    m = re.fullmatch(r"\s*(\d{1,4})\s*(?:-|–|to|\.\.)\s*(\d{1,4})\s*", typed or "")
    if not m:
        raise ValueError(f"Type a span as first-last, e.g. 10-24 (characters are counted from 0); got {typed!r}.")
    first, last = sorted((int(m[1]), int(m[2])))
    if last >= T:
        raise ValueError(f"The span {first}-{last} runs past the text, whose last character is {T - 1}.")
    if last - first + 1 >= T:
        raise ValueError("The span covers the whole text; leave some characters outside it to compare with.")
    return first, last


def span_mask(T: int, first: int, last: int) -> np.ndarray:
    """(T,) bool, True from character first to character last, both included."""
    t = np.arange(T)
    return (t >= first) & (t <= last)


def with_character(text: str, position: int, replacement: str) -> str:
    """The text with the character at `position` (from 0) replaced by `replacement` (one character)."""
    if not 0 <= position < len(text):
        raise ValueError(f"There is no character {position}; this text has characters 0 to {len(text) - 1}.")
    if len(replacement) != 1:
        raise ValueError(f"Type exactly one character to put at position {position} (got {len(replacement)}).")
    return text[:position] + replacement + text[position + 1:]
