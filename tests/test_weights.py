"""Reading weights (lstm_viz.weights): Keras and PyTorch layouts, round trips, and every hostile file.

Keras files are built by hand from a PyTorch-layout model (transpose; GRU gates r, z, n reordered to
z, r, h; the reset_after bias as (2, 3H)), so a correct reader must give back the same forward pass.
Hostile files must each end in one ValueError sentence without running code or reading what they claim.
"""
import io
import pickle
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

from lstm_viz import GRU, LSTM, RNN, Stack, load_weights, read_weights, save_model
from lstm_viz import weights as W
from lstm_viz.limits import MAX_UPLOAD_MB


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _same_forward(a, b, D):
    x = np.random.default_rng(7).normal(size=(6, D))
    np.testing.assert_allclose(a.forward(x).h, b.forward(x).h, rtol=1e-12, atol=1e-14)


def _keras_gru(m: GRU) -> dict:
    """A Keras GRU(reset_after=True) holding the same function as the PyTorch-layout m."""
    def zrh(a):  # PyTorch r, z, n blocks along axis 0 -> Keras z, r, h
        r, z, n = np.split(a, 3)
        return np.concatenate([z, r, n])
    return {"kernel": zrh(m.weight_ih).T, "recurrent_kernel": zrh(m.weight_hh).T,
            "bias": np.stack([zrh(m.bias_ih), zrh(m.bias_hh)])}


def test_keras_lstm_is_transposed_pytorch_with_one_bias():
    m = LSTM.random(3, 4, seed=1)
    got = read_weights(_npz(kernel=m.weight_ih.T, recurrent_kernel=m.weight_hh.T, bias=m.bias_ih + m.bias_hh))
    assert got.framework == "keras" and got.model.kind == "lstm"
    assert (got.model.input_size, got.model.hidden_size) == (3, 4)
    _same_forward(got.model, m, 3)
    assert "Keras" in got.summary and "LSTM" in got.summary


def test_keras_gru_reset_after_reorders_gates():
    m = GRU.random(2, 3, seed=2)
    got = read_weights(_npz(**_keras_gru(m)))
    assert got.model.kind == "gru"
    _same_forward(got.model, m, 2)
    # the same arrays without the reorder would be a different function: the test can fail
    wrong = GRU(m.weight_ih, m.weight_hh, m.bias_ih, m.bias_hh)
    k = _keras_gru(m)
    shuffled = GRU(k["kernel"].T, k["recurrent_kernel"].T, k["bias"][0], k["bias"][1])
    x = np.ones((4, 2))
    assert not np.allclose(shuffled.forward(x).h, wrong.forward(x).h)


def test_keras_gru_without_reset_after_is_refused():
    m = GRU.random(2, 3, seed=2)
    k = _keras_gru(m)
    with pytest.raises(ValueError, match="reset_after"):
        read_weights(_npz(kernel=k["kernel"], recurrent_kernel=k["recurrent_kernel"], bias=k["bias"][0]))


def test_keras_simple_rnn():
    m = RNN.random(2, 5, seed=3)
    got = read_weights(_npz(kernel=m.weight_ih.T, recurrent_kernel=m.weight_hh.T, bias=m.bias_ih + m.bias_hh))
    assert got.model.kind == "rnn"
    _same_forward(got.model, m, 2)


