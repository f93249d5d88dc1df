"""What a unit means: a character model trained on Python code, the text coloured by any of its units, units
found by what they follow, how far back each cell reads (connectivity), and what one changed character changes."""
import streamlit as st

from lstm_viz import words
from lstm_viz import ui
from lstm_viz.limits import MAX_STEPS
from lstm_viz.figures import connectivity_heatmap, counterfactual_heatmap, log_range
from lstm_viz.ui import textview
from lstm_viz.ui import units as U

URL = "query-params"
GATES = ["i", "f", "g", "o", "c", "h"]

ui.controls()                 # the shared sidebar (drawn once per run; its model does not apply here)
st.title("What a unit means")
ui.copy_link()
st.markdown(
    "An LSTM trained to guess the next character of Python code grew units that track what it needs: how many "
    "brackets are open, where the line is, how deep the indentation goes. Type some code, colour it by any unit, "
    "find the units that follow a feature, and change one character to see where the change lives on. This page "
    "always reads this model; the sidebar's model and sequence do not apply here.")
st.caption(U.description())
typed = st.text_area(f"Text the model reads (up to {MAX_STEPS} characters)", U.default_text(), key=U.TEXT_KEY, bind=URL,
                     height=150, on_change=U.forget_pick)
try:
    text = U.read(typed)
except ValueError as e:
    st.error(str(e))
    st.stop()
if unseen := words.unseen_sentence(text, U.vocabulary()):
    st.caption(unseen)

st.subheader("Find units")
find = st.selectbox("Rank the units by how well they follow", list(U.FIND), format_func=U.FIND.get, key=U.FIND_KEY,
                    bind=URL, on_change=U.forget_pick)
pattern = st.text_input("Regular expression (Python's re)", r"name", key=U.REGEX_KEY, bind=URL,
                        on_change=U.forget_pick) if find == "regex" else ""
span = st.text_input("Span: first and last character, counted from 0", "", key=U.SPAN_KEY, bind=URL,
                     placeholder="e.g. 10-24", on_change=U.forget_pick) if find == U.SPAN else ""
found = U.Found([], "", "", None)
if find == U.SPAN and not span.strip():
    st.info("Drag across the text below with a mouse (or press “select a span” and tap its first and last "
            "character), or type the span here.")
else:
    try:
        found = U.ranking(text, find, pattern, span)
        st.markdown(f"**{found.sentence}**")
    except ValueError as e:
        st.error(str(e))
textview.show(U.frame(text), pick=U.shown_pick(found.top), ranking=found.top, ranking_title=found.title,
              span=found.span, on_span=U.on_span, on_pick=U.on_pick)

st.subheader("How far back each cell reads: connectivity")
st.markdown(
    "How strongly the hidden state after character *t* depends on the input character *s*, the norm of "
    "dh_t/dx_s (Madsen, 2019). In the text view above, choose **connectivity** and hover a character. Below, every "
    f"pair at once, and the same text through a GRU and a plain RNN of the same sizes. **Only the LSTM is "
    f"trained**: the GRU and the RNN are untrained (random weights, seed {U.UNTRAINED_SEED}), so they show what "
    f"the cells do by construction, not what training taught them. Connectivity covers the **first "
    f"{U.CONNECTIVITY_STEPS} characters** only: its cost grows as the square of the length.")
measured = {kind: U.connectivity_of(text, kind) for kind in U.KINDS}
conn = {kind: m.values for kind, m in measured.items()}
st.markdown(words.connectivity_sentence({U.KINDS[k]: C for k, C in conn.items()}))
zrange = log_range(*conn.values())
for col, (kind, C) in zip(st.columns(3), conn.items()):
    with col:
        st.plotly_chart(connectivity_heatmap(C, U.TITLES[kind], zrange), key=f"units_conn_{kind}")
st.caption(words.cost_sentence({k: m.seconds for k, m in measured.items()}, len(next(iter(conn.values())))))

st.subheader("Change one character")
last = len(text) - 1
if int(st.session_state.get("units_cf_pos", 0)) > last:     # the text shrank under it
    st.session_state["units_cf_pos"] = last
left, right = st.columns(2)
position = left.number_input("Character number (from 0)", 0, last, min(15, last), key="units_cf_pos", bind=URL)
new = right.text_input(f"becomes (it is {words.char_words(text[int(position)])} now)", "(", max_chars=1,
                       key="units_cf_char", bind=URL)
quantity = st.segmented_control("Show the change in", GATES, default="c", key="units_cf_q", bind=URL,
                                format_func=lambda q: words.WORDS[q]) or "c"
try:
    cf = U.changed(text, int(position), new)
except ValueError as e:
    st.error(str(e))
    st.stop()
st.markdown(f"**{words.counterfactual_sentence(cf, quantity, text[int(position)], new)}**")
if cf.first is not None:
    st.plotly_chart(counterfactual_heatmap(cf.delta[quantity], cf.first, quantity), key="units_cf_figure")
    st.caption(f"Every unit (rows) from the changed character on (columns): the model on the changed text minus "
               f"the model on yours. The colour scale is symmetric around 0 and runs to the largest change.")
