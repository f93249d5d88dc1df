"""Reading recurrent weights from .npz files written by PyTorch, Keras or this package.

Accepted layouts (H hidden, D input, L layers, G = 4 LSTM / 3 GRU / 1 RNN gates):
  PyTorch state_dict names, optionally under one module prefix ("lstm.weight_ih_l0"):
    weight_ih_l{k} (G*H, D or H), weight_hh_l{k} (G*H, H), bias_ih_l{k}, bias_hh_l{k} (G*H,)
    and what this package adds for a cell torch.nn has not (PyTorch's load_state_dict(strict=False) skips it):
    weight_peep_l{k} (3, H) and an empty array named variant_l{k}.<name> for an LSTM variant other than
    "lstm"; an empty array named nonlinearity_l{k}.relu for a ReLU RNN. A PyTorch file cannot say an
    RNN's nonlinearity: the caller says it (rnn_nonlinearity), unless the file names it.
  Keras, optionally under a layer prefix ("lstm/kernel"); several layers stack in the archive's own
  order (np.savez keeps a dict's order), which the summary states:
    kernel (D, G*H), recurrent_kernel (H, G*H), bias (G*H,) or, for a GRU with reset_after, (2, G*H)
    gate order LSTM i, f, c, o (= PyTorch's i, f, g, o); GRU z, r, h (reordered to r, z, n); a GRU
    without bias (use_bias=False) is read as Keras's default reset_after=True with zero biases
  An optional linear read-out: readout.weight (O, H) and readout.bias (O,) (any one PyTorch Linear
  or Keras Dense beside the recurrent layers is taken as the read-out too).

Loading never runs code: the zip's declared sizes and every .npy header are checked before any
array is read, object arrays are refused (allow_pickle=False), and every problem is a ValueError
with one sentence saying what was wrong and what is expected.
Layer: engine. Imports NumPy, the standard library and the engine only.
"""
from __future__ import annotations

import io
import os
import re
import tokenize
import zipfile
from dataclasses import dataclass

import numpy as np

from . import limits
from .cells import CELLS, GRU, LSTM, RNN, RNN_NONLINEARITIES, VARIANT_NAMES
from .stack import Stack

_KINDS = {4: LSTM, 3: GRU, 1: RNN}
_TORCH = re.compile(r"^(?P<prefix>.*?)(?P<name>weight_ih|weight_hh|bias_ih|bias_hh)_l(?P<layer>\d+)(?P<extra>.*)$")
_EXTRA = re.compile(r"^(?P<prefix>.*?)(?:(?P<setting>variant|nonlinearity)_l(?P<layer>\d+)\.(?P<value>\w+)"
                    r"|weight_peep_l(?P<peep>\d+))$")
_FLOATS = (np.float16, np.float32, np.float64)
MAX_MEMBERS = 64
MAX_ARRAY_BYTES = 64 * 2**20  # what the arrays may occupy once read, whatever the zip claims to compress


@dataclass(frozen=True, eq=False)
class Loaded:
    """A model read from a file, with its optional linear read-out."""

    model: object                       # LSTM, GRU, RNN or Stack
    readout_weight: np.ndarray | None   # (O, H)
    readout_bias: np.ndarray | None     # (O,)
    framework: str                      # 'pytorch' or 'keras'
    summary: str                        # one sentence: what was found


def load_weights(source, enforce_limits: bool = True, rnn_nonlinearity: str = "tanh"):
    """The model in an .npz file (path, bytes or binary file object): LSTM, GRU, RNN or Stack."""
    return read_weights(source, enforce_limits, rnn_nonlinearity).model


def save_model(path, model, readout_weight=None, readout_bias=None) -> None:
    """Write PyTorch state_dict names plus an optional read-out as readout.weight / readout.bias."""
    arrays = dict(model.state_dict())
    if readout_weight is not None:
        arrays["readout.weight"] = np.asarray(readout_weight)
        arrays["readout.bias"] = np.asarray(readout_bias)
    np.savez(path, **arrays)


def npz_bytes(model, readout_weight=None, readout_bias=None) -> bytes:
    """What save_model writes, as bytes (for a download button)."""
    buf = io.BytesIO()
    save_model(buf, model, readout_weight, readout_bias)
    return buf.getvalue()


def describe_layers(model) -> list[dict]:
    """One dict per layer, bottom first: kind, sizes and the largest singular value of W_hh, the number
    that bounds how fast an RNN's gradient can grow or shrink per step (Pascanu et al. 2013)."""
    layers = getattr(model, "layers", None) or [model]
    return [{"layer": k, "cell": m.kind.upper(), "input size": m.input_size, "hidden size": m.hidden_size,
             "largest singular value of W_hh": float(np.linalg.norm(m.weight_hh, 2))}
            for k, m in enumerate(layers)]


