"""Load test through Streamlit's own websocket protocol: many visitors, no browsers, the server measured alone.

    python scripts/load_test.py --protocol --sessions 100 --seconds 60            # a lecture hall
    python scripts/load_test.py --protocol --sessions 100 --seconds 60 --train 10  # 10 of them training

Every visitor is a tests/e2e/protocol.ProtocolSession: the messages a browser sends and receives, on its own
connection to the real server on loopback. Visitors arrive --arrival seconds apart, each on a page of its
own; once all have loaded, each changes one control every 2-4 s (--think; the first at a random moment, so
they are out of step as a hall of students is) until --seconds are up: another page, a sidebar control
(seed, hidden size, weight scale, forget bias, a ready sequence; --own of them type sequences of their own
instead), or the page's own controls (the cell's step and unit, the gradient page's length and models,
the gates page's units, the training page's settings, the take-apart page's pinned gate and step). Widgets
are found in the page's messages by their key. The first --train visitors are students who train: on the training
page they press "Start training" (key train_go) with a seed of their own, wait for the run (and the queue)
to finish, look at it and press again.

Measured: the latency of every interaction, from the BackMsg sent to the script_finished message received;
p50 and p95 are of page renders, every interaction but a training press, which lasts as long as its training
and is reported apart. Errors: exception elements shown to a visitor, connections that could not be made or
remade, interactions without a script_finished within 30 s, tracebacks in the server logs. A dropped
connection that reconnects, as the frontend does, is counted as a reconnect. Bounded: --max-interactions in
all, and the run stops --seconds after the last visitor has loaded (training presses are cut off then).
Server memory is the peak resident size (VmHWM) of the server process(es). --replicas 2 starts two app
processes behind nginx with cookie affinity (tests/e2e/nginx.py), one per core: Python runs one thread at a
time, so one Streamlit process uses about one core however many the machine has.
"""
from __future__ import annotations

import asyncio
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from e2e.protocol import Disconnected, ProtocolSession, run_sync

PAGES = ["", "cell", "gates", "gradients", "train", "apart"]
SIDEBAR = {"seed": 3, "hidden_size": 2, "weight_scale": 2, "forget_bias": 2, "ready": 1}   # key -> weight
PAGE_CONTROLS = {"cell": ["step", "step", "unit"], "gates": ["lines_units", "forget_bias"],
                 "gradients": ["grad_length", "grad_models", "grad_k"], "train": ["train_hidden", "train_length"],
                 "apart": ["apart_value_f", "apart_from", "apart_k"]}
RUN_TIMEOUT = 30.0


@dataclass
class Stats:
    renders: list = field(default_factory=list)     # (action, seconds) of every interaction but training
    trainings: list = field(default_factory=list)   # seconds of finished training presses (queue included)
    loads: list = field(default_factory=list)       # first page loads, seconds
    errors: list = field(default_factory=list)
    reconnects: int = 0
    interactions: int = 0
    visitors: dict = field(default_factory=dict)    # n -> upstreams, reconnects, when each render finished


def sequence_text(rng: random.Random) -> str:
    """A visitor's own sequence: 2 to 60 numbers, now and then vectors of two."""
    n = rng.randint(2, 60)
    if rng.random() < 0.2:
        return "; ".join(f"{rng.uniform(-2, 2):.2f} {rng.choice([0, 1])}" for _ in range(n))
    return ", ".join(f"{rng.uniform(-3, 3):.2f}" for _ in range(n))


def new_value(w, rng: random.Random):
    """A valid value for this widget that differs from what it shows (an unchanged value reruns nothing)."""
    p = w.proto
    if w.kind == "slider":
        steps = max(1, round((p.max - p.min) / (p.step or 1)))
        now = p.value[0] if len(p.value) else p.default[0] if len(p.default) else p.min
        options = [p.min + k * (p.step or 1) for k in range(steps + 1)]
        near = [v for v in options if v != now and abs(v - now) <= 3 * (p.step or 1)]   # a key press or two
        return rng.choice(near or options)
    if w.kind == "number_input":
        hi = min(p.max if p.has_max else 1000, {"hidden_size": 32, "seed": 1000}.get(w.key, 1000))
        lo = p.min if p.has_min else 0
        return rng.choice([v for v in range(int(lo), int(hi) + 1) if v != p.value] or [lo])
    if w.kind in ("selectbox", "radio"):
        return rng.choice([o for o in p.options if o != p.raw_value] or list(p.options))
    if w.kind == "multiselect":
        return rng.sample(list(p.options), rng.randint(1, min(3, len(p.options))))
    if w.kind == "checkbox":
        return not (p.value if p.set_value else p.default)
    if w.kind == "text_area":
        return sequence_text(rng)
    return True                                                       # a button


