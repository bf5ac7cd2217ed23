"""Unit tests of blogcode.dgcnn.layers (chapter: DGCNN): the mixed embedding, the dilated
gated convolution against a NumPy transcription, attention pooling, serialisation."""

import numpy as np
import pytest
import tensorflow as tf

from blogcode import set_seed
from blogcode.dgcnn.layers import (AttentionPooling1D, DilatedGatedConv1D, MixEmbedding, PositionEmbedding, check_rate,
                                   float_mask)
from tests.dgcnn.toys import NAN


def test_mix_embedding_is_char_embedding_plus_projected_word_vector():
    layer = MixEmbedding(10, 4)
    ids = np.array([[1, 2, 0]])
    words = np.random.default_rng(0).normal(size=(1, 3, 5)).astype("float32")
    out = layer([ids, words]).numpy()
    table = layer.chars.embeddings.numpy()
    w = layer.words.kernel.numpy()
    np.testing.assert_allclose(out, table[ids] + words @ w, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="vocab_size"):
        MixEmbedding(0, 4)
    with pytest.raises(TypeError, match="output_dim"):
        MixEmbedding(5, 2.5)


def numpy_dgc(layer, x, mask):
    """x (length, c) -> y, the gated residual written out by hand."""
    kernel, bias = layer.conv.get_weights()
    k, d = layer.kernel_size, layer.dilation_rate
    x = x * mask[:, None]
    length = x.shape[0]
    pad = d * (k - 1) // 2
    xp = np.pad(x, ((pad, pad), (0, 0)))
    out = np.stack([sum(xp[i + j * d] @ kernel[j] for j in range(k)) + bias for i in range(length)])
    h, g = np.split(out, 2, axis=-1)
    g = 1 / (1 + np.exp(-g))
    residual = x @ layer.projection.get_weights()[0][0] if layer.projection is not None else x
    return (residual * (1 - g) + h * g) * mask[:, None]


@pytest.mark.parametrize("channels, rate", [(4, 1), (4, 2), (3, 4)])
def test_dgc_matches_hand_computation(channels, rate):
    set_seed(0)
    layer = DilatedGatedConv1D(4, rate, gate_noise=0.1)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1, 12, channels)).astype("float32")
    mask = np.array([[1] * 9 + [0] * 3], dtype=bool)
    y = layer(x, mask=mask).numpy()[0]
    np.testing.assert_allclose(y, numpy_dgc(layer, x[0], mask[0].astype("float32")), rtol=1e-4, atol=1e-5)


def test_dgc_padding_never_leaks_and_noise_only_in_training():
    set_seed(0)
    layer = DilatedGatedConv1D(4, 2, gate_noise=0.1)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(1, 10, 4)).astype("float32")
    mask = np.array([[1] * 6 + [0] * 4], dtype=bool)
    garbage = x.copy()
    garbage[0, 6:] = 1e3
    a, b = layer(x, mask=mask).numpy(), layer(garbage, mask=mask).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-6)
    assert (a[0, 6:] == 0).all()
    # inference is deterministic, training perturbs the gates
    np.testing.assert_array_equal(layer(x, mask=mask, training=False), layer(x, mask=mask, training=False))
    assert not np.allclose(layer(x, mask=mask, training=True), a)
    assert np.allclose(DilatedGatedConv1D(4, 2, gate_noise=0.0)(x, training=True).shape, (1, 10, 4))


@pytest.mark.parametrize(
    "kwargs, err, word",
    [({"filters": 0}, ValueError, "filters"), ({"filters": 4, "dilation_rate": -1}, ValueError, "dilation_rate"),
     ({"filters": 4, "gate_noise": 1.5}, ValueError, "gate_noise"), ({"filters": "4"}, TypeError, "filters"),
     ({"filters": 4, "kernel_size": 0}, ValueError, "kernel_size")],
)
def test_dgc_rejects_bad_arguments(kwargs, err, word):
    with pytest.raises(err, match=word):
        DilatedGatedConv1D(**kwargs)


