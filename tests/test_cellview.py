"""The browser cell view's payload and offline file, checked against the engine.

The payload (lstm_viz/figures/cellview.py) is tested on what it holds: shapes, dtypes, every step, numbers
that survive the trip, pre-activations that give back the gates. The offline file
(lstm_viz.ui.cellview.standalone_html) is tested for what it must never do: name an address or load
anything, or grow past its size limits. Where Node.js is installed, the view's own JavaScript runs here
as well: it formats numbers as Python does, words the sentence as words.step_sentence does, and every
equation it prints checks out on paper with the numbers it prints.
"""
import base64
import dataclasses
import json
import math
import os
import re
import shutil
import struct
import subprocess
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from lstm_viz import GRU, LSTM, RNN, Stack
from lstm_viz.words import quantities, step_sentence
from lstm_viz.figures._plot import signed_range
from lstm_viz.figures.cellview import cell_view_data, decode, encode
from lstm_viz.limits import MAX_HIDDEN_SIZE, MAX_INPUT_SIZE, MAX_STEPS
from lstm_viz.sequences import DEFAULT_TEXT, parse_sequence
from lstm_viz.ui.controls import HIDDEN_DEFAULT
from lstm_viz.ui.cellview import CSS, EXPORT, JS, MAGIC, frame, standalone_html, unframe

ROOT = Path(__file__).resolve().parents[1]
CELLS = {"lstm": LSTM, "gru": GRU, "rnn": RNN}


def _view(kind="lstm", T=24, H=5, D=1, seed=0, scale=1.0, labels=None, text_mode=False):
    m = CELLS[kind].random(D, H, seed=seed, weight_scale=scale)
    x = np.random.default_rng(seed).normal(size=(T, D))
    tr = m.forward(x)
    return m, tr, cell_view_data(tr, m.preactivations(tr), labels, title=f"test {kind}", text_mode=text_mode)


def _f32(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float32)


# ---------------------------------------------------------------------------------------------
# the payload


@pytest.mark.parametrize("kind", list(CELLS))
def test_payload_holds_every_step_and_unit_as_float32(kind):
    T, H = 17, 3
    m, tr, data = _view(kind, T=T, H=H)
    assert (data["kind"], data["T"], data["H"], data["D"]) == (kind, T, H, 1)
    assert data["rows"] == list(quantities(tr))                  # gate order, then the states
    assert len(data["labels"]) == T
    for q, text in data["fields"].items():
        a = decode(text, (T, H))
        assert a.dtype == np.float32 and a.shape == (T, H)
        np.testing.assert_array_equal(a, _f32(getattr(tr, q)))  # every step, bit for bit in float32
    assert set(data["pre"]) == set(m.gate_names or ("h",))
    np.testing.assert_array_equal(decode(data["h0"]), _f32(tr.h0))
    assert ("c0" in data) == (kind == "lstm")
    np.testing.assert_array_equal(decode(data["x"]), _f32(tr.x[:, 0]))
    json.dumps(data)                                             # JSON-able as it is


def test_numbers_round_trip_through_base64_exactly():
    a = np.array([[0.0, -0.0, 1.0, -1.5], [1e-30, 3.4e38, np.float32(0.1), -7.25]])      # (2, 4)
    back = decode(encode(a), a.shape)
    np.testing.assert_array_equal(back, a.astype(np.float32))
    assert np.signbit(back[0, 1])
    assert len(encode(np.zeros((500, 128)))) == 4 * math.ceil(500 * 128 * 4 / 3)     # 4 bytes a number


@pytest.mark.parametrize("kind", list(CELLS))
def test_preactivations_give_back_the_gates(kind):
    m, tr, data = _view(kind, T=30, H=6, D=2, scale=2.0)
    T, H = 30, 6
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    for q in data["pre"]:
        z = decode(data["pre"][q], (T, H)).astype(np.float64)
        want = decode(data["fields"][q], (T, H)) if kind != "rnn" else decode(data["fields"]["h"], (T, H))
        act = np.tanh if q in ("g", "n", "h") else sig
        np.testing.assert_allclose(act(z), want, atol=2e-6)     # float32 on both sides


