"""Every sentence and equation the app shows, computed from the numbers it plots.

Layer: words, above the engine. Imports NumPy and the engine's constants only (no plotly, pandas, streamlit).
Every number in a sentence comes from a trace, a Flow (lstm_viz.flow) or a training report; nothing is
typed in, and every printed computation checks out with the printed numbers.
    retained_k   = ||dL/dh_{T-k}|| / ||dL/dh_T||            what is left of the gradient k steps back
    sigmoid(b)^n                                          n forget gates resting at their bias b
    mean_j prod_{s=T-n+1..T} f_s,j                        the same product from the actual gates
    ||dh_T/dh_t|| <= sigma_max(W_hh)^k                    Pascanu, Mikolov & Bengio (2013), tanh RNN
Shapes: T steps, H hidden units; a trace here is one layer's unbatched trace (fields (T, H)).
"""
from __future__ import annotations

import math

import numpy as np

from .cells import GRU_GATES, LSTM_GATES

NAMES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
# what each trace field is called in words, and the article's box number where it has one
WORDS = {"i": "input gate", "f": "forget gate", "g": "candidate", "o": "output gate", "c": "cell state",
         "h": "hidden state", "tanh_c": "tanh of the cell state", "r": "reset gate", "z": "update gate",
         "n": "candidate"}
BOX = {"f": 1, "i": 2, "g": 3, "o": 4, "tanh_c": 5}
GATES_IN_01 = ("i", "f", "o", "r", "z")   # sigmoid gates: values in [0, 1]
_QUANTITIES = {"lstm": (*LSTM_GATES, "c", "h"), "gru": (*GRU_GATES, "h"), "rnn": ("h",)}


def quantities(trace) -> tuple[str, ...]:
    """The per-unit fields a page shows for this kind of cell: the gates in the engine's order, then the states."""
    return _QUANTITIES[trace.kind]


def sci(v: float) -> str:
    """A ratio or norm in two significant digits: 0.21, 0.0018, 3.4, 3e-9, 1.6e-7, 2.5e12."""
    v = float(v)
    if v == 0 or not math.isfinite(v):
        return "0" if v == 0 else str(v)
    if 0.001 <= abs(v) < 1000:
        return f"{v:.2g}"
    mantissa, exponent = f"{v:.1e}".split("e")
    return f"{mantissa.removesuffix('.0')}e{int(exponent)}"


def sigmoid(b: float) -> float:
    return 0.5 + 0.5 * math.tanh(0.5 * b)


def _the(label: str) -> str:
    """'the RNN', but 'your model' stays as it is."""
    return label if label.lower().startswith(("your", "the ")) else f"the {label}"


def retention_sentence(flows: dict, k: int) -> str:
    """'After 40 steps back, the RNN's gradient is 3e-9 of its value at the last step; the LSTM keeps 0.21.'

    flows maps a label ('RNN', 'LSTM', ...) to its Flow; k is clamped to the shortest sequence.
    """
    if not flows:
        return ""
    T = min(len(f.grad_h) for f in flows.values())
    if T == 1:
        return "The sequence has a single step, so there is nothing for the gradient to carry back; use a longer one."
    k = int(min(max(k, 0), T - 1))
    labels = list(flows)
    r = [flows[name].retained(k) for name in labels]
    first = f"{_the(labels[0])}'s gradient ||dL/dh|| is {sci(r[0])} of its value at the last step"
    rest = [f"{_the(name)} keeps {sci(v)}" for name, v in zip(labels[1:], r[1:])]
    joined = rest[0] if len(rest) == 1 else ", ".join(rest[:-1]) + " and " + rest[-1] if rest else ""
    tail = "; " + joined if rest else ""
    step_word = "step" if k == 1 else "steps"
    return f"After {k} {step_word} back, {first}{tail}."


def clip_sentence(flows: dict) -> str:
    """What clipping did: it scales every norm of a run by one factor, so it cannot undo vanishing."""
    scaled = {name: f.clip_scale for name, f in flows.items() if f.clip_scale < 1.0}
    if not scaled:
        return ("Clipping is on, but no gradient here exceeded the threshold, so nothing was scaled; "
                "it only ever caps an explosion.")
    parts = ", ".join(f"{_the(name)}'s by {sci(s)}" for name, s in scaled.items())
    return (f"Clipping scaled {parts}: the whole gradient shrinks by one factor, so the ratios above, "
            "and a vanishing gradient, stay exactly as they were.")


