"""Unit tests of blogcode.rope.widgets: the omega explorers, the view and the live widget."""

from __future__ import annotations

import numpy as np
import pytest

from blogcode.rope import solver as R
from blogcode.rope import widgets as RW
from blogcode.widgets import LiveView, LiveWidget


def test_explorer_steps_and_explorer():
    steps = RW.omega_steps(3.0, 1.4, (0.0, 0.0), (0.6, 0.8), [0.0, 1.0])
    assert [round(om, 6) for om, _, _ in steps] == [0.0, 1.0]
    assert all(main.is_rope for _, main, _ in steps)
    assert all(others == [] for _, _, others in steps[1:])  # continued: one rope per step
    fig = RW.omega_explorer(steps, title="t", max_others=0)
    # shape, tension, numbers per step; one slider with one position per omega
    assert len(fig.data) == 3 * 2 and len(fig.layout.sliders[0].steps) == 2
    assert fig.data[0].visible and not fig.data[3].visible
    assert fig.layout.title.text == "t"
    free = RW.omega_steps(3.0, 1.0, (0.25, 0.0), None, [0.0, 4.0], n_scan=41)
    assert free[0][2] == [] and free[1][1].is_rope


def test_omega_steps_rejects_bad_arguments():
    with pytest.raises(ValueError, match="omegas"):
        RW.omega_steps(3.0, 1.4, (0.0, 0.0), (0.6, 0.8), [])
    with pytest.raises(TypeError, match=r"omegas\[\]"):
        RW.omega_steps(3.0, 1.4, (0.0, 0.0), (0.6, 0.8), ["1"])


def test_view_returns_the_figure_numbers_and_result():
    shown = RW.rope_view(2.0, 3.0, 1.4, 0.6, 0.8, False)
    assert isinstance(shown, LiveView)
    main, others = shown.result
    assert main.is_rope and (main.end == (0.6, 0.8))
    assert shown.figure.layout.title.text == "Rotating rope, ends (0.0, 0.0) and (0.6, 0.8)"
    assert shown.text.startswith("ω = 2, g = 3, length = 1.4")
    free = RW.rope_view(0.0, 3.0, 1.0, 0.6, 0.8, True, start=(0.25, 0.0))
    assert free.result[0].end is None and np.allclose(free.result[0].x, 0.25)


def test_live_widget_redraws_and_reports_impossible_settings():
    pytest.importorskip("ipywidgets")
    live = RW.live_widget()
    assert isinstance(live, LiveWidget)
    assert live.result[0].is_rope and live.figure is not None and live.error is None
    live.controls["free_end"].value = True
    assert live.result[0].end is None
    live.controls["free_end"].value = False
    live.controls["length"].value = 0.5  # shorter than the distance between the ends
    assert live.result is None and "must exceed the distance" in live.error
    assert isinstance(R.RopeSolveError("x"), RuntimeError)


def test_live_widget_draws_one_figure_per_slider_position():
    """A slider moved back in JupyterLab sends 0.6000000000000001 for 0.6: the same
    position must draw the same figure (tests/lab moves every slider and back)."""
    pytest.importorskip("ipywidgets")
    live = RW.live_widget()
    first = live.figure.to_plotly_json()
    live.controls["end_x"].value = 0.65
    live.controls["end_x"].value = 0.6000000000000001
    assert live.figure.to_plotly_json() == first


def test_explorer_curves_are_thinned_and_the_numbers_kept():
    """Every curve of the static explorer holds at most EXPLORER_POINTS samples, both ends
    kept, while the numbers of a step come from the full solution (so the chapter can offer
    many slider steps within the page budget)."""
    steps = RW.omega_steps(3.0, 1.4, (0.0, 0.0), (0.6, 0.8), [0.0, 2.0, 4.0])
    main = steps[1][1]
    assert len(main.x) > RW.EXPLORER_POINTS
    fig = RW.omega_explorer(steps, title="t", max_others=0, active=1)
    assert len(fig.layout.sliders[0].steps) == 3
    shape, tension, numbers = fig.data[3:6]
    assert len(shape.x) <= RW.EXPLORER_POINTS + 1 and len(tension.x) == len(shape.x)
    assert (shape.x[0], shape.y[-1]) == (main.x[0], main.y[-1]) and tension.y[-1] == main.tension[-1]
    assert f"max = {main.max_tension:.4g}" in numbers.text[0]
    assert set(zip(shape.x, shape.y)) <= set(zip(main.x, main.y))   # samples of the solution, not new points
    short = RW.thin_traces([fig.data[2]], points=5)[0]     # a text trace is left alone
    assert list(short.x) == [0.0]
    with pytest.raises(ValueError, match="points"):
        RW.thin_traces([], points=1)
