"""The sequence parser: every accepted form, every refusal as one ValueError sentence, the limits."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_viz.limits import MAX_INPUT_SIZE, MAX_STEPS
from lstm_viz.sequences import (READY, format_sequence, parse_sequence, ready_sequence)


@pytest.mark.parametrize("text", ["0.5, -1, 2", "0.5\n-1\n2", "0.5 -1 2", " 0.5 ,\n -1,\n2 \n"])
def test_numbers_are_one_dimensional(text):
    s = parse_sequence(text)
    np.testing.assert_array_equal(s.values, [[0.5], [-1.0], [2.0]])
    assert s.labels == ("0.5", "-1", "2") and s.channels == ("x",) and not s.text_mode


@pytest.mark.parametrize("text", ["1 0; 0 1; 1 1", "1 0\n0 1\n1 1", "1,0;0,1;1,1;", "1 0;\n0 1;\n1 1"])
def test_vectors_by_semicolon_or_line(text):
    s = parse_sequence(text)
    np.testing.assert_array_equal(s.values, [[1, 0], [0, 1], [1, 1]])
    assert s.channels == ("x1", "x2") and s.labels[2] == "1, 1"


def test_text_mode_is_one_hot_over_characters_present():
    s = parse_sequence("abca", text_mode=True)
    assert s.channels == ("a", "b", "c") and s.labels == ("a", "b", "c", "a")
    np.testing.assert_array_equal(s.values, [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]])
    assert parse_sequence("a b", text_mode=True).labels == ("a", "␣", "b")


@pytest.mark.parametrize("text, words", [
    ("", "empty"), (" ;; \n", "empty"), ("1, two, 3", "'two'"), ("nan", "finite"), ("1e400", "finite"),
    ("-inf", "finite"), ("2e6", "finite"), ("1 2\n3", "same count"), ("1 2; 3", "same count"),
])
def test_refusals_are_one_sentence(text, words):
    with pytest.raises(ValueError) as e:
        parse_sequence(text)
    msg = str(e.value)
    assert words in msg and msg.endswith(".") and msg.count(". ") == 0


def test_limits_are_enforced():
    parse_sequence(", ".join(["1"] * MAX_STEPS))
    with pytest.raises(ValueError, match=f"at most {MAX_STEPS}"):
        parse_sequence(", ".join(["1"] * (MAX_STEPS + 1)))
    with pytest.raises(ValueError, match=f"at most {MAX_INPUT_SIZE}"):
        parse_sequence(" ".join(["1"] * (MAX_INPUT_SIZE + 1)) + ";")
    with pytest.raises(ValueError, match=f"at most {MAX_STEPS}"):
        parse_sequence("a" * (MAX_STEPS + 1), text_mode=True)
    with pytest.raises(ValueError, match=f"at most {MAX_INPUT_SIZE}"):
        parse_sequence("".join(chr(0x4E00 + k) for k in range(MAX_INPUT_SIZE + 1)), text_mode=True)
    with pytest.raises(ValueError, match="characters long"):
        parse_sequence("1," * 300_000)
    with pytest.raises(ValueError, match="at least one character"):
        parse_sequence("", text_mode=True)


def test_values_are_read_only():
    s = parse_sequence("1, 2")
    with pytest.raises(ValueError):
        s.values[0, 0] = 3


@pytest.mark.parametrize("key", list(READY))
def test_ready_sequences_parse_within_limits(key):
    s = ready_sequence(key)
    assert 1 <= s.steps <= MAX_STEPS and 1 <= s.input_size <= MAX_INPUT_SIZE
    assert s.text_mode == READY[key][3] and len(s.labels) == s.steps


def test_ready_shapes_say_what_they_are():
    step = ready_sequence("step").values[:, 0]
    assert step[0] == 0 and step[-1] == 1 and np.all(np.diff(step) >= 0)
    assert ready_sequence("impulse").values.sum() == 1
    adding = ready_sequence("adding").values
    assert adding.shape[1] == 2 and adding[:, 1].sum() == 2 and np.all((0 <= adding[:, 0]) & (adding[:, 0] <= 1))
    sine = ready_sequence("sine").values[:, 0]
    assert abs(sine.max() - 1) < 1e-3 and abs(sine.min() + 1) < 1e-3


@given(st.lists(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=3, max_size=3), min_size=1, max_size=20))
@settings(max_examples=60, deadline=None)
def test_format_round_trips(rows):
    x = np.array(rows)
    back = parse_sequence(format_sequence(x)).values
    np.testing.assert_allclose(back, x, rtol=1e-3, atol=1e-3 * np.abs(x).max() + 1e-12)


@given(st.text(max_size=300), st.booleans())
@settings(max_examples=300, deadline=None)
def test_any_text_gives_a_sequence_or_one_value_error(text, text_mode):
    try:
        s = parse_sequence(text, text_mode)
    except ValueError as e:
        assert str(e).endswith(".")
        return
    assert s.values.ndim == 2 and np.all(np.isfinite(s.values)) and len(s.labels) == s.steps


def test_text_read_over_a_character_models_vocabulary():
    """A character model reads text one-hot over its own vocabulary: fixed D, unseen characters at index 0,
    and no limit on how many different characters the text uses."""
    vocabulary = "\ufffd" + "".join(map(chr, range(32, 127)))        # index 0 takes the unknown ones
    text = "".join(map(chr, range(32, 112))) + "é"                   # 81 distinct characters, one unknown
    s = parse_sequence(text, text_mode=True, vocabulary=vocabulary)
    assert s.values.shape == (len(text), len(vocabulary)) and s.text_mode and s.text == text
    np.testing.assert_array_equal(s.values.argmax(1)[:-1], [vocabulary.index(ch) for ch in text[:-1]])
    assert s.values[-1, 0] == 1.0 and s.values.sum() == len(text)     # é went to index 0
    assert s.channels[1] == "␣"                                         # the space, made visible
    with pytest.raises(ValueError, match="at least one character"):
        parse_sequence("", text_mode=True, vocabulary=vocabulary)
