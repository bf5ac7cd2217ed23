"""Toy step functions and tiny models shared by the bidecoder tests.

The toy step functions use fixed random logits, so the searches need no training
and every expected value can be worked out independently.
"""

import numpy as np

from blogcode import set_seed
from blogcode.bidecoder.beam_search import END
from blogcode.bidecoder.model import BidirectionalSeq2Seq
from blogcode.bidecoder.tasks import CharVocabulary, encode_pairs, sorting_pairs

VOCAB = 8


def log_softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def prefix_hash(prefixes, batch_rows):
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
        return log_softmax(table[prefix_hash(prefixes, rows) % 1009])

    return step


def toy_pair_step_fn(seed=0, end_bias=0.0):
    """Both directions; each direction's logits depend on both paths of the pair."""
    table = np.random.default_rng(seed).normal(scale=2.0, size=(1009, VOCAB))
    table[:, END] += end_bias

    def step(l2r, r2l):
        l2r, r2l = np.asarray(l2r), np.asarray(r2l)
        rows = np.arange(l2r.shape[0])[:, None]
        a, b = prefix_hash(l2r, rows), prefix_hash(r2l, rows)
        return log_softmax(table[(3 * a + b) % 1009]), log_softmax(table[(a + 5 * b + 1) % 1009])

    return step


def tiny_data(n=24):
    pairs = sorting_pairs(n, 3, 5, "abcdef", seed=1)
    vocab = CharVocabulary([t + s for t, s in pairs])
    return vocab, encode_pairs(pairs, vocab, 5, 5)


def tiny_model(vocab, mode="causal"):
    set_seed(0)
    return BidirectionalSeq2Seq(len(vocab), embed_dim=8, hidden_dim=8, num_heads=2, cross_attention=mode)


def independent_model():
    return BidirectionalSeq2Seq(10, 8, 8, 2, cross_attention="none")


def preferring_pair_step(l2r, r2l):
    """Both directions prefer token 4 + (length mod 3), and the end id after three
    tokens: a search whose every step is predictable (the figure and widget tests)."""
    l2r = np.asarray(l2r)
    logits = np.zeros(l2r.shape[:2] + (VOCAB,))
    logits[..., 4 + l2r.shape[2] % 3] = 2.0
    logits[..., 3] = 3.0 if l2r.shape[2] > 3 else -3.0
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    return log_probs, log_probs


def letters(ids):
    """Token ids as letters a-h."""
    return "".join("abcdefgh"[i] for i in ids)


def recorded_search():
    """A recorded bidirectional beam search (2 rows, beam 2, up to 6 tokens) of
    ``preferring_pair_step``."""
    from blogcode.bidecoder.bidirectional import bidirectional_beam_search

    return bidirectional_beam_search(preferring_pair_step, 2, 2, 6, VOCAB, record=True)
