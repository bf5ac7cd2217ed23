"""Unit tests of blogcode.accumulation.batchnorm (batch normalisation under gradient
accumulation, chapter: Gradient accumulation)."""

import keras
import numpy as np
import pytest

from blogcode.accumulation.batchnorm import (AccumulationBatchNormalization, GhostBatchNormalization,
                                             batchnorm_comparison, bn_mlp, pool_moments)
from blogcode.optimizers.accumulation import GradientAccumulation
from tests.optimizers.test_accumulation import MICRO, STEPS, UPDATES, fit, max_weight_diff, regression_data

NAN = float("nan")
XY = (np.zeros((8, 784), "float32"), np.zeros(8, "int64"))


def test_pool_moments_is_the_moments_of_the_union():
    a, b = np.random.default_rng(0).normal(size=(5, 3)), np.random.default_rng(1).normal(size=(7, 3)) + 2
    count, mean, m2 = pool_moments(5.0, a.mean(0), a.var(0) * 5, 7.0, b.mean(0), b.var(0) * 7)
    both = np.concatenate([a, b])
    assert float(count) == 12.0
    np.testing.assert_allclose(mean, both.mean(0), rtol=1e-12)
    np.testing.assert_allclose(m2 / 12.0, both.var(0), rtol=1e-12)


def test_pool_statistics_updates_once_per_cycle():
    layer = AccumulationBatchNormalization(2, momentum=0.5)
    x = np.random.default_rng(2).normal(size=(8, 3)).astype("float32") * 2 + 1
    layer(x[:4], training=True)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), 0.0)       # first micro-batch: pooled only
    assert float(layer.pooled_count.numpy()) == 4.0
    layer(x[4:], training=True)                                         # second: moving statistics move
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.5 * x.mean(0), atol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.5 + 0.5 * x.var(0), atol=1e-5)
    assert float(layer.pooled_count.numpy()) == 0.0 and int(layer.calls.numpy()) == 2


def test_bn_mlp_holds_the_given_layer():
    bn = AccumulationBatchNormalization(2)
    model = bn_mlp(0, bn, input_dim=6, hidden=4, classes=3)
    assert model.layers[1] is bn and model.output_shape == (None, 3)


def test_batchnorm_comparison_rows():
    x, y = regression_data(n=96)
    x = np.concatenate([x, x], axis=1)
    labels = (y[:, 0] > 0).astype("int64")
    rows = batchnorm_comparison((x[:64], labels[:64]), (x[64:], labels[64:]), micro_batch=4, steps=2, updates=8,
                                seed=0)
    assert [r["run"] for r in rows] == ["batch 8, Keras BN", "2 x 4 accumulated, Keras BN",
                                        "2 x 4 accumulated, pooled BN", "batch 8, ghost BN in groups of 4",
                                        "batch 4, no accumulation"]
    big, acc_keras, acc_pooled, ghost, plain = rows
    assert big["weights vs large batch"] == 0.0 and acc_pooled["weights vs accumulated"] == 0.0
    assert acc_keras["weights vs accumulated"] <= 1e-6
    assert ghost["weights vs accumulated"] <= 1e-5
    assert plain["weights vs large batch"] > acc_pooled["weights vs large batch"] > 0


def bn_model(bn_layer, seed=3):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((6,)), bn_layer, keras.layers.Dense(3)])


def test_accumulation_bn_with_one_step_is_keras_bn():
    x = regression_data()[0][:64] * 3 + 1
    keras_bn, ours = keras.layers.BatchNormalization(), AccumulationBatchNormalization(1)
    for i in range(0, 64, 8):                       # training calls update the moving statistics
        np.testing.assert_allclose(ours(x[i:i + 8], training=True), keras_bn(x[i:i + 8], training=True), atol=1e-5)
    for name in ("moving_mean", "moving_variance"):
        np.testing.assert_allclose(getattr(ours, name).numpy(), getattr(keras_bn, name).numpy(), atol=1e-6)
    np.testing.assert_allclose(ours(x, training=False), keras_bn(x, training=False), atol=1e-5)


@pytest.fixture(scope="module")
def bn_runs():
    x, y = regression_data()
    x = x * 3 + 1
    return {
        "data": (x, y),
        "batch 16": fit(bn_model(keras.layers.BatchNormalization()), keras.optimizers.SGD(0.05),
                        STEPS * MICRO, x, y),
        "batch 16, ghost BN": fit(bn_model(GhostBatchNormalization(MICRO)), keras.optimizers.SGD(0.05),
                                  STEPS * MICRO, x, y),
        "4 x 4, pooled BN": fit(bn_model(AccumulationBatchNormalization(STEPS)),
                                GradientAccumulation(keras.optimizers.SGD(0.05), STEPS), MICRO, x, y),
        "4 x 4, Keras BN": fit(bn_model(keras.layers.BatchNormalization()),
                               GradientAccumulation(keras.optimizers.SGD(0.05), STEPS), MICRO, x, y),
    }


