"""The text view's payload (lstm_viz/figures/textview.py): every unit of every gate and state at every character,
quantised within stated bounds, the top guesses and the connectivity, one binary frame under 1 MB at 500
characters of the shipped character model."""
import numpy as np
import pytest

from lstm_viz.figures.textview import (CONNECTIVITY_STEPS, DECADES, pack, quantise_log, text_view_data, unpack,
                                       values)
from lstm_viz.presets import PRESETS, load_preset
from lstm_viz.sequences import parse_sequence
from lstm_viz.units import top_guesses

VOC = PRESETS["char_lstm"].vocabulary


@pytest.fixture(scope="module")
def long_text():
    p = load_preset("char_lstm")
    text = (PRESETS["char_lstm"].sequence * 4)[:500]
    tr = p.model.forward(parse_sequence(text, True, VOC).values)
    return text, tr, top_guesses((p.readout_weight, p.readout_bias), tr.h)


def test_every_unit_of_every_quantity_is_there_within_its_bound(long_text):
    text, tr, guesses = long_text
    data = text_view_data(text, tr, guesses, VOC)
    a, T, H = data["arrays"], 500, 128
    for q, dtype, bound in (("i", "u1", 1 / 510), ("f", "u1", 1 / 510), ("o", "u1", 1 / 510),
                            ("g", "<f2", 2 ** -12), ("h", "<f2", 2 ** -12)):
        assert a[q].shape == (T, H) and a[q].dtype == np.dtype(dtype), q
        assert np.abs(values(data, q) - getattr(tr, q)).max() <= bound + 1e-12, q
    assert a["c"].dtype == np.dtype("<f2")
    assert np.all(np.abs(values(data, "c") - tr.c) <= 2 ** -11 * np.abs(tr.c) + 1e-7)
    assert a["guess_ids"].shape == a["guess_p"].shape == (T, 5) and a["guess_ids"].dtype == np.uint8
    np.testing.assert_array_equal(a["guess_ids"], guesses[0])
    np.testing.assert_allclose(values(data, "guess_p"), guesses[1], rtol=2 ** -11, atol=2 ** -24)   # subnormals
    head = data["header"]
    assert (head["T"], head["H"], head["text"], head["vocabulary"]) == (T, H, text, VOC)
    assert len(head["c_scale"]) == H and min(head["c_scale"]) >= 1
    assert np.all(np.abs(tr.c).max(0) <= np.array(head["c_scale"]))


def test_the_frame_is_under_a_megabyte_at_500_characters_with_connectivity(long_text):
    text, tr, guesses = long_text
    C = np.tril(np.random.default_rng(0).lognormal(0, 3, (CONNECTIVITY_STEPS, CONNECTIVITY_STEPS)))
    raw = pack(text_view_data(text, tr, guesses, VOC, connectivity=C))
    assert len(raw) < 1_000_000, len(raw)
    back = unpack(raw)
    assert back["arrays"].keys() == {"i", "f", "o", "g", "c", "h", "guess_ids", "guess_p", "conn"}
    data = text_view_data(text, tr, guesses, VOC, connectivity=C)
    for name, arr in data["arrays"].items():
        np.testing.assert_array_equal(back["arrays"][name], arr)
    assert back["header"]["conn_steps"] == CONNECTIVITY_STEPS and len(back["header"]["digest"]) == 16


def test_connectivity_is_log_scaled_within_half_a_step():
    C = np.tril(np.array([[1.0, 0, 0], [1e-3, 2.0, 0], [1e-9, 0.0, 10.0]]))      # (3, 3)
    codes, (lo, hi) = quantise_log(C)
    assert hi == pytest.approx(1.0) and lo == pytest.approx(1.0 - DECADES)
    assert codes[0, 1] == codes[0, 2] == codes[1, 2] == 0                       # above the diagonal
    assert codes[2, 0] == 0 and codes[2, 1] == 0                                 # below the floor, and 0
    assert codes[2, 2] == 255
    data = {"header": {"conn_range": [lo, hi]}, "arrays": {"conn": codes}}
    back = values(data, "conn")
    ok = codes > 0
    step = DECADES / 254                                                         # decades per code
    assert np.all(np.abs(np.log10(back[ok]) - np.log10(C[ok])) <= step / 2 + 1e-12)


def test_bad_shapes_are_refused_in_one_sentence(long_text):
    text, tr, guesses = long_text
    with pytest.raises(ValueError, match="characters; the trace has"):
        text_view_data(text[:-1], tr, guesses, VOC)
    with pytest.raises(ValueError, match="connectivity must be"):
        text_view_data(text, tr, guesses, VOC, connectivity=np.zeros((3, 4)))
    with pytest.raises(ValueError, match="Not a text view frame"):
        unpack(b"nope" + b"\0" * 8)
