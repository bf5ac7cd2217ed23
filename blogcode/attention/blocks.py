"""Blocks and parts: what the efficient attention forms are built from.

Chapter: "Born to save: from standard attention to sparse attention"
(book/attention.md, article 6853). A *part* is the attention of each query
over one subset of its keys, kept unnormalised: the exponentials of its
scores less their maximum, and that maximum and the sum per query
(``part_exponentials``). Parts join exactly into the one softmax over the
union of their keys (``merge_parts``), so a pattern can be computed in
pieces that each fit a batched matrix product. ``band_parts`` cuts the
local band into such parts on the (zero-padded) sequence cut into blocks:
``(b * nb, block, d)``, batch and blocks flattened, row ``r`` being block
``r % nb`` of sequence ``r // nb``; ``joined_parts`` computes parts in two
chains side by side and joins them. ``blogcode.attention.efficient`` builds
the local and sparse forms on them.
"""

from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

from blogcode import checks

__all__ = [
    "band_parts",
    "band_shifts",
    "joined_parts",
    "part_exponentials",
    "merge_parts",
    "normalized",
    "after",
    "static_dims",
    "real_keys",
    "pad_length",
    "flat_blocks",
    "unflatten_blocks",
]


def static_dims(x: tf.Tensor) -> list:
    """The shape of ``x``: Python ints where known, scalar tensors otherwise
    (so static shapes stay static through reshapes)."""
    if not tf.is_tensor(x):
        raise TypeError(f"x must be a tensor, got {type(x).__name__}")
    static = x.shape.as_list()
    if all(d is not None for d in static):
        return static
    dynamic = tf.shape(x)
    return [dynamic[i] if d is None else d for i, d in enumerate(static)]


def real_keys(q: tf.Tensor, valid=None) -> tf.Tensor:
    """Which keys are real, ``(b, n)``: ``valid``, or all of them when it is None."""
    return tf.ones(static_dims(q)[:2], tf.bool) if valid is None else valid


def pad_length(x: tf.Tensor, multiple: int) -> tf.Tensor:
    """``(b, n, ...)`` zero-padded (False for a mask) to a multiple of ``multiple``."""
    multiple = checks.positive_int(multiple, "multiple")
    extra = (-static_dims(x)[1]) % multiple
    if isinstance(extra, int) and extra == 0:
        return x
    return tf.pad(x, [[0, 0], [0, extra]] + [[0, 0]] * (x.shape.rank - 2))


