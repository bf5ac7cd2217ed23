"""Unit tests of blogcode.optimizers.lookahead (chapter: Lookahead and LazyOptimizer)."""

import numpy as np
import pytest
import tensorflow as tf
import keras

from blogcode import set_seed
from blogcode.optimizers.lookahead import Lookahead, SlowWeightsEvaluation

RNG = np.random.default_rng(6869)
A = RNG.normal(size=(4, 4))
A = (A @ A.T + np.eye(4)).astype("float32")  # a positive definite quadratic 0.5 w'Aw
W0 = RNG.normal(size=4).astype("float32")
VARIABLE_KINDS = ["keras.Variable", "tf.Variable"]


def numpy_lookahead(w0, steps, k, alpha, lr, beta=0.0, momentum="keep"):
    """The k-step / alpha rule around Keras' SGD (m <- beta m - lr g; w <- w + m)."""
    fast = w0.astype(np.float64)
    slow = fast.copy()
    m = np.zeros_like(fast)
    m_sync = np.zeros_like(fast)
    for t in range(1, steps + 1):
        m = beta * m - lr * (A @ fast)
        fast = fast + m
        if t % k == 0:
            slow = slow + alpha * (fast - slow)
            fast = slow.copy()
            if momentum == "reset":
                m = np.zeros_like(m)
            elif momentum == "pullback":
                m_sync = m_sync + alpha * (m - m_sync)
                m = m_sync.copy()
    return fast, slow, m


def run_keras(optimizer, steps, compiled, kind="keras.Variable"):
    w = keras.Variable(W0) if kind == "keras.Variable" else tf.Variable(W0)
    optimizer.build([w])

    def step():
        optimizer.apply([tf.linalg.matvec(A, tf.convert_to_tensor(w))], [w])

    step = tf.function(step) if compiled else step
    for _ in range(steps):
        step()
    return w


@pytest.mark.parametrize(
    "k, alpha, compiled", [(5, 0.5, False), (5, 0.5, True), (3, 0.25, True), (1, 0.8, False)],
    ids=["k5-eager", "k5-tf.function", "k3-tf.function", "k1-eager"],
)
@pytest.mark.parametrize("kind", VARIABLE_KINDS)
def test_matches_numpy_reference_with_sgd(k, alpha, compiled, kind):
    steps = 4 * k + 2  # several cycles and a partial one
    opt = Lookahead(keras.optimizers.SGD(0.05), k=k, alpha=alpha)
    w = run_keras(opt, steps, compiled, kind)
    fast, slow, _ = numpy_lookahead(W0, steps, k, alpha, 0.05)
    np.testing.assert_allclose(w.numpy(), fast, atol=1e-6)
    np.testing.assert_allclose(opt.slow_weights[0].numpy(), slow, atol=1e-6)
    assert int(opt.iterations.numpy()) == steps


@pytest.mark.parametrize("kind", VARIABLE_KINDS)
@pytest.mark.parametrize("policy", ["keep", "reset", "pullback"])
def test_momentum_policies_match_reference(policy, kind):
    steps, k, alpha = 13, 4, 0.5
    inner = keras.optimizers.SGD(0.03, momentum=0.9)
    opt = Lookahead(inner, k=k, alpha=alpha, momentum=policy)
    w = run_keras(opt, steps, compiled=True, kind=kind)
    fast, slow, m = numpy_lookahead(W0, steps, k, alpha, 0.03, beta=0.9, momentum=policy)
    np.testing.assert_allclose(w.numpy(), fast, atol=1e-6)
    np.testing.assert_allclose(opt.slow_weights[0].numpy(), slow, atol=1e-6)
    (momentum_slot,) = [v for v in inner.variables if v.name.endswith("_momentum")]
    np.testing.assert_allclose(momentum_slot.numpy(), m, atol=1e-6)


def test_policies_differ():
    results = {}
    for policy in ("keep", "reset", "pullback"):
        w = run_keras(Lookahead(keras.optimizers.SGD(0.03, momentum=0.9), k=4, momentum=policy), 9, False)
        results[policy] = w.numpy()
    assert not np.allclose(results["keep"], results["reset"])
    assert not np.allclose(results["keep"], results["pullback"])


def test_alpha_one_is_the_inner_optimizer():
    w_la = run_keras(Lookahead(keras.optimizers.Adam(0.1), k=3, alpha=1.0), 10, False)
    w_plain = run_keras(keras.optimizers.Adam(0.1), 10, False)
    np.testing.assert_allclose(w_la.numpy(), w_plain.numpy(), atol=1e-6)


def small_model():
    return keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(8, activation="tanh", name="hidden"), keras.layers.Dense(1, name="out")]
    )


def regression_data():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 6)).astype("float32")
    return x, (x[:, :1] * 2 - x[:, 1:2]).astype("float32")


def test_fit_save_reload_and_continue(tmp_path):
    set_seed(3)
    x, y = regression_data()
    model = small_model()
    model.compile(Lookahead(keras.optimizers.Adam(0.01), k=3, alpha=0.5, momentum="pullback"), "mse")
    first = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history["loss"]
    assert first[-1] < first[0]
    assert int(model.optimizer.iterations.numpy()) == 12
    path = tmp_path / "lookahead.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    assert isinstance(reloaded.optimizer, Lookahead)
    assert reloaded.optimizer.get_config()["k"] == 3
    assert reloaded.optimizer.momentum == "pullback"
    assert isinstance(reloaded.optimizer.inner_optimizer, keras.optimizers.Adam)
    for a, b in zip(model.optimizer.variables, reloaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # Both continue identically: the slow weights and the inner state were restored.
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    reloaded.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.weights, reloaded.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)


