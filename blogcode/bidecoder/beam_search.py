"""Decoding in one direction: greedy and beam search over a step function, and the shared beam bookkeeping.

Chapter: "seq2seq with bidirectional decoding" (article 6877, book/bidecoder.md). The
searches in both directions are in :mod:`blogcode.bidecoder.bidirectional`, the
rescoring in :mod:`blogcode.bidecoder.rescoring`; both build on :class:`Beams` and the
argument checks of this module.

Token ids are shared by both directions: 0 padding, 1 unknown, 2 start, 3 end (the
article's numbering). Decoders work on *step functions*, so they can be tested without a
model:

* ``step_fn(prefixes) -> log_probs`` for one direction. ``prefixes`` is an int array
  ``(batch, beams, t)`` that starts with the start id (finished paths carry the end id and
  then padding); the result is a float array ``(batch, beams, vocab_size)`` of next-token
  log-probabilities.
* ``pair_step_fn`` (both directions) is described in :mod:`blogcode.bidecoder.bidirectional`.

Search results hold the generated tokens without the start id, padded with 0. Log
probabilities may be ``-inf`` (an impossible token) but never NaN or ``+inf``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from blogcode import checks

__all__ = ["PAD", "UNK", "START", "END", "BeamResult", "Beams", "greedy_search", "beam_search", "strip_special",
           "check_search_args", "check_step_fn", "check_log_probs"]

PAD, UNK, START, END = 0, 1, 2, 3


@dataclass
class BeamResult:
    """Beams of one direction, best first.

    ``tokens (batch, beams, L)``: generated ids (end id included when a path
    finished), padded with 0. ``log_probs (batch, beams)``: summed
    log-probabilities. ``scores``: ``log_probs / length ** length_penalty``,
    the ranking score. ``lengths``: generated tokens, end id included.
    ``finished``: whether a path produced the end id.
    """

    tokens: np.ndarray
    log_probs: np.ndarray
    scores: np.ndarray
    lengths: np.ndarray
    finished: np.ndarray


# --------------------------------------------------------------------------- checks


def check_search_args(batch_size, beam_size, max_length, vocab_size, start_id, end_id, length_penalty):
    """The settings every search shares, checked by name (TypeError / ValueError)."""
    checks.positive_int(batch_size, "batch_size")
    checks.positive_int(beam_size, "beam_size")
    checks.positive_int(max_length, "max_length")
    checks.integer(vocab_size, "vocab_size", minimum=2)
    for name, value in (("start_id", start_id), ("end_id", end_id)):
        checks.integer(value, name)
        if not PAD < value < vocab_size:
            raise ValueError(f"{name}={value} must be a real id in [1, vocab_size={vocab_size})")
    if beam_size > vocab_size - 1:
        raise ValueError(f"beam_size={beam_size} exceeds the {vocab_size - 1} non-padding ids of vocab_size")
    checks.real(length_penalty, "length_penalty", minimum=0.0)


def check_step_fn(fn, name: str):
    """``fn`` itself, if it is callable (else a TypeError naming ``name``)."""
    return checks.instance_of(fn, name, Callable, "callable")


def check_log_probs(log_probs, expected_shape, name: str) -> np.ndarray:
    """A step function's output as float64 of ``expected_shape``, without NaN or +inf."""
    log_probs = np.asarray(log_probs, dtype=np.float64)
    if log_probs.ndim != len(expected_shape) or log_probs.shape[-1] != expected_shape[-1]:
        raise ValueError(f"{name} returned shape {log_probs.shape}; the vocabularies are inconsistent "
                         f"with vocab_size={expected_shape[-1]} (expected {expected_shape})")
    if log_probs.shape != expected_shape:
        raise ValueError(f"{name} returned shape {log_probs.shape}, expected {expected_shape}")
    # One pass for both: NaN and +inf are the values whose maximum is not below +inf.
    if not log_probs.max(initial=-np.inf) < np.inf:
        bad = "NaN" if np.isnan(log_probs).any() else "+inf"
        raise ValueError(f"{name} returned {bad} log-probabilities")
    return log_probs


# --------------------------------------------------------------------------- one direction


