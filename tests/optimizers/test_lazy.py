"""Unit tests of blogcode.optimizers.lazy (chapter: Lookahead and LazyOptimizer)."""

import numpy as np
import pytest
import tensorflow as tf
import keras

from blogcode import set_seed
from blogcode.optimizers.lazy import LazyOptimizer, build_recording_slots, sampled_rows, slot_variables
from blogcode.optimizers.lookahead import Lookahead

VOCAB, DIM = 12, 3
RNG = np.random.default_rng(6869)
E0 = RNG.normal(size=(VOCAB, DIM)).astype("float32")
# A fixed stream of sparse gradients: step t touches the rows BATCHES[t] (with repeats).
BATCHES = [[0, 1, 1], [2, 3], [0, 4], [5, 5, 6], [1, 2], [0, 7]]
ROW_GRADS = [RNG.normal(size=(len(b), DIM)).astype("float32") for b in BATCHES]
VARIABLE_KINDS = ["keras.Variable", "tf.Variable"]


def make_table(kind="keras.Variable", value=E0, name="table"):
    """The embedding table as either kind of variable a Keras 3 optimizer accepts."""
    return keras.Variable(value, name=name) if kind == "keras.Variable" else tf.Variable(value, name=name)


def sparse_grad(t):
    """The gradient of an embedding lookup: one slice per looked-up token, repeats included."""
    return tf.IndexedSlices(tf.constant(ROW_GRADS[t]), tf.constant(BATCHES[t]), tf.constant([VOCAB, DIM]))


def dense_grad(t):
    """The same gradient written densely: the slices of a repeated token are summed."""
    return tf.convert_to_tensor(sparse_grad(t))


def run(optimizer, table=None, compiled=False, gradient=sparse_grad):
    """Apply the gradient stream to ``table``; return it and its value after every step."""
    table = table if table is not None else make_table()
    optimizer.build([table])
    history = [table.numpy()]

    def step(grad):
        optimizer.apply([grad], [table])

    # One trace serves every step: the IndexedSlices are of the same kind each time.
    step = tf.function(step, reduce_retracing=True) if compiled else step
    for t in range(len(BATCHES)):
        step(gradient(t))
        history.append(table.numpy())
    return table, history


@pytest.mark.parametrize("kind", VARIABLE_KINDS)
@pytest.mark.parametrize("mode", ["author", "standard"])
@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "tf.function"])
def test_unsampled_rows_stay_bit_identical(mode, compiled, kind):
    table = make_table(kind)
    opt = LazyOptimizer(keras.optimizers.Adam(0.1), [table], mode=mode)
    _, history = run(opt, table, compiled)
    for t, rows in enumerate(BATCHES):
        before, after = history[t], history[t + 1]
        unsampled = np.setdiff1d(np.arange(VOCAB), rows)
        np.testing.assert_array_equal(after[unsampled], before[unsampled])  # bit for bit
        assert np.all(after[rows] != before[rows])


def test_plain_momentum_moves_unsampled_rows():
    _, history = run(keras.optimizers.Adam(0.1))
    assert not np.array_equal(history[2][0], history[1][0])  # row 0 not in step 2, still moves


@pytest.mark.parametrize("kind", VARIABLE_KINDS)
def test_author_mode_sampled_rows_get_the_dense_step(kind):
    """Moments are those of the plain optimizer on the dense (summed) gradient; sampled
    rows move by exactly its step, repeated tokens included."""
    table = make_table(kind)
    lazy = LazyOptimizer(keras.optimizers.Adam(0.1), [table], mode="author")
    _, lazy_history = run(lazy, table)
    plain = keras.optimizers.Adam(0.1)
    _, plain_history = run(plain, make_table(kind), gradient=dense_grad)
    for t, rows in enumerate(BATCHES):
        lazy_step = lazy_history[t + 1][rows] - lazy_history[t][rows]
        plain_step = plain_history[t + 1][rows] - plain_history[t][rows]
        np.testing.assert_allclose(lazy_step, plain_step, rtol=1e-5, atol=1e-7)
    for a, b in zip(lazy.inner_optimizer.variables, plain.variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-9)


