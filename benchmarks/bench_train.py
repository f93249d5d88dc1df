"""How fast the trainer runs and what the default recipe learns in the app's budget.

    python benchmarks/bench_train.py              # about 25 minutes on 2 cores
    python benchmarks/bench_train.py --repeats 1  # about 8 minutes, no medians
    python benchmarks/bench_train.py --threads 2  # with two BLAS threads, as NumPy does unless told

BLAS threads default to 1: at these sizes (matrices of 16 to 64 rows) OpenBLAS's threads cost more than they
save, and on a busy 2-core machine they made the LSTM's step 3 to 4 times slower.

Prints Markdown tables:
  1. Adam steps per second for LSTM, GRU and RNN at the default size (adding, T=50, batch 64, H=16);
  2. the issue's check: seconds and steps until an LSTM with the default recipe reaches test MSE < 0.01
     on the adding problem at T=50 (budget 10 s), one row per seed and the median;
  3. final test MSE after the same 10 s budget for LSTM, GRU and RNN at T = 50, 100, 200 (median over seeds),
     and the time to MSE < 0.01 where a run got there;
  4. the same for LSTM and RNN at T = 100 and 200 under the app's largest budget (3,000 steps, 60 s);
  5. the lag sweep the training page runs by default.
Times are wall-clock on whatever else the machine is doing; the load average is printed first.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ARGS = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ARGS.add_argument("--repeats", type=int, default=5, help="seeds per measurement (medians over them)")
ARGS.add_argument("--seconds", type=float, default=10.0, help="training budget per run")
ARGS.add_argument("--threads", type=int, default=1, help="BLAS threads, set before NumPy loads (default 1)")

if __name__ == "__main__":
    OPTS = ARGS.parse_args()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(OPTS.threads)

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lstm_viz.limits import MAX_TRAIN_SECONDS, MAX_TRAIN_STEPS  # noqa: E402
from lstm_viz.train import TrainConfig, lag_sweep, train  # noqa: E402

TARGET = 0.01


def steps_per_second(kind: str, steps: int = 200) -> tuple[float, float]:
    """Adam steps per wall-clock second and per CPU second of this process, evaluation excluded.

    On a busy machine the CPU-time rate says what an idle one would do.
    """
    t0 = c0 = None
    for p in train(kind=kind, max_steps=steps, max_seconds=60, eval_every=10**3):
        if p.step == 10:
            t0, c0 = time.perf_counter(), time.process_time()           # after warm-up
    return (p.step - 10) / (time.perf_counter() - t0), (p.step - 10) / (time.process_time() - c0)


def to_target(seed: int, length: int = 50, kind: str = "lstm", seconds: float = 10.0, stop: bool = False):
    """(seconds, steps) to test MSE < TARGET or None, the final test MSE and the steps taken.

    stop: end the run at TARGET instead of spending the whole budget.
    """
    hit, last = None, None
    for p in train(kind=kind, length=length, seed=seed, max_seconds=seconds, max_steps=MAX_TRAIN_STEPS,
                   eval_every=25, target=TARGET if stop else None):
        if p.test_loss is not None:
            last = p
            if hit is None and p.test_loss < TARGET:
                hit = (p.seconds, p.step)
    return hit, last.test_loss, last.step


def table(*header: str) -> None:
    print("\n| " + " | ".join(header) + " |\n|" + " --- |" * len(header))


def row(*cells) -> None:
    print("| " + " | ".join(str(c) for c in cells) + " |", flush=True)


def medians(runs) -> tuple[str, str]:
    """Median final test MSE and median steps of to_target results."""
    return f"{np.median([r[1] for r in runs]):.4f}", f"{np.median([r[2] for r in runs]):.0f}"


def reached(runs, with_steps: bool = False) -> str:
    """'k/n' runs that reached TARGET, with the median seconds (and steps) of those that did."""
    got = [r[0] for r in runs if r[0]]
    text = f"{len(got)}/{len(runs)}"
    if got:
        text += f"; {np.median([g[0] for g in got]):.1f} s"
        text += f", {np.median([g[1] for g in got]):.0f} steps" if with_steps else ""
    return text


def main(args) -> None:
    seeds = range(args.repeats)
    cfg = TrainConfig()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores, OPENBLAS_NUM_THREADS="
          f"{os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}; default recipe: lr {cfg.lr}, "
          f"clip {cfg.clip}, forget bias {cfg.forget_bias}, batch {cfg.batch_size}, H {cfg.hidden_size}")

    table("model (adding, T=50, B=64, H=16; median of 3)", "Adam steps per second", "per CPU second")
    for kind in ("lstm", "gru", "rnn"):
        wall, cpu = np.median([steps_per_second(kind) for _ in range(3)], axis=0)
        row(kind.upper(), f"{wall:.0f}", f"{cpu:.0f}")

    table("seed", f"LSTM, adding T=50: seconds to test MSE < {TARGET}", "steps",
          f"final MSE after {args.seconds:g} s")
    hits = []
    for s in seeds:
        hit, final, _ = to_target(s, seconds=args.seconds)
        hits.append((hit, final))
        row(s, f"{hit[0]:.2f}" if hit else "not reached", hit[1] if hit else "", f"{final:.5f}")
    got = [h for h, _ in hits if h]
    if got:
        row("median", f"{np.median([h[0] for h in got]):.2f}", f"{np.median([h[1] for h in got]):.0f}",
            f"({len(got)}/{len(hits)} reached)")

    table("model", "T", f"final test MSE after {args.seconds:g} s (median)", "steps",
          f"reached MSE < {TARGET} (runs; median seconds)")
    for T in (50, 100, 200):
        for kind in ("lstm", "gru", "rnn"):
            runs = [to_target(s, length=T, kind=kind, seconds=args.seconds) for s in seeds]
            row(kind.upper(), T, *medians(runs), reached(runs))

    table("model", "T", f"app's largest budget ({MAX_TRAIN_STEPS} steps, {MAX_TRAIN_SECONDS} s), stopping at "
          f"MSE < {TARGET}: last test MSE (median)", "steps",
          f"reached MSE < {TARGET} (runs; median seconds, steps)")
    for T in (100, 200):
        for kind in ("lstm", "rnn"):
            runs = [to_target(s, length=T, kind=kind, seconds=MAX_TRAIN_SECONDS, stop=True) for s in seeds]
            row(kind.upper(), T, *medians(runs), reached(runs, with_steps=True))

    table("lag sweep (adding, the training page's default)", "T", "final test MSE", "steps", "seconds")
    t0 = time.perf_counter()
    for p in lag_sweep():
        row(p.kind.upper(), p.length, f"{p.test_loss:.4f}", p.steps, f"{p.seconds:.1f}")
    print(f"\nlag sweep total {time.perf_counter() - t0:.1f} s (chance: MSE 0.167)")


if __name__ == "__main__":
    main(OPTS)