def forget_sentence(forget_bias: float, flow=None, steps: int = 50) -> str:
    """The forget-gate product over `steps` steps: sigmoid(b)^steps, and from the actual gates of an LSTM flow.

    'With forget bias 1, a forget gate at rest is sigmoid(1) = 0.7311, and 0.7311^50 = 1.6e-7: ...'
    The power is taken of the printed four-digit value, so a reader's calculator gives the printed result.
    """
    s = float(f"{sigmoid(forget_bias):.4f}")
    out = (f"With forget bias {forget_bias:g}, a forget gate with nothing else pushing it is "
           f"sigmoid({forget_bias:g}) = {s:.4f}, and {s:.4f}^{steps} = {sci(s ** steps)}: that is the share of the "
           f"cell-state gradient the carousel carries through {steps} such steps.")
    if flow is not None and flow.forget_product_mean is not None and flow.kind == "lstm":
        n = int(min(steps, len(flow.forget_product_mean) - 1))
        if n >= 1:
            actual = float(flow.forget_product_mean[n])
            out += (f" In this LSTM the actual forget gates of the last {n} steps multiply to {sci(actual)} "
                    "(mean over units).")
            if actual < 1e-3:
                out += (" So the carousel carries almost nothing that far: the cell line has no weight "
                        "matrix, but each step still multiplies the gradient by f, and this LSTM forgets too; "
                        "a larger forget bias keeps the gates open.")
    return out


def kept_open_sentence(flow, k: int) -> str:
    """What a trained LSTM's forget gates did over the last k steps: per unit, not only on average."""
    T = len(flow.grad_h)
    k = int(min(max(k, 1), T - 1))
    fp = flow.forget_product[k]                                   # (H,) prod of f over the last k steps
    best = int(np.argmax(fp))
    kept = int(np.sum(fp > 0.5))
    return (f"Over the last {k} steps this LSTM's forget gates multiply to {sci(fp[best])} in unit {best}, its most "
            f"open, and to {sci(float(fp.mean()))} on average; {kept} of its {len(fp)} units keep more than half. "
            "Training opened the gates of the units that must remember, so their cell line carries the gradient "
            "back with little loss, while the other units forget on purpose.")


def sigma_shown(sigma: float) -> float:
    """sigma_max(W_hh) as the app prints it: rounded up to three decimals, so its powers stay bounds."""
    return math.ceil(sigma * 1000) / 1000


def pascanu_sentence(flow, k: int) -> str:
    """The RNN's largest singular value of W_hh and what the Pascanu et al. (2013) bound says k steps back.

    sigma_max is printed rounded up to three decimals and the bound is that printed number to the power k,
    so it is still a bound and a reader can redo it.
    """
    s = sigma_shown(flow.sigma_max)
    T = len(flow.grad_h)
    k = int(min(max(k, 1), T - 1)) if T > 1 else 0
    # without the Jacobian, ||dL/dh_t|| = ||u^T dh_T/dh_t|| for a unit u obeys the same bound
    jac = flow.jac_spec is not None
    actual = float(flow.jac_spec[k] if jac else flow.grad_h[k] / flow.clip_scale)
    what = "||dh_T/dh_t||" if jac else "||dL/dh_t||"
    head = f"The RNN's W_hh has largest singular value {s:.3f}"
    if s < 1:
        return (f"{head}, below 1, so with tanh' <= 1 the gradient must vanish at least as fast as "
                f"{s:.3f}^k (Pascanu et al. 2013): after {k} steps {what} <= {s:.3f}^{k} = {sci(s ** k)}; "
                f"it is {sci(actual)}.")
    return (f"{head}, above 1, so the bound {s:.3f}^k grows and explosion is possible (Pascanu et al. 2013); "
            f"tanh' < 1 usually still wins: after {k} steps {what} is {sci(actual)}.")


def cell_path_sentence(flow, k: int) -> str:
    """How much of the LSTM's dL/dc_t, k steps back, rode the cell line straight from the end."""
    T = len(flow.grad_h)
    k = int(min(max(k, 0), T - 1))
    total, cell, hidden = float(flow.grad_c[k]), float(flow.cell_path[k]), float(flow.hidden_path[k])
    fp = float(flow.forget_product_mean[k])
    return (f"{k} steps back the LSTM's cell-state gradient ||dL/dc|| is {sci(total)}: the part that rode "
            f"the cell line straight from the last step (scaled only by the forget gates, whose product there "
            f"averages {sci(fp)}) has norm {sci(cell)}, the part that entered through the hidden state on the way "
            f"{sci(hidden)}.")


