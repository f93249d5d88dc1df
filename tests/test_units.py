"""The unit-finding engine (lstm_viz/units.py) against independent computations: the top guesses against a
softmax done by hand, the ranking against np.corrcoef, the selectivity on a case small enough for paper."""
import math

import numpy as np
import pytest

from lstm_viz.cells import LSTM
from lstm_viz.units import (REGEX, Ranked, feature, follows, parse_span, ranked, selectivity, span_mask, states,
                            top_guesses, with_character)


def test_top_guesses_match_a_softmax_by_hand():
    W = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0]])     # (V=4, H=2)
    b = np.array([0.0, 0.5, -1.0, 0.0])
    h = np.array([[2.0, 0.0], [0.0, 0.0]])                              # (T=2, H)
    ids, p = top_guesses((W, b), h, k=3)
    # step 0: logits 2, 0.5, 1, -2; e^2 = 7.389, e^0.5 = 1.6487, e^1 = 2.7183, e^-2 = 0.1353; sum 11.8913
    total = math.exp(2) + math.exp(0.5) + math.exp(1) + math.exp(-2)
    assert ids[0].tolist() == [0, 2, 1]
    np.testing.assert_allclose(p[0], [math.exp(2) / total, math.exp(1) / total, math.exp(0.5) / total])
    np.testing.assert_allclose(p[0], [0.62139, 0.22860, 0.13865], atol=5e-5)
    # step 1: logits 0, 0.5, -1, 0: index 1 first, then the tie 0 / 3 in index order
    assert ids[1].tolist() == [1, 0, 3]
    total = 2 + math.exp(0.5) + math.exp(-1)
    np.testing.assert_allclose(p[1], [math.exp(0.5) / total, 1 / total, 1 / total])


def test_top_guesses_of_a_real_model_sum_below_one_and_come_sorted():
    rng = np.random.default_rng(0)
    W, b, h = rng.normal(size=(7, 3)), rng.normal(size=7), rng.normal(size=(5, 3))
    ids, p = top_guesses((W, b), h, k=5)
    assert ids.shape == p.shape == (5, 5)
    assert np.all(np.diff(p, axis=1) <= 0) and np.all(p.sum(1) < 1)
    full = np.exp(h @ W.T + b)
    full /= full.sum(1, keepdims=True)
    np.testing.assert_allclose(p, np.take_along_axis(full, ids, 1))
    assert top_guesses((W, b), h, k=50)[0].shape == (5, 7)               # k past the vocabulary: all of it


def test_ranking_agrees_with_np_corrcoef():
    m = LSTM.random(3, 6, seed=1, weight_scale=2.0)
    x = np.random.default_rng(2).normal(size=(40, 3))
    tr = m.forward(x)
    f = x[:, 0].cumsum()
    scores = follows(states(tr), f)
    want = np.array([np.corrcoef(col, f)[0, 1] for col in states(tr).T])   # (12,) h units then c units
    np.testing.assert_allclose(scores, want, atol=1e-12)
    top = ranked(scores, top=4)
    best = int(np.argmax(np.abs(want)))
    assert top[0] == Ranked("h" if best < 6 else "c", best % 6, pytest.approx(want[best]))
    assert [abs(r.score) for r in top] == sorted((abs(r.score) for r in top), reverse=True)
    assert top[0].name == f"{top[0].state}[{top[0].unit}]"


def test_selectivity_on_a_hand_case():
    """Unit 0 reads 1, 3 inside the span and 0, 0, 2, 2 outside: means 2 and 1; (n-1)s^2 is 2 inside and 4
    outside, so s_pooled = sqrt(6 / 4) = 1.2247 and d = (2 - 1) / 1.2247 = 0.8165. Unit 1 is unit 0 upside
    down (d = -0.8165), unit 2 is constant (0), unit 3 is 5 inside and 0 outside (s_pooled = 0: scored 0)."""
    values = np.array([[0, 0, 7, 0], [1, -1, 7, 5], [3, -3, 7, 5], [0, 0, 7, 0], [2, -2, 7, 0], [2, -2, 7, 0]],
                      float)                                            # (T=6, K=4)
    d = selectivity(values, span_mask(6, 1, 2))
    np.testing.assert_allclose(d, [1 / math.sqrt(1.5), -1 / math.sqrt(1.5), 0, 0])
    assert d[0] == pytest.approx(0.8165, abs=1e-4)
    with pytest.raises(ValueError, match="one character inside"):
        selectivity(values, np.zeros(6, bool))
    with pytest.raises(ValueError, match="one character inside"):
        selectivity(values, np.ones(6, bool))


def test_features_and_regex_refuse_what_no_unit_can_follow():
    text = "f(a, [b])\n# c\n"
    assert feature(text, "bracket_depth").max() == 2
    assert feature(text, REGEX, r"\w").tolist()[:3] == [1, 0, 1]
    with pytest.raises(ValueError, match="matches nothing"):
        feature(text, REGEX, "zzz")
    with pytest.raises(ValueError, match="not a regular expression"):
        feature(text, REGEX, "(")
    with pytest.raises(ValueError, match="every character"):
        feature(text, REGEX, r"[\s\S]")
    with pytest.raises(ValueError, match="on every character"):
        feature("abc", "in_string")
    with pytest.raises(ValueError, match="Unknown feature"):
        feature(text, "colour")


def test_spans_and_changed_characters_are_read_or_refused_in_one_sentence():
    assert parse_span("3-7", 10) == (3, 7) and parse_span(" 7 to 3 ", 10) == (3, 7)
    assert span_mask(5, 1, 2).tolist() == [False, True, True, False, False]
    for bad, why in (("3", "first-last"), ("2-10", "runs past"), ("0-9", "whole text")):
        with pytest.raises(ValueError, match=why):
            parse_span(bad, 10)
    assert with_character("abc", 1, "(") == "a(c"
    with pytest.raises(ValueError, match="no character 3"):
        with_character("abc", 3, "x")
    with pytest.raises(ValueError, match="exactly one"):
        with_character("abc", 0, "xy")
