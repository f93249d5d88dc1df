"""AppTest of the home page (app.py): it explains the two memories, offers the tour and draws a live cell."""

from apptest_helpers import app as _app
from apptest_helpers import controls as _controls
from apptest_helpers import text as _text
from apptest_helpers import views


def test_home_explains_and_draws_a_live_cell():
    at = _app()
    text = _text(at)
    assert "short-term memory" in text and "long-term memory" in text and "forget" in text
    (view,) = views(at)
    assert view["T"] == _controls(at).steps and view["compact"]    # the miniature plays the default sequence
    assert not at.error and not at.warning
    assert at.button(key="tour_start").label.startswith("Take the tour")
    assert _controls(at).query() == {}                           # defaults: a link to them needs no parameters
