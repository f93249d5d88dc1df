"""The shared sidebar, in three sections (sequence, model, where to look), drawn once per run.

Layer: ui (imports streamlit). app.py calls controls() before the page runs, so the sidebar's widgets belong
to the entry script and keep their URL parameters across pages; a page calling controls() again gets the
same Controls back. A link with values that cannot be used opens with defaults for those and one warning;
a sequence that cannot be read gets one error and the last good sequence stays.
"""
from __future__ import annotations

import streamlit as st

from ..limits import MAX_HIDDEN_SIZE, MAX_INPUT_SIZE, MAX_STEPS
from ..presets import PRESETS
from ..sequences import DEFAULT_READY, DEFAULT_TEXT, READY, Sequence, parse_sequence
from . import links
from .controls import (FORGET_BIAS_RANGE, HIDDEN_DEFAULT, OWN, READY_LABELS, SEED_MAX, WEIGHT_CHOICES,
                       WEIGHT_LABELS, WEIGHT_SCALE_RANGE, Controls)
from .models import SELECT_CUSTOM, resolve

URL = "query-params"
CONTROLS_KEY = "controls"               # session key: the Controls of the last run
LAST_GOOD = "last_good_sequence"        # session key: the last sequence that could be read


def controls() -> Controls:
    """Render the shared sidebar once per run and return what it selects."""
    links.leave_pages_directory_mode()
    if links.drawn_this_run("sequence") and CONTROLS_KEY in st.session_state:
        return st.session_state[CONTROLS_KEY]
    c = _sidebar()
    st.session_state[CONTROLS_KEY] = c
    return c


def _sidebar() -> Controls:
    notices = st.container()
    links.keys_to_labels()
    problems = links.url_problems({
        "hidden_size": (lambda v: links.int_param(v, 1, MAX_HIDDEN_SIZE), f"a whole number from 1 to {MAX_HIDDEN_SIZE}"),
        "seed": (lambda v: links.int_param(v, 0, SEED_MAX), f"a whole number from 0 to {SEED_MAX}"),
        "forget_bias": (lambda v: links.float_param(v, *FORGET_BIAS_RANGE), "a number from -3 to 6"),
        "weight_scale": (lambda v: links.float_param(v, *WEIGHT_SCALE_RANGE), "a number from 0.1 to 8"),
        "text_mode": (lambda v: v.lower() in ("true", "false"), "true or false"),
        "ready": (lambda v: v in READY_LABELS.values(), "the name or key of a ready sequence"),
        "weights": (lambda v: v in WEIGHT_LABELS.values(), "the name or key of a choice in the Weights box"),
    })
    asked = links.link_sequence()
    if asked is not None:
        st.session_state["sequence"], st.session_state["text_mode"] = asked
    seq = _sequence_section(notices)
    model = _model_section(notices, seq.input_size)
    T, H, L = seq.steps, model[-1].hidden, model[-1].layers
    problems += links.url_problems({   # only widgets drawn below: Streamlit drops their bad values from the URL
        "unit": (lambda v: links.int_param(v, 0, H - 1), f"a unit from 0 to {H - 1}"),
        **({"step": (lambda v: links.int_param(v, 0, T - 1), f"a step from 0 to {T - 1}")} if T > 1 else {}),
        **({"layer": (lambda v: links.int_param(v, 0, L - 1), f"a layer from 0 to {L - 1}")} if L > 1 else {}),
    })
    step, unit, layer = _where_section(T, H, L)
    if problems:
        notices.warning("This link had values that could not be used, so those are back at their defaults: "
                        + "; ".join(problems) + ".")
    (weights, hidden_size, seed, forget_bias, weight_scale, r) = model
    c = Controls(seq, hidden_size, seed, forget_bias, weight_scale, weights, r.source, r.model_key, r.kind,
                 r.hidden, r.layers, layer, step, unit)
    links.close_sidebar_after_navigation_on_phones()
    return c


def _sequence_section(notices) -> Sequence:
    sb = st.sidebar
    sb.header("Sequence")
    text = sb.text_area("Sequence", key="sequence", value=DEFAULT_TEXT, bind=URL, height=100,
                        label_visibility="collapsed",
                        help="Numbers: 0.5, -1, 2 (commas or one per line). Vectors: 1 0; 0 1 (rows by ; or new "
                             "lines). Text mode: every character is one step.")
    text_mode = sb.toggle("Text mode: one input per character", key="text_mode", value=False, bind=URL)
    try:
        seq = parse_sequence(text, text_mode, _chosen_vocabulary())
        st.session_state[LAST_GOOD] = seq
    except ValueError as e:
        seq = st.session_state.get(LAST_GOOD) or parse_sequence(DEFAULT_TEXT)
        notices.error(f"{e} Still showing the last sequence that could be read.")
    matches = next((k for k, r in READY.items() if r.text == text and r.text_mode == text_mode), OWN)
    if st.session_state.get("ready", DEFAULT_READY) != matches:
        st.session_state["ready"] = matches
    sb.selectbox("Ready sequences", (DEFAULT_READY, *(k for k in READY if k != DEFAULT_READY), OWN), key="ready",
                 bind=URL, on_change=_on_ready, format_func=READY_LABELS.get)
    T, D = seq.steps, seq.input_size
    what = (f", one-hot over {D} characters" if seq.text_mode else f" of {D} number{'s' if D > 1 else ''}")
    limit = f"{MAX_INPUT_SIZE} distinct characters" if seq.text_mode else f"{MAX_INPUT_SIZE} numbers per step"
    if seq.text_mode and _chosen_vocabulary():
        what, limit = f", one-hot over the character model's {D} characters", "any characters (unknown ones read as �)"
    sb.caption(f"{T} steps{what}. Limits: {MAX_STEPS} steps, {limit}.")
    return seq


