"""Server render time and bytes sent, per page, at defaults and at the limits.

    python benchmarks/bench_pages.py            # 7 repeats per case, a table, PASS/FAIL per row
    python benchmarks/bench_pages.py --repeats 3 --json out.json

Each case runs the app's script for one page in Streamlit's AppTest (the same script run the server does
for a visitor, without the network) and reports medians over repeats of
  cold: caches cleared before the run (what a visitor pays when they change a control),
  warm: the same run again with everything cached (what moving the step or switching pages costs),
and the bytes the run sends: the serialized size of every element (Plotly figures are most of it), with
the figures' share shown separately. Targets (issue 5): at defaults cold < 150 ms and < 1 MB per page; at
the limits cold < 1 s. The limits: 500 steps, 128 units, 64 inputs (text mode, 64 distinct characters),
and on the gradient page a 500-step sequence through RNN, LSTM and GRU.
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
         "train": "pages/train.py", "your_model": "pages/your_model.py"}
_TEXT = (string.ascii_letters + string.digits + "_-")[:MAX_INPUT_SIZE]
LIMIT_PARAMS = {  # URL parameters at the limits: the longest, widest sequence and the largest model
    "sequence": (_TEXT * (MAX_STEPS // len(_TEXT) + 1))[:MAX_STEPS], "text_mode": "true",
    "hidden_size": str(MAX_HIDDEN_SIZE), "step": str(MAX_STEPS // 2), "unit": str(MAX_HIDDEN_SIZE - 1),
}
TARGET_MS = {"defaults": 150.0, "limits": 1000.0}
TARGET_BYTES = {"defaults": 1_000_000, "limits": None}


def _limits_widgets(at: AppTest, page: str) -> None:
    """Page-local controls at their limits (set after a first run, as a visitor would)."""
    if page == "gradients":
        at.slider(key="grad_length").set_value(MAX_STEPS)
        at.multiselect(key="grad_models").set_value(["RNN", "LSTM", "GRU"])
        at.toggle(key="grad_jacobian").set_value(True)
    if page == "gates":
        at.multiselect(key="lines_units").set_value(list(range(8)))


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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--pages", nargs="*", default=list(PAGES))
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args(argv)
    logging.getLogger("streamlit").setLevel(logging.ERROR)

    # warm-up: the first run of a process imports everything; it is not what a visitor waits for
    _app("cell", "defaults")
    rows = [measure(p, case, args.repeats) for case in ("defaults", "limits") for p in args.pages]

    head = f"{'page':<11} {'case':<9} {'cold ms':>8} {'warm ms':>8} {'bytes':>10} {'figures':>10} {'charts':>6}  target"
    print(head)
    print("-" * len(head))
    for r in rows:
        target = f"< {TARGET_MS[r['case']]:.0f} ms" + (" & < 1 MB" if TARGET_BYTES[r["case"]] else "")
        print(f"{r['page']:<11} {r['case']:<9} {r['cold_ms']:>8.1f} {r['warm_ms']:>8.1f} {r['bytes']:>10,} "
              f"{r['figure_bytes']:>10,} {r['charts']:>6}  {target:<20} {'PASS' if r['ok'] else 'FAIL'}")
    print(f"\nmedians of {args.repeats} runs; cold = caches cleared first; bytes = every element as sent, "
          f"figures = the Plotly JSON within it")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
