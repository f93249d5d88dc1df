"""Vanishing gradients: one sequence through a vanilla RNN, an LSTM (and a GRU), gradients side by side."""
import streamlit as st

from lstm_viz import ui, words
from lstm_viz.figures import backward_animation, cell_split, gradient_norms
from lstm_viz.limits import MAX_STEPS
from lstm_viz.tables import forget_bias_table

URL = "query-params"
TRAINED, RANDOM = "trained on the adding problem", "random weights (the sidebar's settings)"

c = ui.controls()
st.title("Why the RNN forgets and the LSTM remembers")
ui.copy_link()
st.markdown(
    "The loss here reads only the last hidden state, so its gradient starts at the last step and is carried back "
    "one step at a time. A vanilla RNN multiplies it by its recurrent weights and tanh' at every step; an LSTM also "
    "has the cell line (long-term memory), where each step multiplies it only by the forget gate.")

# a visitor who chose a model of their own (or a preset) sees it beside random ones; everyone else sees the
# trained models, whose LSTM makes the page's point
compare = st.radio("Compare models", [TRAINED, RANDOM], index=int(c.weights != ui.RANDOM), key="grad_compare",
                   horizontal=True, bind=URL,
                   help="Trained: the shipped models, whose gates learned what to keep. Random: fresh models with "
                        "the sidebar's hidden size, seed, forget bias and weight scale, for what-ifs, and the "
                        "sidebar's own model or preset beside them.")
left, middle, right = st.columns(3)
if compare == TRAINED:
    length = left.slider("Length of the adding-problem sequence", 2, MAX_STEPS, 100, key="grad_length", bind=URL)
else:
    source = left.radio("Sequence", ["a random sequence", "the sidebar's sequence"], key="grad_source",
                        horizontal=True, bind=URL)
    length = left.slider("Length of the random sequence", 2, MAX_STEPS, 100, key="grad_length", bind=URL,
                         disabled=source != "a random sequence", help=f"At most {MAX_STEPS} steps.")
labels = middle.multiselect("Models", list(ui.MODELS), default=["RNN", "LSTM"], key="grad_models", bind=URL)
jacobian = middle.toggle("Full Jacobian ||dh_T/dh_t||", key="grad_jacobian", bind=URL,
                         help="Plot the largest singular value of dh_T/dh_t instead of ||dL/dh_t|| for one direction.")
clip_on = right.toggle("Clip the gradient norm", key="grad_clip", bind=URL)
clip = right.number_input("Clipping threshold (||dL/dh_T|| is 1)", 0.001, 1000.0, 0.5, key="grad_clip_value",
                          disabled=not clip_on, bind=URL)
clip_at = clip if clip_on else None

if compare == TRAINED:
    x, flows = ui.trained_flows(tuple(labels), length, c.seed, clip_at, jacobian)
    st.caption(f"The shipped RNN, LSTM and GRU trained on the adding problem (T = 50), reading one adding-problem "
               f"sequence of {length} steps (seed {c.seed}, the sidebar's).")
else:
    x = c.sequence.values if source == "the sidebar's sequence" else ui.probe_sequence(
        length, ui.chosen_model_input_size(c) or 1, c.seed)
    flows = ui.gradient_flows(tuple(labels), x, c.hidden_size, c.seed, c.forget_bias, c.weight_scale, clip_at,
                              jacobian)
    try:
        chosen = ui.chosen_model_flow(c, x, clip_at, jacobian)
    except ValueError as e:
        chosen = None
        st.info(f"The sidebar's model ({ui.chosen_model_name(c)}) is left out: {e}")
    if chosen is not None:
        flows = {**flows, chosen[0]: chosen[1]}
        st.caption(f"Also shown: {chosen[0]}, {ui.chosen_model_name(c)} (chosen in the sidebar).")
if not flows:
    st.warning("Choose at least one model to compare.")
    st.stop()

T = x.shape[0]
ui.keep_in_range("grad_k", 1, T - 1)                       # a shorter sequence than the k a link or the tour set
k = st.slider("Read the gradient this many steps back (k)", 1, T - 1, min(40, T - 1), key="grad_k",
              bind=URL) if T > 2 else T - 1
st.markdown(f"**How much gradient is left k steps back** ({'largest singular value of dh_T/dh_t' if jacobian else '||dL/dh_t||'}, log scale)")
st.plotly_chart(gradient_norms(flows, jacobian=jacobian, k=k), key="grad_norms")
st.markdown(words.retention_sentence(flows, k))
if "RNN" in flows:
    st.markdown(words.pascanu_sentence(flows["RNN"], k))
if clip_on:
    st.markdown(words.clip_sentence(flows))

st.subheader("The backward pass, step by step")
st.caption("Press play: the gradient leaves the last step and spreads back to the first. Bright is as large "
           "as at the end, dark is orders of magnitude smaller.")
st.plotly_chart(backward_animation(flows), key="grad_animation")

if "LSTM" in flows:
    st.subheader("Inside the LSTM: the cell line is not a free ride")
    st.markdown("**The cell-state gradient ||dL/dc_t||: what rode the cell line, what entered through h**")
    st.plotly_chart(cell_split(flows["LSTM"]), key="grad_cell_split")
    st.markdown(words.cell_path_sentence(flows["LSTM"], k))
    if compare == TRAINED:
        st.markdown(words.kept_open_sentence(flows["LSTM"], k))
    else:
        st.markdown(words.forget_sentence(c.forget_bias, flows["LSTM"], k))
    st.markdown(
        "A common simplification says the cell state lets the gradient flow back unchanged. The cell line has "
        "no weight matrix, true, but every step multiplies the gradient by the forget gate f. Compare random "
        "weights and set the forget bias in the sidebar to 0 or below: the LSTM's curve falls like the RNN's.")
    if compare == RANDOM:
        st.table(forget_bias_table(steps=k))

with st.expander("What the words on this page mean"):
    for term, meaning in words.TERMS.items():
        st.markdown(f"**{term}**: {meaning}")
