"""Standard attention and three sparse patterns that really save time and memory.

Chapter: "Born to save: from standard attention to sparse attention"
(book/attention.md, article 6853).

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
  never build it: they compute only the scores the pattern allows (plus a
  little block padding), and give the same result as ``dense_attention``
  with ``attention_mask(pattern, padding)``.
* Every softmax goes through ``blogcode.masking.masked_softmax`` (``where``
  with ``-inf``), so a fully masked row gives zeros, never NaN or a uniform
  distribution.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from blogcode.masking import masked_softmax

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


# --------------------------------------------------------------------------- checks


def _check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return int(value)


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


def _padding_mask(mask, q: tf.Tensor) -> tf.Tensor:
    """A ``(batch, length)`` bool padding mask for ``q``, all True if None."""
    if mask is None:
        return tf.ones(tf.shape(q)[:2], tf.bool)
    mask = tf.convert_to_tensor(mask)
    if mask.shape.rank != 2:
        raise ValueError(f"mask must be a (batch, length) padding mask, got shape {tuple(mask.shape)}")
    for axis in (0, 1):
        if mask.shape[axis] is not None and q.shape[axis] is not None and mask.shape[axis] != q.shape[axis]:
            raise ValueError(f"mask shape {tuple(mask.shape)} does not match q shape {tuple(q.shape)}")
    if mask.dtype != tf.bool:
        mask = tf.not_equal(mask, tf.zeros((), mask.dtype))
    return mask


# --------------------------------------------------------------------------- dense


def dense_attention(q, k, v, mask=None):
    """Scaled dot-product attention ``softmax(q k^T / sqrt(d)) v`` with the
    full ``(batch, n_q, n_k)`` score matrix.

    ``mask`` (bool, True = may attend) is ``(n_q, n_k)`` or ``(batch or 1,
    n_q, n_k)``; a query whose row is fully masked gets a zero output.
    """
    q, k, v = _check_qkv(q, k, v, same_length=False)
    scores = tf.einsum("bqd,bkd->bqk", q, k) / math.sqrt(q.shape[-1])
    if mask is None:
        weights = tf.nn.softmax(scores, axis=-1)
    else:
        mask = tf.convert_to_tensor(mask)
        if mask.shape.rank == 2:
            mask = mask[None]
        if mask.shape.rank != 3:
            raise ValueError(f"mask must be (n_q, n_k) or (batch, n_q, n_k), got shape {tuple(mask.shape)}")
        weights = masked_softmax(scores, mask, axis=-1)
    return tf.einsum("bqk,bkd->bqd", weights, v)


# --------------------------------------------------------------------------- pattern masks


def _offsets(n: int) -> np.ndarray:
    n = _check_positive_int(n, "n")
    positions = np.arange(n)
    return positions[:, None] - positions[None, :]  # i - j


def causal_mask(n: int) -> np.ndarray:
    """``M[i, j] = j <= i``: a query sees itself and the past."""
    return _offsets(n) >= 0


def atrous_mask(n: int, rate: int, causal: bool = False) -> np.ndarray:
    """Atrous (dilated) pattern: ``M[i, j] = (i - j) mod rate == 0``."""
    rate = _check_positive_int(rate, "rate")
    mask = _offsets(n) % rate == 0
    return mask & causal_mask(n) if causal else mask


def local_mask(n: int, neighbors: int, causal: bool = False) -> np.ndarray:
    """Local (band) pattern: ``M[i, j] = |i - j| <= neighbors``."""
    neighbors = _check_positive_int(neighbors, "neighbors")
    mask = np.abs(_offsets(n)) <= neighbors
    return mask & causal_mask(n) if causal else mask


def sparse_mask(n: int, rate: int, causal: bool = False) -> np.ndarray:
    """OpenAI's sparse pattern, the union of the two:
    ``M[i, j] = |i - j| <= rate or (i - j) mod rate == 0``."""
    rate = _check_positive_int(rate, "rate")
    return local_mask(n, rate, causal) | atrous_mask(n, rate, causal)


def attention_mask(pattern, padding=None) -> np.ndarray:
    """Combine a ``(n, n)`` pattern with a ``(batch, n)`` padding mask into
    the ``(batch, n, n)`` mask for ``dense_attention``: a padded position
    neither attends nor is attended to."""
    pattern = np.asarray(pattern, dtype=bool)
    if pattern.ndim != 2 or pattern.shape[0] != pattern.shape[1]:
        raise ValueError(f"pattern must be a square (n, n) mask, got shape {pattern.shape}")
    if padding is None:
        return pattern[None]
    padding = np.asarray(padding, dtype=bool)
    if padding.ndim != 2 or padding.shape[1] != pattern.shape[0]:
        raise ValueError(f"padding must be (batch, {pattern.shape[0]}), got shape {padding.shape}")
    return pattern[None] & padding[:, :, None] & padding[:, None, :]


def pattern_cost(pattern: str, n: int, k: int, causal: bool = False) -> int:
    """Closed-form number of allowed (query, key) pairs, the exact version of
    the article's O(n^2/k), O((2k+1)n) estimates; checked against the masks."""
    n, k = _check_positive_int(n, "n"), _check_positive_int(k, "k")
    d = np.arange(n)  # pairs at offset i - j = d (d >= 0) number n - d
    def count(keep):
        forward = int(np.sum((n - d)[keep]))
        return forward if causal else 2 * forward - n  # offset 0 counted once
    if pattern == "dense":
        return count(d >= 0)
    if pattern == "atrous":
        return count(d % k == 0)
    if pattern == "local":
        return count(d <= k)
    if pattern == "sparse":
        return count((d <= k) | (d % k == 0))
    raise ValueError(f"pattern must be 'dense', 'atrous', 'local' or 'sparse', got {pattern!r}")


