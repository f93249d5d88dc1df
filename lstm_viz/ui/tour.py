"""The guided tour in the app: opens each stop (page and controls), shows its bar, and highlights where to look.

Layer: ui (imports streamlit). The stops and their words are lstm_viz.tour; the numbers come from the engine.
A stop lives in the URL as ?tour=N (1-based) beside the controls it set, so a teacher can link stop 4 in a slide;
the visitor can change anything at a stop, and leaving the tour keeps the view as it is.

app.py calls apply() before the sidebar (controls can only be set before their widgets are drawn) and bar()
after it.
"""
from __future__ import annotations

import streamlit as st

from .. import tour
from ..apart import Change, compare
from ..cells import LSTM
from ..presets import PRESETS
from ..sequences import parse_sequence
from ..tasks import chance, make_task
from ..train import evaluate
from .gradients import trained_flows
from .models import preset

PARAM = "tour"              # URL parameter: the stop shown, 1 to len(STOPS)
APPLIED = "tour_applied"    # session key: the stop whose controls were last set
GO = "tour_go"              # session key: the stop a button asked for (0-based), opened on the next run
LEAVE = "tour_leave"        # session key: the Leave button was pressed
STOPS = tour.STOPS


def current() -> int | None:
    """The stop in the URL (0-based), or None outside the tour or for a number that is not a stop."""
    raw = st.query_params.get(PARAM)
    return int(raw) - 1 if raw is not None and raw.isascii() and raw.isdecimal() and 1 <= int(raw) <= len(STOPS) else None


def start() -> None:
    """on_click: begin the tour at its first stop."""
    st.session_state[GO] = 0


def _go(n: int) -> None:
    st.session_state[GO] = n


def _leave() -> None:
    st.session_state[LEAVE] = True


def _set_controls(n: int) -> None:
    """Set the stop's controls in session state (before their widgets are drawn this run)."""
    state = dict(STOPS[n].state)
    key = state.get("weights")
    if key in PRESETS:   # a preset opens on its own sample sequence, as choosing it in the sidebar does
        st.session_state["sequence"], st.session_state["text_mode"] = PRESETS[key].sequence, PRESETS[key].text_mode
    for k, v in state.items():
        st.session_state[k] = v
    st.session_state[APPLIED] = n


def apply() -> None:
    """Before the sidebar: open the stop a button asked for, leave the tour, or set a linked stop's controls."""
    if st.session_state.pop(LEAVE, False):
        st.query_params.pop(PARAM, None)
        st.session_state.pop(APPLIED, None)
        return
    go = st.session_state.pop(GO, None)
    if go is not None:
        _set_controls(go)
        st.switch_page(STOPS[go].page, query_params={PARAM: str(go + 1)})
    n = current()
    if n is not None and st.session_state.get(APPLIED) != n:   # a link to a stop, opened afresh
        _set_controls(n)


def bar() -> None:
    """The tour's bar at the top of the page: the stop's words from the live numbers, Back / Next / Leave."""
    n = current()
    if n is None:
        return
    stop = STOPS[n]
    with st.container(border=True, key="tour_bar"):
        st.caption(f"Guided tour · stop {n + 1} of {len(STOPS)}")
        st.markdown(f"**{stop.title}**")
        for sentence in tour.say(n, _data(stop.data)):
            st.markdown(sentence)
        with st.container(horizontal=True):
            st.button("◀ Back", key="tour_back", on_click=_go, args=(n - 1,), disabled=n == 0)
            if n + 1 < len(STOPS):
                st.button("Next ▶", key="tour_next", on_click=_go, args=(n + 1,), type="primary")
            st.button("Leave the tour", key="tour_exit", on_click=_leave,
                      help="Keeps everything as it is now; the pages stay where the tour left them.")
    # where to look: the stop's element gets an outline in the theme's colour
    st.html(f"<style>.st-key-{stop.look} {{ outline: 3px solid var(--st-primary-color, #0072B2); "
            "outline-offset: 6px; border-radius: 0.5rem; }</style>")


def _data(which: str) -> dict:
    return {"latch": _latch, "gradients": _gradients, "training": _training, "apart": _apart}[which]()


@st.cache_data(max_entries=1, ttl=3600, show_spinner=False)
def _latch() -> dict:
    x = parse_sequence(PRESETS["latch"].sequence).values                     # (T, 2) value, store signal
    return {"trace": preset("latch").model.forward(x), "x": x}


def _gradients() -> dict:
    _, flows = trained_flows(("RNN", "LSTM"), 100, 0, None, False)
    return {"flows": flows, "k": 40}


@st.cache_data(max_entries=1, ttl=3600, show_spinner=False)
def _training() -> dict:
    trained = preset("lstm_adding")
    x = make_task("adding", 1, 50, seed=0).x[:, 0, :]                        # (T, 2)
    fresh = LSTM.random(2, trained.model.hidden_size, seed=0, forget_bias=2.0)   # the trainer's starting point
    test = make_task("adding", 1000, 50, seed=99)
    mse, _ = evaluate(trained.model, (trained.readout_weight, trained.readout_bias), test.x, test.y, False)
    return {"random_f": fresh.forward(x).f.mean(0), "trained_f": trained.model.forward(x).f.mean(0), "mse": mse,
            "chance": chance("adding")}


@st.cache_data(max_entries=1, ttl=3600, show_spinner=False)
def _apart() -> dict:
    x = parse_sequence(PRESETS["latch"].sequence).values
    return {"comparison": compare(preset("latch").model, x, Change(clamp={"f": 1.0})), "k": min(5, len(x) - 1)}