def test_accumulation_bn_moving_statistics_equal_the_large_batch(bn_runs):
    """BN first: its inputs are the data, identical in all runs, so the pooled moving
    statistics must equal the large batch's; Keras' BN under accumulation does not."""
    big, pooled, plain = bn_runs["batch 16"], bn_runs["4 x 4, pooled BN"], bn_runs["4 x 4, Keras BN"]
    big_bn, pooled_bn, plain_bn = (m.layers[0] for m in (big, pooled, plain))
    for name in ("moving_mean", "moving_variance"):
        reference = getattr(big_bn, name).numpy()
        assert np.abs(getattr(pooled_bn, name).numpy() - reference).max() <= 1e-5, name
        assert np.abs(getattr(plain_bn, name).numpy() - reference).max() > 1e-2, name
    # ... but the forward pass still used micro-batch statistics: the weights differ.
    assert max_weight_diff(big, pooled) > 1e-4


def test_accumulation_with_bn_is_a_large_batch_with_ghost_bn(bn_runs):
    ghost, pooled = bn_runs["batch 16, ghost BN"], bn_runs["4 x 4, pooled BN"]
    assert max_weight_diff(ghost, pooled) <= 1e-6
    for name in ("moving_mean", "moving_variance"):
        np.testing.assert_allclose(getattr(ghost.layers[0], name).numpy(), getattr(pooled.layers[0], name).numpy(),
                                   atol=1e-5)
    assert max_weight_diff(ghost, bn_runs["batch 16"]) > 1e-4


def test_ghost_bn_save_and_bad_arguments(bn_runs, tmp_path):
    x, _ = bn_runs["data"]
    model = bn_runs["batch 16, ghost BN"]
    model.save(tmp_path / "ghost.keras")
    reloaded = keras.models.load_model(tmp_path / "ghost.keras")
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    assert reloaded.layers[0].virtual_batch_size == MICRO
    for bad, err in ((0, ValueError), (2.0, TypeError)):
        with pytest.raises(err, match="virtual_batch_size"):
            GhostBatchNormalization(bad)
    with pytest.raises(ValueError, match="inputs"):
        GhostBatchNormalization(2)(np.zeros((4, 3, 2), "float32"), training=True)


def test_accumulation_bn_save_and_bad_arguments(bn_runs, tmp_path):
    x, _ = bn_runs["data"]
    model = bn_runs["4 x 4, pooled BN"]
    path = tmp_path / "bn.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    layer = reloaded.layers[0]
    assert isinstance(layer, AccumulationBatchNormalization) and layer.accumulation_steps == STEPS
    assert int(layer.calls.numpy()) == STEPS * UPDATES
    for kwargs, err, word in [({"accumulation_steps": 0}, ValueError, "accumulation_steps"),
                              ({"accumulation_steps": 1.5}, TypeError, "accumulation_steps"),
                              ({"accumulation_steps": 2, "momentum": 1.0}, ValueError, "momentum"),
                              ({"accumulation_steps": 2, "epsilon": 0.0}, ValueError, "epsilon")]:
        with pytest.raises(err, match=word):
            AccumulationBatchNormalization(**kwargs)


@pytest.mark.parametrize("call, err, word", [
    (lambda: AccumulationBatchNormalization(1.5), TypeError, "accumulation_steps"),
    (lambda: AccumulationBatchNormalization(0), ValueError, "accumulation_steps"),
    (lambda: AccumulationBatchNormalization(True), TypeError, "accumulation_steps"),
    (lambda: AccumulationBatchNormalization(2, momentum=1.0), ValueError, "momentum"),
    (lambda: AccumulationBatchNormalization(2, momentum=NAN), ValueError, "momentum"),
    (lambda: AccumulationBatchNormalization(2, momentum="0.9"), TypeError, "momentum"),
    (lambda: AccumulationBatchNormalization(2, epsilon=0.0), ValueError, "epsilon"),
    (lambda: AccumulationBatchNormalization(2, epsilon=float("inf")), ValueError, "epsilon"),
    (lambda: GhostBatchNormalization(2.0), TypeError, "virtual_batch_size"),
    (lambda: GhostBatchNormalization(0), ValueError, "virtual_batch_size"),
    (lambda: GhostBatchNormalization(4, epsilon=-1.0), ValueError, "epsilon"),
    (lambda: bn_mlp(0, "bn"), TypeError, "bn_layer"),
    (lambda: bn_mlp(0, keras.layers.BatchNormalization(), hidden=2.0), TypeError, "hidden"),
    (lambda: batchnorm_comparison(XY, XY, micro_batch=2, steps=1, updates=1, seed=0), ValueError, "steps"),
    (lambda: batchnorm_comparison(XY, XY, micro_batch=2.0, steps=2, updates=1, seed=0), TypeError, "micro_batch"),
    (lambda: batchnorm_comparison(XY, XY, 2, 2, 1, 0, learning_rate=NAN), ValueError, "learning_rate"),
    (lambda: batchnorm_comparison(XY, XY, 2, 2, 1, 0, momentum=-0.1), ValueError, "momentum"),
    (lambda: batchnorm_comparison(XY, XY, 2, 2, 100, 0), ValueError, "train"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_rejects_bad_arguments(call, err, word):
    with pytest.raises(err, match=word):
        call()
