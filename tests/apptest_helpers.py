"""What the AppTest files share: the app's path and how to read a finished run."""
import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def ok(at: AppTest) -> None:
    """The run raised nothing (an exception element would show a traceback to a visitor)."""
    assert not at.exception, [e.value for e in at.exception]


def figures(at: AppTest) -> list[dict]:
    """Every Plotly figure of the run, as the JSON sent to the browser."""
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def text(at: AppTest) -> str:
    """All markdown of the run, one element a line."""
    return "\n".join(m.value for m in at.markdown)