def read_weights(source, enforce_limits: bool = True, rnn_nonlinearity: str = "tanh") -> Loaded:
    """Read and check an .npz of weights; see the module docstring for the layouts.

    rnn_nonlinearity ("tanh" or "relu") is the activation of an RNN whose file does not name it (no
    PyTorch or Keras file can); it is ignored for an LSTM or GRU.
    """
    if rnn_nonlinearity not in RNN_NONLINEARITIES:
        raise ValueError(f"rnn_nonlinearity must be 'tanh' or 'relu'; got {rnn_nonlinearity!r}.")
    arrays = _read_npz(_bytes(source))
    notes: list[str] = []
    if any(_TORCH.match(k) for k in arrays):
        layers, readout, framework = _from_torch(arrays, rnn_nonlinearity, notes), _readout(arrays, torch=True), "pytorch"
    elif any(k.split("/")[-1].split(".")[-1] == "recurrent_kernel" for k in arrays):
        layers = _from_keras(arrays, rnn_nonlinearity, notes)
        readout, framework = _readout(arrays, torch=False), "keras"
    else:
        raise ValueError("The file holds no recurrent weights; expected PyTorch names (weight_ih_l0, weight_hh_l0, "
                         f"bias_ih_l0, bias_hh_l0) or Keras names (kernel, recurrent_kernel, bias); found {_names(arrays)}.")
    if enforce_limits:
        limits.check(input_size=layers[0].input_size, hidden_size=layers[0].hidden_size, layers=len(layers))
    model = layers[0] if len(layers) == 1 else Stack(layers)
    W, b = readout if readout else (None, None)
    if W is not None and W.shape[1] != model.hidden_size:
        raise ValueError(f"The read-out weight has shape {W.shape}; expected (outputs, {model.hidden_size}).")
    kind = model.kind.upper()
    what = f"{'an' if kind in ('LSTM', 'RNN') else 'a'} {kind}" if len(layers) == 1 else f"a {len(layers)}-layer {kind}"
    variants = list(dict.fromkeys(getattr(layer, "variant", "lstm") for layer in layers))
    if variants != ["lstm"]:
        what += f" ({', '.join(variants)} variant{'s' * (len(variants) > 1)})"
    summary = (f"{'Keras' if framework == 'keras' else 'PyTorch'} weights: {what} with input size "
               f"{model.input_size} and hidden size {model.hidden_size}"
               + (f", plus a linear read-out to {W.shape[0]} output{'s' * (W.shape[0] > 1)}" if W is not None else "")
               + "".join(f"; {note}" for note in dict.fromkeys(notes)) + ".")
    return Loaded(model, W, b, framework, summary)


# ---------------------------------------------------------------------------------------------
# the file


def _bytes(source) -> bytes:
    cap = limits.MAX_UPLOAD_MB * 2**20
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        try:
            if os.path.getsize(source) > cap:
                raise ValueError(f"The file is larger than the {limits.MAX_UPLOAD_MB} MB limit for weights.")
            with open(source, "rb") as fh:
                data = fh.read(cap + 1)
        except OSError as e:
            raise ValueError(f"The file could not be read ({e.strerror or e}); give the path of an .npz file.") from None
    elif hasattr(source, "read"):
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read(cap + 1)
    else:
        raise ValueError("Weights must come from a file path, bytes or a binary file object.")
    if len(data) > cap:
        raise ValueError(f"The file is larger than the {limits.MAX_UPLOAD_MB} MB limit for weights.")
    return data


def _read_npz(data: bytes) -> dict[str, np.ndarray]:
    not_npz = "The file is not an .npz archive (a zip of .npy arrays, as numpy.savez writes)."
    if not data.startswith(b"PK"):
        raise ValueError(not_npz)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError):
        raise ValueError(not_npz) from None     # NotImplementedError: a zip version zipfile cannot read
    if not infos or len(infos) > MAX_MEMBERS or any(not i.filename.endswith(".npy") or i.is_dir() for i in infos):
        raise ValueError(f"The file is not an .npz archive of weights: it must hold only .npy arrays (as "
                         f"numpy.savez writes), at most {MAX_MEMBERS} of them.")
    if sum(i.file_size for i in infos) > MAX_ARRAY_BYTES:
        raise ValueError(f"The arrays in the file would take more than {MAX_ARRAY_BYTES // 2**20} MB once "
                         "unpacked; recurrent weights for this app are far smaller.")
    out = {}
    for info in infos:
        key = info.filename[:-4]
        try:
            with zf.open(info) as fh:
                version = np.lib.format.read_magic(fh)
                shape, fortran, dtype = (np.lib.format.read_array_header_1_0(fh) if version == (1, 0)
                                         else np.lib.format.read_array_header_2_0(fh))
                if dtype.hasobject or dtype.type not in _FLOATS:
                    raise ValueError(f"Array '{key}' holds {_dtype_name(dtype)}; weights must be floating-point "
                                     "numbers (float16, float32 or float64).")
                if int(np.prod(shape, dtype=np.int64)) * dtype.itemsize > info.file_size:
                    raise ValueError(f"Array '{key}' declares shape {shape}, larger than the data stored for it.")
                fh.seek(0)
                a = np.lib.format.read_array(fh, allow_pickle=False)
        except ValueError as e:
            if str(e).startswith("Array '"):
                raise
            raise ValueError(f"Array '{key}' in the file is not a readable .npy array.") from None
        except (SyntaxError, tokenize.TokenError):   # numpy parses the .npy header as a Python literal
            raise ValueError(f"Array '{key}' in the file is not a readable .npy array.") from None
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError):
            raise ValueError(f"Array '{key}' in the file is damaged or uses an unsupported compression.") from None
        if not np.all(np.isfinite(a)):
            raise ValueError(f"Array '{key}' contains NaN or infinity; weights must be finite numbers.")
        out[key] = a.astype(np.float64)
    return out


