"""The one module that imports streamlit: the shared sidebar, the link that reproduces a view, cached runs.

How pages use it:
    c = ui.controls()            # renders the shared sidebar (once per run) and returns a frozen Controls
    model = ui.current_model(c)  # the LSTM/GRU/RNN/Stack the controls select (random, preset or custom)
    tr = ui.layer_trace(c)       # its trace on c.sequence (one layer's, for stacks), from a bounded cache

Every shared widget lives in the URL (`bind="query-params"`, the key is the parameter name), and
app.py renders them before `st.navigation(...).run()`: widgets of the entry script keep their URL
parameters when the visitor moves between pages, so a link reproduces the same view on any page.
A link with values that cannot be used opens with defaults for those and one warning; a sequence
that cannot be read gets one error and the last good sequence stays.

Per-session state (st.session_state): the last good sequence and the custom model slot. Caches are
bounded and keyed on plain values; the custom model is keyed by a hash of its weights, so two
sessions never see each other's model (equal weights give equal traces).
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from urllib.parse import urlencode

import numpy as np
import streamlit as st

from ..cells import LSTM
from ..export import trace_csv, weights_npz
from ..limits import MAX_HIDDEN_SIZE, MAX_INPUT_SIZE, MAX_STEPS
from ..presets import PRESETS, load_preset
from ..sequences import DEFAULT_READY, DEFAULT_TEXT, READY, Sequence, parse_sequence

# ---------------------------------------------------------------------------------------------
# the shared controls: defaults and ranges, stated once

HIDDEN_DEFAULT = 8
SEED_MAX = 2**31 - 1
FORGET_BIAS_RANGE = (-3.0, 6.0)
WEIGHT_SCALE_RANGE = (0.1, 8.0)
OWN = "own"                 # value of the `ready` box when the text is the visitor's own
RANDOM, CUSTOM = "random", "custom"
WEIGHT_CHOICES = (RANDOM, *PRESETS, CUSTOM)
READY_LABELS = {OWN: "Your own (typed above)", **{k: v[0] for k, v in READY.items()}}
WEIGHT_LABELS = {RANDOM: "Random, from the settings below", **{k: p.title for k, p in PRESETS.items()},
                 CUSTOM: "Your own model (uploaded or trained)"}
# Select boxes put the label, not the key, in the URL, so links carry these labels.
DEFAULTS = dict(sequence=DEFAULT_TEXT, text_mode=False, ready=DEFAULT_READY, hidden_size=HIDDEN_DEFAULT, seed=0,
                forget_bias=1.0, weight_scale=1.0, weights=RANDOM, step=0, unit=0, layer=0)
_URL = "query-params"


@dataclass(frozen=True)
class Controls:
    """What the shared sidebar selects. Pages read it; only the sidebar writes it."""

    sequence: Sequence     # the parsed input: values (T, D), labels per step, text_mode, text
    hidden_size: int       # H of the random model (presets and custom models bring their own)
    seed: int              # seed of the random model's weights
    forget_bias: float     # total bias of the random model's forget gate
    weight_scale: float    # every random weight times this
    weights: str           # what the visitor chose: 'random', a preset key or 'custom'
    model_source: str      # what is shown: the same, or 'random' after a size mismatch
    model_key: tuple       # plain identity of the model shown (cache key)
    kind: str              # 'lstm', 'gru' or 'rnn'
    model_hidden: int      # H of the model shown
    layers: int            # layers of the model shown (stacks > 1)
    layer: int             # layer the pages show, 0 = bottom
    step: int              # selected step, 0..T-1
    unit: int              # selected unit, 0..H-1

    @property
    def values(self) -> np.ndarray:
        return self.sequence.values

    @property
    def labels(self) -> tuple[str, ...]:
        return self.sequence.labels

    @property
    def text_mode(self) -> bool:
        return self.sequence.text_mode

    @property
    def text(self) -> str:
        return self.sequence.text

    @property
    def steps(self) -> int:
        return self.sequence.steps

    def query(self) -> dict[str, str]:
        """URL parameters that reproduce this view (defaults left out, as Streamlit does)."""
        now = dict(sequence=self.text, text_mode=self.text_mode, hidden_size=self.hidden_size, seed=self.seed,
                   forget_bias=self.forget_bias, weight_scale=self.weight_scale, weights=self.weights,
                   step=self.step, unit=self.unit, layer=self.layer)
        out = {}
        for k, v in now.items():
            if v != DEFAULTS[k]:
                out[k] = WEIGHT_LABELS[v] if k == "weights" else str(v).lower() if isinstance(v, bool) else _plain(v)
        return out


def _plain(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


# ---------------------------------------------------------------------------------------------
# the custom model slot (filled by the upload and training pages)


def set_custom_model(loaded, name: str) -> None:
    """Put a model in this session's custom slot and select it on every page.

    loaded: anything with a `.model` (weights.Loaded, presets.Loaded, a training result) or a bare
    LSTM/GRU/RNN/Stack. name: one line shown in the sidebar. Inside an on_click/on_change callback the
    sidebar switches at once; from page code, call st.rerun() afterwards so the sidebar shows it.
    """
    model = getattr(loaded, "model", loaded)
    digest = hashlib.sha256()
    for k, a in sorted(model.state_dict().items()):
        digest.update(k.encode())
        digest.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    st.session_state["_custom"] = dict(loaded=loaded, model=model, name=str(name), id=digest.hexdigest()[:16])
    try:
        st.session_state["weights"] = CUSTOM
    except st.errors.StreamlitAPIException:   # the sidebar already drew the box this run
        st.session_state["_select_custom"] = True


def custom_model() -> dict | None:
    """This session's custom model: dict(loaded, model, name, id), or None."""
    return st.session_state.get("_custom")


