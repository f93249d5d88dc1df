"""The browser cell view: key press to updated view, bytes sent for the cell page, the offline file's size.

    python benchmarks/bench_cellview.py                 # defaults and the limits, about a minute
    python benchmarks/bench_cellview.py --presses 200   # more key presses per case

Runs `streamlit run app.py` on a loopback port and Debian's Chromium (tests/e2e/harness.py), and prints
medians:
  key -> view: from a key press (the keydown event's own timestamp) to the view's DOM holding the new step
    ("dom") and to the next animation frame after it ("frame", about when it is painted); measured inside the
    page by the view itself (window.__lstmVizCellView.timings), for ArrowRight presses 40 ms apart.
  round trip for comparison: the server's time from the browser's request to "script finished" for the one
    rerun the view asks for when it settles (what each step would cost if steps went through the server).
  bytes: what the websocket carried (compressed or not, as the browser received it) when the cell page opens,
    when the view reports a settled step, and when the sidebar's step moves.
  offline file: len(standalone_html(payload)) for the same model and sequence, and for every kind at the limits.
The limits: 500 steps, 128 units, 64 inputs (text mode over 64 distinct characters). Target (issue 10):
key -> view median under 50 ms; offline file under 1.5 MB at defaults and 6 MB at the limits.
"""
from __future__ import annotations

import argparse
import os
import statistics
import string
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from lstm_viz.cells import CELLS  # noqa: E402
from lstm_viz.figures.cellview import cell_view_data  # noqa: E402
from lstm_viz.limits import MAX_HIDDEN_SIZE, MAX_INPUT_SIZE, MAX_STEPS  # noqa: E402
from lstm_viz.sequences import DEFAULT_TEXT, parse_sequence  # noqa: E402
from tests.e2e.harness import Server, goto, install_run_counter, launch_chromium, runs, wait_for_run  # noqa: E402