def _dtype_name(dtype) -> str:
    if dtype.hasobject:
        return "Python objects (a pickle, which is never loaded)"
    return {"U": "text", "S": "bytes", "c": "complex numbers", "b": "booleans"}.get(
        dtype.kind, f"{dtype.name} values")


def _names(arrays) -> str:
    keys = sorted(arrays)
    return ", ".join(keys[:8]) + (" ..." if len(keys) > 8 else "")


# ---------------------------------------------------------------------------------------------
# layouts


def _from_torch(arrays, rnn_nonlinearity: str, notes: list) -> list:
    groups: dict[int, dict[str, np.ndarray]] = {}
    prefixes = set()
    for key, a in arrays.items():
        m = _TORCH.match(key)
        if not m:
            extra = _EXTRA.match(key)
            if extra and extra["peep"] is not None:
                groups.setdefault(int(extra["peep"]), {})["weight_peep"] = a
            elif extra:
                groups.setdefault(int(extra["layer"]), {})[extra["setting"]] = extra["value"]
            continue
        if m["extra"]:
            raise ValueError(f"Array '{key}' is from a bidirectional or projected (proj_size) layer; this app "
                             "shows one-directional layers without projection.")
        prefixes.add(m["prefix"])
        groups.setdefault(int(m["layer"]), {})[m["name"]] = a
    if any("weight_hr" in k for k in arrays):
        raise ValueError("The file has weight_hr (an LSTM with proj_size); this app shows LSTMs without projection.")
    if len(prefixes) > 1:
        raise ValueError(f"The file holds recurrent weights under several prefixes ({', '.join(sorted(prefixes))}); "
                         "save one recurrent module per file.")
    if sorted(groups) != list(range(len(groups))):
        raise ValueError(f"The layers are numbered {sorted(groups)}; expected _l0, _l1, ... without gaps.")
    if len(groups) > limits.MAX_LAYERS:
        raise ValueError(f"The file has {len(groups)} layers; this app accepts 1 to {limits.MAX_LAYERS}.")
    layers = []
    for k in range(len(groups)):
        g = groups[k]
        for name in ("weight_ih", "weight_hh"):
            if name not in g:
                raise ValueError(f"Layer {k} has no {name}_l{k}; each layer needs weight_ih, weight_hh "
                                 "(and optionally bias_ih, bias_hh).")
        settings = {name: g[name] for name in ("variant", "weight_peep", "nonlinearity") if name in g}
        layers.append(_cell(g["weight_ih"], g["weight_hh"], g.get("bias_ih"), g.get("bias_hh"), f"layer {k}",
                            settings, rnn_nonlinearity, notes))
    return layers


