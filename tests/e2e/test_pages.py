"""The real app in a real browser: every page, the animation, the controls, shared links, training.

Run alone with `python -m pytest -q tests/e2e`; screenshots land in a temporary folder printed at the
end, or in $LSTM_VIZ_SHOTS (`LSTM_VIZ_SHOTS=docs python -m pytest -q tests/e2e` refreshes the README's
docs/screenshot.png from this run).
"""
from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from .harness import goto, runs, wait_for_run

pytestmark = pytest.mark.e2e

PAGES = {  # url path -> least number of charts drawn at defaults
    "": 0, "cell": 0, "gates": 3, "gradients": 3, "train": 0, "your_model": 0,
}
CELL_VIEW = {"": "cellview_home", "cell": "cellview"}   # pages with the browser cell view (lstm_viz/ui/cellview)
EXCEPTION = '[data-testid="stException"]'
ALERT = '[data-testid="stAlert"]'


def key(k: str) -> str:
    """CSS for the element Streamlit renders for the widget or chart with key=k."""
    return f".st-key-{k}"


def no_exception(page) -> None:
    shown = page.locator(EXCEPTION)
    assert shown.count() == 0, f"{page.url} shows an exception: {shown.first.inner_text()[:300]}"


def chart_state(page, chart_key: str) -> dict:
    """What a Plotly chart currently draws: its traces' data, the frame slider position and the SVG's text."""
    return page.evaluate("""(sel) => {
        const gd = document.querySelector(sel + ' .js-plotly-plot');
        if (!gd || !gd.data) return null;
        const slider = (gd._fullLayout.sliders || [])[0];
        return {
          data: JSON.stringify(gd.data.map(t => [t.x, t.y, t.z, t.text, t.marker && t.marker.color,
                                                  t.line && t.line.color, t.fillcolor])),
          active: slider ? slider.active : null,
          text: Array.from(gd.querySelectorAll('text')).map(n => n.textContent).join('|'),
        };
    }""", key(chart_key))


def wait_for_chart(page, chart_key: str, timeout: float = 30_000) -> dict:
    page.wait_for_function("(sel) => { const gd = document.querySelector(sel + ' .js-plotly-plot');"
                           " return gd && gd.data && gd.querySelector('svg'); }", arg=key(chart_key), timeout=timeout)
    return chart_state(page, chart_key)


def commit(page, action) -> None:
    """Do something that reruns the script, and wait until that run has finished."""
    before = runs(page)
    action()
    wait_for_run(page, before)


def set_text_area(page, widget_key: str, text: str) -> None:
    box = page.locator(f"{key(widget_key)} textarea")
    box.fill(text)
    commit(page, lambda: box.press("Control+Enter"))


def set_number(page, widget_key: str, value) -> None:
    box = page.locator(f"{key(widget_key)} input")
    box.fill(str(value))
    commit(page, lambda: box.press("Enter"))


def press_slider(page, widget_key: str, keys: str) -> None:
    """Move a Streamlit slider from the keyboard (Home, End, ArrowRight ...), as a visitor can."""
    thumb = page.locator(f"{key(widget_key)} input[type='range']").first
    thumb.focus()
    commit(page, lambda: thumb.press(keys))


def cell_view(page, view_key: str = "cellview"):
    """The browser cell view (in a shadow root, which Playwright's CSS locators enter), once it has drawn."""
    v = page.locator(f"{key(view_key)} .cv[data-step]")
    v.wait_for()
    return v


def step_table(page) -> str:
    """What the cell view shows for its step: the heading, the sentence, the equations and every unit."""
    return cell_view(page).inner_text()


def view_step(page, step: int, timeout: float = 10_000) -> None:
    page.wait_for_function("([v, s]) => v.dataset.step === s", arg=[cell_view(page).element_handle(), str(step)],
                           timeout=timeout)


