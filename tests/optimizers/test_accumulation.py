"""Unit tests of blogcode.optimizers.accumulation (GradientAccumulation, chapter: Gradient accumulation).

The training helpers here (regression_data, small_model, fit, ...) are also used by
tests/accumulation/test_batchnorm.py and by the two-device script below."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from blogcode.optimizers.accumulation import GradientAccumulation, mean_of_micro_batch_means

ROOT = Path(__file__).resolve().parents[2]
STEPS, MICRO, UPDATES = 4, 4, 20          # 4 micro-batches of 4 = batch 16, 20 real updates


def regression_data(seed=0, n=STEPS * MICRO * UPDATES):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype("float32")
    y = np.tanh(x @ rng.normal(size=(6, 3))).astype("float32")
    return x, y


def small_model(seed=1):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(3)])


def max_weight_diff(a, b):
    """Largest difference between the trainable weights of two models."""
    pairs = list(zip(a.trainable_weights, b.trainable_weights, strict=True))
    return max(float(np.abs(u.numpy() - v.numpy()).max()) for u, v in pairs)


def schedule():
    return keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=5, decay_rate=0.5)


def fit(model, optimizer, batch_size, x, y):
    model.compile(optimizer=optimizer, loss="mse")
    model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    return model


def tape_loop(model, optimizer, batch_size, x, y):
    """A custom training loop: one apply_gradients per micro-batch."""
    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(xb, training=True) - yb))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))

    for i in range(0, len(x), batch_size):
        step(x[i:i + batch_size], y[i:i + batch_size])
    return model


# ------------------------------------------------------------ exact equivalence
# Every training run is done once (module fixture) and shared by the tests below.

def sgd():
    return keras.optimizers.SGD(0.1, momentum=0.9)


@pytest.fixture(scope="module")
def runs():
    x, y = regression_data()
    out = {"data": (x, y)}

    def run(name, optimizer, batch_size, train=fit):
        out[name] = train(small_model(), optimizer, batch_size, x, y), optimizer

    run("sgd, batch 16", sgd(), STEPS * MICRO)
    run("sgd, batch 4", sgd(), MICRO)
    run("sgd, 4 x 4, tape loop", GradientAccumulation(sgd(), STEPS), MICRO, train=tape_loop)
    run("sgd, 4 x 4, built-in", keras.optimizers.SGD(0.1, momentum=0.9, gradient_accumulation_steps=STEPS), MICRO)
    run("adam schedule, batch 16", keras.optimizers.Adam(schedule()), STEPS * MICRO)
    run("adam schedule, 4 x 4", GradientAccumulation(keras.optimizers.Adam(schedule()), STEPS), MICRO)
    run("adam schedule, 4 x 4, built-in",
        keras.optimizers.Adam(schedule(), gradient_accumulation_steps=STEPS), MICRO)
    run("adam, 4 x 4", GradientAccumulation(keras.optimizers.Adam(0.01), STEPS), MICRO)
    run("adam, 4 x 4, built-in", keras.optimizers.Adam(0.01, gradient_accumulation_steps=STEPS), MICRO)
    return out


@pytest.mark.parametrize("big, accumulated", [
    ("sgd, batch 16", "sgd, 4 x 4, tape loop"),
    ("adam schedule, batch 16", "adam schedule, 4 x 4"),
])
def test_accumulation_equals_large_batch(runs, big, accumulated):
    (big_model, big_optimizer), (model, acc) = runs[big], runs[accumulated]
    assert max_weight_diff(big_model, model) <= 1e-6
    # The step counter and the schedule saw real updates only.
    assert int(acc.iterations) == int(big_optimizer.iterations) == UPDATES
    assert int(acc.micro_steps) == STEPS * UPDATES
    assert float(acc.learning_rate) == pytest.approx(float(big_optimizer.learning_rate), rel=1e-6)
    # After a full update the accumulators are empty again.
    assert all(float(np.abs(a.numpy()).max()) == 0 for a in acc._accumulators)


def test_plain_small_batch_is_not_the_large_batch(runs):
    """The equivalence above is not trivial: updating after every micro-batch differs."""
    assert max_weight_diff(runs["sgd, batch 16"][0], runs["sgd, batch 4"][0]) > 1e-2


def test_one_step_is_the_wrapped_optimizer():
    rng = np.random.default_rng(5)
    grads = rng.normal(size=(6, 3)).astype("float32")
    w_plain, w_wrapped = keras.Variable(np.ones(3, "float32")), keras.Variable(np.ones(3, "float32"))
    plain, wrapped = keras.optimizers.Adam(0.1), GradientAccumulation(keras.optimizers.Adam(0.1), 1)
    for g in grads:
        plain.apply([g], [w_plain])
        wrapped.apply([g], [w_wrapped])
    np.testing.assert_allclose(w_wrapped.numpy(), w_plain.numpy(), atol=1e-7)
    assert int(wrapped.iterations) == int(plain.iterations) == 6


def numpy_accumulated_adam(grads, steps, lr=0.1, b1=0.9, b2=0.999, eps=1e-7):
    """Adam (Keras' formula) on the mean of each group of ``steps`` gradients."""
    w = np.ones(grads.shape[1])
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads.reshape(-1, steps, grads.shape[1]).mean(1), start=1):
        m += (g - m) * (1 - b1)
        v += (g * g - v) * (1 - b2)
        w -= lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
    return w


