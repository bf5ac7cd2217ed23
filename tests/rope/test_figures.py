"""Unit tests of blogcode.rope.figures: the plotly figure of a solution and the chapter's figures."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from blogcode.rope import experiments as RE, figures as RF, solver as R  # noqa: E402


def test_rope_figure_and_png_image():
    free = RF.rope_figure(0.0, 3.0, 1.0, (0.25, 0.0))
    assert np.allclose(free.data[0].x, 0.25)  # no rotation: hangs straight down
    assert free.layout.title.text == "Rotating rope, free end"
    # shape, tension, 4 others (padded) and the numbers
    assert len(free.data) == 2 + 4 + 1 and "tension constant λ" in free.data[-1].text[0]
    fixed = RF.rope_figure(2.0, 3.0, 1.4, (0, 0), (0.6, 0.8), max_others=0)
    assert fixed.layout.title.text == "Rotating rope, ends (0, 0) and (0.6, 0.8)" and len(fixed.data) == 3
    fig_mpl = plt.figure()
    img = RF.png_image(fig_mpl)
    assert img.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert not plt.fignum_exists(fig_mpl.number)  # closed


def test_rope_traces_pad_the_others_and_the_ranges_cover_every_rope():
    main, others = R.shown_equilibria(4.0, 3.0, 1.0, (0.0, 0.0), None, n_scan=41)
    assert len(others) == 2  # the vertical rope and the mirror image
    traces = RF.rope_traces(main, others, max_others=3)
    assert len(traces) == 2 + 3 + 1 and len(traces[4].x) == 0  # the third other is padding
    assert len(RF.rope_traces(main, others, max_others=1)) == 2 + 1 + 1
    xr, yr, tr = RF.axis_ranges([main, *others])
    assert xr[0] < min(r.x.min() for r in others) and xr[1] > main.x.max() and tr[0] == 0.0
    assert RF.trace_places(2) == [(1, 1), (1, 2), (1, 1), (1, 1), (2, 1)]
    lines = RF.numbers_lines(main, others)
    assert lines[-1] == "other equilibria found: 2 rope(s), 0 arch(es)"


def test_the_chapters_matplotlib_figures_draw():
    pub = {C1: R.published_rope(2.0, 3.0, C1) for C1 in (0, 1)}
    cor = {C1: R.published_rope(2.0, 3.0, C1, corrected=True) for C1 in (0, 1)}
    art = R.published_rope(1.0, 0.0, 0.5 * 0.5**2, T=1.2, corrected=True, start=(0.5, 0.5))
    w_crit = R.critical_speeds_hanging_chain(3.0, 1.0, 2)
    bif = RE.bifurcation_scan(3.0, 1.0, [0.5 * w_crit[0], 2.0 * w_crit[0]], n_scan=41)
    cases = [("catenary", R.rope_equilibria(0.0, 3.0, 1.5, (0, 0), (1, 0), modes=(1,)))]
    fam = RE.speed_family([1.0, 2.0], 3.0, 1.4, (0.0, 0.0), (0.6, 0.8))
    skips = RE.skipping_scan([2.0, 8.0], 9.81, 5.0, 3.5, modes=(1,))
    figs = [RF.schematic_figure(), RF.troposkien_figure(art, lengths=(1.1, 2.0)), RF.published_figure(pub, cor),
            RF.residuals_figure(pub, cor), RF.bifurcation_figure(bif, w_crit), RF.search_figure(cases),
            RF.family_figure(fam),
            RF.skipping_figure([2.0, 8.0], skips, R.catenary(5.0, 3.5), R.troposkien(5.0, 3.5), 3.5)]
    panels = [2, 1, 2, 1, 2, 1, 2, 3]
    for fig, n in zip(figs, panels):
        assert len(fig.axes) == n
    assert figs[4].axes[0].get_title() == "Equilibria of a rope tied on the axis (g = 3, L = 1)"
    assert figs[6].axes[0].get_title() == "Fixed length 1.4, g = 3"
    assert figs[7].axes[0].get_title() == "Long rope, 5 m, hands 3.5 m apart"
    # the family: the hanging chain and two speeds, plus the limit and the ends
    assert len(figs[6].axes[0].lines) == 3 + 1 + 1 + 1
    for fig in figs:
        assert RF.png_image(fig).data[:4] == b"\x89PNG"


def test_rope_figure_rejects_bad_arguments():
    with pytest.raises(TypeError, match="omega"):
        RF.rope_figure("fast", 3.0, 1.0, (0.25, 0.0))
    with pytest.raises(ValueError, match="length"):
        RF.rope_figure(1.0, 3.0, 0.5, (0, 0), (1, 0))
