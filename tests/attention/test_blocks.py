"""Unit tests of blogcode.attention.blocks: unnormalised softmax parts, their exact merge, the band in blocks."""

import numpy as np
import pytest
import tensorflow as tf

from blogcode.attention.blocks import (after, band_parts, band_shifts, flat_blocks, joined_parts, merge_parts, normalized,
                                       pad_length, part_exponentials, real_keys, static_dims, unflatten_blocks)
from blogcode.attention.patterns import attention_mask, local_mask
from blogcode.masking import masked_softmax


def random_scores(shape, seed, scale=1.0):
    return tf.constant((scale * np.random.default_rng(seed).normal(size=shape)).astype("float32"))


def log_sum_exp(scores, allowed):
    with np.errstate(divide="ignore"):
        return np.log(np.sum(np.where(allowed, np.exp(scores), 0), -1, keepdims=True))


def test_part_exponentials_are_the_masked_softmax_before_the_division():
    scores = random_scores((3, 2, 5), seed=4)
    allowed = tf.constant(np.random.default_rng(4).random((3, 2, 5)) < 0.6) | tf.one_hot(
        [[0, 1]] * 3, 5, on_value=True, off_value=False)
    for scale in (1.0, 0.5):
        exps, (top, total) = part_exponentials(scores, allowed, scale)
        np.testing.assert_allclose((exps / total).numpy(), masked_softmax(scores * scale, allowed).numpy(), atol=1e-6)
        # top + log(sum) is the part's log-sum-exp: what joins it to other parts.
        expected = log_sum_exp(scale * scores.numpy(), allowed.numpy())
        np.testing.assert_allclose((top + tf.math.log(total)).numpy(), expected, atol=1e-5)
        assert np.all(exps.numpy()[~allowed.numpy()] == 0) and np.all(exps.numpy() <= 1)
    exps, (top, total) = part_exponentials(scores)   # no mask: the plain softmax
    np.testing.assert_allclose((exps / total).numpy(), tf.nn.softmax(scores).numpy(), atol=1e-6)


def test_part_exponentials_do_not_overflow_and_stay_finite_with_no_allowed_key():
    scores = random_scores((2, 3, 4), seed=1, scale=300.0)   # exp(300) overflows float32
    allowed = tf.constant(np.array([[True, False, True, True]] * 3 + [[False] * 4] * 3).reshape(2, 3, 4))
    with tf.GradientTape() as tape:
        tape.watch(scores)
        exps, (top, total) = part_exponentials(scores, allowed)
        loss = tf.reduce_sum(exps)
    assert np.isfinite(exps.numpy()).all() and np.isfinite(tape.gradient(loss, scores).numpy()).all()
    np.testing.assert_array_equal(exps.numpy()[1], 1)   # no allowed key: finite, and merge_parts gives it no share
    assert np.all(top.numpy()[1] == np.finfo(np.float32).min)


def test_merge_parts_is_one_softmax_over_all_parts():
    rng = np.random.default_rng(5)
    a, b = random_scores((3, 2, 4), 6), random_scores((3, 2, 4), 7, scale=4.0)
    va, vb = random_scores((3, 4, 6), 8), random_scores((3, 4, 6), 9)
    allowed_a = tf.constant(rng.random((3, 2, 4)) < 0.6)
    allowed_b = tf.constant(rng.random((3, 2, 4)) < 0.6)
    allowed_a = tf.tensor_scatter_nd_update(allowed_a, [[0, 0]], [[False] * 4])   # a query with no key in part a
    allowed_b = tf.tensor_scatter_nd_update(allowed_b, [[0, 0]], [[True] * 4])
    (ea, sa), (eb, sb) = part_exponentials(a, allowed_a), part_exponentials(b, allowed_b)
    merged, (top, total) = merge_parts([tf.matmul(ea, va), tf.matmul(eb, vb)], [sa, sb])
    both = tf.concat([allowed_a, allowed_b], -1)
    joint = masked_softmax(tf.concat([a, b], -1), both)
    expected = tf.matmul(joint, tf.concat([va, vb], 1)).numpy()
    np.testing.assert_allclose(normalized(merged, (top, total)).numpy(), expected, atol=1e-5)
    lse = log_sum_exp(tf.concat([a, b], -1).numpy(), both.numpy())
    np.testing.assert_allclose((top + tf.math.log(total)).numpy(), lse, atol=1e-5)   # so more parts can join
    # Two softmaxes added are not the union's softmax: the test above can fail.
    added = normalized(tf.matmul(ea, va), sa) + normalized(tf.matmul(eb, vb), sb)
    assert not np.allclose(added.numpy(), expected, atol=1e-3)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("block", [8, 5])
