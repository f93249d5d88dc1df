"""The training page's "Reproduce the paper" panel: the committed table of classic results, the paper's number
beside ours, and one short row a student can rerun here, seeded, within the page's time budget.

Layer: ui (imports streamlit). The experiments are lstm_viz.papers and lstm_viz.anbn; the table is the file
scripts/reproduce_papers.py wrote (lstm_viz/papers_results.json). Nothing here computes a result.
"""
from __future__ import annotations

import streamlit as st

from .. import jobs, papers
from ..cells import LSTM_VARIANTS
from ..limits import MAX_TRAIN_SECONDS
from . import queue

LIVE_KEY = "papers_live"          # session key: the last live run, a dict (see _run_adding, greff_run)
START_KEY = "papers_live_start"   # session key: "Run it here" was pressed (read once)
HS_LIVE = "The adding problem exactly as Hochreiter & Schmidhuber (1997) published it, at a short length"
GREFF_LIVE = "One LSTM variant of Greff et al. (2017) on the adding problem"
GREFF_LIVE_TASK = papers.GreffTask("adding", 50, 300, 0.01)
HS_LIVE_SEQUENCES = 100_000       # give up after this many training sequences (about a minute)
VARIANT_WORDS = dict(LSTM_VARIANTS)


@st.cache_data(max_entries=1, ttl=3600)
def committed() -> dict | None:
    """The committed results file (None if this copy has none)."""
    return papers.load_results()


def reproduce_panel() -> None:
    """The whole panel: what the papers found, what we found, and a live run."""
    st.subheader("Reproduce the paper")
    st.markdown(
        "Three classic LSTM experiments, rerun with this app's engine. For each: what the paper measured, "
        "the number the paper printed, the number we got, and whether they agree. The papers' own setups "
        "differ from ours in ways each row names (they trained one sequence at a time; we use Adam on small "
        "batches), so the question is whether the *direction* of each finding holds, and how big the gap is.")
    results = committed()
    if results is None:
        st.info("This copy of the app has no committed results; run `python scripts/reproduce_papers.py`.")
    else:
        _table(results)
    _live()


def _table(results: dict) -> None:
    for r in results["rows"]:
        with st.container(border=True):
            st.markdown(f"**{r['paper']}**: {r['experiment']}  \n"
                        f"*Measured:* {r['measured']}.  \n"
                        f"*The paper:* {r['paper_figure']}.  \n"
                        f"*Here:* {r['ours']} (seeds {r['seeds']}, {r['seconds'] / 60:.1f} min of "
                        f"computing).  \n*Verdict:* {r['verdict']}")
    with st.expander("Greff et al.'s eight variants, one by one, on our two tasks"):
        st.markdown(variant_table(results))
    g = results["generated"]
    st.caption(f"Measured by `{g['command']}` on {g['date']}: {g['machine']}; {g['seconds'] / 60:.0f} min in "
               "all. Every run is seeded, so the same command prints the same numbers again (on another machine float32 "
               "sums may differ in the last digits); only "
               "the times differ. The papers' figures are quoted from the papers, except where a row says "
               "otherwise.")


def variant_table(results: dict) -> str:
    """Every variant's median score over the committed seeds, as a Markdown table, with what it removes."""
    summary = results["greff"]["summary"]
    score = {(r["task"], r["variant"]): r for r in summary}
    lines = ["| variant | what it changes | adding: MSE | temporal order: accuracy |", "|---|---|---:|---:|"]
    for v in dict.fromkeys(r["variant"] for r in summary):
        add, order = score.get(("adding", v)), score.get(("temporal_order", v))
        lines.append(f"| {v} | {VARIANT_WORDS[v]} | {add['median_error']:.2g} | "
                     f"{100 * (1 - order['median_error']):.0f}% |" if add and order else f"| {v} | | | |")
    return ("Median over the seeds of the final test score after the same number of Adam steps; 'peephole' "
            "is the paper's vanilla LSTM. Guessing scores MSE 0.167 on adding and 25% on temporal order.\n\n"
            + "\n".join(lines))