def result_sentence(label: str, task_kind: str, test_loss: float, test_acc: float | None, baseline: float,
                    steps: int, seconds: float, batch: int, reason: str = "") -> str:
    """'LSTM: test MSE 0.0021, better than guessing the mean (0.17), after 1500 steps (96,000 training
    sequences) in 8.1 s.' reason: how the run ended ('seconds', 'target', or '' for the step budget)."""
    seen = f"after {steps} steps ({steps * batch:,} training sequences) in {seconds:.1f} s"
    why = {"seconds": " The time budget ran out first.", "target": " It reached the target early."}.get(reason, "")
    if task_kind == "regression":
        verdict = "better than" if test_loss < baseline / 2 else "no better than"
        return f"{label}: test MSE {sci(test_loss)}, {verdict} guessing the mean ({sci(baseline)}), {seen}.{why}"
    acc = 100.0 * (test_acc or 0.0)
    return f"{label}: test accuracy {acc:.0f}% (chance {100 * baseline:.0f}%), {seen}.{why}"


def lag_sentence(results: dict, baseline: float, task_kind: str) -> str:
    """Per model, the longest lag it learned: test MSE below half the baseline, or accuracy past halfway to 1."""
    parts = []
    for label, rows in results.items():
        good = [lag for lag, err in rows if _solved(err, baseline, task_kind)]
        longest = max(good) if good else None
        parts.append(f"{_the(label)} learned up to lag {longest}" if longest
                     else f"{_the(label)} learned no lag tried")
    rule = ("test MSE below half the guess-the-mean baseline" if task_kind == "regression"
            else "test accuracy more than halfway from chance to 100%")
    text = "; ".join(parts) + f" (learned: {rule})."
    return text[:1].upper() + text[1:]


def _solved(score: float, baseline: float, task_kind: str) -> bool:
    return score < baseline / 2 if task_kind == "regression" else score > (baseline + 1.0) / 2


def forget_table(biases=(0, 1, 2, 3, 5), steps: int = 50) -> list[tuple[float, float, float]]:
    """(b, sigmoid(b) to four decimals, that to the power steps) for the forget biases the page offers."""
    rows = []
    for b in np.asarray(biases, dtype=float):
        s = float(f"{sigmoid(b):.4f}")
        rows.append((float(b), s, s ** steps))
    return rows


TERMS = {   # the words a student meets on the gradient page, said once
    "Jacobian": "dh_T/dh_t, the H x H matrix of how much each unit of the last hidden state moves when one unit "
                "of an earlier one is nudged. Its largest singular value is the most any direction can be "
                "stretched on the way back; the 'Full Jacobian' switch plots that instead of one direction's "
                "gradient.",
    "Pascanu bound": "Pascanu, Mikolov & Bengio (2013): in a tanh RNN each step back multiplies by W_hh and by "
                     "tanh' <= 1, so after k steps the gradient is at most sigma_max(W_hh)^k. Below 1 it must "
                     "vanish; above 1 it may explode.",
    "3.7e-8": "Scientific notation: 3.7e-8 is 3.7 x 10^-8 = 0.000000037. A gradient that small no longer moves "
              "the weights that produced it.",
    "cell path": "The route along the top of the LSTM diagram. Going back one step there multiplies the gradient "
                 "by the forget gate f and by nothing else: no weight matrix, no tanh'.",
}


# ---------------------------------------------------------------------------------------------
# one step of one unit


def percent(v: float) -> str:
    """A share as a whole percentage: 0.734 -> 73%."""
    return f"{100 * v:.0f}%"


def signed(v: float) -> str:
    """A signed value as sentences print it: +0.66, -0.54, +3.1e-03 for the small ones."""
    return f"{v:+.2f}" if abs(v) >= 0.005 or v == 0 else f"{v:+.1e}"


def _prev(trace, field: str, t: int, u: int) -> float:
    first = trace.c0 if field == "c" else trace.h0
    return float(first[u] if t == 0 else getattr(trace, field)[t - 1, u])


