"""The atrous, local and sparse forms of attention that skip the zeros.

Chapter: "Born to save: from standard attention to sparse attention"
(book/attention.md, article 6853). ``atrous_attention``, ``local_attention``
and ``sparse_attention`` never build the ``n x n`` score matrix: they cut the
(zero-padded) sequence into blocks and score each block of queries only
against the keys the pattern can reach, with a fixed number of reshapes and
batched matrix products (no loop), so they are fast whether called eagerly or
inside ``tf.function``. They give the same result as
``blogcode.attention.patterns.dense_attention`` with
``attention_mask(pattern, padding)``; shapes and masks follow the conventions
of ``blogcode.attention.patterns``.
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
    "joint_masked_softmax",
    "CORES",
]

# The three forms cut the (zero-padded) sequence into blocks of ``block``
# positions and flatten batch and blocks into one axis, ``(b * nb, block,
# d)``: row ``r`` is block ``r % nb`` of sequence ``r // nb``. Each block of
# queries is scored only against the keys its pattern can reach:
#
# * the band (local): for each shift ``s`` in ``-reach .. reach`` (one block
#   either side when ``block == neighbors``), the key block ``s`` rows away:
#   one ``(b * nb, block, block)`` batched matmul per shift. The shifted keys
#   are slices of ONE padded copy along axis 0, which TensorFlow takes
#   without copying, so no window of keys is ever materialised;
# * the stride (atrous): the keys a multiple of ``rate`` away from a query
#   are its own interleaved subsequence (positions ``c, c + rate, ...``),
#   so it is dense attention inside each of ``rate`` subsequences of length
#   ``m = n / rate``, ``(b, rate, m, m)``: ``n^2 / rate`` scores.
#
# A fixed number of large kernels and no loop; ``joint_masked_softmax``
# normalises each query once over all its parts without concatenating them,
# converting only the small per-query statistics between the two layouts.
#
# Peak memory is the scores plus whatever ``n x d`` copies are alive beside
# them, so the code keeps those few: the scale multiplies the scores in place
# (no scaled copy of q), the copies of the values are made only after the
# softmax, and the output terms are summed one at a time (``_after``).


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


def _flat_blocks(x: tf.Tensor, block: int) -> tf.Tensor:
    """``(b, n, ...)`` -> ``(b * nb, block, ...)``, zero-padding ``n`` up to
    ``nb * block`` (False for a mask)."""
    dims = _dims(x)
    extra = (-dims[1]) % block
    if not (isinstance(extra, int) and extra == 0):
        x = tf.pad(x, [[0, 0], [0, extra]] + [[0, 0]] * (x.shape.rank - 2))
    return tf.reshape(x, [dims[0] * ((dims[1] + extra) // block), block] + dims[2:])


def _blocks(x: tf.Tensor, block: int) -> tf.Tensor:
    """``(b, n, ...)`` -> ``(b, nb, block, ...)``, zero-padded like ``_flat_blocks``."""
    return tf.reshape(_flat_blocks(x, block), [_dims(x)[0], -1, block] + _dims(x)[2:])


def _unflatten(x: tf.Tensor, batch, n) -> tf.Tensor:
    """``(b * nb, block, d)`` -> ``(b, n, d)``, dropping the block padding."""
    dims = _dims(x)
    return tf.reshape(x, [batch, -1, dims[2]])[:, :n]


def _band_shifts(neighbors: int, block: int, causal: bool) -> range:
    """Which key blocks, relative to a query block, the band reaches: with
    ``block == neighbors`` the previous, own and next one (the own and
    previous one when causal)."""
    reach = -(-neighbors // block)
    return range(-reach, 1 if causal else reach + 1)


def _shifted(x: tf.Tensor, shifts: range) -> list:
    """For each shift ``s``, row ``r`` of the result is row ``r + s`` of
    ``x`` (zeros beyond the ends): slices of one padded copy."""
    before, rows = -shifts[0], _dims(x)[0]
    padded = _pad_axis0(x, before, shifts[-1])
    return [padded[before + s: before + s + rows] for s in shifts]


def _block_index(rows, nb):
    """Row ``r``'s block number within its sequence, ``(rows,)``."""
    if isinstance(rows, int) and isinstance(nb, int):
        return tf.constant(np.arange(rows) % nb)
    return tf.range(rows) % nb


