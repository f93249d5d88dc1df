"""The 'what a unit means' page's cached calls and links: the character model read over the visitor's text, its
units ranked, the connectivity of a trained LSTM and of untrained GRU and RNN twins, and one character changed.

Layer: ui (imports streamlit for its caches, callbacks and the URL). The numbers come from the engine
(lstm_viz.units, lstm_viz.influence), the view's frame from lstm_viz.figures.textview; nothing is computed here.
Caches are bounded (max_entries, ttl) and keyed on the text and plain values; the model is the shipped preset.
At 500 characters an entry is 0.5 MB (unit_states), 0.6 MB (frame), 0.3 MB (connectivity), 1.5 MB (changed);
the trace itself (9 MB, 10 ms to compute) is not kept.
"""
from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np
import streamlit as st

from .. import units, words
from ..cells import GRU, RNN
from ..figures.textview import CONNECTIVITY_STEPS, pack, text_view_data
from ..influence import Counterfactual, connectivity, counterfactual
from ..presets import PRESETS
from ..sequences import parse_sequence
from .models import preset
from .textview import reported

MODEL = "char_lstm"
VIEW_KEY = "textview"
TEXT_KEY, FIND_KEY, REGEX_KEY, SPAN_KEY = "units_text", "units_find", "units_regex", "units_span"
PICK_PARAM = "units_unit"        # URL parameter: the unit the view settled on, 'c71' (written by the view)
SPAN = "span"
FIND = {"bracket_depth": "bracket depth (brackets open)", "in_string": "inside a string literal",
        "line_position": "position in the line", "indentation": "indentation of the line",
        "in_comment": "inside a comment", units.REGEX: "a regular expression you type",
        SPAN: "a span you select in the text (how selectively a unit fires there)"}
HOW = {"bracket_depth": "the bracket depth", "in_string": "being inside a string literal",
       "line_position": "the position in the line", "indentation": "the indentation",
       "in_comment": "being inside a comment", units.REGEX: "the pattern's matches"}
KINDS = {"LSTM": "the trained LSTM", "GRU": "the untrained GRU", "RNN": "the untrained RNN"}   # left to right
TITLES = {"LSTM": "LSTM, trained", "GRU": "GRU, untrained (seed 0)", "RNN": "RNN, untrained (seed 0)"}
UNTRAINED_SEED = 0


def vocabulary() -> str:
    return PRESETS[MODEL].vocabulary


def description() -> str:
    return PRESETS[MODEL].description


def default_text() -> str:
    return PRESETS[MODEL].sequence


def read(text: str) -> str:
    """The text as the model reads it (new lines made \\n); ValueError, one sentence, if empty or too long."""
    return parse_sequence(text, text_mode=True, vocabulary=vocabulary()).text


def _inputs(text: str) -> np.ndarray:
    return parse_sequence(text, text_mode=True, vocabulary=vocabulary()).values          # (T, V) one-hot


def _forward(text: str):
    """The character model's trace on the text: about 10 ms at 500 characters, so it is not cached (9 MB)."""
    return preset(MODEL).model.forward(_inputs(text))


@st.cache_data(max_entries=16, ttl=1800, show_spinner=False)
def unit_states(text: str) -> np.ndarray:
    """(T, 2H) float32: every h unit, then every c unit, after each character (what units are ranked on)."""
    return units.states(_forward(text)).astype(np.float32)


@st.cache_resource(max_entries=2, ttl=3600, show_spinner=False)
def untrained(kind: str):
    """A GRU or RNN of the LSTM's sizes (97 inputs, 128 units), PyTorch's initial weights, seeded."""
    m = preset(MODEL).model
    return {"GRU": GRU, "RNN": RNN}[kind].random(m.input_size, m.hidden_size, seed=UNTRAINED_SEED)


class Measured(NamedTuple):
    values: np.ndarray     # (C, C) connectivity
    seconds: float         # how long it took to compute, once (cached afterwards)


