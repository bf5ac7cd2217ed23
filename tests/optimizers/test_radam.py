"""Unit tests of blogcode.optimizers.radam (chapter: DGCNN).

Three NumPy references, each a step-by-step transcription:

* ``numpy_paper_radam``: Algorithm 2 of Liu et al. (2019), any threshold;
* ``numpy_torch_radam``: ``torch.optim.RAdam`` (``_single_tensor_radam`` with no weight
  decay; torch itself is not a dependency of this book);
* ``numpy_official_radam``: the authors' ``RAdam.step`` (LiyuanLucasLiu/RAdam,
  ``radam/radam.py``), with its ``degenerated_to_sgd`` switch.
"""

import math

import numpy as np
import pytest
import tensorflow as tf
import keras

from blogcode import set_seed
from blogcode.optimizers.radam import CODE_THRESHOLD, PAPER_THRESHOLD, RAdam

VARIABLE_KINDS = ["keras.Variable", "tf.Variable"]
# A float32 variable computes with float32 betas (1 - float32(0.999) is 1.3e-5 away
# from 0.001, relative) and float32 arithmetic, so float32 runs are compared with the
# float64 references at 2e-5; exactness is tested with float64 variables.
F32 = dict(rtol=2e-5, atol=2e-6)


def make_variable(kind, value, dtype="float32"):
    value = np.asarray(value, dtype)
    return keras.Variable(value, dtype=dtype) if kind == "keras.Variable" else tf.Variable(value)


def numpy_paper_radam(theta, grads, lr=0.01, beta_1=0.9, beta_2=0.999, eps=1e-7, threshold=4.0):
    """Algorithm 2 of the paper. Returns the parameter after each step and whether
    the step was rectified."""
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


def numpy_torch_radam(param, grads, lr, beta1=0.9, beta2=0.999, eps=1e-7):
    """torch.optim.RAdam, one parameter tensor, weight_decay=0, maximize=False."""
    param = np.array(param, np.float64)
    exp_avg, exp_avg_sq = np.zeros_like(param), np.zeros_like(param)
    history = []
    for step, grad in enumerate(grads, start=1):
        exp_avg = exp_avg + (1 - beta1) * (grad - exp_avg)           # exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq = exp_avg_sq * beta2 + (1 - beta2) * grad * grad  # mul_(beta2).addcmul_(grad, grad, 1 - beta2)
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        bias_corrected_exp_avg = exp_avg / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive_lr = bias_correction2**0.5 / (np.sqrt(exp_avg_sq) + eps)
            param = param - bias_corrected_exp_avg * lr * adaptive_lr * rect
        else:
            param = param - bias_corrected_exp_avg * lr
        history.append(param.copy())
    return history


def numpy_official_radam(param, grads, lr, beta1=0.9, beta2=0.999, eps=1e-7, degenerated_to_sgd=False):
    """The authors' RAdam.step for one parameter, weight_decay=0 (their default
    degenerated_to_sgd is False since 2021: no update before the first rectified step)."""
    param = np.array(param, np.float64)
    exp_avg, exp_avg_sq = np.zeros_like(param), np.zeros_like(param)
    history = []
    for step, grad in enumerate(grads, start=1):
        exp_avg_sq = exp_avg_sq * beta2 + (1 - beta2) * grad * grad
        exp_avg = exp_avg * beta1 + (1 - beta1) * grad
        beta2_t = beta2**step
        n_sma_max = 2 / (1 - beta2) - 1
        n_sma = n_sma_max - 2 * step * beta2_t / (1 - beta2_t)
        if n_sma >= 5:
            step_size = math.sqrt((1 - beta2_t) * (n_sma - 4) / (n_sma_max - 4) * (n_sma - 2) / n_sma
                                  * n_sma_max / (n_sma_max - 2)) / (1 - beta1**step)
            param = param - step_size * lr * exp_avg / (np.sqrt(exp_avg_sq) + eps)
        elif degenerated_to_sgd:
            param = param - lr / (1 - beta1**step) * exp_avg
        history.append(param.copy())
    return history


def run_keras(optimizer, theta0, grads, kind="keras.Variable", dtype="float32"):
    var = make_variable(kind, theta0, dtype)
    out = []
    for g in grads:
        optimizer.apply_gradients([(tf.constant(g, dtype), var)])
        out.append(var.numpy().copy())
    return out


def random_problem(steps=12, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(3, 4)), rng.normal(size=(steps, 3, 4))


# ------------------------------------------------------------ against the references

@pytest.mark.parametrize("kind", VARIABLE_KINDS)
def test_default_is_torch_radam_step_by_step(kind):
    theta0, grads = random_problem()
    expected = numpy_torch_radam(theta0, grads, lr=0.01)
    got = run_keras(RAdam(0.01), theta0, grads, kind)
    for step, (e, g) in enumerate(zip(expected, got), start=1):
        np.testing.assert_allclose(g, e, **F32, err_msg=f"step {step}")


