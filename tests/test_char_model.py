"""The shipped character model (preset char_lstm): its bits per character and the units that follow the code's
features, recomputed on the held-out standard-library files and checked against the targets that
lstm_viz/presets/README.md documents; on the Python the README names, against its very numbers."""
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from lstm_viz.charlm import FALLBACK, encode, one_hot, read_texts
from lstm_viz.code_text import FEATURES, corpus, features
from lstm_viz.presets import PRESETS, load_preset

README = Path(__file__).parents[1] / "lstm_viz" / "presets" / "README.md"
MAX_BITS = 2.0                                    # the targets of issue 13
MIN_R = {"in_string": 0.8, "bracket_depth": 0.6}
# The shipped model misses the string target (best |r| 0.523, see the README): its strongest unit follows
# prose, docstrings and comments alike (|r| 0.73 with "string or comment"). The README says so, and
# test_the_string_target_is_reported_as_missed holds README and model to it.
FLOOR = {"in_string": 0.45, "bracket_depth": 0.6}  # what the shipped model must keep doing, target or not


@pytest.fixture(scope="module")
def reading():
    """One pass over the ten held-out files (about 170,000 characters, side by side as a batch)."""
    loaded = load_preset("char_lstm")
    held = [t for _, t in corpus("heldout")]
    return read_texts(loaded.model, (loaded.readout_weight, loaded.readout_bias), held,
                      loaded.preset.vocabulary, features)


def _documented() -> tuple[str, float, dict[str, tuple[str, float]]]:
    """(Python version, bits per character, feature -> (unit, r)) as the script wrote them in the README."""
    doc = README.read_text(encoding="utf-8")
    section = doc[doc.index("<!-- char_lstm report: begin -->"):doc.index("<!-- char_lstm report: end -->")]
    python = re.search(r"standard library of Python (\S+),", section)[1]
    bits = float(re.search(r"\*\*([\d.]+) bits per character\*\*", section)[1])
    units = {m[1]: (m[2], float(m[3])) for m in re.finditer(r"^\| (\w+) \|[^|]*\| `([hc]\[\d+\])` \| ([+-][\d.]+) \|",
                                                             section, re.MULTILINE)}
    return python, bits, units


def test_bits_per_character_on_held_out_code(reading):
    assert reading.characters > 150_000
    assert reading.bits_per_char < MAX_BITS


def test_a_unit_follows_bracket_depth(reading):
    kind, unit, r = reading.best("bracket_depth")
    assert abs(r) >= MIN_R["bracket_depth"], f"best unit {kind}[{unit}]: r = {r:.3f}"


def test_the_string_target_is_reported_as_missed(reading):
    """The model falls short of |r| >= 0.8 for strings, and the README says so with the measured number; a
    model that meets the target fails this until the README is updated."""
    kind, unit, r = reading.best("in_string")
    assert FLOOR["in_string"] <= abs(r) < MIN_R["in_string"]
    section = README.read_text(encoding="utf-8")
    assert "The string target is not" in section and f"{r:+.3f}" in section


@pytest.mark.parametrize("feature", FLOOR)
def test_the_units_keep_what_the_readme_reports(reading, feature):
    kind, unit, r = reading.best(feature)
    assert abs(r) >= FLOOR[feature], f"best unit {kind}[{unit}]: r = {r:.3f}"


def test_the_readme_shows_what_the_script_measured(reading):
    python, bits, units = _documented()
    assert set(units) == set(FEATURES)
    if python != sys.version.split()[0]:
        pytest.skip(f"the README was measured on Python {python}'s standard library; this is {sys.version}")
    assert bits == pytest.approx(reading.bits_per_char, abs=6e-4)
    for feature, (unit, r) in units.items():
        kind, k, got = reading.best(feature)
        assert (unit, r) == (f"{kind}[{k}]", pytest.approx(got, abs=6e-4)), feature


def test_vocabulary_is_in_the_file_and_the_catalog():
    p = PRESETS["char_lstm"]
    assert p.vocabulary[0] == FALLBACK and len(set(p.vocabulary)) == len(p.vocabulary) == p.input_size
    assert "\n" in p.vocabulary and " " in p.vocabulary and "\t" not in p.vocabulary
    assert encode("\tx", p.vocabulary).tolist() == [0, p.vocabulary.index("x")]   # a tab goes to the fallback
    assert p.path.stat().st_size < 2_000_000


def test_the_sample_reads_as_code():
    """On its own suggested snippet the model guesses most characters right after a few of them."""
    loaded = load_preset("char_lstm")
    p = loaded.preset
    ids = encode(p.sequence, p.vocabulary)
    assert 0 not in ids                                               # every character is in the vocabulary
    h = loaded.model.forward(one_hot(ids, p.input_size)).h             # (T, H)
    guess = (h @ loaded.readout_weight.T + loaded.readout_bias).argmax(1)
    assert np.mean(guess[:-1] == ids[1:]) > 0.5
