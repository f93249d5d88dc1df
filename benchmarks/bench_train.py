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
    """(seconds, steps) to test MSE < TARGET or None, the final test MSE and the steps taken; stop: at TARGET."""
    hit, last = None, None
    for p in train(kind=kind, length=length, seed=seed, max_seconds=seconds, max_steps=MAX_TRAIN_STEPS, eval_every=25,
                   target=TARGET if stop else None):
        if p.test_loss is not None:
            last = p
            if hit is None and p.test_loss < TARGET:
                hit = (p.seconds, p.step)
    return hit, last.test_loss, last.step


def main(args) -> None:
    seeds = range(args.repeats)
    cfg = TrainConfig()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores, OPENBLAS_NUM_THREADS="
          f"{os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}; default recipe: lr {cfg.lr}, "
          f"clip {cfg.clip}, forget bias {cfg.forget_bias}, batch {cfg.batch_size}, H {cfg.hidden_size}\n")

    print("| model (adding, T=50, B=64, H=16; median of 3) | Adam steps per second | per CPU second |\n| --- | --- | --- |")
    for kind in ("lstm", "gru", "rnn"):
        wall, cpu = np.median([steps_per_second(kind) for _ in range(3)], axis=0)
        print(f"| {kind.upper()} | {wall:.0f} | {cpu:.0f} |", flush=True)

    print(f"\n| seed | LSTM, adding T=50: seconds to test MSE < {TARGET} | steps | final MSE after "
          f"{args.seconds:g} s |\n| --- | --- | --- | --- |")
    hits = []
    for s in seeds:
        hit, final, _ = to_target(s, seconds=args.seconds)
        hits.append(hit)
        print(f"| {s} | {hit[0]:.2f} | {hit[1]} | {final:.5f} |" if hit else f"| {s} | not reached | | {final:.5f} |",
              flush=True)
    reached = [h for h in hits if h]
    if reached:
        print(f"| median | {np.median([h[0] for h in reached]):.2f} | {np.median([h[1] for h in reached]):.0f} | "
              f"({len(reached)}/{len(hits)} reached) |")

    print(f"\n| model | T | final test MSE after {args.seconds:g} s (median) | steps | reached MSE < {TARGET} "
          f"(runs; median seconds) |\n| --- | --- | --- | --- | --- |")
    for T in (50, 100, 200):
        for kind in ("lstm", "gru", "rnn"):
            runs = [to_target(s, length=T, kind=kind, seconds=args.seconds) for s in seeds]
            got = [r[0] for r in runs if r[0]]
            when = f"{len(got)}/{len(runs)}" + (f"; {np.median([g[0] for g in got]):.1f} s" if got else "")
            print(f"| {kind.upper()} | {T} | {np.median([r[1] for r in runs]):.4f} | "
                  f"{np.median([r[2] for r in runs]):.0f} | {when} |", flush=True)

    print(f"\n| model | T | app's largest budget ({MAX_TRAIN_STEPS} steps, {MAX_TRAIN_SECONDS} s), stopping at "
          f"MSE < {TARGET}: last test MSE (median) | steps | reached MSE < {TARGET} (runs; median seconds, steps) |\n| --- | --- | --- | --- | --- |")
    for T in (100, 200):
        for kind in ("lstm", "rnn"):
            runs = [to_target(s, length=T, kind=kind, seconds=MAX_TRAIN_SECONDS, stop=True) for s in seeds]
            got = [r[0] for r in runs if r[0]]
            when = f"{len(got)}/{len(runs)}" + (
                f"; {np.median([g[0] for g in got]):.1f} s, {np.median([g[1] for g in got]):.0f} steps" if got else "")
            print(f"| {kind.upper()} | {T} | {np.median([r[1] for r in runs]):.4f} | "
                  f"{np.median([r[2] for r in runs]):.0f} | {when} |", flush=True)

    print("\n| lag sweep (adding, the training page's default) | T | final test MSE | steps | seconds |\n"
          "| --- | --- | --- | --- | --- |")
    t0 = time.perf_counter()
    for p in lag_sweep():
        print(f"| {p.kind.upper()} | {p.length} | {p.test_loss:.4f} | {p.steps} | {p.seconds:.1f} |", flush=True)
    print(f"\nlag sweep total {time.perf_counter() - t0:.1f} s (chance: MSE 0.167)")


if __name__ == "__main__":
    main(OPTS)
