"""Decoding in both directions at once: the article's bidirectional beam search, its per-pair reference and SB-NMT's split beam.

Chapter: "seq2seq with bidirectional decoding" (article 6877, book/bidecoder.md). The
one-direction bookkeeping (:class:`~blogcode.bidecoder.beam_search.Beams`) and the
argument checks are in :mod:`blogcode.bidecoder.beam_search`.

The searches take a *pair step function*
``pair_step_fn(l2r_prefixes, r2l_prefixes) -> (l2r_log_probs, r2l_log_probs)``. Both
prefix arrays are ``(batch, pairs, t)``; row ``p`` pairs one L2R path with one R2L path,
and both results are ``(batch, pairs, vocab_size)``: the next token of each direction
given both paths of the pair. A pair step function *may* also offer
``all_pairs(l2r_prefixes, r2l_prefixes)``: the same scores for every combination of the
``k`` L2R and ``k`` R2L paths, shaped ``(batch, k, k, vocab_size)`` with ``[b, i, j]``
pairing L2R path i with R2L path j. A model can then run each direction's decoder once
per path instead of once per pair; without it the search builds the ``k^2`` rows itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from blogcode import checks
from blogcode.bidecoder.beam_search import (END, START, BeamResult, Beams, check_log_probs, check_search_args,
                                            check_step_fn, strip_special)

__all__ = ["BidirectionalResult", "average_pairs_vectorised", "choose_best", "bidirectional_beam_search",
           "bidirectional_beam_search_reference", "sbnmt_beam_search"]


@dataclass
class BidirectionalResult:
    """Both directions' final beams and the chosen output per input.

    ``best``: a list (one per input) of token lists in reading order, without
    the end id. ``best_direction``: ``"l2r"`` or ``"r2l"`` per input. ``trace``
    (when recorded): one dict per step with both directions' beams.
    """

    l2r: BeamResult
    r2l: BeamResult
    best: list
    best_direction: list
    trace: list = field(default_factory=list)


def _pair_all(l2r: np.ndarray, r2l: np.ndarray):
    """All (L2R path i, R2L path j) pairs as rows ``i * k + j``."""
    k = l2r.shape[1]
    return np.repeat(l2r, k, axis=1), np.tile(r2l, (1, k, 1))


def _score_all_pairs(pair_step_fn, l2r_prefixes, r2l_prefixes, vocab_size):
    """Both directions' next-token log-probabilities for every (i, j) pair, each
    ``(batch, k, k, vocab_size)``, from one call (``all_pairs`` when offered)."""
    batch, k, _ = l2r_prefixes.shape
    shape = (batch, k, k, vocab_size)
    all_pairs = getattr(pair_step_fn, "all_pairs", None)
    if all_pairs is not None:
        l2r_lp, r2l_lp = all_pairs(l2r_prefixes, r2l_prefixes)
        name = "pair_step_fn.all_pairs"
    else:
        l2r_lp, r2l_lp = pair_step_fn(*_pair_all(l2r_prefixes, r2l_prefixes))
        l2r_lp, r2l_lp = np.reshape(l2r_lp, (batch, k, k, -1)), np.reshape(r2l_lp, (batch, k, k, -1))
        name = "pair_step_fn"
    return check_log_probs(l2r_lp, shape, f"{name} (L2R)"), check_log_probs(r2l_lp, shape, f"{name} (R2L)")


def average_pairs_vectorised(pair_step_fn, l2r_prefixes, r2l_prefixes, vocab_size):
    """One call on all k^2 pairs; each direction's next-token probability is the
    mean over the other direction's k paths (the k^3 candidates reduced to k^2)."""
    k = l2r_prefixes.shape[1]
    l2r_lp, r2l_lp = _score_all_pairs(pair_step_fn, l2r_prefixes, r2l_prefixes, vocab_size)
    with np.errstate(divide="ignore"):
        return np.log(np.exp(l2r_lp).sum(axis=2) / k), np.log(np.exp(r2l_lp).sum(axis=1) / k)


def _average_pairs_loop(pair_step_fn, l2r_prefixes, r2l_prefixes, vocab_size):
    """The same averages, one pair at a time (the slow reference)."""
    batch, k, _ = l2r_prefixes.shape
    l2r_sum = np.zeros((batch, k, vocab_size))
    r2l_sum = np.zeros((batch, k, vocab_size))
    for i in range(k):
        for j in range(k):
            l2r_lp, r2l_lp = pair_step_fn(l2r_prefixes[:, i:i + 1], r2l_prefixes[:, j:j + 1])
            l2r_sum[:, i] += np.exp(check_log_probs(l2r_lp, (batch, 1, vocab_size), "pair_step_fn (L2R)"))[:, 0]
            r2l_sum[:, j] += np.exp(check_log_probs(r2l_lp, (batch, 1, vocab_size), "pair_step_fn (R2L)"))[:, 0]
    with np.errstate(divide="ignore"):
        return np.log(l2r_sum / k), np.log(r2l_sum / k)


def _pair_by_rank(pair_step_fn, l2r_prefixes, r2l_prefixes, vocab_size):
    """SB-NMT-style interaction: the i-th L2R path with the i-th R2L path."""
    l2r_lp, r2l_lp = pair_step_fn(l2r_prefixes, r2l_prefixes)
    shape = l2r_prefixes.shape[:2] + (vocab_size,)
    return (check_log_probs(l2r_lp, shape, "pair_step_fn (L2R)"),
            check_log_probs(r2l_lp, shape, "pair_step_fn (R2L)"))


