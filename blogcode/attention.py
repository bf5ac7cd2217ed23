"""Standard attention and three sparse patterns that really save time and memory.

Chapter: "Born to save: from standard attention to sparse attention"
(book/attention.md, article 6853). The Keras layers built on these functions
are in ``blogcode.attention_layers`` and re-exported here.

Shapes and conventions
----------------------
* The functional forms take ``q``, ``k``, ``v`` of shape ``(batch, length,
  depth)``; a multi-head layer folds its heads into the batch axis first.
* A *pattern* mask is a bool ``(length, length)`` array, ``True`` where query
  ``i`` may attend to key ``j``. ``atrous_mask``, ``local_mask`` and
  ``sparse_mask`` build them (NumPy) for pictures, counting and tests.
* A *padding* mask is ``(batch, length)``, ``True`` on real positions (as
  ``blogcode.masking.sequence_mask`` makes it). A padded position neither
  attends nor is attended to; its output is zero.
* ``dense_attention`` builds the full ``n x n`` score matrix and accepts any
  mask. ``atrous_attention``, ``local_attention`` and ``sparse_attention``
  never build it: they cut the (zero-padded) sequence into blocks and score
  each block of queries only against the keys the pattern can reach, with a
  fixed number of reshapes and batched matrix products (no loop), so they are
  fast whether called eagerly or inside ``tf.function``. They give the same
  result as ``dense_attention`` with ``attention_mask(pattern, padding)``.
* Every softmax masks with ``where`` and ``-inf`` (``blogcode.masking``), so a
  fully masked row gives zeros, never NaN or a uniform distribution.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import tensorflow as tf

from blogcode import checks
from blogcode.masking import softmax_where

__all__ = [
    "dense_attention",
    "causal_mask",
    "atrous_mask",
    "local_mask",
    "sparse_mask",
    "attention_mask",
    "atrous_attention",
    "local_attention",
    "sparse_attention",
    "pattern_cost",
    "receptive_field",
    "softmax_by_subtraction",
    "marker_task",
    "marker_model",
    "MultiHeadSelfAttention",
    "AtrousSelfAttention",
    "LocalSelfAttention",
    "SparseSelfAttention",
]

PATTERN_NAMES = ("dense", "atrous", "local", "sparse")


# --------------------------------------------------------------------------- checks


def _as_float_tensor(x, name: str) -> tf.Tensor:
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be a float array or tensor, got {type(x).__name__}")
    try:
        x = tf.convert_to_tensor(x)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a float array or tensor: {err}") from None
    if not x.dtype.is_floating:
        if x.dtype == tf.string or x.dtype == tf.bool:
            raise TypeError(f"{name} must be numeric, got {x.dtype.name}")
        x = tf.cast(x, tf.float32)
    if x.shape.rank != 3:
        raise ValueError(f"{name} must be (batch, length, depth), got shape {tuple(x.shape)}")
    if x.shape[1] == 0:
        raise ValueError(f"{name} is an empty sequence (length 0)")
    if x.shape[2] == 0:
        raise ValueError(f"{name} has depth 0")
    if tf.executing_eagerly() and bool(tf.reduce_any(tf.math.is_nan(x))):
        raise ValueError(f"{name} contains NaN")
    return x


def _check_qkv(q, k, v, same_length: bool):
    q, k, v = (_as_float_tensor(t, name) for t, name in ((q, "q"), (k, "k"), (v, "v")))
    k, v = tf.cast(k, q.dtype), tf.cast(v, q.dtype)
    if q.shape[2] is not None and k.shape[2] is not None and q.shape[2] != k.shape[2]:
        raise ValueError(f"q and k must have the same depth, got q {tuple(q.shape)} and k {tuple(k.shape)}")
    if k.shape[1] is not None and v.shape[1] is not None and k.shape[1] != v.shape[1]:
        raise ValueError(f"k and v must have the same length, got k {tuple(k.shape)} and v {tuple(v.shape)}")
    if same_length and q.shape[1] is not None and k.shape[1] is not None and q.shape[1] != k.shape[1]:
        raise ValueError(f"q and k must have the same length for self-attention patterns, "
                         f"got q {tuple(q.shape)} and k {tuple(k.shape)}")
    for name, t in (("k", k), ("v", v)):
        if q.shape[0] is not None and t.shape[0] is not None and q.shape[0] != t.shape[0]:
            raise ValueError(f"q and {name} must have the same batch size, got {q.shape[0]} and {t.shape[0]}")
    return q, k, v


def _bool_tensor(mask, name: str) -> tf.Tensor:
    """``mask`` as a bool tensor; a non-bool numeric mask counts non-zero as True."""
    if mask is None or isinstance(mask, (str, bytes)):
        raise TypeError(f"{name} must be a bool array or tensor, got {type(mask).__name__}")
    try:
        mask = tf.convert_to_tensor(mask)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a bool array or tensor: {err}") from None
    if mask.dtype == tf.string:
        raise TypeError(f"{name} must be bool or numeric, got strings")
    if mask.dtype != tf.bool:
        mask = tf.not_equal(mask, tf.zeros((), mask.dtype))
    return mask


def _padding_mask(mask, q: tf.Tensor) -> tf.Tensor:
    """A ``(batch, length)`` bool padding mask for ``q``, all True if None."""
    if mask is None:
        return tf.ones(tf.shape(q)[:2], tf.bool)
    mask = _bool_tensor(mask, "mask")
    if mask.shape.rank != 2:
        raise ValueError(f"mask must be a (batch, length) padding mask, got shape {tuple(mask.shape)}")
    for axis in (0, 1):
        if mask.shape[axis] is not None and q.shape[axis] is not None and mask.shape[axis] != q.shape[axis]:
            raise ValueError(f"mask shape {tuple(mask.shape)} does not match q shape {tuple(q.shape)}")
    return mask


def _scale(q: tf.Tensor):
    depth = q.shape[-1]
    if depth is None:  # unknown until run time (a generic tf.function signature)
        return tf.math.rsqrt(tf.cast(tf.shape(q)[-1], q.dtype))
    return 1.0 / math.sqrt(depth)


# --------------------------------------------------------------------------- dense


def dense_attention(q, k, v, mask=None):
    """Scaled dot-product attention ``softmax(q k^T / sqrt(d)) v`` with the
    full ``(batch, n_q, n_k)`` score matrix.

    ``mask`` (bool, True = may attend) is ``(n_q, n_k)`` or ``(batch or 1,
    n_q, n_k)``; a query whose row is fully masked gets a zero output.
    """
    q, k, v = _check_qkv(q, k, v, same_length=False)
    scores = tf.einsum("bqd,bkd->bqk", q, k) * _scale(q)
    if mask is None:
        weights = tf.nn.softmax(scores, axis=-1)
    else:
        mask = _bool_tensor(mask, "mask")
        if mask.shape.rank == 2:
            mask = mask[None]
        if mask.shape.rank != 3:
            raise ValueError(f"mask must be (n_q, n_k) or (batch, n_q, n_k), got shape {tuple(mask.shape)}")
        for axis, size in enumerate((q.shape[0], q.shape[1], k.shape[1])):
            if mask.shape[axis] not in (None, 1, size) and size is not None:
                raise ValueError(f"mask shape {tuple(mask.shape)} does not match the scores' shape "
                                 f"(batch, n_q, n_k) = {(q.shape[0], q.shape[1], k.shape[1])}")
        weights = softmax_where(scores, mask, axis=-1)
    return tf.einsum("bqk,bkd->bqd", weights, v)


# --------------------------------------------------------------------------- pattern masks


def _offsets(n: int) -> np.ndarray:
    n = checks.positive_int(n, "n")
    positions = np.arange(n)
    return positions[:, None] - positions[None, :]  # i - j


def causal_mask(n: int) -> np.ndarray:
    """``M[i, j] = j <= i``: a query sees itself and the past."""
    return _offsets(n) >= 0


def atrous_mask(n: int, rate: int, causal: bool = False) -> np.ndarray:
    """Atrous (dilated) pattern: ``M[i, j] = (i - j) mod rate == 0``."""
    rate, causal = checks.positive_int(rate, "rate"), checks.boolean(causal, "causal")
    mask = _offsets(n) % rate == 0
    return mask & causal_mask(n) if causal else mask


def local_mask(n: int, neighbors: int, causal: bool = False) -> np.ndarray:
    """Local (band) pattern: ``M[i, j] = |i - j| <= neighbors``."""
    neighbors, causal = checks.positive_int(neighbors, "neighbors"), checks.boolean(causal, "causal")
    mask = np.abs(_offsets(n)) <= neighbors
    return mask & causal_mask(n) if causal else mask


def sparse_mask(n: int, rate: int, causal: bool = False) -> np.ndarray:
    """OpenAI's sparse pattern, the union of the two:
    ``M[i, j] = |i - j| <= rate or (i - j) mod rate == 0``."""
    rate = checks.positive_int(rate, "rate")
    return local_mask(n, rate, causal) | atrous_mask(n, rate, causal)


def _bool_array(x, name: str, ndim: int) -> np.ndarray:
    """``x`` as a NumPy bool array of ``ndim`` axes; numbers must be 0 or 1."""
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be a bool array, got {type(x).__name__}")
    array = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
    if array.dtype != bool:
        if not np.issubdtype(array.dtype, np.number):
            raise TypeError(f"{name} must be a bool array, got dtype {array.dtype}")
        if not np.isin(array, (0, 1)).all():
            raise ValueError(f"{name} must hold only 0/1 or True/False")
        array = array.astype(bool)
    if array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} axes, got shape {array.shape}")
    return array


def attention_mask(pattern, padding=None) -> np.ndarray:
    """Combine a ``(n, n)`` pattern with a ``(batch, n)`` padding mask into
    the ``(batch, n, n)`` mask for ``dense_attention``: a padded position
    neither attends nor is attended to."""
    pattern = _bool_array(pattern, "pattern", 2)
    if pattern.shape[0] != pattern.shape[1]:
        raise ValueError(f"pattern must be a square (n, n) mask, got shape {pattern.shape}")
    if padding is None:
        return pattern[None]
    padding = _bool_array(padding, "padding", 2)
    if padding.shape[1] != pattern.shape[0]:
        raise ValueError(f"padding must be (batch, {pattern.shape[0]}), got shape {padding.shape}")
    return pattern[None] & padding[:, :, None] & padding[:, None, :]


def pattern_cost(pattern: str, n: int, k: int, causal: bool = False) -> int:
    """Closed-form number of allowed (query, key) pairs, the exact version of
    the article's O(n^2/k), O((2k+1)n) estimates; checked against the masks."""
    pattern = checks.one_of(pattern, "pattern", PATTERN_NAMES)
    n, k = checks.positive_int(n, "n"), checks.positive_int(k, "k")
    causal = checks.boolean(causal, "causal")
    d = np.arange(n)  # pairs at offset i - j = d (d >= 0) number n - d
    keep = {"dense": d >= 0, "atrous": d % k == 0, "local": d <= k, "sparse": (d <= k) | (d % k == 0)}[pattern]
    forward = int(np.sum((n - d)[keep]))
    return forward if causal else 2 * forward - n  # offset 0 counted once