def clear_custom_model() -> None:
    st.session_state.pop("_custom", None)


# ---------------------------------------------------------------------------------------------
# cached engine calls (bounded; keyed on plain values)


@st.cache_resource(max_entries=64, show_spinner=False)
def _random_model(D: int, H: int, seed: int, forget_bias: float, weight_scale: float) -> LSTM:
    return LSTM.random(D, H, seed=seed, forget_bias=forget_bias, weight_scale=weight_scale)


@st.cache_resource(max_entries=32, show_spinner=False)
def _preset(key: str):
    return load_preset(key)


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
        return _random_model(c.sequence.input_size, c.hidden_size, c.seed, c.forget_bias, c.weight_scale)
    if c.model_source == CUSTOM:
        return custom_model()["model"]
    return _preset(c.model_source).model


def model_trace(c: Controls):
    """The model's trace on the sequence: LSTMTrace/GRUTrace/RNNTrace, or StackTrace for stacks."""
    return _trace(c.model_key, c.sequence.key(), current_model(c), c.values)


def layer_trace(c: Controls):
    """One layer's trace (the selected layer of a stack)."""
    tr = model_trace(c)
    return tr.layers[c.layer] if hasattr(tr, "layers") else tr


def trace_csv_bytes(c: Controls) -> bytes:
    """The tidy CSV of the shown layer's trace (cached: the page offers it on every run)."""
    return _csv(c.model_key, c.sequence.key(), c.layer, layer_trace(c), c.labels)


def weights_bytes(c: Controls) -> bytes:
    return weights_npz(current_model(c))


def model_label(c: Controls) -> str:
    """One line naming the model shown."""
    if c.model_source == RANDOM:
        return (f"Random LSTM, {c.hidden_size} units, seed {c.seed}, forget bias {c.forget_bias:g}, "
                f"weight scale {c.weight_scale:g}")
    if c.model_source == CUSTOM:
        return custom_model()["name"]
    return PRESETS[c.model_source].title


# ---------------------------------------------------------------------------------------------
# the sidebar


def _rendered_this_run() -> bool:
    """Whether the sidebar's widgets already exist in this script run (app.py draws them before the page)."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        ctx = get_script_run_ctx()
        return ctx is not None and "sequence" in ctx.shared.widget_user_keys_this_run
    except Exception:  # noqa: BLE001  internal API moved: draw again rather than break the page
        return False


def _leave_pages_directory_mode() -> None:
    """Run app.py's navigation even when a fresh server's first visitor opens a page's address.

    Until some run calls st.navigation, Streamlit treats pages/ as a v1 pages directory and runs
    pages/cell.py alone for /cell: no page config, no navigation titles. A page that finds itself in
    that mode switches it off and reruns, and the rerun goes through app.py like every other.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # internal module moved: pages still work, only the first load looks plain
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def controls() -> Controls:
    """Render the shared sidebar once per run and return what it selects."""
    _leave_pages_directory_mode()
    if _rendered_this_run() and "_controls" in st.session_state:
        return st.session_state["_controls"]
    c = _sidebar()
    st.session_state["_controls"] = c
    return c


