"""The atrous, local and sparse forms of attention that skip the zeros.

Chapter: "Born to save: from standard attention to sparse attention"
(book/attention.md, article 6853). ``atrous_attention``, ``local_attention``
and ``sparse_attention`` never build the ``n x n`` score matrix: they cut the
(zero-padded) sequence into blocks or interleaved subsequences and score each
query only against the keys its pattern can reach, with a fixed number of
reshapes, batched matrix products and fused softmaxes (no loop over the
queries), run as one cached graph when called eagerly, so they are fast
however they are called.
They give the same result as ``blogcode.attention.patterns.dense_attention``
with ``attention_mask(pattern, padding)``; shapes and masks follow the
conventions of ``blogcode.attention.patterns``.
"""

from __future__ import annotations

import functools
import logging

import numpy as np
import tensorflow as tf

from blogcode import checks
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
# Subsequences: the keys a multiple of ``rate`` apart, ``(b, rate, m, d)``
# with ``m = n / rate``: subsequence ``c`` holds positions ``c, c + rate, ...``.
#
# * local: each block of queries against each key block the band reaches
#   (the previous, own and next block when ``block == neighbors``), one
#   ``(b * nb, block, block)`` batched matmul and softmax per key block,
#   joined by their log-sum-exps (``merge_parts``): ``3 block n`` scores in
#   all, one block's worth (``block n``) alive at a time;
# * atrous: dense attention inside each subsequence, ``(b, rate, m, m)``,
#   ``n^2 / rate`` scores;
# * sparse: the band's parts and the strided part, each with its own fused
#   softmax, merged exactly by their log-sum-exps (``merge_parts``), so no
#   score tensor is ever concatenated, sliced or moved between the layouts:
#   only outputs (``n x d``) and per-query statistics are.
#
# A masked score is set to the dtype's lowest finite value rather than -inf
# (``part_softmax``), so masking is one select and the softmax is TensorFlow's
# fused kernel. On 2 CPU cores the elementwise passes over the scores cost
# about as much as the matrix products, so the design keeps them to the
# scale, the select and the softmax.


def _dims(x: tf.Tensor) -> list:
    """The shape of ``x``: Python ints where known, scalar tensors otherwise
    (so static shapes stay static through reshapes)."""
    static = x.shape.as_list()
    if all(d is not None for d in static):
        return static
    dynamic = tf.shape(x)
    return [dynamic[i] if d is None else d for i, d in enumerate(static)]


def _pad_axis0(x: tf.Tensor, before, after) -> tf.Tensor:
    return tf.pad(x, [[before, after]] + [[0, 0]] * (x.shape.rank - 1))


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