def numpy_lazy_adam(lr=0.1, b1=0.9, b2=0.999, eps=1e-7):
    """Standard lazy Adam: only sampled rows update their moments and values
    (Keras' Adam formula, global step in the bias correction)."""
    w = E0.astype(np.float64)
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t, rows in enumerate(BATCHES, start=1):
        g = np.zeros_like(w)
        np.add.at(g, rows, ROW_GRADS[t - 1])
        r = np.unique(rows)
        m[r] += (g[r] - m[r]) * (1 - b1)
        v[r] += (g[r] ** 2 - v[r]) * (1 - b2)
        lr_t = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        w[r] -= lr_t * m[r] / (np.sqrt(v[r]) + eps)
    return w, m, v


@pytest.mark.parametrize("kind", VARIABLE_KINDS)
def test_standard_mode_matches_numpy_lazy_adam(kind):
    """The raw lookup gradients, repeats included: the wrapper sums them, as the reference does."""
    table = make_table(kind)
    opt = LazyOptimizer(keras.optimizers.Adam(0.1), [table], mode="standard")
    table, _ = run(opt, table, compiled=True)
    w, m, v = numpy_lazy_adam()
    np.testing.assert_allclose(table.numpy(), w, rtol=1e-5, atol=1e-6)
    m_slot, v_slot = slot_variables(opt.inner_optimizer, table)
    np.testing.assert_allclose(m_slot.numpy(), m, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(v_slot.numpy(), v, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("mode", ["author", "standard"])
@pytest.mark.parametrize("kind", VARIABLE_KINDS)
def test_repeated_indices_act_as_their_sum(mode, kind):
    """TF Addons' repeated-indices check: two slices of 0.1 for row 1 must give the step
    of one slice of 0.2. Keras 3's Adam alone does not (it squares each slice into v)."""
    def table():
        return make_table(kind, np.array([[1.0], [2.0]], "float32"))

    repeated = tf.IndexedSlices(tf.constant([[0.1], [0.1]]), tf.constant([1, 1]), tf.constant([2, 1]))
    summed = tf.IndexedSlices(tf.constant([[0.2]]), tf.constant([1]), tf.constant([2, 1]))
    results = {}
    for name, grad, wrap in [("lazy, repeated", repeated, True), ("lazy, summed", summed, True),
                             ("Adam, repeated", repeated, False), ("Adam, summed", summed, False)]:
        var = table()
        opt = keras.optimizers.Adam(0.1)
        opt = LazyOptimizer(opt, [var], mode=mode) if wrap else opt
        for _ in range(3):
            opt.apply([grad], [var])
        results[name] = var.numpy()
    np.testing.assert_allclose(results["lazy, repeated"], results["lazy, summed"], rtol=1e-7)
    np.testing.assert_allclose(results["lazy, summed"], results["Adam, summed"], rtol=1e-7)
    assert abs(results["Adam, repeated"][1, 0] - results["Adam, summed"][1, 0]) > 1e-3
    assert results["lazy, repeated"][0, 0] == 1.0   # row 0 was never looked up


def test_embedding_lookup_with_repeated_tokens_gets_the_dense_step():
    """An Embedding lookup of a batch in which tokens repeat: one lazy step on the model
    equals plain Adam's step on the dense (summed) gradient, for the looked-up rows."""
    set_seed(12)
    model = text_model()
    x = np.array([[1, 1, 2, 3, 1], [2, 2, 4, 4, 5]])
    y = np.array([[1.0], [0.0]], "float32")
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    grads = tape.gradient(loss, model.trainable_variables)
    assert isinstance(grads[0], tf.IndexedSlices)
    table0 = model.get_layer("emb").embeddings.numpy()
    dense = [tf.convert_to_tensor(g) for g in grads]
    plain_table = keras.Variable(table0)
    plain = keras.optimizers.Adam(0.1)
    plain.apply([dense[0]], [plain_table])
    lazy = LazyOptimizer(keras.optimizers.Adam(0.1), model.get_layer("emb"), mode="standard")
    lazy.apply(grads, model.trainable_variables)
    rows = np.unique(x)
    np.testing.assert_allclose(model.get_layer("emb").embeddings.numpy()[rows], plain_table.numpy()[rows],
                               rtol=1e-6, atol=1e-7)


def test_modes_differ_in_the_moments():
    tables = {}
    for mode in ("author", "standard"):
        table = make_table()
        tables[mode], _ = run(LazyOptimizer(keras.optimizers.Adam(0.1), [table], mode=mode), table)
    assert not np.allclose(tables["author"].numpy(), tables["standard"].numpy())


def test_sampled_rows_rules():
    grad = np.zeros((4, 3), "float32")
    grad[0] = [1, 2, 3]  # all components non-zero
    grad[1] = [0, 5, 0]  # a sampled row with zeros in it
    # row 2 sampled with an exactly zero gradient, row 3 not sampled
    sparse = tf.IndexedSlices(tf.constant(grad[:3]), tf.constant([0, 1, 2]), tf.constant([4, 3]))
    assert sampled_rows(sparse, 4, "indices").numpy().tolist() == [True, True, True, False]
    assert sampled_rows(grad, 4, "all_nonzero").numpy().tolist() == [True, False, False, False]
    assert sampled_rows(grad, 4, "any_nonzero").numpy().tolist() == [True, True, False, False]
    assert sampled_rows(sparse, 4, "any_nonzero").numpy().tolist() == [True, True, False, False]


@pytest.mark.parametrize(
    "args, err, word",
    [
        ((np.zeros((4, 3)), 4, "indices"), ValueError, "detect"),
        ((np.zeros((4, 3)), 4, "nonzero"), ValueError, "detect"),
        ((np.zeros((4, 3)), 0, "any_nonzero"), ValueError, "num_rows"),
        ((np.zeros((4, 3)), 4.0, "any_nonzero"), TypeError, "num_rows"),
        ((np.zeros((4, 3)), True, "any_nonzero"), TypeError, "num_rows"),
        ((np.zeros((4, 3)), 4, None), TypeError, "detect"),
        ((np.zeros((5, 3)), 4, "any_nonzero"), ValueError, "gradient"),
    ],
)
def test_sampled_rows_rejects_bad_input(args, err, word):
    with pytest.raises(err, match=word):
        sampled_rows(*args)


def text_model():
    return keras.Sequential(
        [
            keras.Input((5,), dtype="int32"),
            keras.layers.Embedding(VOCAB, 4, name="emb"),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(1, name="out"),
        ]
    )


def token_data():
    rng = np.random.default_rng(2)
    x = rng.integers(0, 6, size=(32, 5))  # rows 6.. of the table are never used
    return x, (x.sum(1, keepdims=True) > 12).astype("float32")


def test_config_round_trip_standard_mode():
    table = make_table()
    opt = LazyOptimizer(keras.optimizers.SGD(0.1, momentum=0.5), [table], mode="standard", detect="any_nonzero")
    clone = LazyOptimizer.from_config(opt.get_config())
    assert (clone.mode, clone.detect) == ("standard", "any_nonzero")
    assert isinstance(clone.inner_optimizer, keras.optimizers.SGD) and clone.inner_optimizer.momentum == 0.5
    clone.build([table])
    assert clone.embedding_variables == [table]


@pytest.mark.parametrize("mode", ["author"])
def test_fit_save_reload(mode, tmp_path):
    set_seed(7)
    model = text_model()
    x, y = token_data()
    model.compile(LazyOptimizer(keras.optimizers.Adam(0.05), model.get_layer("emb"), mode=mode), "mse")
    table_before = model.get_layer("emb").embeddings.numpy()
    losses = model.fit(x, y, batch_size=8, epochs=3, verbose=0).history["loss"]
    assert losses[-1] < losses[0]
    table_after = model.get_layer("emb").embeddings.numpy()
    np.testing.assert_array_equal(table_after[6:], table_before[6:])
    assert not np.allclose(table_after[:6], table_before[:6])
    path = tmp_path / "lazy.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    assert isinstance(reloaded.optimizer, LazyOptimizer) and reloaded.optimizer.mode == mode
    assert reloaded.optimizer.embedding_variables[0] is reloaded.get_layer("emb").embeddings
    for a, b in zip(model.optimizer.variables, reloaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    reloaded.fit(x, y, batch_size=8, epochs=1, verbose=0)
    np.testing.assert_array_equal(reloaded.get_layer("emb").embeddings.numpy()[6:], table_before[6:])


def test_custom_gradient_tape_loop():
    set_seed(8)
    model = text_model()
    x, y = token_data()
    opt = LazyOptimizer(keras.optimizers.SGD(0.1, momentum=0.9), model.get_layer("emb"))
    opt.build(model.trainable_variables)
    table_before = model.get_layer("emb").embeddings.numpy()

    @tf.function
    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(xb) - yb))
        opt.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
        return loss

    losses = [float(train_step(x[i : i + 8], y[i : i + 8])) for _ in range(5) for i in range(0, 32, 8)]
    assert np.mean(losses[-4:]) < np.mean(losses[:4])
    np.testing.assert_array_equal(model.get_layer("emb").embeddings.numpy()[6:], table_before[6:])


def test_dense_gradient_is_refused_with_indices_rule():
    set_seed(9)
    model = keras.Sequential(
        [
            keras.Input((5,), dtype="int32"),
            keras.layers.Embedding(VOCAB, 4, name="emb", embeddings_regularizer=keras.regularizers.L2(1e-3)),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(1),
        ]
    )
    model.compile(LazyOptimizer(keras.optimizers.Adam(), model.get_layer("emb")), "mse")
    x, y = token_data()
    with pytest.raises(ValueError, match="detect"):
        model.fit(x, y, verbose=0)


def test_embedding_only_decoupled_weight_decay():
    """AdamW inside LazyOptimizer, decay excluded from everything but the table:
    the table's sampled rows decay, unsampled rows do not move."""
    table = keras.Variable(E0, name="table")
    other = keras.Variable(np.ones(3, "float32"), name="other")
    inner = keras.optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
    inner.exclude_from_weight_decay(var_list=[other])
    opt = LazyOptimizer(inner, [table])
    zero_rows = tf.IndexedSlices(tf.zeros((2, DIM)), tf.constant([0, 1]), tf.constant([VOCAB, DIM]))
    opt.apply([zero_rows, tf.zeros(3)], [table, other])
    np.testing.assert_allclose(table.numpy()[:2], E0[:2] * (1 - 0.1 * 0.5), rtol=1e-6)
    np.testing.assert_array_equal(table.numpy()[2:], E0[2:])
    np.testing.assert_array_equal(other.numpy(), np.ones(3))


def test_lookahead_of_lazy_composes(tmp_path):
    set_seed(10)
    model = text_model()
    x, y = token_data()
    opt = Lookahead(LazyOptimizer(keras.optimizers.Adam(0.05), model.get_layer("emb")), k=3, alpha=0.5)
    model.compile(opt, "mse")
    table_before = model.get_layer("emb").embeddings.numpy()
    losses = model.fit(x, y, batch_size=8, epochs=3, verbose=0).history["loss"]  # 12 steps, 4 syncs
    assert losses[-1] < losses[0]
    table_after = model.get_layer("emb").embeddings.numpy()
    np.testing.assert_array_equal(table_after[6:], table_before[6:])
    np.testing.assert_array_equal(table_after, opt.slow_weights[0].numpy())  # step 12 synced
    path = tmp_path / "both.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    assert isinstance(reloaded.optimizer.inner_optimizer, LazyOptimizer)


@pytest.mark.parametrize(
    "kwargs, err, word",
    [
        ({"optimizer": "adam"}, TypeError, "optimizer"),
        ({"optimizer": None}, TypeError, "optimizer"),
        ({"optimizer": keras.optimizers.Adam(gradient_accumulation_steps=2)}, ValueError, "optimizer"),
        ({"embeddings": [3]}, TypeError, "embeddings"),
        ({"embeddings": np.zeros((3, 2))}, TypeError, "embeddings"),
        ({"embeddings": []}, ValueError, "embeddings"),
        ({"embeddings": [""]}, ValueError, "embeddings"),
        ({"mode": "eager"}, ValueError, "mode"),
        ({"mode": None}, TypeError, "mode"),
        ({"detect": "zeros"}, ValueError, "detect"),
        ({"detect": 1}, TypeError, "detect"),
        ({"name": ""}, ValueError, "name"),
        ({"name": 7}, TypeError, "name"),
        ({"learning_rate": 0.1}, ValueError, "optimizer"),
    ],
)
def test_rejects_bad_arguments(kwargs, err, word):
    args = {"optimizer": keras.optimizers.Adam(), "embeddings": [keras.Variable(E0)]} | kwargs
    with pytest.raises(err, match=word):
        LazyOptimizer(**args)


def test_rejects_non_optimizer_and_unknown_embedding():
    with pytest.raises(TypeError, match="optimizer"):
        LazyOptimizer(object(), [keras.Variable(E0)])
    with pytest.raises(ValueError, match="optimizer"):
        LazyOptimizer(keras.optimizers.Adam(gradient_accumulation_steps=2), [keras.Variable(E0)])
    opt = LazyOptimizer(keras.optimizers.Adam(), [keras.Variable(E0)])
    with pytest.raises(ValueError, match="embeddings"):
        opt.build([keras.Variable(E0)])


def test_slot_variables_of_same_named_tf_variables():
    """Two unnamed tf.Variables are both called "Variable:0": the slots are found by
    identity when a wrapper built the optimizer, and the name fallback refuses to guess."""
    a, b = tf.Variable(E0), tf.Variable(2 * E0)
    lazy = LazyOptimizer(keras.optimizers.Adam(0.1), [b], mode="standard")
    lazy.build([a, b])
    m_a, v_a = slot_variables(lazy, a)           # through the wrapper: the inner Adam's
    m_b, v_b = slot_variables(lazy.inner_optimizer, b)
    assert len({id(s) for s in (m_a, v_a, m_b, v_b)}) == 4
    grad_b = tf.IndexedSlices(tf.ones((1, DIM)), tf.constant([3]), tf.constant([VOCAB, DIM]))
    lazy.apply([tf.ones_like(E0), grad_b], [a, b])
    assert np.all(m_a.numpy() != 0)              # a's dense gradient: every row
    assert np.count_nonzero(np.any(m_b.numpy() != 0, axis=1)) == 1   # b: row 3 only (standard mode)
    built_elsewhere = keras.optimizers.Adam()
    built_elsewhere.build([a, b])
    with pytest.raises(ValueError, match="same name"):
        slot_variables(built_elsewhere, a)
    with pytest.raises(ValueError, match="not among"):
        slot_variables(built_elsewhere, tf.Variable(E0))
    with pytest.raises(ValueError, match="built"):
        slot_variables(keras.optimizers.Adam(), a)
    with pytest.raises(TypeError, match="optimizer"):
        slot_variables("adam", a)
    with pytest.raises(TypeError, match="optimizer"):
        build_recording_slots(None, [a])
    with pytest.raises(ValueError, match="var_list"):
        build_recording_slots(keras.optimizers.Adam(), [])


def test_config_round_trip_with_a_tf_variable():
    table = tf.Variable(E0, name="tf_table")
    opt = LazyOptimizer(keras.optimizers.Adam(0.1), table, mode="standard")
    assert opt.get_config()["embeddings"] == ["tf_table:0"]
    clone = LazyOptimizer.from_config(opt.get_config())
    clone.build([tf.Variable(np.ones(3, "float32"), name="other"), table])
    assert clone.embedding_variables == [table]