def _chosen_vocabulary() -> str | None:
    """The vocabulary of the character model the Weights box holds (drawn below, so read from its state or
    the link), or None: a character model reads text one-hot over its own characters, not the text's."""
    key = st.session_state.get("weights")
    if key is None:
        key = next((k for k, label in WEIGHT_LABELS.items() if label == st.query_params.get("weights")), None)
    return PRESETS[key].vocabulary if key in PRESETS else None


def _model_section(notices, input_size: int) -> tuple:
    sb = st.sidebar
    sb.header("Model")
    if st.session_state.pop(SELECT_CUSTOM, False):
        st.session_state["weights"] = "custom"
    weights = sb.selectbox("Weights", WEIGHT_CHOICES, key="weights", bind=URL, on_change=_on_weights,
                           format_func=WEIGHT_LABELS.get)
    hidden_size = int(sb.number_input("Hidden size (units)", 1, MAX_HIDDEN_SIZE, HIDDEN_DEFAULT, 1,
                                      key="hidden_size", bind=URL))
    seed = int(sb.number_input("Seed", 0, SEED_MAX, 0, 1, key="seed", bind=URL))
    forget_bias = float(sb.slider("Forget-gate bias", *FORGET_BIAS_RANGE, 1.0, 0.5, key="forget_bias", bind=URL,
                                  help="Total bias of the forget gate: 1 starts every f near 0.73, 3 near 0.95."))
    weight_scale = float(sb.slider("Weight scale", *WEIGHT_SCALE_RANGE, 1.0, 0.1, key="weight_scale", bind=URL,
                                   help="Every random weight times this; 1 is PyTorch's default initialisation."))
    r = resolve(weights, input_size, hidden_size, seed, forget_bias, weight_scale)
    if r.caption:
        sb.caption(r.caption)
    if r.notice:
        getattr(notices, r.notice[0])(r.notice[1])
    if r.source != "random":
        sb.caption("Hidden size, seed, bias and scale apply to random weights only.")
    return weights, hidden_size, seed, forget_bias, weight_scale, r


def keep_in_range(key: str, lo: int, hi: int) -> None:
    """Pull a slider's kept value back inside [lo, hi] before it is drawn: a sequence that shrank (or grew back)
    under a page's slider would otherwise make Streamlit raise on every later run."""
    if key in st.session_state and lo <= hi:
        st.session_state[key] = min(max(int(st.session_state[key]), lo), hi)


def _where_section(T: int, H: int, L: int) -> tuple[int, int, int]:
    sb = st.sidebar
    sb.header("Where to look")
    for key, hi in (("step", T - 1), ("unit", H - 1), ("layer", L - 1)):
        if int(st.session_state.get(key, 0)) > hi:      # the sequence or model shrank under it
            st.session_state[key] = hi
    step = 0
    if T > 1:
        # value None/"min" (both mean 0 here) keeps Streamlit from logging a duplicate-state warning when the
        # step buttons or a shrinking sequence set these through st.session_state
        step = int(sb.slider("Step", 0, T - 1, None, 1, key="step", bind=URL,
                             help="The step the cell page shows; ← and → move it when the slider has focus."))
    unit = int(sb.number_input(f"Unit (0 to {H - 1})", 0, H - 1, "min", 1, key="unit", bind=URL))
    layer = int(sb.number_input(f"Layer (0 to {L - 1})", 0, L - 1, "min", 1, key="layer", bind=URL)) if L > 1 else 0
    return step, unit, layer


def _on_ready() -> None:
    key = st.session_state.get("ready")
    if key in READY:
        st.session_state["sequence"], st.session_state["text_mode"] = READY[key].text, READY[key].text_mode


def _on_weights() -> None:
    key = st.session_state.get("weights")
    last = st.session_state.get(LAST_GOOD)
    if key not in PRESETS or (last is not None and last.text_mode and PRESETS[key].text_mode):
        return    # a character model reads any typed text: keep the visitor's
    if last is None or last.input_size != PRESETS[key].input_size or last.text_mode != PRESETS[key].text_mode:
        st.session_state["sequence"], st.session_state["text_mode"] = PRESETS[key].sequence, PRESETS[key].text_mode
