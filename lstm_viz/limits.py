"""Limits a public demo enforces, stated once. The UI shows them and the entry points it uses check them.

Layer: engine. Imports nothing.
"""

MAX_STEPS = 500          # sequence length T
MAX_INPUT_SIZE = 64      # input dimension D (text mode: distinct characters)
MAX_HIDDEN_SIZE = 128    # hidden size H
MAX_LAYERS = 4           # stacked layers in an uploaded model
MAX_UPLOAD_MB = 5        # uploaded .npz files (also server.maxUploadSize in .streamlit/config.toml)
MAX_TRAIN_STEPS = 3000   # Adam steps per training run
MAX_TRAIN_SECONDS = 60   # wall-clock budget per training run
MAX_ABS_INPUT = 1e6      # input values beyond this are refused (the engine is exact up to here)


def check(steps: int | None = None, input_size: int | None = None, hidden_size: int | None = None,
          layers: int | None = None) -> None:
    """Raise ValueError with one sentence if a size is past the demo's limits."""
    for value, limit, what in ((steps, MAX_STEPS, "sequence length"), (input_size, MAX_INPUT_SIZE, "input size"),
                               (hidden_size, MAX_HIDDEN_SIZE, "hidden size"), (layers, MAX_LAYERS, "number of layers")):
        if value is not None and not 1 <= value <= limit:
            raise ValueError(f"The {what} is {value}; this app accepts 1 to {limit}.")
