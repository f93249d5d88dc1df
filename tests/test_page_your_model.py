"""AppTest of the your-own-model page: good and bad uploads, a Keras GRU stack and its layers."""
import io

import numpy as np

from apptest_helpers import app as _app
from apptest_helpers import figures as _figures
from apptest_helpers import ok as _ok
from apptest_helpers import own_model

from lstm_viz import GRU, LSTM, Stack


def _page(name: str):
    return _app(name, timeout=120)


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
    first = own_model(at)["id"]
    for bad in (b"not a zip at all", _npz(weight_ih_l0=np.zeros((4, 1)), weight_hh_l0=np.full((4, 1), np.nan))):
        at.file_uploader(key="upload_file").set_value(("bad.npz", bad, "application/octet-stream")).run()
        _ok(at)
        assert len(at.error) == 1 and at.error[0].value.startswith("bad.npz: ")
        assert "still use your model from before: w.npz" in at.error[0].value
        assert not at.success and not at.warning and not at.info          # one banner, one state
        assert own_model(at)["id"] == first
    at.get_by_key("upload_forget").click().run()
    _ok(at)
    assert own_model(at) is None and at.get_by_key("weights").value == "random"


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
    np.testing.assert_allclose(own_model(at)["model"].forward(np.ones((3, 1))).h,
                               Stack([a, b]).forward(np.ones((3, 1))).h, rtol=1e-12)
    at.get_by_key("layer").set_value(1).run()
    _ok(at)
    assert "layer 1" in "\n".join(c.value for c in at.caption)
    at.switch_page("pages/gradients.py").run()
    at.run()      # AppTest's switch_page drops the URL parameters for one run; a browser keeps them
    _ok(at)
    assert "your model" in [t["name"] for t in _figures(at)[0]["data"]]


def test_an_rnn_file_is_read_with_the_activation_the_visitor_names():
    """PyTorch's nn.RNN(nonlinearity='relu') saves the same arrays as a tanh RNN: the page asks, tanh by default."""
    from lstm_viz import RNN
    at = _page("your_model")
    m = RNN.random(1, 4, seed=5)
    at.file_uploader(key="upload_file").set_value(("rnn.npz", _npz(**m.state_dict()), "application/octet-stream")).run()
    _ok(at)
    x = np.linspace(-2, 2, 7)[:, None]
    np.testing.assert_allclose(own_model(at)["model"].forward(x).h, m.forward(x).h)      # tanh by default
    at.radio(key="upload_rnn_activation").set_value("relu").run()
    _ok(at)
    relu = RNN(m.weight_ih, m.weight_hh, m.bias_ih, m.bias_hh, nonlinearity="relu")
    got = own_model(at)["model"]
    assert got.nonlinearity == "relu" and not at.error
    np.testing.assert_allclose(got.forward(x).h, relu.forward(x).h)
    assert not np.allclose(relu.forward(x).h, m.forward(x).h)                               # it matters
