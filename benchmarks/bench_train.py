"""How fast the trainer runs, against PyTorch in the same run, and what the default recipe learns.

    python benchmarks/bench_train.py --quick      # speed, per-step floor, float32 check: about 3 minutes
    python benchmarks/bench_train.py              # and the learning tables: about 25 minutes on 2 cores
    python benchmarks/bench_train.py --repeats 1  # no medians
    python benchmarks/bench_train.py --threads 2  # with two BLAS threads, as NumPy does unless told

BLAS threads default to 1 (torch.set_num_threads too): at these sizes (matrices of 16 to 64 rows) threads cost
more than they save, and on a busy 2-core machine they made the LSTM's step 3 to 4 times slower.

Prints Markdown tables:
  1. Adam steps per second on the adding problem (T=50, batch 64, H=16): ours in float32 and float64 and
     PyTorch (nn.LSTM + nn.Linear, fused Adam, clip_grad_norm_, batches drawn with torch ops) in float32
     and float64, interleaved round by round, medians and the median of each round's ratio to PyTorch
     float32. Without torch installed the PyTorch columns are skipped, and the script says so;
  2. every model kind and LSTM variant: steps per second and which path trains it (fast kernel or engine);
  3. the per-step floor: what the NumPy calls the fast kernel cannot avoid cost on their own, against the
     measured step;
  4. float32 against float64: steps to test MSE < 0.01 (adding, T=50, seeds 0-2, medians) and how far
     the two runs' numbers drift apart;
  5. (full run) the old learning tables: seconds to MSE < 0.01, final MSE at T = 50, 100, 200 for LSTM, GRU,
     RNN in the 10 s budget and in the app's largest budget, and the lag sweep the training page runs.
Rates are per CPU second of this process (the machine is shared; CPU time says what an idle one would
do) with wall-clock beside them; the load average is printed first and last.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import timeit
from pathlib import Path

ARGS = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ARGS.add_argument("--repeats", type=int, default=5, help="seeds per measurement (medians over them)")
ARGS.add_argument("--seconds", type=float, default=10.0, help="training budget per run")
ARGS.add_argument("--threads", type=int, default=1, help="BLAS threads, set before NumPy loads (default 1)")
ARGS.add_argument("--quick", action="store_true", help="speed, floor and the float32 check only")
ARGS.add_argument("--rounds", type=int, default=7, help="interleaved rounds of the speed table (medians)")
ARGS.add_argument("--no-torch", action="store_true", help="skip PyTorch even if it is installed")

if __name__ == "__main__":
    OPTS = ARGS.parse_args()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(OPTS.threads)

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lstm_viz.cells import CELLS, LSTM, VARIANT_NAMES  # noqa: E402
from lstm_viz.fastfit import LSTMFit, fast_fit  # noqa: E402
from lstm_viz.limits import MAX_TRAIN_SECONDS, MAX_TRAIN_STEPS  # noqa: E402
from lstm_viz.tasks import sample  # noqa: E402
from lstm_viz.train import Adam, TrainConfig, lag_sweep, train  # noqa: E402

TARGET = 0.01


def steps_per_second(steps: int = 200, **changes) -> tuple[float, float]:
    """Adam steps of lstm_viz.train per CPU second of this process and per wall-clock second.

    Timed from step 10 to the step before the last, so neither the first nor the final evaluation counts.
    """
    for p in train(max_steps=steps, max_seconds=MAX_TRAIN_SECONDS, eval_every=MAX_TRAIN_STEPS, **changes):
        if p.step == 10:
            c0, t0 = time.process_time(), time.perf_counter()
        elif p.step == steps - 1:
            return (p.step - 10) / (time.process_time() - c0), (p.step - 10) / (time.perf_counter() - t0)
    raise RuntimeError("the run ended early")


def torch_steps_per_second(dtype: str, steps: int = 200) -> tuple[float, float]:
    """The same recipe in PyTorch: nn.LSTM and nn.Linear, a fresh adding batch drawn with torch ops every
    step, MSE, clip_grad_norm_, Adam (fused where this PyTorch has it, its fastest on CPU)."""
    import torch

    torch.set_num_threads(OPTS.threads)
    cfg, dt = TrainConfig(), getattr(torch, dtype)
    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    lstm, lin = torch.nn.LSTM(2, cfg.hidden_size).to(dt), torch.nn.Linear(cfg.hidden_size, 1).to(dt)
    params = [*lstm.parameters(), *lin.parameters()]
    try:
        opt = torch.optim.Adam(params, lr=cfg.lr, fused=True)
    except (RuntimeError, TypeError):
        opt = torch.optim.Adam(params, lr=cfg.lr)
    T, B, half, cols = cfg.length, cfg.batch_size, cfg.length // 2, torch.arange(cfg.batch_size)
    for step in range(steps):
        if step == 10:
            c0, t0 = time.process_time(), time.perf_counter()
        x = torch.zeros(T, B, 2, dtype=dt)              # the adding problem, as lstm_viz.tasks draws it
        x[:, :, 0] = torch.rand(T, B, generator=g, dtype=dt)
        first, second = torch.randint(0, half, (B,), generator=g), torch.randint(half, T, (B,), generator=g)
        x[first, cols, 1] = 1.0
        x[second, cols, 1] = 1.0
        y = x[first, cols, 0] + x[second, cols, 0]
        loss = ((lin(lstm(x)[0][-1])[:, 0] - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, cfg.clip)
        opt.step()
    n = steps - 10
    return n / (time.process_time() - c0), n / (time.perf_counter() - t0)


def have_torch() -> bool:
    if OPTS.no_torch:
        return False
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def speed(rounds: int) -> dict:
    """Table 1: ours and PyTorch's Adam steps per second, interleaved round by round."""
    contenders = {"ours float32": lambda: steps_per_second(dtype="float32"),
                  "ours float64": lambda: steps_per_second(dtype="float64")}
    if have_torch():
        import torch
        contenders["PyTorch float32"] = lambda: torch_steps_per_second("float32")
        contenders["PyTorch float64"] = lambda: torch_steps_per_second("float64", steps=110)
        print(f"PyTorch {torch.__version__}, {OPTS.threads} thread(s)")
    else:
        print("PyTorch is not installed (or --no-torch): the PyTorch columns are skipped.")
    got = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, measure in contenders.items():
            got[name].append(measure())
    base = got.get("PyTorch float32")
    table("adding, T=50, B=64, H=16, one thread", f"Adam steps per CPU second (median of {rounds})",
          "per wall-clock second", "ratio to PyTorch float32 (median of the rounds' ratios)")
    for name, runs in got.items():
        cpu, wall = np.median(runs, axis=0)
        ratio = (f"{np.median([a[0] / b[0] for a, b in zip(runs, base)]):.2f}x" if base
                 else "skipped (no torch)")
        row(name, f"{cpu:.0f}", f"{wall:.0f}", ratio)
    return got


