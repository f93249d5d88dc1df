"""Shipped presets: every file loads with the documented sizes, the hand-built ones do what the README says,
and the trained ones beat chance on a fresh test set."""
import numpy as np
import pytest

from lstm_viz.charlm import encode, one_hot
from lstm_viz.presets import PRESET_DIR, PRESETS, SAMPLE_SEED, TRAINED_LENGTH, PresetModel, load_preset
from lstm_viz.sequences import parse_sequence
from lstm_viz.tasks import TASKS, make_task
from lstm_viz.train import evaluate

TRAINED = [k for k, p in PRESETS.items() if p.task]
# What is true of the shipped files (see lstm_viz/presets/README.md): at T=50 the RNN learns neither the
# adding problem nor temporal order; every other trained preset beats chance by far.
FAILS = {"rnn_adding", "rnn_temporal_order"}


def _rows(text: str) -> np.ndarray:
    """The app's number syntax read back: "1, 0, 1" or rows "0.5 1; 0.2 0"."""
    if ";" in text:
        return np.array([[float(v) for v in row.split()] for row in text.split(";")])
    return np.array([float(v) for v in text.split(",")])[:, None]


@pytest.mark.parametrize("key", PRESETS)
def test_every_preset_loads_with_its_documented_sizes(key):
    p = PRESETS[key]
    loaded = load_preset(key)
    assert isinstance(loaded, PresetModel) and loaded.preset is p
    m = loaded.model
    assert (m.kind, m.input_size, m.hidden_size) == (p.kind, p.input_size, p.hidden_size)
    assert p.description and "\n" not in p.description and p.title
    if p.vocabulary:                                        # a character model: text in, next-character logits out
        assert len(p.vocabulary) == p.input_size and loaded.readout_weight.shape == (p.input_size, p.hidden_size)
        x = one_hot(encode(p.sequence, p.vocabulary), p.input_size)
        assert m.forward(x).h.shape == (len(p.sequence), p.hidden_size)
        return
    if p.task:
        assert p.input_size == TASKS[p.task].input_size
        assert loaded.readout_weight.shape == (TASKS[p.task].n_classes or 1, p.hidden_size)
        assert loaded.readout_bias.shape == (TASKS[p.task].n_classes or 1,)
    elif key == "anbn_peephole":   # trained outside lstm_viz.tasks: a read-out at every step, 3 next symbols
        assert loaded.readout_weight.shape == (3, p.hidden_size) and loaded.readout_bias.shape == (3,)
    else:
        assert loaded.readout_weight is None and loaded.readout_bias is None
        with pytest.raises(ValueError):
            loaded.predict(np.zeros((3, p.input_size)))
    x = _rows(p.sequence)
    assert x.shape[1] == p.input_size                       # the suggested sequence fits the model
    assert m.forward(x).h.shape == (len(x), p.hidden_size)


def test_files_are_small_and_nothing_else_is_shipped():
    files = sorted(PRESET_DIR.glob("*.npz"))
    assert {f.stem for f in files} == set(PRESETS)
    small = [f for f in files if PRESETS[f.stem].vocabulary is None]   # the character model is ~0.5 MB
    assert all(f.stat().st_size < 50_000 for f in small)
    assert sum(f.stat().st_size for f in small) < 500_000
    assert all(f.stat().st_size < 2_000_000 for f in files)


def test_loading_is_cached_and_read_only():
    a, b = load_preset("lstm_adding"), load_preset("lstm_adding")
    assert a is b
    with pytest.raises(ValueError):
        a.readout_weight[0, 0] = 1.0
    with pytest.raises(ValueError, match="Unknown preset"):
        load_preset("nope")


@pytest.mark.parametrize("value", [0.8, -0.5, 0.3, -1.5, 2.0])
def test_latch_holds_its_value_for_100_steps(value):
    m = load_preset("latch").model
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.uniform(-2, 2, 102), np.zeros(102)])    # noise on the value channel ...
    x[1] = (value, 1.0)                                              # ... one store at step 1
    tr = m.forward(x)
    stored = tr.c[1, 0]
    assert stored == pytest.approx(np.tanh(value), rel=1e-6)
    np.testing.assert_allclose(tr.c[1:, 0], stored, rtol=0.01)      # within 1% for 100 steps
    np.testing.assert_allclose(tr.c[1:, 0], stored, rtol=1e-4)      # (in fact within 0.01%)
    assert np.all(tr.f[2:, 0] > 0.9999) and np.all(tr.i[2:, 0] < 1e-6)
    x[60] = (-0.25, 1.0)                                             # a second store overwrites
    assert m.forward(x).c[60, 0] == pytest.approx(np.tanh(-0.25), rel=1e-5)


def test_counter_adds_a_fixed_step_per_pulse():
    m = load_preset("counter").model
    pulses = (np.random.default_rng(1).random(200) < 0.3).astype(float)
    tr = m.forward(pulses[:, None])
    k = np.cumsum(pulses)
    np.testing.assert_allclose(tr.c[:, 0], 0.1 * k, rtol=1e-4, atol=1e-6)
    assert k[-1] > 40


@pytest.mark.parametrize("key", TRAINED)
def test_trained_presets_beat_chance_on_a_fresh_test_set(key):
    p = PRESETS[key]
    t = make_task(p.task, 1000, TRAINED_LENGTH, seed=12345)
    loaded = load_preset(key)
    loss, acc = evaluate(loaded.model, (loaded.readout_weight, loaded.readout_bias), t.x, t.y,
                         t.kind == "classification")
    np.testing.assert_allclose(loaded.predict(t.x[:, :3]), loaded.predict(t.x)[:3], rtol=1e-12)
    if t.kind == "regression":
        beats = loss < t.baseline / 10          # at least ten times better than predicting the mean
    else:
        beats = acc > t.baseline + 0.5          # e.g. above 75% where chance is 25%
    assert beats == (key not in FAILS), f"{key}: loss {loss:.4f}, accuracy {acc}"


def test_trained_presets_suggest_a_real_task_sample():
    """The suggested sequence reads back as one example of the preset's task, rounded to 2 decimals."""
    for key in ("lstm_adding", "gru_temporal_order"):
        p = PRESETS[key]
        x = make_task(p.task, 1, TRAINED_LENGTH, seed=SAMPLE_SEED).x[:, 0, :]
        np.testing.assert_allclose(parse_sequence(p.sequence).values, np.round(x, 2))
