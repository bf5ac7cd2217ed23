"""Unit tests of blogcode.attention.patterns (chapter: from standard attention to sparse attention)."""

import numpy as np
import pytest
import tensorflow as tf

from blogcode.attention.patterns import (
    PATTERN_NAMES,
    atrous_mask,
    attention_mask,
    causal_mask,
    check_qkv,
    dense_attention,
    local_mask,
    padding_mask,
    pattern_cost,
    pattern_mask,
    receptive_field_matrix,
    score_scale,
    softmax_by_subtraction,
    sparse_mask,
)

MASKS = {"atrous": atrous_mask, "local": local_mask, "sparse": sparse_mask}


def random_qkv(batch, n, depth=6, seed=0, depth_v=None):
    rng = np.random.default_rng(seed)
    shapes = [(batch, n, depth), (batch, n, depth), (batch, n, depth_v or depth)]
    return [tf.constant(rng.normal(size=s).astype("float32")) for s in shapes]


# ----------------------------------------------------------------- masks


def brute_force(n, k, kind):
    mask = np.zeros((n, n), bool)
    for i in range(n):
        for j in range(n):
            atrous = (i - j) % k == 0
            local = abs(i - j) <= k
            mask[i, j] = {"atrous": atrous, "local": local, "sparse": atrous or local}[kind]
    return mask


@pytest.mark.parametrize("kind", ["atrous", "local", "sparse"])
@pytest.mark.parametrize("n, k", [(1, 1), (7, 2), (12, 3), (10, 11)])
def test_pattern_masks_match_their_definitions(kind, n, k):
    mask_fn = MASKS[kind]
    expected = brute_force(n, k, kind)
    np.testing.assert_array_equal(mask_fn(n, k), expected)
    np.testing.assert_array_equal(mask_fn(n, k, causal=True), expected & np.tril(np.ones((n, n), bool)))
    assert mask_fn(n, k).dtype == bool
    np.testing.assert_array_equal(mask_fn(n, k), mask_fn(n, k).T)  # the patterns are symmetric


@pytest.mark.parametrize("kind", ["dense", "atrous", "local", "sparse"])
@pytest.mark.parametrize("causal", [False, True])
def test_pattern_cost_counts_the_mask(kind, causal):
    for n in (1, 5, 16, 33):
        for k in (1, 2, 3, 8):
            mask = causal_mask(n) if kind == "dense" else MASKS[kind](n, k)
            if kind == "dense" and not causal:
                mask = np.ones((n, n), bool)
            if causal:
                mask = mask & causal_mask(n)
            assert pattern_cost(kind, n, k, causal) == mask.sum(), (kind, n, k, causal)


def test_pattern_cost_closed_forms():
    n, k = 64, 4
    assert pattern_cost("local", n, k) == (2 * k + 1) * n - k * (k + 1)
    assert pattern_cost("atrous", n, k) == n * n // k  # n a multiple of k: n/k keys per query
    assert pattern_cost("dense", n, k) == n * n


# A wrong type is a TypeError, a wrong value a ValueError; the message names the argument.
BAD_SIZES = [(0, ValueError), (-3, ValueError), (1.5, TypeError), (3.0, TypeError), (True, TypeError),
             ("2", TypeError), (None, TypeError), (float("nan"), TypeError)]


@pytest.mark.parametrize("fn, arg", [(atrous_mask, "rate"), (local_mask, "neighbors"), (sparse_mask, "rate")])
@pytest.mark.parametrize("bad, error", BAD_SIZES)
def test_masks_reject_bad_sizes(fn, arg, bad, error):
    with pytest.raises(error, match=arg):
        fn(8, bad)
    with pytest.raises(error, match="n"):
        fn(bad, 2)
    with pytest.raises(TypeError, match="causal"):
        fn(8, 2, causal="yes")


@pytest.mark.parametrize("call, error, arg", [
    (lambda: causal_mask(2.0), TypeError, "n"),
    (lambda: pattern_cost("strided", 8, 2), ValueError, "pattern"),
    (lambda: pattern_cost(None, 8, 2), TypeError, "pattern"),
    (lambda: pattern_cost("local", 8, 0), ValueError, "k"),
    (lambda: pattern_cost("local", 8.0, 2), TypeError, "n"),
    (lambda: pattern_cost("local", 8, True), TypeError, "k"),
    (lambda: pattern_cost("local", 8, 2, causal=1), TypeError, "causal"),
    (lambda: attention_mask(np.ones((3, 4), bool)), ValueError, "pattern"),
    (lambda: attention_mask(None), TypeError, "pattern"),
    (lambda: attention_mask(np.array([["a"]])), TypeError, "pattern"),
    (lambda: attention_mask(np.full((2, 2), 0.5)), ValueError, "pattern"),
    (lambda: attention_mask(np.ones((3, 3), bool), np.ones((2, 4), bool)), ValueError, "padding"),
    (lambda: attention_mask(np.ones((3, 3), bool), "abc"), TypeError, "padding"),
    (lambda: receptive_field_matrix(None), TypeError, "masks"),
    (lambda: receptive_field_matrix([]), ValueError, "masks"),
    (lambda: receptive_field_matrix([np.ones((2, 3), bool)]), ValueError, "masks"),
    (lambda: softmax_by_subtraction(None, np.ones(3, bool)), TypeError, "scores"),
    (lambda: softmax_by_subtraction(np.ones(3), np.ones(3, bool), constant=float("nan")), ValueError, "constant"),
    (lambda: softmax_by_subtraction(np.ones(3), np.ones(3, bool), constant=-1.0), ValueError, "constant"),
    (lambda: softmax_by_subtraction(np.ones(3), np.ones(3, bool), constant="big"), TypeError, "constant"),
    (lambda: softmax_by_subtraction(np.ones(3), None), TypeError, "allowed"),
])
def test_pattern_helpers_reject_bad_input(call, error, arg):
    with pytest.raises(error, match=arg):
        call()


