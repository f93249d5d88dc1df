"""The cell, step by step: the diagram animated over the sequence, the equations, a table and a sentence."""
import streamlit as st

from lstm_viz import ui
from lstm_viz.figures import CELL_FRAMES, cell_diagram
from lstm_viz.tables import step_table
from lstm_viz.words import step_equations, step_sentence

c = ui.controls()
tr = ui.layer_trace(c)
label = c.labels[c.step]

st.title("The cell, step by step")
st.markdown(f"**{step_sentence(tr, c.step, c.unit, label)}**")

if c.kind != "lstm":
    st.info(f"The diagram draws an LSTM cell; the chosen weights are a {c.kind.upper()}, so this page shows its "
            "numbers as equations and a table, and Gates over time shows them across the sequence.")
    diagram, side = None, st.container()
else:
    diagram, side = st.columns([3, 2], gap="medium")

if diagram is not None:
    with diagram:
        st.plotly_chart(cell_diagram(tr, c.unit, c.step, c.labels if c.text_mode else None),
                        key="cell_diagram", config={"displayModeBar": False})
        note = (f" This sequence has {c.steps} steps, so the animation plays {CELL_FRAMES} of them, evenly spaced."
                if c.steps > CELL_FRAMES else "")
        st.caption("▶ Play and the slider under the diagram run in your browser; the sidebar's step sets the "
                   "numbers on the right. Colours: gates on a sequential scale from 0 to 1, everything signed on "
                   "a diverging scale with 0 white. The strip shows every unit at once; the orange box is unit "
                   f"{c.unit}.{note}")

with side:
    ui.step_buttons(c)
    st.subheader(f"Step {c.step}, unit {c.unit}")
    st.caption(f"Input x_{c.step} = {label} · {ui.model_label(c)}")
    for line in step_equations(tr, c.step, c.unit):
        st.latex(line)
    st.subheader("Every unit at this step")
    selected = "background-color: rgba(255,127,14,0.25)"   # the orange of the diagram's unit box
    st.dataframe(step_table(tr, c.step).style.format("{:.3f}").apply(
        lambda row: [selected if row.name == c.unit else "" for _ in row], axis=1), key="step_table")