def query(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(PAGES))
def test_page_loads_runs_and_draws(page, server, shots_dir, path):
    goto(page, f"{server.url}/{path}")
    if PAGES[path]:
        page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot svg.main-svg').length >= {PAGES[path]}")
    if path in CELL_VIEW:
        cell_view(page, CELL_VIEW[path])
    no_exception(page)
    assert page.locator("h1").count() >= 1, "the page has no title"
    page.wait_for_timeout(300)                        # let Plotly finish drawing before the picture
    page.screenshot(path=str(shots_dir / f"{path or 'home'}.png"))


def test_play_advances_the_view_and_scrubbing_moves_it(page, server, shots_dir):
    goto(page, f"{server.url}/cell")
    v = cell_view(page)
    start = v.inner_text()
    assert v.get_attribute("data-step") == "0"
    v.locator(".cv-play").click()
    page.wait_for_function("(v) => +v.dataset.step >= 3", arg=v.element_handle(), timeout=15_000)
    v.locator(".cv-play").click()                       # pause
    assert v.inner_text() != start, "the numbers did not change while playing"
    v.locator(".cv-scrub").fill("20")                    # scrub near the end
    view_step(page, 20)
    assert "step 20 of 24" in v.inner_text()
    no_exception(page)
    page.screenshot(path=str(shots_dir / "cell_playing.png"))


def test_view_keys_and_sidebar_slider_move_the_shared_step(page, server):
    goto(page, f"{server.url}/cell")
    before = step_table(page)
    v = cell_view(page)
    v.locator(".cv-head").click()
    commit(page, lambda: page.keyboard.press("ArrowRight"))     # the view reports the step once it settles
    assert "Step 1, unit 0" in v.inner_text()
    assert query(page).get("step") == "1", page.url
    press_slider(page, "step", "End")
    view_step(page, 23)
    assert "Step 23, unit 0" in v.inner_text()
    assert step_table(page) != before
    no_exception(page)


def test_new_sequence_and_model_controls_re_render_with_new_values(page, server):
    goto(page, f"{server.url}/cell")
    table0 = step_table(page)

    set_text_area(page, "sequence", "2, -1, 0.5, 3")
    page.get_by_text("4 steps of 1 number").wait_for()
    assert query(page).get("sequence") == "2, -1, 0.5, 3"
    page.wait_for_function("(v) => v.querySelector('.cv-scrub').max === '3'", arg=cell_view(page).element_handle())
    table1 = step_table(page)
    assert table1 != table0 and "input x0 = 2" in table1

    set_number(page, "hidden_size", 3)
    assert page.get_by_text("Random LSTM, 3 units").first.is_visible()
    assert page.get_by_text("Unit (0 to 2)").is_visible()
    page.wait_for_function("(v) => v.innerText.includes('unit 0 of 3')", arg=cell_view(page).element_handle())
    table2 = step_table(page)
    assert table2 != table1

    press_slider(page, "forget_bias", "End")            # 6: forget gates wide open
    assert query(page).get("forget_bias") == "6"
    page.wait_for_function("([v, t]) => v.innerText !== t", arg=[cell_view(page).element_handle(), table2])
    no_exception(page)


def test_a_shared_link_reproduces_the_view(browser, server, page):
    goto(page, f"{server.url}/cell")
    set_text_area(page, "sequence", "1, 0.5, -2, 0, 1, 1")
    set_number(page, "seed", 7)
    press_slider(page, "weight_scale", "ArrowRight")
    cell_view(page).locator(".cv-head").click()
    page.keyboard.press("ArrowRight")
    commit(page, lambda: page.keyboard.press("ArrowRight"))    # the view reports where it settled
    view = step_table(page), cell_view(page).get_attribute("data-step")
    link = page.url                                            # what "Copy link to this view" copies
    assert link.startswith(server.url + "/cell?"), link
    assert {"sequence", "seed", "weight_scale", "step"} <= set(parse_qs(urlparse(link).query)), link

    other = browser.new_context(viewport={"width": 1400, "height": 1000})   # a different visitor
    from .harness import install_run_counter
    install_run_counter(other)
    fresh = other.new_page()
    try:
        goto(fresh, link)
        view_step(fresh, 2)
        assert step_table(fresh) == view[0]
        assert view[1] == "2" and "Step 2, unit 0" in view[0]
        no_exception(fresh)
        # links survive moving between pages: the gates page keeps the same parameters
        commit(fresh, lambda: fresh.get_by_role("link", name="Gates over time").click())
        assert urlparse(fresh.url).path == "/gates"
        assert query(fresh).get("seed") == "7" and query(fresh).get("sequence") == "1, 0.5, -2, 0, 1, 1"
    finally:
        other.close()


