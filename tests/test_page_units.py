"""AppTest of the 'what a unit means' page: it renders at defaults with the text view's frame, every unit in it;
a typed regex or span ranks units with the engine's numbers; the counterfactual heatmap follows the changed
character and the quantity; bad input shows one error and no exception."""
import json

import numpy as np
import pytest

from apptest_helpers import app as _app
from apptest_helpers import array
from apptest_helpers import figures as _figures
from apptest_helpers import ok as _ok
from apptest_helpers import text as _text
from lstm_viz.figures.textview import unpack
from lstm_viz.influence import counterfactual
from lstm_viz.presets import PRESETS, load_preset
from lstm_viz.sequences import parse_sequence
from lstm_viz.units import REGEX, regex_feature, selectivity, span_mask, states, with_character

SAMPLE = PRESETS["char_lstm"].sequence
VOC = PRESETS["char_lstm"].vocabulary


def _x(text):
    return parse_sequence(text, True, VOC).values


def _trace(text=SAMPLE):
    return load_preset("char_lstm").model.forward(_x(text))


def _view(at) -> tuple[dict, dict]:
    """(the text view's frame, unpacked; what the server handed it: pick, ranking, span)."""
    elements = at.get("bidi_component")
    frame, = [unpack(e.proto.bytes) for e in elements if e.proto.component_name == "lstm_viz_textview"]
    sync, = [json.loads(e.proto.json) for e in elements if e.proto.component_name == "lstm_viz_textview_sync"]
    return frame, sync


@pytest.fixture(scope="module")
def units():
    return _app("units", timeout=180)


def test_renders_at_defaults_with_every_unit_in_the_view(units):
    frame, sync = _view(units)
    assert frame["header"]["text"] == SAMPLE and (frame["header"]["T"], frame["header"]["H"]) == (len(SAMPLE), 128)
    assert {"i", "f", "g", "o", "c", "h", "guess_ids", "guess_p", "conn"} <= frame["arrays"].keys()
    assert frame["header"]["conn_steps"] == len(SAMPLE)                   # under 200 characters: all of them
    assert sync["pick"] == "c71" and sync["ranking"][0][:2] == ["c", 71]   # the bracket-depth unit
    text = _text(units)
    assert "c[71] follows the bracket depth best" in text and "Only the LSTM is trained" in text
    assert "still moves c[71]" in text                                    # the default change: ')' -> '('
    assert len(_figures(units)) == 4 and not units.error


def test_a_typed_regex_ranks_units_by_the_engines_r():
    at = _app("units", timeout=180)
    at.selectbox(key="units_find").set_value(REGEX).run()
    at.text_input(key="units_regex").set_value(r"name").run()
    _ok(at)
    _, sync = _view(at)
    state, unit, score = sync["ranking"][0]
    tr = _trace()
    column = (tr.h if state == "h" else tr.c)[:, unit]
    r = np.corrcoef(column, regex_feature(SAMPLE, "name"))[0, 1]
    assert score == pytest.approx(r, abs=1e-4)
    every = np.array([np.corrcoef(col, regex_feature(SAMPLE, "name"))[0, 1] for col in states(tr).T])
    assert abs(r) == pytest.approx(np.abs(every).max())                   # and no unit follows it better
    assert f"{state}[{unit}] follows the pattern's matches best: r = {r:+.2f}" in _text(at)
    assert sync["pick"] == f"{state}{unit}"                                # the view shows the new best


def test_a_typed_span_ranks_units_by_selectivity():
    at = _app("units", timeout=180)
    at.selectbox(key="units_find").set_value("span").run()
    assert at.info and not at.error                                       # how to select one
    at.text_input(key="units_span").set_value("22-44").run()
    _ok(at)
    d = selectivity(states(_trace()), span_mask(len(SAMPLE), 22, 44))
    best = int(np.argmax(np.abs(d)))
    _, sync = _view(at)
    assert sync["ranking"][0] == ["hc"[best // 128], best % 128, pytest.approx(d[best], abs=1e-4)]
    assert sync["span"] == [22, 44] and "On characters 22 to 44" in _text(at)


def test_the_counterfactual_heatmap_follows_the_changed_character_and_quantity():
    at = _app("units", timeout=180)
    model = load_preset("char_lstm").model

    def shown():
        fig = _figures(at)[-1]
        return array(fig["data"][0]["z"]), array(fig["data"][0]["x"])

    z, x = shown()
    want = counterfactual(model, _x(SAMPLE), _x(with_character(SAMPLE, 15, "("))).delta["c"]
    np.testing.assert_allclose(z, want[15:].T, atol=1e-5)
    assert x[0] == 15 and z.shape == (128, len(SAMPLE) - 15)
    at.text_input(key="units_cf_char").set_value("x").run()
    _ok(at)
    z2, _ = shown()
    assert not np.allclose(z, z2)
    np.testing.assert_allclose(z2, counterfactual(model, _x(SAMPLE), _x(with_character(SAMPLE, 15, "x"))).delta["c"][15:].T,
                               atol=1e-5)
    at.number_input(key="units_cf_pos").set_value(40).run()
    at.segmented_control(key="units_cf_q").set_value("f").run()
    _ok(at)
    z3, x3 = shown()
    want = counterfactual(model, _x(SAMPLE), _x(with_character(SAMPLE, 40, "x"))).delta["f"]
    np.testing.assert_allclose(z3, want[40:].T, atol=1e-5)
    assert x3[0] == 40 and "Changing character 40 from 'r' to 'x'" in _text(at)


@pytest.mark.parametrize("key, value, words", [
    ("units_text", "", "at least one character"),
    ("units_text", "x = 1\n" * 100, "at most 500"),
    ("units_regex", "(", "not a regular expression"),
    ("units_regex", "zzz", "matches nothing"),
    ("units_span", "5", "first-last"),
    ("units_cf_char", "", "exactly one character"),
])
def test_bad_input_shows_one_error_and_no_exception(key, value, words):
    at = _app("units", timeout=180)
    if key == "units_regex":
        at.selectbox(key="units_find").set_value(REGEX).run()
    if key == "units_span":
        at.selectbox(key="units_find").set_value("span").run()
    at.text_input(key=key).set_value(value).run() if key != "units_text" else at.text_area(key=key).set_value(value).run()
    _ok(at)
    assert len(at.error) == 1 and words in at.error[0].value, [e.value for e in at.error]


def test_a_link_names_the_unit_shown_and_a_bad_one_is_ignored():
    at = _app("units", {"units_unit": "h5"}, timeout=180)
    assert _view(at)[1]["pick"] == "h5"
    at = _app("units", {"units_unit": "z900"}, timeout=180)
    assert _view(at)[1]["pick"] == "c71" and not at.error
