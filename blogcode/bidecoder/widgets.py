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


def _steps_of_row(result, row: int) -> int:
    """How many snapshots of ``result.trace`` show ``row`` changing: up to the first
    one where both directions' beams of that row have all finished (later ones repeat it)."""
    for t, snap in enumerate(result.trace):
        if all(np.asarray(snap[d]["finished"][row]).all() for d in ("l2r", "r2l")):
            return t + 1
    return len(result.trace)


def beam_explorer(result, decode, row: int = 0, title: str = "Bidirectional beam search, step by step",
                  rows=None, names=None) -> go.Figure:
    """Static explorer over a search run with ``record=True``: one slider step
    per decoding step, both directions' beams (path text and score).

    With ``rows`` (several inputs of the searched batch) the slider walks through
    each input's steps in turn, up to the step where that input's beams have all
    finished; the title then names the input (``names``, one per row, else its
    index) and the step labels are ``"<letter><step>"`` (A0, A1, ..., B0, ...)."""
    checks.instance_of(result, "result", BidirectionalResult)
    checks.function(decode, "decode")
    row = checks.integer(row, "row")
    checks.string(title, "title")
    if not result.trace:
        raise ValueError("result has no trace; run bidirectional_beam_search(..., record=True)")
    batch = result.trace[0]["l2r"]["tokens"].shape[0]
    several = rows is not None
    rows = [checks.integer(r, "rows[]") for r in checks.nonempty(rows, "rows")] if several else [row]
    if len(rows) > 26:
        raise ValueError(f"rows must name at most 26 inputs (one letter each), got {len(rows)}")
    for r in rows:
        if not 0 <= r < batch:
            raise ValueError(f"{'rows[]' if several else 'row'}={r} is outside the searched batch")
    names = [str(r) for r in rows] if names is None else checks.strings(names, "names")
    if len(names) != len(rows):
        raise ValueError(f"names must give one name per row, got {len(names)} for {len(rows)}")
    fig = make_subplots(rows=1, cols=2, subplot_titles=("L2R beam", "R2L beam (as generated)"),
                        horizontal_spacing=0.12)
    steps, titles, lowest = [], [], np.inf
    for i, r in enumerate(rows):
        shown = _steps_of_row(result, r) if several else len(result.trace)
        for t, snap in enumerate(result.trace[:shown]):
            one = {d: {key: value[r] for key, value in snap[d].items()} for d in ("l2r", "r2l")}
            steps.append((f"{chr(65 + i)}{t}" if several else f"{t}", beam_step_traces(one, decode)))
            titles.append(f"{title}<br><sup>input {chr(65 + i)}: '{names[i]}', {t} tokens generated</sup>")
            if t > 0:
                for d in ("l2r", "r2l"):
                    scores = np.asarray(snap[d]["scores"][r], dtype=float)
                    if np.isfinite(scores).any():
                        lowest = min(lowest, float(np.min(scores[np.isfinite(scores)])))
    lowest = -1.0 if not np.isfinite(lowest) else lowest
    label = "input and tokens generated" if several else "tokens generated"
    fig = stepped_figure(steps, slider_label=label, subplots=fig,
                         rows_cols=[[(1, 1), (1, 2)]],
                         layout=dict(title=titles[0] if several else title, height=430 if several else 400,
                                     margin=dict(l=70, r=20, t=105 if several else 80, b=50)))
    fig.layout.sliders[0].pad = dict(t=62, l=8, r=8)   # its current value below the axis titles
    for col in (1, 2):
        fig.update_xaxes(range=[min(lowest * 1.05, -0.5), 0], title_text="score (log p / length^α)", row=1, col=col)
        fig.update_yaxes(autorange="reversed", row=1, col=col)
    if several:   # each step also names its input in the title
        for step, text in zip(fig.layout.sliders[0].steps, titles):
            step.method, step.args = "update", [step.args[0], {"title.text": text}]
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
