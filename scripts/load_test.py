"""Load test: 20 visitors at once, each a Playwright browser context, driving the real server on loopback.

    python scripts/load_test.py                         # 20 sessions for 60 s, then a report
    python scripts/load_test.py --sessions 5 --seconds 15 --json out.json
    python scripts/load_test.py --protocol --sessions 100 --seconds 60 [--train 10]   # no browsers
    python scripts/load_test.py --protocol --sessions 10 20 40 --seconds 30 [--replicas 2]  # capacity

--protocol drives the sessions through Streamlit's websocket protocol instead of browsers
(scripts/load_protocol.py says how), so the server's own capacity shows on a small machine, and ends with
one line: `sessions N, interactions M, errors E, p50 X ms, p95 Y ms, peak RSS Z MB`. The browser mode
below stays for what only a browser shows: JavaScript errors, drawing, the page as a person sees it.

Starts `streamlit run app.py` on a free 127.0.0.1 port (never another host), opens one headless
Chromium (Debian's, $CHROMIUM or /usr/bin/chromium) with one context per visitor, and has every visitor
arrive (--arrival seconds apart) and repeat random interactions, pausing --think seconds between them
as a reader does, until the time is up: type a new sequence, change the hidden size, the seed
the weight scale or the forget bias, step through the cell, switch pages, toggle the gradient page's models, or run a
tiny training (10 steps). Bounded: at most --max-interactions in all, 30 s per interaction, and the
whole run stops --seconds after the last visitor has loaded.

Reports errors (an exception shown on a page, a JavaScript error, a lost connection, a timed-out
interaction or a traceback in the server log; target 0), the latency of interactions (from the click or
key press until the script run it caused has finished and been drawn; target p95 < 500 ms; the part
spent in the server, from the page's request to the run's end, is shown beside it) and the server's peak
resident memory (VmHWM; target < 1 GB). Exit status 1 when a target is missed. The browser shares the
machine's cores with the server, so on a small machine the latency includes the browsers' own work
(20 Chromium pages drawing Plotly figures cost more CPU than the server): the server's share is printed
beside it; `--no-charts` keeps the browsers from drawing Plotly figures (the server still builds and
sends them) to measure the server itself. `--think 0 0 --arrival 0` hammers the server instead.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from e2e.harness import CHROMIUM_FLAGS, IDLE, RUN_COUNTER, SETTLE, Server, browser_missing, chromium_path  # noqa: E402

PAGES = ["", "cell", "gates", "gradients", "train"]
NAV = {"": "Home", "cell": "The cell step by step", "gates": "Gates over time", "gradients": "Vanishing gradients",
       "train": "Train them yourself"}
ACTION_TIMEOUT_MS = 30_000


class Stats:
    def __init__(self):
        self.latencies: list[tuple[str, float]] = []   # (action, seconds) from the key press until drawn
        self.server: list[float] = []                  # seconds from the page's request until the run finished
        self.loads: list[float] = []                   # first page loads, seconds
        self.errors: list[str] = []
        self.interactions = 0


async def _runs(page) -> int:
    return await page.evaluate("window.__runs || 0")


async def _wait_run(page, before: int) -> None:
    await page.wait_for_function(f"(window.__runs || 0) > {before}", timeout=ACTION_TIMEOUT_MS)
    await page.wait_for_selector(IDLE, timeout=ACTION_TIMEOUT_MS)
    await page.evaluate(SETTLE)


async def _rerun(page, act) -> None:
    """Do something that reruns the script and wait until that run has finished."""
    before = await _runs(page)
    await act()
    await _wait_run(page, before)


def _sequence(rng: random.Random) -> str:
    n = rng.randint(2, 60)
    if rng.random() < 0.2:
        return " ".join(f"{rng.uniform(-2, 2):.2f} {rng.choice([0, 1])};" for _ in range(n)).rstrip(";")
    return ", ".join(f"{rng.uniform(-3, 3):.2f}" for _ in range(n))


async def _where(page) -> str:
    return page.url.split("?")[0].rstrip("/").rsplit("/", 1)[-1] if "/" in page.url[8:] else ""


async def act_sequence(page, rng):
    box = page.locator(".st-key-sequence textarea")
    await box.fill(_sequence(rng))
    await _rerun(page, lambda: box.press("Control+Enter"))


async def act_number(page, rng, key: str, lo: int, hi: int):
    box = page.locator(f".st-key-{key} input")
    now = await box.input_value()
    value = rng.choice([v for v in range(lo, hi + 1) if str(v) != now])   # an unchanged value reruns nothing
    await box.fill(str(value))
    await _rerun(page, lambda: box.press("Enter"))


async def act_slider(page, rng, key: str):
    thumb = page.locator(f".st-key-{key} input[type='range']").first
    value, lo, hi = [float(await thumb.get_attribute(a)) for a in ("value", "min", "max")]
    press = "ArrowLeft" if value >= hi else "ArrowRight" if value <= lo else rng.choice(["ArrowLeft", "ArrowRight"])
    await thumb.focus()
    await _rerun(page, lambda: thumb.press(press))


async def act_page(page, rng):
    here = await _where(page)
    target = rng.choice([p for p in PAGES if p != here and not (p == "" and here == "")])
    link = page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=NAV[target], exact=True)
    await _rerun(page, link.click)


async def act_page_specific(page, rng):
    here = await _where(page)
    if here == "cell":                       # the view steps in the browser; the sidebar's step reruns
        return await act_slider(page, rng, "step")
    if here == "gradients":
        return await act_slider(page, rng, "grad_length")
    if here == "gates":
        return await act_slider(page, rng, "forget_bias")
    if here == "train":
        for key in ("train_steps", "train_seconds", "train_length"):   # the smallest budget: 10 steps, 1 s
            thumb = page.locator(f".st-key-{key} input[type='range']").first
            if await thumb.get_attribute("value") != await thumb.get_attribute("min"):
                await thumb.focus()
                await _rerun(page, lambda: thumb.press("Home"))
        return await _rerun(page, page.locator(".st-key-train_go button").click)
    return await act_sequence(page, rng)


ACTIONS = [  # (name, weight, coroutine)
    ("sequence", 3, act_sequence),
    ("hidden_size", 2, lambda p, r: act_number(p, r, "hidden_size", 1, 32)),
    ("seed", 2, lambda p, r: act_number(p, r, "seed", 0, 1000)),
    ("weight_scale", 2, lambda p, r: act_slider(p, r, "weight_scale")),
    ("page", 3, act_page),
    ("page control", 3, act_page_specific),
]


async def visitor(n: int, browser, url: str, stats: Stats, start_at: asyncio.Event, stop_at: list,
                  max_interactions: int, think: tuple[float, float], arrival: float, charts: bool) -> None:
    rng = random.Random(n)
    await asyncio.sleep(n * arrival)            # visitors arrive one after another, not in the same instant
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    await ctx.add_init_script(RUN_COUNTER)
    if not charts:   # the server still builds and sends every figure; the browser just does not draw it
        await ctx.route("**/PlotlyChart*.js", lambda route: route.abort())
    page = await ctx.new_page()
    page.on("pageerror", lambda e: stats.errors.append(f"visitor {n}: JavaScript error {e}"))
    try:
        t = time.perf_counter()
        await page.goto(f"{url}/{PAGES[n % len(PAGES)]}", timeout=60_000)
        await page.wait_for_function("(window.__runs || 0) > 0", timeout=60_000)
        await page.wait_for_selector(IDLE, timeout=60_000)
        stats.loads.append(time.perf_counter() - t)
        await start_at.wait()
        while time.monotonic() < stop_at[0] and stats.interactions < max_interactions:
            stats.interactions += 1
            name, _, action = rng.choices(ACTIONS, weights=[w for _, w, _ in ACTIONS])[0]
            t = time.perf_counter()
            try:
                await action(page, rng)
            except Exception as e:  # noqa: BLE001  any failure of an interaction is an error of the run
                stats.errors.append(f"visitor {n}: {name} on /{await _where(page)} failed: {str(e).splitlines()[0]}")
                await page.goto(f"{url}/{rng.choice(PAGES)}", timeout=60_000)
                continue
            stats.latencies.append((name, time.perf_counter() - t))
            stats.server.append((await page.evaluate("window.__log[window.__log.length - 1][2]")) / 1000)
            shown = page.locator('[data-testid="stException"]')
            if await shown.count():
                stats.errors.append(f"visitor {n}: exception on /{await _where(page)} after {name}: "
                                    f"{(await shown.first.inner_text())[:200]}")
            await asyncio.sleep(rng.uniform(*think))   # a visitor looks at the result before the next click
    except Exception as e:  # noqa: BLE001
        stats.errors.append(f"visitor {n}: could not load the app: {str(e).splitlines()[0]}")
    finally:
        await ctx.close()


async def _sample_rss(server: Server, out: list, done: asyncio.Event) -> None:
    while not done.is_set():
        try:
            out.append(server.rss())
        except (OSError, RuntimeError):
            pass
        await asyncio.sleep(0.25)


async def drive(server: Server, sessions: int, seconds: float, max_interactions: int,
                think: tuple[float, float] = (2.0, 4.0), arrival: float = 1.0, charts: bool = True) -> dict:
    from playwright.async_api import async_playwright

    stats, rss, done, start_at = Stats(), [], asyncio.Event(), asyncio.Event()
    stop_at = [float("inf")]
    sampler = asyncio.create_task(_sample_rss(server, rss, done))
    rest = server.rss()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS, headless=True)
        tasks = [asyncio.create_task(visitor(n, browser, server.url, stats, start_at, stop_at, max_interactions,
                                             think, arrival, charts)) for n in range(sessions)]
        while len(stats.loads) + sum(1 for e in stats.errors if "could not load" in e) < sessions:
            await asyncio.sleep(0.1)
        stop_at[0] = time.monotonic() + seconds
        t0, cpu0 = time.monotonic(), server.cpu_seconds()
        start_at.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 120)
        elapsed, server_cpu = time.monotonic() - t0, server.cpu_seconds() - cpu0
        await browser.close()
    done.set()
    await sampler
    lat = sorted(s for _, s in stats.latencies)
    q = statistics.quantiles(lat, n=100) if len(lat) >= 2 else [float("nan")] * 99
    qs = statistics.quantiles(stats.server, n=100) if len(stats.server) >= 2 else [float("nan")] * 99
    per_action = {}
    for name, s in stats.latencies:
        per_action.setdefault(name, []).append(s)
    return dict(
        sessions=sessions, seconds=round(elapsed, 1), interactions=len(lat), errors=stats.errors,
        p50_ms=round(1000 * q[49], 1), p95_ms=round(1000 * q[94], 1), max_ms=round(1000 * max(lat, default=0), 1),
        server_p50_ms=round(1000 * qs[49], 1), server_p95_ms=round(1000 * qs[94], 1),
        per_action_p50_ms={k: round(1000 * statistics.median(v), 1) for k, v in sorted(per_action.items())},
        first_load_p50_s=round(statistics.median(stats.loads), 2) if stats.loads else None,
        server_cpu_share=round(server_cpu / (elapsed * (os.cpu_count() or 1)), 2),
        rss_rest_mb=round(rest / 2**20, 1), rss_peak_mb=round(max([server.peak_rss(), *rss]) / 2**20, 1),
    )


def run(sessions: int = 20, seconds: float = 60.0, max_interactions: int = 6000, log_path=None,
        think: tuple[float, float] = (2.0, 4.0), arrival: float = 1.0, charts: bool = True) -> dict:
    """Start the server, drive it, stop it; the report as a dict (errors include server-log tracebacks)."""
    why = browser_missing()
    if why:
        raise RuntimeError(f"The load test needs a browser: {why}.")
    with Server(log_path=log_path) as server:
        report = asyncio.run(drive(server, sessions, seconds, max_interactions, think, arrival, charts))
        report["think_s"], report["arrival_s"], report["charts_drawn"] = list(think), arrival, charts
        report["rss_peak_mb"] = max(report["rss_peak_mb"], round(server.peak_rss() / 2**20, 1))
    log = server.log_path.read_text(errors="replace")
    if "Traceback" in log:
        report["errors"].append(f"the server logged {log.count('Traceback')} traceback(s); see {server.log_path}")
    report["server_log"] = str(server.log_path)
    return report


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, nargs="+", default=None,
                    help="visitors (default 20, with --protocol 100); with --protocol several counts run one after "
                         "another, a line each (the capacity of one server: where p95 crosses 1 s)")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--max-interactions", type=int, default=6000)
    ap.add_argument("--think", type=float, nargs=2, default=(2.0, 4.0), metavar=("MIN", "MAX"),
                    help="seconds a visitor waits between interactions (uniform; default 2 4; 0 0 hammers)")
    ap.add_argument("--arrival", type=float, default=None,
                    help="seconds between visitors' first page loads (default 1, with --protocol 0.1)")
    ap.add_argument("--no-charts", action="store_true",
                    help="browsers do not load Plotly (the server still builds and sends every figure): "
                         "measures the server when the browsers would otherwise take the machine's cores")
    ap.add_argument("--protocol", action="store_true",
                    help="visitors speak Streamlit's websocket protocol; no browsers (scripts/load_protocol.py)")
    ap.add_argument("--train", type=int, default=0, help="with --protocol: this many visitors press Start training")
    ap.add_argument("--own", type=float, default=0.3,
                    help="with --protocol: the share of visitors who type sequences of their own")
    ap.add_argument("--replicas", type=int, default=1,
                    help="with --protocol: this many app processes behind nginx (cookie affinity), one per core")
    ap.add_argument("--json", help="also write the report to this file")
    args = ap.parse_args(argv)
    if args.protocol:
        return protocol_main(args)
    if args.sessions and len(args.sessions) > 1:
        ap.error("several --sessions counts need --protocol")
    args.sessions = 20 if args.sessions is None else args.sessions[0]
    args.arrival = 1.0 if args.arrival is None else args.arrival
    r = run(args.sessions, args.seconds, args.max_interactions, think=tuple(args.think), arrival=args.arrival,
            charts=not args.no_charts)
    ok = {"errors": not r["errors"], "p95": r["p95_ms"] < 500, "rss": r["rss_peak_mb"] < 1024}
    print(f"{r['sessions']} sessions (arriving {r['arrival_s']} s apart, {r['think_s'][0]:g}-{r['think_s'][1]:g} s "
          f"between interactions{'' if r['charts_drawn'] else ', browsers not drawing charts'}) for {r['seconds']} s:")
    print(f"{r['interactions']} interactions, "
          f"{len(r['errors'])} errors (target 0) {'PASS' if ok['errors'] else 'FAIL'}")
    print(f"interaction latency: p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms (target < 500) "
          f"{'PASS' if ok['p95'] else 'FAIL'}, max {r['max_ms']:.0f} ms")
    print(f"  of which the server's run (request sent -> run finished): p50 {r['server_p50_ms']:.0f} ms, "
          f"p95 {r['server_p95_ms']:.0f} ms; the rest is the browsers drawing")
    print(f"  the server used {100 * r['server_cpu_share']:.0f}% of the machine's {os.cpu_count()} cores; "
          f"the browsers and everything else the rest")
    print("  p50 per action: " + ", ".join(f"{k} {v:.0f} ms" for k, v in r["per_action_p50_ms"].items()))
    print(f"first page load p50: {r['first_load_p50_s']} s (all {r['sessions']} visitors at once)")
    print(f"server memory: {r['rss_rest_mb']:.0f} MB at rest, peak {r['rss_peak_mb']:.0f} MB (target < 1024) "
          f"{'PASS' if ok['rss'] else 'FAIL'}")
    for e in r["errors"][:20]:
        print("  error:", e)
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=1))
    return 0 if all(ok.values()) else 1


def protocol_main(args) -> int:
    """The protocol load test: one line per run on stdout, errors on stderr, the details in --json."""
    import load_protocol

    reports, ok = [], True
    for sessions in args.sessions or [100]:
        r = load_protocol.run(sessions, args.seconds, args.train, arrival=0.1 if args.arrival is None else args.arrival,
                              think=tuple(args.think), own=args.own, max_interactions=args.max_interactions,
                              replicas=args.replicas)
        for e in r["errors"][:20]:
            print("error:", e, file=sys.stderr)
        print(load_protocol.summary(r), flush=True)
        reports.append(r)
        p95_target = 1500 if args.train else 1000
        ok = ok and not r["errors"] and r["p95_ms"] < p95_target and r["rss_peak_mb"] < 1024
    if args.json:
        Path(args.json).write_text(json.dumps(reports[0] if len(reports) == 1 else reports, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