def receptive_field(masks) -> np.ndarray:
    """Which inputs each output can depend on after stacking layers with the
    given pattern masks (first layer first): the boolean product of the masks."""
    masks = [np.asarray(m, dtype=bool) for m in masks]
    if not masks:
        raise ValueError("masks must hold at least one (n, n) mask")
    reach = masks[0]
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
    scores = tf.convert_to_tensor(scores)
    if not scores.dtype.is_floating:
        raise TypeError(f"scores must be floating point, got {scores.dtype.name}")
    if not isinstance(constant, (int, float)) or not np.isfinite(constant) or constant <= 0:
        raise ValueError(f"constant must be a positive finite number, got {constant!r}")
    allowed = tf.cast(tf.convert_to_tensor(allowed), scores.dtype)
    return tf.nn.softmax(scores - (1.0 - allowed) * constant, axis=-1)


# --------------------------------------------------------------------------- efficient forms
#
# Every efficient form computes a few score tensors ("parts"), each holding
# only scores the pattern may allow, and normalises them with ONE softmax per
# query that runs across all parts (a shared maximum and a shared sum), without
# concatenating them. A part comes with its mask and with its query layout:
# which axes, when flattened, give the query position.


def _pad_to_multiple(x: tf.Tensor, multiple: int, before: int = 0, after: int = 0) -> tf.Tensor:
    """Pad axis 1 of ``x`` with zeros up to a multiple of ``multiple``, plus
    ``before``/``after`` extra whole blocks of that size."""
    n = tf.shape(x)[1]
    padded = (n + multiple - 1) // multiple * multiple
    paddings = [[0, 0], [before * multiple, padded - n + after * multiple]] + [[0, 0]] * (x.shape.rank - 2)
    return tf.pad(x, paddings)


