"""A newcomer's first minute, in a real browser: dark mode, no outside request, a clean server log, links that
carry a page's controls, nothing cut or colliding on a phone, and a trained model that lands on the cell page.
"""
from __future__ import annotations

import pytest

from .harness import goto, wait_for_run, runs

pytestmark = pytest.mark.e2e

PATHS = ["", "cell", "gates", "gradients", "train", "apart", "units", "your_model"]
PHONE = {"width": 390, "height": 844}
ALERT = '[data-testid="stAlert"]'
EXCEPTION = '[data-testid="stException"]'


def _context(browser, server, **kw):
    from .harness import install_run_counter
    ctx = browser.new_context(base_url=server.url, **kw)
    install_run_counter(ctx)
    ctx.set_default_timeout(60_000)
    return ctx


def test_dark_mode_follows_the_visitor(browser, server):
    for scheme, dark in (("dark", True), ("light", False)):
        ctx = _context(browser, server, color_scheme=scheme, viewport={"width": 1200, "height": 800})
        page = ctx.new_page()
        goto(page, server.url + "/gates")
        rgb = page.evaluate("""() => getComputedStyle(document.querySelector('[data-testid="stApp"]'))
                                     .backgroundColor.match(/\\d+/g).slice(0, 3).map(Number)""")
        luminance = (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]) / 255
        assert (luminance < 0.3) == dark, (scheme, rgb)
        ctx.close()


def test_no_page_asks_an_outside_host_for_anything(browser, server):
    ctx = _context(browser, server, viewport={"width": 1200, "height": 800})
    page = ctx.new_page()
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(
        (server.url, "data:", "blob:", "about:")) else None)
    for path in PATHS:
        goto(page, f"{server.url}/{path}")
    ctx.close()
    assert outside == []


def test_the_server_log_stays_clean_through_the_tour(browser, server):
    start = server.log_path.stat().st_size
    ctx = _context(browser, server, viewport={"width": 1200, "height": 800})
    page = ctx.new_page()
    goto(page, server.url + "/cell?weights=latch")
    goto(page, server.url + "/")
    before = runs(page)
    page.locator(".st-key-tour_start button").click()
    wait_for_run(page, before)
    from lstm_viz.tour import STOPS
    for n in range(2, len(STOPS) + 1):                        # every stop, through every page the tour visits
        page.wait_for_selector(".st-key-tour_next button")
        before = runs(page)
        page.locator(".st-key-tour_next button").click()
        page.wait_for_function(f"new URLSearchParams(location.search).get('tour') === '{n}'")
        wait_for_run(page, before)
        assert page.locator(EXCEPTION).count() == 0, page.url
    ctx.close()
    with open(server.log_path, "rb") as f:
        f.seek(start)
        new = f.read().decode(errors="replace")
    noisy = [line for line in new.splitlines() if any(w in line for w in ("Warning", "WARNING", "Traceback", "Error"))]
    assert noisy == [], "\n".join(noisy[:20])


def test_a_copied_link_restores_a_page_control_in_a_fresh_browser(browser, server):
    ctx = _context(browser, server, viewport={"width": 1200, "height": 900})
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = ctx.new_page()
    goto(page, server.url + "/gradients")
    thumb = page.locator(".st-key-grad_k input[type='range']")
    thumb.focus()
    for _ in range(5):                                        # 40 -> 35
        page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => new URLSearchParams(location.search).get('grad_k') === '35'")
    page.wait_for_function("() => document.body.innerText.includes('After 35 steps back')")
    page.locator(".st-key-copy_link button").click()          # the button lives in a shadow root
    page.wait_for_function("async () => (await navigator.clipboard.readText()).includes('grad_k')")
    link = page.evaluate("navigator.clipboard.readText()")
    ctx.close()
    assert "grad_k=35" in link and "/gradients" in link
    fresh = _context(browser, server, viewport={"width": 1200, "height": 900})
    page = fresh.new_page()
    goto(page, link)
    assert page.locator(".st-key-grad_k input[type='range']").input_value() == "35"
    assert "After 35 steps back" in page.inner_text("body")
    fresh.close()


OVERLAPS = """() => {
  const boxes = [], out = [], vw = window.innerWidth;
  for (const plot of document.querySelectorAll('.js-plotly-plot')) {
    const frame = plot.getBoundingClientRect();
    const texts = [...plot.querySelectorAll('text')].filter(t => {
      const s = getComputedStyle(t), r = t.getBoundingClientRect();
      const fill = s.fill || '';
      return t.textContent.trim() && r.width > 0 && s.visibility !== 'hidden' && s.display !== 'none' &&
             s.opacity !== '0' && s.fillOpacity !== '0' && !/rgba\\([^)]*,\\s*0\\)/.test(fill);
    });
    const rects = texts.map(t => [t.textContent.trim(), t.getBoundingClientRect()]);
    for (const [name, r] of rects) {
      if (r.left < Math.max(frame.left, 0) - 1 || r.right > Math.min(frame.right, vw) + 1)
        out.push(`cut: "${name}" (${Math.round(r.left)}..${Math.round(r.right)} of ${Math.round(frame.left)}..${Math.round(Math.min(frame.right, vw))})`);
    }
    for (let a = 0; a < rects.length; a++) for (let b = a + 1; b < rects.length; b++) {
      const [na, ra] = rects[a], [nb, rb] = rects[b];
      const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
      const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      if (w > 2 && h > 2) out.push(`overlap: "${na}" and "${nb}"`);
    }
  }
  const main = document.querySelector('[data-testid="stMain"]');
  if (main && main.scrollWidth > main.clientWidth + 1) out.push(`page scrolls sideways: ${main.scrollWidth} > ${main.clientWidth}`);
  return out;
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_label_collides_or_is_cut_on_a_phone(browser, server, scheme):
    ctx = _context(browser, server, viewport=PHONE, color_scheme=scheme, device_scale_factor=1)
    page = ctx.new_page()
    problems = {}
    for path in PATHS:
        goto(page, f"{server.url}/{path}")
        page.wait_for_timeout(500)                            # plotly lays out after the run is drawn
        found = page.evaluate(OVERLAPS)
        if found:
            problems[path or "home"] = found[:8]
    ctx.close()
    assert problems == {}


def test_a_model_trained_here_lands_on_the_cell_page_with_a_matching_sequence(browser, server):
    ctx = _context(browser, server, viewport={"width": 1200, "height": 900})
    page = ctx.new_page()
    goto(page, server.url + "/train?train_length=10&train_steps=40&train_seconds=5&train_models=LSTM")
    before = runs(page)
    page.locator(".st-key-train_go button").click()
    page.wait_for_selector(".st-key-train_use_LSTM button", timeout=120_000)
    wait_for_run(page, before, timeout=120_000)
    before = runs(page)
    page.locator(".st-key-train_use_LSTM button").click()
    wait_for_run(page, before)
    before = runs(page)
    page.locator("[data-testid='stSidebarNavLink']", has_text="The cell step by step").click()
    wait_for_run(page, before)
    alerts = " ".join(page.locator(ALERT).all_inner_texts())
    assert "random LSTM instead" not in alerts and "reads 2 input numbers" not in alerts
    assert "LSTM trained on adding" in page.inner_text("[data-testid='stSidebar']")
    ctx.close()
