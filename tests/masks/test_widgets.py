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


def test_padding_view_is_padding_effects_of_the_typed_sequence():
    from blogcode.masks.padding import padding_effects
    from blogcode.masks.widgets import padding_view
    from blogcode.widgets import LiveView

    shown = padding_view("1, 0, 3, 4, 5", padded_length=8)
    assert isinstance(shown, LiveView)
    assert shown.result["masked_mean"] == pytest.approx(2.6) and shown.result["naive_mean"] == 1.625
    assert "padded to 8" in shown.text and "2.600" in shown.text
    assert list(shown.figure.data[4].y) == pytest.approx(list(padding_effects([1, 0, 3, 4, 5], 8)["masked_softmax"]))
    longer = padding_view("1, 2, 3", padded_length=2)   # shorter than the sequence: pads to its length
    assert longer.result["padded"].size == 3
    with pytest.raises(ValueError, match="numbers separated"):
        padding_view("1, two", 8)
    with pytest.raises(TypeError, match="padded_length"):
        padding_view("1, 2", 8.0)
    with pytest.raises(ValueError, match="padded_length"):
        padding_view("1, 2", 0)


def test_padding_live_widget_builds_and_reacts():
    pytest.importorskip("ipywidgets")
    from blogcode.masks.widgets import padding_live_widget
    from blogcode.widgets import LiveWidget

    live = padding_live_widget("1, 0, 3, 4, 5", padded_length=8)
    assert isinstance(live, LiveWidget)
    text, slider = live.controls["text"], live.controls["padded_length"]
    assert slider.value == 8 and live.result["masked_mean"] == pytest.approx(2.6)
    text.value = "1, 2, 3, 4, 5, 6, 7, 8, 9, 10"   # longer than the padded length
    assert live.result["padded"].size == 10        # the widget pads to at least the length
    assert live.figure.layout.title.text == "10 real values padded to 10"
    text.value = "1, two"
    assert live.result is None and "numbers separated" in live.error
    with pytest.raises(TypeError, match="text"):
        padding_live_widget(3)
    with pytest.raises(ValueError, match="padded_length"):
        padding_live_widget("1", padded_length=21)
