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
from blogcode.attention.compiling import compiled
from blogcode.attention.patterns import check_qkv, padding_mask, score_scale

__all__ = [
    "atrous_attention",
    "local_attention",
    "sparse_attention",
    "band_parts",
    "part_softmax",
    "merge_parts",
    "CORES",
]

# Two layouts. Blocks: the (zero-padded) sequence cut into blocks of
# ``block`` positions, batch and blocks flattened into one axis, ``(b * nb,
# block, d)``: row ``r`` is block ``r % nb`` of sequence ``r // nb``.
# Subsequences: positions a multiple of ``rate`` apart, read from the same
# memory as ``(b, m, rate, d)`` with ``m = n / rate``: column ``c`` holds
# positions ``c, c + rate, ...``, and ``einsum`` multiplies along the columns.
#
# * local: each block of queries against each key block the band reaches
#   (the previous, own and next block when ``block == neighbors``), one
#   ``(b * nb, block, block)`` batched matmul and softmax per key block,
#   joined by their log-sum-exps (``merge_parts``): ``3 block n`` scores in
#   all. For a neighbouring key block the queries are shifted to the keys and
#   the outputs shifted back, so the keys and values are never copied;
# * atrous: dense attention inside each subsequence, scores ``(b, rate, m,
#   m)``, ``n^2 / rate`` of them;
# * sparse: the band's parts and the strided part, each with its own
#   softmax, merged exactly by their log-sum-exps (``merge_parts``), so no
#   score tensor is ever concatenated, sliced or moved between the layouts:
#   only outputs (``n x d``) and per-query statistics are.
#
# A masked score is set to the dtype's lowest finite value rather than -inf
# (``part_softmax``), so masking is one select and no NaN can arise. XLA
# fuses the scale, the select and the softmax's passes over the scores into
# few loops, which on 2 CPU cores is what the forms' time beyond the matrix
# products is spent on. XLA copies a slice that feeds a matrix product (where
# TensorFlow's graph takes it in place), hence the shifted queries: a copy of
# the queries, of ``n x d``, not one of the keys and one of the values per
# part.

def _dims(x: tf.Tensor) -> list:
    """The shape of ``x``: Python ints where known, scalar tensors otherwise
    (so static shapes stay static through reshapes)."""
    static = x.shape.as_list()
    if all(d is not None for d in static):
        return static
    dynamic = tf.shape(x)
    return [dynamic[i] if d is None else d for i, d in enumerate(static)]


def _pad_length(x: tf.Tensor, multiple: int) -> tf.Tensor:
    """``(b, n, ...)`` zero-padded (False for a mask) to a multiple of ``multiple``."""
    extra = (-_dims(x)[1]) % multiple
    if isinstance(extra, int) and extra == 0:
        return x
    return tf.pad(x, [[0, 0], [0, extra]] + [[0, 0]] * (x.shape.rank - 2))


