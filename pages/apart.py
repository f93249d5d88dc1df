"""Take the cell apart: pin a gate, or switch to a variant of Greff et al. (2017), and see what changes."""
import streamlit as st

from lstm_viz import ui, words
from lstm_viz.figures import apart_figure
from lstm_viz.ui.apart import GATES, VARIANTS, Change

URL = "query-params"
VARIANT, PIN = "switch to a variant of the cell", "pin gates to a value"
DESCRIBE = dict(VARIANTS)

c = ui.controls()
ui.keep_in_range("apart_from", 0, max(c.steps - 1, 1))      # the sequence may have shrunk (or grown) under them
ui.keep_in_range("apart_k", 1, c.steps - 1)
st.title("Take the cell apart")
ui.copy_link()
st.markdown(
    "What if a gate weren't there? Pin a gate to a value, or switch the same weights to one of the LSTM variants "
    "that Greff et al. (2017) compared, and see the cell state, the hidden state and the gradient reaching back, "
    "before and after, on the sidebar's sequence.")
if c.kind != "lstm":
    st.info(f"Only an LSTM can be taken apart here; the sidebar's model is a {c.kind.upper()}. Choose random "
            "weights or an LSTM preset in the sidebar.")
    st.stop()

mode = st.radio("What to change", [PIN, VARIANT], key="apart_mode", horizontal=True, bind=URL)
if mode == VARIANT:
    variant = st.selectbox("Variant", [name for name, _ in VARIANTS[1:]], key="apart_variant", bind=URL,
                           format_func=lambda v: f"{v}: {DESCRIBE[v]}")
    change = Change(variant=variant, seed=c.seed)
    if variant == "peephole" and ui.layer_model(c).variant != "peephole":
        st.caption(f"These weights have no peepholes, so the peephole weights are drawn at random (seed {c.seed}, "
                   "PyTorch's initial range).")
else:
    pins = {}
    for col, gate in zip(st.columns(4), GATES):
        lo = -1.0 if gate == "g" else 0.0
        on = col.toggle(f"pin {gate}", value=gate == "f", key=f"apart_pin_{gate}", bind=URL)
        value = col.slider(f"{gate} =", lo, 1.0, 1.0 if gate == "f" else 0.0, 0.05, key=f"apart_value_{gate}",
                           bind=URL, disabled=not on)
        if on:
            pins[gate] = float(value)
    left, right = st.columns(2)
    start = left.slider("From step", 0, max(c.steps - 1, 1), 0, key="apart_from", bind=URL,
                        disabled=c.steps < 2) if c.steps > 1 else 0
    one = right.toggle(f"Only in unit {c.unit} (the sidebar's unit)", key="apart_one_unit", bind=URL)
    change = Change(clamp=pins, from_step=start, unit=c.unit if one else None)

cmp = ui.take_apart(c, change)
k = st.slider("Read the gradient this many steps back (k)", 1, c.steps - 1, min(20, c.steps - 1), key="apart_k",
              bind=URL) if c.steps > 2 else max(c.steps - 1, 0)
st.markdown(f"**{words.apart_sentence(cmp, c.unit, k)}**")
st.plotly_chart(apart_figure(cmp, c.unit), key="apart_figure")
st.caption(f"Unit {c.unit} (choose another in the sidebar); dashed: the cell as it was, solid: changed. The "
           "gradient is ||dL/dh_t|| for the loss the gradient page uses, drawn at the step it reaches.")
with st.expander("The variants, as Greff et al. (2017) named them"):
    for name, what in VARIANTS:
        st.markdown(f"**{name}**: {what}")
