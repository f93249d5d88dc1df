"""What connectivity costs: every ||dh_t/dx_s|| of a T = 200 sequence at H = 128, against T separate backward
passes measured in the same run.

    python benchmarks/bench_text.py            # about 3 minutes on an idle 2-core machine
    python benchmarks/bench_text.py --quick    # the target row and its baseline only, about 1 minute

Timed (medians over interleaved repeats; process CPU time unless --clock wall):
  connectivity   lstm_viz.connectivity(model, x): one forward pass, then one forward-mode sweep that carries
                 every source step's tangent rows (rank W_ih of them) in one product per step
  T passes       the baseline: for each end step t, one backward pass of the engine's own BPTT kernel over
                 steps 0..t carrying the H unit directions of h_t as a batch, then dh_t/dx_s = dz_s W_ih and
                 its norm for every s <= t (reverse mode, end step by end step)
The model of the target row is the shipped preset char_lstm (one-hot characters, D = 97) reading 200
characters of a held-out standard-library file; the other rows use random weights at the same H to show
how the cost grows with the input size D (text mode: one input per distinct character) and the cell.
Target (issue 13): T = 200, H = 128 within 1 s, printed as PASS/FAIL.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ARGS = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ARGS.add_argument("--quick", action="store_true", help="only the target row and its baseline")
ARGS.add_argument("--clock", choices=("cpu", "wall"), default="cpu", help="process CPU time (default) or wall")

if __name__ == "__main__":
    OPTS = ARGS.parse_args()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"  # before NumPy loads its BLAS, as the app runs

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lstm_viz import GRU, LSTM, RNN, connectivity  # noqa: E402
from lstm_viz.charlm import encode, one_hot  # noqa: E402
from lstm_viz.code_text import corpus  # noqa: E402
from lstm_viz.presets import load_preset  # noqa: E402

T, H = 200, 128
TARGET_SECONDS = 1.0


def separate_passes(model, x) -> np.ndarray:
    """The baseline: T backward passes, pass t from the H unit directions of h_t over steps 0..t."""
    n = x.shape[0]
    out = np.zeros((n, n))
    eye = np.eye(H, dtype=model.dtype)
    for t in range(n):
        sub = model.forward(x[:t + 1])                                # the trace of steps 0..t
        dh = np.zeros((t + 1, H, H), model.dtype)                     # (t+1, K=H, H)
        dh[t] = eye
        J = model.bptt(sub, dh).pre_ih @ model.weight_ih               # (t+1, H, D) = dh_t/dx_s, row per unit
        out[t, :t + 1] = np.sqrt((J ** 2).sum(axis=(1, 2)))
    return out


def interleaved(fns: dict, clock, rounds: int, warm: bool = True) -> dict:
    """Median seconds of each closure over rounds that call every closure once, after one warm-up call."""
    times = {k: [] for k in fns}
    for f in fns.values() if warm else ():
        f()
    for _ in range(rounds):
        for k, f in fns.items():
            t0 = clock()
            f()
            times[k].append(clock() - t0)
    return {k: float(np.median(v)) for k, v in times.items()}


def target_row(clock, rounds: int) -> float:
    loaded = load_preset("char_lstm")
    p = loaded.preset
    text = dict(corpus("heldout"))["textwrap"]
    start = text.index("class TextWrapper")
    x = one_hot(encode(text[start:start + T], p.vocabulary), p.input_size)   # (T, 97)
    m = loaded.model
    exact, fast, base = connectivity(m, x, np.float64), connectivity(m, x), separate_passes(m, x)
    np.testing.assert_allclose(base, exact, rtol=1e-8, atol=1e-12 * exact.max())   # the same numbers
    rel = float(np.max(np.abs(fast - exact) / exact.max(axis=1, keepdims=True)))
    ms = {k: v * 1e3 for k, v in interleaved({
        "float32": lambda: connectivity(m, x), "float64": lambda: connectivity(m, x, np.float64),
        "passes": lambda: separate_passes(m, x)}, clock, rounds, warm=False).items()}   # the check warmed up
    print(f"\n### connectivity, T={T}, H={H}: the char_lstm preset (D={p.input_size}) on 200 characters of "
          "textwrap.py\n")
    print("| connectivity float32 (ms) | float64 (ms) | T separate passes, float64 (ms) | speed-up (float32) "
          "| float32 vs float64, max error / row max | target 1 s |")
    print("|---:|---:|---:|---:|---:|---|")
    verdict = "PASS" if ms["float32"] / 1e3 <= TARGET_SECONDS else "FAIL"
    print(f"| {ms['float32']:.0f} | {ms['float64']:.0f} | {ms['passes']:.0f} | "
          f"{ms['passes'] / ms['float32']:.1f}x | {rel:.1e} | {verdict} |", flush=True)
    return ms["float32"]


def scaling_rows(clock, rounds: int) -> None:
    print(f"\n### connectivity (float32) at T={T}, H={H} against the input size D, random weights, "
          "one-hot inputs (D = 1: numbers)\n")
    print("| cell | D = 1 (ms) | D = 16 | D = 32 | D = 64 | D = 97 |")
    print("|---|---:|---:|---:|---:|---:|")
    rng = np.random.default_rng(0)
    for cls in (LSTM, GRU, RNN):
        cells = []
        for D in (1, 16, 32, 64, 97):
            m = cls.random(D, H, seed=1)
            x = rng.normal(size=(T, 1)) if D == 1 else np.eye(D)[rng.integers(0, D, T)]
            cells.append(interleaved({"c": lambda m=m, x=x: connectivity(m, x)}, clock, rounds)["c"] * 1e3)
        print(f"| {cls.__name__} | " + " | ".join(f"{v:.0f}" for v in cells) + " |", flush=True)


def main(opts) -> None:
    clock = time.process_time if opts.clock == "cpu" else time.perf_counter
    t0 = time.perf_counter()
    print(f"clock: {'process CPU time' if opts.clock == 'cpu' else 'wall'}; one BLAS thread; "
          f"load average {os.getloadavg()[0]:.1f}")
    target_row(clock, 1 if opts.quick else 3)
    if not opts.quick:
        scaling_rows(clock, 3)
    print(f"\n(total {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main(OPTS)
