"""The model the sidebar chose, resolved once, and the cached engine calls every page shares.

Layer: ui (imports streamlit for its caches and this session's custom-model slot).
    resolve(...)             which model a page shows: random, a preset or the visitor's own, with a fallback
    current_model(c)         that model (LSTM/GRU/RNN/Stack), from a bounded cache
    layer_trace(c)           its trace on the sidebar's sequence (one layer's, for stacks)
Caches are bounded (max_entries, ttl) and keyed on plain values; the custom model is keyed by a hash of its
weights, so two sessions never see each other's model (equal weights give equal traces).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import streamlit as st

from ..cells import LSTM
from ..presets import PRESETS, load_preset
from ..tables import trace_csv
from ..weights import npz_bytes
from .controls import CUSTOM, RANDOM, Controls

CUSTOM_KEY = "custom_model"          # session key: dict(loaded, model, name, id) of the visitor's own model
SELECT_CUSTOM = "select_custom_model"  # session key: switch the Weights box to the own model on the next run


# ---------------------------------------------------------------------------------------------
# the custom model slot (filled by the upload and training pages)


def set_custom_model(loaded, name: str) -> None:
    """Put a model in this session's custom slot and select it on every page.

    loaded: anything with a `.model` (weights.Loaded, a preset, a training result) or a bare
    LSTM/GRU/RNN/Stack. name: one line shown in the sidebar. Inside an on_click/on_change callback the
    sidebar switches at once; from page code, call st.rerun() afterwards so the sidebar shows it.
    """
    model = getattr(loaded, "model", loaded)
    digest = hashlib.sha256()
    readout = {"readout.weight": getattr(loaded, "readout_weight", None), "readout.bias": getattr(loaded, "readout_bias", None)}
    arrays = {**model.state_dict(), **{k: a for k, a in readout.items() if a is not None}}   # equal ids, equal answers
    for k, a in sorted(arrays.items()):
        digest.update(k.encode())
        digest.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    st.session_state[CUSTOM_KEY] = dict(loaded=loaded, model=model, name=str(name), id=digest.hexdigest()[:16])
    try:
        st.session_state["weights"] = CUSTOM
    except st.errors.StreamlitAPIException:   # the sidebar already drew the box this run
        st.session_state[SELECT_CUSTOM] = True


def custom_model() -> dict | None:
    """This session's custom model: dict(loaded, model, name, id), or None."""
    return st.session_state.get(CUSTOM_KEY)


def clear_custom_model() -> None:
    st.session_state.pop(CUSTOM_KEY, None)


# ---------------------------------------------------------------------------------------------
# which model: resolved once per run


@dataclass(frozen=True)
class Resolved:
    """The model a page shows for the sidebar's choice, after any fallback."""

    source: str            # 'random', a preset key or 'custom'
    model_key: tuple       # plain identity of the model (cache key)
    kind: str              # 'lstm', 'gru' or 'rnn'
    hidden: int            # H
    layers: int            # 1, or a stack's layer count
    caption: str | None    # one line the sidebar shows under the Weights box
    notice: tuple | None   # (kind 'info' | 'warning' | 'error', sentence) when the choice fell back


def resolve(weights: str, input_size: int, hidden_size: int, seed: int, forget_bias: float,
            weight_scale: float) -> Resolved:
    """What to show for the Weights box's choice on a sequence of input_size numbers per step."""
    random = Resolved(RANDOM, (RANDOM, input_size, hidden_size, seed, forget_bias, weight_scale), "lstm",
                      hidden_size, 1, None, None)
    cm = custom_model()
    if weights == RANDOM:
        return random
    if weights == CUSTOM and cm is None:
        return _fallback(random, "info", "No model has been uploaded or trained in this session yet, so the page "
                                         "shows random weights.")
    if weights == CUSTOM:
        model, key, caption = cm["model"], (CUSTOM, cm["id"]), cm["name"]
    else:
        try:
            model, key, caption = preset_model(weights), (weights,), PRESETS[weights].description
        except ValueError as e:   # a preset file missing or damaged in this installation
            return _fallback(random, "error", f"The preset “{PRESETS[weights].title}” could not be loaded, so the "
                                              f"page shows random weights: {e}")
    if model.input_size != input_size:
        s = "s" if model.input_size > 1 else ""
        return _fallback(random, "warning", f"The chosen model reads {model.input_size} input number{s} per step "
                                            f"but this sequence has {input_size}, so the page shows a random LSTM "
                                            "instead.")
    return Resolved(weights, key, model.kind, model.hidden_size, getattr(model, "num_layers", 1), caption, None)


def _fallback(random: Resolved, kind: str, sentence: str) -> Resolved:
    return Resolved(random.source, random.model_key, random.kind, random.hidden, 1, None, (kind, sentence))


# ---------------------------------------------------------------------------------------------
# cached engine calls (bounded; keyed on plain values)


@st.cache_resource(max_entries=64, ttl=3600, show_spinner=False)
def random_model(D: int, H: int, seed: int, forget_bias: float, weight_scale: float) -> LSTM:
    return LSTM.random(D, H, seed=seed, forget_bias=forget_bias, weight_scale=weight_scale)


@st.cache_resource(max_entries=32, ttl=3600, show_spinner=False)
def preset(key: str):
    """The shipped preset (lstm_viz.presets.PresetModel); raises ValueError if its file is missing."""
    return load_preset(key)


def preset_model(key: str):
    return preset(key).model


@st.cache_data(max_entries=48, ttl=3600, show_spinner=False)
def _trace(model_key: tuple, x_key: tuple, _model, _x: np.ndarray):
    """The full forward trace; model_key and x_key identify _model and _x (which are not hashed)."""
    return _model.forward(_x)


@st.cache_data(max_entries=8, ttl=600, show_spinner=False)
def _csv(model_key: tuple, x_key: tuple, layer: int, _trace, labels: tuple) -> bytes:
    return trace_csv(_trace, labels)


def current_model(c: Controls):
    """The model the controls select (after any fallback)."""
    if c.model_source == RANDOM:
        return random_model(c.sequence.input_size, c.hidden_size, c.seed, c.forget_bias, c.weight_scale)
    if c.model_source == CUSTOM:
        return custom_model()["model"]
    return preset_model(c.model_source)


def model_trace(c: Controls):
    """The model's trace on the sequence: LSTMTrace/GRUTrace/RNNTrace, or StackTrace for stacks."""
    return _trace(c.model_key, c.sequence.key(), current_model(c), c.values)


def layer_trace(c: Controls):
    """One layer's trace (the selected layer of a stack)."""
    tr = model_trace(c)
    return tr.layers[c.layer] if hasattr(tr, "layers") else tr


def layer_model(c: Controls):
    """The cell of the selected layer (the model itself when it is not a stack)."""
    model = current_model(c)
    return model.layers[c.layer] if hasattr(model, "layers") else model


def trace_csv_bytes(c: Controls) -> bytes:
    """The tidy CSV of the shown layer's trace (cached: the page offers it on every run)."""
    return _csv(c.model_key, c.sequence.key(), c.layer, layer_trace(c), c.labels)


def weights_bytes(c: Controls) -> bytes:
    return npz_bytes(current_model(c))


def model_label(c: Controls) -> str:
    """One line naming the model shown."""
    if c.model_source == RANDOM:
        return (f"Random LSTM, {c.hidden_size} units, seed {c.seed}, forget bias {c.forget_bias:g}, "
                f"weight scale {c.weight_scale:g}")
    if c.model_source == CUSTOM:
        return custom_model()["name"]
    return PRESETS[c.model_source].title