def receptive_field(masks) -> np.ndarray:
    """Which inputs each output can depend on after stacking layers with the
    given pattern masks (first layer first): the boolean product of the masks."""
    masks = [_bool_array(m, f"masks[{i}]", 2) for i, m in enumerate(checks.nonempty(masks, "masks"))]
    reach = masks[0]
    if reach.shape[0] != reach.shape[1]:
        raise ValueError(f"masks must be square (n, n), got shape {reach.shape}")
    for m in masks[1:]:
        if m.shape != reach.shape:
            raise ValueError(f"masks must all have shape {reach.shape}, got {m.shape}")
        reach = (m.astype(np.int64) @ reach.astype(np.int64)) > 0
    return reach


def softmax_by_subtraction(scores, allowed, constant: float = 1e10):
    """The 2019 way of masking: ``softmax(scores - (1 - allowed) * constant)``.

    Kept to show its failure mode: if ``allowed`` is False everywhere (as in a
    branch whose condition is always true), every score is shifted by the same
    huge constant. Softmax ignores a common shift in exact arithmetic, but in
    float32 ``s - 1e10`` rounds to ``-1e10`` for every ordinary ``s`` (the
    spacing of float32 numbers near ``1e10`` is 1024), so the weights come out
    uniform. ``masked_softmax`` never touches allowed scores.
    """
    if scores is None or isinstance(scores, (str, bytes)):
        raise TypeError(f"scores must be a float array or tensor, got {type(scores).__name__}")
    scores = tf.convert_to_tensor(scores)
    if not scores.dtype.is_floating:
        raise TypeError(f"scores must be floating point, got {scores.dtype.name}")
    constant = checks.positive_real(constant, "constant")
    allowed = tf.cast(_bool_tensor(allowed, "allowed"), scores.dtype)
    return tf.nn.softmax(scores - (1.0 - allowed) * constant, axis=-1)