def band_parts(q, k, valid, neighbors: int, block: int, causal: bool):
    """Scores of each block of queries against the key blocks the band
    reaches, one ``(b * nb, block, block)`` tensor per shift (three when
    ``block == neighbors``: ``3 * block * n`` scores, not ``n^2``), each with
    its mask: a constant ``(block, block)`` cut of the band, the padding, and
    no key block from another sequence. ``q``, ``k`` and ``valid`` are
    ``(b, n, ...)``; the scores are not yet scaled by ``1/sqrt(d)``."""
    shifts = _band_shifts(neighbors, block, causal)
    nb = (_dims(q)[1] + block - 1) // block
    qf, valid_q = _flat_blocks(q, block), _flat_blocks(valid, block)
    index = _block_index(_dims(qf)[0], nb)
    keys, key_valid = _shifted(_flat_blocks(k, block), shifts), _shifted(_flat_blocks(valid, block), shifts)
    rows = np.arange(block)[:, None] - np.arange(block)[None, :]
    parts = []
    for shift, key, kv in zip(shifts, keys, key_valid):
        offset = rows - shift * block  # i - j
        band = tf.constant((np.abs(offset) <= neighbors) & ((offset >= 0) if causal else True))
        same_sequence = (index + shift >= 0) & (index + shift < nb)
        query_ok = valid_q & same_sequence[:, None]
        allowed = band & query_ok[:, :, None] & kv[:, None, :]
        parts.append((tf.matmul(qf, key, transpose_b=True), allowed, "blocks"))
    return parts


def _after(first: list, x: tf.Tensor) -> tf.Tensor:
    """``x``, but computed only once ``first`` exist. The graph executor runs
    any ready op, so without this the copies made for a later step (padded or
    transposed values) can be made at the start and held through the whole
    softmax, adding to the peak memory."""
    with tf.control_dependencies(first):
        return tf.identity(x)


def _band_output(weights, v, block: int, shifts: range, out=None):
    """``out`` (if given) plus the sum over shifts of each part's weights
    times its value blocks, ``(b * nb, block, d)``. The terms are made one at
    a time, each after the running sum: otherwise Grappler merges the
    additions into one ``AddN`` that holds every ``n x d`` term at once."""
    for w, values in zip(weights, _shifted(_flat_blocks(v, block), shifts)):
        if out is not None:
            w = _after([out], w)
        term = tf.matmul(w, values)
        out = term if out is None else out + term
    return out


def _stride_steps_allowed(m, min_distance: int, causal: bool):
    """Which block pairs ``(t, s)`` the stride links: ``|t - s| >= min_distance``
    (and ``t >= s`` when causal); ``t - s`` is the offset ``(i - j) / rate``."""
    if isinstance(m, int):  # static: a constant, folded away
        steps = np.arange(m)[:, None] - np.arange(m)[None, :]
        return tf.constant((np.abs(steps) >= min_distance) & ((steps >= 0) if causal else True))
    steps = tf.range(m)[:, None] - tf.range(m)[None, :]
    allowed = tf.abs(steps) >= min_distance
    return allowed & (steps >= 0) if causal else allowed


def _subsequences(x: tf.Tensor, rate: int) -> tf.Tensor:
    """``(b, n, ...)`` -> ``(b, rate, m, ...)``: subsequence ``c`` holds
    positions ``c, c + rate, c + 2 rate, ...`` (zero-padded)."""
    xb = _blocks(x, rate)
    return tf.transpose(xb, [0, 2, 1] + list(range(3, xb.shape.rank)))


def _strided_part(q, k, valid, rate: int, causal: bool, min_distance: int = 0):
    """Scores (unscaled) of every query against the keys a multiple of ``rate`` away:
    plain attention inside each of the ``rate`` interleaved subsequences,
    ``(b, rate, m, m)`` with ``m = n / rate`` (rounded up), with its mask.
    ``min_distance`` drops keys fewer than that many steps of ``rate`` away;
    the sparse form uses it to count the band once."""
    qs, ks, valid_s = (_subsequences(t, rate) for t in (q, k, valid))
    allowed = (_stride_steps_allowed(_dims(qs)[2], min_distance, causal)[None, None]
               & valid_s[..., None] & valid_s[:, :, None, :])
    return tf.matmul(qs, ks, transpose_b=True), allowed, "subsequences"


