"""Tests for blogcode.lookahead.valley (the NumPy Lookahead of book/lookahead.md)."""

from __future__ import annotations

import numpy as np
import pytest

from blogcode.lookahead.valley import START, lookahead_path, valley_loss


def test_valley_loss():
    assert valley_loss((0.0, 0.0)) == 0.0
    assert valley_loss((2.0, 1.0)) == pytest.approx(0.5 * (4 + 25))
    assert valley_loss(np.array(START)) == pytest.approx(0.5 * (16 + 25 * 1.44))


def test_path_matches_keras_lookahead():
    """The NumPy path is the Keras Lookahead(SGD(momentum)) path, fast and slow."""
    import keras
    import tensorflow as tf

    from blogcode.optimizers.lookahead import Lookahead

    for k, alpha in [(3, 0.35), (5, 0.5), (1, 0.8)]:
        w = keras.Variable(np.array([-4.0, 1.2], "float32"))
        opt = Lookahead(keras.optimizers.SGD(0.03, momentum=0.9), k=k, alpha=alpha)
        opt.build([w])
        keras_fast = [w.numpy()]
        for _ in range(17):
            opt.apply([tf.convert_to_tensor(w) * tf.constant([1.0, 25.0])], [w])
            keras_fast.append(w.numpy())
        fast, slow = lookahead_path(k, alpha, steps=17)
        np.testing.assert_allclose(fast, np.array(keras_fast), atol=1e-4)
        assert len(slow) == 1 + 17 // k
        np.testing.assert_allclose(slow[-1], opt.slow_weights[0].numpy(), atol=1e-4)


def test_path_rules():
    fast, slow = lookahead_path(5, 0.5, steps=40)
    assert fast.shape == (41, 2) and slow.shape == (9, 2)
    np.testing.assert_array_equal(fast[::5], slow)  # fast restarts from slow at every sync
    # k = 1: the slow weights follow the fast ones, alpha of each step's way
    fast1, slow1 = lookahead_path(1, 0.25, steps=3)
    np.testing.assert_array_equal(fast1, slow1)
    plain, _ = lookahead_path(1, 1.0, steps=40)
    la_plain, _ = lookahead_path(7, 1.0, steps=40)  # alpha = 1 is the inner optimizer alone
    np.testing.assert_allclose(plain, la_plain, atol=1e-12)
    assert valley_loss(plain[-1]) < valley_loss(plain[0])


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"k": 0}, "k"), ({"alpha": 0.0}, "alpha"), ({"alpha": float("nan")}, "alpha"),
     ({"alpha": 1.5}, "alpha"), ({"start": (1.0,)}, "start"), ({"start": (np.nan, 1.0)}, "start"),
     ({"steps": 0}, "steps"), ({"learning_rate": -0.1}, "learning_rate"), ({"momentum": 1.0}, "momentum")],
)
def test_bad_arguments_name_themselves(kwargs, name):
    args = {"k": 5, "alpha": 0.5} | kwargs
    k, alpha = args.pop("k"), args.pop("alpha")
    with pytest.raises(ValueError, match=name):
        lookahead_path(k, alpha, **args)


@pytest.mark.parametrize("call, error, name", [
    (lambda: lookahead_path(2.5, 0.5), TypeError, "k"),
    (lambda: lookahead_path(2.0, 0.5), TypeError, "k"),
    (lambda: lookahead_path(0, 0.5), ValueError, "k"),
    (lambda: lookahead_path(2, "0.5"), TypeError, "alpha"),
    (lambda: lookahead_path(5, float("nan")), ValueError, "alpha"),
    (lambda: lookahead_path(5, 0.5, steps=True), TypeError, "steps"),
    (lambda: lookahead_path(5, 0.5, start=None), TypeError, "start"),
    (lambda: lookahead_path(5, 0.5, start=(1.0, 2.0, 3.0)), ValueError, "start"),
], ids=["k-float", "k-float-integral", "k-zero", "alpha-str", "alpha-nan", "steps-bool", "start-none",
        "start-three"])
def test_bad_arguments_raise_naming_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()