def test_stacks_send_one_layer_and_say_which():
    st_ = Stack([LSTM.random(1, 4, seed=1), LSTM.random(4, 4, seed=2)])
    tr = st_.forward(np.linspace(-1, 1, 9))
    layer = tr.layers[1]
    data = cell_view_data(layer, st_.layers[1].preactivations(layer), list("abcdefghi"), layer=1, layers=2)
    assert (data["layer"], data["layers"], data["D"]) == (1, 2, 4)
    assert "x" not in data                                        # a 4-vector input has no single colour
    np.testing.assert_array_equal(decode(data["fields"]["c"], (9, 4)), _f32(layer.c))


def test_signed_range_is_the_figures_rule():
    for scale in (0.5, 1.0, 6.0):
        _, tr, data = _view("lstm", H=4, scale=scale)
        c = np.abs(tr.c).max() if hasattr(tr, "c") else 0.0              # 1, or max |c| rounded up to 0.1
        assert data["signed_range"] == signed_range(tr) == max(1.0, np.ceil(c * 10) / 10)
    assert _view("lstm", H=4, scale=6.0)[2]["signed_range"] > 1.0


def test_digest_tells_payloads_apart():
    a, b, c = (_view("lstm", H=3, seed=s)[2] for s in (0, 0, 1))
    assert a["digest"] == b["digest"] != c["digest"]
    labelled = _view("lstm", H=3, seed=0, labels=list("abcdefghijklmnopqrstuvwx"))[2]
    assert labelled["digest"] != a["digest"]


def test_text_mode_and_labels():
    seq = parse_sequence("hello", text_mode=True)
    m = LSTM.random(seq.input_size, 3, seed=0)
    tr = m.forward(seq.values)
    data = cell_view_data(tr, m.preactivations(tr), seq.labels, text_mode=True)
    assert data["labels"] == list(seq.labels) and "x" not in data
    numbers = cell_view_data(tr, m.preactivations(tr))            # no labels: the numbers, as text
    assert len(numbers["labels"]) == 5 and all(re.fullmatch(r"[-0-9., e+]+", s) for s in numbers["labels"])


def test_refuses_what_it_cannot_draw():
    m = LSTM.random(1, 3)
    tr = m.forward(np.zeros((4, 1)))
    with pytest.raises(ValueError, match="preactivations"):
        cell_view_data(tr, {})
    with pytest.raises(ValueError, match="labels"):
        cell_view_data(tr, m.preactivations(tr), ["a"])
    batched = m.forward(np.zeros((4, 2, 1)))
    with pytest.raises(ValueError, match="unbatched"):
        cell_view_data(batched, m.preactivations(batched))


# ---------------------------------------------------------------------------------------------
# the offline file


def _default_view() -> dict:
    seq = parse_sequence(DEFAULT_TEXT)
    m = LSTM.random(1, HIDDEN_DEFAULT, seed=0)
    tr = m.forward(seq.values)
    return cell_view_data(tr, m.preactivations(tr), seq.labels, title="Random LSTM")


def _limit_view(kind: str) -> dict:
    x = np.random.default_rng(1).normal(size=(MAX_STEPS, MAX_INPUT_SIZE))
    m = CELLS[kind].random(MAX_INPUT_SIZE, MAX_HIDDEN_SIZE, seed=0)
    tr = m.forward(x)
    return cell_view_data(tr, m.preactivations(tr), title=f"{kind} at the limits")


def _embedded(html: str) -> dict:
    text = re.search(r'<script type="application/json" id="cellview-data">(.*?)</script>', html, re.S).group(1)
    return json.loads(text)


FORBIDDEN = [r"https?://", r"//[a-z0-9.-]+\.[a-z]{2,}", r"\bsrc\s*=", r"\bhref\s*=", r"url\s*\(", r"@import",
             r"\bfetch\s*\(", r"XMLHttpRequest", r"WebSocket", r"EventSource", r"sendBeacon", r"\bimport\s*\(",
             r"<link\b", r"<img\b", r"<iframe\b", r"@font-face"]


def test_offline_file_loads_nothing_and_names_no_address():
    html = standalone_html(_default_view(), step=3, unit=2)
    for pattern in FORBIDDEN:
        assert not re.search(pattern, html, re.I), pattern
    assert "default-src 'none'" in html                            # the browser itself refuses any request
    assert html.count("<script") == 2 and "export default" not in html


def test_offline_file_carries_the_same_payload_and_starting_point():
    data = _default_view()
    back = _embedded(standalone_html(data, step=3, unit=2))
    assert back.pop("start") == {"step": 3, "unit": 2}
    assert back == json.loads(json.dumps(data))