def _flat_blocks(x: tf.Tensor, block: int) -> tf.Tensor:
    """``(b, n, ...)`` -> ``(b * nb, block, ...)``, zero-padding ``n`` up to ``nb * block``."""
    x = _pad_length(x, block)
    dims = _dims(x)
    return tf.reshape(x, [dims[0] * (dims[1] // block), block] + dims[2:])


def _unflatten(x: tf.Tensor, batch, n) -> tf.Tensor:
    """``(b * nb, block, d)`` -> ``(b, n, d)``, dropping the block padding."""
    return tf.reshape(x, [batch, -1, _dims(x)[2]])[:, :n]


def _band_shifts(neighbors: int, block: int, causal: bool) -> range:
    """Which key blocks, relative to a query block, the band reaches: with
    ``block == neighbors`` the previous, own and next one (the own and
    previous one when causal)."""
    reach = -(-neighbors // block)
    return range(-reach, 1 if causal else reach + 1)


def _block_index(rows, nb):
    """Row ``r``'s block number within its sequence, ``(rows,)``."""
    if isinstance(rows, int) and isinstance(nb, int):
        return tf.constant(np.arange(rows) % nb)
    return tf.range(rows) % nb


def _scaled(x: tf.Tensor, scale) -> tf.Tensor:
    """``x * scale``, with no op at all for the Python float 1.0."""
    return x if isinstance(scale, float) and scale == 1.0 else x * scale


def _shift_blocks(x: tf.Tensor, shift: int, fill=0) -> tf.Tensor:
    """Row ``r`` of ``x`` moved to row ``r + shift`` (axis 0), ``fill`` where nothing lands."""
    if shift == 0:
        return x
    rest = [[0, 0]] * (x.shape.rank - 1)
    if shift > 0:
        return tf.pad(x[:-shift], [[shift, 0]] + rest, constant_values=fill)
    return tf.pad(x[-shift:], [[0, -shift]] + rest, constant_values=fill)


def band_parts(q, k, v, valid, neighbors: int, block: int, causal: bool, scale=1.0):
    """Attention of each block of queries over the keys the band reaches,
    one key block at a time: the previous, own and next block when ``block
    == neighbors`` (the own and previous one when causal), ``block x block``
    scores per query block and part (``3 block n`` in all, not ``n^2``).
    Each part is cut to the band by a small constant mask and to real keys
    of the same sequence, gets its own softmax (``part_softmax``), and is
    joined to the parts before it by their log-sum-exps (``merge_parts``).
    Returns the output and its log-sum-exp per query in blocks, ``(b * nb,
    block, d)`` and ``(b * nb, block, 1)``. ``q``, ``k``, ``v`` are ``(b, n,
    d)``, ``valid`` ``(b, n)`` (None: every key is real). Queries are not
    masked here: a padding query's output is zeroed at the end."""
    shifts = _band_shifts(neighbors, block, causal)
    n = _dims(q)[1]
    nb = (n + block - 1) // block
    queries = _flat_blocks(q, block)
    rows = _dims(queries)[0]
    # The keys carry the scale: ``n x d`` products, not ``3 block n``.
    keys = _flat_blocks(_scaled(k, scale), block)
    values = _flat_blocks(v, block)
    every_key_real = valid is None and isinstance(n, int) and n % block == 0
    keys_valid = None if every_key_real else _flat_blocks(_all_valid(q) if valid is None else valid, block)
    index = _block_index(rows, nb)
    lowest = queries.dtype.min
    out = log_total = None
    for shift in shifts:  # this part's key block: the query block + shift
        offset = np.arange(block)[:, None] - np.arange(block)[None, :] - shift * block  # i - j
        band = (np.abs(offset) <= neighbors) & ((offset >= 0) if causal else True)
        # Row r of the part pairs key block r with query block r - shift (shifted
        # there, and its output shifted back), which must be of the same sequence.
        query_block = index - shift
        same_sequence = (query_block >= 0) & (query_block < nb)
        allowed = None if band.all() and shift == 0 else tf.constant(band)[None] & same_sequence[:, None, None]
        if keys_valid is not None:
            allowed = keys_valid[:, None, :] if allowed is None else allowed & keys_valid[:, None, :]
        weights, part_total = part_softmax(tf.matmul(_shift_blocks(queries, shift), keys, transpose_b=True), allowed)
        part_out = _shift_blocks(tf.matmul(weights, values), -shift)
        part_total = _shift_blocks(part_total, -shift, fill=lowest)
        out, log_total = (part_out, part_total) if out is None else merge_parts([out, part_out],
                                                                                [log_total, part_total])
    return out, log_total


def part_softmax(scores, allowed=None, scale=1.0):
    """Softmax weights over one part of each query's keys (the scores times
    ``scale``, ``1/sqrt(d)``), and the part's log-sum-exp per query (what
    ``merge_parts`` needs to join parts).

    A masked score becomes the dtype's lowest finite value, not ``-inf``:
    beside any allowed key its weight is exactly 0, and a query with no
    allowed key in this part gets finite weights (uniform) and a log-sum-exp
    near that lowest value, which ``merge_parts`` turns into a share of 0; so
    there is no NaN in values or gradients. Written out (max, exp, sum)
    rather than as ``tf.nn.softmax``, the log-sum-exp ``max + log sum`` comes
    with the weights, and XLA fuses the passes."""
    scores = _scaled(scores, scale)
    if allowed is not None:
        scores = tf.where(allowed, scores, tf.constant(scores.dtype.min, scores.dtype))
    top = tf.stop_gradient(tf.reduce_max(scores, -1, keepdims=True))  # any shift is exact; no gradient needed
    exps = tf.exp(scores - top)
    total = tf.reduce_sum(exps, -1, keepdims=True)
    return exps / total, top + tf.math.log(total)


def merge_parts(outputs, log_totals):
    """Attention over the union of several parts' keys from each part's own
    attention output: ``sum_p exp(lse_p - lse) out_p`` with ``lse = log
    sum_p exp(lse_p)``, the share of the whole softmax each part holds (the
    rule FlashAttention uses to join blocks). Exact: one softmax over all the
    keys, never two softmaxes added. Outputs are ``(..., d)`` and log-sum-exps
    ``(..., 1)``, all in one layout; returns the joined output and its
    log-sum-exp, so that further parts can be joined to it."""
    total = tf.reduce_logsumexp(tf.concat(log_totals, -1), -1, keepdims=True)
    return tf.add_n([tf.exp(lse - total) * out for out, lse in zip(outputs, log_totals)]), total


def _after(first: list, x: tf.Tensor) -> tf.Tensor:
    """``x``, but computed only once ``first`` exist. The graph executor runs
    any ready op, so without this two parts can run at once and their scores
    and copies be held together, adding to the peak memory."""
    with tf.control_dependencies(first):
        return tf.identity(x)


def _subsequences(x: tf.Tensor, rate: int) -> tf.Tensor:
    """``(b, n, ...)`` -> ``(b, m, rate, ...)`` (zero-padded), a reshape, no
    copy: position ``t rate + c`` at ``[:, t, c]``, so subsequence ``c``
    (positions ``c, c + rate, ...``) is ``[:, :, c]``, and ``[:, t]`` is block
    ``t`` of ``rate`` positions. The products below take the subsequences
    from this layout by ``einsum``, and XLA arranges the operands."""
    x = _pad_length(x, rate)
    dims = _dims(x)
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
    scores = tf.einsum("btcd,bscd->bcts", _subsequences(q, rate), _subsequences(k, rate))
    if not masked:
        return scores, None
    steps = _stride_steps_allowed(_dims(scores)[2], min_distance, causal)
    keys_valid = tf.transpose(_subsequences(valid, rate), [0, 2, 1])  # (b, rate, m)
    return scores, steps[None, None] & keys_valid[:, :, None, :]


def _strided_output(weights, v, rate: int) -> tf.Tensor:
    """Weights over the subsequences, ``(b, rate, m, m)``, times the values:
    the output in blocks of ``rate``, ``(b * m, rate, d)``."""
    out = tf.einsum("bcts,bscd->btcd", weights, _subsequences(v, rate))
    dims = _dims(out)
    return tf.reshape(out, [dims[0] * dims[1], dims[2], dims[3]])


def _subsequences_to_blocks(x: tf.Tensor) -> tf.Tensor:
    """``(b, rate, m, d)`` -> ``(b * m, rate, d)``: back to blocks of ``rate``."""
    dims = _dims(x)
    return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [dims[0] * dims[2], dims[1], dims[3]])


def _zero_padding_queries(out: tf.Tensor, valid) -> tf.Tensor:
    """A padding query attends to nothing: its output is 0 (as dense attention's)."""
    return out if valid is None else tf.where(valid[..., None], out, tf.zeros((), out.dtype))


def _all_valid(q: tf.Tensor) -> tf.Tensor:
    return tf.ones(_dims(q)[:2], tf.bool)


@compiled
def _atrous_core(q, k, v, valid, rate: int, causal: bool):
    batch, n = _dims(q)[:2]
    # Without causality, padding or a ragged last block every key is allowed: no select at all.
    masked = causal or valid is not None or not (isinstance(n, int) and n % rate == 0)
    keys_valid = _all_valid(q) if valid is None else valid
    scores, allowed = _strided_scores(q * score_scale(q), k, keys_valid, rate, causal, masked=masked)
    weights, _ = part_softmax(scores, allowed)
    out = _strided_output(weights, v, rate)
    return _zero_padding_queries(_unflatten(out, batch, n), valid)


@compiled
def _local_core(q, k, v, valid, neighbors: int, block: int, causal: bool):
    batch, n = _dims(q)[:2]
    out, _ = band_parts(q, k, v, valid, neighbors, block, causal, score_scale(q))
    return _zero_padding_queries(_unflatten(out, batch, n), valid)


def _strided_part(q, k, v, valid, rate: int, causal: bool, scale):
    """Sparse attention's strided part, in blocks of ``rate``: its output and
    log-sum-exp. Keys at offsets 0 and +-rate are the band's: dropped here
    (``min_distance=2``), so that each counts once."""
    weights, log_total = part_softmax(*_strided_scores(q, k, valid, rate, causal, min_distance=2), scale)
    return _strided_output(weights, v, rate), _subsequences_to_blocks(log_total)


# The sparse form's two parts, each compiled by XLA on its own and run one
# after the other: XLA, compiling both at once, held the strided part's
# copies (subsequences of q, k and v) beside the band's scores.
_band_parts_compiled, _strided_part_compiled = compiled(band_parts), compiled(_strided_part)


@compiled(xla=False)
def _sparse_core(q, k, v, valid, rate: int, causal: bool):
    batch, n = _dims(q)[:2]
    scale, query_valid = score_scale(q), valid
    # Pad once to whole blocks of ``rate`` (band blocks and subsequences alike);
    # then only a padding mask says which keys are real (None: all are).
    if not (valid is None and isinstance(n, int) and n % rate == 0):
        valid = _pad_length(_all_valid(q) if valid is None else valid, rate)
    q, k, v = (_pad_length(t, rate) for t in (q, k, v))
    band_out, band_lse = _band_parts_compiled(q, k, v, valid, rate, rate, causal, scale)
    q, k, v = (_after([band_out], t) for t in (q, k, v))
    strided_out, strided_lse = _strided_part_compiled(q, k, v, _all_valid(q) if valid is None else valid, rate,
                                                      causal, scale)
    out, _ = merge_parts([band_out, strided_out], [band_lse, strided_lse])
    return _zero_padding_queries(_unflatten(out, batch, n), query_valid)


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
    only the window of key blocks the band reaches (the previous, own and
    next one when ``block_size == neighbors``), so time and memory grow like
    ``3 * block_size * n`` instead of ``n^2``."""
    neighbors, causal = checks.positive_int(neighbors, "neighbors"), checks.boolean(causal, "causal")
    block = neighbors if block_size is None else checks.positive_int(block_size, "block_size")
    return _local_core(*_checked(q, k, v, mask), neighbors, block, causal)


def sparse_attention(q, k, v, rate: int, mask=None, causal: bool = False):
    """Attention with the sparse pattern ``|i - j| <= rate or (i - j) mod
    rate == 0``: the band part (blocks of ``rate``) and the strided part of
    each query, each with its own softmax, joined exactly by ``merge_parts``
    into the one softmax over both. Keys in both sets (offsets 0 and
    ``+-rate``) are dropped from the strided part, so each counts once."""
    rate, causal = checks.positive_int(rate, "rate"), checks.boolean(causal, "causal")
    return _sparse_core(*_checked(q, k, v, mask), rate, causal)


#: The graph of each form by name, for tests (``CORES["local"].compiled`` counts its tracings).
CORES = {"atrous": _atrous_core, "local": _local_core, "sparse": _sparse_core}
