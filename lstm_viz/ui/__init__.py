"""The only package that imports streamlit: the shared sidebar, links, cached engine calls, per-session state.

Layer: ui. Imports streamlit, the engine, words, tables and figures; pages and app.py import this.
    controls    the Controls dataclass and every default and range
    links       every URL parameter and every touch of Streamlit's internals, one function each
    sidebar     the shared sidebar's three sections, drawn once per run: c = ui.controls()
    models      the chosen model resolved once, the custom-model slot, cached traces
    gradients   cached backward passes for the gradient page
    training    this session's training runs and lag sweeps
    upload      the visitor's own weights
    apart       the take-it-apart page's cached comparison
    tour        the guided tour: opens each stop, its bar, where to look
    cellview    the browser cell view; textview the text coloured by a unit; units, papers, queue: their pages'
                cached calls, the reproduce panel, the training queue

How pages use it:
    c = ui.controls()            # renders the shared sidebar (once per run) and returns a frozen Controls
    model = ui.current_model(c)  # the LSTM/GRU/RNN/Stack the controls select (random, preset or custom)
    tr = ui.layer_trace(c)       # its trace on c.sequence (one layer's, for stacks), from a bounded cache
"""
from . import tour
from . import apart
from .apart import take_apart
from .controls import CUSTOM, RANDOM, Controls
from .gradients import (MODELS, chosen_model_flow, chosen_model_input_size, chosen_model_name, gradient_flows,
                        probe_sequence, trained_flows)
from .links import copy_link, int_param, refuse_bad_page_params, share_url
from .models import (current_model, custom_model, layer_model, layer_trace, model_label, model_trace,
                     set_custom_model, trace_csv_bytes, weights_bytes)
from .sidebar import controls, keep_in_range
from .training import (SWEEP_LENGTHS, TRAIN_MODELS, TRAIN_BATCH, lag_sweep_points, request_training, run_npz, run_sentence,
                       sweep_figure, sweep_points, sweep_scores, sweep_sentence, train_side_by_side, trained_presets,
                       training_requested, training_runs, use_preset, use_run_model)
from .upload import (custom_fit_sentence, custom_layers_table, custom_summary, forget_custom_model, on_upload,
                     upload_error)

__all__ = ["apart", "tour", "take_apart", "CUSTOM", "RANDOM", "Controls", "MODELS", "chosen_model_flow", "chosen_model_input_size",
           "chosen_model_name", "gradient_flows", "probe_sequence", "trained_flows", "copy_link", "int_param", "refuse_bad_page_params", "share_url", "current_model", "custom_model",
           "layer_model", "layer_trace", "model_label", "model_trace", "set_custom_model", "trace_csv_bytes",
           "weights_bytes", "controls", "keep_in_range", "SWEEP_LENGTHS", "TRAIN_MODELS", "TRAIN_BATCH", "lag_sweep_points",
           "request_training", "run_npz", "run_sentence", "sweep_figure", "sweep_points", "sweep_scores", "sweep_sentence",
           "train_side_by_side", "trained_presets", "training_requested", "training_runs", "use_preset",
           "use_run_model", "custom_fit_sentence", "custom_layers_table", "custom_summary", "forget_custom_model",
           "on_upload", "upload_error"]