@pytest.mark.parametrize("kind", ["keras.Variable", "tf.Variable"])
def test_adam_on_accumulated_gradients_matches_numpy(kind):
    grads = np.random.default_rng(6).normal(size=(12, 3)).astype("float32")
    w = keras.Variable(np.ones(3, "float32")) if kind == "keras.Variable" else tf.Variable(np.ones(3, "float32"))
    acc = GradientAccumulation(keras.optimizers.Adam(0.1), 3)
    for g in grads:
        acc.apply([g], [w])
    np.testing.assert_allclose(w.numpy(), numpy_accumulated_adam(grads.astype(np.float64), 3), rtol=1e-5)
    assert int(acc.iterations) == 4 and int(acc.micro_steps) == 12


@pytest.mark.parametrize("kind", ["keras.Variable", "tf.Variable"])
def test_every_micro_batch_counts_exactly_once(kind):
    """Hand-made gradients: after `steps` calls, SGD(1) must have moved by minus the mean
    of all of them, and not at all before. Dropping one micro-batch per update (the first
    2019 release did) or applying early fails here."""
    w = keras.Variable(np.zeros(3, "float32")) if kind == "keras.Variable" else tf.Variable(np.zeros(3, "float32"))
    acc = GradientAccumulation(keras.optimizers.SGD(1.0), 4)
    grads = [np.array([1.0, 0, 0], "float32"), np.array([0, 2.0, 0], "float32"),
             np.array([0, 0, 4.0], "float32"), np.array([8.0, 0, 0], "float32")]
    for g in grads[:3]:
        acc.apply([g], [w])
        np.testing.assert_array_equal(w.numpy(), 0.0)
    acc.apply([grads[3]], [w])
    np.testing.assert_allclose(w.numpy(), -np.mean(grads, axis=0))
    np.testing.assert_allclose(w.numpy(), [-2.25, -0.5, -1.0])
    assert int(acc.iterations) == 1
    # The next cycle starts from empty accumulators.
    for g in grads:
        acc.apply([g], [w])
    np.testing.assert_allclose(w.numpy(), [-4.5, -1.0, -2.0])


def test_variables_without_gradient_are_left_alone():
    w, unused = keras.Variable(np.ones(2, "float32")), keras.Variable(np.ones(2, "float32"))
    acc = GradientAccumulation(keras.optimizers.Adam(0.1), 2)
    for _ in range(4):
        acc.apply([np.ones(2, "float32"), None], [w, unused])
    np.testing.assert_array_equal(unused.numpy(), 1.0)
    assert np.all(w.numpy() < 0.9) and int(acc.iterations) == 2
    with pytest.raises(ValueError, match="grads"):
        acc.apply([None, None], [w, unused])