def _int_param(raw, lo: int, hi: int) -> bool:
    try:
        v = float(raw)
    except (TypeError, ValueError):
        return False
    return math.isfinite(v) and v == int(v) and lo <= v <= hi


def _float_param(raw, lo: float, hi: float) -> bool:
    try:
        v = float(raw)
    except (TypeError, ValueError):
        return False
    return math.isfinite(v) and lo <= v <= hi


def _url_problems(checks: dict) -> list[str]:
    """Names and accepted values of URL parameters that cannot be used; their widgets start at defaults."""
    out, bad = [], []
    for key, (ok, accepted) in checks.items():
        if key in st.query_params:
            raw = st.query_params.get_all(key)
            if len(raw) != 1 or not ok(raw[0]):
                shown = ", ".join(raw)[:30]
                out.append(f"{key}={shown!r} ({accepted})")
                bad.append(key)
    _drop_from_url(bad)
    return out


def _drop_from_url(keys: list[str]) -> None:
    """Forget refused URL values before their widgets read them, and take them out of the address bar.

    Streamlit resets most bad values itself, but a number input seeded with 'inf' or '1e400' raises
    OverflowError inside Streamlit 1.67 (its URL seeding catches only ValueError and TypeError), so
    the values are dropped first. Internal API: if it moves, the widgets still see the values, as before.
    """
    if not keys:
        return
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        with get_script_run_ctx().session_state.query_params() as qp:
            for key in keys:
                qp._initial_query_params.pop(key, None)
                qp.remove_param(key)
    except Exception:  # noqa: BLE001
        pass


def _keys_to_labels() -> None:
    """Let a hand-written link name a ready sequence or a weights choice by its short key
    (ready=sentence, weights=latch, as in sequences.READY and presets.PRESETS).

    The bound select boxes read and write their labels ("Sentence"), so a key is put in the URL as its
    label before the box reads it; label links are left as they are. Internal API, as in _drop_from_url:
    if it moves, a key link gets the usual "could not be used" warning instead.
    """
    for name, labels in (("ready", READY_LABELS), ("weights", WEIGHT_LABELS)):
        raw = st.query_params.get_all(name)
        if len(raw) != 1 or raw[0] not in labels or raw[0] in labels.values():
            continue
        try:
            from streamlit.runtime.scriptrunner import get_script_run_ctx
            with get_script_run_ctx().session_state.query_params() as qp:
                qp._initial_query_params[name] = [labels[raw[0]]]
                qp._set_item_internal(name, labels[raw[0]])
                qp._send_query_param_msg()
        except Exception:  # noqa: BLE001
            pass


def _ready_link_sequence() -> None:
    """A link that names a ready sequence (or only a preset) opens with that sequence (or the preset's
    sample), unless it brings a sequence of its own.

    Only on the session's first run (later the box's on_change does this). When the link's sequence wins,
    or names "own", the ready value is dropped so the box names what is shown, as it does after typing.
    """
    if st.session_state.get("_ready_link_done"):
        return
    st.session_state["_ready_link_done"] = True
    key = next((k for k, label in READY_LABELS.items() if label == st.query_params.get("ready")), None)
    if key is None:
        # a link naming only a preset opens on the preset's own sample sequence, as choosing it does
        preset = next((k for k, label in WEIGHT_LABELS.items() if label == st.query_params.get("weights")), None)
        if preset in PRESETS and "sequence" not in st.query_params and "text_mode" not in st.query_params:
            st.session_state["sequence"], st.session_state["text_mode"] = PRESETS[preset].sequence, False
        return
    if key not in READY or "sequence" in st.query_params or "text_mode" in st.query_params:
        _drop_from_url(["ready"])
    else:
        _, _, text, text_mode = READY[key]
        st.session_state["sequence"], st.session_state["text_mode"] = text, text_mode


def _on_ready() -> None:
    key = st.session_state.get("ready")
    if key in READY:
        _, _, text, text_mode = READY[key]
        st.session_state["sequence"], st.session_state["text_mode"] = text, text_mode


