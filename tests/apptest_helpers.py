"""What the AppTest files share: the app's path, how to open a page, and how to read a finished run.

Session state is read through the keys the ui modules publish (sidebar.CONTROLS_KEY, models.CUSTOM_KEY,
training.RUNS_KEY), never through names a test invents.
"""
import base64
import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from lstm_viz.ui.models import CUSTOM_KEY
from lstm_viz.ui.sidebar import CONTROLS_KEY

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def app(page: str | None = None, query: dict | None = None, timeout: float = 60) -> AppTest:
    """A fresh session opened on app.py (with a link's parameters), then on pages/<page>.py."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(f"pages/{page}.py").run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    """The run raised nothing (an exception element would show a traceback to a visitor)."""
    assert not at.exception, [e.value for e in at.exception]


def controls(at: AppTest):
    """The Controls the sidebar returned on the last run."""
    return at.session_state[CONTROLS_KEY]


def own_model(at: AppTest) -> dict | None:
    """The session's own model slot: dict(loaded, model, name, id), or None."""
    return at.session_state[CUSTOM_KEY] if CUSTOM_KEY in at.session_state else None


def put_own_model(at: AppTest, model, name: str, ident: str) -> None:
    """Fill the own-model slot as the upload and training pages do (then choose 'custom' in Weights)."""
    at.session_state[CUSTOM_KEY] = dict(loaded=model, model=model, name=name, id=ident)


def figures(at: AppTest) -> list[dict]:
    """Every Plotly figure of the run, as the JSON sent to the browser."""
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def text(at: AppTest) -> str:
    """All markdown of the run, one element a line."""
    return "\n".join(m.value for m in at.markdown)


def array(v) -> np.ndarray:
    """A figure's data array as the browser gets it: a list, or plotly's typed array {dtype, bdata[, shape]}."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
        return a.reshape([int(n) for n in str(v["shape"]).split(",")]) if "shape" in v else a
    return np.array([np.nan if e is None else e for e in v], dtype=float)


def views(at: AppTest) -> list[dict]:
    """The run's cell views: each one's payload (ui.cellview.unframe), with "shown" = the (step, unit) the
    sidebar hands it. The browser draws every step from the payload; no figure is sent."""
    from lstm_viz.ui.cellview import unframe
    elements = at.get("bidi_component")
    found = [unframe(e.proto.bytes) for e in elements if e.proto.component_name == "lstm_viz_cellview"]
    syncs = [json.loads(e.proto.json) for e in elements if e.proto.component_name == "lstm_viz_cellview_sync"]
    for view, sync in zip(found, syncs, strict=True):
        view["shown"] = (sync["step"], sync["unit"])
    return found


def field(view: dict, q: str) -> np.ndarray:
    """One quantity of a cell view's payload, (T, H) float32."""
    from lstm_viz.figures.cellview import decode
    return decode(view["fields"][q], (view["T"], view["H"]))
