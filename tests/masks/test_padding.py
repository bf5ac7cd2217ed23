"""Tests of blogcode.masks.padding (what padding does, measured)."""

import keras
import numpy as np
import pytest

from blogcode import set_seed
from blogcode.masks.padding import backward_reference, compare_bidirectional, mask_support_table, padding_effects


def _lengths_and_inputs(seed=0):
    rng = np.random.default_rng(seed)
    # Non-zero padding vectors: with zeros, a fresh RNN would hide contamination.
    return np.array([7, 4, 1]), rng.normal(size=(3, 7, 3)).astype(np.float32)


@pytest.mark.parametrize("cls", [keras.layers.LSTM, keras.layers.GRU, keras.layers.SimpleRNN])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_aligned_bidirectional_matches_per_sequence_reference(cls, return_sequences):
    set_seed(0)
    lengths, x = _lengths_and_inputs()
    layer = cls(4, return_sequences=return_sequences)
    layer(x[:1])
    errors = compare_bidirectional(layer, x, lengths)
    assert errors["AlignedBidirectional"] < 1e-5
    assert errors["keras Bidirectional + mask"] < 1e-5  # Keras 3 aligns when given a mask
    assert errors["flip, no mask"] > 1e-2  # ... and not without one


def test_backward_reference_runs_each_sequence_alone():
    set_seed(0)
    lengths, x = _lengths_and_inputs()
    layer = keras.layers.GRU(4, return_sequences=True)
    layer(x[:1])
    ref = backward_reference(layer, x, lengths)
    assert [r.shape for r in ref] == [(7, 4), (4, 4), (1, 4)]
    alone = np.asarray(layer(x[1:2, :4][:, ::-1]))[0][::-1]
    np.testing.assert_allclose(ref[1], alone, atol=1e-6)
    with pytest.raises(TypeError, match="rnn_layer"):
        backward_reference(keras.layers.Dense(2), x, lengths)
    with pytest.raises(ValueError, match="lengths"):
        backward_reference(layer, x, [1, 2])


def test_padding_effects_article_numbers():
    e = padding_effects([1, 0, 3, 4, 5], 8)
    assert e["masked_mean"] == pytest.approx(2.6) and e["naive_mean"] == pytest.approx(1.625)
    e = padding_effects([-1, -2, -3, -4, -5], 8)
    assert e["naive_max"] == 0 and e["masked_max"] == -1
    assert e["naive_softmax"][5:].sum() > 0 and np.all(e["masked_softmax"][5:] == 0)
    with pytest.raises(ValueError, match="padded_length"):
        padding_effects([1, 2, 3], 2)
    with pytest.raises(ValueError, match="empty"):
        padding_effects([], 2)
    with pytest.raises(ValueError, match="finite"):
        padding_effects([1, np.nan], 3)
    with pytest.raises(TypeError, match="padded_length"):
        padding_effects([1], 2.5)


def test_mask_support_table_finds_known_cases():
    set_seed(0)
    layers = {
        "GlobalAveragePooling1D": keras.layers.GlobalAveragePooling1D,
        "GlobalMaxPooling1D": keras.layers.GlobalMaxPooling1D,
        "Conv1D": lambda: keras.layers.Conv1D(2, 3, padding="same"),
    }
    zero = {r["layer"]: r for r in mask_support_table(layers, [-1, -2, -3, -4, -5], 3, 0.0)}
    nonzero = {r["layer"]: r for r in mask_support_table(layers, [-1, -2, -3, -4, -5], 3, 0.5)}
    assert zero["GlobalAveragePooling1D"]["honours mask"]
    assert not zero["GlobalMaxPooling1D"]["honours mask"]
    assert zero["GlobalMaxPooling1D"]["max |padded - unpadded|"] == pytest.approx(1.0)  # max 0 instead of -1
    assert zero["Conv1D"]["honours mask"] and not nonzero["Conv1D"]["honours mask"]
    with pytest.raises(ValueError, match="values"):
        mask_support_table(layers, [], 3)
    with pytest.raises(ValueError, match="pad_length"):
        mask_support_table(layers, [1.0], 0)


# A wrong type is a TypeError, a wrong value a ValueError; the message names the argument.

_FACTORIES = {"Dense": lambda: keras.layers.Dense(1)}


@pytest.mark.parametrize("call, error, arg", [
    (lambda: padding_effects(None, 4), TypeError, "values"),
    (lambda: padding_effects(["a"], 4), TypeError, "values"),
    (lambda: padding_effects([1.0, np.inf], 4), ValueError, "values"),
    (lambda: padding_effects([1.0], 4.0), TypeError, "padded_length"),
    (lambda: padding_effects([1.0], None), TypeError, "padded_length"),
    (lambda: mask_support_table(None, [1.0], 2), TypeError, "layer_factories"),
    (lambda: mask_support_table({"x": 3}, [1.0], 2), TypeError, "layer_factories"),
    (lambda: mask_support_table(_FACTORIES, None, 2), TypeError, "values"),
    (lambda: mask_support_table(_FACTORIES, [1.0], 2.0), TypeError, "pad_length"),
    (lambda: mask_support_table(_FACTORIES, [1.0], True), TypeError, "pad_length"),
    (lambda: mask_support_table(_FACTORIES, [1.0], 2, pad_value=float("nan")), ValueError, "pad_value"),
    (lambda: mask_support_table(_FACTORIES, [1.0], 2, pad_value="0"), TypeError, "pad_value"),
    (lambda: compare_bidirectional(keras.layers.Dense(2), np.ones((1, 3, 2)), [3]), TypeError, "rnn_layer"),
    (lambda: compare_bidirectional(keras.layers.LSTM(2), np.ones((1, 3, 2)), [0]), ValueError, "lengths"),
    (lambda: compare_bidirectional(keras.layers.LSTM(2), np.ones((1, 3, 2)), [4]), ValueError, "lengths"),
    (lambda: compare_bidirectional(keras.layers.LSTM(2), np.ones((1, 3, 2)), [1.5]), TypeError, "lengths"),
    (lambda: compare_bidirectional(keras.layers.LSTM(2), np.ones((3, 2)), [1]), ValueError, "x"),
    (lambda: compare_bidirectional(keras.layers.LSTM(2), None, [1]), TypeError, "x"),
])
def test_bad_input_table(call, error, arg):
    with pytest.raises(error, match=arg):
        call()
