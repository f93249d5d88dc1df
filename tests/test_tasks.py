"""The task generators: shapes, the rules of each task, chance levels measured, seeds and limits."""
import numpy as np
import pytest

from lstm_viz.limits import MAX_STEPS
from lstm_viz.tasks import TASKS, make_task


@pytest.mark.parametrize("name", TASKS)
@pytest.mark.parametrize("T", [None, "min", 37])
def test_shapes_and_types_match_the_catalog(name, T):
    info = TASKS[name]
    T = {None: info.default_length, "min": info.min_length}.get(T, T)
    t = make_task(name, 5, T, seed=3)
    assert t.x.shape == (T, 5, info.input_size) and t.x.dtype == np.float64
    assert t.y.shape == (5,)
    assert t.y.dtype == (np.float64 if info.kind == "regression" else np.int64)
    assert (t.kind, t.n_classes, t.length, t.input_size) == (info.kind, info.n_classes, T, info.input_size)
    assert t.output_size == (info.n_classes or 1)
    assert len(info.channels) == info.input_size and len(info.classes) == info.n_classes
    assert t.description == info.description and "\n" not in t.description
    assert np.all(np.isfinite(t.x))


@pytest.mark.parametrize("name", TASKS)
def test_same_seed_same_data_other_seed_other_data(name):
    a, b, c = (make_task(name, 50, 30, seed=s) for s in (1, 1, 2))
    assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)


def test_adding_problem_rules():
    t = make_task("adding", 400, 40, seed=0)
    values, markers = t.x[..., 0], t.x[..., 1]
    assert np.all((values >= 0) & (values < 1))
    assert np.all(markers.sum(0) == 2)
    assert np.all(markers[:20].sum(0) == 1) and np.all(markers[20:].sum(0) == 1)  # one per half
    np.testing.assert_allclose(t.y, (values * markers).sum(0))


def test_adding_baseline_is_the_mse_of_predicting_the_mean():
    t = make_task("adding", 20000, 50, seed=5)
    assert t.baseline == pytest.approx(1 / 6)
    assert t.y.mean() == pytest.approx(1.0, abs=0.01)
    assert np.mean((t.y - 1.0) ** 2) == pytest.approx(t.baseline, abs=0.005)


def test_first_symbol_rules():
    t = make_task("first_symbol", 400, 25, seed=0)
    assert np.all(t.x.sum(-1) == 1)                            # one-hot at every step
    np.testing.assert_array_equal(t.x[0].argmax(-1), t.y)      # the answer is shown first ...
    assert np.all(t.x[1:, :, :4] == 0)                          # ... and never again
    assert set(np.unique(t.x[1:].argmax(-1))) == {4, 5}         # then distractors only
    assert t.baseline == 0.25
    np.testing.assert_allclose(np.bincount(t.y, minlength=4) / 400, 0.25, atol=0.06)


def test_temporal_order_rules_at_hochreiters_length():
    T = 100
    t = make_task("temporal_order", 2000, T, seed=0)
    sym = t.x.argmax(-1)                                        # (T, N)
    assert np.all(t.x.sum(-1) == 1)
    assert np.all(sym[0] == 4) and np.all(sym[-1] == 5)         # B ... E
    xy = sym >= 6
    assert np.all(xy.sum(0) == 2)
    steps = np.sort(np.nonzero(xy.T)[1].reshape(-1, 2), axis=1)  # (N, 2) where X/Y sit
    assert steps[:, 0].min() >= 10 and steps[:, 0].max() <= 20   # H&S 1997: first in [10, 20]
    assert steps[:, 1].min() >= 50 and steps[:, 1].max() <= 60   # second in [50, 60]
    first = sym[steps[:, 0], np.arange(2000)] - 6
    second = sym[steps[:, 1], np.arange(2000)] - 6
    np.testing.assert_array_equal(t.y, 2 * first + second)
    np.testing.assert_allclose(np.bincount(t.y, minlength=4) / 2000, 0.25, atol=0.04)
    assert t.baseline == 0.25


@pytest.mark.parametrize("name", TASKS)
def test_every_length_from_min_to_a_few_is_well_formed(name):
    for T in range(TASKS[name].min_length, 12):
        t = make_task(name, 20, T, seed=T)
        assert t.x.shape[0] == T


@pytest.mark.parametrize("name", TASKS)
def test_longest_allowed_length_works_and_longer_is_refused(name):
    assert make_task(name, 2, MAX_STEPS).length == MAX_STEPS
    with pytest.raises(ValueError, match="between"):
        make_task(name, 2, MAX_STEPS + 1)
    with pytest.raises(ValueError, match="between"):
        make_task(name, 2, TASKS[name].min_length - 1)


@pytest.mark.parametrize("kwargs", [dict(name="copy"), dict(length=2.5), dict(length="ten"),
                                    dict(n=0), dict(n=1.5), dict(n=10**9)])
def test_bad_arguments_raise_one_sentence(kwargs):
    args = dict(name="adding", n=4, length=10) | kwargs
    with pytest.raises(ValueError) as e:
        make_task(**args)
    msg = str(e.value)
    assert msg.endswith(".") and msg.count(". ") == 0


def test_chance_is_the_measured_baseline_of_each_task():
    from lstm_viz.tasks import chance
    for name in TASKS:
        task = make_task(name, 2000, TASKS[name].default_length, seed=3)
        assert chance(name) == task.baseline
    y = make_task("adding", 20000, 50, seed=4).y
    assert abs(float(np.mean((y - 1.0) ** 2)) - chance("adding")) < 0.01   # predicting the mean scores 1/6


def test_chance_losses_are_what_a_know_nothing_model_scores():
    """The training loss of a model that outputs the mean (regression) or a uniform guess (classification),
    measured on drawn data, equals the chance loss the loss curves draw."""
    from lstm_viz.tasks import chance_level
    for name in TASKS:
        level, task = chance_level(name), make_task(name, 20000, 20, seed=5)
        if task.kind == "regression":
            measured = float(np.mean((task.y - 1.0) ** 2))
            assert level.loss == level.score and abs(measured - level.loss) < 0.01
        else:
            logits = np.zeros((len(task.y), task.n_classes))                 # uniform guess
            logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
            measured = float(-logp[np.arange(len(task.y)), task.y].mean())
            assert abs(measured - level.loss) < 1e-12 and f"ln {task.n_classes}" in level.loss_words
            assert f"1/{task.n_classes}" in level.score_words
