"""The training queue on a page: wait for a free slot with your place in line and a Cancel button.

Layer: ui (imports streamlit); the queue and the cache themselves are lstm_viz/jobs.py, pure Python.

    with queue.training(status, task, length, labels, hidden, steps, seconds, seed) as progress:
        for done, text, runs in progress:        # what ui.train_side_by_side yields
            ...
    with queue.slot(status):                     # any other training (the lag sweep): just the slot
        ...

At most k trainings run at once in this server process (k = LSTM_VIZ_TRAINING_SLOTS, default the cores);
a visitor past that sees "Waiting: you are number 2 in the queue" in `status` with a Cancel button until a
slot is free. The slot is given back when the block ends: the run finished, or Stop or Cancel was pressed or
any control changed (each reruns the page, and Streamlit ends the running script at its next message), or
the visitor left (Streamlit stops the script of a closed session the same way). A side-by-side run whose
recipe has finished before comes from the cache at once, without a slot; only runs that ended on their step
budget or target are kept, since those give the same numbers on any machine and a run cut off by its
seconds does not.
"""
from __future__ import annotations

from contextlib import contextmanager

import streamlit as st

from .. import jobs
from .. import train as _train
from .training import RUNS_KEY, kind_and_variant, train_side_by_side

POLL = 0.5          # seconds between updates of the waiting line; each update is where a Cancel takes effect


def _wait(ticket: jobs.Ticket, status) -> None:
    """Show the place in the queue, updated, with a Cancel button, until the ticket holds a slot."""
    if ticket.wait(timeout=0):
        return
    box = status.container()
    line = box.empty()
    box.button("Cancel", key="train_cancel", help="Leave the queue; nothing is trained.")
    slots = jobs.shared_slots()
    while not ticket.wait(timeout=POLL):
        place = ticket.position
        if place < 0:                # cancelled from elsewhere: end this run quietly
            st.stop()
        # Redrawn even when unchanged: sending a message is where Streamlit stops a script whose
        # visitor pressed Cancel or Stop or left, and that is what gives the place back.
        line.info(f"Waiting: you are number {place} in the queue. {slots.running} training"
                  f"{'s are' if slots.running != 1 else ' is'} running, at most {slots.k} at once on this "
                  "server, so that pages stay quick for everyone.", icon=":material/hourglass_top:")
    status.empty()


@contextmanager
def slot(status):
    """Hold one of the process's training slots for the block, waiting in the queue (shown in `status`)."""
    with jobs.shared_slots().request() as ticket:
        _wait(ticket, status)
        yield ticket


def _recipes(task: str, length: int, labels, hidden: int, steps: int, seconds: float, seed: int) -> tuple:
    """One frozen TrainConfig per model, exactly what ui.train_side_by_side trains."""
    return tuple(_train.recipe(task, length=int(length), kind=kind, hidden_size=int(hidden), max_steps=int(steps),
                               max_seconds=float(seconds), seed=int(seed),
                               **({"variant": variant} if kind == "lstm" else {}))
                 for kind, variant in map(kind_and_variant, labels))


def _from_cache(task: str, length: int, runs: dict):
    """What train_side_by_side yields, for runs that have finished before; stored where the page reads it."""
    st.session_state[RUNS_KEY] = {"task": task, "length": length, "runs": dict(runs), "status": "done"}
    st.toast("From the cache: this exact run (same settings and seed) finished before, so here it is at once.",
             icon=":material/bolt:")
    yield 1.0, "From the cache", runs


def _keep(recipes: tuple, progress):
    """Pass progress through; at the end, cache the runs if each one ended on its steps or its target."""
    runs = None
    try:
        for item in progress:
            runs = item[2]
            yield item
    finally:
        progress.close()         # on Stop too: the training's child process ends now, not at some later GC
    finals = [log.final for log in (runs or {}).values()]       # label -> train.RunLog
    # every model of the recipe, each finished on its budget: a Stop between two models leaves the later ones out
    if runs and len(runs) == len(recipes) and all(f is not None and f.reason in ("steps", "target") for f in finals):
        jobs.shared_cache().put(recipes, runs)


@contextmanager
def training(status, task: str, length: int, labels, hidden: int, steps: int, seconds: float, seed: int):
    """ui.train_side_by_side's progress, from the cache at once or after waiting for a slot (see the module)."""
    recipes = _recipes(task, length, labels, hidden, steps, seconds, seed)
    cached, ticket = jobs.ask(recipes)
    if cached is not None:
        yield _from_cache(task, length, cached)
        return
    with ticket:
        _wait(ticket, status)
        cached = jobs.shared_cache().get(recipes)   # someone may have finished the same run while we waited
        if cached is not None:
            ticket.release()
            yield _from_cache(task, length, cached)
            return
        progress = _keep(recipes, train_side_by_side(task, length, labels, hidden, steps, seconds, seed))
        try:
            yield progress
        finally:
            # The page holds `progress` in a module-level name that lives until its script's module is
            # collected; closing it here ends the training (and its child process) when the block ends.
            progress.close()