def step_sentence(trace, t: int, unit: int, label: str | None = None) -> str:
    """One plain-language sentence about what unit `unit` did at step t."""
    x = f" (input {label})" if label is not None else ""
    u = unit
    h_prev, h = _prev(trace, "h", t, u), float(trace.h[t, u])
    if trace.kind == "lstm":
        i, f, g, o = (float(getattr(trace, q)[t, u]) for q in LSTM_GATES)
        c_prev, c, tanh_c = _prev(trace, "c", t, u), float(trace.c[t, u]), float(trace.tanh_c[t, u])
        return (f"At step {t}{x}, the forget gate kept {percent(f)} of unit {u}'s memory ({signed(c_prev)} → "
                f"{signed(f * c_prev)}), the input gate wrote {signed(i * g)} into it ({percent(i)} of the candidate "
                f"{signed(g)}), so the cell state is {signed(c)}, and the output gate let {percent(o)} of "
                f"{'c' if getattr(trace, 'variant', 'lstm') == 'noaf' else 'tanh(c)'} = {signed(tanh_c)} out as "
                f"h = {signed(h)}.")
    if trace.kind == "gru":
        z, n = float(trace.z[t, u]), float(trace.n[t, u])
        return (f"At step {t}{x}, the update gate kept {percent(z)} of unit {u}'s previous state {signed(h_prev)} "
                f"and took {percent(1 - z)} of the candidate {signed(n)}, so h = {signed(h)}.")
    return (f"At step {t}{x}, unit {u} squashed its weighted input and previous state {signed(h_prev)} through "
            f"{getattr(trace, 'nonlinearity', 'tanh')}, so h = {signed(h)}.")


# ---------------------------------------------------------------------------------------------
# the cell taken apart


def apart_sentence(cmp, unit: int, k: int) -> str:
    """What a change did, from the numbers: 'With the forget gate pinned at 1, unit 2's cell state only grew:
    it reached 4.2 by step 29 (before: 0.61). Its hidden state ends at ... ||dL/dh|| 20 steps back ...'."""
    a, b = cmp.original, cmp.changed
    T = len(b.c)
    u, k = int(unit), int(min(max(k, 1), T - 1)) if T > 1 else 0
    ca, cb = a.c[:, u], b.c[:, u]                                          # (T,) the unit's cell state
    peak = int(np.argmax(np.abs(cb)))
    dc = np.diff(np.concatenate([[b.c0[u]], cb]))                           # (T,) how c moved each step
    if np.all(dc == 0):
        how = f"unit {u}'s cell state did not move at all: it stayed at {signed(float(cb[-1]))}"
    elif np.all(dc >= 0) or np.all(dc <= 0):
        how = (f"unit {u}'s cell state only {'grew' if np.all(dc >= 0) else 'fell'}: it reached "
               f"{signed(float(cb[-1]))} by step {T - 1} (unchanged cell: {signed(float(ca[-1]))})")
    elif peak == T - 1:
        how = (f"unit {u}'s cell state ended at its largest, {signed(float(cb[-1]))} (unchanged cell: "
               f"{signed(float(ca[-1]))})")
    else:
        how = (f"unit {u}'s cell state went as far as {signed(float(cb[peak]))} at step {peak} and ended at "
               f"{signed(float(cb[-1]))} (unchanged cell: as far as {signed(float(ca[np.argmax(np.abs(ca))]))}, "
               f"ended at {signed(float(ca[-1]))})")
    ga = cmp.grad_original[k] / cmp.grad_original[0] if cmp.grad_original[0] > 0 else 0.0
    gb = cmp.grad_changed[k] / cmp.grad_changed[0] if cmp.grad_changed[0] > 0 else 0.0
    grad = (f"{k} steps back the gradient ||dL/dh|| keeps {sci(gb)} of its value at the last step "
            f"(unchanged cell: {sci(ga)})")
    out = ""
    if cmp.out_changed is not None and len(cmp.out_changed) <= 3:   # a character model's 97 logits say nothing here
        out = (f" The model's answer is {', '.join(f'{v:.3g}' for v in cmp.out_changed)} "
               f"instead of {', '.join(f'{v:.3g}' for v in cmp.out_original)}.")
    text = f"With {cmp.change.describe()}, {how}; its hidden state ends at {signed(float(b.h[-1, u]))} " \
           f"(unchanged: {signed(float(a.h[-1, u]))}), and {grad}.{out}"
    return text[0].upper() + text[1:]


# ---------------------------------------------------------------------------------------------
# what a unit of the character model means (pages/units.py)

CHANGE_THRESHOLD = 0.1   # a unit "still differs" when a change moved it by more than this


def char_words(ch: str) -> str:
    """A character as a sentence names it: 'a', '(', a space, a new line."""
    return {" ": "a space", "\n": "a new line", "\t": "a tab"}.get(ch, repr(ch))


