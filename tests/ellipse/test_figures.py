"""Tests of blogcode.ellipse.figures: the matplotlib figures and the plotly solid."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from blogcode.ellipse import figures as F  # noqa: E402
from blogcode.ellipse.gluing import gluability_map, glue, glue_pair  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_numbers_text_for_a_solid_and_a_failing_pair():
    assert F.numbers_text(glue(2.0, 1.0)) == "l = 2.422112, x(l) = 1.569757, V = 3.167464, min c = 0"
    failing = F.numbers_text(glue_pair((1.0, 2.0), (1.0, 2.0), n=41))
    assert failing.startswith("l = ") and "does not glue: min c = -" in failing


def test_matplotlib_figures_draw_their_panels():
    res = glue(2.0, 1.0, n=41)
    arc = F.arc_figure(2.0, 1.0)
    assert len(arc.axes) == 2 and arc.axes[0].get_title() == "Arc length from (a, 0) on the ellipse a = 2, b = 1"
    assert len(F.edge_and_flat_figure(res).axes) == 4  # 3D, two flat sheets, colour bar
    crit = F.criterion_figure((1.0, 0.5))
    assert len(crit.axes[0].get_lines()) == 3  # two shapes and the zero line
    assert F.turning_figure((2.0, 1.0)).axes[0].get_title() == "c ≥ 0 exactly when θ1(s) ≥ ψ2(s)"
    solid = F.solid_figure(res)
    assert len(solid.axes) == 2 and "x(l) = 1.569757" in solid._suptitle.get_text()
    empty = F.solid_figure(glue_pair((1.0, 2.0), (1.0, 2.0), n=21), title="t")
    assert empty.axes[0].texts[0].get_text() == "does not glue"
    conv = F.convergence_figure([1e-2, 1e-3], {"l": [-3e-2, -1e-2]}, {"l": 1e-16})
    assert conv.axes[0].get_xscale() == "log" and len(conv.axes[0].get_lines()) == 2
    q = np.array([0.5, 1.0, 2.0])
    min_c, _, reason = gluability_map(q, n=101)
    assert len(F.map_figure(q, min_c, reason).axes) == 2  # the map and its colour bar


def test_plotly_solid_and_glue_figure():
    res = glue(2.0, 1.0, n=41)
    traces = F.solid_traces(res)
    assert len(traces) == 7 and traces[4].name == "glued edge"
    # four edge branches separated by gaps
    assert sum(v is None for v in traces[4].x) == 4
    fig = F.solid_plotly(res)
    assert fig.layout.title.text.startswith("Glued solid, sheets (2.0, 1.0) and (2.0, 1.0)")
    assert fig.layout.scene.aspectmode == "data"
    step = F.step_traces(res, first=False)
    assert len(step) == 9 and not step[0].showlegend and step[-1].mode == "text"
    one = F.glue_figure(res)
    assert len(one.data) == 9 and one.layout.title.text == "Sheets (2, 1) and (2, 1)"
    # Slider values such as 2.0000000000000004 are titled as the reader set them.
    odd = F.glue_figure(glue_pair((2.0000000000000004, 1.0), (2.0, 1.0), n=21))
    assert odd.layout.title.text == "Sheets (2, 1) and (2, 1)"
    assert one.layout.xaxis.title.text == "s / l" and one.layout.yaxis.title.text == "c(s)"
    failing = F.solid_traces(glue_pair((1.0, 2.0), (1.0, 2.0), n=21))
    assert len(failing) == 7 and list(failing[0].x[0]) == [0.0, 0.0]  # a degenerate point, no NaN
    assert len(F.STEP_PLACES) == 9 and F.solid_scene("x")["xaxis_title"] == "x"