def test_band_parts_is_the_local_softmax_unnormalised(causal, block):
    n, k, depth = 83, 8, 4
    q, k_, v = (random_scores((2, n, depth), seed) for seed in (0, 1, 2))
    valid = tf.constant(np.arange(n)[None, :] < np.array([[n], [50]]))
    out, (top, total) = joined_parts(band_parts(q, k_, v, valid, k, block, causal, scale=0.5))
    rows = -(-n // block)
    assert tuple(out.shape) == (2 * rows, block, depth) and tuple(total.shape) == (2 * rows, block, 1)
    assert len(band_shifts(k, block, causal)) == (-(-k // block)) * (1 if causal else 2) + 1
    allowed = attention_mask(local_mask(n, k, causal=causal), valid.numpy())
    scores = 0.5 * tf.matmul(q, k_, transpose_b=True)
    expected_out = tf.matmul(masked_softmax(scores, allowed), v)
    blocks = (lambda x: tf.reshape(x, [2, -1, x.shape[-1]])[:, :n])   # back to (b, n, ...)
    # Every query of the second sequence has a real key (itself or one before it) except the padding ones.
    real = valid.numpy()
    np.testing.assert_allclose(blocks(normalized(out, (top, total))).numpy()[real], expected_out.numpy()[real],
                               atol=1e-5)
    lse = blocks(top + tf.math.log(total)).numpy()
    np.testing.assert_allclose(lse[real], log_sum_exp(scores.numpy(), allowed)[real], atol=1e-4)


def test_joined_parts_chains_the_parts_and_joins_them_exactly():
    # Part i waits for the product of part i - chains (its chain's previous part), and
    # however the parts are chained, they join into the same one softmax.
    q, k_, v = (random_scores((1, 40, 3), seed) for seed in (3, 4, 5))

    def recorded(part, number):
        def run(wait=None):
            waited.append((number, None if wait is None else wait.ref()))
            out, stats, product = part(wait)
            products[number] = product.ref()
            return out, stats, product
        return run

    results = []
    for chains in (1, 2, 3):
        waited, products = [], {}
        parts = band_parts(q, k_, v, None, 8, 4, False, scale=0.5)   # five parts
        out, stats = joined_parts([recorded(part, i) for i, part in enumerate(parts)], chains=chains)
        expected = {i: None if i < chains else products[i - chains] for i in range(len(parts))}
        assert dict(waited) == expected, chains
        results.append(normalized(out, stats).numpy())
    for result in results[1:]:
        np.testing.assert_allclose(result, results[0], atol=1e-6)


def ancestors(tensor):
    """Every tensor ``tensor`` is computed from, in its graph."""
    seen, stack = set(), [tensor]
    while stack:
        t = stack.pop()
        if t.ref() not in seen:
            seen.add(t.ref())
            stack.extend(t.op.inputs)
    return seen


def test_after_keeps_the_value_and_depends_on_its_first_argument():
    x = random_scores((2, 5), 2)
    for first in (random_scores((3, 4), 1), tf.constant([np.inf, 1.0]), tf.constant([np.nan])):
        np.testing.assert_array_equal(after(first, x).numpy(), x.numpy())   # an inf or nan in first spreads nowhere
    assert after(first, tf.constant([[1.5]], tf.float16)).dtype == tf.float16
    # A data dependency (which XLA keeps, unlike a control dependency; the
    # peak-memory test of the sparse form fails without it).
    graph = tf.function(after).get_concrete_function(tf.TensorSpec((3, 4)), tf.TensorSpec((2, 5))).graph
    first_input, x_input = graph.inputs[:2]
    assert first_input.ref() in ancestors(graph.outputs[0]) and x_input.ref() in ancestors(graph.outputs[0])


def test_the_block_layout_round_trips_and_pads_with_zeros():
    x = random_scores((2, 7, 3), 0)
    blocks = flat_blocks(x, 3)   # 7 -> 9 positions, 3 blocks per sequence
    assert static_dims(blocks) == [6, 3, 3]
    np.testing.assert_array_equal(blocks.numpy()[2, 1:], 0)   # the padding of the first sequence's last block
    np.testing.assert_array_equal(unflatten_blocks(blocks, 2, 7).numpy(), x.numpy())
    assert pad_length(x, 7) is x and static_dims(pad_length(x, 4)) == [2, 8, 3]
    assert real_keys(x).numpy().all() and static_dims(real_keys(x)) == [2, 7]
    given = tf.constant(np.arange(7)[None, :] < np.array([[7], [3]]))
    assert real_keys(x, given) is given
    mask = pad_length(tf.ones((2, 7), tf.bool), 4)
    assert mask.dtype == tf.bool and not mask.numpy()[:, 7:].any()


def test_bad_input_names_the_argument():
    scores = random_scores((2, 3), 0)
    with pytest.raises(TypeError, match="scores"):
        part_exponentials(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="scores"):
        part_exponentials(tf.zeros((2, 3), tf.int32))
    with pytest.raises(TypeError, match="allowed"):
        part_exponentials(scores, tf.ones((2, 3)))
    exps, stats = part_exponentials(scores)
    with pytest.raises(ValueError, match="two parts"):
        merge_parts([exps], [stats])
    with pytest.raises(ValueError, match="stats"):
        normalized(exps, stats + stats)
    with pytest.raises(TypeError, match="first"):
        after([1.0], scores)
    with pytest.raises(TypeError, match="x"):
        after(scores, 2.0)
    with pytest.raises(TypeError, match="x"):
        static_dims(np.zeros(3))
    with pytest.raises(ValueError, match="multiple"):
        pad_length(scores[None], 0)
    with pytest.raises(TypeError, match="block"):
        flat_blocks(scores[None], 2.0)
    q = random_scores((1, 8, 2), 0)
    for name, args in (("neighbors", (0, 4, False)), ("block", (2, 1.5, False)), ("causal", (2, 4, "yes"))):
        with pytest.raises((TypeError, ValueError), match=name):
            band_parts(q, q, q, None, *args)
        with pytest.raises((TypeError, ValueError), match=name):
            band_shifts(*args)
    parts = band_parts(q, q, q, None, 2, 2, False)
    with pytest.raises(ValueError, match="chains"):
        joined_parts(parts, chains=0)
    with pytest.raises(TypeError, match="chains"):
        joined_parts(parts, chains=2.0)
    for bad in ([], parts[0], [1.0]):
        with pytest.raises(TypeError, match="parts"):
            joined_parts(bad)
