"""Stacked recurrent layers, as torch.nn.LSTM/GRU/RNN(num_layers=L) run them.

Shapes: T steps, B batch, D input size, H hidden size, L layers.
    h^(0)_t = x_t;   h^(l)_t = cell_l(h^(l-1)_t, h^(l)_{t-1})   for l = 1..L
Each layer's whole trace is kept, so a page can show any layer.
Layer: engine. Imports NumPy and cells only.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cells import Grads


@dataclass(frozen=True, eq=False)
class StackTrace:
    """One trace per layer, bottom first; `h` is the top layer's hidden state."""

    layers: list

    @property
    def h(self) -> np.ndarray:
        return self.layers[-1].h

    @property
    def batched(self) -> bool:
        return self.layers[0].batched

    @property
    def kind(self) -> str:
        return self.layers[0].kind


@dataclass(frozen=True, eq=False)
class StackGrads:
    layers: list            # one Grads per layer, bottom first
    x: np.ndarray           # (T, D) or (T, B, D)
    h0: np.ndarray          # shaped like the h0 passed in, (L, H) or (L, B, H); (L, B, H) for a batch by default
    c0: np.ndarray | None   # likewise; LSTM only


class Stack:
    """Layers of one cell type; layer l reads layer l-1's hidden state."""

    def __init__(self, layers):
        layers = list(layers)
        if not layers:
            raise ValueError("A stack needs at least one layer.")
        kinds = {layer.kind for layer in layers}
        if len(kinds) != 1:
            raise ValueError(f"All layers of a stack must be the same cell type; found {sorted(kinds)}.")
        if len({layer.hidden_size for layer in layers}) != 1:
            raise ValueError("All layers of a stack must have the same hidden size, as in torch.nn.LSTM(num_layers=L).")
        for l in range(1, len(layers)):
            if layers[l].input_size != layers[l - 1].hidden_size:
                raise ValueError(
                    f"Layer {l} reads input of size {layers[l].input_size}, but layer {l - 1} "
                    f"outputs hidden size {layers[l - 1].hidden_size}; they must match.")
        self.layers = layers
        self.kind = layers[0].kind
        self.num_layers = len(layers)
        self.input_size = layers[0].input_size
        self.hidden_size = layers[-1].hidden_size
        self.dtype = layers[0].dtype
        self.gate_names = layers[0].gate_names

    def _per_layer(self, s, name):
        if s is None:
            return [None] * self.num_layers
        s = np.asarray(s)
        if s.ndim < 2 or s.shape[0] != self.num_layers:
            raise ValueError(f"{name} has shape {s.shape}; expected (L, H) or (L, B, H) with L = {self.num_layers}.")
        return list(s)

    def forward(self, x, h0=None, c0=None) -> StackTrace:
        """x (T, D) or (T, B, D); h0, c0 (L, H) or (L, B, H)."""
        traces = []
        for layer, h0l, c0l in zip(self.layers, self._per_layer(h0, "h0"), self._per_layer(c0, "c0")):
            tr = layer.forward(x, h0l, c0l) if self.kind == "lstm" else layer.forward(x, h0l)
            traces.append(tr)
            x = tr.h
        return StackTrace(traces)

    def backward(self, tr: StackTrace, dh) -> StackGrads:
        """dh = dL/dh_t of the top layer for every step, shaped like tr.h."""
        grads: list[Grads] = []
        for layer, ltr in zip(reversed(self.layers), reversed(tr.layers)):
            g = layer.backward(ltr, dh)
            grads.append(g)
            dh = g.x
        grads.reverse()
        return StackGrads(grads, x=grads[0].x, h0=np.stack([g.h0 for g in grads]),
                          c0=np.stack([g.c0 for g in grads]) if self.kind == "lstm" else None)

    def state_dict(self) -> dict[str, np.ndarray]:
        """PyTorch state_dict names: weight_ih_l0 ... bias_hh_l{L-1}."""
        out = {}
        for l, layer in enumerate(self.layers):
            out.update({k.replace("_l0", f"_l{l}"): v for k, v in layer.state_dict().items()})
        return out

    def save(self, path) -> None:
        np.savez(path, **self.state_dict())

    def __repr__(self):
        return (f"Stack({self.kind.upper()}, layers={self.num_layers}, input_size={self.input_size}, "
                f"hidden_size={self.hidden_size})")


def layer_input(model, x, layer: int) -> np.ndarray:
    """What layer `layer` of a stack reads: x itself for layer 0, else the hidden states of the layer below,
    (T, H) or (T, B, H). A single cell is a stack of one."""
    layers = getattr(model, "layers", None) or [model]
    if not 0 <= layer < len(layers):
        raise ValueError(f"There is no layer {layer}; this model has layers 0 to {len(layers) - 1}.")
    for below in layers[:layer]:
        x = below.forward(x).h
    return x
