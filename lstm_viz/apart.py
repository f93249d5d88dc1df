"""Take the cell apart: the same LSTM run as another variant of Greff et al. (2017), or with gates pinned.

Layer: engine. Imports NumPy and the engine (cells, flow) only.
Shapes: T steps, D input size, H hidden size; one sequence x (T, D).

    a variant keeps every weight and changes one line of the cell (cells.LSTM_VARIANTS), e.g.
        nfg:  f = 1                    the cell state keeps everything it is given
        noaf: h = o * c                the cell state reaches h unsquashed
    a clamp pins gates where the visitor says: from step t0 on, for one unit or all,
        clamp[gate][t, u] = value      where pinned, NaN where the gate is free    (T, H)
    and both runs are compared on the same x: c, h (T, H), the read-out, and ||dL/dh_t|| (T,) for the
    loss L = u . h_T the gradient page uses, so "the gradient reaching back" means the same on both pages.
The peephole variant needs peephole weights the original does not have: they are drawn, seeded, from
PyTorch's init range U(-1/sqrt(H), 1/sqrt(H)), and the comparison says so.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .cells import LSTM, LSTM_GATES, VARIANT_NAMES
from .flow import gradient_flow


_VARIANT_WORDS = {"peephole": "peepholes", "nig": "no input gate", "nfg": "no forget gate",
                  "nog": "no output gate", "niaf": "no input activation", "noaf": "no output activation",
                  "cifg": "the input and forget gates coupled"}


@dataclass(frozen=True)
class Change:
    """What to take apart: a variant, or gates pinned from a step on (in one unit or all)."""

    variant: str | None = None                     # one of cells.VARIANT_NAMES; None keeps the model's own
    clamp: dict = field(default_factory=dict)      # gate (i, f, g, o) -> value it is pinned to
    from_step: int = 0                             # pinned from this step on (0: all steps)
    unit: int | None = None                        # pinned in this unit only; None: every unit
    seed: int = 0                                  # seeds the peephole weights a "peephole" change adds

    def describe(self) -> str:
        """The change in words, for a sentence: 'the forget gate pinned at 1 from step 5 on in unit 2'."""
        if self.variant not in (None, "lstm"):
            return _VARIANT_WORDS[self.variant]
        names = {"i": "input gate", "f": "forget gate", "g": "candidate", "o": "output gate"}
        pins = " and ".join(f"the {names[g]} pinned at {v:g}" for g, v in self.clamp.items())
        when = f" from step {self.from_step} on" if self.from_step else ""
        where = f" in unit {self.unit}" if self.unit is not None else ""
        return (pins or "nothing pinned") + when + where


@dataclass(frozen=True, eq=False)
class Comparison:
    """The original and the changed run on the same sequence."""

    change: Change
    original: object            # LSTMTrace
    changed: object             # LSTMTrace
    grad_original: np.ndarray   # (T,) ||dL/dh_t|| by steps back k (0 = last step), original cell
    grad_changed: np.ndarray    # (T,) the same for the changed cell
    out_original: np.ndarray | None   # (C,) read-out of h_T, when the model has one
    out_changed: np.ndarray | None


def changed_model(model: LSTM, change: Change) -> LSTM:
    """The same weights under change.variant (the model itself when the variant is its own, or None)."""
    if change.variant is not None and change.variant not in VARIANT_NAMES:
        raise ValueError(f"Unknown variant {change.variant!r}; choose one of {', '.join(VARIANT_NAMES)}.")
    if change.variant in (None, getattr(model, "variant", "lstm")):
        return model
    peep = None
    if change.variant == "peephole":
        k = 1.0 / np.sqrt(model.hidden_size)
        peep = np.random.default_rng(change.seed).uniform(-k, k, (3, model.hidden_size))   # (3, H) i, f, o
    return LSTM(model.weight_ih, model.weight_hh, model.bias_ih, model.bias_hh, variant=change.variant,
                weight_peep=peep)


def clamp_arrays(change: Change, T: int, H: int) -> dict[str, np.ndarray]:
    """gate -> (T, H) pinned values, NaN where the gate runs free."""
    out = {}
    for gate, value in change.clamp.items():
        if gate not in LSTM_GATES:
            raise ValueError(f"There is no gate {gate!r}; an LSTM's gates are {', '.join(LSTM_GATES)}.")
        a = np.full((T, H), np.nan)                                     # (T, H)
        units = slice(None) if change.unit is None else slice(change.unit, change.unit + 1)
        a[max(0, change.from_step):, units] = value
        out[gate] = a
    return out


def compare(model: LSTM, x: np.ndarray, change: Change, readout=None) -> Comparison:
    """Run model and its changed self on x (T, D); readout (W (C, H), b (C,)) reads h_T when given."""
    if model.kind != "lstm":
        raise ValueError(f"Only an LSTM can be taken apart here; this model is a {model.kind.upper()}.")
    if change.unit is not None and not 0 <= change.unit < model.hidden_size:
        raise ValueError(f"There is no unit {change.unit}; this LSTM has units 0 to {model.hidden_size - 1}.")
    other = changed_model(model, change)
    T = np.asarray(x).shape[0]
    clamp = clamp_arrays(change, T, model.hidden_size) or None
    before = gradient_flow(model, x, jacobian=False)
    after = gradient_flow(other, x, jacobian=False, clamp=clamp)
    return Comparison(change, before.trace, after.trace, before.grad_h, after.grad_h,
                      _read(before.trace, readout), _read(after.trace, readout))


def _read(trace, readout) -> np.ndarray | None:
    return None if readout is None else trace.h[-1] @ readout[0].T + readout[1]       # (C,)
