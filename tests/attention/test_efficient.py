"""Unit tests of blogcode.attention.efficient: the atrous, local and sparse forms equal dense attention with the mask."""

import numpy as np
import pytest
import tensorflow as tf

from blogcode.attention.efficient import CORES, atrous_attention, local_attention, sparse_attention
from blogcode.attention.patterns import atrous_mask, attention_mask, dense_attention, local_mask, sparse_mask
from blogcode.masking import sequence_mask

FORMS = {
    "atrous": (atrous_attention, atrous_mask),
    "local": (local_attention, local_mask),
    "sparse": (sparse_attention, sparse_mask),
}
# A wrong type is a TypeError, a wrong value a ValueError; the message names the argument.
BAD_SIZES = [(0, ValueError), (-3, ValueError), (1.5, TypeError), (3.0, TypeError), (True, TypeError),
             ("2", TypeError), (None, TypeError), (float("nan"), TypeError)]


def random_qkv(batch, n, depth=6, seed=0, depth_v=None):
    rng = np.random.default_rng(seed)
    shapes = [(batch, n, depth), (batch, n, depth), (batch, n, depth_v or depth)]
    return [tf.constant(rng.normal(size=s).astype("float32")) for s in shapes]


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
    attend, mask_fn = FORMS[form]
    compiled = CORES[form].compiled
    for n in (9, 10, 11, 13):
        q, k, v = random_qkv(1, n, depth=5, seed=n)
        np.testing.assert_allclose(attend(q, k, v, 2).numpy(), dense_attention(q, k, v, mask_fn(n, 2)).numpy(),
                                   atol=1e-5)
    before = compiled.experimental_get_tracing_count()
    for n in (17, 21, 30):
        q, k, v = random_qkv(1, n, depth=5)
        attend(q, k, v, 2)
    assert compiled.experimental_get_tracing_count() == before


@pytest.mark.parametrize("form", ["atrous", "local", "sparse"])
def test_a_repeated_eager_call_skips_the_graph_lookup(form, monkeypatch):
    # The second call with the same shapes and settings takes its graph from
    # the form's own table, without tf.function's argument matching; a new
    # shape asks tf.function again (the table's bound: test_compiling).
    attend, _ = FORMS[form]
    core = CORES[form]
    q, k, v = random_qkv(1, 12, depth=3, seed=1)
    first = attend(q, k, v, 2).numpy()
    looked_up = []
    lookup = core.compiled.get_concrete_function
    monkeypatch.setattr(core.compiled, "get_concrete_function", lambda *a: looked_up.append(a) or lookup(*a))
    np.testing.assert_array_equal(attend(q, k, v, 2).numpy(), first)
    assert looked_up == []
    attend(*random_qkv(1, 14, depth=3), 2)
    assert len(looked_up) == 1


def graph_operations(graph, root=None):
    """Every op of ``graph`` and of the functions it calls (the forms run as
    nested, XLA-compiled functions), recursively."""
    root = graph if root is None else root
    for op in graph.get_operations():
        yield op
        if op.type in ("PartitionedCall", "StatefulPartitionedCall"):
            name = op.get_attr("f").name
            called = graph._get_function(name) or root._get_function(name)
            yield from graph_operations(called.graph, root)


def largest_intermediate(fn, n, depth=4, batch=2):
    """Largest number of elements of any tensor in fn's graph and the
    functions it calls, inputs included."""
    spec = [tf.TensorSpec((batch, n, depth), tf.float32)] * 3
    graph = tf.function(fn).get_concrete_function(*spec).graph
    largest = 0
    for op in graph_operations(graph):
        if op.type == "Const":  # static masks are small and counted below via band shapes
            continue
        for out in op.outputs:
            if out.shape.rank is not None and out.shape.is_fully_defined():
                largest = max(largest, int(np.prod(out.shape.as_list())))
    return largest


