"""The 'what a unit means' page in a real browser: hovering a character shows every gate of the unit and the
model's five best guesses, keys switch units with no script run, a span dragged across the text ranks the units
by selectivity, and on a phone nothing in the text view is cut or overlaps, in light and dark.

Run alone with `python -m pytest -q tests/e2e/test_units.py`. The view sits in a shadow root; Playwright's CSS
locators reach into it, page.evaluate does not (so checks run through locator.evaluate).
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

from lstm_viz.presets import PRESETS, load_preset
from lstm_viz.sequences import parse_sequence
from lstm_viz.units import selectivity, span_mask, states, top_guesses

from .harness import goto, install_run_counter, runs, wait_for_run

pytestmark = pytest.mark.e2e

TEXT = PRESETS["char_lstm"].sequence
PHONE = dict(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2)
SHOWN = {" ": "␣", "\n": "↵", "\t": "⇥"}


@pytest.fixture(scope="module")
def engine():
    p = load_preset("char_lstm")
    tr = p.model.forward(parse_sequence(TEXT, True, PRESETS["char_lstm"].vocabulary).values)
    return tr, top_guesses((p.readout_weight, p.readout_bias), tr.h)


def open_view(page, url: str):
    goto(page, url)
    v = page.locator(".st-key-textview .tv")
    v.wait_for()
    page.wait_for_function("() => (window.__lstmVizTextView || {}).loads > 0")
    return v


def query(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def loads(page) -> int:
    return page.evaluate("window.__lstmVizTextView.loads")


def test_hovering_a_character_shows_every_gate_and_the_five_best_guesses(page, server, engine):
    tr, (ids, p) = engine
    v = open_view(page, f"{server.url}/units")
    assert (v.get_attribute("data-state"), v.get_attribute("data-unit")) == ("c", "71")   # the best bracket unit
    t = 9                                                                  # the '(' of greet(
    v.locator(f".tv-ch[data-t='{t}']").hover()
    tip = v.locator(".tv-tip")
    tip.wait_for(state="visible")
    assert f"character {t}: (" in tip.inner_text()
    for q in ("i", "f", "g", "o", "c", "h"):
        shown = float(v.locator(f".tv-gate[data-q='{q}']").inner_text().split()[1])
        assert abs(shown - getattr(tr, q)[t, 71]) <= 0.005 + 2 / 510, q
    items = v.evaluate("(r) => [...r.querySelectorAll('.tv-guesses li')].map(li => [li.querySelector('b')"
                       ".textContent, li.lastChild.textContent])")                  # [character, '62%']
    assert len(items) == 5
    voc = PRESETS["char_lstm"].vocabulary
    for (ch, pct), i, pr in zip(items, ids[t], p[t]):
        assert ch == SHOWN.get(voc[i], voc[i]) and abs(float(pct.rstrip("%")) - 100 * pr) <= 0.6, (ch, pct, pr)
    assert "it was n" in tip.inner_text()                                # the character that came next


def test_keys_switch_units_in_the_browser_and_the_link_follows_once_settled(page, server, engine):
    tr, _ = engine
    v = open_view(page, f"{server.url}/units")
    before, frames = runs(page), loads(page)
    colour = v.locator(".tv-ch[data-t='30']").evaluate("(s) => s.style.background")
    v.focus()
    for key in ("ArrowDown", "ArrowDown", "j"):
        page.keyboard.press(key)
    assert v.get_attribute("data-unit") == "74" and runs(page) == before          # no script run per key
    assert v.locator(".tv-unit").input_value() == "74" and "c[74]" in v.locator(".tv-key-title").inner_text()
    assert v.locator(".tv-ch[data-t='30']").evaluate("(s) => s.style.background") != colour
    page.keyboard.press("k")
    v.locator("[data-state='h']").click()
    assert (v.get_attribute("data-state"), v.get_attribute("data-unit")) == ("h", "73") and runs(page) == before
    wait_for_run(page, before)                                                   # settled: one run, for the link
    assert query(page).get("units_unit") == "h73" and loads(page) == frames       # the frame was not sent again
    assert (v.get_attribute("data-state"), v.get_attribute("data-unit")) == ("h", "73")
    v.locator(".tv-unit").fill("5")
    assert v.get_attribute("data-unit") == "5"


def test_a_span_dragged_across_the_text_ranks_units_by_selectivity(page, server, engine):
    tr, _ = engine
    v = open_view(page, f"{server.url}/units")
    first, last = TEXT.index("#"), TEXT.index("everyone") + len("everyone") - 1      # the comment
    a = v.locator(f".tv-ch[data-t='{first}']").bounding_box()
    b = v.locator(f".tv-ch[data-t='{last}']").bounding_box()
    before = runs(page)
    page.mouse.move(a["x"] + 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(b["x"] + b["width"] - 2, b["y"] + b["height"] / 2, steps=8)
    page.mouse.up()
    wait_for_run(page, before)
    assert query(page).get("units_span") == f"{first}-{last}"
    d = selectivity(states(tr), span_mask(len(TEXT), first, last))            # (256,) h units, then c units
    best = int(np.argmax(np.abs(d)))
    name = f"{'hc'[best // 128]}[{best % 128}]"
    body = page.inner_text("[data-testid='stMain']")
    assert f"On characters {first} to {last}, {name} fires most selectively: d = {d[best]:+.2f}" in body
    page.wait_for_function("(v) => v.dataset.unit === String(%d)" % (best % 128), arg=v.element_handle())
    assert v.get_attribute("data-state") == "hc"[best // 128]
    assert f"Most selective on {first}-{last}" in v.locator(".tv-rank").inner_text()
    assert v.locator(".tv-ch.tv-in").count() == last - first + 1


LAYOUT_CHECK = """(root) => {
  const vw = window.innerWidth, problems = [], items = [];
  const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || el.closest('.tv-text') || el.closest('[hidden]')) continue;
    const range = document.createRange();
    range.selectNodeContents(n);
    for (const r of range.getClientRects()) if (r.width && r.height) items.push({ what: n.textContent.trim(), r, tip: !!el.closest('.tv-tip') });
  }
  for (const it of items) if (it.r.left < -0.5 || it.r.right > vw + 0.5) problems.push('cut by the screen: ' + it.what);
  for (let a = 0; a < items.length; a++) for (let b = a + 1; b < items.length; b++) {
    if (items[a].tip !== items[b].tip) continue;               // the box floats over the text, as it should
    const p = items[a].r, q = items[b].r;
    const w = Math.min(p.right, q.right) - Math.max(p.left, q.left), h = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
    if (w > 1 && h > 1) problems.push(`overlap: "${items[a].what}" and "${items[b].what}"`);
  }
  const text = root.querySelector('.tv-text');
  if (text.scrollWidth > text.clientWidth + 1) problems.push('the text scrolls sideways');
  return { problems, labels: items.length, width: root.getBoundingClientRect().width };
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_on_a_phone_nothing_in_the_text_view_is_cut_or_overlaps(browser, server, shots_dir, scheme):
    ctx = browser.new_context(**PHONE, color_scheme=scheme)
    install_run_counter(ctx)
    ctx.set_default_timeout(30_000)
    page = ctx.new_page()
    try:
        v = open_view(page, f"{server.url}/units")
        v.locator(".tv-ch[data-t='40']").tap()                           # a tap pins the box under a character
        v.locator(".tv-tip").wait_for(state="visible")
        result = v.evaluate(LAYOUT_CHECK)
        assert result["labels"] > 30 and not result["problems"], result["problems"]
        assert result["width"] <= 390
        v.locator("[data-mode='conn']").tap()                            # the other colouring, its legend
        result = v.evaluate(LAYOUT_CHECK)
        assert not result["problems"], result["problems"]
        assert v.locator(".tv-ch[data-t='10']").evaluate("(s) => s.style.background") != ""   # shaded, s <= t
        assert v.locator(".tv-ch[data-t='60']").evaluate("(s) => s.style.background") == ""   # after t: not
        v.screenshot(path=str(shots_dir / f"textview_390_{scheme}.png"))
        before = runs(page)                                              # a span on a touch screen: two taps
        v.locator(".tv-select").tap()
        v.locator(".tv-ch[data-t='22']").tap()
        assert v.locator(".tv-select").inner_text() == "tap the last character"
        v.locator(".tv-ch[data-t='44']").tap()
        wait_for_run(page, before)
        assert query(page).get("units_span") == "22-44" and v.locator(".tv-ch.tv-in").count() == 23
    finally:
        ctx.close()
