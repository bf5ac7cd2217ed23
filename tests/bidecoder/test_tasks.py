"""Unit tests of blogcode.bidecoder.tasks (chapter: seq2seq with bidirectional decoding):
the vocabulary, the encoding, the sorting tasks and the measures.
"""

import numpy as np
import pytest

from blogcode.bidecoder.beam_search import END, START
from blogcode.bidecoder.tasks import (CharVocabulary, accuracy_by_position, char_f1, encode_pairs, exact_match,
                                      noisy_sorting_pairs, position_accuracy, sorting_pairs)


def test_position_measures_by_hand():
    refs = [[1, 2, 3, 4, 5, 6], [7, 8]]
    preds = [[1, 2, 9, 4, 5, 6, 6], [7]]
    first, last = position_accuracy(preds, refs, n=4)
    assert first == pytest.approx(4 / 6)  # 1,2,(9),4 then 7,(missing)
    assert last == pytest.approx(1 / 6)  # the extra 6 shifts the tail: 6,6,5,4 vs 6,5,4,3; then (7) vs 8, missing
    np.testing.assert_allclose(accuracy_by_position(preds, refs, 3), [1.0, 0.5, 0.0])
    assert np.isnan(accuracy_by_position(preds, refs, 8)[7])
    assert exact_match([[1, 2], [3]], [[1, 2], [4]]) == 0.5
    assert char_f1(["abcd"], ["abef"]) == pytest.approx(0.5)
    assert char_f1([""], ["ab"]) == 0.0
    with pytest.raises(ValueError, match="references"):
        exact_match([[1]], [])
    with pytest.raises(ValueError, match="n must"):
        position_accuracy(preds, refs, n=0)


def test_vocabulary_and_encoding():
    pairs = [("ab", "bca"), ("c", "aab")]
    vocab = CharVocabulary([t + s for t, s in pairs])
    assert vocab.decode(vocab.encode("cab")) == "cab" and vocab.encode("z") == [1]
    arrays = encode_pairs(pairs, vocab, max_source=4, max_target=3)
    a, b = vocab.encode("a")[0], vocab.encode("b")[0]
    np.testing.assert_array_equal(arrays["l2r_in"][0], [START, a, b, 0])
    np.testing.assert_array_equal(arrays["l2r_out"][0], [a, b, END, 0])
    np.testing.assert_array_equal(arrays["r2l_in"][0], [START, b, a, 0])
    np.testing.assert_array_equal(arrays["r2l_out"][0], [b, a, END, 0])
    with pytest.raises(ValueError, match="max_source"):
        encode_pairs(pairs, vocab, 0, 3)
    with pytest.raises(ValueError, match="pairs"):
        encode_pairs([("", "a")], vocab, 3, 3)
    with pytest.raises(ValueError, match="min_count"):
        CharVocabulary(["a"], min_count=0)
    with pytest.raises(TypeError, match="texts"):
        CharVocabulary("abc")
    data = sorting_pairs(20, seed=3)
    assert data == sorting_pairs(20, seed=3)
    assert all(t == "".join(sorted(s)) for t, s in data)
    with pytest.raises(ValueError, match="n must"):
        sorting_pairs(0)


def test_noisy_sorting_pairs_appends_one_independent_letter():
    plain = sorting_pairs(400, 3, 6, "abcd", seed=5)
    noisy = noisy_sorting_pairs(400, 3, 6, "abcd", seed=5)
    assert noisy == noisy_sorting_pairs(400, 3, 6, "abcd", seed=5)
    assert [s for _, s in noisy] == [s for _, s in plain]
    assert all(t[:-1] == p and t[-1] in "abcd" for (t, _), (p, _) in zip(noisy, plain))
    extra = [t[-1] for t, _ in noisy]
    # every letter turns up, and the extra letter does not copy the source's last letter
    assert set(extra) == set("abcd")
    assert np.mean([t[-1] == s[-1] for t, s in noisy]) < 0.4
    assert extra != [t[-1] for t, _ in noisy_sorting_pairs(400, 3, 6, "abcd", seed=6)]
    with pytest.raises(ValueError, match="n must"):
        noisy_sorting_pairs(0)
    with pytest.raises(ValueError, match="alphabet"):
        noisy_sorting_pairs(5, alphabet="a")


def _vocab():
    return CharVocabulary(["abc", "cab"])


BAD_CALLS = [
    # (call, exception, argument named in the message)
    (lambda: CharVocabulary("abc"), TypeError, "texts"),
    (lambda: CharVocabulary([]), ValueError, "texts"),
    (lambda: CharVocabulary(["a", None]), TypeError, r"texts\[1\]"),
    (lambda: CharVocabulary(["a"], min_count=0), ValueError, "min_count"),
    (lambda: CharVocabulary(["a"], min_count=2.0), TypeError, "min_count"),
    (lambda: _vocab().encode(None), TypeError, "text"),
    (lambda: encode_pairs([], _vocab(), 3, 3), ValueError, "pairs"),
    (lambda: encode_pairs([("a", "b")], "vocab", 3, 3), TypeError, "vocab"),
    (lambda: encode_pairs([("a", "b")], _vocab(), 3.0, 3), TypeError, "max_source"),
    (lambda: encode_pairs([("a", "b")], _vocab(), 3, True), TypeError, "max_target"),
    (lambda: encode_pairs([("a", None)], _vocab(), 3, 3), TypeError, r"pairs\[0\]"),
    (lambda: encode_pairs(["ab"], _vocab(), 3, 3), TypeError, r"pairs\[0\]"),
    (lambda: sorting_pairs(3.0), TypeError, "n"),
    (lambda: sorting_pairs(True), TypeError, "n"),
    (lambda: sorting_pairs(0), ValueError, "n"),
    (lambda: sorting_pairs(3, 5, 4), ValueError, "min_length"),
    (lambda: sorting_pairs(3, 0, 4), ValueError, "min_length"),
    (lambda: sorting_pairs(3, 2, 4.0), TypeError, "max_length"),
    (lambda: sorting_pairs(3, alphabet=None), TypeError, "alphabet"),
    (lambda: sorting_pairs(3, alphabet="aa"), ValueError, "alphabet"),
    (lambda: sorting_pairs(3, seed=1.5), TypeError, "seed"),
    (lambda: noisy_sorting_pairs(2.0), TypeError, "n"),
    (lambda: accuracy_by_position([[1]], [[1]], 2.0), TypeError, "positions"),
    (lambda: accuracy_by_position([[1]], [[1]], 2, from_end=1), TypeError, "from_end"),
    (lambda: accuracy_by_position([], [], 2), ValueError, "predictions"),
    (lambda: position_accuracy([[1]], [[1]], n=True), TypeError, "n"),
    (lambda: position_accuracy([[1]], [[]]), ValueError, "references"),
    (lambda: exact_match([[1]], [[1], [2]]), ValueError, "predictions"),
    (lambda: exact_match([None], [[1]]), TypeError, r"predictions\[0\]"),
    (lambda: char_f1("ab", ["ab", "cd"]), TypeError, "predictions"),
    (lambda: char_f1(["ab"], None), TypeError, "references"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(call, error, word):
    with pytest.raises(error, match=word):
        call()
