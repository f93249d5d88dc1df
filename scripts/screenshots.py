"""Screenshot every page at phone and desktop width, in light and in dark, to look at before a UI change lands.

    python scripts/screenshots.py                 # -> screenshots/<page>-<width>-<scheme>.png (git-ignored)
    python scripts/screenshots.py --out docs --pages cell --widths 390 --schemes dark

Starts the app on a free loopback port and drives Debian's Chromium through Playwright (as the browser tests
do). Each page is captured whole: the viewport is made as tall as the page's content.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.harness import Server, goto, install_run_counter, launch_chromium  # noqa: E402

PAGES = {"home": "", "cell": "cell", "gates": "gates", "gradients": "gradients", "train": "train",
         "apart": "apart", "units": "units", "your_model": "your_model", "tour": "cell?tour=3"}


def shoot(browser, url: str, path: Path, width: int, scheme: str) -> None:
    ctx = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    install_run_counter(ctx)
    page = ctx.new_page()
    goto(page, url)
    page.wait_for_timeout(800)                   # plotly and the cell view lay out after the run is drawn
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": width, "height": min(int(height) + 40, 12_000)})
    page.wait_for_timeout(500)
    page.screenshot(path=str(path))
    ctx.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="screenshots")
    ap.add_argument("--pages", nargs="*", default=list(PAGES))
    ap.add_argument("--widths", nargs="*", type=int, default=[390, 1440])
    ap.add_argument("--schemes", nargs="*", default=["light", "dark"])
    args = ap.parse_args()
    out = ROOT / args.out
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright
    with Server(log_path=Path(tempfile.mkdtemp()) / "server.log") as srv, sync_playwright() as p:
        browser = launch_chromium(p)
        for name in args.pages:
            for width in args.widths:
                for scheme in args.schemes:
                    path = out / f"{name}-{width}-{scheme}.png"
                    shoot(browser, f"{srv.url}/{PAGES[name]}", path, width, scheme)
                    print(path)
        browser.close()


if __name__ == "__main__":
    main()
