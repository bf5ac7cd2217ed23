"""Unit tests of blogcode.dgcnn.inputs (chapter: DGCNN): one row per (question, passage)
pair, the features only when asked, the labels of every answer occurrence."""

import numpy as np
import pytest

from blogcode.dgcnn.data import CharWordEncoder
from blogcode.dgcnn.features import N_FEATURES, record_features
from blogcode.dgcnn.inputs import pair_inputs, training_arrays
from tests.dgcnn.toys import GOOD


@pytest.fixture(scope="module")
def encoder():
    return CharWordEncoder(min_count=1).fit([r["question"] for r in GOOD] + [p["passage"] for r in GOOD
                                                                           for p in r["passages"]])


def test_pairs_in_record_order_with_and_without_features(encoder):
    inputs, pairs = pair_inputs(GOOD, encoder, 8, 12)
    assert len(inputs) == 4 and pairs == [("q1", "北京是首都，北京很大。"), ("q1", "上海在东边。"), (2, "鲁迅写的。")]
    assert inputs[0].shape == (3, 8) and inputs[3].shape == (3, 12, encoder.dim)
    with_features, _ = pair_inputs(GOOD, encoder, 8, 12, features=True)
    assert len(with_features) == 5 and with_features[4].shape == (3, 12, N_FEATURES)
    for a, b in zip(inputs, with_features):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(with_features[4][0], record_features(GOOD[0], encoder.words, encoder.vectors, 12)[0])


def test_training_arrays_label_every_occurrence(encoder):
    inputs, labels = training_arrays(GOOD, encoder, 8, 12, features=True)
    assert labels.shape == (3, 12, 2) and len(inputs) == 5
    assert list(np.flatnonzero(labels[0, :, 0] == 1)) == [0, 6]          # 北京 twice
    assert not (labels[1] == 1).any()


@pytest.mark.parametrize("call, error, word", [
    (lambda e: pair_inputs([], e, 8, 8), ValueError, "records"),
    (lambda e: pair_inputs(GOOD, "encoder", 8, 8), TypeError, "encoder"),
    (lambda e: pair_inputs(GOOD, e, 0, 8), ValueError, "question_maxlen"),
    (lambda e: pair_inputs(GOOD, e, 8, 8.0), TypeError, "passage_maxlen"),
    (lambda e: pair_inputs(GOOD, e, 8, 8, features=1), TypeError, "features"),
    (lambda e: training_arrays(GOOD, e, 8, 8, features="yes"), TypeError, "features"),
])
def test_public_functions_reject_bad_input(encoder, call, error, word):
    with pytest.raises(error, match=word):
        call(encoder)
