"""Unit tests of blogcode.attention.compiling: the forms' cores run compiled, eagerly and inside graphs."""

import logging

import numpy as np
import pytest
import tensorflow as tf

import blogcode.attention.efficient  # noqa: F401  (compiles the forms' cores: their names are registered)
from blogcode.attention.compiling import MAX_GRAPHS, _QuietRetracing, compiled


def _scaled_softmax(x, scale: float):
    return tf.nn.softmax(x * scale)


@pytest.mark.parametrize("xla", [True, False])
def test_a_compiled_core_gives_the_plain_result_and_gradient_eagerly_and_in_a_graph(xla):
    core = compiled(_scaled_softmax, xla=xla)
    x = tf.Variable(np.random.default_rng(0).normal(size=(3, 5)).astype("float32"))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(core(x, 2.0) ** 2)
    with tf.GradientTape() as plain_tape:
        plain = tf.reduce_sum(_scaled_softmax(x, 2.0) ** 2)
    np.testing.assert_allclose(y.numpy(), plain.numpy(), rtol=1e-6)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), plain_tape.gradient(plain, x).numpy(), atol=1e-6)
    in_graph = tf.function(lambda: core(x, 2.0))()
    np.testing.assert_allclose(in_graph.numpy(), _scaled_softmax(x, 2.0).numpy(), atol=1e-6)
    assert core.__name__ == "_scaled_softmax"


def _through_numpy(x):
    return tf.numpy_function(np.sort, [x], x.dtype)  # Python inside: XLA cannot compile it


def test_xla_is_on_by_default_and_can_be_turned_off():
    x = tf.constant([3, 1, 2])
    np.testing.assert_array_equal(compiled(_through_numpy, xla=False)(x).numpy(), [1, 2, 3])
    with pytest.raises(Exception, match="(?i)xla|compil|PyFunc"):
        compiled(_through_numpy)(x)


def test_a_repeated_eager_call_finds_its_graph_and_odd_arguments_still_work():
    core = compiled(_scaled_softmax)
    x = tf.constant([[1.0, 2.0]])
    core(x, 1.0)
    core(x, 1.0)
    core(tf.constant([[1.0, 2.0, 3.0]]), 1.0)
    core(x, 0.5)
    assert len(core.graphs) == 3  # one per shape and setting
    variable = tf.Variable([[0.0, 1.0]])  # unhashable: falls back to tf.function's own matching
    np.testing.assert_allclose(core(variable, 1.0).numpy(), tf.nn.softmax(variable).numpy(), atol=1e-6)


def test_the_graph_table_stays_bounded():
    core = compiled(_scaled_softmax, xla=False)
    for n in range(1, MAX_GRAPHS + 6):
        core(tf.ones((1, n)), 1.0)
    assert 0 < len(core.graphs) <= MAX_GRAPHS


def test_compiled_rejects_what_it_cannot_wrap():
    with pytest.raises(TypeError, match="core"):
        compiled(3)
    with pytest.raises(TypeError, match="xla"):
        compiled(_scaled_softmax, xla=1)
    with pytest.raises(TypeError, match="xla"):
        compiled(xla="yes")


def test_only_the_compiled_functions_retracing_warning_is_silenced():
    compiled(_scaled_softmax)  # registers its name
    quiet = [f for f in tf.get_logger().filters if isinstance(f, _QuietRetracing)]
    assert len(quiet) == 1

    def record(message):
        return logging.LogRecord("tensorflow", logging.WARNING, __file__, 1, message, None, None)

    assert not quiet[0].filter(record("6 out of the last 6 calls to <function _scaled_softmax at 0x7f> triggered "
                                      "tf.function retracing."))
    assert quiet[0].filter(record("6 out of the last 6 calls to <function my_step at 0x7f> triggered "
                                  "tf.function retracing."))
    assert quiet[0].filter(record("an unrelated warning from _local_core"))
    assert not quiet[0].filter(record("6 out of the last 6 calls to <function _sparse_core at 0x7f> triggered "
                                      "tf.function retracing."))  # the forms' cores, compiled at import
    assert quiet[0].filter(record("6 out of the last 6 calls to <function my_local_core_step at 0x7f> triggered "
                                  "tf.function retracing."))
