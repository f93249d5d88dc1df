"""Gates over time: heatmaps of every gate and state, chosen units as lines, saturation, downloads."""
import streamlit as st

from lstm_viz import ui
from lstm_viz.tables import HIGH, LOW, saturation_table
from lstm_viz.words import quantities
from lstm_viz.figures import gate_heatmaps, saturation_figure, unit_lines

c = ui.controls()
tr = ui.layer_trace(c)

st.title("Gates over time")
ui.copy_link()
st.markdown(f"Every unit (rows) at every step (columns) of **{ui.model_label(c)}** on the sequence in the sidebar. "
            "Hover for exact values.")
st.plotly_chart(gate_heatmaps(tr, c.labels, c.sequence.channels, c.text_mode), key="gate_heatmaps")

st.subheader("Chosen units over time")
left, right = st.columns(2)
units = left.multiselect("Units", list(range(c.model_hidden)), default=[c.unit], key="lines_units", bind="query-params",
                         max_selections=8)
shown = right.multiselect("Quantities", list(quantities(tr)), default=[q for q in ("f", "c", "h")
                                                                        if q in quantities(tr)],
                          key="lines_quantities", bind="query-params")
if units and shown:
    st.plotly_chart(unit_lines(tr, units, shown, c.labels, c.text_mode), key="unit_lines")
else:
    st.caption("Pick at least one unit and one quantity.")

table = saturation_table(tr)
if len(table):
    st.subheader("How often each gate is shut or wide open")
    st.markdown(f"Each bar is a unit: the share of steps its gate spent shut (below {LOW}), in between, and wide "
                f"open (above {HIGH}), as in Karpathy, Johnson and Fei-Fei (2015). A gate that acts like a switch has "
                "bars of only shut and open; random weights leave most gates in between, trained ones often not.")
    st.plotly_chart(saturation_figure(table), key="saturation")
    with st.expander("The numbers"):
        st.dataframe(table.style.format({table.columns[3]: "{:.0%}", table.columns[4]: "{:.0%}",
                                         table.columns[5]: "{:.0%}"}), key="saturation_table", hide_index=True)

st.subheader("Download")
a, b = st.columns(2)
a.download_button("Full trace as CSV (step, unit, quantity, value, input)", data=lambda: ui.trace_csv_bytes(c),
                  file_name="lstm_trace.csv", mime="text/csv", on_click="ignore", key="download_csv")
b.download_button("Model weights as .npz (PyTorch names)", data=lambda: ui.weights_bytes(c),
                  file_name="lstm_weights.npz", mime="application/octet-stream", on_click="ignore",
                  key="download_npz")
