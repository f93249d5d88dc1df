"""Bounded by construction: extreme but valid values stay finite and quiet, caches are bounded, and two
sessions never see each other's model.

Warnings are errors here (pyproject filterwarnings plus np.errstate(**LOUD) around the engine), so
"no NumPy warnings" is checked, not hoped for.
"""
from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from lstm_viz import GRU, LSTM, RNN, gradient_flow
from lstm_viz.limits import MAX_ABS_INPUT, MAX_HIDDEN_SIZE, MAX_INPUT_SIZE, MAX_STEPS
from lstm_viz.sequences import parse_sequence

ROOT = Path(__file__).resolve().parents[1]
UI = ROOT / "lstm_viz" / "ui"


# Everything NumPy warns about by default becomes an exception (underflow to 0 is silent in NumPy and
# harmless: a gradient that small is shown as vanished).
LOUD = dict(over="raise", divide="raise", invalid="raise")


def _finite(*arrays) -> bool:
    return all(a is None or bool(np.all(np.isfinite(a))) for a in arrays)


# ---------------------------------------------------------------------------------------------
# extreme valid values through the engine calls the pages make


@pytest.mark.parametrize("cell", [LSTM, GRU, RNN])
@pytest.mark.parametrize("weight_scale", [0.0, 1e-6, 10.0, 100.0])
def test_inputs_at_the_limit_give_finite_traces_and_gradients(cell, weight_scale):
    """Inputs of magnitude 1e6 (the parser's cap) saturate every gate; nothing overflows or warns."""
    x = parse_sequence(", ".join(f"{s}{MAX_ABS_INPUT:g}" for s in ["", "-"] * 20)).values   # (40, 1)
    m = cell.random(1, 16, seed=3, weight_scale=weight_scale, forget_bias=5.0)
    with np.errstate(**LOUD):
        tr = m.forward(x)
        gr = m.backward(tr, np.ones_like(tr.h))
        fl = gradient_flow(m, x, clip=1.0)
    assert _finite(tr.h, gr.weight_ih, gr.weight_hh, gr.x, fl.grad_h, fl.jac_spec, fl.jac_fro, fl.grad_c)
    assert np.all(np.abs(tr.h) <= 1.0)


@pytest.mark.parametrize("cell", [LSTM, GRU, RNN])
def test_longest_widest_sequence_at_largest_hidden_size(cell):
    """T = MAX_STEPS, D = MAX_INPUT_SIZE, H = MAX_HIDDEN_SIZE: forward and backward finite and quiet."""
    x = np.random.default_rng(0).normal(0, 1, (MAX_STEPS, MAX_INPUT_SIZE))   # (T, D)
    m = cell.random(MAX_INPUT_SIZE, MAX_HIDDEN_SIZE, seed=1, weight_scale=3.0)
    with np.errstate(**LOUD):
        tr = m.forward(x)
        gr = m.backward(tr, np.ones_like(tr.h))
    assert _finite(tr.h, gr.x, gr.weight_hh, gr.h0)


@pytest.mark.slow
@pytest.mark.parametrize("cell", [LSTM, GRU, RNN])
def test_gradient_flow_at_every_limit(cell):
    """The gradient page's computation at T = 500, D = 64, H = 128 (seconds per model): finite and quiet."""
    x = np.random.default_rng(0).normal(0, 1, (MAX_STEPS, MAX_INPUT_SIZE))   # (T, D)
    m = cell.random(MAX_INPUT_SIZE, MAX_HIDDEN_SIZE, seed=1, weight_scale=3.0)
    with np.errstate(**LOUD):
        fl = gradient_flow(m, x)
    assert fl.grad_h.shape == (MAX_STEPS,)
    assert _finite(fl.grad_h, fl.jac_spec, fl.jac_fro, fl.grad_c, fl.forget_product, fl.pascanu_bound)


def test_gradient_flow_long_sequence_quiet():
    """T = MAX_STEPS at a moderate width, every cell: the gradient page's default models at its longest."""
    x = np.random.default_rng(0).normal(0, 1, (MAX_STEPS, 2))
    for cell in (LSTM, GRU, RNN):
        with np.errstate(**LOUD):
            fl = gradient_flow(cell.random(2, 16, seed=1, weight_scale=8.0), x)
        assert _finite(fl.grad_h, fl.jac_spec, fl.jac_fro, fl.grad_c, fl.forget_product, fl.pascanu_bound)


def test_text_mode_at_its_limits():
    """500 characters over 64 distinct ones: the widest one-hot input the parser allows."""
    alphabet = "".join(chr(0x41 + k) for k in range(MAX_INPUT_SIZE))
    seq = parse_sequence((alphabet * 10)[:MAX_STEPS], text_mode=True)
    assert seq.values.shape == (MAX_STEPS, MAX_INPUT_SIZE)
    with np.errstate(**LOUD):
        tr = LSTM.random(MAX_INPUT_SIZE, MAX_HIDDEN_SIZE, seed=0).forward(seq.values)
    assert _finite(tr.c, tr.h)


