"""The guided tour: every stop opens its page with its controls, says sentences whose numbers are the
engine's, links to itself, and can be left with the view kept."""
import numpy as np
import pytest

from apptest_helpers import app as _app
from apptest_helpers import controls as _controls
from apptest_helpers import ok as _ok
from lstm_viz import tour
from lstm_viz.presets import PRESETS, load_preset
from lstm_viz.sequences import parse_sequence


def _bar_text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_the_tour_starts_on_home_and_walks_every_stop():
    at = _app()
    at.button(key="tour_start").click().run()
    _ok(at)
    for n, stop in enumerate(tour.STOPS):
        assert at.query_params["tour"] == [str(n + 1)] or at.query_params["tour"] == str(n + 1)
        assert f"stop {n + 1} of {len(tour.STOPS)}" in "\n".join(c.value for c in at.caption)
        assert stop.title in _bar_text(at)
        c = _controls(at)
        for key in ("weights", "step", "unit"):
            if key in stop.state:
                assert getattr(c, key) == stop.state[key], (n, key)
        if n + 1 < len(tour.STOPS):
            at.button(key="tour_next").click().run()
            _ok(at)
    assert not at.exception


def test_the_latch_stops_say_the_engines_numbers():
    x = parse_sequence(PRESETS["latch"].sequence).values
    tr = load_preset("latch").model.forward(x)
    write = " ".join(tour.say(2, {"trace": tr, "x": x}))
    assert f"i = {tr.i[6, 0]:.3f}" in write and f"c = f·c_(t-1) + i·g = {tr.c[6, 0]:+.2f}" in write
    forget = " ".join(tour.say(1, {"trace": tr, "x": x}))
    assert f"f = {tr.f[3, 0]:.3f}" in forget and f"{100 * tr.f[3, 0]:.0f}%" in forget
    seq = " ".join(tour.say(4, {"trace": tr, "x": x}))
    assert f"above 0.9 on {int(np.sum(tr.f[:, 0] > 0.9))} of them" in seq and "(steps 0, 6)" in seq


@pytest.mark.parametrize("n", [3, 5])
def test_a_link_to_a_stop_opens_it_fresh(n):
    stop = tour.STOPS[n]
    at = _app(stop.page.removeprefix("pages/").removesuffix(".py"), {"tour": str(n + 1)}, timeout=120)
    assert stop.title in _bar_text(at)
    if "step" in stop.state:
        assert _controls(at).step == stop.state["step"] and _controls(at).weights == "latch"


def test_leaving_keeps_the_view():
    at = _app()
    at.button(key="tour_start").click().run()
    at.button(key="tour_next").click().run()
    at.slider(key="step").set_value(9).run()                      # the visitor looks around at the stop
    at.button(key="tour_exit").click().run()
    _ok(at)
    assert "tour" not in at.query_params and "Guided tour" not in "\n".join(c.value for c in at.caption)
    c = _controls(at)
    assert c.weights == "latch" and c.step == 9                   # the view stays where it was


def test_a_bad_stop_number_is_just_no_tour():
    for raw in ("0", "99", "x"):
        at = _app(None, {"tour": raw})
        assert "Guided tour" not in "\n".join(c.value for c in at.caption) and not at.exception
