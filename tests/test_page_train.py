"""AppTest of the training page: tasks and shipped models, a short run that learns and is used everywhere,
the lag sweep."""
import pytest

from apptest_helpers import app as _app
from apptest_helpers import figures as _figures
from apptest_helpers import ok as _ok
from apptest_helpers import own_model
from apptest_helpers import text as _text

from lstm_viz.presets import PRESETS
from lstm_viz.ui.training import RUNS_KEY


def _page(name: str):
    return _app(name, timeout=120)


def test_train_defaults_and_presets():
    at = _page("train")
    assert "74,000" in _text(at)
    for task in ("adding", "first_symbol", "temporal_order"):
        at.get_by_key("train_task").set_value(task).run()
        _ok(at)
    shipped = [k for k, p in PRESETS.items() if p.task == "temporal_order"]
    assert len(shipped) == 3                      # an LSTM, a GRU and an RNN trained on it, each offered
    for key in shipped:
        at.get_by_key(f"train_preset_{key}").click().run()
        _ok(at)
        assert at.session_state["weights"] == key


def test_a_short_training_run_learns_and_can_be_used_everywhere():
    at = _page("train")
    at.get_by_key("train_length").set_value(10)
    at.get_by_key("train_steps").set_value(120)
    at.get_by_key("train_seconds").set_value(5)
    at.get_by_key("train_go").click().run()
    _ok(at)
    runs = at.session_state[RUNS_KEY]
    assert runs["status"] == "done" and list(runs["runs"]) == ["RNN", "LSTM"]
    for run in runs["runs"].values():
        assert run.final is not None and run.final.done
        assert run.test_loss[-1] < run.test_loss[0]                  # it learned something
    text = _text(at)
    assert "RNN: test MSE" in text and "LSTM: test MSE" in text and "training sequences" in text
    names = [t["name"] for t in _figures(at)[0]["data"]]
    assert "LSTM test" in names and "RNN test" in names
    assert at.get("download_button")
    at.get_by_key("train_use_LSTM").click().run()
    _ok(at)
    assert own_model(at)["model"].kind == "lstm"
    assert at.get_by_key("weights").value == "custom"
    # a Stop click reruns the page mid-run: what was stored so far is shown with a warning
    at.session_state[RUNS_KEY]["status"] = "running"
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


def test_greff_variants_train_side_by_side():
    """A student reruns part of Greff et al.'s ablation: the plain LSTM and the one without a forget gate, same
    task, seed and budget; each run is the variant it says."""
    at = _page("train")
    at.get_by_key("train_models").set_value(["LSTM", "LSTM nfg"])
    at.get_by_key("train_length").set_value(10)
    at.get_by_key("train_steps").set_value(30)
    at.get_by_key("train_go").click().run()
    _ok(at)
    runs = at.session_state[RUNS_KEY]["runs"]
    assert list(runs) == ["LSTM", "LSTM nfg"]
    assert runs["LSTM"].last.model.variant == "lstm" and runs["LSTM nfg"].last.model.variant == "nfg"
    assert "LSTM nfg: test MSE" in _text(at)
    at.get_by_key("train_mode").set_value("Lag sweep: train at several lengths").run()
    at.get_by_key("train_models").set_value(["LSTM nfg"]).run()
    assert at.get_by_key("train_go").disabled                        # a sweep compares the plain cells only
