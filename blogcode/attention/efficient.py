"""The atrous, local and sparse forms of attention that skip the zeros.

Chapter: "Born to save: from standard attention to sparse attention"
(book/attention.md, article 6853). ``atrous_attention``, ``local_attention``
and ``sparse_attention`` never build the ``n x n`` score matrix: they cut the
(zero-padded) sequence into blocks or interleaved subsequences and score each
query only against the keys its pattern can reach, with a fixed number of
reshapes, batched matrix products and fused softmaxes (no loop over the
queries), compiled by XLA whether they are called eagerly or inside a
graph, so they are fast however they are called.
They give the same result as ``blogcode.attention.patterns.dense_attention``
with ``attention_mask(pattern, padding)``; shapes and masks follow the
conventions of ``blogcode.attention.patterns``.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from blogcode import checks
from blogcode.attention.blocks import (after, band_parts, joined_parts, normalized, pad_length, part_exponentials,
                                       real_keys, static_dims, unflatten_blocks)
from blogcode.attention.compiling import compiled
from blogcode.attention.patterns import check_qkv, padding_mask, score_scale

__all__ = [
    "atrous_attention",
    "local_attention",
    "sparse_attention",
    "CORES",
]

# Two layouts. Blocks (``blogcode.attention.blocks``): the (zero-padded)
# sequence cut into blocks, ``(b * nb, block, d)``. Subsequences: positions
# a multiple of ``rate`` apart, read from the same memory as ``(b, m, rate,
# d)`` with ``m = n / rate``: column ``c`` holds positions ``c, c + rate, ...``.
#
# * local: the band in blocks of ``neighbors`` (``band_parts``): each block
#   of queries against its previous, own and next key block, ``3 k n`` scores;
# * atrous: dense attention inside each subsequence, scores ``(b, rate, m,
#   m)``, ``n^2 / rate`` of them;
# * sparse: the band's parts and the strided part, each unnormalised
#   (``part_exponentials``) and joined exactly (``joined_parts``), so no
#   score tensor is ever concatenated, sliced or moved between the layouts:
#   only outputs (``n x d``) and per-query statistics are.
#
# XLA fuses the scale, the mask and the softmax's passes over the scores
# into few loops, which on 2 CPU cores is what the forms' time beyond the
# matrix products is spent on.

def _subsequences(x: tf.Tensor, rate: int) -> tf.Tensor:
    """``(b, n, ...)`` -> ``(b, m, rate, ...)`` (zero-padded), a reshape, no
    copy: position ``t rate + c`` at ``[:, t, c]``, so subsequence ``c``
    (positions ``c, c + rate, ...``) is ``[:, :, c]``, and ``[:, t]`` is block
    ``t`` of ``rate`` positions. The scores take the subsequences from this
    layout through one transpose per operand, the output by ``einsum``."""
    x = pad_length(x, rate)
    dims = static_dims(x)
    return tf.reshape(x, [dims[0], dims[1] // rate, rate] + dims[2:])


def _stride_steps_allowed(m, min_distance: int, causal: bool):
    """Which key steps ``s`` a query at step ``t`` of its subsequence may see:
    ``|t - s| >= min_distance`` (and ``t >= s`` when causal)."""
    if isinstance(m, int):  # static: a constant, folded away
        steps = np.arange(m)[:, None] - np.arange(m)[None, :]
        return tf.constant((np.abs(steps) >= min_distance) & ((steps >= 0) if causal else True))
    steps = tf.range(m)[:, None] - tf.range(m)[None, :]
    allowed = tf.abs(steps) >= min_distance
    return allowed & (steps >= 0) if causal else allowed


def _strided_scores(q, k, valid, rate: int, causal: bool, min_distance: int = 0, masked: bool = True):
    """Scores of every query against the keys a multiple of ``rate`` away:
    dense attention inside each of the ``rate`` interleaved subsequences,
    ``(b, rate, m, m)`` with ``m = n / rate`` (rounded up), and which of them
    are allowed (None when all are: ``masked=False``). ``min_distance``
    drops keys fewer than that many steps of ``rate`` away; the sparse form
    uses it to count the band's keys once."""
    # Explicit transposes to (b, rate, m, d), so the keys' copy keeps d innermost (einsum's was a slower transpose).
    queries, keys = (tf.transpose(_subsequences(x, rate), [0, 2, 1, 3]) for x in (q, k))
    scores = tf.matmul(queries, keys, transpose_b=True)
    if not masked:
        return scores, None
    steps = _stride_steps_allowed(static_dims(scores)[2], min_distance, causal)
    keys_valid = tf.transpose(_subsequences(valid, rate), [0, 2, 1])  # (b, rate, m)
    return scores, steps[None, None] & keys_valid[:, :, None, :]


def _strided_output(weights, v, rate: int) -> tf.Tensor:
    """Weights over the subsequences, ``(b, rate, m, m)``, times the values:
    the output in blocks of ``rate``, ``(b * m, rate, d)``."""
    out = tf.einsum("bcts,bscd->btcd", weights, _subsequences(v, rate))
    dims = static_dims(out)
    return tf.reshape(out, [dims[0] * dims[1], dims[2], dims[3]])


def _subsequences_to_blocks(x: tf.Tensor) -> tf.Tensor:
    """``(b, rate, m, d)`` -> ``(b * m, rate, d)``: back to blocks of ``rate``."""
    dims = static_dims(x)
    return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [dims[0] * dims[2], dims[1], dims[3]])


