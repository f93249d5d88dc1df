"""Regenerate tests/fixtures/torch_golden.npz: PyTorch's own forward values and autograd gradients.

Run once with PyTorch installed (it is not a test dependency):  python scripts/make_torch_fixture.py
The tests read only the .npz, so they check our NumPy engine against PyTorch without importing it.

Cases (odd sizes so that transposes and gate-order slips cannot cancel out):
    lstm   nn.LSTM(D=3, H=5), T=7, batch 2, random h0 and c0
    gru    nn.GRU(D=3, H=5),  T=7, batch 2, random h0
    rnn    nn.RNN(D=3, H=5, nonlinearity='tanh'), T=7, batch 2, random h0
    relu   nn.RNN(D=3, H=5, nonlinearity='relu'), T=7, batch 2, random h0
    lstm2  nn.LSTM(D=3, H=5, num_layers=2), T=7, batch 2, random h0 and c0 per layer
Every case uses loss = sum(dh * y) with a fixed random dh on every step's output y (T, B, H),
so autograd's gradients are exactly what our backward(trace, dh) returns.

Keys, flat (loads with allow_pickle=False), every array float64 except the "torch_version" string:
"<case>/x", "<case>/h0", "<case>/c0", "<case>/dh",
"<case>/<state_dict name>", "<case>/y" (every step's top-layer h), "<case>/h_n", "<case>/c_n",
"<case>/grad/<state_dict name>", "<case>/grad/x", "<case>/grad/h0", "<case>/grad/c0".
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "torch_golden.npz"
T, B, D, H = 7, 2, 3, 5


def case(name: str, module: torch.nn.Module, seed: int, arrays: dict) -> None:
    torch.manual_seed(seed)
    module = module.double()
    with torch.no_grad():  # wider than PyTorch's U(-1/sqrt(H), 1/sqrt(H)), so some gates saturate
        for p in module.parameters():
            p.uniform_(-0.9, 0.9)
    L = module.num_layers
    lstm = isinstance(module, torch.nn.LSTM)
    x = torch.randn(T, B, D, dtype=torch.float64, requires_grad=True)
    h0 = (0.5 * torch.randn(L, B, H, dtype=torch.float64)).requires_grad_(True)
    c0 = (0.5 * torch.randn(L, B, H, dtype=torch.float64)).requires_grad_(True)
    dh = torch.randn(T, B, H, dtype=torch.float64)
    y, state = module(x, (h0, c0)) if lstm else module(x, h0)
    (y * dh).sum().backward()
    put = {"x": x, "h0": h0, "dh": dh, "y": y, "h_n": state[0] if lstm else state}
    if lstm:
        put.update(c0=c0, c_n=state[1], **{"grad/c0": c0.grad})
    put.update({"grad/x": x.grad, "grad/h0": h0.grad})
    for k, p in module.named_parameters():
        put[k], put[f"grad/{k}"] = p, p.grad
    for k, v in put.items():
        arrays[f"{name}/{k}"] = v.detach().numpy().astype(np.float64)


def main() -> None:
    torch.set_default_dtype(torch.float64)
    arrays: dict[str, np.ndarray] = {}
    case("lstm", torch.nn.LSTM(D, H), 1, arrays)
    case("gru", torch.nn.GRU(D, H), 2, arrays)
    case("rnn", torch.nn.RNN(D, H, nonlinearity="tanh"), 3, arrays)
    case("lstm2", torch.nn.LSTM(D, H, num_layers=2), 4, arrays)
    case("relu", torch.nn.RNN(D, H, nonlinearity="relu"), 5, arrays)
    arrays["torch_version"] = np.array(torch.__version__)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(arrays)} arrays, torch {torch.__version__})")


if __name__ == "__main__":
    main()
