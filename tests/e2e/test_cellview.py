"""The browser cell view in the real app and as a downloaded file: keys move every number on the page
together with no round trip per step, the sidebar and the view stay one step, every kind of cell draws its
own diagram, a phone screen shows every label whole in light and dark, and the offline .html plays with the
network cut off.

Run alone with `python -m pytest -q tests/e2e/test_cellview.py`. The view sits in a shadow root;
Playwright's CSS locators reach into it, page.evaluate does not (so checks run through locator.evaluate).
"""
from __future__ import annotations

import os
import re
from urllib.parse import parse_qs, urlencode, urlparse

import numpy as np
import pytest

from lstm_viz import LSTM
from lstm_viz.words import step_sentence
from lstm_viz.presets import PRESETS, load_preset
from lstm_viz.sequences import DEFAULT_TEXT, parse_sequence

from .harness import Server, goto, install_run_counter, runs, wait_for_run

pytestmark = pytest.mark.e2e

PHONE = dict(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2)


def view(page, key: str = "cellview"):
    return page.locator(f".st-key-{key} .cv")


def open_view(page, url: str, key: str = "cellview"):
    goto(page, url)
    v = view(page, key)
    v.wait_for()
    page.wait_for_function("() => (window.__lstmVizCellView || {}).loads > 0")
    return v


def shown_steps(v) -> list[str]:
    """Every "step N" the view writes (header, sentence, equations, table)."""
    return re.findall(r"\bstep (\d+)", v.inner_text(), re.I)