def test_gate_dropout_only_in_training_and_either_regulariser_alone():
    set_seed(0)
    x = np.random.default_rng(4).normal(size=(2, 10, 4)).astype("float32")
    for options in ({"gate_dropout": 0.3, "gate_noise": 0.0}, {"gate_dropout": 0.0, "gate_noise": 0.3}):
        layer = DilatedGatedConv1D(4, 2, **options)
        quiet = layer(x, training=False).numpy()
        np.testing.assert_array_equal(quiet, layer(x).numpy())
        assert not np.allclose(layer(x, training=True).numpy(), quiet)
    plain = DilatedGatedConv1D(4, 2, gate_dropout=0.0, gate_noise=0.0)
    np.testing.assert_array_equal(plain(x, training=True).numpy(), plain(x, training=False).numpy())
    assert DilatedGatedConv1D(4).gate_dropout == 0.1 and DilatedGatedConv1D(4).gate_noise == 0.0   # the release's


def test_position_embedding_concatenates_one_row_per_position():
    set_seed(0)
    layer = PositionEmbedding(4, 3)
    x = np.random.default_rng(5).normal(size=(2, 6, 2)).astype("float32")
    y = layer(x).numpy()
    assert y.shape == (2, 6, 5)
    np.testing.assert_array_equal(y[..., :2], x)
    table = layer.table.numpy()
    np.testing.assert_array_equal(y[0, :4, 2:], table)
    np.testing.assert_array_equal(y[1, 4, 2:], table[3])            # past max_length: the last row
    np.testing.assert_array_equal(y[0, :, 2:], y[1, :, 2:])         # the same rows for every example
    mask = np.array([[True] * 3 + [False] * 3] * 2)
    assert np.asarray(layer.compute_mask(x, mask)).tolist() == mask.tolist()
    with pytest.raises(ValueError, match="shape"):
        layer.build((2, 6))


def test_attention_pooling_ignores_padding():
    set_seed(0)
    layer = AttentionPooling1D(8)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [0, 0, 0, 0, 0]], dtype=bool)
    weights = layer.attention_weights(tf.constant(x), tf.constant(mask)).numpy()
    np.testing.assert_allclose(weights[0].sum(), 1.0, rtol=1e-6)
    assert (weights[0, 3:] == 0).all() and (weights[1] == 0).all()
    pooled = layer(x, mask=mask).numpy()
    np.testing.assert_allclose(pooled[0], (weights[0][:, None] * x[0]).sum(0), rtol=1e-5)
    assert (pooled[1] == 0).all()
    x2 = x.copy()
    x2[0, 3:] = -50.0
    np.testing.assert_allclose(layer(x2, mask=mask).numpy()[0], pooled[0], rtol=1e-5)
    with pytest.raises(ValueError, match="units"):
        AttentionPooling1D(0)


def test_layers_serialise():
    for layer in (DilatedGatedConv1D(6, 4, kernel_size=5, gate_noise=0.2, gate_dropout=0.3), AttentionPooling1D(7),
                  MixEmbedding(9, 3), PositionEmbedding(12, 4)):
        clone = type(layer).from_config(layer.get_config())
        assert clone.get_config() == layer.get_config()


def test_rate_and_mask_helpers():
    assert check_rate(0.0, "dropout") == 0.0 and check_rate(0.5, "dropout") == 0.5
    with pytest.raises(ValueError, match="dropout"):
        check_rate(1.0, "dropout")
    with pytest.raises(TypeError, match="momentum"):
        check_rate("0.9", "momentum")
    mask = float_mask(np.array([[True, False]]), np.zeros((1, 2, 3), "float32"))
    assert tuple(mask.shape) == (1, 2, 1) and np.asarray(mask).tolist() == [[[1.0], [0.0]]]


BAD_CALLS = [
    # (call, exception, argument named in the message)
    (lambda: MixEmbedding(True, 4), TypeError, "vocab_size"),
    (lambda: DilatedGatedConv1D(4, 2.0), TypeError, "dilation_rate"),
    (lambda: DilatedGatedConv1D(4, gate_noise=NAN), ValueError, "gate_noise"),
    (lambda: DilatedGatedConv1D(4, gate_noise="0.1"), TypeError, "gate_noise"),
    (lambda: AttentionPooling1D(3.0), TypeError, "units"),
    (lambda: DilatedGatedConv1D(4, gate_dropout=1.0), ValueError, "gate_dropout"),
    (lambda: DilatedGatedConv1D(4, gate_dropout=None), TypeError, "gate_dropout"),
    (lambda: PositionEmbedding(0, 3), ValueError, "max_length"),
    (lambda: PositionEmbedding(4, 3.0), TypeError, "output_dim"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(call, error, word):
    with pytest.raises(error, match=word):
        call()