def kinds() -> None:
    """Table 2: every kind and LSTM variant, and which path trains it."""
    table("model (adding, T=50, B=64, H=16, float32; median of 3)", "path", "Adam steps per CPU second",
          "per wall-clock second")
    runs = [("lstm", v) for v in VARIANT_NAMES] + [("gru", "lstm"), ("rnn", "lstm")]
    for kind, variant in runs:
        cpu, wall = np.median([steps_per_second(kind=kind, variant=variant) for _ in range(3)], axis=0)
        init = CELLS[kind].random(2, 4, **({"variant": variant} if kind == "lstm" else {}))
        fast = fast_fit(init, (np.zeros((1, 4)), np.zeros(1)))
        label = kind.upper() + (f" {variant}" if kind == "lstm" else "")
        path = f"fast kernel (fastfit.{type(fast).__name__})" if fast else "engine (cells.py)"
        row(label, path, f"{cpu:.0f}", f"{wall:.0f}")


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


def best(fn, number: int = 20, repeat: int = 40) -> float:
    """Microseconds of CPU time for one call: the least disturbed of many short runs."""
    return min(timeit.repeat(fn, number=number, repeat=repeat, timer=time.process_time)) / number * 1e6


def floor(trainer_rate: float) -> None:
    """Table 3: the NumPy calls of the fast kernel timed alone at its shapes (float32), against the real
    step. Each call reads arrays it does not write, so nothing drifts into denormals or overflow."""
    cfg = TrainConfig()
    T, B, H, D = cfg.length, cfg.batch_size, cfg.hidden_size, 2
    K, rng = D + 2 + H, np.random.default_rng(0)
    a = lambda *shape: rng.uniform(-1, 1, shape).astype(np.float32)  # noqa: E731
    W, Whh, u, z, dz = a(4 * H, K), a(H, 4 * H), a(K, B), a(4 * H, B), a(4 * H, B)
    pair, h, h3, two, four = a(2 * H, B), a(H, B), a(1, H, B), a(2, H, B), a(4, H, B)
    U, dzT, E, seq = a(K, T * B), a(T * B, 4 * H), a(T, 6 * H, B), a(T, 3 * H, B)
    o = {k: np.empty_like(v) for k, v in dict(z=z, pair=pair, h=h, two=two, four=four, seq=seq).items()}
    gW, theta = np.empty((K, 4 * H), np.float32), np.zeros(K * 4 * H + H + 1)
    adam, grad = Adam({"theta": theta}, cfg.lr), a(len(theta))
    per_t = [  # (what, calls a time step, one call)
        ("forward: z_t = W^T u_t", 1, lambda: np.dot(W, u, out=o["z"])),
        ("forward: tanh of the gates (4H rows)", 1, lambda: np.tanh(z, out=o["z"])),
        ("forward: sigmoid affine (2 calls, 4H rows)", 2, lambda: np.multiply(z, dz, out=o["z"])),
        ("forward: (i, f) * (g, c_{t-1})", 1, lambda: np.multiply(pair, pair, out=o["pair"])),
        ("forward: c_t, tanh c_t, h_t (3 calls, H rows)", 3, lambda: np.add(h, h, out=o["h"])),
        ("backward: dh * (odc, ko), broadcast", 1, lambda: np.multiply(h3, two, out=o["two"])),
        ("backward: dc_t = dh odc + f dc_{t+1}", 1, lambda: np.add(h, h, out=o["h"])),
        ("backward: dc * (ki, kf, kg, f), broadcast", 1, lambda: np.multiply(h3, four, out=o["four"])),
        ("backward: dh_{t-1} = W_hh-rows dz_t", 1, lambda: np.dot(Whh, dz, out=o["h"])),
    ]
    per_step = [  # (what, calls an Adam step, one call)
        ("local derivatives (11 calls over all steps)", 11, lambda: np.multiply(seq, seq, out=o["seq"])),
        ("dz_t transposed for the weight product", 1,
         lambda: np.copyto(dzT.reshape(T, B, 4 * H), E[:, H:5 * H].transpose(0, 2, 1))),
        ("dL/dW = sum_t u_t dz_t^T (one product)", 1, lambda: np.dot(U, dzT, out=gW)),
        ("draw the batch (tasks.sample)", 1, lambda: sample("adding", B, T, rng)),
        ("Adam on the flat vector", 1, lambda: adam.step({"theta": theta}, {"theta": grad})),
    ]
    table(f"per-step floor (float32, T={T}, B={B}, H={H})", "calls per Adam step", "us per call (best)",
          "us per Adam step")
    total = 0.0
    for rows, factor in ((per_t, T), (per_step, 1)):
        for what, n, fn in rows:
            each = best(fn)
            total += n * factor * each
            row(what, n * factor, f"{each:.2f}", f"{n * factor * each:.0f}")
    fit = LSTMFit(LSTM.random(D, H, forget_bias=cfg.forget_bias), (a(1, H), np.zeros(1)), np.float32)
    x, y = sample("adding", B, T, rng)
    kernel = best(lambda: fit.loss_and_grad(x, y, False), number=5, repeat=30)
    row("**floor: the sum**", "", "", f"**{total:.0f}**")
    row("measured: LSTMFit.loss_and_grad (best)", "", "", f"{kernel:.0f}")
    row("measured: a whole trainer step (median, table 1)", "", "", f"{1e6 / trainer_rate:.0f}")


