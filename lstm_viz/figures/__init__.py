"""Plotly figures of traces, gradient flow and training: data in, go.Figure out.

Layer: figures. Imports NumPy, plotly, words and tables (never streamlit); pages import the builders here.
    cellview  the payload of the browser cell view (ui/cellview draws it)
    gates     heatmaps of every gate over time, unit lines, gate saturation
    flow      gradient norms k steps back, the cell-path split, the backward pass animated
    train     loss curves against chance, the lag sweep
    apart     the cell taken apart: original and changed side by side
    textview  the payload of the browser text view (ui/textview draws it)
    units     connectivity heatmaps, what one changed character changes
    _plot     the private core they share: scales, palette, model colours, layout, play controls
"""
from ._plot import DIVERGING, MODEL_COLORS, OKABE_ITO, SEQUENTIAL, model_color
from .apart import apart_figure
from .flow import BACKWARD_FRAMES, backward_animation, cell_split, gradient_norms
from .gates import gate_heatmaps, saturation_figure, unit_lines
from .train import lag_sweep, loss_curves
from .units import connectivity_heatmap, counterfactual_heatmap, log_range

__all__ = ["DIVERGING", "SEQUENTIAL", "OKABE_ITO", "MODEL_COLORS", "model_color",
           "BACKWARD_FRAMES", "backward_animation", "cell_split", "gradient_norms", "gate_heatmaps",
           "saturation_figure", "unit_lines", "lag_sweep", "loss_curves", "apart_figure", "connectivity_heatmap",
           "counterfactual_heatmap", "log_range"]
