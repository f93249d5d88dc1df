"""Tables and words against the trace they describe, checked by independent loops."""
import io
import re

import numpy as np
import pandas as pd
import pytest

from lstm_viz import GRU, LSTM, RNN
from lstm_viz.tables import saturation_table, tidy_trace, trace_csv
from lstm_viz.weights import npz_bytes
from lstm_viz.words import step_sentence
from lstm_viz.sequences import parse_sequence


@pytest.fixture(scope="module")
def seq():
    return parse_sequence("abcab a", text_mode=True)


@pytest.fixture(scope="module")
def lstm_trace(seq):
    return LSTM.random(seq.input_size, 3, seed=2, weight_scale=3.0).forward(seq.values)


def test_tidy_trace_holds_every_value_once(lstm_trace, seq):
    df = tidy_trace(lstm_trace, seq.labels)
    assert list(df.columns) == ["step", "unit", "quantity", "value", "input"]
    T, H = lstm_trace.h.shape
    assert len(df) == T * H * 6
    for row in df.sample(25, random_state=0).itertuples():
        assert row.value == getattr(lstm_trace, row.quantity)[row.step, row.unit]
        assert row.input == seq.labels[row.step]
    back = pd.read_csv(io.BytesIO(trace_csv(lstm_trace, seq.labels)), keep_default_na=False)
    assert back.shape == df.shape and set(back.quantity) == {"i", "f", "g", "o", "c", "h"}
    np.testing.assert_allclose(back.value.to_numpy(), df.value.to_numpy())


def test_numeric_inputs_are_written_as_numbers():
    tr = LSTM.random(2, 2).forward(np.array([[0.5, -1.0], [2.0, 0.0]]))
    df = tidy_trace(tr)
    assert df.loc[df.step == 0, "input"].iloc[0] == "0.5, -1"


def _numbers(s):
    return [float(v) for v in re.findall(r"[-+]?\d+\.\d+(?:e[-+]?\d+)?", s)]


def test_reading_states_the_forget_gate_and_what_was_written(lstm_trace):
    t, u = 4, 2
    s = step_sentence(lstm_trace, t, u, "b")
    f, i, g = lstm_trace.f[t, u], lstm_trace.i[t, u], lstm_trace.g[t, u]
    assert f"kept {100 * f:.0f}% of unit {u}'s memory" in s
    assert f"wrote {i * g:+.2f}" in s and "(input b)" in s and s.count(".") >= 1 and "\n" not in s
    first = step_sentence(lstm_trace, 0, u)
    assert "+0.00 → +0.00" in first   # c0 is zero: nothing to keep at the first step


def test_gru_and_rnn_readings():
    x = np.linspace(-1, 1, 5)
    gru = GRU.random(1, 2, seed=0).forward(x)
    assert f"kept {100 * gru.z[1, 0]:.0f}%" in step_sentence(gru, 1, 0)
    rnn = RNN.random(1, 2, seed=0).forward(x)
    assert f"h = {rnn.h[1, 0]:+.2f}" in step_sentence(rnn, 1, 0)


def test_saturation_fractions_against_a_loop():
    x = np.sin(np.arange(60) / 3.0) * 4
    tr = LSTM.random(1, 3, seed=5, weight_scale=6.0).forward(x)
    table = saturation_table(tr)
    assert set(table.symbol) == {"i", "f", "o"} and len(table) == 9
    for row in table.itertuples(index=False):
        a = getattr(tr, row.symbol)[:, row.unit]
        below = sum(1 for v in a if v < 0.1) / len(a)
        above = sum(1 for v in a if v > 0.9) / len(a)
        assert row[3] == pytest.approx(below) and row[4] == pytest.approx(above)
    assert table.iloc[:, 3:5].to_numpy().max() > 0   # the large weights do saturate something


def test_npz_bytes_round_trips_pytorch_names():
    m = LSTM.random(2, 3, seed=4)
    z = np.load(io.BytesIO(npz_bytes(m)), allow_pickle=False)
    assert sorted(z.files) == ["bias_hh_l0", "bias_ih_l0", "weight_hh_l0", "weight_ih_l0"]
    np.testing.assert_array_equal(z["weight_hh_l0"], m.weight_hh)
