"""Unit tests of blogcode.attention.patterns (chapter: from standard attention to sparse attention)."""

import numpy as np
import pytest
import tensorflow as tf
import keras

from blogcode import set_seed
from blogcode.attention.layers import (AtrousSelfAttention, LocalSelfAttention, MultiHeadSelfAttention,
                                       SparseSelfAttention, marker_model, marker_task)
from blogcode.attention.patterns import (
    atrous_attention,
    atrous_mask,
    attention_mask,
    causal_mask,
    dense_attention,
    local_attention,
    local_mask,
    pattern_cost,
    receptive_field,
    softmax_by_subtraction,
    sparse_attention,
    sparse_mask,
)
from blogcode.masking import sequence_mask

FORMS = {
    "atrous": (atrous_attention, atrous_mask),
    "local": (local_attention, local_mask),
    "sparse": (sparse_attention, sparse_mask),
}


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
    mask_fn = FORMS[kind][1]
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
            mask = causal_mask(n) if kind == "dense" else FORMS[kind][1](n, k)
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
    (lambda: receptive_field(None), TypeError, "masks"),
    (lambda: receptive_field([]), ValueError, "masks"),
    (lambda: receptive_field([np.ones((2, 3), bool)]), ValueError, "masks"),
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
    assert not receptive_field([local_mask(n, k)]).all()
    assert not receptive_field([atrous_mask(n, k)]).all()
    assert receptive_field([local_mask(n, k), atrous_mask(n, k)]).all()
    # Two local layers reach twice as far, no further.
    reach = receptive_field([local_mask(n, k)] * 2)
    np.testing.assert_array_equal(reach, local_mask(n, 2 * k))
    with pytest.raises(ValueError, match="masks"):
        receptive_field([])
    with pytest.raises(ValueError, match="masks"):
        receptive_field([local_mask(4, 1), local_mask(5, 1)])


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


# ----------------------------------------------------------------- efficient forms


def check_equivalence(form, n, k, lengths, causal, depth=6, seed=0, **kwargs):
    attend, mask_fn = FORMS[form]
    q, k_, v = random_qkv(len(lengths), n, depth=depth, seed=seed)
    padding = sequence_mask(lengths, n)
    reference_mask = attention_mask(mask_fn(n, k, causal=causal), padding)
    probe = tf.constant(np.random.default_rng(seed + 1).normal(size=(len(lengths), n, depth)).astype("float32"))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([q, k_, v])
        fast = attend(q, k_, v, k, mask=padding, causal=causal, **kwargs)
        slow = dense_attention(q, k_, v, reference_mask)
        fast_loss, slow_loss = tf.reduce_sum(fast * probe), tf.reduce_sum(slow * probe)
    assert fast.shape == slow.shape == q.shape
    np.testing.assert_allclose(fast.numpy(), slow.numpy(), atol=1e-5, rtol=0)
    for a, b in zip(tape.gradient(fast_loss, [q, k_, v]), tape.gradient(slow_loss, [q, k_, v])):
        assert np.isfinite(a.numpy()).all()
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5, rtol=0)
    return fast


@pytest.mark.parametrize("form", ["atrous", "local", "sparse"])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("n, k, lengths", [(23, 4, [23, 17, 5]), (13, 5, [9]),
                                            (6, 8, [6, 3]), (20, 1, [20, 19]), (1, 3, [1])])
def test_efficient_forms_equal_dense_with_mask(form, causal, n, k, lengths):
    check_equivalence(form, n, k, lengths, causal)


@pytest.mark.parametrize("block_size", [1, 3, 7])
@pytest.mark.parametrize("causal", [False, True])
def test_local_attention_any_block_size(block_size, causal):
    check_equivalence("local", 19, 4, [19, 11], causal, block_size=block_size)


@pytest.mark.parametrize("form", ["atrous", "local", "sparse"])
def test_fully_padded_sequence_gives_zeros_not_nan(form):
    out = check_equivalence(form, 10, 3, [10, 0], causal=False)
    assert np.all(out.numpy()[1] == 0)
    assert np.all(out.numpy()[0, :, :] != 0)


