"""Unit tests of blogcode.optimizers.wrapper: what the optimizer wrappers share
(delegation to the wrapped optimizer, argument checks, variable helpers)."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from blogcode.optimizers.accumulation import GradientAccumulation
from blogcode.optimizers.lazy import LazyOptimizer
from blogcode.optimizers.lookahead import Lookahead
from blogcode.optimizers.wrapper import (DelegatesToInnerOptimizer, Untracked, check_inner_optimizer, read_value,
                                         reject_base_arguments, sum_repeated_slices, variable_path)


@pytest.fixture(params=["accumulation", "lookahead", "lazy"])
def wrapped(request):
    """A built wrapper of each kind around Adam, and the variable it trains."""
    w = keras.Variable(np.ones((4, 2), "float32"), name="table")
    inner = keras.optimizers.Adam(0.01)
    wrapper = {"accumulation": lambda: GradientAccumulation(inner, 2),
               "lookahead": lambda: Lookahead(inner, k=2),
               "lazy": lambda: LazyOptimizer(inner, [w], detect="any_nonzero")}[request.param]()
    return wrapper, inner, w


def test_every_wrapper_uses_the_mixin(wrapped):
    wrapper, inner, _ = wrapped
    assert isinstance(wrapper, DelegatesToInnerOptimizer) and isinstance(wrapper, keras.optimizers.Optimizer)
    assert wrapper.inner_optimizer is inner


def test_learning_rate_and_iterations_are_the_inner_optimizers(wrapped):
    wrapper, inner, w = wrapped
    assert float(wrapper.learning_rate) == pytest.approx(0.01)
    wrapper.learning_rate = 0.5
    assert float(inner.learning_rate) == 0.5
    for _ in range(4):
        wrapper.apply([tf.ones((4, 2))], [w])
    assert wrapper.iterations is inner.iterations
    assert int(wrapper.iterations) == (2 if isinstance(wrapper, GradientAccumulation) else 4)


def test_variables_list_the_wrappers_and_the_inner_ones(wrapped):
    wrapper, inner, w = wrapped
    wrapper.build([w])
    ids = {id(v) for v in wrapper.variables}
    assert {id(v) for v in inner.variables} <= ids
    assert {id(v) for v in wrapper._variables} <= ids
    assert len(wrapper.variables) == len(wrapper._variables) + len(inner.variables)


def test_variables_to_update_builds_on_first_use():
    w = keras.Variable(np.zeros(2, "float32"))
    wrapper = Lookahead(keras.optimizers.SGD(0.1), k=2)
    with pytest.raises(ValueError, match="trainable_variables"):
        wrapper._variables_to_update(None)
    assert wrapper._variables_to_update((w,)) == [w] and wrapper.built
    assert wrapper._variables_to_update(None) == [w]


def test_from_config_rebuilds_the_inner_optimizer():
    original = Lookahead(keras.optimizers.Adam(0.003, beta_1=0.8), k=3, alpha=0.25, name="la")
    again = Lookahead.from_config(json.loads(json.dumps(original.get_config())))
    assert (again.k, again.alpha, again.name) == (3, 0.25, "la")
    assert isinstance(again.inner_optimizer, keras.optimizers.Adam) and again.inner_optimizer.beta_1 == 0.8


def test_untracked_keeps_variables_out_of_the_optimizers_state():
    w = keras.Variable(np.zeros(3, "float32"))
    optimizer = keras.optimizers.SGD()
    before = len(optimizer.variables)
    optimizer.held = Untracked([w])
    assert optimizer.held.items == [w] and len(optimizer.variables) == before


def test_check_inner_optimizer():
    sgd = keras.optimizers.SGD()
    assert check_inner_optimizer(sgd) is sgd
    for bad in ("adam", None, object()):
        with pytest.raises(TypeError, match="optimizer"):
            check_inner_optimizer(bad)


def test_reject_base_arguments():
    reject_base_arguments("Lookahead", {})
    with pytest.raises(ValueError, match="Lookahead.*clipnorm"):
        reject_base_arguments("Lookahead", {"clipnorm": 1.0})


@pytest.mark.parametrize("kind", ["keras.Variable", "tf.Variable"])
def test_read_value_and_variable_path(kind):
    if kind == "keras.Variable":
        v = keras.Variable(np.arange(3, dtype="float32"), name="weights")
        assert variable_path(v) == v.path and "weights" in variable_path(v)
    else:
        v = tf.Variable(np.arange(3, dtype="float32"), name="table")
        assert variable_path(v) == "table:0"
    value = read_value(v)
    assert isinstance(value, tf.Tensor)
    np.testing.assert_array_equal(value.numpy(), [0.0, 1.0, 2.0])


def test_sum_repeated_slices_adds_repeated_indices():
    g = tf.IndexedSlices(tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), tf.constant([1, 3, 1]),
                         tf.constant([4, 2]))
    merged = sum_repeated_slices(g)
    assert isinstance(merged, tf.IndexedSlices)
    assert sorted(merged.indices.numpy().tolist()) == [1, 3]
    np.testing.assert_array_equal(tf.convert_to_tensor(merged).numpy(), tf.convert_to_tensor(g).numpy())
    dense = tf.ones((2, 2))
    assert sum_repeated_slices(dense) is dense and sum_repeated_slices(None) is None
