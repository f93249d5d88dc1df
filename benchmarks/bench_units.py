"""What the 'what a unit means' page costs: the text view's frame (bytes, build time) and every engine call the
page makes, at the preset's sample (129 characters) and at the 500-character limit.

    python benchmarks/bench_units.py          # about 20 s on an idle 2-core machine

Timed: process CPU time (the machine is shared), median of 3 runs, each call as the page makes it, uncached:
  forward + guesses   the character model over the text, and its top 5 next-character guesses per step
  frame               figures.textview: quantise every unit and pack the frame (connectivity given)
  rank by feature     |r| of all 256 state units with bracket depth (units.follows)
  rank by span        the selectivity d of all 256 units on a span (units.selectivity)
  connectivity X      influence.connectivity over the first 200 characters: the trained LSTM, untrained GRU, RNN
  counterfactual      influence.counterfactual with one character changed
Target (issue 13): the frame at T = 500 under 1 MB, printed as PASS/FAIL.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"  # before NumPy loads its BLAS, as the app runs

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lstm_viz import GRU, RNN  # noqa: E402
from lstm_viz.code_text import corpus, features  # noqa: E402
from lstm_viz.figures.textview import CONNECTIVITY_STEPS, pack, text_view_data  # noqa: E402
from lstm_viz.influence import connectivity, counterfactual  # noqa: E402
from lstm_viz.presets import PRESETS, load_preset  # noqa: E402
from lstm_viz.sequences import parse_sequence  # noqa: E402
from lstm_viz.units import follows, selectivity, span_mask, states, top_guesses, with_character  # noqa: E402

LIMIT = 1_000_000


def timed(fn, repeats: int = 3):
    """(result, median process CPU seconds)."""
    out, times = None, []
    for _ in range(repeats):
        t0 = time.process_time()
        out = fn()
        times.append(time.process_time() - t0)
    return out, float(np.median(times))


def main() -> None:
    p = load_preset("char_lstm")
    voc = PRESETS["char_lstm"].vocabulary
    held = dict(corpus("heldout"))["textwrap"]
    texts = {"sample": PRESETS["char_lstm"].sequence, "500 characters": held[held.index("def wrap("):][:500]}
    twins = {"GRU": GRU.random(97, 128, seed=0), "RNN": RNN.random(97, 128, seed=0)}
    print(f"{'text':>15} {'T':>4}  {'call':<22} {'CPU s':>7}")
    for name, text in texts.items():
        x = parse_sequence(text, True, voc).values                                  # (T, V)
        T = len(text)
        (tr, guesses), s = timed(lambda: (lambda tr: (tr, top_guesses((p.readout_weight, p.readout_bias), tr.h)))(
            p.model.forward(x)))
        rows = [("forward + guesses", s)]
        conn, s = timed(lambda: connectivity(p.model, x[:CONNECTIVITY_STEPS]), repeats=1)
        rows.append(("connectivity LSTM", s))
        for kind, m in twins.items():
            rows.append((f"connectivity {kind}", timed(lambda: connectivity(m, x[:CONNECTIVITY_STEPS]), repeats=1)[1]))
        raw, s = timed(lambda: pack(text_view_data(text, tr, guesses, voc, conn)))
        rows.append(("frame", s))
        values = states(tr)
        rows.append(("rank by feature", timed(lambda: follows(values, features(text)["bracket_depth"]))[1]))
        rows.append(("rank by span", timed(lambda: selectivity(values, span_mask(T, 20, 40)))[1]))
        changed = parse_sequence(with_character(text, 15, "("), True, voc).values
        rows.append(("counterfactual", timed(lambda: counterfactual(p.model, x, changed))[1]))
        for call, sec in rows:
            print(f"{name:>15} {T:>4}  {call:<22} {sec:7.3f}")
        verdict = "PASS" if T < 500 or len(raw) < LIMIT else "FAIL"
        print(f"{name:>15} {T:>4}  {'frame bytes':<22} {len(raw):>9,}  {verdict if T == 500 else ''}")


if __name__ == "__main__":
    main()