def _strided_output(weights, v, rate: int):
    """The strided weights times their values, in blocks, ``(b * m, rate, d)``."""
    out = tf.transpose(tf.matmul(weights, _subsequences(v, rate)), [0, 2, 1, 3])
    return tf.reshape(out, [-1, rate, _dims(v)[2]])


def _to_layout(stats: tf.Tensor, layout: str, like: tf.Tensor) -> tf.Tensor:
    """Per-query statistics, one a row of ``(b * n_padded, 1)``, in the
    layout of a part's scores ``like``: ``(b * nb, block, 1)`` for blocks,
    ``(b, rate, m, 1)`` for subsequences. Only these small tensors move."""
    dims = _dims(like)
    if layout == "blocks":
        return tf.reshape(stats, dims[:2] + [1])
    batch, rate, m = dims[:3]
    return tf.transpose(tf.reshape(stats, [batch, m, rate, 1]), [0, 2, 1, 3])


def _from_layout(stats: tf.Tensor, layout: str) -> tf.Tensor:
    """Inverse of ``_to_layout``: ``(b * n_padded, 1)``."""
    if layout == "subsequences":
        stats = tf.transpose(stats, [0, 2, 1, 3])
    return tf.reshape(stats, [-1, 1])


def joint_masked_softmax(parts, scale=1.0):
    """One softmax per query over several score tensors taken together.

    ``parts`` is a list of ``(scores, allowed, layout)``; each holds some of
    every query's keys on its last axis, its query axes laid out as
    ``"blocks"`` ``(b * nb, block)`` or ``"subsequences"`` ``(b, rate, m)``.
    A union of key sets needs ONE normalisation, not a sum of softmaxes: a
    shared maximum and a shared sum over all parts, with no concatenation
    (only the small per-query statistics change layout). As in
    ``blogcode.masking.masked_softmax``, masked scores become ``-inf`` before
    ``exp`` (no NaN gradient) and a query with no allowed key gets all-zero
    weights. The scores are multiplied by ``scale`` (``1/sqrt(d)``) here:
    inside a graph the product, the ``where``, the ``exp`` and the final
    weights all reuse the score buffer, whereas scaling ``q`` first would
    hold one more ``n x d`` copy.
    """
    same = all(layout == parts[0][2] for _, _, layout in parts)
    to_common = (lambda x, layout: x) if same else _from_layout  # noqa: E731
    to_part = (lambda x, layout, like: x) if same else _to_layout  # noqa: E731
    masked = [tf.where(allowed, scores * scale, tf.constant(-np.inf, scores.dtype)) for scores, allowed, _ in parts]
    maxima = [to_common(tf.reduce_max(m, axis=-1, keepdims=True), layout) for m, (_, _, layout) in zip(masked, parts)]
    shift = maxima[0]
    for other in maxima[1:]:
        shift = tf.maximum(shift, other)
    shift = tf.stop_gradient(tf.where(tf.math.is_finite(shift), shift, tf.zeros_like(shift)))
    exps = [tf.exp(m - to_part(shift, layout, m)) for m, (_, _, layout) in zip(masked, parts)]
    total = tf.add_n([to_common(tf.reduce_sum(e, axis=-1, keepdims=True), layout)
                      for e, (_, _, layout) in zip(exps, parts)])
    inverse = tf.math.divide_no_nan(tf.ones_like(total), total)  # 0 for a query with no key
    return [e * to_part(inverse, layout, e) for e, (_, _, layout) in zip(exps, parts)]


def _graph_when_eager(core):
    """Run ``core`` as one cached ``tf.function`` graph when called eagerly,
    and inline (part of the caller's graph) inside ``tf.function`` or
    ``model.fit``. Eagerly, every op of the block computation is dispatched
    and allocated on its own, which costs as much as the arithmetic here; a
    graph runs the same ops with that overhead gone. ``reduce_retracing``
    makes a second input shape trace a shape-generic graph, not one per
    length. Gradients (``tf.GradientTape``) go through either way."""
    compiled = tf.function(core, reduce_retracing=True, autograph=False)

    @functools.wraps(core)
    def run(*args):
        if not tf.executing_eagerly():
            return core(*args)
        # One graph per static setting (rate, causal, mask or none) is the design,
        # so TensorFlow's "frequent retracing" warning would only be noise here.
        logger = tf.get_logger()
        level = logger.level
        logger.setLevel(logging.ERROR)
        try:
            return compiled(*args)
        finally:
            logger.setLevel(level)
    run.compiled = compiled  # for tests: how often it traced
    return run