def test_keras_two_layers_with_prefixes_and_dense_readout():
    a, b = LSTM.random(2, 3, seed=4), LSTM.random(3, 3, seed=5)
    Wd, bd = np.random.default_rng(0).normal(size=(3, 2)), np.array([0.1, -0.2])   # Dense kernel (H, O)
    arrays = {}
    for name, m in (("lstm_1", a), ("lstm_2", b)):
        arrays.update({f"{name}/kernel": m.weight_ih.T, f"{name}/recurrent_kernel": m.weight_hh.T,
                       f"{name}/bias": m.bias_ih + m.bias_hh})
    arrays.update({"dense/kernel": Wd, "dense/bias": bd})
    got = read_weights(_npz(**arrays))
    assert isinstance(got.model, Stack) and got.model.num_layers == 2
    _same_forward(got.model, Stack([a, b]), 2)
    np.testing.assert_array_equal(got.readout_weight, Wd.T)
    np.testing.assert_array_equal(got.readout_bias, bd)
    assert "2-layer LSTM" in got.summary and "read-out to 2 outputs" in got.summary


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_save_load_round_trip_with_stack_and_readout(kind, tmp_path):
    cls = {"lstm": LSTM, "gru": GRU, "rnn": RNN}[kind]
    stack = Stack([cls.random(2, 4, seed=1), cls.random(4, 4, seed=2), cls.random(4, 4, seed=3)])
    Wr, br = np.random.default_rng(1).normal(size=(3, 4)), np.zeros(3)
    path = tmp_path / "w.npz"
    save_model(path, stack, Wr, br)
    got = read_weights(path)
    assert got.framework == "pytorch" and isinstance(got.model, Stack) and got.model.num_layers == 3
    for k, v in stack.state_dict().items():
        np.testing.assert_array_equal(got.model.state_dict()[k], v)
    np.testing.assert_array_equal(got.readout_weight, Wr)
    np.testing.assert_array_equal(got.readout_bias, br)
    # one layer, no read-out, from bytes and from a file object; and a module prefix as torch writes it
    single = cls.random(3, 2, seed=9)
    buf = io.BytesIO()
    single.save(buf)
    assert read_weights(buf.getvalue()).readout_weight is None
    _same_forward(load_weights(io.BytesIO(buf.getvalue())), single, 3)
    prefixed = _npz(**{f"rnn.{k}": v for k, v in single.state_dict().items()})
    _same_forward(load_weights(prefixed), single, 3)


def _one_sentence(msg: str) -> bool:
    """One sentence: ends with a full stop, no new line, no '. X' inside."""
    return msg.endswith(".") and "\n" not in msg and not re.search(r"[.!?]\s+[A-Z]", msg[:-1]) and len(msg) < 400


def _refused(source, *words):
    with pytest.raises(ValueError) as e:
        read_weights(source)
    msg = str(e.value)
    assert _one_sentence(msg), msg
    for w in words:
        assert w in msg, msg
    return msg


class _Touch:
    """Unpickling this calls Path(target).touch(): a payload that leaves a file behind if it runs."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (Path.touch, (Path(self.target),))


def _pickled_npz(target) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, weight_ih_l0=np.array([_Touch(target)], dtype=object), weight_hh_l0=np.zeros((1, 1)))
    return buf.getvalue()


def test_pickled_object_array_never_runs(tmp_path):
    # the payload is live: loading it the unsafe way does create its file
    live = tmp_path / "proof"
    with np.load(io.BytesIO(_pickled_npz(live)), allow_pickle=True) as f:
        f["weight_ih_l0"]
    assert live.exists()
    target = tmp_path / "pwned"
    _refused(_pickled_npz(target), "weight_ih_l0", "pickle")
    assert not target.exists()


def _zip(**members) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _npy(arr) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def test_a_zip_that_is_not_npz():
    _refused(_zip(**{"readme.txt": b"hello"}), "not an .npz")
    _refused(_zip(), "not an .npz")


def test_random_bytes():
    rng = np.random.default_rng(0)
    _refused(rng.bytes(1000), "not an .npz")
    _refused(b"PK" + rng.bytes(1000), "not an .npz")
    _refused(b"", "not an .npz")


def test_missing_keys():
    _refused(_npz(foo=np.zeros(3)), "no recurrent weights")
    _refused(_npz(weight_ih_l0=np.zeros((4, 1))), "weight_hh_l0")
    m = LSTM.random(1, 2)
    sd = m.state_dict()
    _refused(_npz(**{k.replace("_l0", "_l1"): v for k, v in sd.items()}, **sd, weight_ih_l3=sd["weight_ih_l0"]),
             "without gaps")
    _refused(_npz(recurrent_kernel=np.zeros((1, 4)), bias=np.zeros(4)), "no kernel")


def test_wrong_shapes():
    _refused(_npz(weight_ih_l0=np.zeros((8, 1)), weight_hh_l0=np.zeros((5, 3))), "weight_hh", "(5, 3)")
    _refused(_npz(weight_ih_l0=np.zeros((7, 1)), weight_hh_l0=np.zeros((8, 2))), "weight_ih", "(7, 1)")
    _refused(_npz(weight_ih_l0=np.zeros((8, 1)), weight_hh_l0=np.zeros((8, 2)), bias_ih_l0=np.zeros(3)), "bias_ih")
    _refused(_npz(kernel=np.zeros((1, 5)), recurrent_kernel=np.zeros((2, 5))), "recurrent_kernel")
    m = LSTM.random(1, 2)
    _refused(_npz(**m.state_dict(), **{"readout.weight": np.zeros((1, 3)), "readout.bias": np.zeros(1)}), "read-out")


@pytest.mark.parametrize("bad, words", [
    (np.array(["a", "b"]), "text"),
    (np.array([b"a"]), "bytes"),
    (np.zeros((8, 1), dtype=complex), "complex"),
    (np.zeros((8, 1), dtype=np.int64), "int64"),
    (np.zeros((8, 1), dtype=bool), "booleans"),
])
def test_wrong_dtypes(bad, words):
    _refused(_npz(weight_ih_l0=bad, weight_hh_l0=np.zeros((8, 2))), "weight_ih_l0", words)


def test_object_array_without_payload():
    _refused(_npz(weight_ih_l0=np.array([1.0, None], dtype=object), weight_hh_l0=np.zeros((4, 1))), "pickle")


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nan_and_inf(value):
    w = np.zeros((4, 1))
    w[2, 0] = value
    _refused(_npz(weight_ih_l0=np.zeros((4, 1)), weight_hh_l0=w), "weight_hh_l0", "NaN or infinity")


def test_declared_array_size_far_beyond_the_limit():
    """An .npy header claiming 8 GB over a few bytes of data: refused from the header alone."""
    head = io.BytesIO()
    np.lib.format.write_array_header_1_0(head, {"descr": "<f8", "fortran_order": False, "shape": (10**9,)})
    member = head.getvalue() + bytes(64)
    _refused(_zip(**{"weight_hh_l0.npy": member, "weight_ih_l0.npy": _npy(np.zeros((1, 1)))}),
             "weight_hh_l0", "declares shape")


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """About 1 MB on disk, 200 MB of zeros once inflated, as a well-formed .npy member."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("weight_hh_l0.npy", "w", force_zip64=True) as fh:
            np.lib.format.write_array_header_1_0(fh, {"descr": "<f8", "fortran_order": False, "shape": (25 * 2**20,)})
            chunk = bytes(2**20)
            for _ in range(200):
                fh.write(chunk)
    return buf.getvalue()


