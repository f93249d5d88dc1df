"""The unit page's sentences (lstm_viz/words.py) and charts (lstm_viz/figures/units.py), checked on numbers built
by hand: every number a sentence prints is the one it was given, every cell a chart draws is the one computed."""
import numpy as np
import pytest

from lstm_viz.figures import connectivity_heatmap, counterfactual_heatmap, log_range
from lstm_viz.influence import Counterfactual
from lstm_viz.units import Ranked
from lstm_viz.words import (connectivity_sentence, cost_sentence, counterfactual_sentence, ranking_sentence,
                            unseen_sentence)


def _cf(delta_c: np.ndarray, first: int | None) -> Counterfactual:
    changed = np.zeros(len(delta_c), bool)
    if first is not None:
        changed[first] = True
    return Counterfactual(changed, None, None, {"c": delta_c})


def test_a_change_that_lives_on_to_the_end():
    d = np.zeros((30, 4))
    d[5:, 2] = 0.6                                                       # unit 2 moved for good
    d[5:, 3] = 0.2
    assert counterfactual_sentence(_cf(d, 5), "c", ")", "(") == (
        "Changing character 5 from ')' to '(' still moves c[2] by +0.60 at the end of the text, 24 characters "
        "later, and 2 of the 4 units' cell states differ by more than 0.1 there.")


def test_a_change_that_fades_and_one_that_hardly_matters():
    d = np.zeros((30, 4))
    d[5, 1], d[6:12, 0] = -0.9, 0.3                                      # gone after character 11
    assert counterfactual_sentence(_cf(d, 5), "c", "a", " ") == (
        "Changing character 5 from 'a' to a space moves c[1] by -0.90 at character 5, but the change fades: after "
        "character 11, 6 characters later, no unit's cell state differs by more than 0.1.")
    small = np.zeros((30, 4))
    small[7, 3] = 0.05
    assert counterfactual_sentence(_cf(small, 5), "c", "a", "b").endswith(
        "hardly matters here: no unit's cell state moves by more than 0.1 (at most c[3] by +0.05 at character 7).")
    last = np.zeros((6, 2))
    last[5, 1] = 0.4
    assert counterfactual_sentence(_cf(last, 5), "c", "a", "\n") == (
        "Character 5 is the last one, so changing it from 'a' to a new line has nowhere to live on: it moves c[1] "
        "by +0.40 at that step.")
    assert counterfactual_sentence(_cf(d, None), "c", "a", "a").startswith("Nothing changed")


def test_ranking_connectivity_and_unseen_sentences():
    top = [Ranked("c", 71, 0.806), Ranked("h", 71, 0.72), Ranked("c", 12, -0.551)]
    assert ranking_sentence(top, "the bracket depth", 129) == (
        "Over these 129 characters, c[71] follows the bracket depth best: r = +0.81; then h[71] (+0.72), c[12] (-0.55).")
    assert ranking_sentence(top[:1], "", 129, (3, 9)).startswith("On characters 3 to 9, c[71] fires most selectively: d = +0.81")
    C = np.tril(np.ones((60, 60))) * 2.0
    C[59, 9] = 0.02                                                      # 50 back: 1% of input 59's 2.0
    R = np.eye(60)
    assert connectivity_sentence({"the LSTM": C, "the RNN": R}) == (
        "50 characters back, at character 59, h depends on input 9 with this share of its dependence on input 59: "
        "0.01 in the LSTM and 0 in the RNN.")
    assert cost_sentence({"LSTM": 2.43, "GRU": 0.81, "RNN": 0.79}, 200) == (
        "Computed once for this text and kept: 2.4 s for the LSTM, 0.8 s for the GRU and 0.8 s for the RNN, at 200 "
        "characters.")
    assert unseen_sentence("abc", "\ufffdabc") == ""
    assert unseen_sentence("a\té", "\ufffda") == "The model never saw a tab and 'é' in training; it reads them as its fallback character \ufffd."


def test_connectivity_heatmap_draws_log10_below_the_diagonal_only():
    C = np.tril(np.full((4, 4), 10.0))
    C[3, 0] = 1e-9                                                       # under the shared floor
    lo, hi = log_range(C, np.eye(4) * 100.0, decades=6)
    assert (lo, hi) == (-4.0, 2.0)
    fig = connectivity_heatmap(C, "LSTM, trained", (lo, hi))
    z = np.asarray(fig.data[0].z, float)
    assert np.isnan(z[0, 1]) and np.isnan(z[3, 0]) and z[2, 1] == pytest.approx(1.0)
    assert (fig.data[0].zmin, fig.data[0].zmax) == (lo, hi) and fig.layout.title.text == "LSTM, trained"
    assert "log10" in fig.data[0].colorbar.title.text


def test_counterfactual_heatmap_is_units_by_steps_from_the_change_on():
    d = np.random.default_rng(0).normal(size=(20, 5))                    # (T, H)
    fig = counterfactual_heatmap(d, 7, "c")
    z = np.asarray(fig.data[0].z)
    np.testing.assert_allclose(z, d[7:].T.astype(np.float32))
    assert list(fig.data[0].x) == list(range(7, 20)) and fig.data[0].zmid == 0
    assert fig.data[0].zmax == pytest.approx(np.abs(d[7:]).max()) and fig.data[0].zmin == -fig.data[0].zmax
    assert "cell state" in fig.layout.yaxis.title.text
