"""The cached comparison for the take-it-apart page: the sidebar's LSTM (its selected layer) and the same
weights changed, on the sidebar's sequence.

Layer: ui (imports streamlit for its cache). The numbers come from lstm_viz.apart; nothing is computed here.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from ..apart import Change, compare
from ..cells import LSTM_GATES, LSTM_VARIANTS
from ..stack import layer_input
from .controls import CUSTOM, RANDOM, Controls
from .models import current_model, custom_model, preset


GATES, VARIANTS = LSTM_GATES, LSTM_VARIANTS   # what the page offers to pin and to switch to


def readout(c: Controls):
    """(W (C, H), b (C,)) of the model's linear read-out when the page shows its top layer, else None."""
    if c.model_source == RANDOM or c.layer != c.layers - 1:
        return None
    loaded = custom_model()["loaded"] if c.model_source == CUSTOM else preset(c.model_source)
    W, b = getattr(loaded, "readout_weight", None), getattr(loaded, "readout_bias", None)
    return None if W is None else (W, b)


@st.cache_data(max_entries=16, ttl=1800, show_spinner=False)
def _compare(model_key: tuple, x_key: tuple, layer: int, change: tuple, _model, _x: np.ndarray, _readout):
    variant, pins, from_step, unit, seed = change
    cell = _model.layers[layer] if hasattr(_model, "layers") else _model
    return compare(cell, layer_input(_model, _x, layer), Change(variant, dict(pins), from_step, unit, seed),
                   _readout)


def take_apart(c: Controls, change: Change):
    """lstm_viz.apart.Comparison of the sidebar's model (selected layer) and its changed self on c.sequence."""
    key = (change.variant, tuple(sorted(change.clamp.items())), change.from_step, change.unit, change.seed)
    return _compare(c.model_key, c.sequence.key(), c.layer, key, current_model(c), c.values, readout(c))
