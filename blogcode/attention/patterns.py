"""Standard attention, the article's three sparse patterns as masks, and what they reach.

Chapter: "Born to save: from standard attention to sparse attention"
(book/attention.md, article 6853). The efficient forms that compute these
patterns without an ``n x n`` matrix are in ``blogcode.attention.efficient``;
the Keras layers built on both are in ``blogcode.attention.layers``.

Shapes and conventions
----------------------
* The functional forms take ``q``, ``k``, ``v`` of shape ``(batch, length,
  depth)``; a multi-head layer folds its heads into the batch axis first.
* A *pattern* mask is a bool ``(length, length)`` array, ``True`` where query
  ``i`` may attend to key ``j``. ``atrous_mask``, ``local_mask`` and
  ``sparse_mask`` build them (NumPy) for pictures, counting and tests;
  ``pattern_mask`` picks one by name.
* A *padding* mask is ``(batch, length)``, ``True`` on real positions (as
  ``blogcode.masking.sequence_mask`` makes it). A padded position neither
  attends nor is attended to; its output is zero.
* ``dense_attention`` builds the full ``n x n`` score matrix and accepts any
  mask, e.g. ``attention_mask(pattern, padding)``.
* Every softmax masks with ``where`` and ``-inf`` (``blogcode.masking``), so a
  fully masked row gives zeros, never NaN or a uniform distribution.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from blogcode import checks
from blogcode.masking import as_tensor, softmax_where

__all__ = [
    "PATTERN_NAMES",
    "check_qkv",
    "padding_mask",
    "score_scale",
    "dense_attention",
    "causal_mask",
    "atrous_mask",
    "local_mask",
    "sparse_mask",
    "pattern_mask",
    "attention_mask",
    "pattern_cost",
    "receptive_field_matrix",
    "softmax_by_subtraction",
]

PATTERN_NAMES = ("dense", "atrous", "local", "sparse")


# --------------------------------------------------------------------------- checks


def _as_float_tensor(x, name: str) -> tf.Tensor:
    x = as_tensor(x, name)
    if not x.dtype.is_floating:
        if x.dtype == tf.bool:
            raise TypeError(f"{name} must be numeric, got {x.dtype.name}")
        x = tf.cast(x, tf.float32)
    if x.shape.rank != 3:
        raise ValueError(f"{name} must be (batch, length, depth), got shape {tuple(x.shape)}")
    if x.shape[1] == 0:
        raise ValueError(f"{name} is an empty sequence (length 0)")
    if x.shape[2] == 0:
        raise ValueError(f"{name} has depth 0")
    # ``np.asarray`` views an eager CPU tensor in place (``.numpy()`` copies it): the
    # check then costs a fraction of two TF ops and a sync, or of the copy.
    if tf.executing_eagerly() and np.isnan(np.asarray(x)).any():
        raise ValueError(f"{name} contains NaN")
    return x


def check_qkv(q, k, v, same_length: bool):
    """``q``, ``k``, ``v`` as float tensors ``(batch, length, depth)`` of one
    dtype, with matching depths (q, k), lengths (k, v; and q when
    ``same_length``, as self-attention patterns need) and batch sizes."""
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
    mask = as_tensor(mask, name)
    if mask.dtype != tf.bool:
        mask = tf.not_equal(mask, tf.zeros((), mask.dtype))
    return mask


def padding_mask(mask, q: tf.Tensor) -> tf.Tensor:
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


def score_scale(q: tf.Tensor):
    """The factor ``1/sqrt(d)`` for the scores of queries ``q`` of depth ``d``."""
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
    q, k, v = check_qkv(q, k, v, same_length=False)
    scores = tf.einsum("bqd,bkd->bqk", q, k) * score_scale(q)
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



def pattern_mask(pattern: str, n: int, k: int, causal: bool = False) -> np.ndarray:
    """The bool ``(n, n)`` mask of a pattern by name (``dense`` ignores ``k``)."""
    pattern = checks.one_of(pattern, "pattern", PATTERN_NAMES)
    n, k, causal = checks.positive_int(n, "n"), checks.positive_int(k, "k"), checks.boolean(causal, "causal")
    if pattern == "dense":
        return causal_mask(n) if causal else np.ones((n, n), bool)
    return {"atrous": atrous_mask, "local": local_mask, "sparse": sparse_mask}[pattern](n, k, causal=causal)


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


def receptive_field_matrix(masks) -> np.ndarray:
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
