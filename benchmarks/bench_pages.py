"""Server render time and bytes sent, per page, at defaults and at the limits.

    python benchmarks/bench_pages.py            # 7 repeats per case, a table, PASS/FAIL per row
    python benchmarks/bench_pages.py --repeats 3 --json out.json

Each case is measured twice, and medians over repeats are reported:
  AppTest (the page's script run in-process, no network):
    cold: caches cleared before the run (what a visitor pays when they change a control),
    warm: the same run again with everything cached (what moving the step or switching pages costs),
    bytes: the serialized size of every element the run sends (Plotly figures are most of it; their
    share is shown separately);
  the real server (`streamlit run` on loopback, driven by headless Chromium; skipped with --no-server):
    srv new: the visitor changes the seed (a new model: caches miss), from the browser's request to the
    server's "script finished" message,
    srv re: a rerun with everything cached (the R key),
    ws bytes: what the websocket carried after the seed change (Streamlit resends only what changed).
The PASS/FAIL targets apply to the server's uncached time when it was measured, else to AppTest's cold. Targets (issue 5): at defaults cold < 150 ms and < 1 MB per page; at
the limits cold < 1 s. The limits: 500 steps, 128 units, 64 inputs (text mode, 64 distinct characters),
and on the gradient page its own sequence-length slider at 500 (RNN and LSTM, its default models).
Times are wall-clock on this machine; a busy machine makes them slower, so read them with the repeats.
"""
from __future__ import annotations

import argparse
import json
import logging
import statistics
import string
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from lstm_viz.limits import MAX_HIDDEN_SIZE, MAX_INPUT_SIZE, MAX_STEPS  # noqa: E402

PAGES = {"home": None, "cell": "pages/cell.py", "gates": "pages/gates.py", "gradients": "pages/gradients.py",
         "train": "pages/train.py", "apart": "pages/apart.py", "your_model": "pages/your_model.py"}