def _on_weights() -> None:
    key = st.session_state.get("weights")
    last = st.session_state.get("_last_good")
    if key in PRESETS and (last is None or last.input_size != PRESETS[key].input_size):
        st.session_state["sequence"], st.session_state["text_mode"] = PRESETS[key].sequence, False


def _prev_step() -> None:
    st.session_state["step"] = max(0, int(st.session_state.get("step", 0)) - 1)


def _next_step(T: int) -> None:
    st.session_state["step"] = min(T - 1, int(st.session_state.get("step", 0)) + 1)


def step_buttons(c: Controls, where=None) -> None:
    """◀ / ▶ buttons that move the shared step by one (a server round trip, unlike the figure's slider)."""
    where = where or st
    a, b = where.columns(2)
    a.button("◀ Previous step", key="_step_prev", on_click=_prev_step, disabled=c.step <= 0, width="stretch")
    b.button("Next step ▶", key="_step_next", on_click=_next_step, args=(c.steps,), disabled=c.step >= c.steps - 1,
             width="stretch")


def _sidebar() -> Controls:
    notices = st.container()
    warn: list[str] = []
    sb = st.sidebar
    _keys_to_labels()
    problems = _url_problems({
        "hidden_size": (lambda v: _int_param(v, 1, MAX_HIDDEN_SIZE), f"a whole number from 1 to {MAX_HIDDEN_SIZE}"),
        "seed": (lambda v: _int_param(v, 0, SEED_MAX), "a whole number from 0 to 2147483647"),
        "forget_bias": (lambda v: _float_param(v, *FORGET_BIAS_RANGE), "a number from -3 to 6"),
        "weight_scale": (lambda v: _float_param(v, *WEIGHT_SCALE_RANGE), "a number from 0.1 to 8"),
        "text_mode": (lambda v: v.lower() in ("true", "false"), "true or false"),
        "ready": (lambda v: v in READY_LABELS.values(), "the name or key of a ready sequence"),
        "weights": (lambda v: v in WEIGHT_LABELS.values(), "the name or key of a choice in the Weights box"),
    })
    _ready_link_sequence()

    # -- sequence ------------------------------------------------------------------------------
    sb.header("Sequence")
    text = sb.text_area("Sequence", key="sequence", value=DEFAULT_TEXT, bind=_URL, height=100,
                        label_visibility="collapsed",
                        help="Numbers: 0.5, -1, 2 (commas or one per line). Vectors: 1 0; 0 1 (rows by ; or new "
                             "lines). Text mode: every character is one step.")
    text_mode = sb.toggle("Text mode: one input per character", key="text_mode", value=False, bind=_URL)
    try:
        seq = parse_sequence(text, text_mode)
        st.session_state["_last_good"] = seq
    except ValueError as e:
        seq = st.session_state.get("_last_good") or parse_sequence(DEFAULT_TEXT)
        notices.error(f"{e} Still showing the last sequence that could be read.")
    T, D = seq.steps, seq.input_size
    matches = next((k for k, (_, _, t, m) in READY.items() if t == text and m == text_mode), OWN)
    if st.session_state.get("ready", DEFAULT_READY) != matches:
        st.session_state["ready"] = matches
    sb.selectbox("Ready sequences", (DEFAULT_READY, *(k for k in READY if k != DEFAULT_READY), OWN), key="ready",
                 bind=_URL, on_change=_on_ready,
                 format_func=READY_LABELS.get)
    if seq.text_mode:
        sb.caption(f"{T} steps, one-hot over {D} characters. Limits: {MAX_STEPS} steps, "
                   f"{MAX_INPUT_SIZE} distinct characters.")
    else:
        sb.caption(f"{T} steps of {D} number{'s' if D > 1 else ''}. Limits: {MAX_STEPS} steps, "
                   f"{MAX_INPUT_SIZE} numbers per step.")

    # -- model -----------------------------------------------------------------------------------
    sb.header("Model")
    if st.session_state.pop("_select_custom", False):
        st.session_state["weights"] = CUSTOM
    cm = custom_model()
    weights = sb.selectbox("Weights", WEIGHT_CHOICES, key="weights", bind=_URL, on_change=_on_weights,
                           format_func=WEIGHT_LABELS.get)
    hidden_size = int(sb.number_input("Hidden size (units)", 1, MAX_HIDDEN_SIZE, HIDDEN_DEFAULT, 1,
                                      key="hidden_size", bind=_URL))
    seed = int(sb.number_input("Seed", 0, SEED_MAX, 0, 1, key="seed", bind=_URL))
    forget_bias = float(sb.slider("Forget-gate bias", *FORGET_BIAS_RANGE, 1.0, 0.5, key="forget_bias", bind=_URL,
                                  help="Total bias of the forget gate: 1 starts every f near 0.73, 3 near 0.95."))
    weight_scale = float(sb.slider("Weight scale", *WEIGHT_SCALE_RANGE, 1.0, 0.1, key="weight_scale", bind=_URL,
                                   help="Every random weight times this; 1 is PyTorch's default initialisation."))

    source, model = weights, None
    if weights == CUSTOM and cm is None:
        notices.info("No model has been uploaded or trained in this session yet, so the page shows random weights.")
        source = RANDOM
    elif weights == CUSTOM:
        model = cm["model"]
        sb.caption(cm["name"])
    elif weights in PRESETS:
        try:
            model = _preset(weights).model
            sb.caption(PRESETS[weights].description)
        except ValueError as e:   # a preset file missing or damaged in this installation
            notices.error(f"The preset “{PRESETS[weights].title}” could not be loaded, so the page shows random "
                          f"weights: {e}")
            source = RANDOM
    if model is not None and model.input_size != D:
        notices.warning(f"The chosen model reads {model.input_size} input number{'s' if model.input_size > 1 else ''} "
                        f"per step but this sequence has {D}, so the page shows a random LSTM instead.")
        source, model = RANDOM, None
    if source == RANDOM:
        model_key = (RANDOM, D, hidden_size, seed, forget_bias, weight_scale)
        kind, H, L = "lstm", hidden_size, 1
    else:
        model_key = (CUSTOM, cm["id"]) if source == CUSTOM else (source,)
        kind, H, L = model.kind, model.hidden_size, getattr(model, "num_layers", 1)
    if source != RANDOM:
        sb.caption("Hidden size, seed, bias and scale apply to random weights only.")

    # -- where to look -----------------------------------------------------------------------------
    sb.header("Where to look")
    for key, hi in (("step", T - 1), ("unit", H - 1), ("layer", L - 1)):
        if int(st.session_state.get(key, 0)) > hi:      # the sequence or model shrank under it
            st.session_state[key] = hi
    problems += _url_problems({   # only widgets drawn below: Streamlit drops their bad values from the URL
        "unit": (lambda v: _int_param(v, 0, H - 1), f"a unit from 0 to {H - 1}"),
        **({"step": (lambda v: _int_param(v, 0, T - 1), f"a step from 0 to {T - 1}")} if T > 1 else {}),
        **({"layer": (lambda v: _int_param(v, 0, L - 1), f"a layer from 0 to {L - 1}")} if L > 1 else {}),
    })
    if T > 1:
        # value None/"min" (both mean 0 here) keeps Streamlit from logging a duplicate-state warning when the
        # step buttons or a shrinking sequence set these through st.session_state
        step = int(sb.slider("Step", 0, T - 1, None, 1, key="step", bind=_URL,
                             help="The step the cell page shows; ← and → move it when the slider has focus."))
    else:
        step = 0
    unit = int(sb.number_input(f"Unit (0 to {H - 1})", 0, H - 1, "min", 1, key="unit", bind=_URL))
    layer = int(sb.number_input(f"Layer (0 to {L - 1})", 0, L - 1, "min", 1, key="layer", bind=_URL)) if L > 1 else 0

    if problems:
        warn.append("This link had values that could not be used, so those are back at their defaults: "
                    + "; ".join(problems) + ".")
    for w in warn:
        notices.warning(w)
    c = Controls(seq, hidden_size, seed, forget_bias, weight_scale, weights, source, model_key, kind, H, L,
                 layer, step, unit)
    _share_link(c, sb)
    return c


