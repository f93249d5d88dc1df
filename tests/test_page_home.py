"""AppTest of the home page (app.py): it explains the two memories and draws a live cell."""

from apptest_helpers import app as _app
from apptest_helpers import controls as _controls
from apptest_helpers import controls
from apptest_helpers import figures as _figures
from apptest_helpers import text as _text


def _page(name: str):
    return _app(name, timeout=120)


def test_home_explains_and_draws_a_live_cell():
    at = _app()
    text = _text(at)
    assert "short-term memory" in text and "long-term memory" in text and "forget" in text
    (fig,) = _figures(at)
    assert len(fig["frames"]) == _controls(at).steps          # the miniature plays the default sequence
    assert not at.error and not at.warning
    assert controls(at).query() == {}                           # defaults: a link to them needs no parameters
