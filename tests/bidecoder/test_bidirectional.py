"""Unit tests of blogcode.bidecoder.bidirectional (chapter: seq2seq with bidirectional decoding):
the vectorised search against its per-pair reference, the pair average by hand, the choice
of the output, SB-NMT's split beam.
"""

import numpy as np
import pytest

from blogcode.bidecoder.beam_search import PAD, START, beam_search, strip_special
from blogcode.bidecoder.bidirectional import (bidirectional_beam_search, bidirectional_beam_search_reference,
                                            sbnmt_beam_search)
from tests.bidecoder.toys import VOCAB, toy_pair_step_fn, toy_step_fn


@pytest.mark.parametrize("beam_size", [1, 2, 3, 4])
@pytest.mark.parametrize("penalty", [0.0, 0.7])
def test_vectorised_equals_per_pair_reference(beam_size, penalty):
    for seed in range(3):
        step = toy_pair_step_fn(seed, end_bias=0.5)
        fast = bidirectional_beam_search(step, 3, beam_size, 6, VOCAB, length_penalty=penalty)
        slow = bidirectional_beam_search_reference(step, 3, beam_size, 6, VOCAB, length_penalty=penalty)
        for a, b in ((fast.l2r, slow.l2r), (fast.r2l, slow.r2l)):
            np.testing.assert_array_equal(a.tokens, b.tokens)
            np.testing.assert_array_equal(a.scores, b.scores)  # exactly, not approximately
            np.testing.assert_array_equal(a.finished, b.finished)
        assert fast.best == slow.best and fast.best_direction == slow.best_direction


def test_pair_average_by_hand_on_the_first_step():
    step = toy_pair_step_fn(2)
    result = bidirectional_beam_search(step, 1, 2, 1, VOCAB)
    start = np.full((1, 1, 1), START)
    l2r, r2l = step(start, start)  # at step 1 every pair is (start, start)
    for got, lp in ((result.l2r, l2r[:, 0]), (result.r2l, r2l[:, 0])):
        lp = lp.copy()
        lp[:, PAD] = -np.inf
        np.testing.assert_array_equal(got.tokens[0, :, 0], np.argsort(-lp[0], kind="stable")[:2])


def test_bidirectional_output_is_the_best_finished_path():
    step = toy_pair_step_fn(4, end_bias=1.5)
    result = bidirectional_beam_search(step, 4, 3, 8, VOCAB, record=True)
    assert len(result.trace) >= 2 and set(result.trace[0]) == {"l2r", "r2l"}
    for b in range(4):
        direction = result.best_direction[b]
        res = getattr(result, direction)
        candidates = [(s, strip_special([t])[0]) for s, t, f in zip(res.scores[b], res.tokens[b], res.finished[b]) if f]
        if candidates:
            path = max(candidates, key=lambda c: c[0])[1]
            assert result.best[b] == (path if direction == "l2r" else path[::-1])
        other = result.r2l if direction == "l2r" else result.l2r
        chosen = res.scores[b][res.finished[b]].max() if res.finished[b].any() else -np.inf
        assert not (other.finished[b] & (other.scores[b] > chosen)).any()


def test_inconsistent_direction_vocabularies_raise():
    pair = toy_pair_step_fn()
    lopsided = lambda l2r, r2l: (pair(l2r, r2l)[0], pair(l2r, r2l)[1][..., :-1])
    with pytest.raises(ValueError, match="vocab"):
        bidirectional_beam_search(lopsided, 1, 2, 3, VOCAB)
    with pytest.raises(ValueError, match="vocab"):
        bidirectional_beam_search_reference(lopsided, 1, 2, 3, VOCAB)
    nan_step = lambda p: np.full(np.asarray(p).shape[:2] + (VOCAB,), np.nan)
    with pytest.raises(ValueError, match="NaN"):
        beam_search(nan_step, 1, 2, 3, VOCAB)


def test_sbnmt_splits_the_beam_and_pairs_paths_by_rank():
    step = toy_pair_step_fn(5, end_bias=1.0)
    split = sbnmt_beam_search(step, 2, 4, 6, VOCAB)
    assert split.l2r.tokens.shape[1] == 2 and split.r2l.tokens.shape[1] == 2
    assert len(split.best) == 2 and set(split.best_direction) <= {"l2r", "r2l"}
    # with beams of one path per direction, the split beam pairs the only two paths: the article's search
    article = bidirectional_beam_search(step, 2, 1, 6, VOCAB)
    assert sbnmt_beam_search(step, 2, 2, 6, VOCAB).best == article.best
    with pytest.raises(ValueError, match="beam_size"):
        sbnmt_beam_search(step, 2, 1, 6, VOCAB)


ONE = toy_step_fn()


BAD_CALLS = [
    # (call, exception, argument named in the message)
    (lambda: bidirectional_beam_search(ONE, 1, 2, 3, VOCAB, record=1), TypeError, "record"),
    (lambda: bidirectional_beam_search(42, 1, 2, 3, VOCAB), TypeError, "pair_step_fn"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(call, error, word):
    with pytest.raises(error, match=word):
        call()