def test_sparse_embedding_gradients():
    """Embedding gradients arrive as tf.IndexedSlices and are accumulated densely: exact
    for SGD with momentum. Keras 3's Adam makes a dense update from a sparse gradient too
    (every row with a non-zero momentum moves), but it squares the slices of a repeated
    token one by one (sum of g_i^2) where the accumulated dense gradient gives (sum of
    g_i)^2, so with repeated tokens the large batch and accumulation differ (as the chapter says)."""
    rng = np.random.default_rng(2)
    ids = rng.integers(0, 30, size=(32, 3))      # 30 rows, few used per batch of 8
    target = rng.normal(size=(32, 1)).astype("float32")

    def run(make_optimizer, steps):
        keras.utils.set_random_seed(4)
        model = keras.Sequential([keras.Input((3,), dtype="int32"), keras.layers.Embedding(30, 2),
                                  keras.layers.Flatten(), keras.layers.Dense(1)])
        optimizer = make_optimizer() if steps == 1 else GradientAccumulation(make_optimizer(), steps)
        batch = 16 // steps
        for i in range(0, 32, batch):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(model(ids[i:i + batch]) - target[i:i + batch]))
            grads = tape.gradient(loss, model.trainable_variables)
            assert isinstance(grads[0], tf.IndexedSlices)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return model

    def momentum():
        return keras.optimizers.SGD(0.1, momentum=0.9)

    assert max_weight_diff(run(momentum, 1), run(momentum, 4)) <= 1e-6
    assert max_weight_diff(run(lambda: keras.optimizers.Adam(0.1), 1),
                           run(lambda: keras.optimizers.Adam(0.1), 4)) > 1e-3


# --------------------------------------------------- Keras' built-in accumulation

@pytest.mark.parametrize("builtin, ours", [
    ("sgd, 4 x 4, built-in", "sgd, 4 x 4, tape loop"),
    ("adam, 4 x 4, built-in", "adam, 4 x 4"),
])
def test_cross_check_with_builtin_at_constant_learning_rate(runs, builtin, ours):
    assert max_weight_diff(runs[builtin][0], runs[ours][0]) <= 1e-6
    assert int(runs[builtin][1].iterations) == int(runs[ours][1].iterations) == UPDATES


def test_builtin_advances_schedules_per_micro_batch(runs):
    big = runs["adam schedule, batch 16"][0]
    ours, ours_optimizer = runs["adam schedule, 4 x 4"]
    builtin, builtin_optimizer = runs["adam schedule, 4 x 4, built-in"]
    assert max_weight_diff(big, ours) <= 1e-6
    assert max_weight_diff(big, builtin) > 1e-3
    # The built-in evaluates the schedule at the micro-batch count.
    assert float(builtin_optimizer.learning_rate) == pytest.approx(float(schedule()(STEPS * UPDATES)), rel=1e-5)
    assert float(ours_optimizer.learning_rate) == pytest.approx(float(schedule()(UPDATES)), rel=1e-5)


# --------------------------------------------------------------- saving, config

def test_config_round_trip_and_learning_rate_delegation():
    acc = GradientAccumulation(keras.optimizers.Adam(0.003, beta_1=0.8), 5, name="accum")
    again = GradientAccumulation.from_config(json.loads(json.dumps(acc.get_config())))
    assert again.steps == 5 and again.name == "accum"
    assert isinstance(again.inner_optimizer, keras.optimizers.Adam) and again.inner_optimizer.beta_1 == 0.8
    again.learning_rate = 0.5
    assert float(again.inner_optimizer.learning_rate) == 0.5
    assert isinstance(keras.optimizers.deserialize(keras.optimizers.serialize(acc)), GradientAccumulation)


def test_save_and_reload_mid_cycle(runs, tmp_path):
    """Reloading restores the accumulators, counters and Adam's moments: training on
    continues exactly as without the interruption, even in the middle of a cycle."""
    x, y = runs["data"]
    reference = runs["adam, 4 x 4"][0]

    model = small_model()
    model.compile(optimizer=GradientAccumulation(keras.optimizers.Adam(0.01), STEPS), loss="mse")
    first = 38 * MICRO                            # 38 micro-batches: stops mid-cycle
    model.fit(x[:first], y[:first], batch_size=MICRO, shuffle=False, verbose=0)
    path = tmp_path / "accumulating.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    assert isinstance(reloaded.optimizer, GradientAccumulation)
    assert int(reloaded.optimizer.micro_steps) == 38 and int(reloaded.optimizer.iterations) == 38 // STEPS
    reloaded.fit(x[first:], y[first:], batch_size=MICRO, shuffle=False, verbose=0)
    assert max_weight_diff(reference, reloaded) <= 1e-6


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("steps, err", [(0, ValueError), (-2, ValueError), (2.5, TypeError), (3.0, TypeError),
                                        ("4", TypeError), (True, TypeError), (None, TypeError)])
def test_rejects_bad_steps(steps, err):
    """A count given as a float or a bool is a wrong type (blogcode.checks' rule)."""
    with pytest.raises(err, match="steps"):
        GradientAccumulation(keras.optimizers.SGD(), steps)
    assert GradientAccumulation(keras.optimizers.SGD(), np.int64(3)).steps == 3


