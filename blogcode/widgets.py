"""Live widgets: one shape for every chapter.

Every chapter with an explorer builds it the same way, in its own
``blogcode.<chapter>.widgets`` module:

* a **pure view function** ``view(**settings) -> LiveView`` that computes the
  figure (plotly or matplotlib), a line of numbers and, where useful, the
  result object for one setting of the controls;
* a **static explorer** ``explorer(...) -> plotly Figure``: the same figure
  function evaluated at preset settings, stored as slider steps with
  :func:`blogcode.figures.stepped_figure`, so the slider works in the HTML page
  without a kernel;
* a **live widget** ``live_widget(...) -> LiveWidget``: ipywidgets controls
  that call the view function on every change (needs a running kernel).

Because both explorers draw through the same function, the static page and the
live notebook always show the same numbers. ``LiveWidget.update()`` is what the
controls call; tests call it directly and read ``figure``, ``text``,
``result`` and ``error``.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from blogcode import checks

__all__ = ["LiveView", "LiveWidget"]


@dataclass
class LiveView:
    """What a view function returns for one setting of the controls.

    ``figure`` is a plotly ``Figure``, a matplotlib ``Figure`` or ``None``;
    ``text`` is a short line of numbers (plain text, shown under the controls);
    ``result`` is whatever the figure was computed from (tests read it).
    """

    figure: Any = None
    text: str = ""
    result: Any = None


def _show(figure) -> None:
    """Display a plotly or matplotlib figure in the current output area."""
    import plotly.graph_objects as go

    if isinstance(figure, go.Figure):
        from blogcode.figures import show_figure

        show_figure(figure)
        return
    import matplotlib.pyplot as plt
    from IPython.display import display

    display(figure)
    plt.close(figure)


class LiveWidget:
    """ipywidgets controls over a pure view function.

    Args:
        view: ``view(**values) -> LiveView``, called with the current value of
            every control (by the control's name).
        controls: ``{name: ipywidgets control}``; each must have a ``value``.
        rows: the control names laid out per row (default: one row).
        errors: exception types that mean "no result for these settings":
            they are shown as a message under the controls instead of a
            traceback (``ValueError`` by default).

    Display it as the last expression of a cell (or with ``display``); read
    ``figure``, ``text``, ``result`` and ``error`` after ``update()``.
    """

    def __init__(self, view: Callable[..., LiveView], controls: dict, *,
                 rows: Sequence[Sequence[str]] | None = None, errors: tuple = (ValueError,)):
        import ipywidgets as w

        if not callable(view):
            raise TypeError(f"view must be a function returning a LiveView, got {type(view).__name__}")
        controls = checks.instance_of(controls, "controls", dict)
        checks.nonempty(controls, "controls")
        for name, control in controls.items():
            if not hasattr(control, "value") or not hasattr(control, "observe"):
                raise TypeError(f"controls[{name!r}] must be an ipywidgets control, got {type(control).__name__}")
        rows = [list(controls)] if rows is None else [list(r) for r in rows]
        laid_out = [name for row in rows for name in row]
        if sorted(laid_out) != sorted(controls):
            raise ValueError(f"rows must name every control once, got {laid_out} for {list(controls)}")
        if not isinstance(errors, tuple) or not all(isinstance(e, type) and issubclass(e, Exception)
                                                    for e in errors):
            raise TypeError("errors must be a tuple of exception types")
        self.view, self.controls, self.errors = view, controls, errors
        self.message = w.HTML()
        self.out = w.Output()
        self.widget = w.VBox([w.HBox([controls[n] for n in row]) for row in rows] + [self.message, self.out])
        self.figure = self.result = self.error = None
        self.text = ""
        for control in controls.values():
            control.observe(lambda _change: self.update(), names="value")
        self.update()

    @property
    def values(self) -> dict:
        """The current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def update(self) -> LiveView | None:
        """Recompute the view for the current values and redraw it."""
        try:
            shown = self.view(**self.values)
        except self.errors as err:
            self.figure = self.result = None
            self.text, self.error = "", str(err)
            self.message.value = f"<b>no result for these settings:</b> {html.escape(str(err))}"
            self.out.clear_output()
            return None
        if not isinstance(shown, LiveView):
            raise TypeError(f"view must return a LiveView, got {type(shown).__name__}")
        self.figure, self.text, self.result, self.error = shown.figure, shown.text, shown.result, None
        self.message.value = html.escape(shown.text)
        with self.out:
            self.out.clear_output(wait=True)
            if shown.figure is not None:
                _show(shown.figure)
        return shown

    def _repr_mimebundle_(self, **kwargs):
        # Shown as its ipywidgets box, so a LiveWidget can end a cell.
        return self.widget._repr_mimebundle_(**kwargs)
