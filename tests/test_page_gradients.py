"""AppTest of the vanishing-gradients page: it opens on trained models that make its point, every control,
random-weight what-ifs with a preset beside them, and the k it reads marked on the chart."""
import numpy as np
import pytest

from apptest_helpers import app as _app
from apptest_helpers import figures as _figures
from apptest_helpers import ok as _ok
from apptest_helpers import text as _text
from lstm_viz import gradient_flow
from lstm_viz.presets import load_preset
from lstm_viz.tasks import make_task

RANDOM = "random weights (the sidebar's settings)"


def _page():
    return _app("gradients", timeout=120)


CONTROLS = [("grad_source", "the sidebar's sequence"), ("grad_source", "a random sequence"), ("grad_length", 30),
            ("grad_models", ["RNN", "LSTM", "GRU"]), ("grad_jacobian", True), ("grad_jacobian", False),
            ("grad_clip", True), ("grad_clip_value", 0.05), ("forget_bias", 3.0), ("weight_scale", 0.5),
            ("hidden_size", 4), ("seed", 7)]


@pytest.fixture(scope="module")
def gradients():
    return _page()


def test_opens_on_trained_models_whose_lstm_keeps_the_gradient(gradients):
    figs = _figures(gradients)
    assert len(figs) == 3                                   # norms, animation, cell split
    names = [t["name"] for t in figs[0]["data"]]
    assert names[:2] == ["RNN", "LSTM"] and "σ_max" in names[2]
    x = make_task("adding", 1, 100, seed=0).x[:, 0, :]     # the page's default sequence
    for label, key in (("RNN", "rnn_adding"), ("LSTM", "lstm_adding")):
        want = gradient_flow(load_preset(key).model, x, jacobian=False).grad_h
        np.testing.assert_allclose(np.array(figs[0]["data"][names.index(label)]["y"], float), want, rtol=1e-9)
    rnn, lstm = (np.array(figs[0]["data"][i]["y"], float)[40] for i in (0, 1))
    assert lstm > 1e6 * rnn                                 # the headline holds at defaults
    text = _text(gradients)
    assert "After 40 steps back, the RNN's gradient" in text and "the LSTM keeps" in text
    assert "forgets too" not in text and "most open" in text  # the trained LSTM's gates stay open
    assert figs[0]["layout"]["shapes"][0]["x0"] == 40      # the k both paragraphs read, marked on the chart
    assert "Pascanu" in text and "after 40 steps" in text


def test_random_what_ifs_and_every_control():
    at = _page()
    at.get_by_key("grad_compare").set_value(RANDOM).run()
    _ok(at)
    assert "sigmoid(1) = 0.7311, and 0.7311^40 = " in _text(at) and at.table    # the same k as the chart
    for key, value in CONTROLS:
        before = _figures(at)
        at.get_by_key(key).set_value(value).run()
        _ok(at)
        after = _figures(at)
        assert after[0] != before[0], key                    # the main plot
        if key not in ("grad_jacobian", "grad_clip", "grad_clip_value"):      # clipping keeps every ratio
            assert after[1]["data"] != before[1]["data"], key    # the animation
    # clipping at 0.05: the largest norm drawn is the threshold, and the page says the ratios stay
    assert "Clipping scaled" in _text(at)
    assert max(v for v in _figures(at)[0]["data"][0]["y"] if v is not None) == pytest.approx(0.05)
    at.get_by_key("grad_k").set_value(10).run()
    assert "After 10 steps back" in _text(at) and _figures(at)[0]["layout"]["shapes"][0]["x0"] == 10
    at.get_by_key("forget_bias").set_value(-3.0).run()       # shut forget gates: the LSTM forgets too
    _ok(at)
    assert "forgets too" in _text(at)
    at.get_by_key("grad_models").set_value([]).run()
    _ok(at)
    assert at.warning and not _figures(at)


def test_a_preset_model_joins_the_random_ones():
    at = _page()
    at.get_by_key("grad_compare").set_value(RANDOM).run()
    at.get_by_key("weights").set_value("latch").run()            # hand-built, reads 2 numbers a step
    _ok(at)
    assert [t["name"] for t in _figures(at)[0]["data"]][:3] == ["RNN", "LSTM", "the preset"]
    at.get_by_key("grad_source").set_value("the sidebar's sequence").run()
    _ok(at)


def test_the_terms_are_explained(gradients):
    body = "\n".join(m.value for m in gradients.markdown)
    for term in ("Jacobian", "Pascanu bound", "3.7e-8", "cell path"):
        assert f"**{term}**" in body
