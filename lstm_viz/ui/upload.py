"""The visitor's own weights: read an uploaded file once, keep its refusal or put it in the custom slot.

Layer: ui (imports streamlit for session state). Reading is lstm_viz.weights.read_weights; it never runs code.
"""
from __future__ import annotations

import streamlit as st

from ..tables import layers_table
from ..weights import read_weights
from .controls import RANDOM, Controls
from .models import clear_custom_model, custom_model, set_custom_model

ERROR_KEY = "upload_error"   # session key: why the last uploaded file was refused, or None
ACTIVATION_KEY = "upload_rnn_activation"   # widget key: the activation of an uploaded vanilla RNN


def on_upload() -> None:
    """on_change of the upload box: read the file once; if it is valid weights it becomes this session's
    own model (selected in the sidebar at once), else its one-sentence refusal is kept for the page and
    the previous model stays."""
    uploaded = st.session_state.get("upload_file")
    st.session_state[ERROR_KEY] = None
    if uploaded is None:
        return
    try:   # a file cannot say an RNN's activation (PyTorch keeps nonlinearity out of the state_dict): ask
        loaded = read_weights(uploaded.getvalue(), rnn_nonlinearity=st.session_state.get(ACTIVATION_KEY, "tanh"))
    except ValueError as e:
        st.session_state[ERROR_KEY] = f"{uploaded.name}: {e}"
        return
    set_custom_model(loaded, f"{uploaded.name}: {loaded.model.kind.upper()}, H={loaded.model.hidden_size}")


def upload_error() -> str | None:
    """Why the last uploaded file was refused, or None."""
    return st.session_state.get(ERROR_KEY)


def forget_custom_model() -> None:
    """on_click: drop this session's own model and go back to random weights."""
    clear_custom_model()
    st.session_state["weights"] = RANDOM


def custom_summary() -> str:
    """What the session's own model is, in one sentence."""
    cm = custom_model()
    return getattr(cm["loaded"], "summary", None) or f"{cm['name']}."


def custom_layers_table():
    """One row per layer of the session's own model: kind, sizes, largest singular value of W_hh."""
    return layers_table(custom_model()["model"])


def custom_fit_sentence(c: Controls) -> str:
    """Whether the shared sequence fits the own model, and what the other pages show."""
    model = custom_model()["model"]
    D = c.sequence.input_size
    if model.input_size != D:
        n = f"{model.input_size} number{'s' * (model.input_size > 1)}"
        return (f"Your model reads {n} per step, but the sidebar's sequence has {D}: type a sequence with {n} per "
                "step (rows split by ;) and every page runs your model on it.")
    where = f" (layer {c.layer}, chosen in the sidebar)" if getattr(model, "num_layers", 1) > 1 else ""
    return f"Every page now runs your model{where} on the sidebar's sequence of {c.sequence.steps} steps."
