"""Cached backward passes for the gradient page: fresh random models side by side, and the sidebar's own model.

Layer: ui (imports streamlit for its caches). The numbers come from lstm_viz.flow; nothing is computed here.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import streamlit as st

from ..cells import CELLS
from ..flow import gradient_flow
from ..presets import PRESETS
from ..stack import layer_input
from ..tasks import make_task
from .controls import CUSTOM, RANDOM, Controls
from .models import custom_model, preset_model

MODELS = ("RNN", "LSTM", "GRU")   # what the gradient and training pages compare
TRAINED = {"RNN": "rnn_adding", "LSTM": "lstm_adding", "GRU": "gru_adding"}   # shipped, trained on the adding problem


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def probe_sequence(length: int, input_size: int, seed: int) -> np.ndarray:
    """The gradient page's generated input: standard-normal values, (T, D), the same for the same seed."""
    return np.random.default_rng(seed).normal(size=(int(length), int(input_size)))


@st.cache_data(max_entries=12, ttl=1800, show_spinner="Running the backward passes ...")
def gradient_flows(labels: tuple, x: np.ndarray, hidden_size: int, seed: int, forget_bias: float,
                   weight_scale: float, clip: float | None, jacobian: bool = False) -> dict:
    """label ('RNN', 'LSTM', 'GRU') -> Flow of a fresh random model with these settings reading x (T, D)."""
    out = {}
    for label in labels:
        model = CELLS[label.lower()].random(x.shape[1], hidden_size, seed=seed, forget_bias=forget_bias,
                                            weight_scale=weight_scale)
        out[label] = _lean(gradient_flow(model, x, seed=seed, clip=clip, jacobian=jacobian))
    return out


@st.cache_data(max_entries=12, ttl=1800, show_spinner="Running the backward passes ...")
def trained_flows(labels: tuple, length: int, seed: int, clip: float | None, jacobian: bool = False):
    """(x (T, 2), label -> Flow) of the shipped models trained on the adding problem, reading one adding-problem
    sequence of this length: the models whose gates learned what to keep."""
    x = make_task("adding", 1, int(length), seed=int(seed)).x[:, 0, :]          # (T, 2) value, marker
    flows = {label: _lean(gradient_flow(preset_model(TRAINED[label]), x, seed=seed, clip=clip, jacobian=jacobian))
             for label in labels}
    return x, flows


def _lean(flow):
    """The flow without its forward trace (about 9 MB at T=500, H=128, D=64), which no page draws."""
    return replace(flow, trace=None)


@st.cache_data(max_entries=8, ttl=1800, show_spinner=False)
def _chosen_flow(model_key: tuple, x_key: tuple, layer: int, clip: float | None, jacobian: bool, _model,
                 _x: np.ndarray):
    layers = getattr(_model, "layers", None) or [_model]
    return _lean(gradient_flow(layers[layer], layer_input(_model, _x, layer), clip=clip, jacobian=jacobian))


def chosen_model_input_size(c: Controls) -> int | None:
    """Input size of the preset or custom model the sidebar chose, or None for random weights."""
    if c.weights == RANDOM:
        return None
    if c.weights == CUSTOM:
        cm = custom_model()
        return None if cm is None else cm["model"].input_size
    return PRESETS[c.weights].input_size


def chosen_model_flow(c: Controls, x: np.ndarray, clip: float | None, jacobian: bool = False):
    """(label, Flow) of the sidebar's preset or custom model (its selected layer) on x, or None.

    Raises ValueError in one sentence when x does not have the model's input size.
    """
    if c.weights == RANDOM or (c.weights == CUSTOM and custom_model() is None):
        return None
    if c.weights == CUSTOM:
        cm = custom_model()
        model, key, label = cm["model"], (CUSTOM, cm["id"]), "your model"
    else:
        model, key, label = preset_model(c.weights), (c.weights,), "the preset"
    if x.shape[1] != model.input_size:
        raise ValueError(f"it reads {model.input_size} numbers per step and this sequence has {x.shape[1]}.")
    layer = int(min(c.layer, getattr(model, "num_layers", 1) - 1))
    return label, _chosen_flow(key, (x.shape, x.tobytes()), layer, clip, jacobian, model, x)


def chosen_model_name(c: Controls) -> str:
    return custom_model()["name"] if c.weights == CUSTOM else PRESETS[c.weights].title
