"""Figure builders of the gradient and training pages, asserted on fig.data / fig.layout / fig.frames."""
import numpy as np
import pytest

from lstm_viz import GRU, LSTM, RNN, gradient_flow
from lstm_viz.figures import MODEL_COLORS
from lstm_viz.figures import flow as F
from lstm_viz.figures._plot import positive
from lstm_viz.train import RunLog
from lstm_viz.figures import train as FT


@pytest.fixture(scope="module")
def flows():
    x = np.random.default_rng(0).normal(size=(90, 1))
    return {"RNN": gradient_flow(RNN.random(1, 6, seed=0), x), "LSTM": gradient_flow(LSTM.random(1, 6, seed=0), x),
            "GRU": gradient_flow(GRU.random(1, 6, seed=0), x)}


def test_gradient_norms_one_line_per_model_on_log_axis(flows):
    fig = F.gradient_norms(flows)
    assert fig.layout.yaxis.type == "log"
    lines = [t for t in fig.data if t.line.dash is None]
    assert [t.name for t in lines] == ["RNN", "LSTM", "GRU"]
    for t in lines:
        np.testing.assert_allclose(np.array(t.y, dtype=float), flows[t.name].grad_h)
        assert t.line.color == MODEL_COLORS[t.name]
    bound = [t for t in fig.data if t.line.dash == "dash"]
    assert len(bound) == 1 and "σ_max" in bound[0].name                  # only the RNN has the bound
    b = np.array([np.nan if v is None else v for v in bound[0].y], dtype=float)
    shown = ~np.isnan(b)
    np.testing.assert_allclose(b[shown], flows["RNN"].pascanu_bound[shown])
    assert len(F.gradient_norms(flows, show_bound=False).data) == 3


def test_gradient_norms_jacobian_option(flows):
    fig = F.gradient_norms(flows, jacobian=True)
    np.testing.assert_allclose(np.array(fig.data[1].y, dtype=float), flows["LSTM"].jac_spec)
    assert "dh_T/dh_t" in fig.layout.yaxis.title.text


def test_exploding_bound_is_cut_where_it_leaves_the_view():
    x = np.random.default_rng(0).normal(size=200)
    flow = gradient_flow(RNN.random(1, 8, seed=0, weight_scale=4.0), x)
    assert flow.sigma_max > 2
    fig = F.gradient_norms({"RNN": flow})
    bound = fig.data[1].y
    assert bound[0] == 1.0 and bound[-1] is None
    assert max(v for v in bound if v is not None) <= max(flow.grad_h.max(), 1) * 1e3


def test_underflowed_gradients_become_gaps():
    assert positive(np.array([1.0, 0.0, 1e-300, np.inf])) == [1.0, None, 1e-300, None]


def test_cell_split(flows):
    fig = F.cell_split(flows["LSTM"])
    names = [t.name for t in fig.data]
    assert len(names) == 4 and "cell path" in names[1] and "through h" in names[2]
    np.testing.assert_allclose(np.array(fig.data[1].y, dtype=float), flows["LSTM"].cell_path)
    np.testing.assert_allclose(np.array(fig.data[3].y, dtype=float), flows["LSTM"].forget_product_mean)
    with pytest.raises(ValueError, match="only for an LSTM"):
        F.cell_split(flows["RNN"])


def test_backward_animation_frames(flows):
    fig = F.backward_animation(flows)
    T = 90
    assert len(fig.frames) == F.BACKWARD_FRAMES
    assert len(fig.layout.sliders[0].steps) == F.BACKWARD_FRAMES
    assert fig.layout.updatemenus[0].buttons[0].method == "animate"
    first = np.array(fig.frames[0].data[0].z, dtype=float)              # (models, T)
    last = np.array(fig.frames[-1].data[0].z, dtype=float)
    assert first.shape == (3, T)
    assert np.isnan(first[:, :-2]).all() and not np.isnan(first[:, -1]).any()   # only the end is lit
    assert not np.isnan(last).any()
    np.testing.assert_array_equal(np.array(fig.data[0].z, dtype=float), last)    # the still image is complete
    want = np.maximum(np.log10(flows["RNN"].grad_h / flows["RNN"].grad_h[0]), F.FLOOR)[::-1]
    np.testing.assert_allclose(last[0], want, atol=0.006)
    revealed = [int((~np.isnan(np.array(f.data[0].z, dtype=float)[0])).sum()) for f in fig.frames]
    assert revealed == sorted(revealed) and revealed[-1] == T
    # frames update z of trace 0 only; the colour scale and its bounds stay on the trace itself
    assert all(f.traces == (0,) and set(f.data[0].to_plotly_json()) == {"type", "z"} for f in fig.frames)
    assert fig.data[0].zmax == 0 and fig.data[0].zmin <= np.nanmin(last) and fig.data[0].colorbar.title.text


def test_backward_animation_short_sequence_has_a_frame_per_step():
    x = np.zeros(7)
    fig = F.backward_animation({"RNN": gradient_flow(RNN.random(1, 2), x)})
    assert len(fig.frames) == 7
    assert F._frame_ends(500, 60)[-1] == 499 and len(F._frame_ends(500, 60)) == 60


def test_loss_curves():
    steps = np.arange(100)
    curves = {"LSTM": RunLog(step=list(steps), loss=list(np.exp(-steps / 30)), test_step=[0, 50, 99],
                             test_loss=[1, 0.2, 0.05]),
              "RNN": RunLog(step=list(steps), loss=list(np.full(100, 0.17)))}
    fig = FT.loss_curves(curves, 1 / 6, "MSE of the mean", "MSE")
    assert [t.name.split()[0] for t in fig.data] == ["LSTM", "LSTM", "RNN"]
    assert fig.layout.shapes[0].y0 == pytest.approx(1 / 6)
    assert fig.layout.yaxis.type == "log"
    np.testing.assert_allclose(np.array(fig.data[0].y, dtype=float)[:20],
                               [np.exp(-steps[: i + 1] / 30).mean() for i in range(20)])


def test_smooth_is_a_trailing_mean():
    np.testing.assert_allclose(FT.smooth([1, 2, 3, 4, 5], 2), [1, 1.5, 2.5, 3.5, 4.5])
    assert FT.smooth([], 3).size == 0


def test_lag_sweep():
    res = {"RNN": [(50, 0.17), (10, 0.01)], "LSTM": [(10, 0.01), (50, 0.002)]}
    fig = FT.lag_sweep(res, 1 / 6, "MSE")
    assert list(fig.data[0].x) == [10, 50] and fig.layout.yaxis.type == "log"
    acc = FT.lag_sweep({"RNN": [(10, 0.9)]}, 0.25, "accuracy", higher_is_better=True)
    assert acc.layout.yaxis.type != "log" and tuple(acc.layout.yaxis.range) == (0, 1.05)
