"""The browser text view: the typed text coloured by any unit of the character model, mounted with
st.components.v2.

Layer: ui (may import streamlit and figures). The view itself is textview.js and textview.css beside this file:
vanilla JS, no build step; the frame it draws comes from lstm_viz.figures.textview.pack (every unit, quantised).

    textview.show(frame, pick="c71", ranking=[("c", 71, 0.81), ...], ranking_title="...", span=None,
                  on_span=callback, on_pick=callback)

As with the cell view (lstm_viz/ui/cellview), two components travel to the browser: the frame alone, the same
bytes from run to run for one text (so after the first run Streamlit sends only a reference to it), and a tiny
one with what the server chose (the ranked units, the unit to show, the selected span), so ranking units anew
costs a few bytes. Switching units, states and colourings happens in the browser; the view tells Python a span
the visitor selected at once ("span" trigger) and the unit the visitor settled on a moment later ("pick").
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent
JS = (HERE / "textview.js").read_text(encoding="utf-8")
CSS = (HERE / "textview.css").read_text(encoding="utf-8")

# What the server chose, handed to the view registered under data.target (see textview.js).
SYNC_JS = """
export default function ({ data }) {
  const reg = window.__lstmVizTextView || (window.__lstmVizTextView = { views: {}, last: {}, loads: 0 });
  if (data && typeof data.target === "string") (reg.last[data.target] = data, reg.views[data.target] && reg.views[data.target].fromServer(data));
}
"""

_view = st.components.v2.component("lstm_viz_textview", css=CSS, js=JS)
_sync = st.components.v2.component("lstm_viz_textview_sync", js=SYNC_JS)


def show(frame: bytes, *, pick: str, ranking: list, ranking_title: str, span=None, key: str = "textview",
         on_span=None, on_pick=None) -> None:
    """The view of `frame` (packed with target=key) showing unit `pick` ('c71'), with the ranked units as
    chips; on_span / on_pick run (as callbacks, before the next run) when the view reports a span or a unit,
    which they read from st.session_state[key]."""
    with st.container(gap=None):
        _view(key=key, data=frame, on_span_change=on_span or (lambda: None), on_pick_change=on_pick or (lambda: None))
        rows = [[s, int(u), round(float(v), 4)] for s, u, v in ranking]
        rid = hashlib.sha1(repr((rows, ranking_title)).encode()).hexdigest()[:12]   # a new ranking shows its best
        _sync(key=f"{key}_sync", data={"target": key, "pick": pick, "rid": rid, "ranking": rows,
                                       "ranking_title": ranking_title, "span": list(span) if span else None})


def reported(key: str, event: str):
    """What the view last reported for `event` ('span' or 'pick'), or None."""
    return (st.session_state.get(key) or {}).get(event)