@pytest.mark.parametrize("params", [
    {"hidden_size": "banana", "step": "-5", "weight_scale": "1e999", "forget_bias": "nan", "weights": "../../etc",
     "seed": "99999999999999999999", "unit": "-1", "text_mode": "maybe", "ready": "<script>alert(1)</script>"},
    {"sequence": "1, 2, zebra", "hidden_size": "0"},
    {"unit": "1.5", "step": "0.5"},
])
def test_a_garbage_link_opens_with_a_warning(page, server, params):
    goto(page, f"{server.url}/cell?{urlencode(params)}")
    v = cell_view(page)
    no_exception(page)
    alerts = page.locator(ALERT).all_inner_texts()
    assert any("could not be used" in a or "Could not read" in a for a in alerts), alerts
    assert (v.get_attribute("data-step"), v.get_attribute("data-unit")) == ("0", "0") and "Step 0, unit 0" in v.inner_text()


def test_gradient_plot_follows_the_weight_scale(page, server, shots_dir):
    goto(page, f"{server.url}/gradients?grad_compare=" + "random weights (the sidebar's settings)")   # what-ifs
    before = wait_for_chart(page, "grad_norms")
    reading0 = page.inner_text("body")
    press_slider(page, "weight_scale", "End")           # 8: the RNN's gradient explodes instead of vanishing
    after = wait_for_chart(page, "grad_norms")
    assert query(page).get("weight_scale") == "8"
    assert after["data"] != before["data"], "the gradient plot did not change with the weight scale"
    assert _trace_y(after, 0) != _trace_y(before, 0), "the RNN's gradient curve did not move"
    assert page.inner_text("body") != reading0
    no_exception(page)
    page.screenshot(path=str(shots_dir / "gradients_scale8.png"))


def _trace_y(state: dict, n: int) -> list[float]:
    """y values of trace n (the RNN, drawn first) from chart_state's data, decoding Plotly's typed arrays."""
    y = json.loads(state["data"])[n][1]
    if isinstance(y, dict):   # {"dtype": "f8", "bdata": base64}
        import base64

        import numpy as np

        y = np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]).tolist()
    return y


def test_a_short_training_run_completes(page, server, shots_dir):
    goto(page, f"{server.url}/train")
    press_slider(page, "train_length", "Home")          # shortest sequences
    press_slider(page, "train_steps", "Home")           # 10 Adam steps per model
    press_slider(page, "train_seconds", "Home")         # at most 1 s per model
    commit(page, lambda: page.locator(key("train_go")).get_by_role("button").click())
    wait_for_chart(page, "train_losses")
    body = page.inner_text("body")
    assert re.search(r"RNN: test (MSE|accuracy)", body) and re.search(r"LSTM: test (MSE|accuracy)", body), body[-800:]
    assert "after 10 steps" in body
    no_exception(page)
    page.screenshot(path=str(shots_dir / "train_done.png"))


def test_readme_screenshot(page, server, shots_dir):
    """The README's picture: the cell page on the sentence, mid-sequence."""
    goto(page, f"{server.url}/cell?" + urlencode({"sequence": "the quick brown fox jumps over the lazy dog",
                                                     "text_mode": "true", "step": "10", "unit": "2"}))
    v = cell_view(page)
    view_step(page, 10)
    no_exception(page)
    assert page.locator(ALERT).count() == 0, page.locator(ALERT).all_inner_texts()
    assert "Step 10, unit 2" in v.inner_text()
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots_dir / "screenshot.png"))
    print(f"\nscreenshots in {shots_dir}")
