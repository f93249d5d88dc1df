"""Links: every URL parameter the app reads or writes, and every touch of Streamlit's internals, one function each.

Layer: ui (imports streamlit). Shared widgets are bound to the URL (`bind="query-params"`, the key is the
parameter's name) and drawn by app.py before the page runs, so they keep their parameters across pages.
Three things Streamlit 1.67 does not do by itself are done here through its internals, each guarded so
that if an internal moves the app still works, only less politely: knowing whether the sidebar was drawn
this run, leaving the v1 pages-directory mode, and editing the URL before a widget reads it.
"""
from __future__ import annotations

import math
from urllib.parse import urlencode

import streamlit as st

from ..presets import PRESETS
from ..sequences import READY
from .controls import READY_LABELS, WEIGHT_LABELS

LINK_READ = "link_read"   # session key: this session's first link has been read


def drawn_this_run(key: str) -> bool:
    """Whether a widget with this key already exists in this script run (app.py draws the sidebar first)."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        ctx = get_script_run_ctx()
        return ctx is not None and key in ctx.shared.widget_user_keys_this_run
    except Exception:  # noqa: BLE001  internal API moved: draw again rather than break the page
        return False


def leave_pages_directory_mode() -> None:
    """Run app.py's navigation even when a fresh server's first visitor opens a page's address.

    Until some run calls st.navigation, Streamlit treats pages/ as a v1 pages directory and runs
    pages/cell.py alone for /cell: no page config, no navigation titles. A page that finds itself in
    that mode switches it off and reruns, and the rerun goes through app.py like every other.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # internal module moved: pages still work, only the first load looks plain
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def int_param(raw, lo: int, hi: int) -> bool:
    """Whether a URL value is a whole number in [lo, hi] ('3', '3.0' and '3e0' all are)."""
    try:
        v = float(raw)
    except (TypeError, ValueError):
        return False
    return math.isfinite(v) and v == int(v) and lo <= v <= hi


def float_param(raw, lo: float, hi: float) -> bool:
    """Whether a URL value is a finite number in [lo, hi]."""
    try:
        v = float(raw)
    except (TypeError, ValueError):
        return False
    return math.isfinite(v) and lo <= v <= hi


def url_problems(checks: dict) -> list[str]:
    """Names and accepted values of URL parameters that cannot be used; they are dropped, so their widgets
    start at defaults. checks: parameter -> (predicate on the raw value, what is accepted in words)."""
    out, bad = [], []
    for key, (ok, accepted) in checks.items():
        if key in st.query_params:
            raw = st.query_params.get_all(key)
            if len(raw) != 1 or not ok(raw[0]):
                out.append(f"{key}={', '.join(raw)[:30]!r} ({accepted})")
                bad.append(key)
    drop_from_url(bad)
    return out


def refuse_bad_page_params(checks: dict) -> None:
    """A page's own link parameters that cannot be used are dropped before their widgets read them, with one
    warning saying what is accepted (as the sidebar does for its own). checks: as url_problems takes them."""
    problems = url_problems(checks)
    if problems:
        st.warning("This link had values that could not be used, so those are back at their defaults: "
                   + "; ".join(problems) + ".")


def drop_from_url(keys: list[str]) -> None:
    """Forget refused URL values before their widgets read them, and take them out of the address bar.

    Streamlit resets most bad values itself, but a number input seeded with 'inf' or '1e400' raises
    OverflowError inside Streamlit 1.67 (its URL seeding catches only ValueError and TypeError), so
    the values are dropped first. Internal API: if it moves, the widgets still see the values, as before.
    """
    if not keys:
        return
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        with get_script_run_ctx().session_state.query_params() as qp:
            for key in keys:
                qp._initial_query_params.pop(key, None)
                qp.remove_param(key)
    except Exception:  # noqa: BLE001
        pass


