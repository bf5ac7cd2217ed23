"""Unit tests of blogcode.dgcnn.widgets (chapter: DGCNN): the error explorer has one
slider step per question, the live widget redraws the question picked, and bad input is
rejected by name."""

import pytest

from blogcode.dgcnn.widgets import TITLE, error_explorer, error_live_widget, error_view
from blogcode.widgets import LiveView, LiveWidget
from tests.dgcnn.analysis import hand_analysis

A = hand_analysis()


def test_explorer_has_four_traces_per_question():
    explorer = error_explorer([1, 2], *A)
    assert len(explorer.data) == 8 and len(explorer.layout.sliders[0].steps) == 2
    assert explorer.layout.title.text == TITLE and explorer.layout.barmode == "group"


def test_view_and_live_widget():
    shown = error_view(2, *A)
    assert isinstance(shown, LiveView) and shown.result == 2
    assert shown.figure.layout.title.text == "dev question 2" and len(shown.figure.data) == 4
    assert shown.text == "reference: 鲁迅; predicted: (nothing)"
    live = error_live_widget(*A)
    assert isinstance(live, LiveWidget) and live.result == 1
    live.controls["rid"].value = 2
    assert live.result == 2 and live.figure.layout.title.text == "dev question 2"


BAD_CALLS = [
    # (call, exception, argument named in the message)
    (lambda: error_explorer([], *A), ValueError, "ids"),
    (lambda: error_explorer(None, *A), TypeError, "ids"),
    (lambda: error_explorer([1], *A, title=None), TypeError, "title"),
    (lambda: error_explorer([3], *A), ValueError, "details"),
    (lambda: error_view(1, *A[:3], None), TypeError, "questions"),
    (lambda: error_live_widget(*A[:2], None, A[3]), TypeError, "references"),
    (lambda: error_live_widget(*A[:2], {}, A[3]), ValueError, "references"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(call, error, word):
    with pytest.raises(error, match=word):
        call()