def test_offline_file_keeps_hostile_labels_inert():
    m = LSTM.random(1, 2)
    tr = m.forward(np.zeros((3, 1)))
    labels = ["</script><script>alert(1)</script>", "https://example.org/x", "<b>&amp;"]
    html = standalone_html(cell_view_data(tr, m.preactivations(tr), labels, title="<i>model</i>"))
    assert "<script>alert" not in html and "https://" not in html and "<i>model" not in html
    assert _embedded(html)["labels"] == labels                     # escaped, not lost


def test_offline_file_size_at_defaults_and_at_the_limits():
    small = len(standalone_html(_default_view()).encode())
    assert small < 1.5e6, small
    for kind in CELLS:
        big = len(standalone_html(_limit_view(kind)).encode())
        assert big < 6e6, (kind, big)


def test_the_app_sends_the_same_numbers_as_one_binary_frame():
    _, _, data = _view("gru", T=11, H=3)
    raw = frame(data, target="cellview", compact=True)
    assert raw[:4] == MAGIC
    n = struct.unpack("<I", raw[4:8])[0]
    head = json.loads(raw[8:8 + n])
    body = np.frombuffer(raw[8 + n + (-(8 + n) % 4):], dtype="<f4")
    assert (head["target"], head["compact"], head["T"], head["labels"]) == ("cellview", True, 11, data["labels"])
    for group in ("fields", "pre"):
        for q, (offset, count) in ((q, r["f32"]) for q, r in head[group].items()):
            np.testing.assert_array_equal(body[offset:offset + count], decode(data[group][q]))
    assert unframe(raw) == {**data, "target": "cellview", "compact": True}     # and back, exactly
    _, _, big = _view("lstm", T=200, H=16)
    assert len(frame(big)) < 0.8 * len(json.dumps(big))            # a quarter smaller than base64 JSON


def test_assets_are_one_module_with_nothing_to_fetch():
    assert JS.count(EXPORT) == 1 and JS.rstrip().endswith(EXPORT)
    for text in (JS, CSS):
        assert "</script" not in text.lower() and "</style" not in text.lower()
        for pattern in FORBIDDEN:
            assert not re.search(pattern, text, re.I), pattern


# ---------------------------------------------------------------------------------------------
# the view's JavaScript under Node.js: numbers, the sentence, the equations

NODE = shutil.which("node")
# Outside CI a machine without Node.js skips these (the browser tests cover the view too); CI installs Node.js
# (.ci/run), and there a missing one fails instead of skipping.
needs_node = pytest.mark.skipif(NODE is None and not os.environ.get("CI"),
                                reason="Node.js is not installed; the browser tests cover the view")