@pytest.mark.parametrize("form", ["atrous", "local", "sparse"])
@pytest.mark.parametrize("depth", [4, None])
def test_efficient_forms_inside_tf_function_with_unknown_length(form, depth):
    attend, mask_fn = FORMS[form]
    fn = tf.function(lambda q, k, v: attend(q, k, v, 3),
                     input_signature=[tf.TensorSpec((None, None, depth), tf.float32)] * 3)
    for n in (7, 12):
        q, k, v = random_qkv(2, n, depth=4)
        np.testing.assert_allclose(fn(q, k, v).numpy(), dense_attention(q, k, v, mask_fn(n, 3)).numpy(), atol=1e-5)


@pytest.mark.parametrize("form", ["atrous", "local", "sparse"])
def test_eager_calls_reuse_one_shape_generic_graph(form):
    # Eager calls run the block computation as a cached graph; new lengths
    # must not trace a new graph each (reduce_retracing).
    import blogcode.attention.patterns as attention

    attend, mask_fn = FORMS[form]
    compiled = getattr(attention, f"_{form}_core").compiled
    for n in (9, 10, 11, 13):
        q, k, v = random_qkv(1, n, depth=5, seed=n)
        np.testing.assert_allclose(attend(q, k, v, 2).numpy(), dense_attention(q, k, v, mask_fn(n, 2)).numpy(),
                                   atol=1e-5)
    before = compiled.experimental_get_tracing_count()
    for n in (17, 21, 30):
        q, k, v = random_qkv(1, n, depth=5)
        attend(q, k, v, 2)
    assert compiled.experimental_get_tracing_count() == before


