"""Tests of blogcode.ellipse.widgets: the static explorers, the views and the live widgets."""

from __future__ import annotations

import numpy as np
import pytest

from blogcode.ellipse.widgets import (glue_view, live_widget, pair_explorer, pair_live_widget, pair_view,
                                      ratio_explorer)
from blogcode.widgets import LiveView, LiveWidget


def test_widget_builders_run_headless():
    fig = ratio_explorer([0.4, 0.7, 1.0], n=41)
    assert len(fig.data) == 3 * 9 and len(fig.layout.sliders[0].steps) == 3
    assert fig.layout.title.text == "Identical sheets, a = 1<br><sup>move the slider over b/a</sup>"
    assert fig.layout.sliders[0].active == 1 and fig.layout.sliders[0].currentvalue.prefix == "b/a: "
    fig = pair_explorer((2.0, 1.0), [0.5, 3.0], n=41)
    texts = [tr.text[0] for tr in fig.data if tr.type == "scatter" and tr.mode == "text"]
    assert "does not glue" in texts[1] and "x(l)" in texts[0]
    assert "l = " in texts[1] and ";" not in texts[1] and all(len(line) <= 26 for line in texts[1].split("<br>"))
    assert fig.layout.sliders[0].active == 0
    pytest.importorskip("ipywidgets")
    live = live_widget(2.0, 1.0, n=41)
    assert isinstance(live, LiveWidget)
    assert "x(l) = 1.5697" in live.text
    live.controls["b"].value = 3.0  # a < b: no solid, the message says why
    assert live.result is None and "a=2.0 < b=3.0" in live.error
    pair = pair_live_widget(2.0, 1.0, 1.0, 1.0, n=41)
    assert pair.result.glues and pair.result.sheet2[0] == pytest.approx(pair.result.sheet2[1])


def test_views_draw_the_explorer_step_of_one_setting():
    shown = glue_view(2.0, 1.0, n=41)
    assert isinstance(shown, LiveView) and shown.result.glues
    assert len(shown.figure.data) == 9 and shown.figure.layout.title.text == "Identical sheets a = 2, b = 1"
    assert shown.text.startswith("l = 2.422112, x(l) = 1.569757")
    with pytest.raises(ValueError, match="a=1.0 < b=2.0"):
        glue_view(1.0, 2.0)
    pair = pair_view(1.0, 2.0, 1.0, 2.0, n=41)  # both bent along the short axis
    assert not pair.result.glues and "does not glue" in pair.text and pair.text.startswith("sheet 2 scaled to")


def test_explorers_reject_bad_arguments():
    with pytest.raises(ValueError, match="ratios"):
        ratio_explorer([])
    with pytest.raises(TypeError, match=r"ratios\[\]"):
        ratio_explorer(["0.5"])
    with pytest.raises(ValueError, match="ratios2"):
        pair_explorer((2.0, 1.0), [-1.0])
    with pytest.raises(TypeError, match="^n must"):
        ratio_explorer([0.5], n=4.5)
    pytest.importorskip("ipywidgets")
    with pytest.raises(ValueError, match="^n must"):
        live_widget(n=1)


def test_explorer_lines_are_rounded_and_the_rest_kept():
    """The surfaces and gapped 3D lines are stored with LINE_PLACES decimals, which keeps
    the 19-step explorer of the chapter light; shapes and gaps are unchanged."""
    from blogcode.ellipse.figures import step_traces
    from blogcode.ellipse.gluing import glue
    from blogcode.ellipse.widgets import LINE_PLACES, lean_traces

    res = glue(1.0, 0.5, n=41)
    raw, lean = step_traces(res), lean_traces(step_traces(res))
    gapped = [i for i, tr in enumerate(raw) if tr.type == "scatter3d"]
    assert gapped, "the solid has gapped lines"
    for i in gapped:
        for key in ("x", "y", "z"):
            before, after = raw[i][key], lean[i][key]
            assert [v is None for v in before] == [v is None for v in after]
            assert all(a == round(a, LINE_PLACES) and abs(a - b) <= 0.5 * 10 ** -LINE_PLACES
                       for a, b in zip(after, before) if a is not None)
    surfaces = [i for i, tr in enumerate(raw) if tr.type == "surface"]
    assert surfaces, "the solid has surfaces"
    for i in surfaces:
        for key in ("x", "y", "z"):
            before, after = np.asarray(raw[i][key], dtype=float), lean[i][key]
            assert isinstance(after, (list, tuple)) and np.asarray(after, dtype=float).shape == before.shape
            np.testing.assert_allclose(np.asarray(after, dtype=float), before, atol=0.5 * 10 ** -LINE_PLACES, rtol=0)
    fig = ratio_explorer([0.1 + 0.05 * i for i in range(19)], n=41)
    assert len(fig.layout.sliders[0].steps) == 19 and len(fig.data) == 19 * 9
    with pytest.raises(ValueError, match="places"):
        lean_traces(raw, places=0)
