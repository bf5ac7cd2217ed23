"""Unit tests of blogcode.dgcnn.experiments (chapter: DGCNN): the training run's settings
and the receptive field measured by gradient."""

import numpy as np
import pytest

from blogcode.dgcnn.experiments import influence_rows, train_dgcnn
from blogcode.dgcnn.model import receptive_field_width
from tests.dgcnn.toys import GOOD, NAN, tiny_dgcnn


def test_influence_rows_fill_the_receptive_field_after_every_block():
    rates = [1, 2, 4]
    rows = influence_rows(rates, length=41, channels=4)
    assert rows.shape == (3, 41)
    for depth, row in enumerate(rows, 1):
        moved = np.flatnonzero(row > 0)
        half = (receptive_field_width(rates[:depth]) - 1) // 2
        assert moved.min() == 20 - half and moved.max() == 20 + half and len(moved) == 2 * half + 1
    np.testing.assert_array_equal(rows, influence_rows(rates, length=41, channels=4))  # seeded
    for bad, error in (([], ValueError), ([1, 0], ValueError), ([1.0], TypeError)):
        with pytest.raises(error, match="rates"):
            influence_rows(bad)
    with pytest.raises(TypeError, match="length"):
        influence_rows([1], length=4.0)


@pytest.mark.parametrize("kwargs, error, word", [
    ({"epochs": 1.0}, TypeError, "epochs"), ({"epochs": 0}, ValueError, "epochs"),
    ({"batch_size": True}, TypeError, "batch_size"), ({"learning_rate": NAN}, ValueError, "learning_rate"),
    ({"learning_rate": -1e-3}, ValueError, "learning_rate"), ({"ema_momentum": 1.0}, ValueError, "momentum"),
    ({"question_maxlen": 8.0}, TypeError, "question_maxlen"), ({"log": "print"}, TypeError, "log")])
def test_train_dgcnn_rejects_bad_settings(kwargs, error, word):
    settings = {"question_maxlen": 8, "passage_maxlen": 8, "epochs": 1, **kwargs}
    with pytest.raises(error, match=word):
        train_dgcnn(tiny_dgcnn(), None, None, GOOD, None, **settings)


BAD_CALLS = [
    # (call, exception, argument named in the message)
    (lambda: train_dgcnn(None, None, None, GOOD, None, 8, 8, 1), TypeError, "model"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(call, error, word):
    with pytest.raises(error, match=word):
        call()
