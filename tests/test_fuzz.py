"""Property tests over every entry point a visitor reaches: whatever comes in ends in a valid run or in
a ValueError of one sentence; no other exception escapes and nothing warns.

The quick suite runs a few hundred generated cases per surface (20 for links: each is a full script
run); `python -m pytest -m slow` runs 10,000 per surface (the same checks, `SLOW` settings).
"""
from __future__ import annotations

import io
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lstm_viz import LSTM, read_weights
from lstm_viz.limits import MAX_ABS_INPUT, MAX_INPUT_SIZE, MAX_STEPS
from lstm_viz.sequences import MAX_TEXT_CHARS, parse_sequence

ROOT = Path(__file__).resolve().parents[1]
QUICK = settings(max_examples=150, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SLOW = settings(max_examples=10_000, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def one_sentence(err: ValueError) -> str:
    """The refusal a visitor reads: one line, one sentence, capitalised, closed by a full stop."""
    msg = str(err)
    assert 10 < len(msg) < 600, msg
    assert "\n" not in msg, msg
    assert msg[0].isupper() or msg[0] in "'\"", msg
    assert msg.endswith("."), msg
    assert "Traceback" not in msg and "Error" not in msg.split()[0], msg
    return msg


# ---------------------------------------------------------------------------------------------
# the sequence text, in both modes

_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-MAX_ABS_INPUT, max_value=MAX_ABS_INPUT),
    st.integers(min_value=-10**400, max_value=10**400),
    st.sampled_from(["nan", "inf", "-inf", "NaN", "1e308", "1e309", "-1e-400", "1_000", "0x10", "١٢", "+.5",
                     "1e6", "1000000.0000001", "--1", ".", "e5"]),
)
_separators = st.sampled_from([",", ", ", " ", "\n", ";", "; ", "\t", "\r\n", "\u00a0", "\u3000", ",,", "\r"])


@st.composite
def number_texts(draw):
    """Text built like a sequence: numbers (some hostile) joined by mixed separators."""
    items = draw(st.lists(_numbers, max_size=80))
    out = []
    for v in items:
        out.append(str(v))
        out.append(draw(_separators))
    return "".join(out)


sequence_texts = st.one_of(
    st.text(max_size=300),                                          # arbitrary unicode
    number_texts(),
    st.text(alphabet=",; \n\t\r", max_size=200),                      # separators only
    st.text(alphabet=st.characters(codec="ascii"), max_size=300),
    st.builds(lambda n, s: s * n, st.integers(0, 700), st.sampled_from(["1,", "a", "0.5 1; ", "1\n", "é"])),
)


def check_sequence(text: str, text_mode: bool) -> None:
    try:
        seq = parse_sequence(text, text_mode)
    except ValueError as e:
        one_sentence(e)
        return
    x = seq.values                                                  # (T, D)
    assert x.ndim == 2 and 1 <= x.shape[0] <= MAX_STEPS and 1 <= x.shape[1] <= MAX_INPUT_SIZE
    assert np.all(np.isfinite(x)) and np.all(np.abs(x) <= MAX_ABS_INPUT)
    assert len(seq.labels) == x.shape[0] and len(seq.channels) == x.shape[1]
    tr = LSTM.random(x.shape[1], 3, seed=1).forward(x)              # the run every page starts with
    assert np.all(np.isfinite(tr.h)) and np.all(np.isfinite(tr.c))


@given(text=sequence_texts, text_mode=st.booleans())
@QUICK
def test_sequence_text(text, text_mode):
    check_sequence(text, text_mode)


@pytest.mark.slow
@given(text=sequence_texts, text_mode=st.booleans())
@SLOW
def test_sequence_text_10k(text, text_mode):
    check_sequence(text, text_mode)


@pytest.mark.parametrize("text_mode", [False, True])
@pytest.mark.parametrize("text", [
    "", " ", ",,,", ";;;", "\n\n", "nan", "inf", "-inf", "1e309", "1e7", str(MAX_ABS_INPUT), "1" * 5000,
    ", ".join(["1"] * MAX_STEPS), ", ".join(["1"] * (MAX_STEPS + 1)), "a" * MAX_STEPS, "a" * (MAX_STEPS + 1),
    "".join(chr(0x4e00 + k) for k in range(MAX_INPUT_SIZE + 1)), "1 " * MAX_INPUT_SIZE + "; " + "1 " * MAX_INPUT_SIZE,
    "\x00", "\U0001F600", "1 2; 3", "1\r\n2\r\n3",
])
def test_sequence_edges(text, text_mode):
    check_sequence(text, text_mode)


