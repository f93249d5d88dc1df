"""AppTest of app.py (home), the cell page and the gates page: defaults, every ready sequence and preset,
every shared control by key, bad input, links. Figures are compared through the JSON sent to the browser, the
cell view through its payload (and the step and unit the sidebar hands it)."""

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lstm_viz import LSTM
from lstm_viz.presets import PRESETS

from apptest_helpers import APP
from apptest_helpers import figures as _figures
from apptest_helpers import ok as _ok
from apptest_helpers import text as _text
from lstm_viz.figures.cellview import decode
from lstm_viz.sequences import READY
from lstm_viz.ui.cellview import unframe


def _app(page: str | None = None, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(f"pages/{page}.py").run()
    _ok(at)
    return at


def _controls(at: AppTest):
    return at.session_state["_controls"]


def _views(at: AppTest) -> list[dict]:
    """The run's cell views: each one's payload (ui.cellview.unframe), with "shown" = the (step, unit) the
    sidebar hands it. The browser draws every step from the payload; no figure is sent."""
    elements = at.get("bidi_component")
    views = [unframe(e.proto.bytes) for e in elements if e.proto.component_name == "lstm_viz_cellview"]
    syncs = [json.loads(e.proto.json) for e in elements if e.proto.component_name == "lstm_viz_cellview_sync"]
    for view, sync in zip(views, syncs, strict=True):
        view["shown"] = (sync["step"], sync["unit"])
    return views


def _field(view: dict, q: str) -> np.ndarray:
    return decode(view["fields"][q], (view["T"], view["H"]))


@pytest.fixture(scope="module")
def cell():
    return _app("cell")


def test_home_explains_and_draws_a_live_cell():
    at = _app()
    text = _text(at)
    assert "short-term memory" in text and "long-term memory" in text and "forget" in text
    (view,) = _views(at)
    assert view["T"] == _controls(at).steps and view["compact"]  # the miniature plays the default sequence
    assert not at.error and not at.warning
    assert at.code and "?" not in at.code[0].value              # defaults: the share link has no parameters


def test_cell_page_defaults(cell):
    c = _controls(cell)
    (view,) = _views(cell)
    assert (view["kind"], view["T"], view["H"], view["shown"]) == ("lstm", c.steps, c.hidden_size, (c.step, c.unit))
    tr = LSTM.random(1, c.hidden_size, seed=0, forget_bias=1.0).forward(c.values)
    for q in ("i", "f", "g", "o", "c", "h"):                       # every step of every unit, in float32
        np.testing.assert_array_equal(_field(view, q), getattr(tr, q).astype(np.float32))
    assert not _figures(cell) and [b.proto.label for b in cell.get("download_button")] == [
        "Download this animation (.html)"]


def test_gates_page_defaults():
    at = _app("gates")
    names = [len(f["data"]) for f in _figures(at)]
    assert len(names) == 3                                      # heatmaps, unit lines, saturation
    heat = _figures(at)[0]
    assert [t.get("name") for t in heat["data"][1:]] == ["i", "f", "g", "o", "c", "h"]
    assert [b.proto.label for b in at.get("download_button")][0].startswith("Full trace as CSV")


@pytest.mark.parametrize("key", list(READY))
def test_every_ready_sequence(cell, key):
    cell.selectbox(key="ready").set_value(key).run()
    _ok(cell)
    c = _controls(cell)
    assert c.text == READY[key][2] and c.text_mode == READY[key][3] and not cell.error
    assert _views(cell)[0]["T"] == c.steps


SHIPPED = [k for k, p in PRESETS.items() if p.path.exists()]   # scripts/make_presets.py writes the files


def test_presets_are_shipped():
    assert {"latch", "counter"} <= set(SHIPPED)


@pytest.fixture(scope="module")
def gates():
    return _app("gates")


@pytest.mark.parametrize("key", SHIPPED)
def test_every_preset(gates, key):
    at = gates                               # one session walks through every preset, as a visitor would
    at.selectbox(key="weights").set_value(key).run()
    _ok(at)
    c = _controls(at)
    assert c.model_source == key and c.sequence.input_size == PRESETS[key].input_size   # its own sequence
    assert c.model_hidden == PRESETS[key].hidden_size and not at.warning
    assert PRESETS[key].title in _text(at)
    assert len(_figures(at)) == (2 if PRESETS[key].kind == "rnn" else 3)    # an RNN has no gates to saturate


@pytest.mark.parametrize("kind", sorted({p.kind for k, p in PRESETS.items() if k in SHIPPED}))
def test_cell_page_with_a_preset_of_each_kind(cell, kind):
    key = next(k for k in SHIPPED if PRESETS[k].kind == kind)
    cell.selectbox(key="weights").set_value(key).run()
    _ok(cell)
    (view,) = _views(cell)                                    # every kind gets its own diagram
    assert view["kind"] == kind and view["rows"][-1] == "h" and not cell.info
    cell.selectbox(key="weights").set_value("random").run()


CHANGES = [("sequence", "text_area", "0.5, -1, 2, 0.3"), ("text_mode", "toggle", True),
           ("hidden_size", "number_input", 3), ("seed", "number_input", 5), ("forget_bias", "slider", 3.0),
           ("weight_scale", "slider", 2.5), ("step", "slider", 7), ("unit", "number_input", 4)]


@pytest.mark.parametrize("key, kind, value", CHANGES)
def test_each_shared_control_changes_what_is_drawn(cell, key, kind, value):
    at = _app("cell")
    before = _views(at)[0]
    getattr(at, kind)(key=key).set_value(value).run()
    _ok(at)
    assert getattr(_controls(at), key if key != "sequence" else "text") == value
    assert _views(at)[0] != before          # (at step 0 the bias alone acts, so compare every step)


def test_the_sidebar_step_reaches_the_view_without_resending_the_trace(cell):
    at = _app("cell")
    (view,) = _views(at)
    frame = next(e.proto.bytes for e in at.get("bidi_component") if e.proto.component_name == "lstm_viz_cellview")
    at.slider(key="step").set_value(7).run()
    at.number_input(key="unit").set_value(3).run()
    assert _views(at)[0]["shown"] == (7, 3)
    again = next(e.proto.bytes for e in at.get("bidi_component") if e.proto.component_name == "lstm_viz_cellview")
    assert again == frame          # the same message: the browser has it cached, only a reference is sent


def test_bad_sequence_shows_one_error_and_keeps_the_last_good_one():
    at = _app("cell")
    at.text_area(key="sequence").set_value("0.5, -1, 2").run()
    at.text_area(key="sequence").set_value("1, 2, banana").run()
    _ok(at)
    assert len(at.error) == 1 and "'banana'" in at.error[0].value
    assert _controls(at).text == "0.5, -1, 2" and len(_views(at)) == 1


def test_a_link_restores_the_view_on_any_page():
    query = dict(sequence="1, 2, 3, 4, 5, 6, 7", hidden_size="16", seed="3", forget_bias="2.5", weight_scale="0.7",
                 step="5", unit="9")
    for page in (None, "cell", "gates"):
        at = _app(page, query)
        c = _controls(at)
        assert (c.text, c.hidden_size, c.seed, c.forget_bias, c.weight_scale, c.step, c.unit) == (
            "1, 2, 3, 4, 5, 6, 7", 16, 3, 2.5, 0.7, 5, 9)
        assert not at.warning and not at.error
        assert c.query() == query                               # the share link says the same
    (view,) = _views(_app("cell", query))
    assert view["shown"] == (5, 9) and view["labels"][5] == "6"          # "At step 5 (input 6)" in the browser


def test_a_link_to_a_preset_and_text_mode_round_trips():
    at = _app("cell")
    at.selectbox(key="weights").set_value("latch").run()
    at.slider(key="step").set_value(3).run()
    q = _controls(at).query()
    again = _app("cell", q)
    assert _controls(again).query() == q and _controls(again).model_source == "latch"
    text = _app("gates", dict(sequence="abcab", text_mode="true"))
    assert _controls(text).text_mode and _controls(text).sequence.channels == ("a", "b", "c")


def test_a_link_with_garbage_opens_with_defaults_and_one_warning():
    at = _app(None, dict(hidden_size="abc", seed="-4", forget_bias="nan", weight_scale="1e9", step="99",
                           unit="x", text_mode="maybe", weights="nope", sequence="1, 2, ∞"))
    c = _controls(at)
    assert (c.hidden_size, c.seed, c.forget_bias, c.weight_scale, c.step, c.unit, c.weights) == (
        8, 0, 1.0, 1.0, 0, 0, "random")
    assert len(at.warning) == 1 and "hidden_size='abc'" in at.warning[0].value and "step='99'" in at.warning[0].value
    assert len(at.error) == 1                                   # the sequence, in one sentence
    assert len(_views(at)) == 1
    at.switch_page("pages/cell.py").run()                       # Streamlit dropped them from the URL
    _ok(at)
    assert not at.warning and _controls(at).hidden_size == 8


@pytest.mark.parametrize("key", ["sentence", "sine"])
def test_a_link_may_name_a_ready_sequence_by_key_or_label(key):
    label, _, text, text_mode = READY[key]
    for given in (key, label):
        at = _app(None, dict(ready=given))
        assert not at.warning, (given, [w.value for w in at.warning])
        assert at.selectbox(key="ready").value == key and at.query_params["ready"] == label
        assert (_controls(at).text, _controls(at).text_mode) == (text, text_mode)    # the link loads it
        at.switch_page("pages/cell.py").run()                   # the box keeps it on the next page
        _ok(at)
        assert not at.warning and at.selectbox(key="ready").value == key and _controls(at).text == text
    at.text_area(key="sequence").set_value("5, 6, 7").run()     # typing makes it the visitor's own
    assert at.selectbox(key="ready").value == "own" and _controls(at).text == "5, 6, 7"


def test_a_link_may_name_a_preset_by_key_or_label():
    key = next(iter(PRESETS))
    for given in (key, PRESETS[key].title):
        at = _app(None, dict(weights=given))
        assert not at.warning, (given, [w.value for w in at.warning])
        assert at.selectbox(key="weights").value == key and at.query_params["weights"] == PRESETS[key].title
        assert _controls(at).text == PRESETS[key].sequence and _controls(at).model_source == key  # its own sample
    at = _app(None, dict(weights="no-such-preset"))                # neither a key nor a label: refused
    assert len(at.warning) == 1 and "weights='no-such-preset'" in at.warning[0].value


def test_a_ready_link_with_its_own_sequence_shows_that_sequence():
    at = _app(None, dict(ready="sine", sequence="1, 2, 3"))
    assert not at.warning and _controls(at).text == "1, 2, 3" and at.selectbox(key="ready").value == "own"
    at = _app(None, dict(ready="own"))
    assert not at.warning and _controls(at).text == READY["step"][2]
    at = _app(None, dict(ready="Sentences"))                    # neither a key nor a label: refused
    assert len(at.warning) == 1 and "ready='Sentences'" in at.warning[0].value


def test_custom_model_slot_and_size_mismatch():
    at = _app("cell")
    model = LSTM.random(2, 3, seed=1)
    at.session_state["_custom"] = dict(loaded=model, model=model, name="test model", id="abc")
    at.selectbox(key="weights").set_value("custom").run()
    _ok(at)
    assert _controls(at).model_source == "random" and "reads 2 input numbers" in at.warning[0].value
    at.text_area(key="sequence").set_value("1 0; 0 1; 1 1").run()
    c = _controls(at)
    assert c.model_source == "custom" and c.model_hidden == 3 and c.model_key == ("custom", "abc")
    assert not at.warning


def test_no_custom_model_yet_says_so():
    at = _app("gates")
    at.selectbox(key="weights").set_value("custom").run()
    _ok(at)
    assert "No model has been uploaded or trained" in at.info[0].value and _controls(at).model_source == "random"


@pytest.mark.parametrize("kind", ["gru", "rnn", "stack"])
def test_other_cells_and_stacks_on_both_pages(kind):
    from lstm_viz import GRU, RNN, Stack
    model = {"gru": lambda: GRU.random(1, 3, seed=2), "rnn": lambda: RNN.random(1, 3, seed=2),
             "stack": lambda: Stack([LSTM.random(1, 4, seed=1), LSTM.random(4, 4, seed=2)])}[kind]()
    at = _app("cell")
    at.session_state["_custom"] = dict(loaded=model, model=model, name=f"a {kind}", id=kind)
    at.selectbox(key="weights").set_value("custom").run()
    _ok(at)
    c = _controls(at)
    assert c.model_source == "custom" and c.layers == (2 if kind == "stack" else 1)
    if kind == "stack":
        assert (_views(at)[0]["layer"], _views(at)[0]["layers"]) == (0, 2)
        at.number_input(key="layer").set_value(1).run()
        _ok(at)
        tr = model.forward(c.values).layers[1]
        (view,) = _views(at)
        assert (view["layer"], view["layers"]) == (1, 2)                 # "layer 1 of 2" in the browser
        np.testing.assert_array_equal(_field(view, "f"), tr.f.astype(np.float32))
    else:
        (view,) = _views(at)
        assert view["kind"] == kind and not at.info
        np.testing.assert_array_equal(_field(view, "h"), model.forward(c.values).h.astype(np.float32))
    at.switch_page("pages/gates.py").run()
    _ok(at)
    assert len(_figures(at)) >= 2


@pytest.mark.parametrize("value", ["inf", "-1e400"])
def test_a_link_with_non_finite_numbers_opens_with_defaults(value):
    # Streamlit 1.67's own URL seeding raises OverflowError for 'inf' in a number input
    at = _app("cell", dict(hidden_size=value, seed=value, unit=value, forget_bias=value, weight_scale=value,
                           step=value))
    c = _controls(at)
    assert (c.hidden_size, c.seed, c.unit, c.forget_bias, c.weight_scale, c.step) == (8, 0, 0, 1.0, 1.0, 0)
