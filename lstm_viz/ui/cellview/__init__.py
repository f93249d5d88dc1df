"""The browser cell view: mounted in a page with st.components.v2, and the same view as one offline .html file.

Layer: ui (may import streamlit, the engine and figures). The view itself is cellview.js and cellview.css
beside this file: vanilla JS and SVG, no build step; the payload it draws comes from
lstm_viz.figures.cellview.cell_view_data (every step and unit of one layer, float32).

    data = cellview.payload(c)                          # cached per model, sequence and layer
    cellview.show(data, step=c.step, unit=c.unit)       # the view, in sync with the sidebar
    cellview.download_button(data, c)                   # "Download this animation (.html)"

Two components travel to the browser. The view's data is the payload alone, as one binary frame (float32,
a quarter smaller than base64 JSON), identical from run to run for one model and sequence, so after the
first run Streamlit sends only a reference to it (ForwardMsgs of 10 kB and more are cached in the browser
by hash). The server's step and unit (the sidebar's, which live in the URL) ride in a second, tiny
component that hands them to the view, so moving the sidebar's step costs a few bytes, not the trace. Every step change in the view itself stays in the browser;
the view tells Python its step only when it settles (playback paused, a scrub or key press held still),
through a trigger whose callback writes the sidebar's key, so the sidebar, the URL and other pages follow.
"""
from __future__ import annotations

import base64
import json
import struct
from pathlib import Path

import streamlit as st

from ...figures.cellview import cell_view_data

HERE = Path(__file__).parent
JS = (HERE / "cellview.js").read_text(encoding="utf-8")
CSS = (HERE / "cellview.css").read_text(encoding="utf-8")
EXPORT = "export default mount;"        # the module's one export; the offline file calls mount() itself

# The sidebar's step and unit, handed to the view registered under data.target (see cellview.js).
SYNC_JS = """
export default function (component) {
  const d = component.data;
  if (!d || typeof d.target !== "string") return;
  const reg = window.__lstmVizCellView || (window.__lstmVizCellView = { views: {}, last: {}, timings: [], loads: 0 });
  reg.last[d.target] = d;
  const view = reg.views[d.target];
  if (view) view.fromServer(d);
}
"""

_view = st.components.v2.component("lstm_viz_cellview", css=CSS, js=JS)
_sync = st.components.v2.component("lstm_viz_cellview_sync", js=SYNC_JS)


# ---------------------------------------------------------------------------------------------
# the payload, cached per model, sequence and layer


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def _payload(model_key: tuple, x_key: tuple, layer: int, labels: tuple, text_mode: bool, title: str,
             _model, _trace) -> dict:
    """model_key, x_key and layer identify _model and _trace (which are not hashed)."""
    layers = getattr(_model, "layers", None) or [_model]
    return cell_view_data(_trace, layers[layer].preactivations(_trace), labels, title=title, layer=layer,
                          layers=len(layers), text_mode=text_mode)


def payload(c) -> dict:
    """The view's payload for the sidebar's model, sequence and layer (c: ui.Controls)."""
    from .. import current_model, layer_trace, model_label    # the shared sidebar's cached runs

    return _payload(c.model_key, c.sequence.key(), c.layer, tuple(c.labels), c.text_mode, model_label(c),
                    current_model(c), layer_trace(c))


# ---------------------------------------------------------------------------------------------
# mounting


@st.cache_resource(max_entries=8, ttl=3600, show_spinner=False)
def _framed(digest: str, target: str, compact: bool, _data: dict) -> bytes:
    """frame(), once per payload (digest) and mount: at the limits it decodes 3.8 MB of base64 (20 ms)."""
    return frame(_data, target=target, compact=compact)


def _follow(key: str, event: str, state_key: str, limit: int):
    """A trigger callback: the view's reported step (or unit) becomes the sidebar's (and the URL's)."""
    def callback() -> None:
        value = (st.session_state.get(key) or {}).get(event)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < limit:
            st.session_state[state_key] = value
    return callback


MAGIC = b"LVC1"
ARRAYS = ("h0", "c0", "x")               # the payload's single arrays; "fields" and "pre" hold the rest