@pytest.mark.parametrize("text_mode", [False, True])
def test_enormous_text_is_refused_without_reading_it(text_mode):
    """Ten million characters: refused with one sentence (the length check comes before any parsing)."""
    with pytest.raises(ValueError) as e:
        parse_sequence("1, " * 3_400_000, text_mode)
    assert "characters" in one_sentence(e.value)
    check_sequence("1," * (MAX_TEXT_CHARS // 2), text_mode)


# ---------------------------------------------------------------------------------------------
# uploaded weights: random bytes, random zips, damaged real files


def _valid_npz() -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **LSTM.random(2, 3, seed=0).state_dict())
    return buf.getvalue()


VALID = _valid_npz()
_names = st.one_of(st.sampled_from(["weight_ih_l0.npy", "weight_hh_l0.npy", "bias_ih_l0.npy", "bias_hh_l0.npy",
                                    "kernel.npy", "recurrent_kernel.npy", "bias.npy", "readout.weight.npy",
                                    "weight_ih_l1.npy", "../evil.npy", "a/b.npy", "x.txt"]),
                st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), min_size=1, max_size=20)
                .filter(lambda s: not s.endswith("/")))


def _npy(draw) -> bytes:
    """A real .npy member of random dtype and shape (or its raw bytes damaged)."""
    dtype = draw(st.sampled_from(["<f8", "<f4", "<f2", "<i4", "<c16", "|b1", "<U3", "|u1"]))
    shape = tuple(draw(st.lists(st.integers(0, 13), max_size=3)))
    a = np.zeros(shape, dtype=dtype)
    if a.dtype.kind == "f" and a.size:
        a.flat[draw(st.integers(0, a.size - 1))] = draw(st.floats(allow_nan=True, allow_infinity=True, width=16))
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    raw = buf.getvalue()
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(raw)))
        raw = raw[:cut] + draw(st.binary(max_size=40)) + raw[cut + 1:]
    return raw


@st.composite
def random_zips(draw) -> bytes:
    buf = io.BytesIO()
    method = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
    with zipfile.ZipFile(buf, "w", method) as z, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)    # duplicate member names are part of the fuzz
        for _ in range(draw(st.integers(0, 6))):
            z.writestr(draw(_names), _npy(draw) if draw(st.booleans()) else draw(st.binary(max_size=200)))
    return buf.getvalue()


@st.composite
def damaged_valid(draw) -> bytes:
    """The valid file with bytes flipped, cut short, or with junk appended."""
    data = bytearray(VALID)
    for _ in range(draw(st.integers(1, 8))):
        k = draw(st.integers(0, len(data) - 1))
        data[k] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data) + draw(st.binary(max_size=30))


weight_files = st.one_of(st.binary(max_size=2000), random_zips(), damaged_valid(),
                         st.builds(lambda b: b"PK\x03\x04" + b, st.binary(max_size=300)))


def check_weights(data: bytes) -> None:
    try:
        loaded = read_weights(io.BytesIO(data))
    except ValueError as e:
        one_sentence(e)
        return
    m = loaded.model
    tr = m.forward(np.ones((4, m.input_size)))
    assert np.all(np.isfinite(tr.h))
    assert isinstance(loaded.summary, str) and loaded.summary


@given(data=weight_files)
@QUICK
def test_weights_loader(data):
    check_weights(data)


@pytest.mark.slow
@given(data=weight_files)
@SLOW
def test_weights_loader_10k(data):
    check_weights(data)


def test_valid_file_still_loads():
    """The fuzz's seed file is accepted, so the damaged variants are tested against a working loader."""
    loaded = read_weights(io.BytesIO(VALID))
    assert loaded.model.kind == "lstm" and loaded.model.hidden_size == 3


def _zip_of(name: str, raw: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name, raw)
    return buf.getvalue()


