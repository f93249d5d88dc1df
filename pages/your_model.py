"""Your own model: upload PyTorch or Keras weights and every page runs them on the shared sequence."""
import streamlit as st

from lstm_viz import ui
from lstm_viz.limits import MAX_HIDDEN_SIZE, MAX_INPUT_SIZE, MAX_LAYERS, MAX_UPLOAD_MB

c = ui.controls()
st.title("Your own model")
ui.copy_link()
st.markdown(
    f"Upload an `.npz` of weights from PyTorch (`nn.LSTM`, `nn.GRU`, `nn.RNN`, state_dict names) or Keras "
    f"(`LSTM`, `GRU` with reset_after, `SimpleRNN`: kernel, recurrent_kernel, bias), one layer or a stack. "
    f"Every page then runs it on the shared sequence. Limits: {MAX_UPLOAD_MB} MB, input size up to "
    f"{MAX_INPUT_SIZE}, hidden size up to {MAX_HIDDEN_SIZE}, up to {MAX_LAYERS} layers. The file is read as "
    "numbers only: nothing in it is ever run.")

st.file_uploader("Weights (.npz)", type=["npz"], key="upload_file", on_change=ui.on_upload)
st.radio("If the file holds a vanilla RNN, its activation", ["tanh", "relu"], key="upload_rnn_activation", bind="query-params",
         horizontal=True, on_change=ui.on_upload,
         help="nn.RNN(nonlinearity='relu') saves the same arrays as a tanh RNN: the file cannot say which it is. "
              "LSTM and GRU files ignore this.")
error, own = ui.upload_error(), ui.custom_model()
if error:   # one banner, whatever came before: what was refused, and what is in use now
    kept = f" The pages still use your model from before: {own['name']}." if own is not None else ""
    st.error(error + kept)
elif own is None:
    st.info("No model of your own yet: the pages use random weights or a preset. Upload a file, or train one on "
            "the training page and send it here.")
else:
    st.success(ui.custom_summary())
if own is not None:
    if error:
        st.markdown(ui.custom_summary())
    st.dataframe(ui.custom_layers_table(), hide_index=True)
    st.caption(ui.custom_fit_sentence(c))
    st.button("Forget my model", key="upload_forget", on_click=ui.forget_custom_model)

st.subheader("Exporting your weights")
torch_tab, keras_tab = st.tabs(["PyTorch", "Keras"])
torch_tab.code(
    "import numpy as np  # model.lstm is your nn.LSTM / nn.GRU / nn.RNN (batch_first or not)\n"
    'np.savez("w.npz", **{k: v.detach().cpu().numpy() for k, v in model.lstm.state_dict().items()})',
    language="python")
torch_tab.caption("Add a linear read-out as readout.weight / readout.bias, e.g. "
                  "`**{'readout.' + k: v.detach().numpy() for k, v in model.fc.state_dict().items()}`.")
keras_tab.code(
    "k, r, b = model.layers[0].get_weights()  # an LSTM, GRU or SimpleRNN layer\n"
    'np.savez("w.npz", kernel=k, recurrent_kernel=r, bias=b)', language="python")
keras_tab.caption("For a stack, prefix each layer's arrays with its name: `lstm_1/kernel`, `lstm_2/kernel`, ...")
