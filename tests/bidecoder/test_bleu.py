"""Unit tests of blogcode.bidecoder.bleu (chapter: seq2seq with bidirectional decoding): the
character BLEU against hand-computed values, and its input checks."""

import math

import pytest

from blogcode.bidecoder.bleu import corpus_bleu


def test_corpus_bleu_matches_hand_computed_values():
    assert corpus_bleu(["abcd"], ["abcd"]) == pytest.approx(1.0)
    assert corpus_bleu(["wxyz"], ["abcd"]) == 0.0
    # 1-gram 3/4, 2-gram 1/3 ("ab"), n=2: geometric mean, same length so no brevity penalty
    assert corpus_bleu(["abxd"], ["abcd"], max_n=2) == pytest.approx(math.sqrt(3 / 4 * 1 / 3))
    # a short output is penalised: exp(1 - 4/2)
    assert corpus_bleu(["ab"], ["abcd"], max_n=1) == pytest.approx(math.exp(1 - 2))
    assert corpus_bleu([[1, 2, 3]], [[1, 2, 3]], max_n=3) == pytest.approx(1.0)


def test_corpus_bleu_rejects_bad_input():
    with pytest.raises(ValueError, match="equally many"):
        corpus_bleu(["a"], ["a", "b"])
    with pytest.raises(TypeError, match="predictions"):
        corpus_bleu([3], ["a"])
    with pytest.raises(ValueError, match="max_n"):
        corpus_bleu(["a"], ["a"], max_n=0)
    with pytest.raises(ValueError, match="empty"):
        corpus_bleu(["a"], [""])
