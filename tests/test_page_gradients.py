"""AppTest of the vanishing-gradients page: defaults, every control, a preset model beside the random ones."""
import pytest

from apptest_helpers import app as _app
from apptest_helpers import figures as _figures
from apptest_helpers import ok as _ok
from apptest_helpers import text as _text


def _page(name: str):
    return _app(name, timeout=120)


CONTROLS = [("grad_source", "the sidebar's sequence"), ("grad_source", "a random sequence"), ("grad_length", 30),
            ("grad_models", ["RNN", "LSTM", "GRU"]), ("grad_jacobian", True), ("grad_jacobian", False), ("grad_clip", True),
            ("grad_clip_value", 0.05), ("forget_bias", 3.0), ("weight_scale", 0.5), ("hidden_size", 4), ("seed", 7)]


@pytest.fixture(scope="module")
def gradients():
    return _page("gradients")


def test_gradients_defaults(gradients):
    figs = _figures(gradients)
    assert len(figs) == 3                                   # norms, animation, cell split
    names = [t["name"] for t in figs[0]["data"]]
    assert names[:2] == ["RNN", "LSTM"] and "σ_max" in names[2]
    assert len(figs[1]["frames"]) == 60
    text = _text(gradients)
    assert "After 40 steps back, the RNN's gradient" in text and "the LSTM keeps" in text
    assert "Pascanu" in text and "sigmoid(1) = 0.73" in text
    assert gradients.table                                  # the forget-bias table


def test_gradients_each_control_changes_the_figures():
    at = _page("gradients")
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
    assert "After 10 steps back" in _text(at)
    at.get_by_key("forget_bias").set_value(-3.0).run()       # shut forget gates: the LSTM forgets too
    _ok(at)
    assert "forgets too" in _text(at)
    at.get_by_key("grad_models").set_value([]).run()
    _ok(at)
    assert at.warning and not _figures(at)


def test_gradients_with_a_preset_model():
    at = _page("gradients")
    at.get_by_key("weights").set_value("latch").run()            # hand-built, reads 2 numbers a step
    _ok(at)
    assert [t["name"] for t in _figures(at)[0]["data"]][:3] == ["RNN", "LSTM", "the preset"]
    at.get_by_key("grad_source").set_value("the sidebar's sequence").run()
    _ok(at)
