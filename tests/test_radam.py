"""Unit tests of blogcode.optimizers.radam (chapter: DGCNN)."""

import numpy as np
import pytest
import tensorflow as tf
import keras

from blogcode import set_seed
from blogcode.optimizers.radam import RAdam


def numpy_radam(theta, grads, lr=0.01, beta_1=0.9, beta_2=0.999, eps=1e-7, threshold=4.0):
    """Algorithm 2 of Liu et al. (2019), written out step by step in NumPy.
    Returns the parameter after each step and whether the step was rectified."""
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    rho_inf = 2.0 / (1.0 - beta_2) - 1.0
    history, rectified = [], []
    for t, g in enumerate(grads, start=1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g * g
        m_hat = m / (1 - beta_1**t)
        rho_t = rho_inf - 2 * t * beta_2**t / (1 - beta_2**t)
        if rho_t > threshold:
            l_t = np.sqrt(1 - beta_2**t) / (np.sqrt(v) + eps)
            r_t = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            theta = theta - lr * r_t * m_hat * l_t
            rectified.append(True)
        else:
            theta = theta - lr * m_hat
            rectified.append(False)
        history.append(theta.copy())
    return history, rectified


def run_keras(optimizer, theta0, grads):
    var = keras.Variable(theta0.astype("float32"))
    out = []
    for g in grads:
        optimizer.apply_gradients([(tf.constant(g, tf.float32), var)])
        out.append(var.numpy().copy())
    return out


@pytest.mark.parametrize("beta_2, threshold", [(0.999, 4.0), (0.99, 4.0), (0.999, 5.0)])
def test_matches_numpy_reference_including_early_steps(beta_2, threshold):
    rng = np.random.default_rng(0)
    theta0 = rng.normal(size=(3, 4))
    grads = rng.normal(size=(12, 3, 4))
    expected, rectified = numpy_radam(theta0, grads, lr=0.01, beta_2=beta_2, threshold=threshold)
    # the test covers both regimes: unrectified first steps, rectified later ones
    assert not rectified[0] and rectified[-1]
    got = run_keras(RAdam(0.01, beta_2=beta_2, rectification_threshold=threshold), theta0, grads)
    for step, (e, g) in enumerate(zip(expected, got), start=1):
        np.testing.assert_allclose(g, e, rtol=2e-5, atol=2e-6, err_msg=f"step {step}")


def test_first_steps_are_momentum_sgd_and_differ_from_adam():
    theta0 = np.array([1.0, -2.0])
    g = np.array([0.5, 0.001])
    got = run_keras(RAdam(0.1), theta0, [g])[0]
    # step 1: m_hat = g, no adaptive scaling at all
    np.testing.assert_allclose(got, theta0 - 0.1 * g, rtol=1e-6)
    adam = run_keras(keras.optimizers.Adam(0.1), theta0, [g])[0]
    assert not np.allclose(adam, got)  # Adam's first step is lr * sign(g)


def test_switch_step_matches_rho_formula():
    beta_2 = 0.999
    rho_inf = 2 / (1 - beta_2) - 1
    rho = [rho_inf - 2 * t * beta_2**t / (1 - beta_2**t) for t in range(1, 10)]
    first = next(t for t, r in enumerate(rho, start=1) if r > 4)
    _, rectified = numpy_radam(np.zeros(1), np.ones((9, 1)), beta_2=beta_2)
    assert rectified.index(True) + 1 == first == 5


def test_fit_and_gradient_tape_and_save(tmp_path):
    set_seed(1)
    x = np.random.default_rng(1).normal(size=(128, 5)).astype("float32")
    y = (x @ np.arange(1, 6, dtype="float32"))[:, None]
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1)])
    model.compile(RAdam(0.1), loss="mse")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=40, batch_size=32, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.2 * before

    path = tmp_path / "radam.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    assert isinstance(reloaded.optimizer, RAdam)
    assert reloaded.optimizer.get_config()["rectification_threshold"] == 4.0
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5)

    # a custom training loop
    model2 = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1)])
    opt = RAdam(0.05)
    first = None
    for _ in range(60):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((model2(x) - y) ** 2)
        first = first if first is not None else float(loss)
        opt.apply_gradients(zip(tape.gradient(loss, model2.trainable_weights), model2.trainable_weights))
    assert float(loss) < 0.5 * first


def test_config_round_trip():
    opt = RAdam(0.003, beta_1=0.8, beta_2=0.99, epsilon=1e-6, rectification_threshold=5.0)
    clone = RAdam.from_config(opt.get_config())
    for key in ("beta_1", "beta_2", "epsilon", "rectification_threshold"):
        assert getattr(clone, key) == getattr(opt, key)


@pytest.mark.parametrize(
    "kwargs, err, word",
    [
        ({"beta_1": 1.0}, ValueError, "beta_1"),
        ({"beta_2": -0.1}, ValueError, "beta_2"),
        ({"beta_2": "0.9"}, TypeError, "beta_2"),
        ({"epsilon": -1.0}, ValueError, "epsilon"),
        ({"rectification_threshold": 3.0}, ValueError, "rectification_threshold"),
    ],
)
def test_rejects_bad_arguments(kwargs, err, word):
    with pytest.raises(err, match=word):
        RAdam(**kwargs)