def _npy_bytes(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


# Cases the 10k fuzz found. Each must end in one sentence, not in the library's own exception type.
FOUND = {
    # central directory says "needs zip version 6.4": zipfile raises NotImplementedError while opening
    "zip_version_6.4": lambda: bytes(VALID[:VALID.index(b"PK\x01\x02") + 6]) + b"\x40"
    + VALID[VALID.index(b"PK\x01\x02") + 7:],
    # an .npy header that is not a Python literal: numpy's header parser raises tokenize.TokenError
    "npy_header_token_error": lambda: _zip_of("weight_ih_l0.npy", _npy_bytes(np.zeros((12, 2))).replace(
        b"'fortran_order':", b"'fortran_order'(")),
    # ... or SyntaxError
    "npy_header_syntax_error": lambda: _zip_of("weight_ih_l0.npy", _npy_bytes(np.zeros((12, 2))).replace(
        b"'fortran_order': False, 'shape': (12, 2), }", b"'fortran_order': False, 'shape': (12, 2), )")),
}


@pytest.mark.parametrize("case", sorted(FOUND))
def test_fuzz_findings(case):
    check_weights(FOUND[case]())


# ---------------------------------------------------------------------------------------------
# links: every query parameter, through the real entry point (app.py in AppTest)

_QP_NUMBERS = st.one_of(
    st.integers(-10, 200).map(str), st.integers().map(str), st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.floats(-5, 10).map(lambda v: f"{v:.2f}"),
    st.sampled_from(["", " ", "1e1", "+5", "-0", "0x10", "1_0", "８", "1.5", "2147483648", "1e400", "None", "[1]"]),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=12),
)
_QP = {
    "hidden_size": _QP_NUMBERS, "seed": _QP_NUMBERS, "forget_bias": _QP_NUMBERS, "weight_scale": _QP_NUMBERS,
    "step": _QP_NUMBERS, "unit": _QP_NUMBERS, "layer": _QP_NUMBERS,
    "text_mode": st.one_of(st.sampled_from(["true", "false", "TRUE", "1", "yes", ""]), st.text(max_size=6)),
    "weights": st.one_of(st.sampled_from(["random", "custom", "../weights", "lstm_latch"]), st.text(max_size=12)),
    "ready": st.one_of(st.sampled_from(["step", "sentence", "own", "nope"]), st.text(max_size=12)),
    "sequence": st.one_of(number_texts(), st.text(st.characters(exclude_categories=["Cs"]), max_size=120)),
}
# widget key -> (kind, lo, hi); hi None = depends on the run (steps, units)
_BOUNDS = {"hidden_size": ("number_input", 1, 128), "seed": ("number_input", 0, 2**31 - 1),
           "forget_bias": ("slider", -3.0, 6.0), "weight_scale": ("slider", 0.1, 8.0), "unit": ("number_input", 0, None),
           "step": ("slider", 0, None)}
query_sets = st.dictionaries(st.sampled_from(sorted(_QP)), st.none(), min_size=1, max_size=5).flatmap(
    lambda keys: st.fixed_dictionaries({k: _QP[k] for k in keys}))


def _widget(at, kind, key):
    found = [w for w in getattr(at, kind) if w.key == key]
    return found[0].value if found else None


def _as_number(raw: str):
    try:
        v = float(raw)
    except ValueError:
        return None
    return v if np.isfinite(v) else None


def check_link(params: dict) -> None:
    """A link with any parameters opens without an exception, with every control inside its range, and a
    parameter the view does not honour is named in a warning (or the sequence in an error)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params = dict(params)
    at.switch_page("pages/your_model.py")       # the cheapest page: what is tested is the shared sidebar
    at.run()
    assert not at.exception, (params, [e.value for e in at.exception])
    notes = " ".join(str(w.value) for w in [*at.warning, *at.error, *at.info])
    for key, (kind, lo, hi) in _BOUNDS.items():
        value = _widget(at, kind, key)
        if value is None:
            continue                               # e.g. no step slider for a one-step sequence
        assert lo <= value and (hi is None or value <= hi), (params, key, value)
        if key in params:
            asked = _as_number(params[key])
            if asked is None or asked != value:
                assert key in notes, f"link {key}={params[key]!r} shows {value} without saying so: {notes!r}"
    if "sequence" in params:
        try:
            parse_sequence(params["sequence"], str(params.get("text_mode", "")).lower() == "true")
        except ValueError:
            assert at.error, f"the unreadable sequence {params['sequence']!r} got no error element"


LINKS_QUICK = settings(QUICK, max_examples=20)   # each case is a full script run


@given(params=query_sets)
@LINKS_QUICK
def test_links(params):
    check_link(params)


@pytest.mark.slow
@given(params=query_sets)
@SLOW
def test_links_10k(params):
    """10,000 full script runs, about 0.15 s each on a quiet machine: the longest of the slow tests."""
    check_link(params)