_TEXT = (string.ascii_letters + string.digits + "_-")[:MAX_INPUT_SIZE]
LIMIT_TEXT = (_TEXT * (MAX_STEPS // len(_TEXT) + 1))[:MAX_STEPS]
CASES = {
    "defaults": {},
    "limits": {"sequence": LIMIT_TEXT, "text_mode": "true", "hidden_size": str(MAX_HIDDEN_SIZE)},
}
BYTES = """
(() => {
  window.__wsBytes = 0;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...a) {
      super(...a);
      this.addEventListener('message', (ev) => {
        window.__wsBytes += ev.data instanceof ArrayBuffer ? ev.data.byteLength : (ev.data.size || ev.data.length || 0);
      });
    }
  };
})();
"""


def _median(xs) -> float:
    return statistics.median(xs) if xs else float("nan")


def _p95(xs) -> float:
    return float(np.percentile(xs, 95)) if xs else float("nan")


def measure_case(browser, server: Server, params: dict, presses: int) -> dict:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    install_run_counter(ctx)
    ctx.add_init_script(BYTES)
    ctx.set_default_timeout(120_000)
    page = ctx.new_page()
    try:
        t0 = time.perf_counter()
        goto(page, f"{server.url}/cell?" + urlencode(params), timeout=120_000)
        view = page.locator(".st-key-cellview .cv")
        view.wait_for()
        page.wait_for_function("() => (window.__lstmVizCellView || {}).loads > 0")
        opened = time.perf_counter() - t0
        load_bytes = page.evaluate("window.__wsBytes")

        view.locator(".cv-head").click()
        page.evaluate("window.__lstmVizCellView.timings.length = 0")
        before_runs = runs(page)
        last = int(view.locator(".cv-scrub").get_attribute("max"))
        for _ in range(presses):                             # every press changes the step (Home at the end)
            page.keyboard.press("Home" if int(view.get_attribute("data-step")) == last else "ArrowRight")
            page.wait_for_timeout(40)
        page.wait_for_timeout(300)
        timings = page.evaluate("window.__lstmVizCellView.timings")
        runs_while_pressing = runs(page) - before_runs

        b0 = page.evaluate("window.__wsBytes")
        wait_for_run(page, before_runs)                      # the one rerun: the view reports where it settled
        page.wait_for_timeout(300)
        report_bytes = page.evaluate("window.__wsBytes") - b0
        server_ms = [entry[2] for entry in page.evaluate("window.__log")][-1]

        thumb = page.locator(".st-key-step input[type='range']")
        thumb.focus()
        b0, r0 = page.evaluate("window.__wsBytes"), runs(page)
        thumb.press("Home")
        wait_for_run(page, r0)
        page.wait_for_function("(v) => v.dataset.step === '0'", arg=view.element_handle())
        sidebar_bytes = page.evaluate("window.__wsBytes") - b0
        loads = page.evaluate("window.__lstmVizCellView.loads")
        return dict(opened_s=opened, load_bytes=load_bytes, report_bytes=report_bytes, sidebar_bytes=sidebar_bytes,
                    dom=[t["dom"] for t in timings], frame=[t["frame"] for t in timings], server_ms=server_ms,
                    runs_while_pressing=runs_while_pressing, loads=loads, presses=len(timings))
    finally:
        ctx.close()


def offline_sizes() -> dict:
    from lstm_viz.ui.cellview import standalone_html      # imports streamlit; after the server is up is fine

    out = {}
    seq = parse_sequence(DEFAULT_TEXT)
    m = CELLS["lstm"].random(1, 8, seed=0)
    tr = m.forward(seq.values)
    out["defaults (LSTM, 24 steps, 8 units)"] = len(standalone_html(cell_view_data(tr, m.preactivations(tr),
                                                                                   seq.labels)).encode())
    big = parse_sequence(LIMIT_TEXT, text_mode=True)
    for kind, cls in CELLS.items():
        m = cls.random(big.input_size, MAX_HIDDEN_SIZE, seed=0)
        tr = m.forward(big.values)
        data = cell_view_data(tr, m.preactivations(tr), big.labels, text_mode=True)
        out[f"limits ({kind.upper()}, {MAX_STEPS} steps, {MAX_HIDDEN_SIZE} units)"] = len(standalone_html(data).encode())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--presses", type=int, default=100, help="ArrowRight presses per case (default 100)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with Server() as server, sync_playwright() as p:
        browser = launch_chromium(p)
        results = {name: measure_case(browser, server, params, args.presses) for name, params in CASES.items()}
        browser.close()
    print(f"{'case':<10} {'key->dom':>9} {'key->frame':>11} {'p95 frame':>10} {'server rerun':>13} "
          f"{'page open':>10} {'report':>9} {'sidebar':>9}")
    for name, r in results.items():
        print(f"{name:<10} {_median(r['dom']):>7.1f}ms {_median(r['frame']):>9.1f}ms {_p95(r['frame']):>8.1f}ms "
              f"{r['server_ms']:>11.0f}ms {r['load_bytes'] / 1e3:>8.0f}kB {r['report_bytes'] / 1e3:>7.1f}kB "
              f"{r['sidebar_bytes'] / 1e3:>7.1f}kB")
        ok = _median(r["frame"]) < 50
        print(f"           {r['presses']} presses, {r['runs_while_pressing']} script runs while pressing, payload "
              f"decoded {r['loads']}x, page open {r['opened_s']:.1f} s; key -> frame < 50 ms: {'PASS' if ok else 'FAIL'}")
    print("\noffline file (standalone_html)")
    for name, n in offline_sizes().items():
        limit = 1.5e6 if name.startswith("defaults") else 6e6
        print(f"  {name:<38} {n / 1e6:6.3f} MB  (< {limit / 1e6:g} MB: {'PASS' if n < limit else 'FAIL'})")


if __name__ == "__main__":
    main()