def set_url_value(name: str, value: str) -> None:
    """Put a value in the URL before its bound widget reads it (internal API, as in drop_from_url)."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        with get_script_run_ctx().session_state.query_params() as qp:
            qp._initial_query_params[name] = [value]
            qp._set_item_internal(name, value)
            qp._send_query_param_msg()
    except Exception:  # noqa: BLE001  a key link then gets the usual "could not be used" warning
        pass


def keys_to_labels() -> None:
    """Let a hand-written link name a ready sequence or a weights choice by its short key
    (ready=sentence, weights=latch): the bound select boxes read and write labels ("Sentence"), so a
    key is put in the URL as its label before the box reads it; label links are left as they are."""
    for name, labels in (("ready", READY_LABELS), ("weights", WEIGHT_LABELS)):
        raw = st.query_params.get_all(name)
        if len(raw) == 1 and raw[0] in labels and raw[0] not in labels.values():
            set_url_value(name, labels[raw[0]])


def link_sequence() -> tuple[str, bool] | None:
    """The sequence a session's first link asks for, or None: a named ready sequence, or a named preset's
    sample, unless the link brings a sequence of its own. Read once per session (later the select boxes'
    callbacks do this). A ready name that loses to the link's own sequence is dropped from the URL."""
    if st.session_state.get(LINK_READ):
        return None
    st.session_state[LINK_READ] = True
    own = "sequence" in st.query_params or "text_mode" in st.query_params
    key = next((k for k, label in READY_LABELS.items() if label == st.query_params.get("ready")), None)
    if key is None:
        preset = next((k for k, label in WEIGHT_LABELS.items() if label == st.query_params.get("weights")), None)
        return (PRESETS[preset].sequence, PRESETS[preset].text_mode) if preset in PRESETS and not own else None
    if key not in READY or own:
        drop_from_url(["ready"])
        return None
    return READY[key].text, READY[key].text_mode


# "Copy link": the address bar already holds every bound control (sidebar and page), so the browser copies
# its own location; no server round trip, and the link is exactly what the visitor sees.
_COPY_HTML = """<div class="copy"><button type="button">🔗 Copy link to this view</button><span class="done"></span>
<input class="url" readonly aria-label="Link to this view"></div>"""
_COPY_CSS = """
.copy { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem; font-family: var(--st-font); }
button { font: inherit; font-size: 0.9rem; padding: 0.3rem 0.8rem; border-radius: 0.5rem; cursor: pointer;
  color: var(--st-text-color); background: var(--st-secondary-background-color);
  border: 1px solid var(--st-border-color, rgba(128, 128, 128, 0.4)); }
button:hover { border-color: var(--st-primary-color); color: var(--st-primary-color); }
.done { font-size: 0.85rem; color: var(--st-text-color); opacity: 0.75; }
.url { display: none; width: 100%; font-size: 0.8rem; padding: 0.25rem; color: var(--st-text-color);
  background: transparent; border: 1px solid rgba(128, 128, 128, 0.4); border-radius: 0.3rem; }
.url.show { display: block; }
"""
_COPY_JS = """
export default function (component) {
  const root = component.parentElement;
  const button = root.querySelector("button"), done = root.querySelector(".done"), url = root.querySelector(".url");
  button.onclick = async () => {
    const href = window.location.href;
    try {
      await navigator.clipboard.writeText(href);
      done.textContent = "Copied: paste it in a slide, a chat or a new tab.";
      url.classList.remove("show");
    } catch (e) {          // no clipboard (an http address other than localhost): show it to copy by hand
      url.value = href;
      url.classList.add("show");
      url.select();
      done.textContent = "Select and copy the link below.";
    }
  };
}
"""
_copy_component = None


def copy_link(key: str = "copy_link") -> None:
    """A "Copy link to this view" button near the top of a page: copies the browser's own address, which holds
    every bound control of the sidebar and of the page."""
    global _copy_component
    if _copy_component is None:
        _copy_component = st.components.v2.component("lstm_viz.copy_link", html=_COPY_HTML, css=_COPY_CSS,
                                                     js=_COPY_JS)
    _copy_component(key=key)


# On a phone the sidebar covers the page; Streamlit leaves it open after a page is picked from its navigation,
# so the page the visitor asked for stays hidden. One listener on the document closes it after such a tap.
_CLOSE_JS = """
export default function () {
  if (window.__lstmVizCloseSidebar) return;
  window.__lstmVizCloseSidebar = true;
  document.addEventListener("click", (event) => {
    if (window.innerWidth >= 768 || !event.target.closest('[data-testid="stSidebarNavLink"]')) return;
    setTimeout(() => {
      const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
      if (close) close.click();
    }, 150);
  }, true);
}
"""
_close_component = None


def close_sidebar_after_navigation_on_phones() -> None:
    """Mount the listener above once per page (internal DOM test ids: if they move, the sidebar stays open)."""
    global _close_component
    if _close_component is None:
        _close_component = st.components.v2.component("lstm_viz.close_sidebar", js=_CLOSE_JS)
    with st.sidebar:
        _close_component(key="close_sidebar")


def share_url(query: dict[str, str]) -> str:
    """The address of this page with these parameters (relative when there is no browser, as in AppTest)."""
    try:
        base = st.context.url
    except Exception:  # noqa: BLE001
        base = None
    q = urlencode(query)
    return (base or "") + (f"?{q}" if q else "")
