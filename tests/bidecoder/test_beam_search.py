"""Unit tests of blogcode.bidecoder.beam_search (chapter: seq2seq with bidirectional decoding):
greedy and beam search in one direction, on toy step functions, and the argument checks
every search shares.
"""

import numpy as np
import pytest

from blogcode.bidecoder.beam_search import END, PAD, START, beam_search, greedy_search, strip_special
from blogcode.bidecoder.bidirectional import (bidirectional_beam_search, bidirectional_beam_search_reference,
                                            sbnmt_beam_search)
from blogcode.bidecoder.rescoring import rescored_beam_search, sequence_log_probs
from tests.bidecoder.toys import VOCAB, log_softmax, toy_pair_step_fn, toy_step_fn


@pytest.mark.parametrize("seed", range(5))
def test_beam_size_one_equals_greedy(seed):
    step = toy_step_fn(seed)
    greedy = greedy_search(step, batch_size=4, max_length=7, vocab_size=VOCAB)
    beam = beam_search(step, batch_size=4, beam_size=1, max_length=7, vocab_size=VOCAB, length_penalty=0.8)
    width = max(greedy.tokens.shape[2], beam.tokens.shape[2])
    pad = lambda t: np.pad(t, ((0, 0), (0, 0), (0, width - t.shape[2])))
    np.testing.assert_array_equal(pad(greedy.tokens), pad(beam.tokens))
    np.testing.assert_allclose(greedy.log_probs, beam.log_probs, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(greedy.finished, beam.finished)


def test_beam_matches_a_hand_computed_first_step():
    step = toy_step_fn(3)
    result = beam_search(step, 2, 3, 1, VOCAB)
    first = step(np.full((2, 1, 1), START))[:, 0]
    first[:, PAD] = -np.inf
    expected = np.argsort(-first, axis=1, kind="stable")[:, :3]
    np.testing.assert_array_equal(result.tokens[:, :, 0], expected)
    np.testing.assert_allclose(result.log_probs, np.take_along_axis(first, expected, axis=1))


def test_beam_scores_are_sorted_and_match_teacher_forcing():
    step = toy_step_fn(1, end_bias=1.0)
    result = beam_search(step, 3, 4, 6, VOCAB, length_penalty=0.5)
    assert np.all(np.diff(result.scores, axis=1) <= 0)
    paths = [strip_special(row) for row in result.tokens]
    forced, lengths = sequence_log_probs(step, paths, VOCAB)
    done = result.finished
    np.testing.assert_allclose(forced[done], result.log_probs[done], atol=1e-9)
    np.testing.assert_array_equal(lengths[done], result.lengths[done])
    np.testing.assert_allclose(result.scores, result.log_probs / result.lengths ** 0.5)


def test_end_token_stops_a_path_and_pads_it():
    def step(prefixes):  # end is best once two tokens are written
        t = prefixes.shape[2]
        logits = np.tile(np.arange(VOCAB, dtype=float)[::-1], prefixes.shape[:2] + (1,))
        if t >= 3:
            logits[..., END] = 10.0
        return log_softmax(logits)

    result = greedy_search(step, 2, 10, VOCAB)
    assert result.tokens.shape[2] == 3  # stopped early: every path ended
    np.testing.assert_array_equal(result.tokens[:, 0], [[1, 1, END]] * 2)
    assert result.finished.all() and (result.lengths == 3).all()
    beams = beam_search(step, 2, 3, 10, VOCAB)
    assert beams.finished.all()
    assert all(row[-1] in (END, PAD) for row in beams.tokens.reshape(-1, beams.tokens.shape[2]))
    # after the end id there is only padding
    for row in beams.tokens.reshape(-1, beams.tokens.shape[2]).tolist():
        assert all(t == PAD for t in row[row.index(END) + 1:])


def test_max_length_cuts_paths_that_never_end():
    def step(prefixes):
        logits = np.zeros(prefixes.shape[:2] + (VOCAB,))
        logits[..., END] = -50.0
        logits[..., 5] = 3.0
        return log_softmax(logits)

    for result in (greedy_search(step, 2, 4, VOCAB), beam_search(step, 2, 3, 4, VOCAB)):
        assert result.tokens.shape[2] == 4
        assert not result.finished.any() and (result.lengths == 4).all()
    assert strip_special(greedy_search(step, 1, 4, VOCAB).tokens[:, 0]) == [[5, 5, 5, 5]]


def test_ties_go_to_the_lowest_ids():
    uniform = lambda prefixes: np.full(np.asarray(prefixes).shape[:2] + (VOCAB,), -np.log(VOCAB))
    greedy = greedy_search(uniform, 1, 2, VOCAB, end_id=VOCAB - 1)
    np.testing.assert_array_equal(greedy.tokens[0, 0], [1, 1])  # 0 is padding, never emitted
    beams = beam_search(uniform, 1, 3, 2, VOCAB, end_id=VOCAB - 1)
    np.testing.assert_array_equal(beams.tokens[0], [[1, 1], [1, 2], [1, 3]])


@pytest.mark.parametrize("search", ["beam", "bidirectional", "reference", "greedy"])
def test_bad_arguments_are_named(search):
    one, pair = toy_step_fn(), toy_pair_step_fn()
    call = {
        "beam": lambda **kw: beam_search(one, **{"batch_size": 1, "beam_size": 2, "max_length": 3, "vocab_size": VOCAB, **kw}),
        "bidirectional": lambda **kw: bidirectional_beam_search(pair, **{"batch_size": 1, "beam_size": 2, "max_length": 3, "vocab_size": VOCAB, **kw}),
        "reference": lambda **kw: bidirectional_beam_search_reference(pair, **{"batch_size": 1, "beam_size": 2, "max_length": 3, "vocab_size": VOCAB, **kw}),
        "greedy": lambda **kw: greedy_search(one, **{"batch_size": 1, "max_length": 3, "vocab_size": VOCAB, **kw}),
    }[search]
    if search != "greedy":
        with pytest.raises(ValueError, match="beam_size"):
            call(beam_size=0)
        with pytest.raises(ValueError, match="beam_size"):
            call(beam_size=VOCAB)
        with pytest.raises(ValueError, match="length_penalty"):
            call(length_penalty=-1.0)
    with pytest.raises(ValueError, match="max_length"):
        call(max_length=0)
    with pytest.raises(ValueError, match="vocab"):
        call(vocab_size=VOCAB + 1)  # the step function returns VOCAB scores
    with pytest.raises(ValueError, match="end_id"):
        call(end_id=VOCAB)
    with pytest.raises(TypeError, match="max_length"):
        call(max_length=2.5)


def _with_value(step, value, token=5):
    def bad(*prefixes):
        out = step(*prefixes)
        out = out if isinstance(out, tuple) else (out,)
        out = tuple(np.array(o) for o in out)
        out[-1][..., token] = value
        return out if len(out) > 1 else out[0]
    return bad


@pytest.mark.parametrize("value, ok", [(np.inf, False), (np.nan, False), (-np.inf, True)])
def test_log_probabilities_may_be_minus_inf_but_not_plus_inf_or_nan(value, ok):
    one, pair = _with_value(toy_step_fn(), value), _with_value(toy_pair_step_fn(), value)
    calls = [lambda: greedy_search(one, 2, 3, VOCAB), lambda: beam_search(one, 2, 2, 3, VOCAB),
             lambda: bidirectional_beam_search(pair, 2, 2, 3, VOCAB),
             lambda: bidirectional_beam_search_reference(pair, 2, 2, 3, VOCAB),
             lambda: sbnmt_beam_search(pair, 2, 2, 3, VOCAB),
             lambda: sequence_log_probs(one, [[[4, 5]], [[6]]], VOCAB)]
    for call in calls:
        if ok:
            call()  # an impossible token is legitimate
        else:
            with pytest.raises(ValueError, match="NaN" if np.isnan(value) else r"\+inf"):
                call()


ONE, PAIR = toy_step_fn(), toy_pair_step_fn()


SEARCH = {"batch_size": 1, "beam_size": 2, "max_length": 3, "vocab_size": VOCAB}


BAD_SEARCH_ARGS = [
    ("batch_size", 0, ValueError), ("batch_size", 2.0, TypeError), ("batch_size", True, TypeError),
    ("beam_size", 0, ValueError), ("beam_size", 3.0, TypeError), ("beam_size", VOCAB, ValueError),
    ("max_length", 0, ValueError), ("max_length", 2.5, TypeError), ("max_length", None, TypeError),
    ("vocab_size", 1, ValueError), ("vocab_size", 8.0, TypeError),
    ("start_id", 0, ValueError), ("start_id", "2", TypeError), ("end_id", VOCAB, ValueError),
    ("end_id", 3.0, TypeError), ("length_penalty", -1.0, ValueError), ("length_penalty", float("nan"), ValueError),
    ("length_penalty", float("inf"), ValueError), ("length_penalty", "0.5", TypeError),
]


SEARCHES = {
    "beam_search": lambda **kw: beam_search(ONE, **{**SEARCH, **kw}),
    "bidirectional_beam_search": lambda **kw: bidirectional_beam_search(PAIR, **{**SEARCH, **kw}),
    "bidirectional_beam_search_reference": lambda **kw: bidirectional_beam_search_reference(PAIR, **{**SEARCH, **kw}),
    "sbnmt_beam_search": lambda **kw: sbnmt_beam_search(PAIR, **{**SEARCH, **kw}),
    "rescored_beam_search": lambda **kw: rescored_beam_search(ONE, ONE, **{**SEARCH, **kw}),
}


@pytest.mark.parametrize("search", sorted(SEARCHES))
@pytest.mark.parametrize("name, value, error", BAD_SEARCH_ARGS)
def test_searches_reject_bad_arguments(search, name, value, error):
    with pytest.raises(error, match=name):
        SEARCHES[search](**{name: value})


BAD_CALLS = [
    # (call, exception, argument named in the message)
    (lambda: greedy_search(ONE, 1, 3.0, VOCAB), TypeError, "max_length"),
    (lambda: greedy_search("not a function", 1, 3, VOCAB), TypeError, "step_fn"),
    (lambda: beam_search(None, 1, 2, 3, VOCAB), TypeError, "step_fn"),
    (lambda: strip_special([[4, 3]], end_id=3.0), TypeError, "end_id"),
    (lambda: strip_special(None), TypeError, "token_rows"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(call, error, word):
    with pytest.raises(error, match=word):
        call()