@pytest.mark.parametrize("kind", VARIABLE_KINDS)
@pytest.mark.parametrize("degenerated_to_sgd", [False, True])
def test_float64_matches_torch_and_official_code_to_1e_12(kind, degenerated_to_sgd):
    """A float64 variable is updated in float64: no beta goes through float32. The
    learning rate is the one float32 value (Keras keeps it in a float32 variable), so
    the references get the same rounded rate."""
    theta0, grads = random_problem(steps=14)
    lr = float(np.float32(0.01))
    opt = RAdam(0.01, degenerated_to_sgd=degenerated_to_sgd)
    got = run_keras(opt, theta0, grads, kind, dtype="float64")
    official = numpy_official_radam(theta0, grads, lr, degenerated_to_sgd=degenerated_to_sgd)
    for step, (e, g) in enumerate(zip(official, got), start=1):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14, err_msg=f"step {step}")
    if degenerated_to_sgd:
        torch = numpy_torch_radam(theta0, grads, lr)
        for step, (e, g) in enumerate(zip(torch, got), start=1):
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14, err_msg=f"step {step}")
    else:
        # The authors' current default: nothing moves before the first rectified step (6).
        for g in got[:5]:
            np.testing.assert_array_equal(g, theta0)
        assert not np.allclose(got[5], theta0)


@pytest.mark.parametrize("kind", VARIABLE_KINDS)
@pytest.mark.parametrize("beta_2, threshold", [(0.999, 4.0), (0.99, 4.0), (0.999, 5.0), (0.999, 6.5)])
def test_matches_the_paper_with_any_threshold(kind, beta_2, threshold):
    theta0, grads = random_problem()
    expected, rectified = numpy_paper_radam(theta0, grads, lr=0.01, beta_2=beta_2, threshold=threshold)
    # the test covers both regimes: unrectified first steps, rectified later ones
    assert not rectified[0] and rectified[-1]
    got = run_keras(RAdam(0.01, beta_2=beta_2, rectification_threshold=threshold), theta0, grads, kind)
    for step, (e, g) in enumerate(zip(expected, got), start=1):
        np.testing.assert_allclose(g, e, **F32, err_msg=f"step {step}")


def test_first_rectified_step_paper_and_code():
    """rho_1 = 1 and rho_t < t afterwards, so rho_5 < 5: the code's rho_t >= 5 (authors)
    and rho_t > 5 (torch) both first rectify at step 6, the paper's rho_t > 4 at step 5."""
    for beta_2 in (0.9, 0.99, 0.999, 0.9999):
        rho_inf = 2 / (1 - beta_2) - 1
        rho = [rho_inf - 2 * t * beta_2**t / (1 - beta_2**t) for t in range(1, 10)]
        assert rho[0] == pytest.approx(1.0) and all(r < t for t, r in enumerate(rho[1:], start=2))
        assert next(t for t, r in enumerate(rho, start=1) if r > PAPER_THRESHOLD) == 5
        assert next(t for t, r in enumerate(rho, start=1) if r >= CODE_THRESHOLD) == 6
        assert next(t for t, r in enumerate(rho, start=1) if r > CODE_THRESHOLD) == 6
    assert RAdam().rectification_threshold == CODE_THRESHOLD == 5.0


def test_first_steps_are_momentum_sgd_and_differ_from_adam():
    theta0 = np.array([1.0, -2.0])
    g = np.array([0.5, 0.001])
    got = run_keras(RAdam(0.1), theta0, [g])[0]
    # step 1: m_hat = g, no adaptive scaling at all
    np.testing.assert_allclose(got, theta0 - 0.1 * g, rtol=1e-6)
    adam = run_keras(keras.optimizers.Adam(0.1), theta0, [g])[0]
    assert not np.allclose(adam, got)  # Adam's first step is lr * sign(g)


def test_small_beta_2_never_rectifies():
    # beta_2 = 0.5: rho_inf = 3, below any threshold: always the momentum step.
    theta0, grads = random_problem(steps=6)
    expected, rectified = numpy_paper_radam(theta0, grads, beta_2=0.5)
    assert not any(rectified)
    got = run_keras(RAdam(0.01, beta_2=0.5), theta0, grads)
    np.testing.assert_allclose(got[-1], expected[-1], **F32)


# ------------------------------------------------------------------- sparse gradients

@pytest.mark.parametrize("kind", VARIABLE_KINDS)
def test_sparse_repeated_indices_equal_the_summed_slice(kind):
    """Two slices of 0.1 for row 1 must act as one slice of 0.2 (and as the dense gradient)."""
    repeated_var, summed_var, dense_var = (make_variable(kind, [[1.0], [2.0]]) for _ in range(3))
    repeated = tf.IndexedSlices(tf.constant([[0.1], [0.1]]), tf.constant([1, 1]), tf.constant([2, 1]))
    summed = tf.IndexedSlices(tf.constant([[0.2]]), tf.constant([1]), tf.constant([2, 1]))
    opts = [RAdam(0.1) for _ in range(3)]
    for _ in range(7):  # past the first rectified step
        opts[0].apply_gradients([(repeated, repeated_var)])
        opts[1].apply_gradients([(summed, summed_var)])
        opts[2].apply_gradients([(tf.constant([[0.0], [0.2]]), dense_var)])
        np.testing.assert_allclose(repeated_var.numpy(), summed_var.numpy(), rtol=1e-7)
        np.testing.assert_array_equal(summed_var.numpy(), dense_var.numpy())