def test_zip_bomb_is_refused_without_inflating_it(zip_bomb, monkeypatch):
    assert len(zip_bomb) < MAX_UPLOAD_MB * 2**20
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, *a, **k: opened.append(a) or real_open(self, *a, **k))
    _refused(zip_bomb, "MB once unpacked")
    assert opened == []                      # refused from the central directory: no member was read


def test_file_over_the_size_limit(tmp_path):
    big = bytes(MAX_UPLOAD_MB * 2**20 + 1)
    _refused(big, f"{MAX_UPLOAD_MB} MB")
    _refused(io.BytesIO(big), f"{MAX_UPLOAD_MB} MB")
    path = tmp_path / "big.npz"
    path.write_bytes(b"PK" + big)
    _refused(path, f"{MAX_UPLOAD_MB} MB")
    _refused(tmp_path / "missing.npz", "could not be read")


def test_too_many_layers_and_members():
    m = RNN.random(2, 2)
    layers = {}
    for k in range(5):
        layers.update({name.replace("_l0", f"_l{k}"): v for name, v in RNN.random(2, 2).state_dict().items()})
    _refused(_npz(**layers), "layers")
    many = {f"x{k}": np.zeros(1) for k in range(W.MAX_MEMBERS + 1)}
    _refused(_npz(**many, **m.state_dict()), "not an .npz")


def test_pickle_module_is_never_touched(monkeypatch):
    """Belt and braces: reading any of these files never reaches the unpickler."""
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("pickle.loads was called"))
    monkeypatch.setattr(pickle, "load", lambda *a, **k: pytest.fail("pickle.load was called"))
    with pytest.raises(ValueError):
        read_weights(_pickled_npz("/nonexistent/never"))
    read_weights(_npz(**LSTM.random(1, 2).state_dict()))


# ---------------------------------------------------------------------------------------------
# issue 11's loader cases, and what this package adds to PyTorch's names (issue 12)


def _keras_layer(m) -> dict:
    return {"kernel": m.weight_ih.T, "recurrent_kernel": m.weight_hh.T, "bias": m.bias_ih + m.bias_hh}