async def _interact(s: ProtocolSession, rng: random.Random, own: bool):
    """One interaction of a visitor who is looking around; returns (name, Run)."""
    roll = rng.random()
    here = s.page()
    if roll < 0.25:
        target = rng.choice([p for p in PAGES if p != here and p in s.pages])
        return f"page {target or 'home'}", await s.goto(target, RUN_TIMEOUT)
    if roll < 0.55 and PAGE_CONTROLS.get(here):
        keys = [k for k in PAGE_CONTROLS[here] if k in s.widgets and not s.widgets[k].proto.disabled]
        if keys:
            key = rng.choice(keys)
            return key, await s.set(key, new_value(s.widgets[key], rng), RUN_TIMEOUT)
    if own and rng.random() < 0.5:
        return "own sequence", await s.set("sequence", sequence_text(rng), RUN_TIMEOUT)
    keys = [k for k in SIDEBAR if k in s.widgets] or [k for k, w in s.widgets.items() if not w.proto.disabled]
    if not keys:
        return "rerun", await s.rerun(RUN_TIMEOUT)
    key = rng.choices(keys, weights=[SIDEBAR.get(k, 1) for k in keys])[0]
    return key, await s.set(key, new_value(s.widgets[key], rng), RUN_TIMEOUT)


async def _train(s: ProtocolSession, n: int, presses: int, stop_at: float):
    """A student who trains: a seed of their own, then Start training; waits as long as the test lasts."""
    if s.page() != "train":
        await s.goto("train", RUN_TIMEOUT)
    await s.set("train_seed", (1000 * n + presses) % 10_000, RUN_TIMEOUT)
    return "train", await s.click("train_go", max(stop_at - time.monotonic(), 1.0))


async def visitor(n: int, url: str, stats: Stats, plan: dict, start: asyncio.Event, stop_at: list) -> None:
    rng = random.Random(n)
    trainer, own = n < plan["train"], rng.random() < plan["own"]
    await asyncio.sleep(n * plan["arrival"])
    s = ProtocolSession(url)
    try:
        run = await s.open("train" if trainer else PAGES[n % len(PAGES)], 60.0)
        stats.loads.append(run.seconds)
        _check(stats, n, "first load", run)
    except Exception as e:  # noqa: BLE001  a visitor who cannot load the app is an error of the run
        stats.errors.append(f"visitor {n}: could not load the app: {type(e).__name__}: {e}")
        return await s.close()
    await start.wait()
    await asyncio.sleep(rng.uniform(0, plan["think"][1]))   # out of step, as students are: no burst at the start
    presses, done_at = 0, []
    try:
        while time.monotonic() < stop_at[0] and stats.interactions < plan["max_interactions"]:
            stats.interactions += 1
            try:
                if trainer:
                    name, run = await _train(s, n, presses, stop_at[0])
                    presses += 1
                else:
                    name, run = await _interact(s, rng, own)
            except Disconnected:
                if not await _reconnect(s, n, stats):
                    return
                continue
            except TimeoutError as e:
                if not (trainer and time.monotonic() >= stop_at[0]):    # a training cut off by the end is fine
                    stats.errors.append(f"visitor {n} on /{s.page()}: {e}")
                continue
            (stats.trainings.append(run.seconds) if name == "train" else stats.renders.append((name, run.seconds)))
            done_at.append(time.monotonic())
            _check(stats, n, name, run)
            await asyncio.sleep(rng.uniform(*plan["think"]))    # a visitor reads the result before the next change
    except Exception as e:  # noqa: BLE001
        stats.errors.append(f"visitor {n}: {type(e).__name__}: {e}")
    finally:
        stats.reconnects += s.reconnects
        stats.visitors[n] = {"upstreams": s.upstreams, "reconnects": s.reconnects, "done_at": done_at}
        await s.close()


def _check(stats: Stats, n: int, name: str, run) -> None:
    for text in run.exceptions:
        stats.errors.append(f"visitor {n}: exception shown after {name}: {text}")


async def _reconnect(s: ProtocolSession, n: int, stats: Stats) -> bool:
    """Connect again as the frontend does, retrying with a growing pause; False (an error) if it never works."""
    why = ""
    for delay in (0.5, 1.0, 2.0, 4.0):
        await asyncio.sleep(delay)
        try:
            _check(stats, n, "reconnect", await s.reconnect(60.0))
            return True
        except Exception as e:  # noqa: BLE001  refused, reset, timed out: try again after a longer pause
            why = f"{type(e).__name__}: {e}"
    stats.errors.append(f"visitor {n}: the connection dropped and could not be made again ({why})")
    return False


async def _sample_rss(servers, out: list, done: asyncio.Event) -> None:
    while not done.is_set():
        for srv in servers:
            try:
                out.append(srv.peak_rss())
            except (OSError, RuntimeError, AttributeError):
                pass
        await asyncio.sleep(0.5)