def frame(data: dict, **header) -> bytes:
    """The payload as one binary message, a quarter smaller than its base64 JSON: MAGIC, the header's length
    (uint32, little-endian), the header JSON (the payload and `header`, each array replaced by
    {"f32": [offset, count]}), zero padding to a multiple of 4 bytes, then every array as float32."""
    chunks: list[bytes] = []
    offset = 0

    def ref(text: str) -> dict:
        nonlocal offset
        raw = base64.b64decode(text)
        chunks.append(raw)
        offset += len(raw) // 4
        return {"f32": [offset - len(raw) // 4, len(raw) // 4]}

    head = {k: v for k, v in data.items() if k not in ("fields", "pre", *ARRAYS)}
    head.update(header)
    head["fields"] = {q: ref(text) for q, text in data["fields"].items()}
    head["pre"] = {q: ref(text) for q, text in data["pre"].items()}
    head.update({k: ref(data[k]) for k in ARRAYS if k in data})
    text = json.dumps(head, separators=(",", ":")).encode()
    return MAGIC + struct.pack("<I", len(text)) + text + b"\0" * (-(8 + len(text)) % 4) + b"".join(chunks)


def unframe(raw: bytes) -> dict:
    """What `frame` packed: the payload (arrays as base64 again, as cell_view_data writes them) and the header."""
    if raw[:4] != MAGIC:
        raise ValueError("Not a cell view frame.")
    n = struct.unpack("<I", raw[4:8])[0]
    head = json.loads(raw[8:8 + n])
    body = raw[8 + n + (-(8 + n) % 4):]

    def text(ref: dict) -> str:
        offset, count = ref["f32"]
        return base64.b64encode(body[4 * offset:4 * (offset + count)]).decode("ascii")

    head["fields"] = {q: text(r) for q, r in head["fields"].items()}
    head["pre"] = {q: text(r) for q, r in head["pre"].items()}
    head.update({k: text(head[k]) for k in ARRAYS if k in head})
    return head


def show(data: dict, *, step: int, unit: int, key: str = "cellview", compact: bool = False,
         step_key: str = "step", unit_key: str = "unit") -> None:
    """The view of `data` showing `step` and `unit`; what the visitor settles on is written back to
    st.session_state[step_key] and [unit_key] (the shared sidebar's step and unit).

    compact: the diagram, the controls and the sentence only (the home page's miniature).
    """
    with st.container(gap=None):
        _view(key=key, data=_framed(data["digest"], key, bool(compact), data),
              on_step_change=_follow(key, "step", step_key, data["T"]),
              on_unit_change=_follow(key, "unit", unit_key, data["H"]))
        _sync(key=f"{key}_sync", data={"target": key, "step": int(step), "unit": int(unit)})


# ---------------------------------------------------------------------------------------------
# the offline file

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'">
<title>{title}</title>
<style>
:root {{ color-scheme: light dark; }}
body {{ margin: 0; background: #ffffff; color: #262730; font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }}
@media (prefers-color-scheme: dark) {{ body {{ background: #0e1117; color: #fafafa; }} }}
.page {{ max-width: 1400px; margin: 0 auto; padding: 16px clamp(12px, 3vw, 40px) 32px; }}
.page h1 {{ font-size: 1.45rem; margin: 0 0 2px; }}
.page .about {{ margin: 0 0 10px; font-size: 0.9rem; opacity: 0.8; }}
{css}
</style>
</head>
<body>
<main class="page">
<h1>{heading}</h1>
<p class="about">An offline copy from lstm-viz. Keys: ← and → one step, Home and End, space plays and pauses.</p>
<div id="cellview"></div>
</main>
<script type="application/json" id="cellview-data">{data}</script>
<script>
{js}
mount({{ data: JSON.parse(document.getElementById("cellview-data").textContent),
        parentElement: document.getElementById("cellview"), standalone: true }});
document.querySelector("#cellview .cv").focus({{ preventScroll: true }});
</script>
</body>
</html>
"""


def _json_for_html(obj) -> str:
    """JSON that is safe inside <script> and names no address: <, >, & and / are escaped (still valid JSON)."""
    text = json.dumps(obj, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("/", "\\/")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def standalone_html(data: dict, step: int = 0, unit: int = 0) -> str:
    """One self-contained HTML file that plays the same view from disk: script, styles and data inlined,
    a Content-Security-Policy that allows no request of any kind, no fonts but the reader's own."""
    if JS.count(EXPORT) != 1 or "</script" in JS.lower() or "</style" in CSS.lower():
        raise RuntimeError("cellview.js must end with one `export default mount;` and neither asset may close its tag.")
    kind = data["kind"].upper()
    where = f", layer {data['layer']} of {data['layers']}" if data.get("layers", 1) > 1 else ""
    heading = f"The {kind} cell, step by step{where}"
    body = {**data, "start": {"step": int(step), "unit": int(unit)}}
    body.pop("target", None)
    body.pop("compact", None)
    return PAGE.format(title=_escape(f"lstm-viz: {heading}"), heading=_escape(heading), css=CSS,
                       js=JS.replace(EXPORT, ""), data=_json_for_html(body))


def download_button(data: dict, c, key: str = "cellview_download") -> None:
    """"Download this animation (.html)": the offline file, built only when clicked."""
    kind = data["kind"]
    st.download_button("Download this animation (.html)", data=lambda: standalone_html(data, c.step, c.unit),
                       file_name=f"lstm-viz-{kind}-cell.html", mime="text/html", key=key, on_click="ignore",
                       icon=":material/download:",
                       help="One self-contained file: opens from disk in any browser, with no network, "
                            "and plays the same view with the same keys. For slides and course pages.")