# --------------------------------------------------------------------------- efficient forms
#
# The three forms cut the (zero-padded) sequence into blocks of ``block``
# positions, ``(b, nb, block, d)``, and score each block of queries only
# against the keys its pattern can reach:
#
# * the band (local): the key blocks ``-reach .. reach`` away, side by side,
#   ``(b, nb, block, (2 reach + 1) block)``; one block either side when
#   ``block == neighbors``;
# * the stride (atrous), with ``block == rate``: the keys a multiple of
#   ``rate`` away from query slot ``c`` of a block are slot ``c`` of every
#   block, ``(b, nb, rate, nb)``.
#
# Each part is one batched matrix product with no loop, so an eager call runs
# a dozen or so large kernels, as a compiled one does. Both parts share the
# ``(b, nb, block, keys)`` layout, so one softmax over their concatenation
# normalises each query once over the union of its keys.


def _dims(x: tf.Tensor) -> list:
    """The shape of ``x``: Python ints where known, scalar tensors otherwise
    (so static shapes stay static through reshapes)."""
    static = x.shape.as_list()
    if all(d is not None for d in static):
        return static
    dynamic = tf.shape(x)
    return [dynamic[i] if d is None else d for i, d in enumerate(static)]


def _pad(x: tf.Tensor, before, after) -> tf.Tensor:
    """Pad axis 1 of ``x`` with zeros (False for a mask)."""
    if isinstance(before, int) and isinstance(after, int) and before == after == 0:
        return x
    return tf.pad(x, [[0, 0], [before, after]] + [[0, 0]] * (x.shape.rank - 2))


