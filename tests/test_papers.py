"""The classic experiments (lstm_viz.papers, lstm_viz.anbn): the published rules checked by hand, the criteria
on hand-made cases, exact gradients of both objectives, short seeded trainings, the shipped a^n b^n preset,
the committed results (and README's copy of them), and the training page's "Reproduce the paper" panel."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest
from gradcheck import numgrad
from apptest_helpers import app, ok, text

from lstm_viz.anbn import (AnbnConfig, accepts, anbn_loss, anbn_run, anbn_strings, anbn_train, counter_unit,
                           generalises, sample_text)
from lstm_viz.papers import (GreffTask, HSConfig, compare, greff_run, greff_summary, hs_adding, hs_loss,
                             hs_run, hs_should_stop, hs_solved, hs_train, init_params, load_results)
from lstm_viz.presets import PRESETS, load_preset
from lstm_viz.sequences import parse_sequence
from lstm_viz.ui.papers import GREFF_LIVE, LIVE_KEY

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------------------------
# Hochreiter & Schmidhuber 1997, experiment 4


@pytest.mark.parametrize("T", [22, 100, 101])
def test_hs_adding_follows_the_published_rules(T):
    x, y, lengths, marks = hs_adding(3000, T, np.random.default_rng(T))
    assert x.shape == (lengths.max(), 3000, 2) and y.shape == lengths.shape == (3000,)
    assert lengths.min() == T and lengths.max() == T + T // 10          # T .. T + T/10, both ends drawn
    m1, m2 = marks
    assert set(m1) == set(range(10))                                      # one of the first ten pairs
    assert set(m2) == set(range(T // 2))                                  # one of the first T/2 - 1 others
    for b in range(3000):
        ell, seq = lengths[b], x[:lengths[b], b]
        assert not x[ell:, b].any()                                       # padding after the end is zero
        assert np.all(np.abs(seq[:, 0]) <= 1)
        marker = seq[:, 1]
        assert set(np.flatnonzero(marker == 1)) == {m1[b], m2[b]} and m1[b] != m2[b]
        assert set(np.flatnonzero(marker == -1)) == {0, ell - 1} - {m1[b], m2[b]}
        assert np.count_nonzero(marker) == 2 + len({0, ell - 1} - {m1[b], m2[b]})
        assert ell - 1 - max(m1[b], m2[b]) >= T - T // 2                  # the lag is at least T/2
        if m1[b] == 0:
            assert seq[0, 0] == 0.0                                       # X1 set to zero
        assert y[b] == pytest.approx(0.5 + (seq[m1[b], 0] + seq[m2[b], 0]) / 4)
    assert 0 <= y.min() and y.max() <= 1
    with pytest.raises(ValueError, match="T >= 22"):
        hs_adding(1, 21, np.random.default_rng(0))


def test_solved_and_stopping_rules_on_hand_made_errors():
    assert list(hs_solved([0.0, 0.039, -0.039, 0.04, -0.04, 0.5])) == [True, True, True, False, False, False]
    fine = np.full(2000, 0.03)
    assert hs_should_stop(fine)
    assert not hs_should_stop(fine[:1999])                                # fewer than 2,000 seen yet
    one_bad = fine.copy()
    one_bad[1234] = -0.041
    assert not hs_should_stop(one_bad)
    assert hs_should_stop(np.concatenate([np.full(500, 0.9), fine]))      # only the last 2,000 count
    assert not hs_should_stop(np.concatenate([fine, [0.05]]))             # the newest one breaks it


def _check_gradients(loss, params: dict, tol=1e-6):
    """Central differences on every entry of every parameter against loss()'s own gradients."""
    _, grads = loss()
    for name, p in params.items():
        num = numgrad(lambda: loss()[0], p)
        assert np.allclose(grads[name], num, atol=tol, rtol=1e-4), name


def _model(model, params):
    return model.with_parameters(**{k: params[k] for k in model.parameters()})


def test_hs_loss_reads_each_sequence_at_its_own_end_with_exact_gradients():
    rng = np.random.default_rng(3)
    model, params = init_params("lstm", 2, 3, 1, 1.0, rng)
    params["readout.bias"][:] = 0.3
    x, y, lengths, _ = hs_adding(5, 22, rng)
    assert len(set(lengths)) > 1                                          # the batch really is ragged

    def loss():
        loss, _, grads = hs_loss(_model(model, params), (params["readout.weight"], params["readout.bias"]),
                                 x, y, lengths)
        return loss, grads

    _check_gradients(loss, params)
    noisy = x.copy()
    for b, ell in enumerate(lengths):
        noisy[ell:, b] = rng.normal(size=noisy[ell:, b].shape)           # change only the padding
    readout = (params["readout.weight"], params["readout.bias"])
    assert hs_loss(_model(model, params), readout, noisy, y, lengths)[0] == loss()[0]