def band_parts(q, k, v, valid, neighbors: int, block: int, causal: bool, scale=1.0):
    """Attention of each block of queries over the keys the band reaches,
    one key block at a time: the previous, own and next block when ``block
    == neighbors`` (the own and previous one when causal), ``block x block``
    scores per query block and part (``3 block n`` in all, not ``n^2``).
    Each part is cut to the band by a small constant mask and to real keys
    of the same sequence, gets its own softmax (``part_softmax``), and is
    joined to the parts before it by their log-sum-exps (``merge_parts``),
    so only one part's scores exist at a time. Returns the output and its
    log-sum-exp per query in blocks, ``(b * nb, block, d)`` and ``(b * nb,
    block, 1)``. ``q``, ``k``, ``v`` and ``valid`` are ``(b, n, ...)``.
    Queries are not masked here: a padding query's output is zeroed at the
    end."""
    shifts = _band_shifts(neighbors, block, causal)
    nb = (_dims(q)[1] + block - 1) // block
    queries = _flat_blocks(q, block)
    rows = _dims(queries)[0]
    # One padded copy each of the keys, values and key mask in blocks; a part's
    # blocks are a slice of it along axis 0, which TensorFlow takes without
    # copying. The keys carry the scale: ``n x d`` products, not ``3 block n``,
    # and made before any scores exist, so they add nothing to the peak memory.
    # The keys are stored transposed, (rows, d, block): a plain batched matmul
    # is faster on the CPU than one with ``transpose_b``.
    keys_t = tf.transpose(_flat_blocks(_scaled(k, scale), block), [0, 2, 1])
    keys_t, values, keys_valid = (_pad_axis0(t, -shifts[0], shifts[-1])
                                  for t in (keys_t, _flat_blocks(v, block), _flat_blocks(valid, block)))
    index = _block_index(rows, nb)
    out = log_total = None
    for shift in shifts:
        offset = np.arange(block)[:, None] - np.arange(block)[None, :] - shift * block  # i - j
        band = (np.abs(offset) <= neighbors) & ((offset >= 0) if causal else True)
        part = slice(shift - shifts[0], shift - shifts[0] + rows)
        same_sequence = (index + shift >= 0) & (index + shift < nb)
        allowed = tf.constant(band)[None] & (keys_valid[part] & same_sequence[:, None])[:, None, :]
        # One part after the other (``_after``): never two parts' scores at once.
        part_queries = queries if out is None else _after([out], queries)
        scores = tf.matmul(part_queries, keys_t[part])
        weights, part_total = part_softmax(scores, allowed)
        part_out = tf.matmul(weights, values[part])
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
    there is no NaN in values or gradients, and the softmax is TensorFlow's
    fused kernel. The log-sum-exp is ``max s - log max w``: two reductions,
    no second pass of ``exp``."""
    scores = _scaled(scores, scale)   # in place in a graph, where q * scale would be one more n x d copy
    if allowed is not None:
        scores = tf.where(allowed, scores, tf.constant(scores.dtype.min, scores.dtype))
    weights = tf.nn.softmax(scores)
    log_total = tf.reduce_max(scores, -1, keepdims=True) - tf.math.log(tf.reduce_max(weights, -1, keepdims=True))
    return weights, log_total


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
    any ready op, so without this the copies made for a later step (the
    window of values) can be made at the start and held through the whole
    softmax, adding to the peak memory."""
    with tf.control_dependencies(first):
        return tf.identity(x)