def share_url(c: Controls) -> str:
    """The address of this page with the controls as parameters."""
    base = None
    try:
        base = st.context.url
    except Exception:  # noqa: BLE001  no browser (AppTest): a relative link still works
        base = None
    q = urlencode(c.query())
    return (base or "") + (f"?{q}" if q else "")


def _share_link(c: Controls, where) -> None:
    where.header("Share")
    where.caption("This link opens the same view, on this page, with the same step selected:")
    where.code(share_url(c), language=None, wrap_lines=True)


# --- app2: gradients, training, your model
# Cached calls and per-session state for pages/gradients.py, pages/train.py and pages/your_model.py.
# Session-state keys of this section start with "app2_"; nothing here is shared between sessions.

import io as _io  # noqa: E402
from dataclasses import replace as _replace  # noqa: E402
import pandas as _pd  # noqa: E402

from .. import reading as _reading  # noqa: E402
from .. import train as _train  # noqa: E402
from ..cells import CELLS as _CELLS  # noqa: E402
from ..figures_train import lag_sweep as _lag_sweep_figure  # noqa: E402
from ..flow import gradient_flow as _gradient_flow  # noqa: E402
from ..tasks import TASKS as _TASKS  # noqa: E402
from ..tasks import chance as _chance  # noqa: E402
from ..weights import Loaded as _Loaded  # noqa: E402
from ..weights import read_weights as _read_weights  # noqa: E402
from ..weights import save_model as _save_model  # noqa: E402