def test_keras_layers_stack_in_the_files_order_not_by_name():
    enc, dec = LSTM.random(2, 3, seed=1), LSTM.random(3, 3, seed=2)
    arrays = {f"{name}/{k}": v for name, m in (("encoder", enc), ("decoder", dec)) for k, v in _keras_layer(m).items()}
    got = read_weights(_npz(**arrays))
    _same_forward(got.model, Stack([enc, dec]), 2)           # sorting the names would put decoder first
    assert "in the file's order, encoder, decoder" in got.summary
    swapped = {k: v for k, v in sorted(arrays.items(), key=lambda kv: not kv[0].startswith("decoder"))}
    with pytest.raises(ValueError, match="layer 1 reads input of size 2|Layer 1 reads input of size 2"):
        read_weights(_npz(**swapped))                        # the other order is the other stack: input sizes clash


def test_keras_gru_without_bias_reads_as_reset_after_with_zero_biases():
    m = GRU(*(np.random.default_rng(3).normal(size=s) for s in ((9, 2), (9, 3))))   # zero biases
    k = _keras_gru(m)
    got = read_weights(_npz(kernel=k["kernel"], recurrent_kernel=k["recurrent_kernel"]))
    _same_forward(got.model, m, 2)
    assert "use_bias=False" in got.summary and "reset_after=True" in got.summary
    assert np.all(got.model.bias_ih == 0) and np.all(got.model.bias_hh == 0)


@pytest.mark.parametrize("variant", ["peephole", "cifg", "noaf"])
def test_lstm_variants_round_trip_through_save_and_read(variant, tmp_path):
    m = LSTM.random(2, 3, seed=4, variant=variant)
    path = tmp_path / "v.npz"
    save_model(path, Stack([m, LSTM.random(3, 3, seed=5, variant=variant)]), np.ones((1, 3)), np.zeros(1))
    got = read_weights(path)
    assert [layer.variant for layer in got.model.layers] == [variant, variant]
    assert f"({variant} variant)" in got.summary
    _same_forward(got.model.layers[0], m, 2)
    buf = io.BytesIO()
    m.save(buf)
    again = load_weights(buf.getvalue())
    assert again.variant == variant
    if variant == "peephole":
        np.testing.assert_array_equal(again.weight_peep, m.weight_peep)
    prefixed = _npz(**{f"lstm.{k}": v for k, v in m.state_dict().items()})   # a module prefix, as torch writes
    assert load_weights(prefixed).variant == variant


def test_a_plain_lstm_writes_exactly_pytorchs_keys():
    assert list(LSTM.random(2, 3).state_dict()) == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert list(RNN.random(2, 3).state_dict()) == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert set(LSTM.random(2, 3, variant="peephole").state_dict()) == {
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_peep_l0", "variant_l0.peephole"}


def test_rnn_nonlinearity_comes_from_the_caller_unless_the_file_names_it():
    tanh, relu = RNN.random(2, 3, seed=1), RNN.random(2, 3, seed=1, nonlinearity="relu")
    plain = _npz(**tanh.state_dict())                        # a PyTorch file: no word about its activation
    assert read_weights(plain).model.nonlinearity == "tanh"
    got = read_weights(plain, rnn_nonlinearity="relu")
    assert got.model.nonlinearity == "relu" and "ReLU activation (chosen on loading" in got.summary
    _same_forward(got.model, relu, 2)
    ours = _npz(**relu.state_dict())
    assert read_weights(ours).model.nonlinearity == "relu" and "named in the file" in read_weights(ours).summary
    keras = _npz(**_keras_layer(tanh))
    assert read_weights(keras, rnn_nonlinearity="relu").model.nonlinearity == "relu"
    assert read_weights(_npz(**LSTM.random(1, 2).state_dict()), rnn_nonlinearity="relu").model.kind == "lstm"
    with pytest.raises(ValueError, match="'tanh' or 'relu'"):
        read_weights(plain, rnn_nonlinearity="sigmoid")


def test_a_variant_named_for_the_wrong_cell_or_unknown_is_one_sentence():
    gru = GRU.random(2, 3).state_dict()
    _refused(_npz(**gru, **{"variant_l0.peephole": np.zeros(0)}), "variant", "GRU")
    _refused(_npz(**LSTM.random(2, 3).state_dict(), **{"variant_l0.vanilla": np.zeros(0)}), "'vanilla'")
    _refused(_npz(**LSTM.random(2, 3).state_dict(), weight_peep_l0=np.ones((3, 3))), "only the 'peephole' variant")
