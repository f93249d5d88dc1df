"""AppTest of the shared sidebar and its links: every control, bad input, links that restore a view,
the own-model slot."""
import pytest

from apptest_helpers import app as _app
from apptest_helpers import controls as _controls
from apptest_helpers import ok as _ok
from apptest_helpers import put_own_model, views

from lstm_viz import LSTM
from lstm_viz.presets import PRESETS
from lstm_viz.sequences import READY


def _page(name: str):
    return _app(name, timeout=120)


CHANGES = [("sequence", "text_area", "0.5, -1, 2, 0.3"), ("text_mode", "toggle", True),
           ("hidden_size", "number_input", 3), ("seed", "number_input", 5), ("forget_bias", "slider", 3.0),
           ("weight_scale", "slider", 2.5), ("step", "slider", 7), ("unit", "number_input", 4)]


@pytest.mark.parametrize("key, kind, value", CHANGES)
def test_each_shared_control_changes_what_is_drawn(key, kind, value):
    at = _app("cell")
    before = views(at)[0]
    getattr(at, kind)(key=key).set_value(value).run()
    _ok(at)
    assert getattr(_controls(at), key if key != "sequence" else "text") == value
    assert views(at)[0] != before           # (at step 0 the bias alone acts, so compare every step)


def test_bad_sequence_shows_one_error_and_keeps_the_last_good_one():
    at = _app("cell")
    at.text_area(key="sequence").set_value("0.5, -1, 2").run()
    at.text_area(key="sequence").set_value("1, 2, banana").run()
    _ok(at)
    assert len(at.error) == 1 and "'banana'" in at.error[0].value
    assert _controls(at).text == "0.5, -1, 2" and len(views(at)) == 1


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
    (view,) = views(_app("cell", query))
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
    assert len(views(at)) == 1
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
    put_own_model(at, model, "test model", "abc")
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


@pytest.mark.parametrize("value", ["inf", "-1e400"])
def test_a_link_with_non_finite_numbers_opens_with_defaults(value):
    # Streamlit 1.67's own URL seeding raises OverflowError for 'inf' in a number input
    at = _app("cell", dict(hidden_size=value, seed=value, unit=value, forget_bias=value, weight_scale=value,
                           step=value))
    c = _controls(at)
    assert (c.hidden_size, c.seed, c.unit, c.forget_bias, c.weight_scale, c.step) == (8, 0, 0, 1.0, 1.0, 0)


def test_the_character_model_reads_the_visitors_text_and_lets_go_of_it():
    """Choosing char_lstm keeps typed text (read over its 97-character vocabulary, past the 64 limit of typed
    inputs); going back to random weights reads the same text over its own characters again."""
    at = _app("cell")
    at.toggle(key="text_mode").set_value(True).run()
    at.text_area(key="sequence").set_value("print(x)").run()
    at.selectbox(key="weights").set_value("char_lstm").run()
    _ok(at)
    c = _controls(at)
    assert c.text == "print(x)" and c.model_source == "char_lstm" and c.sequence.input_size == 97
    assert not at.warning
    at.selectbox(key="weights").set_value("random").run()
    _ok(at)
    c = _controls(at)
    assert c.text == "print(x)" and c.model_source == "random" and c.sequence.input_size == len(set("print(x)"))


def test_page_links_with_values_a_widget_cannot_take():
    """A page's own parameters that Streamlit cannot seed (an infinite seed) are dropped with one warning."""
    at = _app("train", {"train_seed": "inf"}, timeout=120)
    assert len(at.warning) == 1 and "train_seed" in at.warning[0].value
