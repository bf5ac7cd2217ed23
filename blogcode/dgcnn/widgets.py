"""Explorers of "DGCNN, a convolutional reading-comprehension model" (article 6906, book/dgcnn.md).

The error analysis: for each dev question, the start and end probabilities over the
passage that gave the answer (:func:`blogcode.dgcnn.figures.error_traces`). The static
``error_explorer`` precomputes one slider step per question; ``error_live_widget``
draws any dev question picked in a dropdown (needs a kernel) through ``error_view``.
"""

from __future__ import annotations

import plotly.graph_objects as go

from blogcode import checks
from blogcode.dgcnn.figures import error_traces
from blogcode.figures import stepped_figure
from blogcode.widgets import LiveView, LiveWidget

__all__ = ["error_explorer", "error_view", "error_live_widget"]

TITLE = "Start/end probabilities of DGCNN on a dev passage (EMA weights of this run)"


def error_explorer(ids, details: dict, predictions: dict, references: dict, questions: dict,
                   title: str = TITLE) -> go.Figure:
    """Static explorer: one slider step per dev question of ``ids``, each the four
    traces of :func:`~blogcode.dgcnn.figures.error_traces`."""
    ids = checks.nonempty(ids, "ids")
    checks.string(title, "title")
    steps = [(f"{k + 1}", error_traces(rid, details, predictions, references, questions))
             for k, rid in enumerate(ids)]
    return stepped_figure(steps, slider_label="dev question", layout=dict(
        title=title, barmode="group", height=460, xaxis_title="character position in the passage",
        yaxis_title="probability", legend=dict(orientation="h", y=1.22)))


def error_view(rid, details: dict, predictions: dict, references: dict, questions: dict) -> LiveView:
    """One dev question's probabilities as a figure, with its prediction as text."""
    fig = go.Figure(error_traces(rid, details, predictions, references, questions))
    fig.update_layout(barmode="group", height=460, title=f"dev question {rid}")
    text = f"reference: {references[rid][0]}; predicted: {predictions[rid] or '(nothing)'}"
    return LiveView(fig, text, rid)


def error_live_widget(details: dict, predictions: dict, references: dict, questions: dict) -> LiveWidget:
    """Live version (needs a kernel): pick any dev question of ``references``."""
    import ipywidgets as w

    checks.instance_of(references, "references", dict)
    checks.nonempty(references, "references")

    def view(rid):
        return error_view(rid, details, predictions, references, questions)

    return LiveWidget(view, {"rid": w.Dropdown(options=list(references), description="question")})
