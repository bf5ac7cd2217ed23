"""Unit tests of blogcode.bidecoder.model (chapter: seq2seq with bidirectional decoding).

The search tests use toy step functions with fixed random logits, so they
need no training and every expected value can be worked out independently.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from blogcode import set_seed
from blogcode.bidecoder.model import (END, PAD, START, BidirectionalSeq2Seq, CharVocabulary, PairStep, compare_decoders,
                              accuracy_by_position, beam_search, bidirectional_beam_search,
                              bidirectional_beam_search_reference, char_f1, encode_pairs, exact_match,
                              greedy_search, position_accuracy, rescored_beam_search, sbnmt_beam_search,
                              noisy_sorting_pairs, sequence_log_probs, sorting_pairs, strip_special,
                              train_seq2seq)

VOCAB = 8


def _log_softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def _prefix_hash(prefixes, batch_rows):
    """A number per prefix row that depends on the batch row and every token."""
    weights = 7 ** np.arange(1, prefixes.shape[-1] + 1) % 1009
    return (prefixes * weights).sum(axis=-1) + 131 * batch_rows


def toy_step_fn(seed=0, end_bias=0.0):
    """One direction: fixed random logits looked up by a hash of (row, prefix)."""
    table = np.random.default_rng(seed).normal(scale=2.0, size=(1009, VOCAB))
    table[:, END] += end_bias

    def step(prefixes):
        prefixes = np.asarray(prefixes)
        rows = np.arange(prefixes.shape[0])[:, None]
        return _log_softmax(table[_prefix_hash(prefixes, rows) % 1009])

    return step


def toy_pair_step_fn(seed=0, end_bias=0.0):
    """Both directions; each direction's logits depend on both paths of the pair."""
    table = np.random.default_rng(seed).normal(scale=2.0, size=(1009, VOCAB))
    table[:, END] += end_bias

    def step(l2r, r2l):
        l2r, r2l = np.asarray(l2r), np.asarray(r2l)
        rows = np.arange(l2r.shape[0])[:, None]
        a, b = _prefix_hash(l2r, rows), _prefix_hash(r2l, rows)
        return _log_softmax(table[(3 * a + b) % 1009]), _log_softmax(table[(a + 5 * b + 1) % 1009])

    return step


# ----------------------------------------------------------------- one direction


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
        return _log_softmax(logits)

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
        return _log_softmax(logits)

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


# ----------------------------------------------------------------- bidirectional


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


# ----------------------------------------------------------------- bad input, every public function

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


def _vocab():
    return CharVocabulary(["abc", "cab"])


def _independent():
    return BidirectionalSeq2Seq(10, 8, 8, 2, cross_attention="none")


