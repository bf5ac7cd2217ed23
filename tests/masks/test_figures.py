"""Tests of blogcode.masks.figures (the padding figure and the chapter's matplotlib figures)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from blogcode.masks.figures import (BIDIRECTIONAL_VARIANTS, article_example_figure,  # noqa: E402
                                    bidirectional_errors_figure, padding_figure, padding_layout, padding_traces)
from blogcode.masks.padding import padding_effects  # noqa: E402


def test_padding_figure_draws_padding_effects():
    fig = padding_figure([1, 0, 3, 4, 5], 8)
    assert fig.layout.title.text == "5 real values padded to 8"
    assert len(fig.data) == len(padding_traces([1, 0, 3, 4, 5], 8)) == 5
    assert tuple(fig.data[1].y) == (1.625, 5.0) and tuple(fig.data[2].y) == (2.6, 5.0)
    assert list(fig.data[0].marker.color).count("#bbbbbb") == 3   # grey = padding
    assert list(fig.data[4].y) == pytest.approx(list(padding_effects([1, 0, 3, 4, 5], 8)["masked_softmax"]))
    assert padding_layout("t")["yaxis3"]["range"] == [0, 1]
    with pytest.raises(TypeError, match="title"):
        padding_layout(None)
    with pytest.raises(ValueError, match="padded_length"):
        padding_figure([1, 2, 3], 2)


def test_article_example_figure():
    fig = article_example_figure([1, 0, 3, 4, 5], padded_length=8)
    try:
        ax_mean, ax_soft = fig.axes
        heights = [p.get_height() for p in ax_mean.patches]
        assert heights == pytest.approx([1.625, 2.6])
        soft = [p.get_height() for p in ax_soft.patches if p.get_width() == pytest.approx(0.4)]
        assert len(soft) == 16 and soft[8 + 5:] == [0.0, 0.0, 0.0]   # masked softmax: padding gets 0
        assert [t.get_text() for t in ax_soft.get_xticklabels()][1] == "1\n(0)"
    finally:
        plt.close(fig)
    with pytest.raises(TypeError, match="values"):
        article_example_figure(None, 8)


def test_bidirectional_errors_figure():
    errs = {"flip, no mask": 0.3, "keras Bidirectional + mask": 1e-7, "AlignedBidirectional": 0.0}
    fig = bidirectional_errors_figure({("LSTM", True): errs, ("GRU", False): errs})
    try:
        (ax,) = fig.axes
        assert ax.get_yscale() == "log"
        heights = [p.get_height() for p in ax.patches]
        assert heights == pytest.approx([0.3, 0.3, 1e-7, 1e-7, 1e-9, 1e-9])   # zero drawn at 1e-9
        assert [t.get_text() for t in ax.get_legend().get_texts()] == [v[2] for v in BIDIRECTIONAL_VARIANTS]
        assert [t.get_text() for t in ax.get_xticklabels()] == ["LSTM\nsequence", "GRU\nlast state"]
    finally:
        plt.close(fig)


@pytest.mark.parametrize("call, error, arg", [
    (lambda: bidirectional_errors_figure(None), TypeError, "results"),
    (lambda: bidirectional_errors_figure({}), ValueError, "results"),
    (lambda: bidirectional_errors_figure({"LSTM": {}}), TypeError, "results"),
    (lambda: bidirectional_errors_figure({("LSTM", True): {"flip, no mask": 1.0}}), ValueError, "results"),
    (lambda: bidirectional_errors_figure({("LSTM", True): {}}, tolerance=0), ValueError, "tolerance"),
    (lambda: padding_traces(np.array([1.0, np.nan]), 4), ValueError, "values"),
])
def test_bad_input_is_rejected(call, error, arg):
    try:
        with pytest.raises(error, match=arg):
            call()
    finally:
        plt.close("all")