def _subsequences(x: tf.Tensor, rate: int, transposed: bool = False) -> tf.Tensor:
    """``(b, n, ...)`` -> ``(b, rate, m, ...)``: subsequence ``c`` holds
    positions ``c, c + rate, c + 2 rate, ...`` (zero-padded). ``transposed``:
    ``(b, n, d)`` -> ``(b, rate, d, m)`` in the same one copy, for keys (a
    plain batched matmul is faster on the CPU than one with ``transpose_b``)."""
    x = _pad_length(x, rate)
    dims = _dims(x)
    xb = tf.reshape(x, [dims[0], dims[1] // rate, rate] + dims[2:])
    return tf.transpose(xb, [0, 2, 3, 1] if transposed else [0, 2, 1] + list(range(3, xb.shape.rank)))


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
    scores = tf.matmul(_subsequences(q, rate), _subsequences(k, rate, transposed=True))
    if not masked:
        return scores, None
    steps = _stride_steps_allowed(_dims(scores)[2], min_distance, causal)
    return scores, steps[None, None] & _subsequences(valid, rate)[:, :, None, :]


def _subsequences_to_blocks(x: tf.Tensor) -> tf.Tensor:
    """``(b, rate, m, d)`` -> ``(b * m, rate, d)``: back to blocks of ``rate``."""
    dims = _dims(x)
    return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [dims[0] * dims[2], dims[1], dims[3]])


def _zero_padding_queries(out: tf.Tensor, valid) -> tf.Tensor:
    """A padding query attends to nothing: its output is 0 (as dense attention's)."""
    return out if valid is None else tf.where(valid[..., None], out, tf.zeros((), out.dtype))


class _QuietRetracing(logging.Filter):
    """Drops TensorFlow's "frequent retracing" warning for these cores only:
    one graph per static setting (rate, causal, mask or none) is the design."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not ("retracing" in message and "_core" in message)


# Added once: toggling the logger's level around every call cost more than a
# millisecond per eager call (each ``setLevel`` clears every logger's cache).
tf.get_logger().addFilter(_QuietRetracing())


_MAX_GRAPHS = 64  # graphs kept per form: one per input shape and setting seen


def _graph_when_eager(core):
    """Run ``core`` as one cached ``tf.function`` graph when called eagerly,
    and inline (part of the caller's graph) inside ``tf.function`` or
    ``model.fit``. Eagerly, every op of the block computation is dispatched
    and allocated on its own, which costs as much as the arithmetic here; a
    graph runs the same ops with that overhead gone. ``reduce_retracing``
    makes a second input shape trace a shape-generic graph, not one per
    length. Gradients (``tf.GradientTape``) go through either way."""
    compiled = tf.function(core, reduce_retracing=True, autograph=False)
    graphs = {}

    @functools.wraps(core)
    def run(*args):
        if not tf.executing_eagerly():
            return core(*args)
        # Matching the arguments to a graph is most of a ``tf.function`` call's
        # overhead (a third of a millisecond, a tenth of the atrous form's time at
        # n = 4096): look the graph up by shapes, dtypes and settings instead.
        key = tuple((tuple(a.shape), a.dtype) if isinstance(a, tf.Tensor) else a for a in args)
        graph = graphs.get(key)
        if graph is None:
            if len(graphs) >= _MAX_GRAPHS:
                graphs.clear()
            graph = graphs[key] = compiled.get_concrete_function(*args)
        return graph(*args)
    run.compiled, run.graphs = compiled, graphs  # for tests: how often it traced, what it keeps
    return run


def _all_valid(q: tf.Tensor) -> tf.Tensor:
    return tf.ones(_dims(q)[:2], tf.bool)


@_graph_when_eager
def _atrous_core(q, k, v, valid, rate: int, causal: bool):
    batch, n = _dims(q)[:2]
    # Without causality, padding or a ragged last block every key is allowed: no select at all.
    masked = causal or valid is not None or not (isinstance(n, int) and n % rate == 0)
    keys_valid = _all_valid(q) if valid is None else valid
    scores, allowed = _strided_scores(q * score_scale(q), k, keys_valid, rate, causal, masked=masked)
    weights, _ = part_softmax(scores, allowed)
    out = _subsequences_to_blocks(tf.matmul(weights, _subsequences(_after([weights], v), rate)))
    return _zero_padding_queries(_unflatten(out, batch, n), valid)


@_graph_when_eager
def _local_core(q, k, v, valid, neighbors: int, block: int, causal: bool):
    batch, n = _dims(q)[:2]
    keys_valid = _all_valid(q) if valid is None else valid
    out, _ = band_parts(q, k, v, keys_valid, neighbors, block, causal, score_scale(q))
    return _zero_padding_queries(_unflatten(out, batch, n), valid)


@_graph_when_eager
def _sparse_core(q, k, v, valid, rate: int, causal: bool):
    batch, n = _dims(q)[:2]
    keys_valid = _all_valid(q) if valid is None else valid
    # Pad once to whole blocks of ``rate`` (band blocks and subsequences alike).
    scale = score_scale(q)
    q, k, v, keys_valid = (_pad_length(t, rate) for t in (q, k, v, keys_valid))
    # The band (blocks of ``rate``, part by part) and the strided keys
    # (subsequences), each with its own softmax. Keys at offsets 0 and +-rate
    # are in both sets: the strided part drops them (``min_distance=2``), so
    # each counts once. The strided part only after the band (``_after``), so
    # that their scores and copies are never held at once.
    band_out, band_lse = band_parts(q, k, v, keys_valid, rate, rate, causal, scale)
    q, k = (_after([band_out], t) for t in (q, k))
    strided_weights, strided_lse = part_softmax(*_strided_scores(q, k, keys_valid, rate, causal, min_distance=2), scale)
    strided_out = _subsequences_to_blocks(tf.matmul(strided_weights, _subsequences(_after([strided_weights], v), rate)))
    out, _ = merge_parts([band_out, strided_out], [band_lse, _subsequences_to_blocks(strided_lse)])
    return _zero_padding_queries(_unflatten(out, batch, n), valid)


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