def query(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def sidebar_step(page) -> str:
    return page.locator(".st-key-step input[type='range']").input_value()


def diagram_numbers(v) -> dict[str, float]:
    """What the diagram writes: box values and line labels, by the quantity each shows."""
    pairs = v.evaluate("""(root) => {
        const out = [];
        for (const g of root.querySelectorAll('.cv-svg .cv-box')) out.push([g.dataset.q, g.querySelector('.cv-val').textContent]);
        for (const t of root.querySelectorAll('.cv-svg text.cv-label')) {
          const n = t.querySelector('.cv-num');
          if (n && t.dataset.q && t.dataset.q !== 'x_label') out.push([t.dataset.q, n.textContent]);
        }
        return out; }""")
    return {q: float(text) for q, text in pairs}


def lstm_values(tr, t: int, u: int) -> dict[str, float]:
    c_prev = tr.c0[u] if t == 0 else tr.c[t - 1, u]
    h_prev = tr.h0[u] if t == 0 else tr.h[t - 1, u]
    v = {q: getattr(tr, q)[t, u] for q in ("i", "f", "g", "o", "c", "tanh_c", "h")}
    v.update(c_prev=c_prev, h_prev=h_prev, fc=v["f"] * c_prev, ig=v["i"] * v["g"])
    return v


def assert_same_numbers(shown: dict, engine: dict) -> None:
    assert shown, "the diagram shows no numbers"
    for q, value in shown.items():
        assert abs(value - engine[q]) <= 0.005 + 1e-6, (q, value, engine[q])


def default_trace():
    seq = parse_sequence(DEFAULT_TEXT)
    return seq, LSTM.random(1, 8, seed=0, forget_bias=1.0, weight_scale=1.0).forward(seq.values)


def test_arrow_keys_move_every_number_on_the_page_together(page, server):
    v = open_view(page, f"{server.url}/cell")
    seq, tr = default_trace()
    loads, before = page.evaluate("window.__lstmVizCellView.loads"), runs(page)
    v.locator(".cv-head").click()                                  # focus the view, as a visitor would
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert v.get_attribute("data-step") == "3" and runs(page) == before    # no round trip per step
    assert "the sidebar's step, 0, follows when you stop" in v.inner_text()  # the two numbers, said plainly
    wait_for_run(page, before)                                     # once it settles, the view tells the server
    assert "the sidebar's step" not in v.inner_text()
    assert set(shown_steps(v)) == {"3"} and len(shown_steps(v)) >= 4, v.inner_text()[:400]
    assert sidebar_step(page) == "3" and query(page).get("step") == "3", page.url
    assert page.evaluate("window.__lstmVizCellView.loads") == loads    # the trace was not sent again
    assert_same_numbers(diagram_numbers(v), lstm_values(tr, 3, 0))
    assert v.locator(".cv-reading").inner_text() == step_sentence(tr, 3, 0, seq.labels[3])
    assert "step 3 of 24" in v.inner_text()


def test_sidebar_step_and_unit_move_the_view_and_the_view_moves_them(page, server):
    v = open_view(page, f"{server.url}/cell")
    seq, tr = default_trace()
    loads = page.evaluate("window.__lstmVizCellView.loads")
    thumb = page.locator(".st-key-step input[type='range']")
    thumb.focus()
    before = runs(page)
    thumb.press("End")                                             # the sidebar's own slider
    wait_for_run(page, before)
    page.wait_for_function("(v) => v.dataset.step === '23'", arg=v.element_handle())
    assert page.evaluate("window.__lstmVizCellView.loads") == loads    # a few bytes, not the trace again
    before = runs(page)
    v.locator("thead th[data-u='5']").click()                      # pick a unit in the table
    wait_for_run(page, before)
    assert v.get_attribute("data-unit") == "5" and query(page).get("unit") == "5"
    assert page.locator(".st-key-unit input").input_value() == "5"
    assert_same_numbers(diagram_numbers(v), lstm_values(tr, 23, 5))
    assert "unit 5 of 8" in v.inner_text()


def test_end_home_and_every_step_of_a_long_sequence(page, server):
    values = ", ".join(f"{np.sin(k / 7):.2f}" for k in range(300))
    v = open_view(page, f"{server.url}/cell?" + urlencode({"sequence": values, "hidden_size": 64}))
    v.locator(".cv-head").click()
    page.keyboard.press("End")
    assert v.get_attribute("data-step") == "299" and set(shown_steps(v)) == {"299"}
    assert "step 299 of 300" in v.inner_text()
    tr = LSTM.random(1, 64, seed=0).forward(parse_sequence(values).values)
    v.locator(".cv-tablewrap").evaluate("(w) => { w.scrollLeft = w.scrollWidth; }")    # the last units
    last = v.locator("td[data-q='h'][data-u='63']")
    page.wait_for_function("(td) => td.textContent !== ''", arg=last.element_handle())
    assert abs(float(last.inner_text()) - tr.h[299, 63]) <= 0.005 + 1e-6
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    assert v.get_attribute("data-step") == "1" and set(shown_steps(v)) == {"1"}
    assert v.locator(".cv-scrub").get_attribute("max") == "299"    # the scrubber reaches every step
    v.locator(".cv-scrub").fill("157")
    assert v.get_attribute("data-step") == "157" and set(shown_steps(v)) == {"157"}


def test_space_plays_and_pauses(page, server):
    v = open_view(page, f"{server.url}/cell")
    v.locator(".cv-head").click()
    page.keyboard.press(" ")
    page.wait_for_function("(v) => +v.dataset.step >= 2", arg=v.element_handle(), timeout=10_000)
    before = runs(page)
    page.keyboard.press(" ")
    shown = v.get_attribute("data-step")
    wait_for_run(page, before)                                     # paused: the step goes to the sidebar
    assert sidebar_step(page) == shown == v.get_attribute("data-step")


SHIPPED = {kind: next(k for k, p in PRESETS.items() if p.kind == kind and p.path.exists()) for kind in ("gru", "rnn")}


@pytest.mark.parametrize("kind", ["gru", "rnn"])
def test_gru_and_rnn_draw_their_own_cells(page, server, kind):
    key = SHIPPED[kind]
    v = open_view(page, f"{server.url}/cell?weights={key}")
    assert v.get_attribute("data-kind") == kind and f"{kind.upper()} cell" in v.inner_text()
    boxes = set(v.locator(".cv-svg .cv-box").evaluate_all("(gs) => gs.map((g) => g.dataset.q)"))
    assert boxes == ({"r", "z", "n"} if kind == "gru" else {"h"})
    model, seq = load_preset(key).model, parse_sequence(PRESETS[key].sequence)
    tr = model.forward(seq.values)
    v.locator(".cv-head").click()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    shown = diagram_numbers(v)
    h_prev = tr.h[1, 0]
    engine = {"h": tr.h[2, 0], "h_prev": h_prev}
    if kind == "gru":
        z, n = tr.z[2, 0], tr.n[2, 0]
        engine.update(r=tr.r[2, 0], z=z, n=n, zh=z * h_prev, one_z=1 - z, zn=(1 - z) * n, rhn=tr.r[2, 0] * tr.hn[2, 0])
        ops = v.locator(".cv-svg .cv-op text").all_text_contents()
        assert "1−" in ops and ops.count("×") == 3
    else:
        engine["a_h"] = model.preactivations(tr)["h"][2, 0]
    assert_same_numbers(shown, engine)


# ---------------------------------------------------------------------------------------------
# a phone, light and dark: no label on another, none cut


LABEL_CHECK = """(root) => {
  const vw = document.documentElement.clientWidth, problems = [], items = [];
  const svg = root.querySelector('.cv-svg'), sr = svg.getBoundingClientRect();
  for (const t of svg.querySelectorAll('text')) {
    const r = t.getBoundingClientRect();
    if (!r.width) continue;
    items.push({ what: 'diagram: ' + t.textContent, r });
    if (r.left < sr.left - 0.5 || r.right > sr.right + 0.5 || r.top < sr.top - 0.5 || r.bottom > sr.bottom + 0.5)
      problems.push('cut by the drawing: ' + t.textContent);
  }
  const wrap = root.querySelector('.cv-tablewrap');
  const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    if (!n.textContent.trim() || n.parentElement.closest('svg, .cv-tip, select')) continue;
    const range = document.createRange();
    range.selectNodeContents(n);
    const sticky = !!n.parentElement.closest('.cv-rowname');
    for (const r of range.getClientRects()) if (r.width && r.height) items.push({ what: n.textContent.trim(), r, table: wrap.contains(n), sticky });
  }
  // the table scrolls sideways under its sticky first column: what is scrolled away or under it is hidden, not cut
  const visible = wrap.getBoundingClientRect(), sticky = root.querySelector('.cv-table .cv-rowname').getBoundingClientRect().right;
  for (let k = items.length - 1; k >= 0; k--) {
    const it = items[k];
    if (it.table && !it.sticky && (it.r.left < sticky - 0.5 || it.r.right > visible.right + 0.5 || it.r.left > visible.right)) items.splice(k, 1);
  }
  for (const it of items) if (!it.table && (it.r.left < -0.5 || it.r.right > vw + 0.5)) problems.push('cut by the screen: ' + it.what);
  const wr = wrap.getBoundingClientRect();
  if (wr.width && (wr.left < -0.5 || wr.right > vw + 0.5)) problems.push('the table is wider than the screen');
  for (let a = 0; a < items.length; a++) for (let b = a + 1; b < items.length; b++) {
    const p = items[a].r, q = items[b].r;
    const w = Math.min(p.right, q.right) - Math.max(p.left, q.left), h = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
    if (w > 1 && h > 1) problems.push(`overlap: "${items[a].what}" and "${items[b].what}"`);
  }
  return { problems, labels: items.length, width: sr.width };
}"""


@pytest.fixture(scope="module")
def dark_server(browser, tmp_path_factory):
    """A second server whose Streamlit theme is dark (the app's own config picks none)."""
    old = os.environ.get("STREAMLIT_THEME_BASE")
    os.environ["STREAMLIT_THEME_BASE"] = "dark"
    try:
        srv = Server(log_path=tmp_path_factory.mktemp("dark") / "streamlit.log").start()
    finally:
        if old is None:
            os.environ.pop("STREAMLIT_THEME_BASE")
        else:
            os.environ["STREAMLIT_THEME_BASE"] = old
    yield srv
    srv.stop()


VIEWS = {  # name -> (page path and query, view key, what to do before checking)
    "lstm": ("cell", "cellview", ()),
    "lstm large text": ("cell", "cellview", ("large",)),
    "gru": (f"cell?weights={SHIPPED['gru']}", "cellview", ()),
    "rnn": (f"cell?weights={SHIPPED['rnn']}", "cellview", ()),
    "home": ("", "cellview_home", ()),
    "text mode": ("cell?" + urlencode({"sequence": "the quick brown fox", "text_mode": "true", "step": "4"}), "cellview", ()),
}


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_phone_shows_every_label_whole(browser, server, dark_server, shots_dir, theme):
    srv = dark_server if theme == "dark" else server
    ctx = browser.new_context(**PHONE, color_scheme=theme)
    install_run_counter(ctx)
    ctx.set_default_timeout(30_000)
    page = ctx.new_page()
    try:
        for name, (path, key, actions) in VIEWS.items():
            if theme == "dark" and name not in ("lstm", "gru", "home"):
                continue
            v = open_view(page, f"{srv.url}/{path}", key)
            if "large" in actions:
                v.locator(".cv-large-box").check()
            v.locator(".cv-head").click()
            page.keyboard.press("ArrowRight")                      # a step with other numbers than 0
            result = v.evaluate(LABEL_CHECK)
            assert result["labels"] > 20 and not result["problems"], (name, theme, *result["problems"])
            assert result["width"] <= 390
            v.screenshot(path=str(shots_dir / f"cellview_390_{theme}_{name.replace(' ', '_')}.png"))
        bg = page.evaluate("getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor")
        ink = v.evaluate("(r) => getComputedStyle(r).color")                # the view follows the app's theme
        dark_bg = sum(int(c) for c in re.findall(r"\d+", bg)[:3]) < 200
        assert dark_bg == (theme == "dark") and (sum(int(c) for c in re.findall(r"\d+", ink)[:3]) > 500) == dark_bg
    finally:
        ctx.close()


# ---------------------------------------------------------------------------------------------
# the offline file


def test_downloaded_animation_plays_from_disk_with_no_network(page, server, browser, tmp_path):
    open_view(page, f"{server.url}/cell")
    with page.expect_download() as got:
        page.get_by_role("button", name=re.compile("Download this animation")).click()
    path = tmp_path / "cell.html"
    got.value.save_as(path)
    assert path.stat().st_size < 1.5e6
    for scheme in ("light", "dark"):
        ctx = browser.new_context(viewport={"width": 1200, "height": 900}, color_scheme=scheme)
        requests, blocked, errors = [], [], []
        ctx.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                  else (blocked.append(route.request.url), route.abort()))
        pg = ctx.new_page()
        pg.on("request", lambda r: requests.append(r.url))
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda e: errors.append(str(e)))
        try:
            pg.goto(path.as_uri())
            v = pg.locator(".cv")
            v.wait_for()
            assert v.get_attribute("data-step") == "0"
            pg.keyboard.press("ArrowRight")
            pg.keyboard.press("ArrowRight")
            assert v.get_attribute("data-step") == "2" and set(shown_steps(v)) == {"2"}
            pg.keyboard.press("End")
            assert v.get_attribute("data-step") == "23"
            pg.keyboard.press("Home")
            pg.keyboard.press(" ")
            pg.wait_for_function("() => +document.querySelector('.cv').dataset.step >= 2", timeout=10_000)
            pg.keyboard.press(" ")
            assert "cv-playing" not in (v.get_attribute("class") or "")
            ink = v.evaluate("(r) => getComputedStyle(r).color")
            light_ink = sum(int(c) for c in re.findall(r"\d+", ink)[:3]) > 500
            assert light_ink == (scheme == "dark"), ink
            assert not errors, errors
            assert not blocked and all(u.startswith("file:") for u in requests), (requests, blocked)
        finally:
            ctx.close()