def largest_intermediate(fn, n, depth=4, batch=2):
    """Largest number of elements of any tensor in fn's graph, inputs included."""
    spec = [tf.TensorSpec((batch, n, depth), tf.float32)] * 3
    graph = tf.function(fn).get_concrete_function(*spec).graph
    largest = 0
    for op in graph.get_operations():
        if op.type == "Const":  # static masks are small and counted below via band shapes
            continue
        for out in op.outputs:
            if out.shape.rank is not None and out.shape.is_fully_defined():
                largest = max(largest, int(np.prod(out.shape.as_list())))
    return largest


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("n", [256, 250])  # a whole number of blocks, and not
def test_efficient_forms_never_build_an_n_by_n_matrix(causal, n):
    k, batch = 8, 2
    padding = np.ones((batch, n), bool)
    padding[1, n // 2:] = False
    dense_size = largest_intermediate(
        lambda q, k_, v: dense_attention(q, k_, v, attention_mask(sparse_mask(n, k, causal), padding)), n)
    assert dense_size >= batch * n * n
    # Per sequence, the score tensors hold n^2/k (atrous), 3kn (local) and
    # n(3k + n/k) (sparse) entries, on n rounded up to whole blocks.
    padded = -(-n // k) * k
    bounds = {"atrous": padded * padded // k, "local": 3 * k * padded, "sparse": padded * (3 * k + padded // k)}
    for form, bound in bounds.items():
        attend = FORMS[form][0]
        largest = largest_intermediate(lambda q, k_, v: attend(q, k_, v, k, mask=tf.constant(padding), causal=causal), n)
        assert largest <= batch * bound, form
        assert largest < batch * n * n / 4, form


@pytest.mark.parametrize("causal, parts", [(False, 3), (True, 2)])
@pytest.mark.parametrize("block", [8, 5])
def test_local_scores_are_blocks_of_the_band_only(causal, parts, block):
    from blogcode.attention.patterns import _band_parts

    n, k = 80, 8
    q, k_, _ = random_qkv(1, n)
    valid = tf.ones((1, n), tf.bool)
    band = _band_parts(q, k_, valid, k, block, causal)
    parts = parts if block == k else len(range(-2, 1 if causal else 3))
    assert len(band) == parts
    rows = -(-n // block)
    for scores, allowed, layout in band:
        assert tuple(scores.shape) == tuple(allowed.shape) == (rows, block, block) and layout == "blocks"
    assert sum(int(tf.size(s)) for s, _, _ in band) == parts * block * rows * block  # about parts * block * n, not n * n
    allowed = tf.add_n([tf.reduce_sum(tf.cast(a, tf.int32)) for _, a, _ in band])
    assert int(allowed) == local_mask(n, k, causal=causal).sum()


def test_peak_memory_at_4096_is_under_a_tenth_of_dense():
    # Issue 23's memory target, measured as the benchmark does (a child
    # process, peak-RSS rise of one call, median of three): memory, unlike
    # wall-clock time, does not depend on the machine's load.
    import importlib.util
    import json
    import os
    import subprocess
    import sys

    if not os.path.exists("/proc/self/clear_refs"):
        pytest.skip("needs Linux's peak-RSS counters")
    script = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks", "attention.py")
    spec = importlib.util.spec_from_file_location("bench_attention", script)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = subprocess.run([sys.executable, script, "--memory-child", "--lengths", "4096"],
                            capture_output=True, text=True, check=True, env={**os.environ, **bench.MEMORY_ENV})
    mib = json.loads(next(line for line in result.stdout.splitlines() if line.startswith("{")))["mib"]
    if None in mib.values():
        pytest.skip("peak-RSS counters unavailable")
    for mode in ("eager", "compiled"):
        for form in ("atrous", "local", "sparse"):
            assert mib[f"{form}/{mode}"] <= 0.10 * mib[f"dense/{mode}"], (form, mode, mib)


@pytest.mark.parametrize("form", ["atrous", "local", "sparse"])
@pytest.mark.parametrize("bad, error", BAD_SIZES)
def test_efficient_forms_reject_bad_sizes(form, bad, error):
    attend = FORMS[form][0]
    arg = "neighbors" if form == "local" else "rate"
    q, k, v = random_qkv(2, 8)
    with pytest.raises(error, match=arg):
        attend(q, k, v, bad)
    if form == "local" and bad is not None:  # block_size=None is the default
        with pytest.raises(error, match="block_size"):
            attend(q, k, v, 2, block_size=bad)


@pytest.mark.parametrize("form", ["atrous", "local", "sparse"])
def test_efficient_forms_reject_bad_input(form):
    attend = FORMS[form][0]
    q, k, v = random_qkv(2, 8)
    with pytest.raises(TypeError, match="causal"):
        attend(q, k, v, 2, causal="no")
    with pytest.raises(TypeError, match="causal"):
        attend(q, k, v, 2, causal=1)
    for name, args in (("q", (None, k, v)), ("k", (q, None, v)), ("v", (q, k, None))):
        with pytest.raises(TypeError, match=name):
            attend(*args, 2)
    with pytest.raises(TypeError, match="mask"):
        attend(q, k, v, 2, mask="all")
    with pytest.raises(ValueError, match="q"):
        attend(q[0], k, v, 2)
    with pytest.raises(ValueError, match="depth"):
        attend(q, k[:, :, :3], v, 2)
    with pytest.raises(ValueError, match="length"):
        attend(q, k[:, :5], v[:, :5], 2)
    with pytest.raises(ValueError, match="empty"):
        attend(q[:, :0], k[:, :0], v[:, :0], 2)
    with pytest.raises(ValueError, match="batch"):
        attend(q, k[:1], v[:1], 2)
    with pytest.raises(ValueError, match="mask"):
        attend(q, k, v, 2, mask=np.ones((2, 7), bool))
    nan_q = q.numpy()
    nan_q[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="q"):
        attend(nan_q, k, v, 2)
    with pytest.raises(TypeError, match="v"):
        attend(q, k, "values", 2)


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


# ----------------------------------------------------------------- layers

LAYERS = {
    "dense": lambda causal=False: MultiHeadSelfAttention(2, 4, causal=causal),
    "atrous": lambda causal=False: AtrousSelfAttention(2, 4, rate=3, causal=causal),
    "local": lambda causal=False: LocalSelfAttention(2, 4, neighbors=3, causal=causal),
    "sparse": lambda causal=False: SparseSelfAttention(2, 4, rate=3, causal=causal),
}
PATTERNS = {"dense": lambda n: np.ones((n, n), bool), "atrous": lambda n: atrous_mask(n, 3),
            "local": lambda n: local_mask(n, 3), "sparse": lambda n: sparse_mask(n, 3)}


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_equals_projections_plus_dense_attention(name):
    set_seed(0)
    n = 11
    layer = LAYERS[name]()
    x = np.random.default_rng(0).normal(size=(2, n, 5)).astype("float32")
    padding = sequence_mask([11, 7], n)
    y = layer(x, mask=padding).numpy()
    assert y.shape == (2, n, 5)

    def heads(t):  # (b, n, 8) -> (b*2, n, 4), heads folded batch-major
        return np.transpose(t.reshape(2, n, 2, 4), (0, 2, 1, 3)).reshape(4, n, 4)

    q, k, v = (heads(x @ d.kernel.numpy()) for d in (layer.query, layer.key, layer.value))
    mask = attention_mask(PATTERNS[name](n), np.repeat(padding, 2, axis=0))
    attended = dense_attention(q, k, v, mask).numpy()
    merged = np.transpose(attended.reshape(2, 2, n, 4), (0, 2, 1, 3)).reshape(2, n, 8)
    expected = merged @ layer.out.kernel.numpy() + layer.out.bias.numpy()
    np.testing.assert_allclose(y, expected, atol=1e-5)


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_keras_mask_ignores_padding(name):
    set_seed(1)
    embed = keras.layers.Embedding(20, 6, mask_zero=True)
    layer = LAYERS[name]()
    ids = np.array([[3, 5, 7, 2, 9, 0, 0, 0]])
    padded = layer(embed(ids)).numpy()[0, :5]
    unpadded = layer(embed(ids[:, :5])).numpy()[0]
    np.testing.assert_allclose(padded, unpadded, atol=1e-5)
    assert layer.compute_mask(None, tf.constant([[True, False]])).numpy().tolist() == [[True, False]]


@pytest.mark.parametrize("name", list(LAYERS))
def test_causal_layer_ignores_the_future(name):
    set_seed(2)
    layer = LAYERS[name](causal=True)
    x = np.random.default_rng(2).normal(size=(1, 10, 5)).astype("float32")
    changed = x.copy()
    changed[:, 6:] += 3.0
    np.testing.assert_allclose(layer(x).numpy()[:, :6], layer(changed).numpy()[:, :6], atol=1e-5)
    assert not np.allclose(layer(x).numpy()[:, 6:], layer(changed).numpy()[:, 6:])


def small_model(name, n=12):
    inputs = keras.Input((n,), dtype="int32")
    h = keras.layers.Embedding(10, 8, mask_zero=True)(inputs)
    h = LAYERS[name]()(h)
    outputs = keras.layers.Dense(1)(keras.layers.GlobalAveragePooling1D()(h))
    return keras.Model(inputs, outputs)


def toy_data(n=12, size=64):
    rng = np.random.default_rng(3)
    x = rng.integers(1, 10, size=(size, n))
    x[: size // 2, n - 3:] = 0  # some padding
    y = (x == 5).sum(axis=1, keepdims=True).astype("float32")
    return x, y


def test_layer_fits_in_model_fit():
    set_seed(4)
    model = small_model("atrous")
    x, y = toy_data()
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.7 * before


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_saves_and_reloads(name, tmp_path):
    set_seed(4)
    model = small_model(name)
    x, _ = toy_data(size=8)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(reloaded(x).numpy(), model(x).numpy(), atol=1e-5)
    assert reloaded.layers[2].get_config() == model.layers[2].get_config()
    assert type(reloaded.layers[2]) is type(model.layers[2])


def test_layer_trains_in_a_gradient_tape_loop():
    set_seed(5)
    model = small_model("local")
    x, y = toy_data()
    optimizer = keras.optimizers.Adam(0.02)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((model(x, training=True) - y) ** 2)
        grads = tape.gradient(loss, model.trainable_weights)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))
        finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(tf.convert_to_tensor(g))) for g in grads])
        return loss, finite

    losses = []
    for _ in range(20):
        loss, finite = step()
        assert bool(finite)
        losses.append(float(loss))
    assert losses[-1] < 0.7 * losses[0]


