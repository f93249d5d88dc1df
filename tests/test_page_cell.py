"""AppTest of the cell page: the browser view gets every step of the trace once, every ready sequence and a
preset of each kind get their own diagram, the sidebar's step reaches the view without resending the trace,
other cells and stacks."""
import numpy as np
import pytest

from apptest_helpers import app as _app
from apptest_helpers import controls as _controls
from apptest_helpers import field, put_own_model, views
from apptest_helpers import figures as _figures
from apptest_helpers import ok as _ok
from lstm_viz import LSTM
from lstm_viz.presets import PRESETS
from lstm_viz.sequences import READY


@pytest.fixture(scope="module")
def cell():
    return _app("cell")


def test_cell_page_defaults(cell):
    c = _controls(cell)
    (view,) = views(cell)
    assert (view["kind"], view["T"], view["H"], view["shown"]) == ("lstm", c.steps, c.hidden_size, (c.step, c.unit))
    tr = LSTM.random(1, c.hidden_size, seed=0, forget_bias=1.0).forward(c.values)
    for q in ("i", "f", "g", "o", "c", "h"):                       # every step of every unit, in float32
        np.testing.assert_array_equal(field(view, q), getattr(tr, q).astype(np.float32))
    assert view["rows"] == ["i", "f", "g", "o", "c", "h"]          # the strip in the engine's gate order
    assert not _figures(cell) and [b.proto.label for b in cell.get("download_button")] == [
        "Download this animation (.html)"]


@pytest.mark.parametrize("key", list(READY))
def test_every_ready_sequence(cell, key):
    cell.selectbox(key="ready").set_value(key).run()
    _ok(cell)
    c = _controls(cell)
    assert c.text == READY[key].text and c.text_mode == READY[key].text_mode and not cell.error
    assert views(cell)[0]["T"] == c.steps


@pytest.mark.parametrize("kind", sorted({p.kind for p in PRESETS.values()}))
def test_cell_page_with_a_preset_of_each_kind(cell, kind):
    key = next(k for k in PRESETS if PRESETS[k].kind == kind)
    cell.selectbox(key="weights").set_value(key).run()
    _ok(cell)
    (view,) = views(cell)                                         # every kind gets its own diagram
    assert view["kind"] == kind and view["rows"][-1] == "h" and not cell.info
    cell.selectbox(key="weights").set_value("random").run()


def test_the_sidebar_step_reaches_the_view_without_resending_the_trace():
    at = _app("cell")
    frame = next(e.proto.bytes for e in at.get("bidi_component") if e.proto.component_name == "lstm_viz_cellview")
    at.slider(key="step").set_value(7).run()
    at.number_input(key="unit").set_value(3).run()
    assert views(at)[0]["shown"] == (7, 3)
    again = next(e.proto.bytes for e in at.get("bidi_component") if e.proto.component_name == "lstm_viz_cellview")
    assert again == frame          # the same message: the browser has it cached, only a reference is sent


@pytest.mark.parametrize("kind", ["gru", "rnn", "stack"])
def test_other_cells_and_stacks_on_both_pages(kind):
    from lstm_viz import GRU, RNN, Stack
    model = {"gru": lambda: GRU.random(1, 3, seed=2), "rnn": lambda: RNN.random(1, 3, seed=2),
             "stack": lambda: Stack([LSTM.random(1, 4, seed=1), LSTM.random(4, 4, seed=2)])}[kind]()
    at = _app("cell")
    put_own_model(at, model, f"a {kind}", kind)
    at.selectbox(key="weights").set_value("custom").run()
    _ok(at)
    c = _controls(at)
    assert c.model_source == "custom" and c.layers == (2 if kind == "stack" else 1)
    if kind == "stack":
        assert (views(at)[0]["layer"], views(at)[0]["layers"]) == (0, 2)
        at.number_input(key="layer").set_value(1).run()
        _ok(at)
        tr = model.forward(c.values).layers[1]
        (view,) = views(at)
        assert (view["layer"], view["layers"]) == (1, 2)                 # "layer 1 of 2" in the browser
        np.testing.assert_array_equal(field(view, "f"), tr.f.astype(np.float32))
    else:
        (view,) = views(at)
        assert view["kind"] == kind and not at.info
        np.testing.assert_array_equal(field(view, "h"), model.forward(c.values).h.astype(np.float32))
    at.switch_page("pages/gates.py").run()
    _ok(at)
    assert len(_figures(at)) >= 2


@pytest.mark.parametrize("model", ["nfg", "cifg", "peephole", "relu"])
def test_variants_and_relu_draw_on_the_cell_page_and_home(model):
    """A model trained here as 'LSTM nfg' (or uploaded as a relu RNN) opens on the cell page and home: the view
    gets the variant (a removed gate's pre-activation is NaN, not missing) and the engine's numbers."""
    from lstm_viz import RNN
    m = (RNN.random(1, 3, seed=2, nonlinearity="relu") if model == "relu"
         else LSTM.random(1, 3, seed=2, variant=model))
    at = _app("cell")
    put_own_model(at, m, model, model)
    at.selectbox(key="weights").set_value("custom").run()
    _ok(at)
    (view,) = views(at)
    assert view["variant"] == ("lstm" if model == "relu" else model)
    assert view["nonlinearity"] == ("relu" if model == "relu" else "tanh")
    np.testing.assert_array_equal(field(view, "h"), m.forward(_controls(at).values).h.astype(np.float32))
    home = _app()
    put_own_model(home, m, model, model)
    home.selectbox(key="weights").set_value("custom").run()
    _ok(home)
    assert views(home)[0]["variant"] == view["variant"] and views(home)[0]["compact"]