@pytest.mark.parametrize("optimizer", ["adam", None, object()])
def test_rejects_non_optimizers(optimizer):
    with pytest.raises(TypeError, match="optimizer"):
        GradientAccumulation(optimizer, 2)


@pytest.mark.parametrize("call, err, word", [
    (lambda: GradientAccumulation(keras.optimizers.SGD(), 2, name=""), ValueError, "name"),
    (lambda: GradientAccumulation(keras.optimizers.SGD(), 2, name=5), TypeError, "name"),
    (lambda: mean_of_micro_batch_means(np.ones((4, 2)), True), TypeError, "micro_batch_size"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_rejects_bad_arguments_everywhere(call, err, word):
    with pytest.raises(err, match=word):
        call()


def test_rejects_double_accumulation_and_stray_arguments():
    with pytest.raises(ValueError, match="optimizer"):
        GradientAccumulation(keras.optimizers.SGD(gradient_accumulation_steps=2), 2)
    with pytest.raises(ValueError, match="clipnorm"):
        GradientAccumulation(keras.optimizers.SGD(), 2, clipnorm=1.0)


def test_rejects_mismatched_gradients():
    w = keras.Variable(np.zeros(2, "float32"))
    with pytest.raises(ValueError, match="grads"):
        GradientAccumulation(keras.optimizers.SGD(), 2).apply([np.ones(2, "float32")] * 2, [w])


def test_mean_of_micro_batch_means():
    g = np.random.default_rng(0).normal(size=(12, 3)).astype("float32")
    np.testing.assert_allclose(mean_of_micro_batch_means(g, 4), g.mean(0), atol=1e-6)
    ragged = mean_of_micro_batch_means(g[:10], 4)     # micro-batches of 4, 4 and 2
    expected = np.mean([g[:4].mean(0), g[4:8].mean(0), g[8:10].mean(0)], axis=0)
    np.testing.assert_allclose(ragged, expected, atol=1e-6)
    assert np.abs(ragged - g[:10].mean(0)).max() > 1e-3
    with pytest.raises(ValueError, match="micro_batch_size"):
        mean_of_micro_batch_means(g, 0)
    with pytest.raises(TypeError, match="micro_batch_size"):
        mean_of_micro_batch_means(g, 2.0)
    with pytest.raises(ValueError, match="per_sample_grads"):
        mean_of_micro_batch_means(np.zeros((0, 3)), 2)


# --------------------------------------------------------- tf.distribute, 2 CPUs

MIRRORED_SCRIPT = textwrap.dedent("""
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    # Must happen before TensorFlow initialises its devices: hence a fresh process.
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import json, keras
    from blogcode.optimizers import accumulation
    from tests.optimizers.test_accumulation import regression_data, small_model, fit, schedule

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        model = small_model()
        optimizer = accumulation.GradientAccumulation(keras.optimizers.Adam(schedule()), 4)
    x, y = regression_data()
    fit(model, optimizer, 4, x, y)      # global batch 4 = 2 per replica
    with strategy.scope():
        builtin_model = small_model()
        builtin = keras.optimizers.Adam(0.01, gradient_accumulation_steps=4)
    try:
        fit(builtin_model, builtin, 4, x, y)
        builtin_error = ""
    except Exception as error:          # what Keras' own accumulation does here
        builtin_error = str(error)
    print(json.dumps({"replicas": strategy.num_replicas_in_sync, "builtin_error": builtin_error,
                      "weights": [w.numpy().tolist() for w in model.trainable_weights],
                      "updates": int(optimizer.iterations.numpy()),
                      "micro_steps": int(optimizer.micro_steps.numpy())}))
""")


def test_mirrored_strategy_matches_one_device(runs):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", MIRRORED_SCRIPT], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    assert result["updates"] == UPDATES and result["micro_steps"] == STEPS * UPDATES
    # Keras' built-in accumulation puts a cross-device sum inside a conditional (Keras 3.15).
    assert "merge_call" in result["builtin_error"]
    one_device = runs["adam schedule, 4 x 4"][0]         # same global batch, one device
    for mirrored, single in zip(result["weights"], one_device.trainable_weights, strict=True):
        assert np.abs(np.array(mirrored) - single.numpy()).max() <= 1e-6