def _run_js(data, body: str):
    """Evaluate `body` (a JS function of (api, data)) next to the view's code; returns its JSON result."""
    script = (
        "const vm = require('vm');\n"
        "const ctx = { window: {}, TextDecoder, atob: (s) => Buffer.from(s, 'base64').toString('binary') };\n"
        "vm.createContext(ctx);\n"
        f"vm.runInContext({json.dumps(JS.replace(EXPORT, ''))} + "
        "'\\n;globalThis.api = {fixed, expo, pct, num, reading, equations, model, bytes: (s) => "
        "Uint8Array.from(atob(s), (c) => c.charCodeAt(0))};', ctx);\n"
        "const data = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
        f"process.stdout.write(JSON.stringify(({body})(ctx.api, data)));\n")
    out = subprocess.run([NODE, "-e", script], input=json.dumps(data), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@needs_node
def test_js_formats_numbers_exactly_as_python():
    rng = np.random.default_rng(0)
    values = [0.0, -0.0, 0.125, -0.125, 0.375, 2.5, 0.005, -0.005, 0.0049999, 0.995, 9.995, 0.5, 0.015, 1e-7,
              -3.25e-4, 0.00125, 123.456, 1e6, *rng.normal(size=300).tolist(),
              *(rng.normal(size=200) * 10.0 ** rng.integers(-6, 3, 200)).tolist(),
              *[k / 1000 for k in range(-40, 40)], *[k / 200 for k in range(0, 201)]]
    got = _run_js(values, "(api, vs) => vs.map((v) => [api.fixed(v, 2, true), api.fixed(v, 3), api.expo(v, 1, true),"
                          " api.pct(v), api.fixed(v, 0)])")
    for v, (f2, f3, e1, pc, f0) in zip(values, got):
        assert (f2, f3, e1, pc, f0) == (f"{v:+.2f}", f"{v:.3f}", f"{v:+.1e}", f"{100 * v:.0f}%", f"{v:.0f}"), v


@needs_node
def test_js_reads_the_binary_frame_as_the_base64_payload():
    _, _, data = _view("lstm", T=9, H=4, D=1)
    raw = base64.b64encode(frame(data, target="cellview", compact=False)).decode()
    got = _run_js({"data": data, "raw": raw},
                  "(api, d) => { const a = api.model(d.data), b = api.model(api.bytes(d.raw));"
                  " const same = (x, y) => x.length === y.length && x.every((v, k) => v === y[k]);"
                  " return [b.target, b.compact, ...['i', 'f', 'g', 'o', 'c', 'tanh_c', 'h'].map((q) => same(a.f[q], b.f[q])),"
                  " ...['i', 'f', 'g', 'o'].map((q) => same(a.pre[q], b.pre[q])), same(a.c0, b.c0), same(a.h0, b.h0),"
                  " same(a.x, b.x), a.f.c.length]; }")
    assert got == ["cellview", False, *[True] * 14, 36]


def _float32_trace(tr):
    """The trace as the browser holds it: every number rounded to float32 (then read as float64)."""
    names = [f.name for f in dataclasses.fields(tr) if isinstance(getattr(tr, f.name), np.ndarray)]
    return dataclasses.replace(tr, **{n: _f32(getattr(tr, n)).astype(np.float64) for n in names})


@needs_node
@pytest.mark.parametrize("kind", list(CELLS))
def test_js_sentence_is_step_reading_word_for_word(kind):
    seq = parse_sequence("the cat sat", text_mode=True)
    m = CELLS[kind].random(seq.input_size, 4, seed=5, weight_scale=2.5)
    tr = m.forward(seq.values)
    data = cell_view_data(tr, m.preactivations(tr), seq.labels, text_mode=True)
    got = _run_js(data, "(api, d) => { const M = api.model(d); const out = [];"
                        " for (let t = 0; t < M.T; t++) for (let u = 0; u < M.H; u++) out.push(api.reading(M, t, u));"
                        " return out; }")
    t32 = _float32_trace(tr)
    want = [step_sentence(t32, t, u, seq.labels[t]) for t in range(seq.steps) for u in range(4)]
    assert got == want


def _half(number: str) -> Decimal:
    """Half a unit in the last printed place of a number."""
    return Decimal(5) / Decimal(10) ** (len(number.split(".")[1]) + 1)


def _checks(line: str) -> None:
    """One printed equation line ("σ(0.1234) = 0.531", "0.73 × 0.10 + 0.41 × 0.20 = 0.155") redone on paper:
    every result is within half a unit of its last printed place of what its printed inputs give."""
    text = line.replace("−", "-")
    numbers = re.findall(r"-?\d+\.\d+", text)
    assert numbers and all(len(n.split(".")[1]) >= 3 for n in numbers), line
    calls = re.findall(r"(σ|tanh)\((-?\d+\.\d+)\) = \(?(-?\d+\.\d+)\)?(?![\d ]*×)", text)
    for _, c, tc in re.findall(r"(\S+) × tanh\((-?\d+\.\d+)\) = \1 × \(?(-?\d+\.\d+)\)?", text):
        calls.append(("tanh", c, tc))                                  # o × tanh(c) = o × tanh_c
    for fn, arg, out in calls:
        z = float(arg)
        val = 1 / (1 + math.exp(-z)) if fn == "σ" else math.tanh(z)
        assert abs(Decimal(val) - Decimal(out)) < _half(out), line
    factor = r"(?:\(1 - -?\d+\.\d+\)|\(?-?\d+\.\d+\)?)"
    products = re.search(rf"({factor} × {factor}(?: \+ {factor} × {factor})?) = (-?\d+\.\d+)$", text)
    if products:
        expr, out = products.groups()
        total = Decimal(0)
        for term in expr.split(" + "):
            a, b = (s.strip() for s in term.split("×"))
            one_minus = a.startswith("(1 - ")
            a = Decimal(a.replace("(1 - ", "").strip("()"))
            total += (1 - a if one_minus else a) * Decimal(b.strip("()"))
        assert abs(total - Decimal(out)) < _half(out), line
    assert products or re.fullmatch(r"(σ|tanh)\(-?\d+\.\d+\) = -?\d+\.\d+", text), line


@needs_node
@pytest.mark.parametrize("kind", list(CELLS))
def test_js_equations_check_out_with_the_printed_numbers(kind):
    m, tr, data = _view(kind, T=40, H=5, D=2, seed=3, scale=3.0)
    got = _run_js(data, "(api, d) => { const M = api.model(d); const out = [];"
                        " for (let t = 0; t < M.T; t++) for (let u = 0; u < M.H; u++) out.push(api.equations(M, t, u));"
                        " return out; }")
    t32 = _float32_trace(tr)
    results = []
    for k, lines in enumerate(got):
        t, u = divmod(k, 5)
        assert all(line["ok"] for line in lines), (t, u, lines)
        for line in lines:
            _checks(line["num"])
            results.append(line["num"].rsplit(" ", 1)[1])
        h = results[-1]
        assert abs(Decimal(h) - Decimal(float(t32.h[t, u]))) <= _half(h)    # the engine's h_t, rounded
    short = sum(len(r.split(".")[1]) == 3 for r in results)
    assert short / len(results) > 0.9                                      # results mostly to 3 decimals


VARIANT_MODELS = {   # name -> a model whose cell changes a line of the diagram's equations
    **{v: (lambda v=v: LSTM.random(2, 4, seed=7, weight_scale=2.5, variant=v))
       for v in ("peephole", "nig", "nfg", "nog", "niaf", "noaf", "cifg")},
    "relu": lambda: RNN.random(2, 4, seed=7, weight_scale=1.5, nonlinearity="relu"),
}


def _checks_variant(line: str, t32, t: int, u: int) -> None:
    """The lines only a variant prints, redone on paper: max(0, a) = b, 1 − i = f, o × c = h, and a bare number
    (a removed gate's 1, the niaf candidate's pre-activation) that must be the engine's value, rounded."""
    text = line.replace("−", "-")
    if m := re.fullmatch(r"max\(0, (-?\d+\.\d+)\) = (-?\d+\.\d+)", text):
        assert abs(Decimal(max(0.0, float(m[1]))) - Decimal(m[2])) < _half(m[2]), line
    elif m := re.fullmatch(r"1 - (-?\d+\.\d+) = (-?\d+\.\d+)", text):
        assert abs(1 - Decimal(m[1]) - Decimal(m[2])) < _half(m[2]), line
    elif re.fullmatch(r"-?\d+\.\d+", text):
        assert any(abs(Decimal(text) - Decimal(float(getattr(t32, q)[t, u]))) <= _half(text)
                   for q in ("i", "f", "o", "g")), line
    else:
        _checks(line)


@needs_node
@pytest.mark.parametrize("name", list(VARIANT_MODELS))
def test_js_equations_and_sentence_follow_the_variant(name):
    """A variant's lines are its own (f = 1, f = 1 - i, g unsquashed, h = o c, peepholes, relu), every one checks
    out on paper, the view names the variant, and the sentence is words.step_sentence word for word."""
    m = VARIANT_MODELS[name]()
    x = np.random.default_rng(3).normal(size=(12, 2))
    tr = m.forward(x)
    data = cell_view_data(tr, m.preactivations(tr), None)
    assert (data["variant"], data["nonlinearity"]) == (getattr(tr, "variant", "lstm"), getattr(tr, "nonlinearity", "tanh"))
    got = _run_js(data, "(api, d) => { const M = api.model(d); const out = [];"
                        " for (let t = 0; t < M.T; t++) for (let u = 0; u < M.H; u++)"
                        " out.push([api.equations(M, t, u), api.reading(M, t, u)]); return out; }")
    t32 = _float32_trace(tr)
    syms = set()
    for k, (lines, sentence) in enumerate(got):
        t, u = divmod(k, 4)
        assert all(ln["ok"] for ln in lines), (t, u, lines)
        for ln in lines:
            _checks_variant(ln["num"], t32, t, u)
            syms.add(re.sub(r"<[^>]+>", "", ln["sym"]))
        assert sentence == step_sentence(t32, t, u, data["labels"][t])
    want = {"peephole": "+ pf ct−1", "nig": "it = 1 (no input gate", "nfg": "ft = 1 (no forget gate",
            "nog": "ot = 1 (no output gate", "niaf": "gt = Wg[ht−1, xt] + bg", "noaf": "ht = ot ct",
            "cifg": "ft = 1 − it", "relu": "ht = max(0,"}[name]
    assert any(want in s for s in syms), (want, syms)
