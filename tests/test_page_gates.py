"""AppTest of the gates page: defaults and every shipped preset."""
import pytest

from apptest_helpers import app as _app
from apptest_helpers import controls as _controls
from apptest_helpers import figures as _figures
from apptest_helpers import ok as _ok
from apptest_helpers import text as _text

from lstm_viz.presets import PRESETS


def _page(name: str):
    return _app(name, timeout=120)




def test_gates_page_defaults():
    at = _app("gates")
    names = [len(f["data"]) for f in _figures(at)]
    assert len(names) == 3                                      # heatmaps, unit lines, saturation
    heat = _figures(at)[0]
    assert [t.get("name") for t in heat["data"][1:]] == ["i", "f", "g", "o", "c", "h"]
    assert [b.proto.label for b in at.get("download_button")][0].startswith("Full trace as CSV")


@pytest.fixture(scope="module")
def gates():
    return _app("gates")


@pytest.mark.parametrize("key", list(PRESETS))
def test_every_preset(gates, key):
    at = gates                               # one session walks through every preset, as a visitor would
    at.selectbox(key="weights").set_value(key).run()
    _ok(at)
    c = _controls(at)
    assert c.model_source == key and c.sequence.input_size == PRESETS[key].input_size   # its own sequence
    assert c.model_hidden == PRESETS[key].hidden_size and not at.warning
    assert PRESETS[key].title in _text(at)
    assert len(_figures(at)) == (2 if PRESETS[key].kind == "rnn" else 3)    # an RNN has no gates to saturate