def _from_keras(arrays, rnn_nonlinearity: str, notes: list) -> list:
    groups: dict[str, dict[str, np.ndarray]] = {}
    for key, a in arrays.items():                        # the archive's own order
        prefix, _, name = key.rpartition("/") if "/" in key else key.rpartition(".")
        if name in ("kernel", "recurrent_kernel", "bias"):
            groups.setdefault(prefix, {})[name] = a
    rec = [p for p, g in groups.items() if "recurrent_kernel" in g]
    if len(rec) > 1:
        notes.append(f"layers stacked in the file's order, {', '.join(rec)}")
    if len(rec) > limits.MAX_LAYERS:
        raise ValueError(f"The file has {len(rec)} layers; this app accepts 1 to {limits.MAX_LAYERS}.")
    layers = []
    for p in rec:
        g = groups[p]
        where = f"layer '{p}'" if p else "the layer"
        if "kernel" not in g:
            raise ValueError(f"{where.capitalize()} has a recurrent_kernel but no kernel; Keras layers need kernel, "
                             "recurrent_kernel and bias.")
        K, R = g["kernel"], g["recurrent_kernel"]
        if R.ndim != 2 or K.ndim != 2 or R.shape[0] < 1 or R.shape[1] % R.shape[0]:
            raise ValueError(f"{where.capitalize()} has recurrent_kernel {R.shape} and kernel {K.shape}; expected "
                             "(H, G*H) and (D, G*H) with G = 4 (LSTM), 3 (GRU) or 1 (SimpleRNN).")
        H, G = R.shape[0], R.shape[1] // R.shape[0]
        b = g.get("bias", np.zeros((2, G * H) if G == 3 else G * H))
        b_ih, b_hh = (b[0], b[1]) if b.ndim == 2 and b.shape[0] == 2 else (b, None)
        W_ih, W_hh = K.T, R.T
        if G == 3 and "bias" not in g:
            notes.append(f"{where} has no biases (use_bias=False) and is read as Keras's default reset_after=True")
        if G == 3:
            if b_hh is None:
                raise ValueError(f"{where.capitalize()} is a Keras GRU with reset_after=False, which computes its "
                                 "candidate differently from PyTorch; re-export it with reset_after=True (the default).")
            W_ih, W_hh, b_ih, b_hh = (_keras_gru_order(a) for a in (W_ih, W_hh, b_ih, b_hh))
        layers.append(_cell(W_ih, W_hh, b_ih, b_hh, where, {}, rnn_nonlinearity, notes))
    return layers


def _keras_gru_order(a: np.ndarray) -> np.ndarray:
    """Keras stacks a GRU's gates z, r, h along axis 0 (after transposing); PyTorch wants r, z, n."""
    z, r, n = np.split(a, 3)
    return np.concatenate([r, z, n])


def _cell(W_ih, W_hh, b_ih, b_hh, where, settings: dict, rnn_nonlinearity: str, notes: list):
    """A cell of the kind W_hh's shape implies, with the variant or nonlinearity the file names (settings);
    shape errors become one sentence naming the layer."""
    if W_hh.ndim != 2 or W_hh.shape[1] < 1 or W_hh.shape[0] % W_hh.shape[1] or W_hh.shape[0] // W_hh.shape[1] not in _KINDS:
        raise ValueError(f"In {where}, weight_hh has shape {W_hh.shape}; expected (G*H, H) with G = 4 (LSTM), "
                         "3 (GRU) or 1 (RNN).")
    cls = _KINDS[W_hh.shape[0] // W_hh.shape[1]]
    allowed = {LSTM: ("variant", "weight_peep"), RNN: ("nonlinearity",)}.get(cls, ())
    stray = [name for name in settings if name not in allowed]
    if stray:
        raise ValueError(f"In {where}, the file gives {stray[0]} for a {cls.kind.upper()}, which has none; "
                         "only an LSTM has a variant and peepholes, only an RNN a nonlinearity.")
    if settings.get("variant", "lstm") not in VARIANT_NAMES:
        raise ValueError(f"In {where}, the file names the LSTM variant {settings['variant']!r}; this app knows "
                         f"{', '.join(VARIANT_NAMES)}.")
    if cls is RNN:
        named = "nonlinearity" in settings
        settings = {"nonlinearity": settings.get("nonlinearity", rnn_nonlinearity)}
        how = "named in the file" if named else "chosen on loading: a PyTorch or Keras file cannot say"
        notes.append(f"{'ReLU' if settings['nonlinearity'] == 'relu' else 'tanh'} activation ({how})")
    try:
        return cls(W_ih, W_hh, b_ih, b_hh, **settings)
    except ValueError as e:
        raise ValueError(f"In {where}: {e}") from None


def _readout(arrays, torch: bool):
    """The one Linear/Dense beside the recurrent weights, as (W (O, H), b (O,)), or None."""
    found = []
    for key, W in arrays.items():
        if torch and key.endswith("weight") and not _TORCH.match(key):
            b = arrays.get(key[: -len("weight")] + "bias")
            if W.ndim == 2 and b is not None and b.shape == (W.shape[0],):
                found.append((W, b))
        if not torch and (key.endswith("/kernel") or key.endswith(".kernel") or key == "kernel"):
            prefix = key[: -len("kernel")]
            if prefix + "recurrent_kernel" in arrays:
                continue
            b = arrays.get(prefix + "bias")
            if W.ndim == 2 and b is not None and b.shape == (W.shape[1],):
                found.append((W.T, b))
    if len(found) > 1:
        raise ValueError("The file holds more than one linear layer beside the recurrent weights; keep only the "
                         "read-out (readout.weight and readout.bias).")
    return found[0] if found else None


__all__ = ["Loaded", "load_weights", "read_weights", "save_model", "npz_bytes", "describe_layers", "CELLS"]
