"""lstm_viz.apart against the cell run by hand: the same weights, pinned where the change says, nowhere else."""
import numpy as np
import pytest

from lstm_viz import GRU, LSTM, gradient_flow
from lstm_viz.apart import Change, changed_model, clamp_arrays, compare
from lstm_viz.words import apart_sentence


@pytest.fixture(scope="module")
def setup():
    x = np.random.default_rng(0).normal(size=(25, 2))
    return LSTM.random(2, 5, seed=1), x


def test_clamp_arrays_pin_from_a_step_in_one_unit():
    a = clamp_arrays(Change(clamp={"f": 1.0, "o": 0.25}, from_step=3, unit=2), T=6, H=4)
    assert set(a) == {"f", "o"} and a["f"].shape == (6, 4)
    assert np.isnan(a["f"][:3]).all() and np.isnan(a["f"][3:, [0, 1, 3]]).all()
    assert (a["f"][3:, 2] == 1.0).all() and (a["o"][3:, 2] == 0.25).all()
    with pytest.raises(ValueError, match="no gate 'z'"):
        clamp_arrays(Change(clamp={"z": 1.0}), 3, 2)


def test_pinning_one_unit_leaves_the_others_until_they_read_it(setup):
    m, x = setup
    cmp = compare(m, x, Change(clamp={"f": 1.0, "i": 0.0}, from_step=10, unit=3))
    c = cmp.changed.c
    assert (c[10:, 3] == c[9, 3]).all()                                   # the pinned unit's memory froze
    np.testing.assert_array_equal(cmp.changed.h[:10], cmp.original.h[:10])  # nothing differs before step 10
    when = (np.arange(25)[:, None] >= 10) & (np.arange(5) == 3)          # (T, H) where the change pins
    by_hand = m.forward(x, clamp={"f": np.where(when, 1.0, np.nan), "i": np.where(when, 0.0, np.nan)})
    np.testing.assert_array_equal(cmp.changed.c, by_hand.c)


def test_a_variant_keeps_every_weight_and_the_gradient_is_the_gradient_pages(setup):
    m, x = setup
    cmp = compare(m, x, Change(variant="nfg"))
    other = changed_model(m, Change(variant="nfg"))
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        np.testing.assert_array_equal(getattr(other, name), getattr(m, name))
    assert (cmp.changed.f == 1.0).all()
    np.testing.assert_allclose(cmp.grad_changed, gradient_flow(other, x, jacobian=False).grad_h)
    np.testing.assert_allclose(cmp.grad_original, gradient_flow(m, x, jacobian=False).grad_h)
    peep = changed_model(m, Change(variant="peephole", seed=4))
    assert peep.weight_peep.shape == (3, 5) and np.abs(peep.weight_peep).max() <= 1 / np.sqrt(5)
    np.testing.assert_array_equal(peep.weight_peep, changed_model(m, Change(variant="peephole", seed=4)).weight_peep)


def test_readout_and_refusals(setup):
    m, x = setup
    W, b = np.ones((1, 5)), np.array([0.5])
    cmp = compare(m, x, Change(clamp={"o": 0.0}), readout=(W, b))
    assert cmp.out_changed[0] == pytest.approx(0.5)                       # o = 0: h = 0, the answer is the bias
    assert cmp.out_original[0] == pytest.approx(m.forward(x).h[-1].sum() + 0.5)
    with pytest.raises(ValueError, match="Only an LSTM"):
        compare(GRU.random(2, 3), x, Change())
    with pytest.raises(ValueError, match="no unit 9"):
        compare(m, x, Change(clamp={"f": 1.0}, unit=9))


def test_the_sentence_reads_the_numbers(setup):
    m, x = setup
    cmp = compare(m, np.abs(x), Change(clamp={"f": 1.0, "i": 1.0}))     # f = i = 1: c_t = c_{t-1} + g_t
    s = apart_sentence(cmp, 1, 10)
    assert s.startswith("With the forget gate pinned at 1 and the input gate pinned at 1, unit 1's cell state")
    assert f"{cmp.changed.c[-1, 1]:+.2f}" in s and f"{cmp.changed.h[-1, 1]:+.2f}" in s
    still = apart_sentence(compare(m, x, Change(clamp={"f": 1.0, "i": 0.0})), 1, 10)
    assert "did not move at all" in still


def test_pinning_keeps_the_models_own_variant():
    """Pinning gates of a peephole LSTM (the a^n b^n preset is one) keeps its peepholes: with nothing pinned
    the 'changed' cell is the cell itself."""
    m = LSTM.random(2, 3, seed=5, variant="peephole")
    x = np.random.default_rng(1).normal(size=(9, 2))
    same = compare(m, x, Change())
    np.testing.assert_array_equal(same.changed.c, same.original.c)
    pinned = compare(m, x, Change(clamp={"f": 1.0}))
    np.testing.assert_array_equal(pinned.changed.c, m.forward(x, clamp={"f": 1.0}).c)
    assert changed_model(m, Change(clamp={"f": 1.0})) is m