def test_hs_training_is_seeded_and_solves_a_short_lag():
    a, b = (hs_run(HSConfig(T=22, max_sequences=160)) for _ in range(2))
    assert a["tried"] == 160 and not a["solved"] and a["sequences"] is None
    assert {k: v for k, v in a.items() if k != "seconds"} == {k: v for k, v in b.items() if k != "seconds"}
    steps = list(hs_train(HSConfig(T=22, max_sequences=64)))
    assert [p.sequences for p in steps] == [16, 32, 48, 64] and steps[-1].reason == "sequences"
    solved = hs_run(HSConfig(T=22, seed=0, max_sequences=60_000))
    assert solved["solved"] and solved["sequences"] < 60_000 and solved["test_wrong"] < 2560 * 0.01


# ---------------------------------------------------------------------------------------------
# Greff et al. 2017


def test_greff_runs_are_seeded_and_summaries_compare_as_documented():
    spec = GreffTask("adding", 10, 5, 0.01)
    a, b = greff_run(spec, "cifg", 0, eval_every=5, test_size=50), greff_run(spec, "cifg", 0, eval_every=5,
                                                                            test_size=50)
    assert a["steps"] == 5 and a["error"] == b["error"] and a["variant"] == "cifg"
    runs = ([dict(task="adding", variant="peephole", seed=s, error=0.001, steps_to_target=100, seconds=1.0)
             for s in range(3)]
            + [dict(task="adding", variant="nfg", seed=s, error=0.1, steps_to_target=None, seconds=1.0)
               for s in range(3)]
            + [dict(task="adding", variant="cifg", seed=s, error=0.0012, steps_to_target=300, seconds=1.0)
               for s in range(3)]
            + [dict(task="adding", variant="lstm", seed=s, error=0.0009, steps_to_target=[90, 110, None][s],
                    seconds=1.0) for s in range(3)])
    summary = {r["variant"]: r for r in greff_summary(runs)}
    assert summary["nfg"]["rank"] == 4 and summary["lstm"]["rank"] == 1
    assert summary["nfg"]["median_steps"] is None and summary["nfg"]["reached"] == 0
    assert summary["lstm"]["median_steps"] == 100 and summary["lstm"]["reached"] == 2
    rows = list(summary.values())
    assert compare(rows, "nfg", "adding") == "worse"
    assert compare(rows, "cifg", "adding") == "slower"                 # same error, 3x the steps
    assert compare(rows, "lstm", "adding") == "same"


# ---------------------------------------------------------------------------------------------
# Gers & Schmidhuber 2001, a^n b^n


def test_anbn_strings_by_hand():
    x, y, mask = anbn_strings([2, 1])
    #                       S          a          a          b          b
    assert x[:, 0].tolist() == [[1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1]]
    # next may be:          {a}        {a, b}     {a, b}     {b}        {T}
    assert y[:, 0].tolist() == [[1, 0, 0], [1, 1, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1]]
    assert x[:3, 1].tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]       # S a b, then padding
    assert y[:3, 1].tolist() == [[1, 0, 0], [1, 1, 0], [0, 0, 1]]
    assert mask.T.tolist() == [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]
    assert sample_text(2) == "1 0 0; 0 1 0; 0 1 0; 0 0 1; 0 0 1"
    assert np.array_equal(parse_sequence(sample_text(7)).values, anbn_strings([7])[0][:, 0])
    with pytest.raises(ValueError):
        anbn_strings([0, 3])


class _Counter:
    """A stand-in network whose 'hidden state' is the right logits for every n up to `good`, and beyond it
    one wrong output (a missed T) at step `wrong_at` of the string (-1: the last real step)."""

    def __init__(self, good: int, wrong_at: int = -1):
        self.good, self.wrong_at = good, wrong_at

    def forward(self, x):
        ns = x[:, :, 1].sum(0).astype(int)                                 # (B,) the a's in each string
        y = anbn_strings(ns)[1]                                            # (L, B, 3)
        h = 2 * y - 1                                                      # logit > 0 exactly where right
        for b, n in enumerate(ns):
            if n > self.good:
                h[2 * n if self.wrong_at < 0 else self.wrong_at, b, 2] *= -1
        return type("Trace", (), {"h": h})


def test_acceptance_needs_every_prediction_right():
    eye = (np.eye(3), np.zeros(3))
    assert accepts(_Counter(5), eye, [1, 2, 5]).all()
    assert accepts(_Counter(5), eye, [4, 6, 5]).tolist() == [True, False, True]
    assert accepts(_Counter(0, wrong_at=0), eye, [3]).tolist() == [False]      # the first step counts too
    assert generalises(_Counter(37), eye, n_max=100, chunk=7) == 37
    assert generalises(_Counter(500), eye, n_max=60, chunk=25) == 60           # capped
    assert generalises(_Counter(0), eye, n_max=60) == 0