def _live() -> None:
    st.markdown("**Run one row yourself.** A short version that fits this page's time budget "
                f"({MAX_TRAIN_SECONDS} s); the committed table above used the full budgets.")
    choice = st.radio("Experiment", [HS_LIVE, GREFF_LIVE], key="papers_live_choice", bind="query-params")
    left, right = st.columns(2)
    seed = left.number_input("Seed", 0, 10_000, 0, key="papers_live_seed", bind="query-params")
    if choice == HS_LIVE:
        T = right.slider("Length T (the paper: 100)", 22, 60, 30, key="papers_live_T", bind="query-params",
                         help="The lag to bridge is at least T/2 steps; longer takes longer.")
        st.button("Run it here", key="papers_live_go", type="primary", on_click=_request)
        if st.session_state.pop(START_KEY, False):
            st.session_state[LIVE_KEY] = _run_adding(int(T), int(seed))
    else:
        variant = right.selectbox("Variant", [v for v, _ in LSTM_VARIANTS], key="papers_live_variant", bind="query-params",
                                  format_func=lambda v: f"{v}: {VARIANT_WORDS[v]}")
        st.button("Run it here", key="papers_live_go", type="primary", on_click=_request)
        if st.session_state.pop(START_KEY, False):
            # like every training, it waits for a slot and runs in a child process (see ui/queue.py)
            with queue.slot(st.empty()), st.spinner(f"Training the {variant} variant for "
                                                    f"{GREFF_LIVE_TASK.max_steps} steps ..."):
                *_, st.session_state[LIVE_KEY] = jobs.elsewhere(papers.greff_job, GREFF_LIVE_TASK, variant, int(seed))
    last = st.session_state.get(LIVE_KEY)
    if last is not None:
        st.markdown(live_sentence(last, committed()))


def _request() -> None:
    """on_click of "Run it here": a flag read once, so the click survives a rerun of the page."""
    st.session_state[START_KEY] = True


def _run_adding(T: int, seed: int) -> dict:
    """Train on the published adding problem with a progress bar; the result as plain numbers."""
    cfg = papers.HSConfig(T=T, seed=seed, max_sequences=HS_LIVE_SEQUENCES, max_seconds=MAX_TRAIN_SECONDS)
    with queue.slot(st.empty()):      # like every training: a slot, and a child process (see ui/queue.py)
        bar = st.progress(0.0, text="Training ...")
        shown = -1.0
        for p in jobs.elsewhere(papers.hs_train, cfg):
            if p.done or p.seconds - shown >= 1.0:
                shown = p.seconds
                bar.progress(min(1.0, max(p.solved_share, p.seconds / MAX_TRAIN_SECONDS)),
                             text=f"{p.sequences:,} training sequences; {100 * p.solved_share:.0f}% of the last "
                                  f"2,000 solved")
        bar.empty()
    wrong, mse = papers.hs_test(p.model, p.readout, T)
    return dict(kind="adding", T=T, seed=seed, reason=p.reason, sequences=p.sequences, seconds=p.seconds,
                test_wrong=wrong, test_mse=mse)


def live_sentence(run: dict, results: dict | None) -> str:
    """The live run's result in words, beside what the paper and the committed runs say."""
    if run.get("kind") == "adding":
        paper = f"{papers.HS_PAPER[100]:,}"
        if run["reason"] != "solved":
            why = "the time budget ran out" if run["reason"] == "seconds" else "it reached the sequence cap"
            return (f"Not solved at T = {run['T']} (seed {run['seed']}): {why} after {run['sequences']:,} "
                    f"training sequences. The paper needed about {paper} at T = 100.")
        return (f"Solved at T = {run['T']} (seed {run['seed']}) after **{run['sequences']:,} training "
                f"sequences** in {run['seconds']:.0f} s: the last 2,000 were all within 0.04 of their "
                f"target. On 2,560 fresh test sequences {run['test_wrong']} were off by 0.04 or more. The "
                f"paper needed about {paper} sequences at T = 100, where the lag is longer.")
    name, task = run["variant"], GREFF_LIVE_TASK
    text = (f"The **{name}** variant on the app's adding problem (the later form of Le et al. 2015: values "
            f"in [0, 1], the plain sum as target; T = {task.length}, seed {run['seed']}): test MSE "
            f"{run['error']:.3g} after {run['steps']} steps (always guessing the mean scores 0.167)"
            + (f", first below {task.target} at step {run['steps_to_target']}." if run["steps_to_target"]
               else f", never below {task.target} in this budget."))
    summary = (results or {}).get("greff", {}).get("summary", [])
    rows = {r["variant"]: r for r in summary if r["task"] == "adding"}
    if name in rows and papers.GREFF_REFERENCE in rows:
        me, ref = rows[name], rows[papers.GREFF_REFERENCE]
        text += (f" In the committed runs ({rows[name]['seeds']} seeds, longer budget) its median MSE was "
                 f"{me['median_error']:.2g}, against {ref['median_error']:.2g} for the peephole LSTM, "
                 "Greff's vanilla.")
    return text