def _blocks(x: tf.Tensor, block: int) -> tf.Tensor:
    """``(b, nb*block, ...)`` -> ``(b, nb, block, ...)``: consecutive blocks."""
    shape = tf.shape(x)
    return tf.reshape(x, tf.concat([[shape[0], shape[1] // block, block], shape[2:]], 0))


def _unblocks(x: tf.Tensor) -> tf.Tensor:
    """Inverse of ``_blocks``."""
    shape = tf.shape(x)
    return tf.reshape(x, tf.concat([[shape[0], shape[1] * shape[2]], shape[3:]], 0))


def _to_subsequences(x: tf.Tensor, rate: int) -> tf.Tensor:
    """``(b, m*rate, ...)`` -> ``(b, rate, m, ...)``; subsequence ``c`` holds
    positions ``c, c + rate, c + 2 rate, ...``."""
    perm = [0, 2, 1] + list(range(3, x.shape.rank + 1))
    return tf.transpose(_blocks(x, rate), perm)


def _from_subsequences(x: tf.Tensor) -> tf.Tensor:
    """Inverse of ``_to_subsequences``."""
    perm = [0, 2, 1] + list(range(3, x.shape.rank))
    return _unblocks(tf.transpose(x, perm))


def _joint_masked_softmax(parts):
    """One softmax per query over several score tensors taken together.

    ``parts`` is a list of ``(scores, allowed, layout)``; ``layout`` is
    ``("blocks", block)`` for scores ``(b, nb, block, keys)`` or
    ``("subsequences", rate)`` for ``(b, rate, m, keys)``. Returns the weights
    of each part. As in ``masked_softmax``, masked scores become ``-inf``
    before ``exp`` (so no gradient can be NaN) and a query with no allowed key
    gets all-zero weights.
    """
    def per_query(x, layout):  # (b, A, B) -> (b, n)
        return _unblocks(x) if layout[0] == "blocks" else _from_subsequences(x)

    def back(x, layout):  # (b, n) -> (b, A, B, 1), to broadcast over the keys
        kind, size = layout
        return (_blocks(x, size) if kind == "blocks" else _to_subsequences(x, size))[..., None]

    masked = [tf.where(allowed, scores, tf.constant(-np.inf, scores.dtype)) for scores, allowed, _ in parts]
    maxima = [per_query(tf.reduce_max(m, axis=-1), layout) for m, (_, _, layout) in zip(masked, parts)]
    shift = maxima[0] if len(maxima) == 1 else tf.reduce_max(tf.stack(maxima), axis=0)
    shift = tf.stop_gradient(tf.where(tf.math.is_finite(shift), shift, tf.zeros_like(shift)))
    exps = [tf.exp(m - back(shift, layout)) for m, (_, _, layout) in zip(masked, parts)]
    total = tf.add_n([per_query(tf.reduce_sum(e, axis=-1), layout) for e, (_, _, layout) in zip(exps, parts)])
    return [tf.math.divide_no_nan(e, back(total, layout)) for e, (_, _, layout) in zip(exps, parts)]


def _scale(q: tf.Tensor) -> float:
    return 1.0 / math.sqrt(q.shape[-1])


def _atrous_part(q, k, valid, rate: int, causal: bool, min_distance: int = 0):
    """Scores of every query against its own subsequence, ``(b, rate, m, m)``,
    with their mask. ``min_distance`` drops keys fewer than that many steps
    (of ``rate``) away; the sparse form uses it to count the band once."""
    qs, ks, valid_s = (_to_subsequences(t, rate) for t in (q, k, valid))
    scores = tf.einsum("bcid,bcjd->bcij", qs, ks) * _scale(q)
    m = tf.shape(qs)[2]
    steps = tf.range(m)[:, None] - tf.range(m)[None, :]  # (i - j) / rate
    allowed = tf.abs(steps) >= min_distance
    if causal:
        allowed &= steps >= 0
    allowed = allowed[None, None] & valid_s[:, :, :, None] & valid_s[:, :, None, :]
    return scores, allowed, ("subsequences", rate)


def atrous_attention(q, k, v, rate: int, mask=None, causal: bool = False):
    """Attention with the atrous pattern, computed on ``rate`` interleaved
    subsequences of length ``ceil(n / rate)``: time and memory O(n^2 / rate)."""
    rate = _check_positive_int(rate, "rate")
    q, k, v = _check_qkv(q, k, v, same_length=True)
    n = tf.shape(q)[1]
    valid = _pad_to_multiple(_padding_mask(mask, q), rate)
    q, k, v = (_pad_to_multiple(t, rate) for t in (q, k, v))
    (weights,) = _joint_masked_softmax([_atrous_part(q, k, valid, rate, causal)])
    out = tf.einsum("bcij,bcjd->bcid", weights, _to_subsequences(v, rate))
    return _from_subsequences(out)[:, :n]


def _band_shifts(neighbors: int, block: int, causal: bool) -> range:
    """Which key blocks, relative to a query block, the band reaches: with
    ``block == neighbors`` the previous, own and next one (the own and
    previous one when causal)."""
    reach = -(-neighbors // block)
    return range(-reach, 1 if causal else reach + 1)


def _band_parts(q, valid, k_window, valid_window, neighbors: int, block: int, causal: bool):
    """Scores of each block of queries against the key blocks the band
    reaches (previous, own and next when ``block == neighbors``), each
    ``(b, nb, block, block)``, with exact band masks. ``q`` and ``valid`` are
    padded to a multiple of ``block``; ``k_window`` and ``valid_window`` hold
    the same positions plus ``reach`` blocks before and after."""
    qb, valid_q = _blocks(q, block), _blocks(valid, block)
    shifts = _band_shifts(neighbors, block, causal)
    reach = -shifts[0]
    kb, valid_kb = _blocks(k_window, block), _blocks(valid_window, block)
    nb = tf.shape(qb)[1]
    rows, slots = np.arange(block)[:, None], np.arange(block)[None, :]
    parts = []
    for shift in shifts:
        keys, key_valid = kb[:, reach + shift: reach + shift + nb], valid_kb[:, reach + shift: reach + shift + nb]
        offset = rows - slots - shift * block  # i - j for query row r and key slot s
        band = (np.abs(offset) <= neighbors) & ((offset >= 0) if causal else True)
        allowed = tf.constant(band)[None, None] & valid_q[:, :, :, None] & key_valid[:, :, None, :]
        parts.append((tf.einsum("bnid,bnjd->bnij", qb, keys) * _scale(q), allowed, ("blocks", block)))
    return parts


def _band_output(weights, v_window, neighbors: int, block: int, causal: bool):
    """Sum over the band parts of their weights times the matching value blocks."""
    shifts = _band_shifts(neighbors, block, causal)
    reach = -shifts[0]
    vb = _blocks(v_window, block)
    nb = tf.shape(weights[0])[1]
    outs = [tf.einsum("bnij,bnjd->bnid", w, vb[:, reach + shift: reach + shift + nb])
            for w, shift in zip(weights, shifts)]
    return _unblocks(tf.add_n(outs))


def local_attention(q, k, v, neighbors: int, mask=None, causal: bool = False, block_size: int | None = None,
                    chunk_size: int = 1024):
    """Attention with the local pattern ``|i - j| <= neighbors``, computed in
    blocks: each block of ``block_size`` queries (default ``neighbors``) meets
    only the previous, own and next block of keys, so time and memory grow
    like ``3 * block_size * n`` instead of ``n^2``. Queries are processed
    ``chunk_size`` at a time, one chunk after the other (``tf.map_fn``), so
    the scores in memory at once stop growing with ``n``."""
    neighbors = _check_positive_int(neighbors, "neighbors")
    block = neighbors if block_size is None else _check_positive_int(block_size, "block_size")
    chunk_size = _check_positive_int(chunk_size, "chunk_size")
    q, k, v = _check_qkv(q, k, v, same_length=True)
    reach = -_band_shifts(neighbors, block, causal)[0]
    n, n_static = tf.shape(q)[1], q.shape[1]
    chunks = (n + chunk_size - 1) // chunk_size
    blocks_per_chunk = ((n + block - 1) // block + chunks - 1) // chunks
    width = blocks_per_chunk * block  # queries per chunk
    valid = _padding_mask(mask, q)
    q, valid_q = (tf.pad(t, [[0, 0], [0, chunks * width - n]] + [[0, 0]] * (t.shape.rank - 2)) for t in (q, valid))
    k, v, valid_k = (tf.pad(t, [[0, 0], [reach * block, chunks * width - n + reach * block]]
                            + [[0, 0]] * (t.shape.rank - 2)) for t in (k, v, valid))

    def one_chunk(c):
        start, window = c * width, width + 2 * reach * block
        parts = _band_parts(q[:, start: start + width], valid_q[:, start: start + width],
                            k[:, start: start + window], valid_k[:, start: start + window],
                            neighbors, block, causal)
        return _band_output(_joint_masked_softmax(parts), v[:, start: start + window], neighbors, block, causal)

    if n_static is not None and n_static <= chunk_size:  # one chunk: no loop needed
        return one_chunk(0)[:, :n]
    out = tf.map_fn(one_chunk, tf.range(chunks), parallel_iterations=1,
                    fn_output_signature=tf.TensorSpec((q.shape[0], None, v.shape[-1]), v.dtype))
    out = tf.reshape(tf.transpose(out, [1, 0, 2, 3]), [tf.shape(q)[0], chunks * width, tf.shape(v)[-1]])
    return out[:, :n]


def sparse_attention(q, k, v, rate: int, mask=None, causal: bool = False):
    """Attention with the sparse pattern ``|i - j| <= rate or (i - j) mod
    rate == 0``: the band parts (blocks of ``rate``) and the atrous part of
    each query share ONE softmax. Keys in both sets (offsets 0 and
    ``+-rate``) are dropped from the atrous part, so each counts once."""
    rate = _check_positive_int(rate, "rate")
    q, k, v = _check_qkv(q, k, v, same_length=True)
    n = tf.shape(q)[1]
    valid = _pad_to_multiple(_padding_mask(mask, q), rate)
    q, k, v = (_pad_to_multiple(t, rate) for t in (q, k, v))
    window = lambda t: _pad_to_multiple(t, rate, 1, 1)  # noqa: E731  one block of context each side
    band = _band_parts(q, valid, window(k), window(valid), rate, rate, causal)
    strided = _atrous_part(q, k, valid, rate, causal, min_distance=2)
    weights = _joint_masked_softmax(band + [strided])
    strided_out = tf.einsum("bcij,bcjd->bcid", weights[-1], _to_subsequences(v, rate))
    return (_band_output(weights[:-1], window(v), rate, rate, causal) + _from_subsequences(strided_out))[:, :n]


# --------------------------------------------------------------------------- layers


@keras.saving.register_keras_serializable(package="blogcode")
class MultiHeadSelfAttention(keras.layers.Layer):
    """Multi-head self-attention over the full ``n x n`` score matrix.

    Projects the input to ``heads`` queries, keys and values of size
    ``head_size``, attends (the subclasses change only this step), and
    projects the concatenated heads back to ``output_dim`` (default: the
    input's feature size). Honours a Keras mask or an explicit ``mask``
    ``(batch, length)``; ``causal=True`` lets position ``i`` see only
    ``j <= i``. Padded positions output zeros before the output projection.
    """

    def __init__(self, heads: int, head_size: int, causal: bool = False, output_dim: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.heads = _check_positive_int(heads, "heads")
        self.head_size = _check_positive_int(head_size, "head_size")
        if not isinstance(causal, (bool, np.bool_)):
            raise ValueError(f"causal must be True or False, got {causal!r}")
        self.causal = bool(causal)
        self.output_dim = None if output_dim is None else _check_positive_int(output_dim, "output_dim")
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(f"inputs must be (batch, length, features), got shape {tuple(input_shape)}")
        inner = self.heads * self.head_size
        self.query = keras.layers.Dense(inner, use_bias=False, name="query")
        self.key = keras.layers.Dense(inner, use_bias=False, name="key")
        self.value = keras.layers.Dense(inner, use_bias=False, name="value")
        self.out = keras.layers.Dense(self.output_dim or input_shape[-1], name="output")
        for layer in (self.query, self.key, self.value):
            layer.build(input_shape)
        self.out.build((*input_shape[:-1], inner))

    def _split_heads(self, x):
        batch, length = tf.shape(x)[0], tf.shape(x)[1]
        x = tf.reshape(x, [batch, length, self.heads, self.head_size])
        return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [batch * self.heads, length, self.head_size])

    def _merge_heads(self, x, batch):
        length = tf.shape(x)[1]
        x = tf.transpose(tf.reshape(x, [batch, self.heads, length, self.head_size]), [0, 2, 1, 3])
        return tf.reshape(x, [batch, length, self.heads * self.head_size])

    def attend(self, q, k, v, padding):
        n = tf.shape(q)[1]
        allowed = padding[:, :, None] & padding[:, None, :]
        if self.causal:
            allowed &= tf.range(n)[:, None] >= tf.range(n)[None, :]
        return dense_attention(q, k, v, allowed)

    def call(self, inputs, mask=None):
        inputs = tf.convert_to_tensor(inputs)
        if inputs.shape.rank != 3:
            raise ValueError(f"inputs must be (batch, length, features), got shape {tuple(inputs.shape)}")
        batch = tf.shape(inputs)[0]
        padding = _padding_mask(mask, inputs)
        padding = tf.repeat(padding, self.heads, axis=0)  # heads are folded into the batch, batch-major
        q, k, v = (self._split_heads(f(inputs)) for f in (self.query, self.key, self.value))
        out = self._merge_heads(self.attend(q, k, v, padding), batch)
        return self.out(out)

    def compute_mask(self, inputs, mask=None):
        return mask

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.output_dim or input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "heads": self.heads, "head_size": self.head_size,
                "causal": self.causal, "output_dim": self.output_dim}


@keras.saving.register_keras_serializable(package="blogcode")
class AtrousSelfAttention(MultiHeadSelfAttention):
    """Multi-head self-attention with the atrous pattern (``atrous_attention``)."""

    def __init__(self, heads: int, head_size: int, rate: int, causal: bool = False, **kwargs):
        super().__init__(heads, head_size, causal=causal, **kwargs)
        self.rate = _check_positive_int(rate, "rate")

    def attend(self, q, k, v, padding):
        return atrous_attention(q, k, v, self.rate, mask=padding, causal=self.causal)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}


@keras.saving.register_keras_serializable(package="blogcode")
class LocalSelfAttention(MultiHeadSelfAttention):
    """Multi-head self-attention with the local pattern (``local_attention``)."""

    def __init__(self, heads: int, head_size: int, neighbors: int, causal: bool = False, **kwargs):
        super().__init__(heads, head_size, causal=causal, **kwargs)
        self.neighbors = _check_positive_int(neighbors, "neighbors")

    def attend(self, q, k, v, padding):
        return local_attention(q, k, v, self.neighbors, mask=padding, causal=self.causal)

    def get_config(self):
        return {**super().get_config(), "neighbors": self.neighbors}


@keras.saving.register_keras_serializable(package="blogcode")
class SparseSelfAttention(MultiHeadSelfAttention):
    """Multi-head self-attention with the sparse pattern (``sparse_attention``)."""

    def __init__(self, heads: int, head_size: int, rate: int, causal: bool = False, **kwargs):
        super().__init__(heads, head_size, causal=causal, **kwargs)
        self.rate = _check_positive_int(rate, "rate")

    def attend(self, q, k, v, padding):
        return sparse_attention(q, k, v, self.rate, mask=padding, causal=self.causal)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}


# --------------------------------------------------------------------------- a long-range task


def marker_task(n: int, size: int, classes: int = 4, seed: int = 0):
    """A seeded synthetic task that needs long-range links.

    Each sequence holds random filler tokens and ONE marker token (ids
    ``1..classes``) at a random position; every position must output the
    marker's class. Returns ``(tokens (size, n) int32, labels (size, n))``.
    A position can only answer if information can flow from the marker to it.
    """
    n, size = _check_positive_int(n, "n"), _check_positive_int(size, "size")
    classes = _check_positive_int(classes, "classes")
    rng = np.random.default_rng(seed)
    fillers = 16
    tokens = rng.integers(classes + 1, classes + 1 + fillers, size=(size, n))
    labels = rng.integers(0, classes, size=size)
    where = rng.integers(0, n, size=size)
    tokens[np.arange(size), where] = labels + 1
    return tokens.astype("int32"), np.repeat(labels[:, None], n, axis=1).astype("int32")


def marker_model(kind: str, n: int, k: int, classes: int = 4, heads: int = 2, head_size: int = 8,
                 depth: int = 2) -> keras.Model:
    """``depth`` residual self-attention layers of one pattern (``"local"``
    with ``neighbors=k`` or ``"sparse"`` with ``rate=k``) between an
    embedding and a per-position classifier."""
    layers = {"local": lambda: LocalSelfAttention(heads, head_size, neighbors=k),
              "sparse": lambda: SparseSelfAttention(heads, head_size, rate=k),
              "atrous": lambda: AtrousSelfAttention(heads, head_size, rate=k),
              "dense": lambda: MultiHeadSelfAttention(heads, head_size)}
    if kind not in layers:
        raise ValueError(f"kind must be one of {sorted(layers)}, got {kind!r}")
    width = heads * head_size
    inputs = keras.Input((n,), dtype="int32")
    h = keras.layers.Embedding(classes + 17, width)(inputs)
    for _ in range(_check_positive_int(depth, "depth")):
        h = keras.layers.LayerNormalization()(h + layers[kind]()(h))
    outputs = keras.layers.Dense(classes, activation="softmax")(h)
    return keras.Model(inputs, outputs, name=f"{kind}_marker_model")
