"""AppTest of the gradient, training and upload pages: defaults, presets, every control, a short training
run, bad and good uploads. Figures are compared through the JSON Streamlit sends to the browser."""
import io

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lstm_viz import GRU, LSTM, Stack
from lstm_viz.presets import PRESETS

from apptest_helpers import APP
from apptest_helpers import figures as _figures
from apptest_helpers import ok as _ok
from apptest_helpers import text as _text


def _page(name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(f"pages/{name}.py")
    at.run()
    _ok(at)
    return at


# ---------------------------------------------------------------------------------------------
# vanishing gradients


@pytest.fixture(scope="module")
def gradients():
    return _page("gradients")


def test_gradients_defaults(gradients):
    figs = _figures(gradients)
    assert len(figs) == 3                                   # norms, animation, cell split
    names = [t["name"] for t in figs[0]["data"]]
    assert names[:2] == ["RNN", "LSTM"] and "σ_max" in names[2]
    assert len(figs[1]["frames"]) == 60
    text = _text(gradients)
    assert "After 40 steps back, the RNN's gradient" in text and "the LSTM keeps" in text
    assert "Pascanu" in text and "sigmoid(1) = 0.73" in text
    assert gradients.table                                  # the forget-bias table


CONTROLS = [("grad_source", "the sidebar's sequence"), ("grad_source", "a random sequence"), ("grad_length", 30),
            ("grad_models", ["RNN", "LSTM", "GRU"]), ("grad_jacobian", True), ("grad_jacobian", False), ("grad_clip", True),
            ("grad_clip_value", 0.05), ("forget_bias", 3.0), ("weight_scale", 0.5), ("hidden_size", 4), ("seed", 7)]


def test_gradients_each_control_changes_the_figures():
    at = _page("gradients")
    for key, value in CONTROLS:
        before = _figures(at)
        at.get_by_key(key).set_value(value).run()
        _ok(at)
        after = _figures(at)
        assert after[0] != before[0], key                    # the main plot
        if key not in ("grad_jacobian", "grad_clip", "grad_clip_value"):      # clipping keeps every ratio
            assert after[1]["data"] != before[1]["data"], key    # the animation
    # clipping at 0.05: the largest norm drawn is the threshold, and the page says the ratios stay
    assert "Clipping scaled" in _text(at)
    assert max(v for v in _figures(at)[0]["data"][0]["y"] if v is not None) == pytest.approx(0.05)
    at.get_by_key("grad_k").set_value(10).run()
    assert "After 10 steps back" in _text(at)
    at.get_by_key("forget_bias").set_value(-3.0).run()       # shut forget gates: the LSTM forgets too
    _ok(at)
    assert "forgets too" in _text(at)
    at.get_by_key("grad_models").set_value([]).run()
    _ok(at)
    assert at.warning and not _figures(at)


def test_gradients_with_a_preset_model():
    at = _page("gradients")
    at.get_by_key("weights").set_value("latch").run()            # hand-built, reads 2 numbers a step
    _ok(at)
    assert [t["name"] for t in _figures(at)[0]["data"]][:3] == ["RNN", "LSTM", "the preset"]
    at.get_by_key("grad_source").set_value("the sidebar's sequence").run()
    _ok(at)


# ---------------------------------------------------------------------------------------------
# training


def test_train_defaults_and_presets():
    at = _page("train")
    assert "74,000" in _text(at)
    for task in ("adding", "first_symbol", "temporal_order"):
        at.get_by_key("train_task").set_value(task).run()
        _ok(at)
    shipped = [k for k, p in PRESETS.items() if p.task == "temporal_order" and p.path.exists()]
    if shipped:                               # the trained presets' files are in the tree: each one is offered
        at.get_by_key(f"train_preset_{shipped[0]}").click().run()
        _ok(at)
        assert at.session_state["weights"] == shipped[0]
    else:
        assert "No trained models for this task" in _text(at)


def test_a_short_training_run_learns_and_can_be_used_everywhere():
    at = _page("train")
    at.get_by_key("train_length").set_value(10)
    at.get_by_key("train_steps").set_value(120)
    at.get_by_key("train_seconds").set_value(5)
    at.get_by_key("train_go").click().run()
    _ok(at)
    runs = at.session_state["app2_runs"]
    assert runs["status"] == "done" and list(runs["runs"]) == ["RNN", "LSTM"]
    for run in runs["runs"].values():
        assert run["final"] is not None
        assert run["test_loss"][-1] < run["test_loss"][0]          # it learned something
    text = _text(at)
    assert "RNN: test MSE" in text and "LSTM: test MSE" in text and "training sequences" in text
    names = [t["name"] for t in _figures(at)[0]["data"]]
    assert "LSTM test" in names and "RNN test" in names
    assert at.get("download_button")
    at.get_by_key("train_use_LSTM").click().run()
    _ok(at)
    assert at.session_state["_custom"]["model"].kind == "lstm"
    assert at.get_by_key("weights").value == "custom"
    # a Stop click reruns the page mid-run: what was stored so far is shown with a warning
    at.session_state["app2_runs"]["status"] = "running"
    at.run()
    assert any("stopped" in w.value for w in at.warning)


@pytest.mark.slow
def test_lag_sweep_on_a_tiny_budget():
    at = _page("train")
    at.get_by_key("train_task").set_value("first_symbol")
    at.get_by_key("train_mode").set_value("Lag sweep: train at several lengths")
    at.get_by_key("train_steps").set_value(10)
    at.get_by_key("train_seconds").set_value(1)
    at.get_by_key("train_go").click().run()
    _ok(at)
    fig = _figures(at)[0]
    assert [t["name"] for t in fig["data"]] == ["RNN", "LSTM"]
    assert fig["data"][0]["x"] == [5, 10, 20, 40, 80]
    assert "learned" in _text(at)


# ---------------------------------------------------------------------------------------------
# your own model


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def test_upload_a_valid_pytorch_file_then_a_bad_one_keeps_it():
    at = _page("your_model")
    assert at.info and len([c for c in at.code if c.language == "python"]) == 2   # both export snippets
    torch_file = _npz(**{f"lstm.{k}": v for k, v in LSTM.random(1, 5, seed=3).state_dict().items()})
    at.file_uploader(key="upload_file").set_value(("w.npz", torch_file, "application/octet-stream")).run()
    _ok(at)
    assert not at.error
    assert "PyTorch weights: an LSTM with input size 1 and hidden size 5" in at.success[0].value
    assert at.get_by_key("weights").value == "custom"
    first = at.session_state["_custom"]["id"]
    for bad in (b"not a zip at all", _npz(weight_ih_l0=np.zeros((4, 1)), weight_hh_l0=np.full((4, 1), np.nan))):
        at.file_uploader(key="upload_file").set_value(("bad.npz", bad, "application/octet-stream")).run()
        _ok(at)
        assert len(at.error) == 1 and at.error[0].value.startswith("bad.npz: ")
        assert "still in use" in "\n".join(c.value for c in at.caption)
        assert at.session_state["_custom"]["id"] == first
    at.get_by_key("upload_forget").click().run()
    _ok(at)
    assert "_custom" not in at.session_state and at.get_by_key("weights").value == "random"


def test_upload_keras_gru_stack_and_pick_a_layer():
    at = _page("your_model")
    a, b = GRU.random(1, 3, seed=1), GRU.random(3, 3, seed=2)

    def keras(m):
        def zrh(w):
            r, z, n = np.split(w, 3)
            return np.concatenate([z, r, n])
        return zrh(m.weight_ih).T, zrh(m.weight_hh).T, np.stack([zrh(m.bias_ih), zrh(m.bias_hh)])
    arrays = {}
    for name, m in (("gru_1", a), ("gru_2", b)):
        arrays[f"{name}/kernel"], arrays[f"{name}/recurrent_kernel"], arrays[f"{name}/bias"] = keras(m)
    at.file_uploader(key="upload_file").set_value(("keras.npz", _npz(**arrays), "application/octet-stream")).run()
    _ok(at)
    assert "Keras weights: a 2-layer GRU" in at.success[0].value
    np.testing.assert_allclose(at.session_state["_custom"]["model"].forward(np.ones((3, 1))).h,
                               Stack([a, b]).forward(np.ones((3, 1))).h, rtol=1e-12)
    at.get_by_key("layer").set_value(1).run()
    _ok(at)
    assert "layer 1" in "\n".join(c.value for c in at.caption)
    at.switch_page("pages/gradients.py").run()
    at.run()      # AppTest's switch_page drops the URL parameters for one run; a browser keeps them
    _ok(at)
    assert "your model" in [t["name"] for t in _figures(at)[0]["data"]]
