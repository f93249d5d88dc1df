"""lstm-viz: watch every gate of a real LSTM. Entry point: page config, navigation, the shared sidebar.

Run with `streamlit run app.py`. The sidebar is drawn here, before the page runs, so its URL
parameters survive moving between pages (see lstm_viz/ui/links.py).
"""
import os
from pathlib import Path

# One BLAS thread: the engine's products are small, and a second thread makes them up to 4x slower
# (measured in benchmarks/bench_train.py); this must run before NumPy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import streamlit as st  # noqa: E402

from lstm_viz import ui  # noqa: E402
from lstm_viz.ui import cellview  # noqa: E402

HERE = Path(__file__).parent
PAGES = [  # file, title, icon; pages that are not in this checkout are left out, so the app runs either way
    ("pages/cell.py", "The cell step by step", ":material/memory:"),
    ("pages/gates.py", "Gates over time", ":material/grid_on:"),
    ("pages/gradients.py", "Vanishing gradients", ":material/trending_down:"),
    ("pages/train.py", "Train them yourself", ":material/model_training:"),
    ("pages/apart.py", "Take the cell apart", ":material/build:"),
    ("pages/units.py", "What a unit means", ":material/text_fields:"),
    ("pages/your_model.py", "Your own model", ":material/upload_file:"),
]
NEXT = {
    "pages/cell.py": "every number of one step, as equations, a table and a sentence",
    "pages/gates.py": "heatmaps of every gate over the whole sequence",
    "pages/gradients.py": "why a plain RNN forgets and an LSTM does not (or does)",
    "pages/train.py": "train an RNN and an LSTM on long-lag tasks, side by side",
    "pages/apart.py": "pin a gate or remove one, and see what the cell does without it",
    "pages/units.py": "a model trained on Python code: colour text by any unit, find the units that track brackets",
    "pages/your_model.py": "upload PyTorch or Keras weights and look inside",
}


def home() -> None:
    c = ui.controls()
    st.title("What an LSTM remembers, step by step")
    st.markdown(
        "An LSTM reads a sequence one step at a time and carries two memories: a **short-term memory**, "
        "the hidden state *h* it shows the next layer, and a **long-term memory**, the cell state *c* that runs "
        "along the top of the diagram. At every step three gates, each a number between 0 and 1 per unit, "
        "decide how much of the old memory to **forget** (box 1), how much of a new candidate to **store** "
        "(boxes 2 and 3), and how much of the memory to **output** (boxes 4 and 5). "
        "Everything below is computed live from real weights on the sequence in the sidebar.")
    st.button("Take the tour: eight stops, about five minutes", key="tour_start", type="primary",
              on_click=ui.tour.start, icon="🧭")
    cellview.show(cellview.payload(c), step=c.step, unit=c.unit, key="cellview_home", compact=True)
    st.caption(f"Unit {c.unit} of {c.model_hidden}. Press ▶ to run the sequence through the cell; the next page adds "
               "the equations with every number and a table of all units.")
    st.subheader("Where to go next")
    for file, blurb in NEXT.items():
        if file in nav_pages:
            page = nav_pages[file]
            st.page_link(page, label=page.title, icon=page.icon)   # the sidebar's URL goes along
            st.caption(blurb)   # on its own line: a long link label would run off a phone's screen


st.set_page_config(page_title="lstm-viz: inside an LSTM", page_icon="🧠", layout="wide")
nav_pages = {f: st.Page(f, title=t, icon=i) for f, t, i in PAGES if (HERE / f).exists()}
pg = st.navigation([st.Page(home, title="Home", icon=":material/home:", default=True), *nav_pages.values()])
ui.tour.apply()      # a tour stop sets controls, so before the sidebar draws them
ui.controls()
ui.tour.bar()
pg.run()
