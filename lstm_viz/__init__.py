"""lstm-viz: a NumPy LSTM, GRU and vanilla RNN with full traces, exact BPTT and gradient-flow analysis."""
from .cells import CELLS, GRU, GRU_GATES, LSTM, LSTM_GATES, RNN, Grads, GRUTrace, LSTMTrace, RNNTrace
from .flow import Flow, gradient_flow
from .influence import Counterfactual, connectivity, counterfactual
from .stack import Stack, StackGrads, StackTrace
from .weights import Loaded, load_weights, read_weights, save_model

__all__ = ["LSTM", "GRU", "RNN", "CELLS", "LSTM_GATES", "GRU_GATES", "Grads", "LSTMTrace", "GRUTrace",
           "RNNTrace", "Stack", "StackTrace", "StackGrads", "Flow", "gradient_flow", "Loaded", "load_weights",
           "read_weights", "save_model", "connectivity", "counterfactual", "Counterfactual"]