def _snapshot(beams: Beams) -> dict:
    return {"tokens": beams.tokens.copy(), "scores": beams.scores().copy(), "finished": beams.finished.copy()}


def choose_best(l2r: BeamResult, r2l: BeamResult):
    """``(best, directions)``: per input, the best finished path of either direction
    (unfinished ones only if none finished), R2L paths read backwards; a tie goes to L2R."""
    best, directions = [], []
    for b in range(l2r.tokens.shape[0]):
        options = []
        for name, res in (("l2r", l2r), ("r2l", r2l)):
            for p in range(res.tokens.shape[1]):
                if np.isfinite(res.scores[b, p]):
                    options.append((not res.finished[b, p], -res.scores[b, p], len(options), name,
                                    res.tokens[b, p]))
        _, _, _, name, tokens = min(options)
        content = strip_special([tokens])[0]
        best.append(content if name == "l2r" else content[::-1])
        directions.append(name)
    return best, directions


def _bidirectional(pair_step_fn, scorer, batch_size, beams_per_direction, max_length, vocab_size,
                   start_id, end_id, length_penalty, record):
    l2r = Beams(batch_size, beams_per_direction, start_id, end_id, length_penalty)
    r2l = Beams(batch_size, beams_per_direction, start_id, end_id, length_penalty)
    trace = [{"l2r": _snapshot(l2r), "r2l": _snapshot(r2l)}] if record else []
    for _ in range(max_length):
        l2r_lp, r2l_lp = scorer(pair_step_fn, l2r.prefixes(), r2l.prefixes(), vocab_size)
        l2r.update(l2r_lp)
        r2l.update(r2l_lp)
        if record:
            trace.append({"l2r": _snapshot(l2r), "r2l": _snapshot(r2l)})
        if l2r.done() and r2l.done():
            break
    l2r_res, r2l_res = l2r.result(), r2l.result()
    best, directions = choose_best(l2r_res, r2l_res)
    return BidirectionalResult(l2r_res, r2l_res, best, directions, trace)


def _check_bidirectional_args(pair_step_fn, batch_size, beam_size, max_length, vocab_size, start_id, end_id,
                              length_penalty):
    check_step_fn(pair_step_fn, "pair_step_fn")
    check_search_args(batch_size, beam_size, max_length, vocab_size, start_id, end_id, length_penalty)
    return float(length_penalty)


def bidirectional_beam_search(pair_step_fn, batch_size: int, beam_size: int, max_length: int, vocab_size: int,
                              start_id: int = START, end_id: int = END, length_penalty: float = 0.0,
                              record: bool = False) -> BidirectionalResult:
    """The article's bidirectional beam search, vectorised.

    Each direction keeps ``beam_size`` (k) paths. Every step scores all k^2
    (L2R path, R2L path) pairs in one call: ``pair_step_fn.all_pairs`` when the
    step function has it, else ``pair_step_fn`` on rows shaped ``(batch, k * k, t)``,
    row ``i * k + j`` pairing L2R path i with R2L path j. The next-token
    probabilities of L2R path i are averaged over the k R2L paths (and vice
    versa), which reduces the k^3 (token, path, path) candidates to k^2 per
    direction; each direction then keeps its best k. The output is the
    best-scoring finished path of either direction.
    """
    length_penalty = _check_bidirectional_args(pair_step_fn, batch_size, beam_size, max_length, vocab_size,
                                               start_id, end_id, length_penalty)
    record = checks.boolean(record, "record")
    return _bidirectional(pair_step_fn, average_pairs_vectorised, batch_size, beam_size, max_length,
                          vocab_size, start_id, end_id, length_penalty, record)


def bidirectional_beam_search_reference(pair_step_fn, batch_size: int, beam_size: int, max_length: int,
                                        vocab_size: int, start_id: int = START, end_id: int = END,
                                        length_penalty: float = 0.0) -> BidirectionalResult:
    """The same search with one ``pair_step_fn`` call per (i, j) pair, each
    shaped ``(batch, 1, t)``: k^2 calls per step. The tests' reference."""
    length_penalty = _check_bidirectional_args(pair_step_fn, batch_size, beam_size, max_length, vocab_size,
                                               start_id, end_id, length_penalty)
    return _bidirectional(pair_step_fn, _average_pairs_loop, batch_size, beam_size, max_length,
                          vocab_size, start_id, end_id, length_penalty, False)


def sbnmt_beam_search(pair_step_fn, batch_size: int, beam_size: int, max_length: int, vocab_size: int,
                      start_id: int = START, end_id: int = END, length_penalty: float = 0.0) -> BidirectionalResult:
    """SB-NMT's split beam (our reading): k//2 L2R paths and k//2 R2L paths,
    the i-th of one direction interacting with the i-th of the other, so each
    step costs k/2 model rows instead of k^2. ``beam_size`` must be >= 2."""
    length_penalty = _check_bidirectional_args(pair_step_fn, batch_size, beam_size, max_length, vocab_size,
                                               start_id, end_id, length_penalty)
    if beam_size < 2:
        raise ValueError(f"beam_size must be >= 2 to split it between two directions, got {beam_size}")
    return _bidirectional(pair_step_fn, _pair_by_rank, batch_size, beam_size // 2, max_length,
                          vocab_size, start_id, end_id, length_penalty, False)
