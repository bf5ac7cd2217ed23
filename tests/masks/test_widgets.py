"""Tests of blogcode.masks.widgets (the padding explorer)."""

import pytest


def test_padding_explorer_steps_match_padding_effects():
    from blogcode.masks.padding import padding_effects
    from blogcode.masks.widgets import padding_explorer

    fig = padding_explorer({"article": [1, 0, 3, 4, 5]}, max_length=8)
    labels = [s.label for s in fig.layout.sliders[0].steps]
    assert labels == [f"article, padded to {n}" for n in range(5, 9)]
    # The step for length 8 holds the article's numbers: naive mean 1.625, masked 2.6.
    n_traces = len(fig.data) // len(labels)
    naive, masked = fig.data[3 * n_traces + 1], fig.data[3 * n_traces + 2]
    assert tuple(naive.y) == (1.625, 5.0) and tuple(masked.y) == (2.6, 5.0)
    expected = padding_effects([1, 0, 3, 4, 5], 8)["masked_softmax"]
    assert list(fig.data[3 * n_traces + 4].y) == pytest.approx(list(expected))
    with pytest.raises(ValueError, match="max_length"):
        padding_explorer({"long": [1] * 5}, max_length=3)
    with pytest.raises(ValueError, match="presets"):
        padding_explorer({}, max_length=3)


def test_parse_sequence():
    from blogcode.masks.widgets import parse_sequence

    assert parse_sequence("1, 0,3 4;5") == [1, 0, 3, 4, 5]
    with pytest.raises(ValueError, match="no numbers"):
        parse_sequence(" , ")
    with pytest.raises(ValueError, match="numbers separated"):
        parse_sequence("1, two")
    with pytest.raises(TypeError, match="text"):
        parse_sequence(3)


def test_padding_live_widget_builds_and_reacts():
    from blogcode.masks.widgets import padding_live_widget

    box = padding_live_widget("1, 0, 3, 4, 5", padded_length=8)
    text, slider = box.children[0].children
    assert slider.value == 8
    text.value = "1, 2, 3, 4, 5, 6, 7, 8, 9, 10"   # longer than the padded length
    assert slider.value == 10                       # the widget pads to at least the length