def test_anbn_loss_has_exact_per_step_gradients():
    rng = np.random.default_rng(5)
    model, params = init_params("peephole", 3, 2, 3, 1.0, rng)
    params["weight_peep"] += rng.normal(size=params["weight_peep"].shape)
    x, y, mask = anbn_strings([1, 3, 2])

    def loss():
        loss, _, grads = anbn_loss(_model(model, params), (params["readout.weight"], params["readout.bias"]),
                                   x, y, mask)
        return loss, grads

    _check_gradients(loss, params)


def test_anbn_training_is_seeded_and_learns():
    cfg = AnbnConfig(steps=100)
    a, b = list(anbn_train(cfg)), list(anbn_train(cfg))
    assert [p.loss for p in a] == [p.loss for p in b] and len(a) == 101
    assert a[-1].loss < 0.5 * a[0].loss
    result, model, readout = anbn_run(AnbnConfig(steps=5), n_max=20)
    assert result["seed"] == 0 and 0 <= result["generalises"] <= 20 and model.variant == "peephole"


# ---------------------------------------------------------------------------------------------
# the shipped preset, the committed results, the panel

PRESET_UNIT, PRESET_PER_A = 0, -1.00   # lstm_viz/presets/README.md: unit 0 falls by 1.00 per a


def test_anbn_preset_counts_and_accepts():
    p = PRESETS["anbn_peephole"]
    loaded = load_preset("anbn_peephole")
    model, readout = loaded.model, (loaded.readout_weight, loaded.readout_bias)
    assert model.variant == "peephole" and readout[0].shape == (3, p.hidden_size)
    assert accepts(model, readout, np.arange(1, 11)).all()               # the training range
    assert generalises(model, readout, 100) == 100
    n = 37                                                                 # a fresh string, past training
    c = model.forward(anbn_strings([n])[0][:, 0]).c[:, PRESET_UNIT]        # (2n+1,)
    up, down = np.diff(c[:n + 1]), np.diff(c[n:])                          # per a, per b
    assert np.all(np.sign(up) == np.sign(PRESET_PER_A)) and np.all(np.sign(down) == -np.sign(PRESET_PER_A))
    assert counter_unit(model, n)[0] == PRESET_UNIT
    assert np.median(up) == pytest.approx(PRESET_PER_A, abs=0.01)
    tr = model.forward(anbn_strings([12])[0][:, 0])                       # the README's numbers, n = 12
    assert tr.c[0, 0] == pytest.approx(-0.98, abs=0.005) and tr.c[12, 0] == pytest.approx(-12.95, abs=0.005)
    assert tr.c[23, 0] == pytest.approx(-1.62, abs=0.005) and tr.c[24, 0] == pytest.approx(0.97, abs=0.005)
    assert tr.f[24, 0] < 0.05 and tr.f[13:24, 0].min() > 0.85              # f shuts at the n-th b only
    assert accepts(model, readout, [2568, 2569]).tolist() == [True, False]
    shown = parse_sequence(p.sequence).values                              # the suggested sequence: S a^k b^k
    k = int(shown[:, 1].sum())
    assert np.array_equal(shown, anbn_strings([k])[0][:, 0]) and k > 10


def test_committed_results_and_the_readme_table_come_from_the_script():
    res = load_results()
    assert res is not None and not res["generated"]["quick"]
    fields = ("paper", "experiment", "measured", "paper_figure", "ours", "seeds", "seconds", "verdict")
    for row in res["rows"]:
        assert all(row[f] not in (None, "") for f in fields), row
    papers = {r["paper"] for r in res["rows"]}
    assert papers == {"Hochreiter & Schmidhuber 1997", "Greff et al. 2017", "Gers & Schmidhuber 2001"}
    assert any("74,000" in r["paper_figure"] for r in res["rows"])
    spec = importlib.util.spec_from_file_location("reproduce", ROOT / "scripts" / "reproduce_papers.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.markdown(res) in (ROOT / "README.md").read_text()


def test_panel_shows_the_table_and_a_live_run_completes():
    at = app("train", timeout=120)
    assert "Reproduce the paper" in [h.value for h in at.subheader]
    shown = text(at)
    for row in load_results()["rows"]:
        assert row["verdict"] in shown
    for variant in ("lstm", "peephole", "nig", "nfg", "nog", "niaf", "noaf", "cifg"):
        assert f"| {variant} |" in shown                                  # the eight-variant table
    at.get_by_key("papers_live_T").set_value(22)
    at.get_by_key("papers_live_go").click().run()
    ok(at)
    run = at.session_state[LIVE_KEY]
    assert run["kind"] == "adding" and run["reason"] == "solved" and run["T"] == 22
    assert f"after **{run['sequences']:,} training sequences**" in text(at)
    at.get_by_key("papers_live_choice").set_value(GREFF_LIVE).run()
    at.get_by_key("papers_live_variant").set_value("cifg")
    at.get_by_key("papers_live_go").click().run()
    ok(at)
    run = at.session_state[LIVE_KEY]
    assert run["variant"] == "cifg" and run["steps"] == 300
    assert "The **cifg** variant" in text(at)