# ---------------------------------------------------------------------------------------------
# caches: every st.cache_data / st.cache_resource in the ui module is bounded


def _cache_decorators(path: Path):
    """(function name, decorator call or bare name) for every st.cache_* decorator in the file."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for dec in node.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                if isinstance(target, ast.Attribute) and target.attr in ("cache_data", "cache_resource"):
                    yield node.name, dec


def _streamlit_files():
    return [p for p in [ROOT / "app.py", *sorted(UI.rglob("*.py")), *sorted((ROOT / "pages").glob("*.py"))] if p.exists()]


def test_every_cache_is_bounded():
    files = _streamlit_files()
    if not UI.exists():
        pytest.fail("lstm_viz/ui/ does not exist; the app's caches live there.")
    found = []
    for path in files:
        for name, dec in _cache_decorators(path):
            found.append(name)
            keywords = {k.arg for k in dec.keywords} if isinstance(dec, ast.Call) else set()
            assert keywords & {"max_entries", "ttl"}, (
                f"{path.name}: {name} is cached without max_entries or ttl, so a public server's memory grows "
                f"with every visitor's inputs.")
    assert found, "no st.cache_data in the app: expensive calls are recomputed on every rerun"


# ---------------------------------------------------------------------------------------------
# pages at the controls' limits, and sessions kept apart (AppTest runs the real app.py)


def _app(params: dict, page: str | None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params = dict(params)
    if page:
        at.switch_page(page)
    return at


EXTREME = {"sequence": ", ".join(f"{s}1e6" for s in ["", "-"] * (MAX_STEPS // 2)), "weight_scale": "8",
           "forget_bias": "-3", "step": str(MAX_STEPS - 1)}


@pytest.mark.parametrize("page", ["pages/cell.py", "pages/gates.py",
                                  "pages/gradients.py"])
def test_pages_render_at_the_limits_of_the_controls(page):
    """500 steps of +-1e6, weight scale 8 and forget bias -3 (the sliders' ends): no exception, no warning
    about the link (every value is allowed), and the figures carry only finite numbers."""
    at = _app(EXTREME, page)
    with np.errstate(**LOUD):
        at.run()
        if page == "pages/gradients.py":           # its own sequence-length slider at its end too
            at.slider(key="grad_length").set_value(MAX_STEPS)
            at.multiselect(key="grad_models").set_value(["RNN", "LSTM", "GRU"])
            at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.warning, [w.value for w in at.warning]
    charts = at.get("plotly_chart")
    views = [_view_arrays(e.proto.bytes) for e in at.get("bidi_component") if e.proto.component_name == "lstm_viz_cellview"]
    assert charts or views
    for chart in charts:
        assert "NaN" not in chart.proto.spec and "Infinity" not in chart.proto.spec
    for arrays in views:                                       # the cell view's payload, every step
        assert _finite(*arrays.values())


def _view_arrays(raw: bytes) -> dict:
    """The arrays of a cell view's payload (lstm_viz.ui.cellview.frame), by name."""
    from lstm_viz.figures.cellview import decode
    from lstm_viz.ui.cellview import unframe

    data = unframe(raw)
    arrays = {f"{group}.{q}": decode(text) for group in ("fields", "pre") for q, text in data[group].items()}
    arrays.update({k: decode(data[k]) for k in ("h0", "c0", "x") if k in data})
    return arrays


def test_two_sessions_never_see_each_others_model():
    """Two visitors at once with different settings, runs interleaved: each sees its own model's numbers.
    The caches are shared by design, so this checks that their keys tell the models apart."""
    from lstm_viz import ui  # noqa: F401  (the app's module; imported here so a missing ui fails clearly)

    a = _app({"sequence": "1, 2, 3", "hidden_size": "3", "seed": "11", "weight_scale": "2"}, "pages/cell.py")
    b = _app({"sequence": "1, 2, 3", "hidden_size": "3", "seed": "12", "weight_scale": "2"}, "pages/cell.py")
    x = np.array([[1.0], [2.0], [3.0]])
    expected = {name: LSTM.random(1, 3, seed=seed, weight_scale=2.0).forward(x).h[0] for name, seed in
                (("a", 11), ("b", 12))}
    seen = {}
    for name, at in (("a", a), ("b", b), ("a", a), ("b", b)):
        at.run()
        assert not at.exception
        (view,) = [e for e in at.get("bidi_component") if e.proto.component_name == "lstm_viz_cellview"]
        seen[name] = _view_arrays(view.proto.bytes)["fields.h"][:3]    # every unit at step 0
        np.testing.assert_allclose(seen[name], expected[name], atol=5e-4, err_msg=f"session {name}")
    assert not np.allclose(seen["a"], seen["b"])