@pytest.mark.parametrize("cls, kwargs, error, arg", [
    (MultiHeadSelfAttention, dict(heads=0, head_size=4), ValueError, "heads"),
    (MultiHeadSelfAttention, dict(heads=2.0, head_size=4), TypeError, "heads"),
    (MultiHeadSelfAttention, dict(heads=True, head_size=4), TypeError, "heads"),
    (MultiHeadSelfAttention, dict(heads=2, head_size=-1), ValueError, "head_size"),
    (MultiHeadSelfAttention, dict(heads=2, head_size=None), TypeError, "head_size"),
    (MultiHeadSelfAttention, dict(heads=2, head_size=4, causal="yes"), TypeError, "causal"),
    (MultiHeadSelfAttention, dict(heads=2, head_size=4, causal=0), TypeError, "causal"),
    (MultiHeadSelfAttention, dict(heads=2, head_size=4, output_dim=0), ValueError, "output_dim"),
    (MultiHeadSelfAttention, dict(heads=2, head_size=4, output_dim=8.0), TypeError, "output_dim"),
    (AtrousSelfAttention, dict(heads=2, head_size=4, rate=0), ValueError, "rate"),
    (AtrousSelfAttention, dict(heads=2, head_size=4, rate="3"), TypeError, "rate"),
    (LocalSelfAttention, dict(heads=2, head_size=4, neighbors=-2), ValueError, "neighbors"),
    (LocalSelfAttention, dict(heads=2, head_size=4, neighbors=False), TypeError, "neighbors"),
    (SparseSelfAttention, dict(heads=2, head_size=4, rate=1.5), TypeError, "rate"),
    (SparseSelfAttention, dict(heads=2, head_size=4, rate=None), TypeError, "rate"),
])
def test_layers_reject_bad_arguments(cls, kwargs, error, arg):
    with pytest.raises(error, match=arg):
        cls(**kwargs)


