"""Regenerate docs/lag_sweep.png: error against lag for RNN, GRU and LSTM on the adding problem.

    python scripts/make_readme_figures.py          # about a minute on 2 cores

Runs the same lag sweep as the training page (800 Adam steps a run, seeded), prints the numbers
for the README, and renders the figure in headless Chromium ($CHROMIUM or /usr/bin/chromium)
from a self-contained HTML file (plotly.js inlined, nothing fetched).
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lstm_viz.figures import lag_sweep as lag_sweep_figure  # noqa: E402
from lstm_viz.train import lag_sweep  # noqa: E402

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main(out: Path = Path("docs/lag_sweep.png")) -> None:
    results: dict = {}
    print(f"{'model':>5} {'T':>4} {'test MSE':>10} {'steps':>6} {'seconds':>8}")
    for p in lag_sweep("adding", kinds=("rnn", "gru", "lstm"), max_steps=800, total_seconds=60, seed=0):
        results.setdefault(p.kind.upper(), []).append((p.length, p.test_loss))
        print(f"{p.kind.upper():>5} {p.length:>4} {p.test_loss:>10.4f} {p.steps:>6} {p.seconds:>8.1f}")
    fig = lag_sweep_figure(results, 1 / 6, "MSE")
    fig.update_layout(width=900, height=430, paper_bgcolor="white", plot_bgcolor="white")
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        html = Path(tmp) / "fig.html"
        fig.write_html(html, include_plotlyjs=True, full_html=True, config={"displayModeBar": False})
        browser = pw.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=FLAGS)
        page = browser.new_page(viewport={"width": 920, "height": 450})
        page.goto(html.as_uri())
        page.wait_for_selector(".main-svg")
        out.parent.mkdir(exist_ok=True)
        page.locator(".plotly-graph-div").screenshot(path=str(out))
        browser.close()
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
