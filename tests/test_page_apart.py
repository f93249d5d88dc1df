"""AppTest of the take-it-apart page: it opens on a pinned forget gate, every variant and pin, one unit only,
a GRU refused in one sentence; the sentence's numbers are the engine's."""
import numpy as np
import pytest

from apptest_helpers import app as _app
from apptest_helpers import array
from apptest_helpers import controls as _controls
from apptest_helpers import figures as _figures
from apptest_helpers import ok as _ok
from apptest_helpers import text as _text
from lstm_viz import LSTM
from lstm_viz.apart import Change, changed_model
from lstm_viz.cells import VARIANT_NAMES


@pytest.fixture(scope="module")
def apart():
    return _app("apart", timeout=120)


def test_opens_with_the_forget_gate_pinned_at_one(apart):
    c = _controls(apart)
    fig, = _figures(apart)
    m = LSTM.random(1, c.hidden_size, seed=c.seed, forget_bias=c.forget_bias)
    pinned = m.forward(c.values, clamp={"f": 1.0})
    np.testing.assert_allclose(array(fig["data"][1]["y"]), pinned.c[:, c.unit])   # the changed c
    np.testing.assert_allclose(array(fig["data"][0]["y"]), m.forward(c.values).c[:, c.unit])
    text = _text(apart)
    assert "With the forget gate pinned at 1, unit 0's cell state" in text
    assert f"{pinned.c[-1, 0]:+.2f}" in text                               # the number the sentence reads


@pytest.mark.parametrize("variant", VARIANT_NAMES[1:])
def test_every_variant(apart, variant):
    apart.radio(key="apart_mode").set_value("switch to a variant of the cell").run()
    apart.selectbox(key="apart_variant").set_value(variant).run()
    _ok(apart)
    fig, = _figures(apart)
    assert len(fig["data"]) == 6 and not apart.error
    c = _controls(apart)
    m = LSTM.random(1, c.hidden_size, seed=c.seed, forget_bias=c.forget_bias)
    want = changed_model(m, Change(variant=variant, seed=c.seed)).forward(c.values)
    np.testing.assert_allclose(array(fig["data"][1]["y"]), want.c[:, c.unit])       # the same weights, changed
    assert (want.c != m.forward(c.values).c).any()                                    # and the change shows


def test_pins_from_a_step_in_one_unit():
    at = _app("apart", timeout=120)
    at.toggle(key="apart_pin_i").set_value(True).run()                    # f = 1 and i = 0: c must not move
    _ok(at)
    assert "did not move at all" in _text(at)
    at.slider(key="apart_from").set_value(5).run()
    at.toggle(key="apart_one_unit").set_value(True).run()
    _ok(at)
    text = _text(at)
    assert "from step 5 on in unit 0" in text
    c = array(_figures(at)[0]["data"][1]["y"])
    assert np.all(c[5:] == c[4])                                          # frozen from step 5 on


def test_a_gru_is_refused_in_one_sentence():
    at = _app("apart", {"weights": "gru_adding"}, timeout=120)
    assert at.info and "Only an LSTM can be taken apart" in at.info[0].value and not _figures(at)


def test_a_shorter_sequence_pulls_the_sliders_back_inside_it():
    """Found by the protocol load test: after Sine (40 steps) k stood at 20, and typing a 10-step sequence
    raised StreamlitValueAboveMaxError on every later run of the page."""
    at = _app("apart", query={"ready": "sine"}, timeout=120)
    at.slider(key="apart_from").set_value(30).run()
    _ok(at)
    assert at.slider(key="apart_k").value == 20
    at.text_area(key="sequence").set_value("0.5, -1, 2, 0.3, 1, 0, 0, 1, 2, 3").run()
    _ok(at)
    assert at.slider(key="apart_k").value == 9 and at.slider(key="apart_from").value == 9