def test_slow_weights_swap_and_callback():
    set_seed(4)
    x, y = regression_data()
    model = small_model()
    opt = Lookahead(keras.optimizers.Adam(0.02), k=5, alpha=0.5)
    model.compile(opt, "mse")
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)  # 8 steps: 3 steps after a sync
    fast = [w.numpy() for w in model.trainable_weights]
    with opt.slow_weights_swapped_in():
        for w, s in zip(model.trainable_weights, opt.slow_weights):
            np.testing.assert_array_equal(w.numpy(), s.numpy())
        slow_loss = model.evaluate(x, y, verbose=0)
    for w, f in zip(model.trainable_weights, fast):
        np.testing.assert_array_equal(w.numpy(), f)
    fast_loss = model.evaluate(x, y, verbose=0)
    assert slow_loss != fast_loss
    assert model.evaluate(x, y, verbose=0, callbacks=[SlowWeightsEvaluation()]) == pytest.approx(slow_loss)
    for w, f in zip(model.trainable_weights, fast):
        np.testing.assert_array_equal(w.numpy(), f)


def test_callback_needs_lookahead():
    model = small_model()
    model.compile("adam", "mse")
    x, y = regression_data()
    with pytest.raises(ValueError, match="Lookahead"):
        model.evaluate(x, y, verbose=0, callbacks=[SlowWeightsEvaluation()])


def test_custom_gradient_tape_loop_trains():
    set_seed(5)
    x, y = regression_data()
    model = small_model()
    opt = Lookahead(keras.optimizers.Adam(0.02), k=4)
    opt.build(model.trainable_variables)

    @tf.function
    def train_step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x) - y))
        opt.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
        return loss

    losses = [float(train_step()) for _ in range(40)]
    assert losses[-1] < 0.5 * losses[0]
    assert int(opt.iterations.numpy()) == 40
    for w, s in zip(model.trainable_variables, opt.slow_weights):  # 40 is a sync step
        np.testing.assert_array_equal(w.numpy(), s.numpy())


def test_learning_rate_is_the_inner_one():
    inner = keras.optimizers.Adam(0.01)
    opt = Lookahead(inner)
    assert float(opt.learning_rate.numpy()) == pytest.approx(0.01)
    opt.learning_rate = 0.002
    assert float(inner.learning_rate.numpy()) == pytest.approx(0.002)


def test_policies_on_two_tf_variables_with_the_same_name():
    """Two unnamed tf.Variables share the name "Variable:0"; each keeps its own slots
    through the resets and pull-backs (they are found by identity, not by name)."""
    steps, k, alpha = 9, 4, 0.5
    for policy in ("reset", "pullback"):
        a, b = tf.Variable(W0), tf.Variable(-W0)
        inner = keras.optimizers.SGD(0.03, momentum=0.9)
        opt = Lookahead(inner, k=k, alpha=alpha, momentum=policy)
        opt.build([a, b])
        for _ in range(steps):
            opt.apply([tf.linalg.matvec(A, tf.convert_to_tensor(a)), tf.linalg.matvec(A, tf.convert_to_tensor(b))],
                      [a, b])
        for var, start in ((a, W0), (b, -W0)):
            fast, slow, m = numpy_lookahead(start, steps, k, alpha, 0.03, beta=0.9, momentum=policy)
            np.testing.assert_allclose(var.numpy(), fast, atol=1e-6)
        # the quadratic is odd-symmetric: b's state is minus a's
        np.testing.assert_allclose(opt.slow_weights[1].numpy(), -opt.slow_weights[0].numpy(), atol=1e-6)


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    "kwargs, err, word",
    [
        ({"optimizer": "adam"}, TypeError, "optimizer"),
        ({"optimizer": None}, TypeError, "optimizer"),
        ({"k": 0}, ValueError, "k"),
        ({"k": -3}, ValueError, "k"),
        ({"k": 2.0}, TypeError, "k"),
        ({"k": 3.0}, TypeError, "k"),
        ({"k": True}, TypeError, "k"),
        ({"k": "5"}, TypeError, "k"),
        ({"alpha": 0.0}, ValueError, "alpha"),
        ({"alpha": -0.5}, ValueError, "alpha"),
        ({"alpha": 1.5}, ValueError, "alpha"),
        ({"alpha": NAN}, ValueError, "alpha"),
        ({"alpha": INF}, ValueError, "alpha"),
        ({"alpha": "half"}, TypeError, "alpha"),
        ({"alpha": None}, TypeError, "alpha"),
        ({"momentum": "nesterov"}, ValueError, "momentum"),
        ({"momentum": None}, TypeError, "momentum"),
        ({"name": ""}, ValueError, "name"),
        ({"name": 1}, TypeError, "name"),
        ({"clipnorm": 1.0}, ValueError, "optimizer"),
    ],
)
def test_rejects_bad_arguments(kwargs, err, word):
    args = {"optimizer": keras.optimizers.SGD(0.1)} | kwargs
    with pytest.raises(err, match=word):
        Lookahead(**args)


def test_k_and_alpha_accept_numpy_numbers():
    opt = Lookahead(keras.optimizers.SGD(0.1), k=np.int64(3), alpha=np.float32(0.25))
    assert (opt.k, opt.alpha) == (3, 0.25) and type(opt.k) is int and type(opt.alpha) is float
