"""Server memory for the README: resident size at rest, after one visit, and after a long sequence.

    python scripts/measure_memory.py [--json out.json]

Starts the real server on a free loopback port and reads its resident memory from /proc (VmRSS now,
VmHWM the peak): right after start, after one visitor has opened the home page, and after that visitor
has opened the cell, gates and gradient pages with the longest sequence at the largest model (500 steps,
128 units, text mode over 64 characters).
"""
from __future__ import annotations

import argparse
import json
import string
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from e2e.harness import Server, browser_missing, goto, install_run_counter, launch_chromium  # noqa: E402

from lstm_viz.limits import MAX_HIDDEN_SIZE, MAX_INPUT_SIZE, MAX_STEPS  # noqa: E402

_TEXT = (string.ascii_letters + string.digits + "_-")[:MAX_INPUT_SIZE]
LONG = {"sequence": (_TEXT * (MAX_STEPS // len(_TEXT) + 1))[:MAX_STEPS], "text_mode": "true",
        "hidden_size": str(MAX_HIDDEN_SIZE)}


def mb(n: int) -> float:
    return round(n / 2**20, 1)


def measure() -> dict:
    why = browser_missing()
    if why:
        raise RuntimeError(f"Measuring needs a browser: {why}.")
    from playwright.sync_api import sync_playwright

    out = {}
    with Server() as server, sync_playwright() as p:
        time.sleep(2)
        out["started_mb"] = mb(server.rss())
        browser = launch_chromium(p)
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        install_run_counter(ctx)
        page = ctx.new_page()
        page.set_default_timeout(180_000)
        goto(page, server.url + "/", timeout=180_000)
        page.wait_for_selector(".js-plotly-plot, .cv[data-step]", timeout=60_000)   # a chart or the cell view
        time.sleep(2)
        out["one_visit_mb"] = mb(server.rss())
        for name in ("cell", "gates", "gradients"):
            goto(page, f"{server.url}/{name}?{urlencode(LONG)}", timeout=180_000)
            page.wait_for_selector(".js-plotly-plot, .cv[data-step]", timeout=180_000)
        time.sleep(2)
        out["long_sequence_mb"] = mb(server.rss())
        out["peak_mb"] = mb(server.peak_rss())
        ctx.close()
        browser.close()
        time.sleep(3)
        out["after_visitor_left_mb"] = mb(server.rss())
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    r = measure()
    print(f"server resident memory: {r['started_mb']} MB just started, {r['one_visit_mb']} MB after one visit "
          f"(at rest), {r['long_sequence_mb']} MB after {MAX_STEPS} steps x {MAX_HIDDEN_SIZE} units on the cell, "
          f"gates and gradient pages (peak {r['peak_mb']} MB), {r['after_visitor_left_mb']} MB after the "
          f"visitor left")
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