def _pad_to_blocks(tensors, block: int):
    """Pad each tensor's axis 1 up to a multiple of ``block``."""
    n = _dims(tensors[0])[1]
    extra = (-n) % block
    return [_pad(t, 0, extra) for t in tensors]


def _blocks(x: tf.Tensor, block: int) -> tf.Tensor:
    """``(b, nb*block, ...)`` -> ``(b, nb, block, ...)``: consecutive blocks."""
    dims = _dims(x)
    return tf.reshape(x, [dims[0], dims[1] // block, block] + dims[2:])


def _unblocks(x: tf.Tensor) -> tf.Tensor:
    """Inverse of ``_blocks``."""
    dims = _dims(x)
    return tf.reshape(x, [dims[0], dims[1] * dims[2]] + dims[3:])


def _band_shifts(neighbors: int, block: int, causal: bool) -> range:
    """Which key blocks, relative to a query block, the band reaches: with
    ``block == neighbors`` the previous, own and next one (the own and
    previous one when causal)."""
    reach = -(-neighbors // block)
    return range(-reach, 1 if causal else reach + 1)


def _band_windows(x: tf.Tensor, block: int, shifts: range) -> tf.Tensor:
    """``(b, nb*block, ...)`` -> ``(b, nb, len(shifts)*block, ...)``: for each
    block, the blocks ``shifts`` away from it, side by side (zeros beyond the
    ends)."""
    nb = _dims(x)[1] // block
    padded = _blocks(_pad(x, -shifts[0] * block, shifts[-1] * block), block)
    return tf.concat([padded[:, s - shifts[0]: s - shifts[0] + nb] for s in shifts], axis=2)


def _band_parts(q, k, valid, neighbors: int, block: int, causal: bool):
    """Scores of each block of queries against the key blocks the band
    reaches, ``(b, nb, block, len(shifts) * block)``: ``3 * block * n``
    scores instead of ``n^2`` when ``block == neighbors``. A constant
    ``(block, len(shifts) * block)`` mask cuts the band exactly; ``valid``
    removes padding. ``q``, ``k`` and ``valid`` are padded to whole blocks."""
    shifts = _band_shifts(neighbors, block, causal)
    scores = tf.einsum("bnid,bnjd->bnij", _blocks(q, block), _band_windows(k, block, shifts)) * _scale(q)
    offset = np.arange(block)[:, None] - (np.arange(len(shifts) * block) + shifts[0] * block)[None, :]  # i - j
    band = (np.abs(offset) <= neighbors) & ((offset >= 0) if causal else True)
    allowed = (tf.constant(band) & _blocks(valid, block)[..., None]
               & _band_windows(valid, block, shifts)[:, :, None, :])
    return scores, allowed


def _band_output(weights, v, neighbors: int, block: int, causal: bool):
    """The band weights times the value blocks they refer to, ``(b, nb, block, d)``."""
    return tf.einsum("bnij,bnjd->bnid", weights, _band_windows(v, block, _band_shifts(neighbors, block, causal)))


def _stride_steps_allowed(m, min_distance: int, causal: bool):
    """Which block pairs ``(t, s)`` the stride links: ``|t - s| >= min_distance``
    (and ``t >= s`` when causal); ``t - s`` is the offset ``(i - j) / rate``."""
    if isinstance(m, int):  # static: a constant, folded away
        steps = np.arange(m)[:, None] - np.arange(m)[None, :]
        return tf.constant((np.abs(steps) >= min_distance) & ((steps >= 0) if causal else True))
    steps = tf.range(m)[:, None] - tf.range(m)[None, :]
    allowed = tf.abs(steps) >= min_distance
    return allowed & (steps >= 0) if causal else allowed


def _strided_part(q, k, valid, rate: int, causal: bool, min_distance: int = 0):
    """Scores of every query against the keys a multiple of ``rate`` away,
    ``(b, m, rate, m)`` with ``m = n / rate``: slot ``c`` of query block
    ``t`` meets slot ``c`` of every key block ``s``. ``min_distance`` drops
    keys fewer than that many blocks away; the sparse form uses it to count
    the band once."""
    qb, kb, valid_b = _blocks(q, rate), _blocks(k, rate), _blocks(valid, rate)
    scores = tf.einsum("btcd,bscd->btcs", qb, kb) * _scale(q)
    steps = _stride_steps_allowed(_dims(qb)[1], min_distance, causal)
    allowed = steps[:, None, :] & valid_b[..., None] & tf.transpose(valid_b, [0, 2, 1])[:, None]
    return scores, allowed


def _strided_output(weights, v, rate: int):
    return tf.einsum("btcs,bscd->btcd", weights, _blocks(v, rate))


def _joint_masked_softmax(parts):
    """One softmax per query over several score tensors taken together.

    ``parts`` is a list of ``(scores, allowed)`` that share their leading
    ``(b, nb, block)`` axes (the query) and each hold some of that query's
    keys on the last axis. A union of key sets needs ONE normalisation, not a
    sum of softmaxes: the parts are joined along the keys, go through one
    masked softmax (``where`` with ``-inf``: no NaN gradient, zeros for a
    query with no allowed key) and are split again.
    """
    if len(parts) == 1:
        return [softmax_where(*parts[0], axis=-1)]
    weights = softmax_where(tf.concat([s for s, _ in parts], -1), tf.concat([a for _, a in parts], -1), axis=-1)
    sizes = [_dims(s)[-1] for s, _ in parts]
    starts = np.cumsum([0] + sizes[:-1]).tolist() if all(isinstance(s, int) for s in sizes) else None
    if starts is None:
        starts = [sum(sizes[:i]) for i in range(len(sizes))]
    return [weights[..., start: start + size] for start, size in zip(starts, sizes)]


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
        return compiled(*args) if tf.executing_eagerly() else core(*args)
    run.compiled = compiled  # for tests: how often it traced
    return run


@_graph_when_eager
def _atrous_core(q, k, v, valid, rate: int, causal: bool):
    n = _dims(q)[1]
    q, k, v, valid = _pad_to_blocks([q, k, v, valid], rate)
    (weights,) = _joint_masked_softmax([_strided_part(q, k, valid, rate, causal)])
    return _unblocks(_strided_output(weights, v, rate))[:, :n]


@_graph_when_eager
def _local_core(q, k, v, valid, neighbors: int, block: int, causal: bool):
    n = _dims(q)[1]
    q, k, v, valid = _pad_to_blocks([q, k, v, valid], block)
    (weights,) = _joint_masked_softmax([_band_parts(q, k, valid, neighbors, block, causal)])
    return _unblocks(_band_output(weights, v, neighbors, block, causal))[:, :n]


@_graph_when_eager
def _sparse_core(q, k, v, valid, rate: int, causal: bool):
    n = _dims(q)[1]
    q, k, v, valid = _pad_to_blocks([q, k, v, valid], rate)
    band = _band_parts(q, k, valid, rate, rate, causal)
    strided = _strided_part(q, k, valid, rate, causal, min_distance=2)
    band_weights, strided_weights = _joint_masked_softmax([band, strided])
    out = _band_output(band_weights, v, rate, rate, causal) + _strided_output(strided_weights, v, rate)
    return _unblocks(out)[:, :n]


def _checked(q, k, v, mask):
    """``q, k, v`` checked for self-attention, and the bool padding mask."""
    q, k, v = _check_qkv(q, k, v, same_length=True)
    return q, k, v, _padding_mask(mask, q)


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


# --------------------------------------------------------------------------- layers (re-exported)

# The layers import this module's functions, so they are imported last.
from blogcode.attention_layers import (AtrousSelfAttention, LocalSelfAttention,  # noqa: E402
                                       MultiHeadSelfAttention, SparseSelfAttention, marker_model,
                                       marker_task)