APP2_MODELS = ("RNN", "LSTM", "GRU")
SWEEP_LENGTHS = _train.SWEEP_LENGTHS
TRAIN_BATCH = _train.TrainConfig().batch_size


@st.cache_data(max_entries=16, show_spinner=False)
def probe_sequence(length: int, input_size: int, seed: int) -> np.ndarray:
    """The gradient page's generated input: standard-normal values, (T, D), the same for the same seed."""
    return np.random.default_rng(seed).normal(size=(int(length), int(input_size)))


@st.cache_data(max_entries=12, ttl=1800, show_spinner="Running the backward passes ...")
def gradient_flows(labels: tuple, x: np.ndarray, hidden_size: int, seed: int, forget_bias: float,
                   weight_scale: float, clip: float | None, jacobian: bool = False) -> dict:
    """label ('RNN', 'LSTM', 'GRU') -> Flow of a fresh random model with these settings reading x (T, D)."""
    out = {}
    for label in labels:
        model = _CELLS[label.lower()].random(x.shape[1], hidden_size, seed=seed, forget_bias=forget_bias,
                                             weight_scale=weight_scale)
        out[label] = _lean(_gradient_flow(model, x, seed=seed, clip=clip, jacobian=jacobian))
    return out


def _lean(flow):
    """The flow without its forward trace (about 9 MB at T=500, H=128, D=64), which no page draws."""
    return _replace(flow, trace=None)


@st.cache_data(max_entries=8, ttl=1800, show_spinner=False)
def _chosen_flow(model_key: tuple, x_key: tuple, layer: int, clip: float | None, jacobian: bool, _model,
                 _x: np.ndarray):
    layers = getattr(_model, "layers", None) or [_model]
    x = _x
    for below in layers[:layer]:            # a stack's layer k reads the hidden states of layer k-1
        x = below.forward(x).h
    return _lean(_gradient_flow(layers[layer], x, clip=clip, jacobian=jacobian))


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
        model, key, label = _preset(c.weights).model, (c.weights,), "the preset"
    if x.shape[1] != model.input_size:
        raise ValueError(f"it reads {model.input_size} numbers per step and this sequence has {x.shape[1]}.")
    layer = int(min(c.layer, getattr(model, "num_layers", 1) - 1))
    return label, _chosen_flow(key, (x.shape, x.tobytes()), layer, clip, jacobian, model, x)


def chosen_model_name(c: Controls) -> str:
    return custom_model()["name"] if c.weights == CUSTOM else PRESETS[c.weights].title


def forget_bias_table() -> "_pd.DataFrame":
    """The forget biases the gradient page talks about, with sigmoid(b) and sigmoid(b)^50."""
    return _pd.DataFrame([{"forget bias b": f"{b:g}", "f = sigmoid(b)": f"{s:.3f}",
                           "f^50 (left after 50 steps)": _reading.sci(p)} for b, s, p in _reading.forget_table()])


# -- training ---------------------------------------------------------------------------------