def test_largest_intermediate_sees_inside_the_compiled_functions():
    # The forms' scores live in nested functions; a graph walk that stopped at
    # the call would see only n x d tensors and let any form pass.
    n, k = 64, 8
    seen = largest_intermediate(lambda q, k_, v: local_attention(q, k_, v, k), n)
    assert seen >= 2 * k * n  # one part's scores: batch x nb x block x block


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("n", [256, 250])  # a whole number of blocks, and not
def test_efficient_forms_never_build_an_n_by_n_matrix(causal, n):
    k, batch = 8, 2
    padding = np.ones((batch, n), bool)
    padding[1, n // 2:] = False
    dense_size = largest_intermediate(
        lambda q, k_, v: dense_attention(q, k_, v, attention_mask(sparse_mask(n, k, causal), padding)), n)
    assert dense_size >= batch * n * n
    # Per sequence, the largest score tensor holds n^2/k (atrous), kn (local:
    # one of its three parts at a time) and the larger of the two (sparse)
    # entries, on n rounded up to whole blocks.
    padded = -(-n // k) * k
    bounds = {"atrous": padded * padded // k, "local": k * padded, "sparse": max(k * padded, padded * padded // k)}
    for form, bound in bounds.items():
        attend = FORMS[form][0]
        largest = largest_intermediate(lambda q, k_, v: attend(q, k_, v, k, mask=tf.constant(padding), causal=causal), n)
        assert largest <= batch * bound, form
        assert largest < batch * n * n / 4, form


def test_peak_memory_at_4096_is_about_a_tenth_of_dense():
    # Measured as the benchmark does (a child process, peak-RSS rise of one
    # call, median of three): memory, unlike wall-clock time, does not depend
    # on the machine's load, only on its kernels. Issue 23's target, a tenth of
    # dense. The band is attended one key block at a time (band_parts), and
    # the parts run in two chains (blocks.joined_parts, blocks.after), so the forms' peak is
    # a few n x d tensors and one block of scores: 0.078 of dense compiled on
    # an AMD EPYC (whose dense peak is a single n x n matrix; 0.104 when the
    # three key blocks shared one softmax, 0.124 for sparse when XLA ran its
    # parts side by side). A copy of n x n scores would be a ratio of about 1.
    import json
    import os
    import subprocess
    import sys

    if not os.path.exists("/proc/self/clear_refs"):
        pytest.skip("needs Linux's peak-RSS counters")
    bench = load_benchmark()
    result = subprocess.run([sys.executable, bench.__file__, "--memory-child", "--lengths", "4096"],
                            capture_output=True, text=True, check=True, env={**os.environ, **bench.MEMORY_ENV})
    mib = json.loads(next(line for line in result.stdout.splitlines() if line.startswith("{")))["mib"]
    if None in mib.values():
        pytest.skip("peak-RSS counters unavailable")
    for mode in ("eager", "compiled"):
        for form in ("atrous", "local", "sparse"):
            assert mib[f"{form}/{mode}"] <= 0.10 * mib[f"dense/{mode}"], (form, mode, mib)


def load_benchmark():
    import importlib.util
    import os

    script = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "benchmarks",
                          "attention.py")
    spec = importlib.util.spec_from_file_location("bench_attention", script)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


@pytest.mark.parametrize("n, k", [(4096, 64), (100, 7), (64, 64), (1000, 30)])
def test_benchmark_scored_fraction_covers_the_pattern(n, k):
    # The benchmark's "scored" column, the blocks' own floor: never below the
    # pairs the pattern allows, and 3k/n, 1/k and both for local, atrous and
    # sparse when k divides n.
    bench = load_benchmark()
    for method in ("dense", "atrous", "local", "sparse"):
        assert bench.scored_fraction(method, n, k) >= bench.flop_limit(method, n, k) - 1e-12, method
    if n % k == 0:
        assert bench.scored_fraction("local", n, k) == pytest.approx(min(3 * k, 3 * n) / n)
        assert bench.scored_fraction("atrous", n, k) == pytest.approx(1 / k)
        assert bench.scored_fraction("sparse", n, k) == pytest.approx(3 * k / n + 1 / k)


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


@pytest.mark.parametrize("form", ["atrous", "local", "sparse"])
@pytest.mark.parametrize("dtype, atol", [("float64", 1e-12), ("float16", 2e-2), ("bfloat16", 6e-2)])
def test_efficient_forms_keep_the_dtype_and_match_dense(form, dtype, atol):
    # What dense attention accepts, the compiled forms accept: half precision
    # (mixed-precision models) and double, with a padding mask.
    attend, mask_fn = FORMS[form]
    n, k = 37, 4
    q, k_, v = (tf.cast(t, dtype) for t in random_qkv(2, n, depth=8, seed=3))
    padding = np.arange(n)[None, :] < np.array([[n], [20]])
    out = attend(q, k_, v, k, mask=tf.constant(padding))
    assert out.dtype == tf.as_dtype(dtype)
    expected = dense_attention(q, k_, v, attention_mask(mask_fn(n, k), padding))
    np.testing.assert_allclose(tf.cast(out, tf.float64).numpy(), tf.cast(expected, tf.float64).numpy(), atol=atol)
