"""Vanishing gradients: one sequence through a vanilla RNN, an LSTM (and a GRU), gradients side by side."""
import streamlit as st

from lstm_viz import ui, words
from lstm_viz.figures import backward_animation, cell_split, gradient_norms
from lstm_viz.limits import MAX_STEPS
from lstm_viz.tables import forget_bias_table

c = ui.controls()
st.title("Why the RNN forgets and the LSTM remembers")
st.markdown(
    "The loss here reads only the last hidden state, so its gradient starts at the last step and is "
    "carried back one step at a time. A vanilla RNN multiplies it by its recurrent weights and tanh' at every "
    "step; an LSTM also has the cell line (long-term memory), where each step multiplies it only by the "
    "forget gate. All models share the sidebar's hidden size, seed, forget bias and weight scale.")

left, middle, right = st.columns(3)
source = left.radio("Sequence", ["a random sequence", "the sidebar's sequence"], key="grad_source",
                    horizontal=True)
length = left.slider("Length of the random sequence", 2, MAX_STEPS, 100, key="grad_length",
                     disabled=source != "a random sequence", help=f"At most {MAX_STEPS} steps.")
labels = middle.multiselect("Models", list(ui.MODELS), default=["RNN", "LSTM"], key="grad_models")
jacobian = middle.toggle("Full Jacobian ||dh_T/dh_t||", key="grad_jacobian",
                         help="Plot the largest singular value of dh_T/dh_t instead of ||dL/dh_t|| for one direction.")
clip_on = right.toggle("Clip the gradient norm", key="grad_clip")
clip = right.number_input("Clipping threshold (||dL/dh_T|| is 1)", 0.001, 1000.0, 0.5, key="grad_clip_value",
                        disabled=not clip_on)

clip_at = clip if clip_on else None
x = c.sequence.values if source == "the sidebar's sequence" else ui.probe_sequence(
    length, ui.chosen_model_input_size(c) or 1, c.seed)
flows = ui.gradient_flows(tuple(labels), x, c.hidden_size, c.seed, c.forget_bias, c.weight_scale, clip_at, jacobian)
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
k = st.slider("Read the gradient this many steps back", 1, T - 1, min(40, T - 1), key="grad_k") if T > 2 else T - 1
st.plotly_chart(gradient_norms(flows, jacobian=jacobian), key="grad_norms")
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
    st.plotly_chart(cell_split(flows["LSTM"]), key="grad_cell_split")
    st.markdown(words.cell_path_sentence(flows["LSTM"], k))
    st.markdown(words.forget_sentence(c.forget_bias, flows["LSTM"]))
    st.markdown(
        "A common simplification says the cell state lets the gradient flow back unchanged. The cell line has "
        "no weight matrix, true, but every step multiplies the gradient by the forget gate f. Set the forget "
        "bias in the sidebar to 0 or below and watch the LSTM's curve fall like the RNN's.")
    st.table(forget_bias_table())