def _quantiles(xs: list) -> tuple[float, float, float]:
    if len(xs) < 2:
        return (xs[0],) * 3 if xs else (float("nan"),) * 3
    q = statistics.quantiles(xs, n=100)
    return q[49], q[94], max(xs)


async def drive(url: str, servers, sessions: int, seconds: float, train: int = 0, arrival: float = 0.1,
                think: tuple = (2.0, 4.0), own: float = 0.3, max_interactions: int = 20_000, on_start=None) -> dict:
    """Drive `sessions` visitors against `url`; servers (with .peak_rss(), .cpu_seconds()) are measured."""
    stats, rss, done, start, stop_at = Stats(), [], asyncio.Event(), asyncio.Event(), [float("inf")]
    plan = {"train": train, "own": own, "arrival": arrival, "think": think, "max_interactions": max_interactions}
    sampler = asyncio.create_task(_sample_rss(servers, rss, done))
    tasks = [asyncio.create_task(visitor(n, url, stats, plan, start, stop_at)) for n in range(sessions)]
    while len(stats.loads) + sum("could not load" in e for e in stats.errors) < sessions:
        await asyncio.sleep(0.1)
    t0, cpu0, me0 = time.monotonic(), _cpu(servers), _own_cpu()
    stop_at[0] = t0 + seconds
    start.set()
    if on_start is not None:
        asyncio.get_running_loop().call_soon(on_start)
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 180)
    elapsed = time.monotonic() - t0
    done.set()
    await sampler
    p50, p95, worst = _quantiles(sorted(s for _, s in stats.renders))
    per_action: dict = {}
    for name, s in stats.renders:
        per_action.setdefault(name.split()[0], []).append(s)
    loads = _quantiles(sorted(stats.loads))
    share = elapsed * (os.cpu_count() or 1)
    return {
        "sessions": sessions, "training_sessions": train, "seconds": round(elapsed, 1),
        "interactions": len(stats.renders) + len(stats.trainings), "renders": len(stats.renders),
        "errors": stats.errors, "reconnects": stats.reconnects,
        "p50_ms": round(1000 * p50), "p95_ms": round(1000 * p95), "max_ms": round(1000 * worst),
        "per_action_p50_ms": {k: round(1000 * statistics.median(v)) for k, v in sorted(per_action.items())},
        "trainings_finished": len(stats.trainings),
        "training_p50_s": round(statistics.median(stats.trainings), 1) if stats.trainings else None,
        "first_load_p50_ms": round(1000 * loads[0]), "first_load_p95_ms": round(1000 * loads[1]),
        "server_cpu_share": round((_cpu(servers) - cpu0) / share, 2),
        "client_cpu_share": round((_own_cpu() - me0) / share, 2),
        "rss_peak_mb": round(max(rss, default=0) / 2**20), "load_average": os.getloadavg()[0],
        "started_at": t0, "visitors": stats.visitors}


def _cpu(servers) -> float:
    total = 0.0
    for srv in servers:
        try:
            total += srv.cpu_seconds()
        except (OSError, RuntimeError, AttributeError):
            pass
    return total


def _own_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def tracebacks(log_paths) -> list[str]:
    """One error per server log that holds a traceback."""
    out = []
    for path in log_paths:
        text = Path(path).read_text(errors="replace") if Path(path).exists() else ""
        if "Traceback" in text:
            out.append(f"the server logged {text.count('Traceback')} traceback(s); see {path}")
    return out


def summary(r: dict) -> str:
    """The one line the load test ends with."""
    return (f"sessions {r['sessions']}, interactions {r['interactions']}, errors {len(r['errors'])}, "
            f"p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, peak RSS {r['rss_peak_mb']} MB")


def run(sessions: int = 100, seconds: float = 60.0, train: int = 0, root: Path = ROOT, log_path=None,
        replicas: int = 1, **options) -> dict:
    """Start the app's server on a free loopback port (or `replicas` of them behind nginx), drive, stop.

    The report's errors include tracebacks in the server logs; its peak RSS is the largest process's.
    """
    from e2e.harness import Server
    from e2e.nginx import Nginx

    logs = [Path(log_path).with_suffix(f".{n}.log") if log_path and replicas > 1 else log_path
            for n in range(replicas)]
    with ExitStack() as stack:
        servers = [stack.enter_context(Server(log_path=log, root=root)) for log in logs]
        url = servers[0].url
        if replicas > 1:
            url = stack.enter_context(Nginx([s.port for s in servers], Path(tempfile.mkdtemp(prefix="nginx-")))).url
        report = run_sync(drive(url, servers, sessions, seconds, train, **options))
        report["rss_peak_mb"] = max(report["rss_peak_mb"], *(round(s.peak_rss() / 2**20) for s in servers))
    report["errors"] += tracebacks([s.log_path for s in servers])
    report["server_log"] = [str(s.log_path) for s in servers] if replicas > 1 else str(servers[0].log_path)
    report["replicas"] = replicas
    return report
