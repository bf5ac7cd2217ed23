"""Unit tests of blogcode.bidecoder.rescoring (chapter: seq2seq with bidirectional decoding):
BTTR-style rescoring and teacher-forced sequence scores.
"""

import numpy as np
import pytest

from blogcode.bidecoder.beam_search import beam_search, strip_special
from blogcode.bidecoder.bidirectional import sbnmt_beam_search
from blogcode.bidecoder.rescoring import rescored_beam_search, sequence_log_probs
from tests.bidecoder.toys import VOCAB, toy_pair_step_fn, toy_step_fn


def test_sbnmt_and_rescored_searches_run_and_agree_with_their_definition():
    step = toy_pair_step_fn(5, end_bias=1.0)
    split = sbnmt_beam_search(step, 2, 4, 6, VOCAB)
    assert split.l2r.tokens.shape[1] == 2 and split.r2l.tokens.shape[1] == 2
    l2r_fn, r2l_fn = toy_step_fn(6, 1.0), toy_step_fn(7, 1.0)
    rescored = rescored_beam_search(l2r_fn, r2l_fn, 2, 3, 6, VOCAB)
    l2r_alone = beam_search(l2r_fn, 2, 3, 6, VOCAB)
    np.testing.assert_array_equal(rescored.l2r.tokens, l2r_alone.tokens)
    paths = [[p[::-1] for p in strip_special(row)] for row in l2r_alone.tokens]
    other, _ = sequence_log_probs(r2l_fn, paths, VOCAB)
    np.testing.assert_allclose(rescored.l2r.scores, (l2r_alone.log_probs + other) / 2)
    with pytest.raises(ValueError, match="beam_size"):
        sbnmt_beam_search(step, 2, 1, 6, VOCAB)


ONE = toy_step_fn()


BAD_CALLS = [
    # (call, exception, argument named in the message)
    (lambda: rescored_beam_search(ONE, None, 1, 2, 3, VOCAB), TypeError, "r2l_step_fn"),
    (lambda: sequence_log_probs(ONE, [], VOCAB), ValueError, "sequences"),
    (lambda: sequence_log_probs(ONE, [[]], VOCAB), ValueError, r"sequences\[0\]"),
    (lambda: sequence_log_probs(ONE, None, VOCAB), TypeError, "sequences"),
    (lambda: sequence_log_probs(ONE, [[[4]], [[4], [5]]], VOCAB), ValueError, "sequences"),
    (lambda: sequence_log_probs(ONE, [[[4.0]]], VOCAB), TypeError, "sequences"),
    (lambda: sequence_log_probs(ONE, [["ab"]], VOCAB), TypeError, "sequences"),
    (lambda: sequence_log_probs(ONE, [[[4]]], 8.0), TypeError, "vocab_size"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(call, error, word):
    with pytest.raises(error, match=word):
        call()
