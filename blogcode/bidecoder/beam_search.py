"""Decoders for seq2seq with bidirectional decoding: greedy, beam, and four bidirectional searches.

Chapter: "seq2seq with bidirectional decoding" (article 6877, book/bidecoder.md). The model
is in :mod:`blogcode.bidecoder.model`, which re-exports every name of this module.

Token ids are shared by both directions: 0 padding, 1 unknown, 2 start, 3 end (the
article's numbering). Decoders work on *step functions*, so they can be tested without a
model:

* ``step_fn(prefixes) -> log_probs`` for one direction. ``prefixes`` is an int array
  ``(batch, beams, t)`` that starts with the start id (finished paths carry the end id and
  then padding); the result is a float array ``(batch, beams, vocab_size)`` of next-token
  log-probabilities.
* ``pair_step_fn(l2r_prefixes, r2l_prefixes) -> (l2r_log_probs, r2l_log_probs)`` for the
  bidirectional model. Both prefix arrays are ``(batch, pairs, t)``; row ``p`` pairs one
  L2R path with one R2L path, and both results are ``(batch, pairs, vocab_size)``: the next
  token of each direction given both paths of the pair.
  A pair step function *may* also offer ``all_pairs(l2r_prefixes, r2l_prefixes)``: the
  same scores for every combination of the ``k`` L2R and ``k`` R2L paths, shaped
  ``(batch, k, k, vocab_size)`` with ``[b, i, j]`` pairing L2R path i with R2L path j. A
  model can then run each direction's decoder once per path instead of once per pair;
  without it the search builds the ``k^2`` rows itself.

Search results hold the generated tokens without the start id, padded with 0. Log
probabilities may be ``-inf`` (an impossible token) but never NaN or ``+inf``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from blogcode import checks

__all__ = [
    "PAD", "UNK", "START", "END",
    "BeamResult", "BidirectionalResult",
    "greedy_search", "beam_search", "bidirectional_beam_search",
    "bidirectional_beam_search_reference", "sbnmt_beam_search", "rescored_beam_search",
    "sequence_log_probs", "strip_special",
]

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


# --------------------------------------------------------------------------- checks


def _check_search_args(batch_size, beam_size, max_length, vocab_size, start_id, end_id, length_penalty):
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


def _check_step_fn(fn, name: str):
    return checks.instance_of(fn, name, Callable, "callable")


def _check_log_probs(log_probs, expected_shape, name: str) -> np.ndarray:
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


class _Beams:
    """The state of one direction's beam: the NumPy bookkeeping shared by all searches."""

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
    _check_step_fn(step_fn, "step_fn")
    _check_search_args(batch_size, 1, max_length, vocab_size, start_id, end_id, 0.0)
    tokens = np.full((batch_size, 1), start_id, np.int64)
    log_probs = np.zeros(batch_size)
    finished = np.zeros(batch_size, bool)
    lengths = np.zeros(batch_size, np.int64)
    for _ in range(max_length):
        step = _check_log_probs(step_fn(tokens[:, None, :]), (batch_size, 1, vocab_size), "step_fn")[:, 0]
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
    _check_step_fn(step_fn, "step_fn")
    _check_search_args(batch_size, beam_size, max_length, vocab_size, start_id, end_id, length_penalty)
    beams = _Beams(batch_size, beam_size, start_id, end_id, float(length_penalty))
    for _ in range(max_length):
        beams.update(_check_log_probs(step_fn(beams.prefixes()), (batch_size, beam_size, vocab_size), "step_fn"))
        if beams.done():
            break
    return beams.result()


# --------------------------------------------------------------------------- both directions


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
    return _check_log_probs(l2r_lp, shape, f"{name} (L2R)"), _check_log_probs(r2l_lp, shape, f"{name} (R2L)")


def _average_pairs_vectorised(pair_step_fn, l2r_prefixes, r2l_prefixes, vocab_size):
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
            l2r_sum[:, i] += np.exp(_check_log_probs(l2r_lp, (batch, 1, vocab_size), "pair_step_fn (L2R)"))[:, 0]
            r2l_sum[:, j] += np.exp(_check_log_probs(r2l_lp, (batch, 1, vocab_size), "pair_step_fn (R2L)"))[:, 0]
    with np.errstate(divide="ignore"):
        return np.log(l2r_sum / k), np.log(r2l_sum / k)


