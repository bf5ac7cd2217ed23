"""Unit tests of blogcode.bidecoder.widgets (chapter: seq2seq with bidirectional decoding):
the static explorer and the live widget build on a recorded search, and bad input is
rejected by name."""

import pytest

from blogcode.bidecoder.bidirectional import bidirectional_beam_search
from blogcode.bidecoder.widgets import beam_explorer, beam_live_widget, beam_view
from blogcode.widgets import LiveView, LiveWidget
from tests.bidecoder.toys import VOCAB, letters, preferring_pair_step, recorded_search

@pytest.fixture(scope="module")
def recorded():
    return recorded_search()


def test_explorer_has_a_slider_step_per_decoding_step(recorded):
    figure = beam_explorer(recorded, letters, row=1)
    assert len(figure.layout.sliders[0].steps) == len(recorded.trace)
    assert figure.layout.title.text == "Bidirectional beam search, step by step"


def test_view_and_live_widget_show_the_beams_of_a_step():
    one = bidirectional_beam_search(preferring_pair_step, 1, 2, 6, VOCAB, record=True)
    shown = beam_view(one, letters, 1, title="x")
    assert isinstance(shown, LiveView) and shown.result is one
    assert len(shown.figure.data) == 2 and shown.figure.layout.title.text == "x"
    assert shown.text.startswith(f"step 1 of {len(one.trace) - 1}")
    assert beam_view(one, letters, 99).text.startswith(f"step {len(one.trace) - 1} ")  # clamped to the last
    searched = []
    live = beam_live_widget(lambda s: searched.append(s) or one, {"first": 1, "second": 2}, letters)
    assert isinstance(live, LiveWidget) and live.result is one and searched == [1]
    live.controls["step"].value = 2
    assert live.text.startswith("step 2") and searched == [1]  # each input is searched once
    live.controls["input"].value = "second"
    assert searched == [1, 2] and live.figure.layout.title.text == "second: step 2"


BAD_CALLS = [
    # (call, exception, argument named in the message)
    (lambda r: beam_explorer(None, letters), TypeError, "result"),
    (lambda r: beam_explorer(r, "decode"), TypeError, "decode"),
    (lambda r: beam_explorer(r, letters, row=1.0), TypeError, "row"),
    (lambda r: beam_explorer(r, letters, row=2), ValueError, "row"),
    (lambda r: beam_explorer(r, letters, title=None), TypeError, "title"),
    (lambda r: beam_explorer(bidirectional_beam_search(preferring_pair_step, 1, 2, 2, VOCAB), letters), ValueError, "trace"),
    (lambda r: beam_live_widget(None, {"a": 1}, letters), TypeError, "search"),
    (lambda r: beam_live_widget(lambda s: r, {}, letters), ValueError, "sources"),
    (lambda r: beam_live_widget(lambda s: r, ["a"], letters), TypeError, "sources"),
    (lambda r: beam_live_widget(lambda s: r, {"a": 1}, None), TypeError, "decode"),
    (lambda r: beam_live_widget(lambda s: r, {"a": 1}, letters, max_step=3.0), TypeError, "max_step"),
    (lambda r: beam_view(None, letters), TypeError, "result"),
    (lambda r: beam_view(bidirectional_beam_search(preferring_pair_step, 1, 2, 2, VOCAB), letters), ValueError, "trace"),
    (lambda r: beam_view(r, None), TypeError, "decode"),
    (lambda r: beam_view(r, letters, step=-1), ValueError, "step"),
    (lambda r: beam_view(r, letters, step=1.0), TypeError, "step"),
    (lambda r: beam_view(r, letters, title=None), TypeError, "title"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(recorded, call, error, word):
    with pytest.raises(error, match=word):
        call(recorded)


def test_explorer_walks_through_several_inputs(recorded):
    """With rows, the slider shows each input's steps in turn (up to where its beams have
    all finished), labelled A0, A1, ..., B0, ...; each step names its input in the title."""
    single = [len(beam_explorer(recorded, letters, row=r).layout.sliders[0].steps) for r in (0, 1)]
    figure = beam_explorer(recorded, letters, rows=[0, 1], names=["first", "second"])
    steps = figure.layout.sliders[0].steps
    assert len(figure.data) == 2 * len(steps) and len(steps) <= sum(single)
    labels = [s.label for s in steps]
    assert labels[0] == "A0" and "B0" in labels and labels.index("B0") <= single[0]
    assert all(s.method == "update" for s in steps)
    assert "input B: 'second', 0 tokens generated" in steps[labels.index("B0")].args[1]["title.text"]
    assert figure.layout.title.text == steps[0].args[1]["title.text"]
    assert figure.layout.sliders[0].currentvalue.prefix == "input and tokens generated: "
    with pytest.raises(ValueError, match=r"rows\[\]"):
        beam_explorer(recorded, letters, rows=[0, 2])
    with pytest.raises(TypeError, match=r"rows\[\]"):
        beam_explorer(recorded, letters, rows=[0.0])
    with pytest.raises(ValueError, match="names"):
        beam_explorer(recorded, letters, rows=[0, 1], names=["one"])
    with pytest.raises(ValueError, match="rows"):
        beam_explorer(recorded, letters, rows=[])
