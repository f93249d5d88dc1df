"""The shared controls: what the sidebar selects, and its defaults and ranges, stated once.

Layer: ui. Imports NumPy and the engine; no streamlit call happens here (sidebar.py draws the widgets).
Every shared widget's key is its URL parameter, so DEFAULTS, the widget keys and a link's names agree.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..presets import PRESETS
from ..sequences import DEFAULT_READY, DEFAULT_TEXT, READY, Sequence

HIDDEN_DEFAULT = 8
SEED_MAX = 2**31 - 1
FORGET_BIAS_RANGE = (-3.0, 6.0)
WEIGHT_SCALE_RANGE = (0.1, 8.0)
OWN = "own"                 # value of the `ready` box when the text is the visitor's own
RANDOM, CUSTOM = "random", "custom"
WEIGHT_CHOICES = (RANDOM, *PRESETS, CUSTOM)
READY_LABELS = {OWN: "Your own (typed above)", **{k: r.title for k, r in READY.items()}}
WEIGHT_LABELS = {RANDOM: "Random, from the settings below", **{k: p.title for k, p in PRESETS.items()},
                 CUSTOM: "Your own model (uploaded or trained)"}
# Select boxes put the label, not the key, in the URL, so links carry these labels.
DEFAULTS = dict(sequence=DEFAULT_TEXT, text_mode=False, ready=DEFAULT_READY, hidden_size=HIDDEN_DEFAULT, seed=0,
                forget_bias=1.0, weight_scale=1.0, weights=RANDOM, step=0, unit=0, layer=0)


@dataclass(frozen=True)
class Controls:
    """What the shared sidebar selects. Pages read it; only the sidebar writes it."""

    sequence: Sequence     # the parsed input: values (T, D), labels per step, text_mode, text
    hidden_size: int       # H of the random model (presets and custom models bring their own)
    seed: int              # seed of the random model's weights
    forget_bias: float     # total bias of the random model's forget gate
    weight_scale: float    # every random weight times this
    weights: str           # what the visitor chose: 'random', a preset key or 'custom'
    model_source: str      # what is shown: the same, or 'random' after a size mismatch
    model_key: tuple       # plain identity of the model shown (cache key)
    kind: str              # 'lstm', 'gru' or 'rnn'
    model_hidden: int      # H of the model shown
    layers: int            # layers of the model shown (stacks > 1)
    layer: int             # layer the pages show, 0 = bottom
    step: int              # selected step, 0..T-1
    unit: int              # selected unit, 0..H-1

    @property
    def values(self) -> np.ndarray:
        return self.sequence.values

    @property
    def labels(self) -> tuple[str, ...]:
        return self.sequence.labels

    @property
    def text_mode(self) -> bool:
        return self.sequence.text_mode

    @property
    def text(self) -> str:
        return self.sequence.text

    @property
    def steps(self) -> int:
        return self.sequence.steps

    def query(self) -> dict[str, str]:
        """URL parameters that reproduce this view (defaults left out, as Streamlit does)."""
        now = dict(sequence=self.text, text_mode=self.text_mode, hidden_size=self.hidden_size, seed=self.seed,
                   forget_bias=self.forget_bias, weight_scale=self.weight_scale, weights=self.weights,
                   step=self.step, unit=self.unit, layer=self.layer)
        return {k: url_value(v, k) for k, v in now.items() if v != DEFAULTS[k]}


def url_value(v, key: str = "") -> str:
    """A control's value as a link writes it: labels for select boxes, 'true'/'false', short numbers."""
    if key == "weights":
        return WEIGHT_LABELS[v]
    if isinstance(v, bool):
        return str(v).lower()
    return f"{v:g}" if isinstance(v, float) else str(v)