def _all_valid(q: tf.Tensor) -> tf.Tensor:
    return tf.ones(_dims(q)[:2], tf.bool)


@_graph_when_eager
def _atrous_core(q, k, v, valid, rate: int, causal: bool):
    valid = _all_valid(q) if valid is None else valid
    # The scale goes on the scores, in place, instead of a scaled copy of q.
    (weights,) = joint_masked_softmax([_strided_part(q, k, valid, rate, causal)], score_scale(q))
    return _unflatten(_strided_output(weights, v, rate), _dims(q)[0], _dims(q)[1])


@_graph_when_eager
def _local_core(q, k, v, valid, neighbors: int, block: int, causal: bool):
    valid = _all_valid(q) if valid is None else valid
    # The scale goes on the scores, in place, instead of a scaled copy of q.
    weights = joint_masked_softmax(band_parts(q, k, valid, neighbors, block, causal), score_scale(q))
    # The padded copy of the values only after the softmax (see ``_after``).
    out = _band_output(weights, _after(weights, v), block, _band_shifts(neighbors, block, causal))
    return _unflatten(out, _dims(q)[0], _dims(q)[1])


def _pad_length(x: tf.Tensor, multiple: int) -> tf.Tensor:
    """``(b, n, ...)`` zero-padded (False for a mask) to a multiple of ``multiple``."""
    extra = (-_dims(x)[1]) % multiple
    if isinstance(extra, int) and extra == 0:
        return x
    return tf.pad(x, [[0, 0], [0, extra]] + [[0, 0]] * (x.shape.rank - 2))


@_graph_when_eager
def _sparse_core(q, k, v, valid, rate: int, causal: bool):
    batch, n = _dims(q)[:2]
    valid = _all_valid(q) if valid is None else valid
    # Pad once to whole blocks of ``rate`` (band blocks and subsequences
    # alike), rather than once in each part. (Band blocks of rate / 2 would
    # hold 2.5 n rate band scores instead of 3 n rate and save about 0.5 MiB
    # more at n = 4096, but their five smaller tiles made a call ~10% slower.)
    q, k, v, valid = (_pad_length(t, rate) for t in (q, k, v, valid))
    # Strided scores first, so their transposed copies of q and k are gone
    # before the band's padded copy of k is made.
    strided = _strided_part(q, k, valid, rate, causal, min_distance=2)
    band = band_parts(q, _after([strided[0]], k), valid, rate, rate, causal)
    # The scale goes on the scores, in place, instead of a scaled copy of q.
    *band_weights, strided_weights = joint_masked_softmax(band + [strided], score_scale(q))
    # Values are copied (transposed, padded) only after the softmax; the
    # strided output comes first and frees its weights before the band's.
    v = _after(band_weights + [strided_weights], v)
    out = _strided_output(strided_weights, v, rate)
    # The band's padded values only once that output exists (its transposed values gone).
    out = _band_output(band_weights, _after([out], v), rate, _band_shifts(rate, rate, causal), out)
    return _unflatten(out, batch, n)


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
    only the key blocks the band reaches (the previous, own and next one when
    ``block_size == neighbors``), so time and memory grow like
    ``3 * block_size * n`` instead of ``n^2``."""
    neighbors, causal = checks.positive_int(neighbors, "neighbors"), checks.boolean(causal, "causal")
    block = neighbors if block_size is None else checks.positive_int(block_size, "block_size")
    return _local_core(*_checked(q, k, v, mask), neighbors, block, causal)


def sparse_attention(q, k, v, rate: int, mask=None, causal: bool = False):
    """Attention with the sparse pattern ``|i - j| <= rate or (i - j) mod
    rate == 0``: the band part (blocks of ``rate``) and the strided part of
    each query share ONE softmax. Keys in both sets (offsets 0 and
    ``+-rate``) are dropped from the strided part, so each counts once."""
    rate, causal = checks.positive_int(rate, "rate"), checks.boolean(causal, "causal")
    return _sparse_core(*_checked(q, k, v, mask), rate, causal)


#: The graph of each form by name, for tests (``CORES["local"].compiled`` counts its tracings).
CORES = {"atrous": _atrous_core, "local": _local_core, "sparse": _sparse_core}