def train_side_by_side(task: str, length: int, labels, hidden_size: int, max_steps: int, max_seconds: float,
                       seed: int, every: float = 1.0):
    """Train each model in turn on the same budget; yield (fraction done, status text, runs) every ~`every` s.

    The trainer's clock runs while the page redraws, so redraws are kept to about one a second.

    runs (label -> dict of step, loss, test_step, test_loss, test_acc lists, `last` model and `final`
    result) lives in st.session_state["app2_runs"] while it grows, so a Stop click, which reruns the
    page and ends this loop, keeps what was trained so far.
    """
    runs: dict = {}
    st.session_state["app2_runs"] = dict(task=task, length=length, runs=runs, status="running")
    for n, label in enumerate(labels):
        run = dict(step=[], loss=[], test_step=[], test_loss=[], test_acc=[], last=None, final=None)
        runs[label] = run
        shown = -every
        for p in _train.train(task=task, length=length, kind=label.lower(), hidden_size=hidden_size,
                              max_steps=max_steps, max_seconds=max_seconds, seed=seed):
            run["step"].append(p.step)
            run["loss"].append(p.loss)
            if p.test_loss is not None:
                run["test_step"].append(p.step)
                run["test_loss"].append(p.test_loss)
                run["test_acc"].append(p.test_acc)
            run["last"] = dict(step=p.step, seconds=p.seconds, model=p.model, readout=p.readout)
            if p.done:
                run["final"] = dict(step=p.step, seconds=p.seconds, test_loss=p.test_loss, test_acc=p.test_acc,
                                    reason=p.reason)
            if p.done or p.seconds - shown >= every:
                shown = p.seconds
                part = min(1.0, max(p.step / max_steps, p.seconds / max_seconds))
                yield ((n + part) / len(labels), f"Training the {label}: step {p.step}, loss {p.loss:.4g}", runs)
    st.session_state["app2_runs"]["status"] = "done"


def request_training() -> None:
    """on_click of Start: a flag the page reads once (a callback, so the click survives any rerun)."""
    st.session_state["app2_start"] = True


def training_requested() -> bool:
    return bool(st.session_state.pop("app2_start", False))


def training_runs() -> dict | None:
    """This session's last training: dict(task, length, runs, status), or None."""
    return st.session_state.get("app2_runs")


def run_sentence(last: dict, label: str) -> str:
    """The final (or, if stopped, latest) test result of one model in words."""
    run = last["runs"][label]
    info = _TASKS[last["task"]]
    final = run["final"]
    if final is None:
        if not run["test_loss"]:
            return f"{label}: stopped before its first evaluation."
        final = dict(step=run["test_step"][-1], seconds=run["last"]["seconds"], test_loss=run["test_loss"][-1],
                     test_acc=run["test_acc"][-1])
    baseline = _chance(last["task"])
    why = {"seconds": " The time budget ran out first.", "target": " It reached the target early."}
    return (_reading.result_sentence(label, info.kind, final["test_loss"], final["test_acc"], baseline,
                                     final["step"], final["seconds"], TRAIN_BATCH) + why.get(final.get("reason"), ""))


def _trained_loaded(last: dict, label: str):
    m = last["runs"][label]["last"]
    model, (W, b) = m["model"], m["readout"]
    summary = (f"Trained here on {last['task']} at T={last['length']}: {'an' if label != 'GRU' else 'a'} {label} "
               f"with input size {model.input_size} and hidden size {model.hidden_size}, plus a linear read-out "
               f"to {W.shape[0]} output{'s' * (W.shape[0] > 1)}.")
    return _Loaded(model, W, b, "pytorch", summary)


def use_run_model(last: dict, label: str) -> None:
    """on_click: the trained model becomes this session's own model on every page."""
    set_custom_model(_trained_loaded(last, label), f"{label} trained on {last['task']} (T={last['length']})")


def run_npz(last: dict, label: str) -> bytes:
    """The trained model and its read-out as .npz (PyTorch names plus readout.weight / readout.bias)."""
    got = _trained_loaded(last, label)
    buf = _io.BytesIO()
    _save_model(buf, got.model, got.readout_weight, got.readout_bias)
    return buf.getvalue()


def trained_presets(task: str) -> dict:
    """The shipped presets trained on `task` whose weight files are present."""
    return {k: p for k, p in PRESETS.items() if p.task == task and p.path.exists()}