def _pair_by_rank(pair_step_fn, l2r_prefixes, r2l_prefixes, vocab_size):
    """SB-NMT-style interaction: the i-th L2R path with the i-th R2L path."""
    l2r_lp, r2l_lp = pair_step_fn(l2r_prefixes, r2l_prefixes)
    shape = l2r_prefixes.shape[:2] + (vocab_size,)
    return (_check_log_probs(l2r_lp, shape, "pair_step_fn (L2R)"),
            _check_log_probs(r2l_lp, shape, "pair_step_fn (R2L)"))


def _snapshot(beams: _Beams) -> dict:
    return {"tokens": beams.tokens.copy(), "scores": beams.scores().copy(), "finished": beams.finished.copy()}


def _choose(l2r: BeamResult, r2l: BeamResult):
    """The best finished path of either direction (unfinished ones only if none
    finished), R2L paths read backwards; a tie goes to L2R."""
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
    l2r = _Beams(batch_size, beams_per_direction, start_id, end_id, length_penalty)
    r2l = _Beams(batch_size, beams_per_direction, start_id, end_id, length_penalty)
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
    best, directions = _choose(l2r_res, r2l_res)
    return BidirectionalResult(l2r_res, r2l_res, best, directions, trace)


def _check_bidirectional_args(pair_step_fn, batch_size, beam_size, max_length, vocab_size, start_id, end_id,
                              length_penalty):
    _check_step_fn(pair_step_fn, "pair_step_fn")
    _check_search_args(batch_size, beam_size, max_length, vocab_size, start_id, end_id, length_penalty)
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
    return _bidirectional(pair_step_fn, _average_pairs_vectorised, batch_size, beam_size, max_length,
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


# --------------------------------------------------------------------------- rescoring


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
    _check_step_fn(step_fn, "step_fn")
    grid = _token_grid(sequences, checks.integer(end_id, "end_id"))
    batch, n, width = grid.shape
    _check_search_args(batch, 1, width, vocab_size, start_id, end_id, 0.0)
    lengths = (grid != PAD).sum(axis=2)
    total = np.zeros((batch, n))
    prefixes = np.concatenate([np.full((batch, n, 1), start_id), grid], axis=2)
    for t in range(width):
        log_probs = _check_log_probs(step_fn(prefixes[:, :, :t + 1]), (batch, n, vocab_size), "step_fn")
        picked = np.take_along_axis(log_probs, grid[:, :, t:t + 1], axis=2)[..., 0]
        total += np.where(t < lengths, picked, 0.0)
    return total, lengths


def rescored_beam_search(l2r_step_fn, r2l_step_fn, batch_size: int, beam_size: int, max_length: int,
                         vocab_size: int, start_id: int = START, end_id: int = END,
                         length_penalty: float = 0.0) -> BidirectionalResult:
    """BTTR-style decoding: an independent beam in each direction, then every
    final path is rescored by the opposite direction (teacher-forced) and the
    path with the best mean of both directions' scores wins."""
    _check_step_fn(l2r_step_fn, "l2r_step_fn")
    _check_step_fn(r2l_step_fn, "r2l_step_fn")
    l2r = beam_search(l2r_step_fn, batch_size, beam_size, max_length, vocab_size, start_id, end_id, length_penalty)
    r2l = beam_search(r2l_step_fn, batch_size, beam_size, max_length, vocab_size, start_id, end_id, length_penalty)
    for res, other_fn in ((l2r, r2l_step_fn), (r2l, l2r_step_fn)):
        # the opposite direction reads each path backwards
        paths = [[s[::-1] for s in strip_special(row, end_id)] for row in res.tokens]
        other, _ = sequence_log_probs(other_fn, paths, vocab_size, start_id, end_id)
        both = (res.log_probs + other) / 2
        res.scores = np.where(np.isfinite(res.log_probs), both / np.maximum(res.lengths, 1) ** length_penalty,
                              -np.inf)
    best, directions = _choose(l2r, r2l)
    return BidirectionalResult(l2r, r2l, best, directions)


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