def ranking_sentence(top, how: str, T: int, span: tuple[int, int] | None = None) -> str:
    """'Over these 129 characters, c[71] follows bracket depth best: r = +0.81; then h[71] (+0.72), c[12] (-0.55).'

    top: lstm_viz.units.Ranked, best first; how: what they follow, in words; span: (first, last) when the
    scores are selectivities on that span instead of correlations."""
    if not top:
        return "No unit to rank."
    best, rest = top[0], ", ".join(f"{r.name} ({r.score:+.2f})" for r in top[1:3])
    then = f"; then {rest}" if rest else ""
    if span is not None:
        return (f"On characters {span[0]} to {span[1]}, {best.name} fires most selectively: d = {best.score:+.2f} "
                f"(its mean inside minus its mean outside, over their pooled standard deviation){then}.")
    return f"Over these {T} characters, {best.name} follows {how} best: r = {best.score:+.2f}{then}."


def counterfactual_sentence(cf, quantity: str, before: str, after: str) -> str:
    """Where a one-character change lives on, from cf.delta[quantity] (T, H): 'Changing character 15 from ')'
    to '(' still moves c[71] by +1.47 at the end of the text, 113 characters later; ...'."""
    p = cf.first
    if p is None:
        return "Nothing changed: the new character is the one that was there."
    d = np.asarray(cf.delta[quantity])                                     # (T, H)
    T, H = d.shape
    what, change = WORDS[quantity], f"Changing character {p} from {char_words(before)} to {char_words(after)}"
    later = T - 1 - p
    u = int(np.argmax(np.abs(d[-1])))
    if later == 0:
        return (f"Character {p} is the last one, so changing it from {char_words(before)} to {char_words(after)} has "
                f"nowhere to live on: it moves {quantity}[{u}] by {signed(float(d[-1, u]))} at that step.")
    if abs(d[-1, u]) > CHANGE_THRESHOLD:
        n = int((np.abs(d[-1]) > CHANGE_THRESHOLD).sum())
        return (f"{change} still moves {quantity}[{u}] by {signed(float(d[-1, u]))} at the end of the text, {later} "
                f"characters later, and {n} of the {H} units' {what}s differ by more than {CHANGE_THRESHOLD:g} there.")
    t, v = divmod(int(np.argmax(np.abs(d[p:]))), H)
    peak = f"{quantity}[{v}] by {signed(float(d[p + t, v]))} at character {p + t}"
    alive = np.flatnonzero(np.abs(d[p:]).max(1) > CHANGE_THRESHOLD)
    if not alive.size:
        return f"{change} hardly matters here: no unit's {what} moves by more than {CHANGE_THRESHOLD:g} (at most {peak})."
    last = p + int(alive[-1])
    return (f"{change} moves {peak}, but the change fades: after character {last}, {last - p} characters later, "
            f"no unit's {what} differs by more than {CHANGE_THRESHOLD:g}.")


def connectivity_sentence(conn: dict, back: int = 50) -> str:
    """How much of h's dependence on its input is left `back` characters back, per model, at the last character
    with connectivity: conn maps a label ('the trained LSTM') to its (C, C) matrix."""
    C = next(iter(conn.values())).shape[0]
    t = C - 1
    k = min(back, t)
    if k == 0:
        return "With one character there is no earlier input to depend on."
    shares = [f"{sci(m[t, t - k] / m[t, t]) if m[t, t] > 0 else '0'} in {label}" for label, m in conn.items()]
    listed = ", ".join(shares[:-1]) + f" and {shares[-1]}" if len(shares) > 1 else shares[0]
    return (f"{k} characters back, at character {t}, h depends on input {t - k} with this share of its "
            f"dependence on input {t}: {listed}.")


def cost_sentence(seconds: dict, steps: int) -> str:
    """'Computed once for this text and kept: 2.4 s for the LSTM, 0.8 s for the GRU and 0.8 s for the RNN, at 129
    characters.' seconds maps a model's name to what its connectivity took."""
    parts = [f"{s:.1f} s for the {name}" for name, s in seconds.items()]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"Computed once for this text and kept: {listed}, at {steps} characters."


def unseen_sentence(text: str, vocabulary: str) -> str:
    """'' when the model knows every character of the text, else which it reads as its fallback."""
    unseen = sorted(set(text) - set(vocabulary))
    if not unseen:
        return ""
    names = [char_words(ch) for ch in unseen[:5]] + (["more"] if len(unseen) > 5 else [])
    shown = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return (f"The model never saw {shown} in training; it reads {'them' if len(unseen) > 1 else 'it'} as its "
            f"fallback character {vocabulary[0]}.")
