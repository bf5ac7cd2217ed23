"""BTTR-style rescoring: independent beams in each direction, each final path scored by the opposite direction.

Chapter: "seq2seq with bidirectional decoding" (article 6877, book/bidecoder.md). The
beams come from :func:`blogcode.bidecoder.beam_search.beam_search`; the choice between
the two directions is :func:`blogcode.bidecoder.bidirectional.choose_best`.
"""

from __future__ import annotations

import numpy as np

from blogcode import checks
from blogcode.bidecoder.beam_search import (END, PAD, START, beam_search, check_log_probs, check_search_args,
                                            check_step_fn, strip_special)
from blogcode.bidecoder.bidirectional import BidirectionalResult, choose_best

__all__ = ["sequence_log_probs", "rescored_beam_search"]


def _token_grid(sequences, end_id):
    """``batch`` rows of ``n`` token lists -> ``(batch, n, width)`` ids with the end id appended."""
    rows = checks.nonempty(sequences, "sequences")
    rows = [checks.nonempty(row, f"sequences[{b}]") for b, row in enumerate(rows)]
    n = len(rows[0])
    if any(len(row) != n for row in rows):
        raise ValueError("sequences must hold equally many token lists in every row")
    targets = []
    for b, row in enumerate(rows):
        for p, seq in enumerate(row):
            if isinstance(seq, (str, bytes)) or not hasattr(seq, "__len__"):
                raise TypeError(f"sequences[{b}][{p}] must be a list of token ids, got {type(seq).__name__}")
            targets.append([checks.integer(t, f"sequences[{b}][{p}]", minimum=0) for t in seq] + [end_id])
    width = max(len(s) for s in targets)
    grid = np.zeros((len(rows) * n, width), np.int64)
    for r, seq in enumerate(targets):
        grid[r, :len(seq)] = seq
    return grid.reshape(len(rows), n, width)


def sequence_log_probs(step_fn, sequences, vocab_size: int, start_id: int = START, end_id: int = END):
    """Teacher-forced log p of each token list under ``step_fn`` (end id
    appended); ``sequences`` is ``batch`` lists of ``n`` token lists each.
    Returns ``(batch, n)`` summed log-probabilities and lengths."""
    check_step_fn(step_fn, "step_fn")
    grid = _token_grid(sequences, checks.integer(end_id, "end_id"))
    batch, n, width = grid.shape
    check_search_args(batch, 1, width, vocab_size, start_id, end_id, 0.0)
    lengths = (grid != PAD).sum(axis=2)
    total = np.zeros((batch, n))
    prefixes = np.concatenate([np.full((batch, n, 1), start_id), grid], axis=2)
    for t in range(width):
        log_probs = check_log_probs(step_fn(prefixes[:, :, :t + 1]), (batch, n, vocab_size), "step_fn")
        picked = np.take_along_axis(log_probs, grid[:, :, t:t + 1], axis=2)[..., 0]
        total += np.where(t < lengths, picked, 0.0)
    return total, lengths


def rescored_beam_search(l2r_step_fn, r2l_step_fn, batch_size: int, beam_size: int, max_length: int,
                         vocab_size: int, start_id: int = START, end_id: int = END,
                         length_penalty: float = 0.0) -> BidirectionalResult:
    """BTTR-style decoding: an independent beam in each direction, then every
    final path is rescored by the opposite direction (teacher-forced) and the
    path with the best mean of both directions' scores wins."""
    check_step_fn(l2r_step_fn, "l2r_step_fn")
    check_step_fn(r2l_step_fn, "r2l_step_fn")
    l2r = beam_search(l2r_step_fn, batch_size, beam_size, max_length, vocab_size, start_id, end_id, length_penalty)
    r2l = beam_search(r2l_step_fn, batch_size, beam_size, max_length, vocab_size, start_id, end_id, length_penalty)
    for res, other_fn in ((l2r, r2l_step_fn), (r2l, l2r_step_fn)):
        # the opposite direction reads each path backwards
        paths = [[s[::-1] for s in strip_special(row, end_id)] for row in res.tokens]
        other, _ = sequence_log_probs(other_fn, paths, vocab_size, start_id, end_id)
        both = (res.log_probs + other) / 2
        res.scores = np.where(np.isfinite(res.log_probs), both / np.maximum(res.lengths, 1) ** length_penalty,
                              -np.inf)
    best, directions = choose_best(l2r, r2l)
    return BidirectionalResult(l2r, r2l, best, directions)
