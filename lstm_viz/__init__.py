"""lstm-viz: a NumPy LSTM, GRU and vanilla RNN with full traces, exact BPTT and gradient-flow analysis."""
from .cells import (CELLS, GRU, GRU_GATES, LSTM, LSTM_GATES, LSTM_VARIANTS, RNN, RNN_NONLINEARITIES, VARIANT_NAMES,
                    Grads, GRUTrace, LSTMTrace, RNNTrace, StepGrads)
from .flow import Flow, gradient_flow
from .influence import Counterfactual, connectivity, counterfactual
from .stack import Stack, StackGrads, StackTrace
from .weights import Loaded, load_weights, read_weights, save_model

__all__ = ["LSTM", "GRU", "RNN", "CELLS", "LSTM_GATES", "GRU_GATES", "LSTM_VARIANTS", "VARIANT_NAMES",
           "RNN_NONLINEARITIES", "Grads", "StepGrads", "LSTMTrace", "GRUTrace",
           "RNNTrace", "Stack", "StackTrace", "StackGrads", "Flow", "gradient_flow", "Loaded", "load_weights",
           "read_weights", "save_model", "connectivity", "counterfactual", "Counterfactual"]