@pytest.mark.parametrize("call, error, arg", [
    (lambda: marker_task(0, 4), ValueError, "n"),
    (lambda: marker_task(8.0, 4), TypeError, "n"),
    (lambda: marker_task(8, True), TypeError, "size"),
    (lambda: marker_task(8, 4, classes=0), ValueError, "classes"),
    (lambda: marker_task(8, 4, seed=-1), ValueError, "seed"),
    (lambda: marker_task(8, 4, seed=0.5), TypeError, "seed"),
    (lambda: marker_model("strided", 8, 2), ValueError, "kind"),
    (lambda: marker_model(None, 8, 2), TypeError, "kind"),
    (lambda: marker_model("local", 8, 2.0), TypeError, "k"),
    (lambda: marker_model("local", 8, 2, depth=0), ValueError, "depth"),
    (lambda: marker_model("local", 8, 2, heads=1.5), TypeError, "heads"),
])
def test_marker_task_and_model_reject_bad_arguments(call, error, arg):
    with pytest.raises(error, match=arg):
        call()


def test_marker_task_is_seeded_and_marker_model_predicts_per_position():
    tokens, labels = marker_task(16, 5, classes=3, seed=1)
    again, _ = marker_task(16, 5, classes=3, seed=1)
    np.testing.assert_array_equal(tokens, again)
    assert tokens.shape == labels.shape == (5, 16)
    assert ((1 <= tokens) & (tokens <= 3)).sum() == 5  # one marker per sequence
    model = marker_model("sparse", 16, 4, classes=3)
    assert model(tokens).shape == (5, 16, 3)


def test_layer_rejects_bad_inputs():
    layer = LocalSelfAttention(2, 4, neighbors=2)
    with pytest.raises(ValueError, match="inputs"):
        layer(np.zeros((3, 4), "float32"))
    with pytest.raises(ValueError, match="mask"):
        layer(np.zeros((2, 5, 4), "float32"), mask=np.ones((2, 6), bool))
