"""The guided tour: eight stops through the ideas, each a page, a view to open and what to say there.

Layer: words (like words.py): imports NumPy and words only; no plotly, pandas or streamlit. ui/tour.py opens the
stops and hands each `say` function the live numbers it needs; every number a stop says comes from them.

The tour runs on the hand-built latch (one LSTM unit that stores the value channel when the store signal is 1
and holds it), then on the shipped models trained on the adding problem.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .words import BOX, apart_sentence, percent, sci, signed


@dataclass(frozen=True)
class Stop:
    """One stop of the tour."""

    title: str        # what the stop is about, a few words
    page: str         # the page it opens, e.g. "pages/cell.py"
    look: str         # the key of the element to look at, highlighted on the page
    state: dict = field(default_factory=dict)   # shared and page controls it sets: key -> value
    data: str = "latch"                          # which live numbers `say` reads (ui/tour.py gathers them)


LATCH = {"weights": "latch", "unit": 0}
STOPS = (
    Stop("Two memories", "pages/cell.py", "cell_view", {**LATCH, "step": 0}),
    Stop("Box 1: forget", "pages/cell.py", "cell_view", {**LATCH, "step": 3}),
    Stop("Boxes 2 and 3: write", "pages/cell.py", "cell_view", {**LATCH, "step": 6}),
    Stop("Boxes 4 and 5: read", "pages/cell.py", "cell_view", {**LATCH, "step": 7}),
    Stop("The gates over a whole sequence", "pages/gates.py", "gate_heatmaps", dict(LATCH)),
    Stop("Why the RNN's gradient vanishes and the LSTM's need not", "pages/gradients.py", "grad_norms",
         {"weights": "random", "grad_compare": "trained on the adding problem", "grad_length": 100, "grad_k": 40}, "gradients"),
    Stop("What training changes", "pages/train.py", "train_go", {"weights": "random", "train_task": "adding"},
         "training"),
    Stop("Take the cell apart", "pages/apart.py", "apart_figure",
         {**LATCH, "apart_mode": "pin gates to a value", "apart_pin_f": True, "apart_value_f": 1.0}, "apart"),
)


def _at(tr, t: int) -> dict[str, float]:
    """Unit 0's numbers at step t, with the memories it read."""
    v = {q: float(getattr(tr, q)[t, 0]) for q in ("i", "f", "g", "o", "c", "h", "tanh_c")}
    v["c_prev"] = float(tr.c0[0] if t == 0 else tr.c[t - 1, 0])
    return v


def say(n: int, data) -> list[str]:
    """The sentences of stop n (0-based) from its live numbers (see ui/tour.py for what `data` is)."""
    return _SAY[n](data)


def _memories(d) -> list[str]:
    tr, x = d["trace"], d["x"]
    v = _at(tr, 0)
    return ["An LSTM carries two memories. The long-term memory, the cell state c, runs along the top of the "
            "diagram; the short-term memory, the hidden state h, runs along the bottom and is what the next layer "
            "sees.",
            f"This is the hand-built latch, one unit. At step 0 it reads the value {x[0, 0]:g} with the store "
            f"signal {x[0, 1]:g}, and after the step c = {signed(v['c'])} and h = {signed(v['h'])}.",
            "Press → (or Next step) to move through the sequence and watch both lines change colour."]


def _forget(d) -> list[str]:
    v = _at(d["trace"], 3)
    return [f"Box {BOX['f']}, the forget gate f, decides how much of the old memory to keep. At step 3 the store "
            f"signal is 0 and f = {v['f']:.3f}: the latch keeps {percent(v['f'])} of c_(t-1) = {signed(v['c_prev'])}.",
            f"So f·c_(t-1) = {signed(v['f'] * v['c_prev'])}, and the new input {d['x'][3, 0]:g} is not written: "
            f"the input gate is {v['i']:.3f}. A forget gate near 1 is what lets a value wait for many steps."]


def _write(d) -> list[str]:
    v = _at(d["trace"], 6)
    return [f"At step 6 the store signal is 1. Box {BOX['i']}, the input gate, opens to i = {v['i']:.3f}; box "
            f"{BOX['g']}, the candidate, is g = tanh(...) = {signed(v['g'])}, squashing the new value "
            f"{d['x'][6, 0]:g}.",
            f"At the same time the forget gate drops to f = {v['f']:.3f}, so the old memory {signed(v['c_prev'])} "
            f"is dropped and c = f·c_(t-1) + i·g = {signed(v['c'])}: the latch stored the new value."]


def _read(d) -> list[str]:
    v = _at(d["trace"], 7)
    return [f"Reading is two boxes: box {BOX['tanh_c']} squashes the memory, tanh(c) = tanh({signed(v['c'])}) = "
            f"{signed(v['tanh_c'])}, and box {BOX['o']}, the output gate, lets o = {v['o']:.3f} of it out.",
            f"So h = o·tanh(c) = {signed(v['h'])}. The latch's output gate is always open; a trained LSTM uses it "
            "to show a memory only when it is needed."]


def _sequence(d) -> list[str]:
    tr, x = d["trace"], d["x"]
    f = tr.f[:, 0]
    stores = [int(t) for t in np.flatnonzero(x[:, 1] == 1)]
    return [f"The heatmaps show every gate at every step at once. Over the {len(f)} steps the forget gate is above "
            f"0.9 on {int(np.sum(f > 0.9))} of them and drops only where the store signal is 1 (steps "
            f"{', '.join(map(str, stores))}).",
            f"Between stores the cell state does not move: it holds {signed(float(tr.c[stores[0], 0]))} from step "
            f"{stores[0]}, then {signed(float(tr.c[stores[-1], 0]))} from step {stores[-1]}, whatever comes in."]


def _gradients(d) -> list[str]:
    flows, k = d["flows"], d["k"]
    rnn, lstm = flows["RNN"].retained(k), flows["LSTM"].retained(k)
    return [f"Training needs the gradient to travel back to the step where the information came in. {k} steps "
            f"back the trained RNN keeps {sci(rnn)} of its gradient; the trained LSTM keeps {sci(lstm)}.",
            "The RNN multiplies the gradient by W_hh and tanh' at every step; the LSTM's cell line multiplies it "
            "only by the forget gate f. That is also its weakness: where f is small, the cell line forgets too."]


def _training(d) -> list[str]:
    before, after = d["random_f"], d["trained_f"]                    # (H,) mean forget gate per unit
    return [f"On the same adding-problem sequence, a fresh LSTM's forget gates average {before.mean():.2f} (from "
            f"the forget bias alone); after training, {int(np.sum(after > 0.95))} of its {len(after)} units hold "
            f"f above 0.95 on average and {int(np.sum(after < 0.5))} below 0.5.",
            f"Training opened the gates of the units that must remember and closed the others. The shipped LSTM "
            f"reaches test MSE {sci(d['mse'])} (guessing the mean: {sci(d['chance'])}). Press Start training to watch "
            "it happen."]


def _apart(d) -> list[str]:
    return [apart_sentence(d["comparison"], 0, d["k"]),
            "Pinning the forget gate at 1 removes the latch's way to drop a value: every store now adds to the "
            "memory instead of replacing it. Try pinning other gates, or a variant of Greff et al. (2017)."]


_SAY = (_memories, _forget, _write, _read, _sequence, _gradients, _training, _apart)