def test_embedding_step_equals_the_dense_step_on_the_summed_gradient():
    """A batch in which a token occurs twice: RAdam's step on the embedding's
    IndexedSlices equals the torch-reference step on the dense (summed) gradient."""
    rng = np.random.default_rng(4)
    table0 = rng.normal(size=(6, 3))
    batches = [[0, 2, 2], [1, 1, 1], [5, 0, 5], [2, 3, 2], [4, 4, 0], [1, 2, 2], [3, 3, 3]]
    table = keras.Variable(table0.astype("float32"))
    opt = RAdam(0.05)
    dense_grads = []
    for words in batches:
        weights = rng.normal(size=(len(words), 3)).astype("float32")
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.gather(table, words) * weights)
        grad = tape.gradient(loss, table)
        assert isinstance(grad, tf.IndexedSlices) and len(set(words)) < len(words)
        dense = np.zeros((6, 3))
        np.add.at(dense, words, weights)
        dense_grads.append(dense)
        opt.apply_gradients([(grad, table)])
    expected = numpy_torch_radam(table0, dense_grads, lr=0.05)[-1]
    np.testing.assert_allclose(table.numpy(), expected, **F32)


# ------------------------------------------------------- training, saving, config

def test_fit_and_gradient_tape_and_save(tmp_path):
    set_seed(1)
    x = np.random.default_rng(1).normal(size=(128, 5)).astype("float32")
    y = (x @ np.arange(1, 6, dtype="float32"))[:, None]
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1)])
    model.compile(RAdam(0.1, rectification_threshold=4.0, degenerated_to_sgd=False), loss="mse")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=40, batch_size=32, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.3 * before

    path = tmp_path / "radam.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    assert isinstance(reloaded.optimizer, RAdam)
    assert reloaded.optimizer.get_config()["rectification_threshold"] == 4.0
    assert reloaded.optimizer.degenerated_to_sgd is False
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5)
    for a, b in zip(model.optimizer.variables, reloaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())

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
    opt = RAdam(0.003, beta_1=0.8, beta_2=0.99, epsilon=1e-6, rectification_threshold=4.5,
                degenerated_to_sgd=False)
    clone = RAdam.from_config(opt.get_config())
    for key in ("beta_1", "beta_2", "epsilon", "rectification_threshold", "degenerated_to_sgd"):
        assert getattr(clone, key) == getattr(opt, key)
    assert keras.optimizers.deserialize(keras.optimizers.serialize(opt)).rectification_threshold == 4.5
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, 10, 0.5)
    assert isinstance(RAdam.from_config(RAdam(schedule).get_config())._learning_rate,
                      keras.optimizers.schedules.ExponentialDecay)


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    "kwargs, err, word",
    [
        ({"learning_rate": -0.1}, ValueError, "learning_rate"),
        ({"learning_rate": NAN}, ValueError, "learning_rate"),
        ({"learning_rate": INF}, ValueError, "learning_rate"),
        ({"learning_rate": "fast"}, TypeError, "learning_rate"),
        ({"beta_1": 1.0}, ValueError, "beta_1"),
        ({"beta_1": NAN}, ValueError, "beta_1"),
        ({"beta_1": True}, TypeError, "beta_1"),
        ({"beta_2": -0.1}, ValueError, "beta_2"),
        ({"beta_2": INF}, ValueError, "beta_2"),
        ({"beta_2": "0.9"}, TypeError, "beta_2"),
        ({"epsilon": -1.0}, ValueError, "epsilon"),
        ({"epsilon": NAN}, ValueError, "epsilon"),
        ({"epsilon": INF}, ValueError, "epsilon"),
        ({"epsilon": None}, TypeError, "epsilon"),
        ({"rectification_threshold": 3.0}, ValueError, "rectification_threshold"),
        ({"rectification_threshold": -5.0}, ValueError, "rectification_threshold"),
        ({"rectification_threshold": NAN}, ValueError, "rectification_threshold"),
        ({"rectification_threshold": INF}, ValueError, "rectification_threshold"),
        ({"rectification_threshold": "5"}, TypeError, "rectification_threshold"),
        ({"degenerated_to_sgd": 1}, TypeError, "degenerated_to_sgd"),
        ({"name": ""}, ValueError, "name"),
        ({"name": 3}, TypeError, "name"),
    ],
)
def test_rejects_bad_arguments(kwargs, err, word):
    with pytest.raises(err, match=word):
        RAdam(**kwargs)