def _zero_padding_queries(out: tf.Tensor, valid) -> tf.Tensor:
    """A padding query attends to nothing: its output is 0 (as dense attention's)."""
    return out if valid is None else tf.where(valid[..., None], out, tf.zeros((), out.dtype))


@compiled
def _local_core(q, k, v, valid, neighbors: int, block: int, causal: bool):
    batch, n = static_dims(q)[:2]
    out = normalized(*joined_parts(band_parts(q, k, v, valid, neighbors, block, causal, score_scale(q))))
    return _zero_padding_queries(unflatten_blocks(out, batch, n), valid)


def _strided_part(q, k, v, valid, rate: int, causal: bool, scale, min_distance: int = 0, masked: bool = True):
    """Attention over the keys a multiple of ``rate`` away, in blocks of
    ``rate``: its unnormalised output and ``(top, sum)`` (arguments as for
    ``_strided_scores``). The atrous form is this part alone; the sparse form
    drops the keys at offsets 0 and +-rate (``min_distance=2``), which are
    the band's, so that each counts once."""
    exps, stats = part_exponentials(*_strided_scores(q, k, valid, rate, causal, min_distance, masked), scale)
    return _strided_output(exps, v, rate), tuple(_subsequences_to_blocks(t) for t in stats)


@compiled
def _atrous_core(q, k, v, valid, rate: int, causal: bool):
    batch, n = static_dims(q)[:2]
    # Without causality, padding or a ragged last block every key is allowed: no select at all.
    masked = causal or valid is not None or not (isinstance(n, int) and n % rate == 0)
    out = normalized(*_strided_part(q, k, v, real_keys(q, valid), rate, causal, score_scale(q), masked=masked))
    return _zero_padding_queries(unflatten_blocks(out, batch, n), valid)


@compiled
def _sparse_core(q, k, v, valid, rate: int, causal: bool):
    batch, n = static_dims(q)[:2]
    scale, query_valid = score_scale(q), valid
    # Pad once to whole blocks of ``rate`` (band blocks and subsequences alike);
    # then only a padding mask says which keys are real (None: all are).
    if not (valid is None and isinstance(n, int) and n % rate == 0):
        valid = pad_length(real_keys(q, valid), rate)
    q, k, v = (pad_length(t, rate) for t in (q, k, v))

    def strided(wait=None):
        qs, ks, vs = (t if wait is None else after(wait, t) for t in (q, k, v))
        out, stats = _strided_part(qs, ks, vs, real_keys(qs, valid), rate, causal, scale, min_distance=2)
        return out, stats, out

    # Two chains (joined_parts): the strided part, then the band's own block; the
    # band's neighbouring blocks. At n = 4096: 5-9 % faster than one chain, and XLA
    # needs 5.1 MiB of scratch memory in this order, 6.1 MiB with the band first.
    out = normalized(*joined_parts([strided] + band_parts(q, k, v, valid, rate, rate, causal, scale)))
    return _zero_padding_queries(unflatten_blocks(out, batch, n), query_valid)


def _checked(q, k, v, mask):
    """``q, k, v`` checked for self-attention, and the bool padding mask
    (None for none: the graph then makes it, and with static shapes folds
    every mask into a constant)."""
    q, k, v = check_qkv(q, k, v, same_length=True)
    return q, k, v, None if mask is None else padding_mask(mask, q)


def atrous_attention(q, k, v, rate: int, mask=None, causal: bool = False):
    """Attention with the atrous pattern ``(i - j) mod rate == 0``, computed
    on blocks of ``rate``: each query meets the same slot of every block,
    ``n^2 / rate`` scores, time and memory O(n^2 / rate)."""
    rate, causal = checks.positive_int(rate, "rate"), checks.boolean(causal, "causal")
    return _atrous_core(*_checked(q, k, v, mask), rate, causal)


def local_attention(q, k, v, neighbors: int, mask=None, causal: bool = False, block_size: int | None = None):
    """Attention with the local pattern ``|i - j| <= neighbors``, computed in
    blocks: each block of ``block_size`` queries (default ``neighbors``) meets
    only the key blocks the band reaches (``band_parts``: the previous, own
    and next one when ``block_size == neighbors``), so time and memory grow
    like ``3 * block_size * n`` instead of ``n^2``."""
    neighbors, causal = checks.positive_int(neighbors, "neighbors"), checks.boolean(causal, "causal")
    block = neighbors if block_size is None else checks.positive_int(block_size, "block_size")
    return _local_core(*_checked(q, k, v, mask), neighbors, block, causal)


def sparse_attention(q, k, v, rate: int, mask=None, causal: bool = False):
    """Attention with the sparse pattern ``|i - j| <= rate or (i - j) mod
    rate == 0``: the band part (blocks of ``rate``) and the strided part of
    each query, each an unnormalised softmax part, joined exactly by
    ``merge_parts`` into the one softmax over both. Keys in both sets (offsets 0 and
    ``+-rate``) are dropped from the strided part, so each counts once."""
    rate, causal = checks.positive_int(rate, "rate"), checks.boolean(causal, "causal")
    return _sparse_core(*_checked(q, k, v, mask), rate, causal)


#: The graph of each form by name, for tests (``CORES["local"].compiled`` counts its tracings).
CORES = {"atrous": _atrous_core, "local": _local_core, "sparse": _sparse_core}