@st.cache_data(max_entries=12, ttl=1800, show_spinner="Computing the connectivity of the first characters…")
def connectivity_of(text: str, kind: str) -> Measured:
    """||dh_t/dx_s|| (C, C) over the first CONNECTIVITY_STEPS characters, for 'LSTM' (trained) or 'GRU'/'RNN'
    (untrained), and what it cost."""
    model = preset(MODEL).model if kind == "LSTM" else untrained(kind)
    start = time.perf_counter()
    C = connectivity(model, _inputs(text)[:CONNECTIVITY_STEPS])
    return Measured(C, time.perf_counter() - start)


@st.cache_data(max_entries=8, ttl=1800, show_spinner=False)
def frame(text: str, key: str = VIEW_KEY) -> bytes:
    """The text view's frame for the text (every unit, the guesses, the LSTM's connectivity), mounted as `key`."""
    p = preset(MODEL)
    tr = _forward(text)
    guesses = units.top_guesses((p.readout_weight, p.readout_bias), tr.h)
    title = PRESETS[MODEL].title
    conn = connectivity_of(text, "LSTM").values
    return pack(text_view_data(text, tr, guesses, vocabulary(), conn, title), target=key)


class Found(NamedTuple):
    """Units ranked for the page."""

    top: list              # lstm_viz.units.Ranked, best first
    sentence: str          # what the best ones do, in words
    title: str             # the view's heading over its chips
    span: tuple | None     # (first, last) when ranked by selectivity on a span


def ranking(text: str, find: str, pattern: str = "", span: str = "") -> Found:
    """The units ranked by `find` (a feature, REGEX with `pattern`, or SPAN with `span` typed as 'first-last');
    ValueError, one sentence, when they cannot be."""
    values = unit_states(text)                                         # (T, 2H)
    if find == SPAN:
        first, last = units.parse_span(span, len(text))
        top = units.ranked(units.selectivity(values, units.span_mask(len(text), first, last)))
        return Found(top, words.ranking_sentence(top, "", len(text), (first, last)),
                     f"Most selective on {first}-{last} (d):", (first, last))
    top = units.ranked(units.follows(values, units.feature(text, find, pattern)))
    how = HOW.get(find, find)
    return Found(top, words.ranking_sentence(top, how, len(text)), f"Follow {how} best (r):", None)


@st.cache_data(max_entries=8, ttl=1800, show_spinner=False)
def changed(text: str, position: int, replacement: str) -> Counterfactual:
    """lstm_viz.influence.Counterfactual of the model on the text and on it with one character replaced; only
    what the page shows is kept (which steps changed, the differences as float32), not the two traces."""
    after = units.with_character(text, position, replacement)
    cf = counterfactual(preset(MODEL).model, _inputs(text), _inputs(after))
    return Counterfactual(cf.changed, None, None, {q: d.astype(np.float32) for q, d in cf.delta.items()})


# ---------------------------------------------------------------------------------------------
# links: the unit the view shows lives in the URL as units_unit=c71, written when the view settles


def shown_pick(top: list, H: int = 128) -> str:
    """The unit to show: the link's, else the best ranked, else c0."""
    raw = st.query_params.get(PICK_PARAM, "")
    if len(raw) > 1 and raw[0] in "hc" and raw[1:].isdigit() and int(raw[1:]) < H:
        return raw
    return f"{top[0].state}{top[0].unit}" if top else "c0"


def forget_pick() -> None:
    """A new text or ranking shows its best unit: the link's unit is dropped."""
    st.query_params.pop(PICK_PARAM, None)


def on_pick() -> None:
    value = reported(VIEW_KEY, "pick")
    if isinstance(value, str) and len(value) > 1 and value[0] in "hc" and value[1:].isdigit():
        st.query_params[PICK_PARAM] = value


def on_span() -> None:
    """A span selected in the view ranks units by selectivity on it."""
    value = reported(VIEW_KEY, "span")
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
        typed = f"{min(value)}-{max(value)}"
        st.session_state[FIND_KEY] = SPAN
        st.session_state[SPAN_KEY] = typed
        st.query_params[SPAN_KEY] = typed      # the box may not have been drawn last run: then Streamlit leaves the URL
        forget_pick()

