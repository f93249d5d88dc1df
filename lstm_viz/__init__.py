"""lstm-viz: a NumPy LSTM, GRU and vanilla RNN with full traces, exact BPTT and gradient-flow analysis."""
from .cells import CELLS, GRU, GRU_GATES, LSTM, LSTM_GATES, RNN, Grads, GRUTrace, LSTMTrace, RNNTrace
from .stack import Stack, StackGrads, StackTrace

__all__ = ["LSTM", "GRU", "RNN", "CELLS", "LSTM_GATES", "GRU_GATES", "Grads", "LSTMTrace", "GRUTrace",
           "RNNTrace", "Stack", "StackTrace", "StackGrads"]