BAD_CALLS = [
    # (call, exception, argument named in the message)
    (lambda: greedy_search(ONE, 1, 3.0, VOCAB), TypeError, "max_length"),
    (lambda: greedy_search("not a function", 1, 3, VOCAB), TypeError, "step_fn"),
    (lambda: beam_search(None, 1, 2, 3, VOCAB), TypeError, "step_fn"),
    (lambda: bidirectional_beam_search(ONE, 1, 2, 3, VOCAB, record=1), TypeError, "record"),
    (lambda: bidirectional_beam_search(42, 1, 2, 3, VOCAB), TypeError, "pair_step_fn"),
    (lambda: rescored_beam_search(ONE, None, 1, 2, 3, VOCAB), TypeError, "r2l_step_fn"),
    (lambda: sequence_log_probs(ONE, [], VOCAB), ValueError, "sequences"),
    (lambda: sequence_log_probs(ONE, [[]], VOCAB), ValueError, r"sequences\[0\]"),
    (lambda: sequence_log_probs(ONE, None, VOCAB), TypeError, "sequences"),
    (lambda: sequence_log_probs(ONE, [[[4]], [[4], [5]]], VOCAB), ValueError, "sequences"),
    (lambda: sequence_log_probs(ONE, [[[4.0]]], VOCAB), TypeError, "sequences"),
    (lambda: sequence_log_probs(ONE, [["ab"]], VOCAB), TypeError, "sequences"),
    (lambda: sequence_log_probs(ONE, [[[4]]], 8.0), TypeError, "vocab_size"),
    (lambda: strip_special([[4, 3]], end_id=3.0), TypeError, "end_id"),
    (lambda: strip_special(None), TypeError, "token_rows"),
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
    (lambda: BidirectionalSeq2Seq(10.0), TypeError, "vocab_size"),
    (lambda: BidirectionalSeq2Seq(10, embed_dim=0), ValueError, "embed_dim"),
    (lambda: BidirectionalSeq2Seq(10, hidden_dim=8.0), TypeError, "hidden_dim"),
    (lambda: BidirectionalSeq2Seq(10, num_heads=True), TypeError, "num_heads"),
    (lambda: BidirectionalSeq2Seq(10, cross_attention=None), TypeError, "cross_attention"),
    (lambda: BidirectionalSeq2Seq(10, cross_attention="sideways"), ValueError, "cross_attention"),
    (lambda: _independent().step_fn(np.ones((1, 3), np.int32), None), TypeError, "direction"),
    (lambda: PairStep("model", np.ones((1, 3), np.int32)), TypeError, "model"),
    (lambda: _independent().pair_step_fn(np.ones(3, np.int32)), ValueError, "source"),
    (lambda: train_seq2seq(_independent(), {}, 1), ValueError, "arrays"),
    (lambda: train_seq2seq(_independent(), None, 1), TypeError, "arrays"),
    (lambda: train_seq2seq("model", {}, 1), TypeError, "model"),
    (lambda: compare_decoders(_independent(), "model", np.ones((1, 3), np.int32), 2, 4), TypeError, "bidirectional"),
    (lambda: compare_decoders(_independent(), _independent(), np.ones((1, 3), np.int32), 2.0, 4), TypeError,
     "beam_size"),
    (lambda: compare_decoders(_independent(), _independent(), np.ones((1, 3), np.int32), 2, 4, float("nan")),
     ValueError, "length_penalty"),
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


@pytest.mark.parametrize("name, value, error", [
    ("steps", 2.0, TypeError), ("steps", 0, ValueError), ("batch_size", True, TypeError),
    ("learning_rate", float("nan"), ValueError), ("learning_rate", 0.0, ValueError),
    ("log_every", -1, ValueError), ("compiled", "yes", TypeError), ("seed", 0.5, TypeError)])
def test_train_seq2seq_rejects_bad_settings(name, value, error):
    vocab, arrays = _tiny_data()
    with pytest.raises(error, match=name):
        train_seq2seq(_model(vocab), arrays, **{"steps": 1, name: value})


# ----------------------------------------------------------------- measures and data


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


# ----------------------------------------------------------------- the model


def _tiny_data(n=24):
    pairs = sorting_pairs(n, 3, 5, "abcdef", seed=1)
    vocab = CharVocabulary([t + s for t, s in pairs])
    return vocab, encode_pairs(pairs, vocab, 5, 5)


def _model(vocab, mode="causal"):
    set_seed(0)
    return BidirectionalSeq2Seq(len(vocab), embed_dim=8, hidden_dim=8, num_heads=2, cross_attention=mode)


def test_model_shapes_and_the_causal_cross_window():
    vocab, arrays = _tiny_data()
    x = (arrays["source"][:3], arrays["l2r_in"][:3], arrays["r2l_in"][:3])
    for mode in ("causal", "full", "none"):
        model = _model(vocab, mode)
        l2r, r2l = model(x)
        assert l2r.shape == r2l.shape == (3, 6, len(vocab))
        changed = x[2].copy()
        changed[:, 3:] = np.where(changed[:, 3:] > 0, 4, 0)  # alter R2L tokens from position 3 on
        l2r_b, _ = model((x[0], x[1], changed))
        # position n sees R2L positions <= n; R2L state 2 only read tokens 0..2
        same_prefix = np.allclose(l2r[:, :3], l2r_b[:, :3], atol=1e-6)
        assert same_prefix == (mode != "full")
        if mode == "none":
            np.testing.assert_allclose(l2r, l2r_b, atol=1e-6)


def test_model_rejects_bad_settings():
    with pytest.raises(ValueError, match="cross_attention"):
        BidirectionalSeq2Seq(10, cross_attention="sideways")
    with pytest.raises(ValueError, match="vocab_size"):
        BidirectionalSeq2Seq(3)
    with pytest.raises(ValueError, match="hidden_dim"):
        BidirectionalSeq2Seq(10, hidden_dim=6, num_heads=4)
    vocab, arrays = _tiny_data()
    with pytest.raises(ValueError, match="step_fn"):
        _model(vocab, "causal").step_fn(arrays["source"][:2], "l2r")
    with pytest.raises(ValueError, match="direction"):
        _model(vocab, "none").step_fn(arrays["source"][:2], "up")
    with pytest.raises(ValueError, match="steps"):
        train_seq2seq(_model(vocab), arrays, steps=0)


def test_model_save_reload_fit_and_tape(tmp_path):
    vocab, arrays = _tiny_data()
    model = _model(vocab)
    x = (arrays["source"], arrays["l2r_in"], arrays["r2l_in"])
    y = (arrays["l2r_out"], arrays["r2l_out"])
    model.compile(optimizer=keras.optimizers.Adam(1e-2), run_eagerly=True)
    history = model.fit(x, y, batch_size=24, epochs=2, verbose=0)
    assert {"loss", "l2r_loss", "r2l_loss"} <= set(history.history)
    assert history.history["loss"][-1] < history.history["loss"][0]
    losses = train_seq2seq(model, arrays, steps=2, batch_size=12, learning_rate=1e-2, compiled=False)
    assert len(losses["l2r"]) == 2 and np.all(np.isfinite(losses["r2l"]))
    # the searches' step graphs (and the RNN that continues cached states) add no weights
    weights = len(model.weights)
    bidirectional_beam_search(model.pair_step_fn(arrays["source"][:2]), 2, 2, 3, len(vocab))
    assert len(model.weights) == weights
    path = tmp_path / "bidecoder.keras"
    model.save(path)
    again = keras.models.load_model(path)
    assert again.get_config()["cross_attention"] == "causal"
    np.testing.assert_allclose(model(x)[0], again(x)[0], atol=1e-6)


def test_model_step_functions_drive_the_searches():
    vocab, arrays = _tiny_data()
    source = arrays["source"][:3]
    model = _model(vocab, "causal")
    pair = model.pair_step_fn(source)
    prefixes = np.full((3, 2, 1), START)
    l2r, r2l = pair(prefixes, prefixes)
    assert l2r.shape == r2l.shape == (3, 2, len(vocab))
    np.testing.assert_allclose(np.exp(l2r).sum(-1), 1.0, rtol=1e-5)
    result = bidirectional_beam_search(pair, 3, 2, 4, len(vocab))
    assert len(result.best) == 3 and all(len(p) <= 4 for p in result.best)
    with pytest.raises(ValueError, match="prefixes"):
        pair(np.full((2, 2, 1), START), np.full((2, 2, 1), START))
    independent = _model(vocab, "none")
    step = independent.step_fn(source, "r2l")
    # with no cross-attention, the pair step's R2L half equals the one-direction step
    np.testing.assert_allclose(step(prefixes), independent.pair_step_fn(source)(np.full_like(prefixes, 5), prefixes)[1],
                               atol=1e-6)


@pytest.mark.parametrize("mode", ["causal", "full", "none"])
def test_all_pairs_equals_decode_on_every_pair(mode):
    vocab, arrays = _tiny_data()
    source = arrays["source"][:3]
    model = _model(vocab, mode)
    rng = np.random.default_rng(1)
    l2r, r2l = (rng.integers(4, len(vocab), (3, 3, 4)) for _ in range(2))
    l2r[:, :, 0] = r2l[:, :, 0] = START
    l2r[0, 1, 2:] = [END, PAD]  # a finished path
    step = model.pair_step_fn(source)
    fast = step.all_pairs(l2r, r2l)
    rows = (np.repeat(l2r, 3, axis=1), np.tile(r2l, (1, 3, 1)))  # row i * 3 + j pairs L2R i with R2L j
    paired = step(*rows)
    memory, mask = model.encode(np.repeat(source, 9, axis=0))
    logits = model.decode(memory, mask, rows[0].reshape(27, 4), rows[1].reshape(27, 4))
    for got, by_rows, z in zip(fast, paired, logits):
        expected = tf.nn.log_softmax(z[:, -1]).numpy().reshape(3, 3, 3, -1)
        np.testing.assert_allclose(got, expected, atol=1e-5)
        np.testing.assert_allclose(by_rows.reshape(3, 3, 3, -1), expected, atol=1e-5)


def test_all_pairs_state_cache_changes_nothing():
    """The vectorised search on the model (all_pairs, whose LSTMs continue cached
    states) picks the paths of the per-pair loop and of plain row calls."""
    vocab, arrays = _tiny_data()
    source = arrays["source"][:4]
    step = _model(vocab, "causal").pair_step_fn(source)
    rows_only = lambda l2r, r2l: step(l2r, r2l)  # no all_pairs: the search builds the k^2 rows
    for k in (1, 3):
        fast = bidirectional_beam_search(step, 4, k, 5, len(vocab), length_penalty=0.5)
        for other in (bidirectional_beam_search(rows_only, 4, k, 5, len(vocab), length_penalty=0.5),
                      bidirectional_beam_search_reference(step, 4, k, 5, len(vocab), length_penalty=0.5)):
            for a, b in ((fast.l2r, other.l2r), (fast.r2l, other.r2l)):
                np.testing.assert_array_equal(a.tokens, b.tokens)
                np.testing.assert_allclose(a.scores, b.scores, rtol=1e-5)
            assert fast.best == other.best
    # a call that does not extend the cached paths recomputes them from scratch
    again = step.all_pairs(np.full((4, 2, 1), START), np.full((4, 2, 1), START))
    np.testing.assert_allclose(again[0][:, 0, 0], step(np.full((4, 1, 1), START), np.full((4, 1, 1), START))[0][:, 0],
                               atol=1e-6)
    with pytest.raises(TypeError, match="l2r_prefixes"):
        step.all_pairs(np.full((4, 2, 1), 2.0), np.full((4, 2, 1), START))


def test_compare_decoders_checks_its_models():
    from blogcode.bidecoder.model import compare_decoders

    source = np.ones((2, 3), np.int32) * 5
    none_model = BidirectionalSeq2Seq(10, 8, 8, 2, cross_attention="none")
    with pytest.raises(ValueError, match="vocab_size"):
        compare_decoders(none_model, BidirectionalSeq2Seq(12, 8, 8, 2), source, 2, 4)
    with pytest.raises(ValueError, match="independent"):
        compare_decoders(BidirectionalSeq2Seq(10, 8, 8, 2), none_model, source, 2, 4)
