"""The cell, step by step: one view that plays the sequence through the cell in the browser, with the
equations, a plain sentence and every unit of the step it shows, all on the same step."""
import streamlit as st

from lstm_viz import ui
from lstm_viz.ui import cellview

c = ui.controls()
data = cellview.payload(c)

st.title("The cell, step by step")
ui.copy_link()
cellview.show(data, step=c.step, unit=c.unit)
st.caption("The view runs in your browser: ▶ plays every step, the slider scrubs, ← and → step from anywhere on "
           "the page, and Home, End and space work once you click the view. Hover over (or tap) any box, line or "
           "number to see what it is. Click a column of the table to follow that unit. The sidebar's Step and Unit "
           "catch up when you pause or settle, and moving them moves the view. Colours: gates on a sequential "
           "scale from 0 to 1, everything signed on a diverging scale with 0 white.")
cellview.download_button(data, c)
