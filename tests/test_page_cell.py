"""AppTest of the cell page: defaults, every ready sequence, a preset of each kind, the step buttons,
other cells and stacks."""
import numpy as np
import pytest

from apptest_helpers import app as _app
from apptest_helpers import controls as _controls
from apptest_helpers import figures as _figures
from apptest_helpers import ok as _ok
from apptest_helpers import put_own_model
from apptest_helpers import text as _text

from lstm_viz import LSTM
from lstm_viz.presets import PRESETS
from lstm_viz.sequences import READY


def _page(name: str):
    return _app(name, timeout=120)


@pytest.fixture(scope="module")
def cell():
    return _app("cell")


def test_cell_page_defaults(cell):
    c = _controls(cell)
    fig, = _figures(cell)
    assert len(fig["frames"]) == c.steps and fig["layout"]["sliders"][0]["active"] == c.step
    text = _text(cell)
    tr = LSTM.random(1, c.hidden_size, seed=0, forget_bias=1.0).forward(c.values)
    assert f"the forget gate kept {100 * tr.f[0, 0]:.0f}% of unit 0's memory" in text
    assert len(cell.get("latex")) >= 6
    (table,) = cell.dataframe
    np.testing.assert_allclose(table.value["f"].to_numpy(), tr.f[0])


@pytest.mark.parametrize("key", list(READY))
def test_every_ready_sequence(cell, key):
    cell.selectbox(key="ready").set_value(key).run()
    _ok(cell)
    c = _controls(cell)
    assert c.text == READY[key][2] and c.text_mode == READY[key][3] and not cell.error
    assert len(_figures(cell)[0]["frames"]) == c.steps


@pytest.mark.parametrize("kind", sorted({p.kind for p in PRESETS.values()}))
def test_cell_page_with_a_preset_of_each_kind(cell, kind):
    key = next(k for k in PRESETS if PRESETS[k].kind == kind)
    cell.selectbox(key="weights").set_value(key).run()
    _ok(cell)
    if kind == "lstm":
        assert len(_figures(cell)) == 1
    else:
        assert "draws an LSTM cell" in cell.info[0].value and cell.dataframe and not _figures(cell)
    cell.selectbox(key="weights").set_value("random").run()


def test_step_buttons_move_the_shared_step(cell):
    at = _app("cell")
    at.button(key="step_next").click().run()
    at.button(key="step_next").click().run()
    assert _controls(at).step == 2 and at.slider(key="step").value == 2
    at.button(key="step_prev").click().run()
    assert _controls(at).step == 1


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
        assert len(_figures(at)) == 1
        at.number_input(key="layer").set_value(1).run()
        _ok(at)
        tr = model.forward(c.values).layers[1]
        assert f"kept {100 * tr.f[0, 0]:.0f}%" in _text(at)
    else:
        assert "draws an LSTM cell" in at.info[0].value and not _figures(at) and at.dataframe
    at.switch_page("pages/gates.py").run()
    _ok(at)
    assert len(_figures(at)) >= 2