def test_receptive_field_of_stacked_layers():
    n, k = 24, 4
    assert not receptive_field_matrix([local_mask(n, k)]).all()
    assert not receptive_field_matrix([atrous_mask(n, k)]).all()
    assert receptive_field_matrix([local_mask(n, k), atrous_mask(n, k)]).all()
    # Two local layers reach twice as far, no further.
    reach = receptive_field_matrix([local_mask(n, k)] * 2)
    np.testing.assert_array_equal(reach, local_mask(n, 2 * k))
    with pytest.raises(ValueError, match="masks"):
        receptive_field_matrix([])
    with pytest.raises(ValueError, match="masks"):
        receptive_field_matrix([local_mask(4, 1), local_mask(5, 1)])


# ----------------------------------------------------------------- dense attention


def test_dense_attention_matches_numpy():
    q, k, v = random_qkv(2, 5, depth=4, depth_v=3)
    scores = np.einsum("bqd,bkd->bqk", q.numpy(), k.numpy()) / 2.0
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    np.testing.assert_allclose(dense_attention(q, k, v).numpy(), weights @ v.numpy(), rtol=1e-5, atol=1e-6)
    # A mask that allows everything changes nothing; rank-2 and rank-3 masks agree.
    everything = np.ones((5, 5), bool)
    np.testing.assert_allclose(dense_attention(q, k, v, everything).numpy(), weights @ v.numpy(), rtol=1e-5, atol=1e-6)
    causal = causal_mask(5)
    np.testing.assert_allclose(dense_attention(q, k, v, causal).numpy(),
                               dense_attention(q, k, v, np.stack([causal] * 2)).numpy())


def test_dense_attention_fully_masked_rows_are_zero():
    q, k, v = random_qkv(1, 4)
    mask = np.ones((4, 4), bool)
    mask[2] = False
    out = dense_attention(q, k, v, mask).numpy()
    assert np.all(out[0, 2] == 0) and np.isfinite(out).all()


def test_dense_attention_rejects_bad_mask():
    q, k, v = random_qkv(1, 4)
    with pytest.raises(TypeError, match="q"):
        dense_attention(None, k, v)
    with pytest.raises(TypeError, match="mask"):
        dense_attention(q, k, v, "causal")
    with pytest.raises(ValueError, match="mask"):
        dense_attention(q, k, v, np.ones((3, 4, 4), bool))
    with pytest.raises(ValueError, match="mask"):
        dense_attention(q, k, v, np.ones((4,), bool))
    with pytest.raises(ValueError, match="mask"):
        dense_attention(q, k, v, np.ones((5, 5), bool))


def test_pattern_mask_by_name():
    np.testing.assert_array_equal(pattern_mask("sparse", 12, 3), sparse_mask(12, 3))
    np.testing.assert_array_equal(pattern_mask("dense", 5, 2, causal=True), causal_mask(5))
    assert pattern_mask("dense", 4, 1).all()
    assert PATTERN_NAMES == ("dense", "atrous", "local", "sparse")


def test_public_helpers_check_and_scale():
    q, k, v = random_qkv(2, 5, depth=4)
    assert score_scale(q) == 0.5
    checked = check_qkv(q.numpy().astype("float64"), k, v, same_length=True)
    assert all(t.dtype == tf.float64 for t in checked)
    assert padding_mask(None, q).numpy().all() and padding_mask(None, q).shape == (2, 5)
    assert padding_mask(np.array([[1, 1, 0, 0, 0]] * 2), q).numpy().sum() == 4
    with pytest.raises(ValueError, match="length"):
        check_qkv(q, k[:, :3], v[:, :3], same_length=True)
    with pytest.raises(ValueError, match="mask"):
        padding_mask(np.ones((2, 5, 1), bool), q)


@pytest.mark.parametrize("call, error, arg", [
    (lambda: pattern_mask("strided", 8, 2), ValueError, "pattern"),
    (lambda: pattern_mask(None, 8, 2), TypeError, "pattern"),
    (lambda: pattern_mask("local", 0, 2), ValueError, "n"),
    (lambda: pattern_mask("local", 8.0, 2), TypeError, "n"),
    (lambda: pattern_mask("local", 8, True), TypeError, "k"),
    (lambda: pattern_mask("local", 8, 2, causal="no"), TypeError, "causal"),
    (lambda: check_qkv(None, np.ones((1, 2, 2)), np.ones((1, 2, 2)), same_length=False), TypeError, "q"),
    (lambda: padding_mask("all", tf.ones((1, 2, 2))), TypeError, "mask"),
])
def test_pattern_mask_rejects_bad_input(call, error, arg):
    with pytest.raises(error, match=arg):
        call()