def flat_blocks(x: tf.Tensor, block: int) -> tf.Tensor:
    """``(b, n, ...)`` -> ``(b * nb, block, ...)``, zero-padding ``n`` up to ``nb * block``."""
    x = pad_length(x, checks.positive_int(block, "block"))
    dims = static_dims(x)
    return tf.reshape(x, [dims[0] * (dims[1] // block), block] + dims[2:])


def unflatten_blocks(x: tf.Tensor, batch, n) -> tf.Tensor:
    """``(b * nb, block, d)`` -> ``(b, n, d)``, dropping the block padding."""
    return tf.reshape(x, [batch, -1, static_dims(x)[2]])[:, :n]


def part_exponentials(scores, allowed=None, scale=1.0):
    """One part of a softmax, unnormalised: ``exp(scale * s - top)`` for the
    allowed scores ``s`` of each query (0 for the others), with ``top``, the
    largest allowed ``scale * s``, and the sum of the exponentials per query,
    ``(..., 1)`` each. Dividing by the sum is left to the end
    (``normalized``), once per output rather than once per score.

    The maximum is subtracted only against overflow, so it needs no gradient.
    A masked score counts as the dtype's lowest finite value, not ``-inf``:
    a query with no allowed key in this part gets finite exponentials (all 1)
    and a ``top`` at that lowest value, which ``merge_parts`` turns into a
    share of 0; so no NaN arises in values or gradients."""
    if not (tf.is_tensor(scores) and scores.dtype.is_floating):
        raise TypeError(f"scores must be a float tensor, got {type(scores).__name__} "
                        f"{getattr(scores, 'dtype', '')}".rstrip())
    if allowed is not None and not (tf.is_tensor(allowed) and allowed.dtype == tf.bool):
        raise TypeError(f"allowed must be a bool tensor or None, got {type(allowed).__name__}")
    lowest = tf.constant(scores.dtype.min, scores.dtype)
    masked = scores if allowed is None else tf.where(allowed, scores, lowest)
    top = tf.stop_gradient(tf.reduce_max(masked, -1, keepdims=True))
    # Two selects rather than one reused: XLA then fuses each into its pass.
    shifted = scores - top if allowed is None else tf.where(allowed, scores - top, lowest - top)
    exps = tf.exp(shifted if isinstance(scale, float) and scale == 1.0 else shifted * scale)
    return exps, (top * scale, tf.reduce_sum(exps, -1, keepdims=True))


def merge_parts(outputs, stats):
    """Two parts joined into one: the union of their keys under one softmax.
    ``outputs`` are the parts' unnormalised outputs (exponentials times
    values), ``stats`` their ``(top, sum)`` pairs (``part_exponentials``);
    each part is rescaled to the larger ``top`` (the rule FlashAttention uses
    to join blocks). Returns the joined output and ``(top, sum)``, to be
    joined further or ``normalized``. Exact: one softmax over all the keys,
    never two softmaxes added."""
    if len(outputs) != 2 or len(stats) != 2 or any(len(pair) != 2 for pair in stats):
        raise ValueError("merge_parts joins two parts: outputs must hold 2 tensors and stats 2 (top, sum) pairs")
    (top_a, sum_a), (top_b, sum_b) = stats
    top = tf.maximum(top_a, top_b)
    share_a, share_b = tf.exp(top_a - top), tf.exp(top_b - top)
    return share_a * outputs[0] + share_b * outputs[1], (top, share_a * sum_a + share_b * sum_b)


def normalized(output, stats):
    """The attention output of a part or of merged parts: divided by its sum of exponentials."""
    if len(stats) != 2:
        raise ValueError(f"stats must be a (top, sum) pair, got {len(stats)} items")
    return output / stats[1]


def after(first: tf.Tensor, x: tf.Tensor) -> tf.Tensor:
    """``x``, computable only once ``first`` exists: ``x`` plus a zero made
    from an element of ``first`` (0 whether that element is finite or not,
    so an ``inf`` there spreads nowhere). XLA keeps no control
    dependencies, and its CPU scheduler runs independent parts side by
    side, holding all their scores at once; this data dependency makes
    parts run one after the other (``joined_parts``), which bounds the peak
    memory. ``first`` must be computed, not a constant at its first
    element, or XLA folds the dependency away."""
    for name, value in (("first", first), ("x", x)):
        if not tf.is_tensor(value):
            raise TypeError(f"{name} must be a tensor, got {type(value).__name__}")
    return x + tf.cast(tf.math.is_finite(tf.reshape(first, [-1])[0]), x.dtype) * 0


def _shift_blocks(x: tf.Tensor, shift: int, fill=0) -> tf.Tensor:
    """Row ``r`` of ``x`` moved to row ``r + shift`` (axis 0), ``fill`` where nothing lands.
    ``band_parts`` moves the queries so, not the keys and values: XLA copies
    a slice that feeds a matrix product (where TensorFlow's graph takes it in
    place), and one copy of the queries per part beats one of the keys and
    one of the values."""
    if shift == 0:
        return x
    rest = [[0, 0]] * (x.shape.rank - 1)
    if shift > 0:
        return tf.pad(x[:-shift], [[shift, 0]] + rest, constant_values=fill)
    return tf.pad(x[-shift:], [[0, -shift]] + rest, constant_values=fill)


def band_shifts(neighbors: int, block: int, causal: bool) -> range:
    """Which key blocks, relative to a query block, the band reaches: with
    ``block == neighbors`` the previous, own and next one (the own and
    previous one when causal)."""
    neighbors, block = checks.positive_int(neighbors, "neighbors"), checks.positive_int(block, "block")
    causal = checks.boolean(causal, "causal")
    reach = -(-neighbors // block)
    return range(-reach, 1 if causal else reach + 1)


def band_parts(q, k, v, valid, neighbors: int, block: int, causal: bool, scale=1.0) -> list:
    """Attention of each block of queries over the keys the band reaches, one
    key block at a time (``band_shifts``), ``block x block`` scores per query
    block and part (``3 block n`` in all for ``block == neighbors``, not
    ``n^2``). Each part is cut to the band by a small constant mask and to
    real keys of the same sequence. For a neighbouring key block the
    *queries* are moved to the keys and the output moved back, so the keys
    and values are never copied. Returns the parts, to be computed and
    joined by ``joined_parts``: functions ``part(wait)`` that give the
    part's unnormalised output and ``(top, sum)`` in blocks, ``(b * nb,
    block, d)`` and ``(b * nb, block, 1)``, and its product, which the next
    part of a chain may wait for. ``q``, ``k``, ``v`` are ``(b, n, d)``,
    ``valid`` ``(b, n)`` (None: every key is real). Queries are not masked
    here: a padding query's output is zeroed at the end."""
    shifts = band_shifts(neighbors, block, causal)  # checks the settings
    n = static_dims(q)[1]
    nb = (n + block - 1) // block
    queries, keys, values = (flat_blocks(x, block) for x in (q, k, v))
    rows = static_dims(queries)[0]
    every_key_real = valid is None and isinstance(n, int) and n % block == 0
    keys_valid = None if every_key_real else flat_blocks(real_keys(q, valid), block)
    index = tf.constant(np.arange(rows) % nb) if isinstance(rows, int) else tf.range(rows) % nb

    def part(shift: int, wait=None):  # this part's key block: the query block + shift
        offset = np.arange(block)[:, None] - np.arange(block)[None, :] - shift * block  # i - j
        band = (np.abs(offset) <= neighbors) & ((offset >= 0) if causal else True)
        # Row r of the part pairs key block r with query block r - shift (moved
        # there, and its output moved back), which must be of the same sequence.
        query_block = index - shift
        same_sequence = (query_block >= 0) & (query_block < nb)
        allowed = None if band.all() and shift == 0 else tf.constant(band)[None] & same_sequence[:, None, None]
        if keys_valid is not None:
            allowed = keys_valid[:, None, :] if allowed is None else allowed & keys_valid[:, None, :]
        part_queries = _shift_blocks(queries, shift) if wait is None else after(wait, _shift_blocks(queries, shift))
        exps, (top, total) = part_exponentials(tf.matmul(part_queries, keys, transpose_b=True), allowed, scale)
        product = tf.matmul(exps, values)
        stats = (_shift_blocks(top, -shift, fill=queries.dtype.min), _shift_blocks(total, -shift, fill=1))
        return _shift_blocks(product, -shift), stats, product

    return [functools.partial(part, shift) for shift in shifts]


def joined_parts(parts, chains: int = 2):
    """Computes ``parts`` (functions ``part(wait) -> (output, (top, sum),
    product)``, as ``band_parts`` gives) and joins them into one softmax
    (``merge_parts``): returns the joined output and ``(top, sum)``. The parts
    run in ``chains`` chains, part ``i`` in chain ``i % chains``, each waiting
    for the product of the one before it in its chain (``after``). XLA's CPU
    runtime runs independent operations side by side, so two chains keep both
    cores of a 2-core CPU busy while holding the scores of two parts at a
    time, not of all of them."""
    chains = checks.positive_int(chains, "chains")
    if not isinstance(parts, (list, tuple)) or not parts or not all(callable(part) for part in parts):
        raise TypeError("parts must be a non-empty list of part functions")
    outputs, stats = [], []
    for chain in range(chains):
        wait = None
        for part in parts[chain::chains]:
            output, part_stats, wait = part(wait)
            outputs.append(output)
            stats.append(part_stats)
    output, joined = outputs[0], stats[0]
    for part_output, part_stats in zip(outputs[1:], stats[1:]):
        output, joined = merge_parts([output, part_output], [joined, part_stats])
    return output, joined
