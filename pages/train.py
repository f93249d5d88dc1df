"""Train them yourself: an RNN, an LSTM (and a GRU) on a long-lag task, same budget, side by side."""
import streamlit as st

from lstm_viz import ui
from lstm_viz.figures import loss_curves
from lstm_viz.limits import MAX_TRAIN_SECONDS, MAX_TRAIN_STEPS
from lstm_viz.tasks import TASKS, chance_level
from lstm_viz.ui import queue
from lstm_viz.ui.papers import reproduce_panel

URL = "query-params"   # every control of this page lives in the link, as the sidebar's do

ui.controls()
st.title("Train them yourself")
ui.copy_link()
ui.refuse_bad_page_params({key: (lambda v: ui.int_param(v, 0, 10_000), "a whole number from 0 to 10000")
                           for key in ("train_seed", "papers_live_seed")})
st.markdown("Each model reads the whole sequence and answers from its last hidden state through a linear "
            "read-out, so whatever it needs from the start must survive to the end. Training is plain BPTT with "
            "Adam and gradient clipping, on fresh random sequences at every step.")

task = st.selectbox("Task", list(TASKS), format_func=lambda t: TASKS[t].description, key="train_task", bind=URL)
info, level = TASKS[task], chance_level(task)
mode = st.radio("Mode", ["Train at this length", "Lag sweep: train at several lengths"], key="train_mode", bind=URL,
                horizontal=True)
sweep = mode.startswith("Lag")
left, middle, right = st.columns(3)
length = left.slider("Sequence length T (the lag to bridge)", info.min_length, 200, info.default_length,
                     key="train_length", bind=URL, disabled=sweep)
labels = left.multiselect("Models", list(ui.TRAIN_MODELS), default=["RNN", "LSTM"], key="train_models", bind=URL,
                          help="'LSTM nfg' and the like are the variants of Greff et al. (2017): the same LSTM with "
                               "one part removed or changed (see the Take the cell apart page). Add several to rerun "
                               "their ablation on this task with the same budget.")
hidden = middle.slider("Hidden size", 2, 64, 16, key="train_hidden", bind=URL)
seed = middle.number_input("Seed", 0, 10_000, 0, key="train_seed", bind=URL)
steps = right.slider("Budget: Adam steps per model", 10, MAX_TRAIN_STEPS, 600, step=10, key="train_steps", bind=URL,
                     help="Seeded: the same steps give the same model on any machine; only the time differs.")
seconds = right.slider("Budget: seconds per model", 1, MAX_TRAIN_SECONDS, 30, key="train_seconds", bind=URL,
                       help="A cap on wall-clock time; training stops at whichever budget runs out first.")

if sweep:
    st.caption(f"The sweep trains every model at T = {', '.join(map(str, ui.SWEEP_LENGTHS))}, each run with the "
               f"budget above, {MAX_TRAIN_SECONDS} s at most in all. It compares the three cells; LSTM variants "
               "train at one length.")
go, stop, _ = st.columns([1, 1, 4])
plain = [label for label in labels if " " not in label]      # what a sweep can train: RNN, LSTM, GRU
go.button("Start training", type="primary", key="train_go", disabled=not (plain if sweep else labels),
          on_click=ui.request_training)
start = ui.training_requested()
stop.button("Stop", key="train_stop", help="Stops training; the runs so far are kept.")
status, chart = st.empty(), st.empty()

if not sweep:
    if start:   # at most k trainings at once per server: wait in the queue, or take a finished run from the cache
        with queue.training(status, task, length, labels, hidden, steps, seconds, seed) as progress:
            bar = status.progress(0.0, text="Training ...")
            for n, (done, text, runs) in enumerate(progress):
                bar.progress(done, text=text)
                chart.plotly_chart(loss_curves(runs, level.loss, level.loss_words), key=f"train_live_{n}")
        status.empty()
    last = ui.training_runs()
    if last is not None and last["runs"]:
        if last["status"] == "running":
            st.warning("Training was stopped; below are the runs up to that point.")
        chart.plotly_chart(loss_curves(last["runs"], level.loss, level.loss_words), key="train_losses")
        for label, run in last["runs"].items():
            st.markdown(ui.run_sentence(last, label))
            a, b = st.columns(2)
            a.button(f"Use this {label} on the other pages", key=f"train_use_{label}",
                     on_click=ui.use_run_model, args=(last, label))
            b.download_button(f"Download the {label} (.npz)", ui.run_npz(last, label), file_name=f"{label.lower()}_"
                              f"{last['task']}_T{last['length']}.npz", key=f"train_download_{label}")
else:
    if start:
        with queue.slot(status):   # a sweep is training too: it waits for a slot like any other run
            bar = status.progress(0.0, text="Sweeping ...")
            total = len(ui.SWEEP_LENGTHS) * len(plain)
            for n, _ in enumerate(ui.lag_sweep_points(task, ui.SWEEP_LENGTHS, labels, hidden, steps,
                                                      min(MAX_TRAIN_SECONDS, seconds * total), seed), start=1):
                bar.progress(n / total, text=f"{n} of {total} runs done")
                chart.plotly_chart(ui.sweep_figure(), key=f"train_sweep_live_{n}")
        status.empty()
    if ui.sweep_points() is not None:
        chart.plotly_chart(ui.sweep_figure(), key="train_sweep")
        st.markdown(ui.sweep_sentence())

st.subheader("What the classic papers reported")
st.markdown(
    "Hochreiter & Schmidhuber (1997) trained LSTM on the adding problem: with T = 100 it was solved after "
    "about 74,000 training sequences, while RTRL and BPTT never solved lags of 100. Our runs above report "
    f"their own count of training sequences (steps × {ui.TRAIN_BATCH} per batch) for comparison; the tasks follow the paper "
    "but are not identical to it.")
with st.expander("Skip training: the shipped trained models"):
    shipped = ui.trained_presets(task)
    if not shipped:
        st.markdown("No trained models for this task are shipped with this copy of the app.")
    for key, preset in shipped.items():
        st.markdown(f"**{preset.title}** — {preset.description}")
        st.button("Use it on the other pages", key=f"train_preset_{key}", on_click=ui.use_preset, args=(key,))


reproduce_panel()
