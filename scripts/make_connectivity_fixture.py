"""Regenerate tests/fixtures/torch_connectivity.npz: PyTorch autograd's input Jacobians, as norms.

Run once with PyTorch installed (it is not a test dependency):  python scripts/make_connectivity_fixture.py
tests/test_influence.py reads only the .npz, so lstm_viz.connectivity is checked against PyTorch without
importing it.

For each case, the full Jacobian of every hidden state with respect to every input,
J[t, :, s, :] = dh_t/dx_s (T, H, T, D), comes from torch.autograd.functional.jacobian in float64, and the
fixture keeps its Frobenius norms over (H, D): connectivity[t, s] (T, T).
    lstm       nn.LSTM(D=3, H=5), T=9
    gru        nn.GRU(D=3, H=5),  T=9
    rnn        nn.RNN(D=3, H=5, nonlinearity='tanh'), T=9
    lstm_wide  nn.LSTM(D=12, H=2), T=6: more input directions (rank 8) than state (c, h: 4), so the
               engine shrinks each source's tangent rows by a QR; this case checks that path
Weights are drawn from U(-0.9, 0.9) (wider than PyTorch's default, so some gates saturate) and the
forget-gate bias is raised by 1.5 so that influence reaches far back. Keys, every array float64:
"<case>/<state_dict name>", "<case>/x" (T, D), "<case>/connectivity" (T, T); and "torch_version" (text).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "torch_connectivity.npz"


def case(name: str, module: torch.nn.Module, T: int, seed: int, arrays: dict) -> None:
    torch.manual_seed(seed)
    module = module.double()
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(-0.9, 0.9)
        if isinstance(module, torch.nn.LSTM):
            H = module.hidden_size
            module.bias_ih_l0[H:2 * H] += 1.5
    x = torch.randn(T, module.input_size, dtype=torch.float64)

    def hidden(v):
        return module(v[:, None, :])[0][:, 0, :]                     # (T, H) every step's h

    J = torch.autograd.functional.jacobian(hidden, x)                 # (T, H, T, D)
    arrays[f"{name}/x"] = x.numpy()
    arrays[f"{name}/connectivity"] = J.pow(2).sum(dim=(1, 3)).sqrt().numpy()
    for k, p in module.named_parameters():
        arrays[f"{name}/{k}"] = p.detach().numpy().astype(np.float64)


def main() -> None:
    torch.set_default_dtype(torch.float64)
    arrays: dict[str, np.ndarray] = {}
    case("lstm", torch.nn.LSTM(3, 5), 9, 1, arrays)
    case("gru", torch.nn.GRU(3, 5), 9, 2, arrays)
    case("rnn", torch.nn.RNN(3, 5, nonlinearity="tanh"), 9, 3, arrays)
    case("lstm_wide", torch.nn.LSTM(12, 2), 6, 4, arrays)
    arrays["torch_version"] = np.array(torch.__version__)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(arrays)} arrays, torch {torch.__version__})")


if __name__ == "__main__":
    main()