class Beams:
    """The state of one direction's beam: the NumPy bookkeeping shared by all searches.

    ``update`` extends the paths by one step; ``prefixes`` is what the step function reads;
    ``result`` gives the final :class:`BeamResult`."""

    def __init__(self, batch_size, beams, start_id, end_id, length_penalty):
        # tokens are written into a preallocated grid: no concatenation per step
        self.grid = np.zeros((batch_size, beams, 1), np.int64)
        self.grid[..., 0] = start_id
        self.log_probs = np.full((batch_size, beams), -np.inf)
        self.log_probs[:, 0] = 0.0  # one live path; the copies only fill the beam shape
        self.lengths = np.zeros((batch_size, beams), np.int64)
        self.finished = np.zeros((batch_size, beams), bool)
        self.end_id, self.alpha = end_id, length_penalty
        self.rows = np.arange(batch_size)[:, None]

    @property
    def tokens(self) -> np.ndarray:
        return self.grid[:, :, 1:]

    def prefixes(self) -> np.ndarray:
        """``(batch, beams, t)``, start id first: a read-only view, so a step function
        cannot alter the beam."""
        view = self.grid.view()
        view.flags.writeable = False
        return view

    def done(self) -> bool:
        return bool(self.finished.all())

    def scores(self, log_probs=None, lengths=None):
        log_probs = self.log_probs if log_probs is None else log_probs
        lengths = self.lengths if lengths is None else lengths
        if self.alpha == 0:  # x / 1 ** 0: skip the power, the result is the same
            return log_probs
        return log_probs / np.maximum(lengths, 1) ** self.alpha

    def update(self, step_log_probs):
        """Extend every path by every token, keep the best ``beams`` by score;
        ties go to the lower (path, token) index."""
        batch, beams, vocab = step_log_probs.shape
        step_log_probs = step_log_probs.copy()
        step_log_probs[..., PAD] = -np.inf  # a live path never emits padding
        after_end = np.full(vocab, -np.inf)
        after_end[PAD] = 0.0  # a finished path only pads, keeping its score
        candidates = np.where(self.finished[..., None], after_end, step_log_probs) + self.log_probs[..., None]
        lengths = np.where(self.finished, self.lengths, self.lengths + 1)[..., None]
        ranking = self.scores(candidates, lengths).reshape(batch, beams * vocab)
        order = np.argsort(-ranking, axis=1, kind="stable")[:, :beams]
        path, token = order // vocab, order % vocab
        self.grid = np.concatenate([self.grid[self.rows, path], token[..., None]], axis=2)
        self.log_probs = candidates.reshape(batch, -1)[self.rows, order]
        self.lengths = np.broadcast_to(lengths, candidates.shape).reshape(batch, -1)[self.rows, order]
        self.finished = self.finished[self.rows, path] | (token == self.end_id)

    def result(self) -> BeamResult:
        # Paths stay sorted by score after every update; re-sort for safety at the end.
        order = np.argsort(-self.scores(), axis=1, kind="stable")
        rows = self.rows
        return BeamResult(self.tokens[rows, order], self.log_probs[rows, order], self.scores()[rows, order],
                          self.lengths[rows, order], self.finished[rows, order])


def greedy_search(step_fn, batch_size: int, max_length: int, vocab_size: int,
                  start_id: int = START, end_id: int = END) -> BeamResult:
    """Pick the most likely next token (never padding) until the end id or
    ``max_length`` tokens. ``step_fn`` gets ``(batch, 1, t)`` prefixes."""
    check_step_fn(step_fn, "step_fn")
    check_search_args(batch_size, 1, max_length, vocab_size, start_id, end_id, 0.0)
    tokens = np.full((batch_size, 1), start_id, np.int64)
    log_probs = np.zeros(batch_size)
    finished = np.zeros(batch_size, bool)
    lengths = np.zeros(batch_size, np.int64)
    for _ in range(max_length):
        step = check_log_probs(step_fn(tokens[:, None, :]), (batch_size, 1, vocab_size), "step_fn")[:, 0]
        step[:, PAD] = -np.inf
        best = np.argmax(step, axis=1)
        best = np.where(finished, PAD, best)
        log_probs += np.where(finished, 0.0, step[np.arange(batch_size), best])
        lengths += ~finished
        finished |= best == end_id
        tokens = np.concatenate([tokens, best[:, None]], axis=1)
        if finished.all():
            break
    generated = tokens[:, None, 1:]
    return BeamResult(generated, log_probs[:, None], log_probs[:, None], lengths[:, None], finished[:, None])


def beam_search(step_fn, batch_size: int, beam_size: int, max_length: int, vocab_size: int,
                start_id: int = START, end_id: int = END, length_penalty: float = 0.0) -> BeamResult:
    """Batched beam search in one direction.

    ``step_fn(prefixes (batch, beam_size, t)) -> log_probs (batch, beam_size,
    vocab_size)``. Paths are ranked by ``log p / length ** length_penalty``;
    a path that emits ``end_id`` is kept unchanged while the others grow.
    Stops when every path has ended or after ``max_length`` tokens.
    """
    check_step_fn(step_fn, "step_fn")
    check_search_args(batch_size, beam_size, max_length, vocab_size, start_id, end_id, length_penalty)
    beams = Beams(batch_size, beam_size, start_id, end_id, float(length_penalty))
    for _ in range(max_length):
        beams.update(check_log_probs(step_fn(beams.prefixes()), (batch_size, beam_size, vocab_size), "step_fn"))
        if beams.done():
            break
    return beams.result()


def strip_special(token_rows, end_id: int = END) -> list[list[int]]:
    """Token lists cut at the first end id (or padding), specials removed."""
    end_id = checks.integer(end_id, "end_id", minimum=1)
    if isinstance(token_rows, (str, bytes)) or token_rows is None:
        raise TypeError(f"token_rows must be rows of token ids, got {type(token_rows).__name__}")
    out = []
    for row in token_rows:
        kept = []
        for tok in np.asarray(row).tolist():
            if tok == end_id or tok == PAD:
                break
            kept.append(tok)
        out.append(kept)
    return out