_TEXT = (string.ascii_letters + string.digits + "_-")[:MAX_INPUT_SIZE]
LIMIT_PARAMS = {  # URL parameters at the limits: the longest, widest sequence and the largest model
    "sequence": (_TEXT * (MAX_STEPS // len(_TEXT) + 1))[:MAX_STEPS], "text_mode": "true",
    "hidden_size": str(MAX_HIDDEN_SIZE), "step": str(MAX_STEPS // 2), "unit": str(MAX_HIDDEN_SIZE - 1),
}
TARGET_MS = {"defaults": 150.0, "limits": 1000.0}
TARGET_BYTES = {"defaults": 1_000_000, "limits": None}


def _limits_widgets(at: AppTest, page: str) -> None:
    """Page-local controls at their limits (set after a first run, as a visitor would)."""
    if page == "gradients":                       # the same on the real server: its slider to the end
        at.slider(key="grad_length").set_value(MAX_STEPS)


def _element_bytes(at: AppTest) -> tuple[int, int]:
    """(bytes of every element's protobuf, bytes of the Plotly figures' JSON)."""
    total, figures = 0, 0

    def walk(node):
        nonlocal total, figures
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ByteSize"):
            total += proto.ByteSize()
            if getattr(node, "type", "") == "plotly_chart":
                figures += len(proto.spec)
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child)

    walk(at._tree)
    return total, figures


def _app(page: str, case: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if case == "limits":
        at.query_params = dict(LIMIT_PARAMS)
    if PAGES[page]:
        at.switch_page(PAGES[page])
    at.run()
    if case == "limits":
        _limits_widgets(at, page)
        at.run()
    problems = [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]
    if problems:
        raise RuntimeError(f"{page} at {case} did not render cleanly: {problems[0][:300]}")
    return at


def measure(page: str, case: str, repeats: int) -> dict:
    import streamlit as st

    at = _app(page, case)
    cold, warm = [], []
    for _ in range(repeats):
        st.cache_data.clear()
        st.cache_resource.clear()
        t = time.perf_counter()
        at.run()
        cold.append(time.perf_counter() - t)
        t = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - t)
    if at.exception:
        raise RuntimeError(f"{page} at {case} raised: {at.exception[0].value}")
    total, figures = _element_bytes(at)
    cold_ms, warm_ms = 1000 * statistics.median(cold), 1000 * statistics.median(warm)
    ok = cold_ms < TARGET_MS[case] and (TARGET_BYTES[case] is None or total < TARGET_BYTES[case])
    return dict(page=page, case=case, cold_ms=round(cold_ms, 1), warm_ms=round(warm_ms, 1), bytes=total,
                figure_bytes=figures, charts=len(at.get("plotly_chart")), ok=ok)


def measure_server(cases: list[tuple[str, str]], repeats: int) -> dict:
    """(page, case) -> dict(new_ms, re_ms, ws_bytes) measured on the real server in headless Chromium."""
    from urllib.parse import urlencode

    sys.path.insert(0, str(ROOT / "tests"))
    from e2e.harness import Server, browser_missing, goto, install_run_counter, launch_chromium, runs, wait_for_run
    from playwright.sync_api import sync_playwright

    if browser_missing():
        print(f"(real server skipped: {browser_missing()})")
        return {}
    out = {}
    with Server() as server, sync_playwright() as p:
        browser = launch_chromium(p)
        for page_name, case in cases:
            ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
            install_run_counter(ctx)
            page = ctx.new_page()
            page.set_default_timeout(180_000)
            frames = []
            page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(len(f))))
            path = "" if page_name == "home" else page_name
            params = dict(LIMIT_PARAMS) if case == "limits" else {}
            goto(page, f"{server.url}/{path}?{urlencode(params)}", timeout=180_000)
            if case == "limits" and page_name == "gradients":
                for key, press in (("grad_length", "End"),):
                    thumb = page.locator(f".st-key-{key} input[type='range']").first
                    thumb.focus()
                    n = runs(page)
                    thumb.press(press)
                    wait_for_run(page, n, timeout=180_000)
            new, re_, sent = [], [], []
            seed_box = page.locator(".st-key-seed input")
            for k in range(repeats):
                n, before = runs(page), len(frames)
                seed_box.fill(str(1000 + k))
                seed_box.press("Enter")
                wait_for_run(page, n, timeout=180_000)
                new.append(page.evaluate("window.__log[window.__log.length - 1][2]"))
                sent.append(sum(frames[before:]))
                page.locator("h1").first.click()          # focus the page, not an input, so R reruns
                n = runs(page)
                page.keyboard.press("r")
                wait_for_run(page, n, timeout=180_000)
                re_.append(page.evaluate("window.__log[window.__log.length - 1][2]"))
            out[(page_name, case)] = dict(new_ms=statistics.median(new), re_ms=statistics.median(re_),
                                          ws_bytes=int(statistics.median(sent)))
            ctx.close()
        browser.close()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--pages", nargs="*", default=list(PAGES))
    ap.add_argument("--json", help="also write the rows to this file")
    ap.add_argument("--no-server", action="store_true", help="AppTest only (no browser needed)")
    args = ap.parse_args(argv)
    logging.getLogger("streamlit").setLevel(logging.ERROR)

    # warm-up: the first run of a process imports everything; it is not what a visitor waits for
    _app("cell", "defaults")
    cases = [(p, case) for case in ("defaults", "limits") for p in args.pages]
    rows = [measure(p, case, args.repeats) for p, case in cases]
    server = {} if args.no_server else measure_server(cases, args.repeats)
    for r in rows:
        s = server.get((r["page"], r["case"]))
        if s:
            r.update(srv_new_ms=s["new_ms"], srv_re_ms=s["re_ms"], ws_bytes=s["ws_bytes"])
            r["ok"] = s["new_ms"] < TARGET_MS[r["case"]] and (TARGET_BYTES[r["case"]] is None
                                                            or max(r["bytes"], s["ws_bytes"]) < TARGET_BYTES[r["case"]])

    head = (f"{'page':<11} {'case':<9} {'cold ms':>8} {'warm ms':>8} {'bytes':>10} {'figures':>10} {'charts':>6} "
            f"{'srv new':>8} {'srv re':>7} {'ws bytes':>10}  target")
    print(head)
    print("-" * len(head))
    for r in rows:
        target = f"< {TARGET_MS[r['case']]:.0f} ms" + (" & < 1 MB" if TARGET_BYTES[r["case"]] else "")
        srv = (f"{r['srv_new_ms']:>8.0f} {r['srv_re_ms']:>7.0f} {r['ws_bytes']:>10,}" if "srv_new_ms" in r
               else f"{'-':>8} {'-':>7} {'-':>10}")
        print(f"{r['page']:<11} {r['case']:<9} {r['cold_ms']:>8.1f} {r['warm_ms']:>8.1f} {r['bytes']:>10,} "
              f"{r['figure_bytes']:>10,} {r['charts']:>6} {srv}  {target:<20} {'PASS' if r['ok'] else 'FAIL'}")
    print(f"\nmedians of {args.repeats} runs, times in ms. AppTest: cold = caches cleared first, warm = cached; "
          f"bytes = every element as sent, figures = the Plotly JSON within it. Real server: srv new = after a "
          f"seed change, srv re = cached rerun, ws bytes = websocket bytes after the seed change.")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