def float32_check(seeds) -> None:
    """Table 4: does float32 learn as float64 does? Steps to test MSE < TARGET, and how far the runs drift."""
    table("seed", f"float32: steps to test MSE < {TARGET}", "float64: steps",
          "first batch loss, float32 / float64 - 1", "test MSE at step 100, float32 / float64")
    steps = {"float32": [], "float64": []}
    for seed in seeds:
        runs = {dt: list(train(dtype=dt, seed=seed, target=TARGET, eval_every=25, max_steps=MAX_TRAIN_STEPS,
                               max_seconds=MAX_TRAIN_SECONDS)) for dt in steps}
        for dt, ps in runs.items():
            steps[dt].append(ps[-1].step if ps[-1].reason == "target" else None)
        a, b = runs["float32"], runs["float64"]
        row(seed, steps["float32"][-1] or "not reached", steps["float64"][-1] or "not reached",
            f"{a[0].loss / b[0].loss - 1:.1e}", f"{a[100].test_loss:.5f} / {b[100].test_loss:.5f}")
    med = {dt: np.median([s for s in v if s]) if all(v) else "not all reached" for dt, v in steps.items()}
    row("median", med["float32"], med["float64"], "", "")


def main(args) -> None:
    cfg = TrainConfig()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores, OPENBLAS_NUM_THREADS="
          f"{os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}; default recipe: lr {cfg.lr}, "
          f"clip {cfg.clip}, forget bias {cfg.forget_bias}, batch {cfg.batch_size}, H {cfg.hidden_size}, "
          f"dtype {cfg.dtype}")
    got = speed(args.rounds)
    kinds()
    floor(float(np.median([r[0] for r in got["ours float32"]])))
    float32_check(range(3))
    if not args.quick:
        learning(args)
    print(f"\nload average at the end {os.getloadavg()[0]:.2f} (1 min), {os.getloadavg()[1]:.2f} (5 min)")


def learning(args) -> None:
    """Tables 5: what the default recipe learns in the app's budgets."""
    seeds = range(args.repeats)
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
