"""Explorers of "seq2seq with bidirectional decoding" (article 6877, book/bidecoder.md).

The beam explorer replays a search recorded with
``bidirectional_beam_search(..., record=True)``: a static plotly figure with one
precomputed slider step per decoding step (``beam_explorer``), and a live widget
that decodes any input you pick (``beam_live_widget``), both drawn by
:func:`blogcode.bidecoder.figures.beam_step_traces`; ``beam_view`` is the live
widget's view of one (input, step) setting.
"""

from __future__ import annotations


import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from blogcode import checks
from blogcode.bidecoder.bidirectional import BidirectionalResult
from blogcode.bidecoder.figures import beam_step_traces
from blogcode.figures import stepped_figure
from blogcode.widgets import LiveView, LiveWidget

__all__ = ["beam_explorer", "beam_view", "beam_live_widget"]


def _check_recorded(result) -> BidirectionalResult:
    checks.instance_of(result, "result", BidirectionalResult)
    if not result.trace:
        raise ValueError("result has no trace; run bidirectional_beam_search(..., record=True)")
    return result


def beam_explorer(result, decode, row: int = 0, title: str = "Bidirectional beam search, step by step") -> go.Figure:
    """Static explorer over a search run with ``record=True``: one slider step
    per decoding step, both directions' beams (path text and score)."""
    checks.instance_of(result, "result", BidirectionalResult)
    checks.function(decode, "decode")
    row = checks.integer(row, "row")
    checks.string(title, "title")
    if not result.trace:
        raise ValueError("result has no trace; run bidirectional_beam_search(..., record=True)")
    if not 0 <= row < result.trace[0]["l2r"]["tokens"].shape[0]:
        raise ValueError(f"row={row} is outside the searched batch")
    fig = make_subplots(rows=1, cols=2, subplot_titles=("L2R beam", "R2L beam (written right to left)"),
                        horizontal_spacing=0.12)
    steps = []
    for t, snap in enumerate(result.trace):
        one = {d: {key: value[row] for key, value in snap[d].items()} for d in ("l2r", "r2l")}
        steps.append((f"{t}", beam_step_traces(one, decode)))
    lowest = min(np.nanmin(np.where(np.isfinite(s[d]["scores"][row]), s[d]["scores"][row], np.nan))
                 for s in result.trace[1:] for d in ("l2r", "r2l")) if len(result.trace) > 1 else -1.0
    fig = stepped_figure(steps, slider_label="tokens generated", subplots=fig,
                         rows_cols=[[(1, 1), (1, 2)]],
                         layout=dict(title=title, height=360, margin=dict(l=70, r=20, t=80, b=40)))
    for col in (1, 2):
        fig.update_xaxes(range=[min(lowest * 1.05, -0.5), 0], title_text="score (log p / length^α)", row=1, col=col)
        fig.update_yaxes(autorange="reversed", row=1, col=col)
    return fig


def beam_view(result, decode, step: int = 0, title: str = "") -> LiveView:
    """Both directions' beams (path text and score) of input 0 of a recorded
    search after ``step`` tokens (the last step if the search ended sooner)."""
    _check_recorded(result)
    checks.function(decode, "decode")
    step = checks.integer(step, "step", minimum=0)
    checks.string(title, "title")
    shown = min(step, len(result.trace) - 1)
    snap = result.trace[shown]
    one = {d: {key: value[0] for key, value in snap[d].items()} for d in ("l2r", "r2l")}
    fig = make_subplots(rows=1, cols=2, subplot_titles=("L2R beam", "R2L beam"))
    for col, trace in enumerate(beam_step_traces(one, decode), start=1):
        fig.add_trace(trace, row=1, col=col)
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=340, title=title or f"step {shown}")
    text = (f"step {shown} of {len(result.trace) - 1}; output: {decode(result.best[0])} "
            f"(from the {result.best_direction[0].upper()} beam)")
    return LiveView(fig, text, result)


def beam_live_widget(search, sources: dict, decode, max_step: int = 12) -> LiveWidget:
    """Live version (needs a kernel): pick an input, move through the steps.
    ``search(source)`` runs ``bidirectional_beam_search(..., record=True)``
    on one input; each input is searched once."""
    import ipywidgets as w

    checks.function(search, "search")
    checks.instance_of(sources, "sources", dict, "a dict name -> source")
    checks.nonempty(sources, "sources")
    checks.function(decode, "decode")
    max_step = checks.positive_int(max_step, "max_step")
    cache = {}

    def view(input, step):
        if input not in cache:
            cache[input] = search(sources[input])
        return beam_view(cache[input], decode, step, title=f"{input}: step {step}")

    controls = {"input": w.Dropdown(options=list(sources), description="input"),
                "step": w.IntSlider(value=0, min=0, max=max_step, description="step")}
    return LiveWidget(view, controls)