def use_preset(key: str) -> None:
    """on_click: select a shipped preset in the sidebar."""
    st.session_state["weights"] = key


def lag_sweep_points(task: str, lengths: tuple, labels, hidden_size: int, max_steps: int, total_seconds: float,
                     seed: int):
    """Yield each finished run of a lag sweep; the points so far live in st.session_state["app2_sweep"]."""
    points: list = []
    st.session_state["app2_sweep"] = dict(task=task, points=points, status="running")
    for p in _train.lag_sweep(task, tuple(lengths), tuple(label.lower() for label in labels), max_steps=max_steps,
                              total_seconds=total_seconds, hidden_size=hidden_size, seed=seed):
        points.append(p)
        yield p
    st.session_state["app2_sweep"]["status"] = "done"


def sweep_points() -> dict | None:
    return st.session_state.get("app2_sweep")


def _sweep_results(sweep: dict) -> tuple[dict, float, bool]:
    info = _TASKS[sweep["task"]]
    classify = info.kind == "classification"
    res: dict = {}
    for p in sweep["points"]:
        res.setdefault(p.kind.upper(), []).append((p.length, p.test_acc if classify else p.test_loss))
    return res, _chance(sweep["task"]), classify


def sweep_figure():
    """The lag-sweep plot of this session's last sweep."""
    sweep = sweep_points()
    res, baseline, classify = _sweep_results(sweep)
    return _lag_sweep_figure(res, baseline, "accuracy" if classify else "MSE", higher_is_better=classify)


def sweep_sentence() -> str:
    sweep = sweep_points()
    res, baseline, classify = _sweep_results(sweep)
    text = _reading.lag_sentence(res, baseline, "classification" if classify else "regression")
    return text if sweep["status"] == "done" else "Stopped early. " + text


# -- your own model -------------------------------------------------------------------------


def on_upload() -> None:
    """on_change of the upload box: read the file once; if it is valid weights it becomes this session's
    own model (selected in the sidebar at once), else its one-sentence refusal is kept for the page and
    the previous model stays."""
    uploaded = st.session_state.get("upload_file")
    st.session_state["app2_upload_error"] = None
    if uploaded is None:
        return
    try:
        loaded = _read_weights(uploaded.getvalue())
    except ValueError as e:
        st.session_state["app2_upload_error"] = f"{uploaded.name}: {e}"
        return
    set_custom_model(loaded, f"{uploaded.name}: {loaded.model.kind.upper()}, H={loaded.model.hidden_size}")


def upload_error() -> str | None:
    """Why the last uploaded file was refused, or None."""
    return st.session_state.get("app2_upload_error")


def forget_custom_model() -> None:
    """on_click: drop this session's own model and go back to random weights."""
    clear_custom_model()
    st.session_state["weights"] = RANDOM


def custom_summary() -> str:
    """What the session's own model is, in one sentence."""
    cm = custom_model()
    loaded = cm["loaded"]
    return getattr(loaded, "summary", None) or f"{cm['name']}."


def custom_layers_table() -> "_pd.DataFrame":
    """One row per layer of the session's own model: kind, sizes, largest singular value of W_hh."""
    model = custom_model()["model"]
    layers = getattr(model, "layers", None) or [model]
    return _pd.DataFrame([{"layer": k, "cell": m.kind.upper(), "input size": m.input_size,
                           "hidden size": m.hidden_size,
                           "largest singular value of W_hh": float(np.linalg.norm(m.weight_hh, 2))}
                          for k, m in enumerate(layers)])


def custom_fit_sentence(c: Controls) -> str:
    """Whether the shared sequence fits the own model, and what the other pages show."""
    model = custom_model()["model"]
    D = c.sequence.input_size
    if model.input_size != D:
        return (f"Your model reads {model.input_size} number{'s' * (model.input_size > 1)} per step, but the sidebar's "
                f"sequence has {D}: type a sequence with {model.input_size} number{'s' * (model.input_size > 1)} per "
                "step (rows split by ;) and every page runs your model on it.")
    where = f" (layer {c.layer}, chosen in the sidebar)" if getattr(model, "num_layers", 1) > 1 else ""
    return f"Every page now runs your model{where} on the sidebar's sequence of {c.sequence.steps} steps."
