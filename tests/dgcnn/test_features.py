"""Unit tests of blogcode.dgcnn.features (chapter: DGCNN): the eight hand-crafted
question-passage features of the 2018 model, checked by hand on a small example."""

import numpy as np
import pytest

from blogcode.dgcnn.features import FEATURE_NAMES, N_FEATURES, NEARBY, passage_features, record_features

QUESTION, Q_WORDS = "＿会见美国总统", ["＿", "会见", "美国", "总统"]
PASSAGE, P_WORDS = "江泽民接见美国客人", ["江泽民", "接见", "美国", "客人"]
OTHERS = ["江泽民在北京", "美国人"]
VECTORS = {"会见": np.array([1.0, 0.0]), "美国": np.array([0.0, 1.0]), "接见": np.array([0.9, 0.1])}


def column(name):
    return FEATURE_NAMES.index(name)


def test_each_feature_by_hand():
    f = passage_features(QUESTION, Q_WORDS, PASSAGE, P_WORDS, OTHERS, VECTORS, 12)
    assert f.shape == (12, N_FEATURES) == (12, 8) and f.dtype == np.float32
    assert not f[len(PASSAGE):].any()                                      # padding rows are zero
    np.testing.assert_array_equal(f[:9, column("char in question")], [0, 0, 0, 0, 1, 1, 1, 0, 0])  # 见 美 国
    np.testing.assert_array_equal(f[:9, column("word in question")], [0, 0, 0, 0, 0, 1, 1, 0, 0])  # 美国
    # bigrams through a character: 见 is in 见美 (question: 会见美国...), 美 国 in 美国
    np.testing.assert_array_equal(f[:9, column("bigram in question")], [0, 0, 0, 0, 1, 1, 1, 0, 0])
    sim = f[:9, column("word similarity")]
    assert sim[3] == sim[4] == pytest.approx(0.9 / np.hypot(0.9, 0.1)) and sim[5] == pytest.approx(1.0)
    assert not sim[:3].any() and not sim[7:].any()                         # 江泽民, 客人 have no vector
    # content words 会见, 美国, 总统: only 美国 occurs, and every character is within NEARBY of it
    assert NEARBY >= len(PASSAGE)
    np.testing.assert_allclose(f[:9, column("question words nearby")], 1 / 3)
    np.testing.assert_allclose(f[:9, column("char in other passages")], [.5, .5, .5, 0, 0, .5, .5, 0, .5])
    np.testing.assert_allclose(f[:9, column("word in other passages")], [.5, .5, .5, 0, 0, .5, .5, 0, 0])
    # 泽民 (through 民) is in 江泽民在北京; 客人 in neither
    np.testing.assert_allclose(f[:9, column("bigram in other passages")], [.5, .5, .5, 0, 0, .5, .5, 0, 0])


def test_the_blank_never_matches_and_a_cut_passage_keeps_maxlen_rows():
    f = passage_features("＿", ["＿"], "＿＿", ["＿", "＿"], [], {}, 1)
    assert f.shape == (1, 8) and not f.any()


def test_record_features_use_the_other_passages_of_the_record():
    record = {"question": QUESTION, "passages": [{"passage": PASSAGE}, *({"passage": o} for o in OTHERS)]}
    words = {QUESTION: Q_WORDS, PASSAGE: P_WORDS, OTHERS[0]: ["江泽民", "在", "北京"], OTHERS[1]: ["美国", "人"]}
    out = record_features(record, words.__getitem__, VECTORS, 12)
    assert len(out) == 3
    np.testing.assert_array_equal(out[0], passage_features(QUESTION, Q_WORDS, PASSAGE, P_WORDS, OTHERS, VECTORS, 12))
    assert out[2][0, column("char in other passages")] == 0.5         # 美 of 美国人: in the first passage, not 北京's


BAD_CALLS = [
    (lambda: passage_features(None, [], "", [], [], {}, 4), TypeError, "question"),
    (lambda: passage_features("a", "a", "", [], [], {}, 4), TypeError, "question_words"),
    (lambda: passage_features("a", ["a"], "ab", ["a"], [], {}, 4), ValueError, "passage_words"),
    (lambda: passage_features("a", ["a"], "a", ["a"], [3], {}, 4), TypeError, r"others\[0\]"),
    (lambda: passage_features("a", ["a"], "a", ["a"], [], [], 4), TypeError, "vectors"),
    (lambda: passage_features("a", ["a"], "a", ["a"], [], {}, 0), ValueError, "maxlen"),
    (lambda: record_features([], str.split, {}, 4), TypeError, "record"),
    (lambda: record_features({"question": "a", "passages": []}, list, {}, 4), ValueError, "passages"),
    (lambda: record_features({"question": "a", "passages": [{"passage": "a"}]}, None, {}, 4), TypeError, "words"),
    (lambda: record_features({"question": "a", "passages": [{"passage": 1}]}, list, {}, 4), TypeError, "passages"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(call, error, word):
    with pytest.raises(error, match=word):
        call()
