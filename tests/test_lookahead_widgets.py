"""Tests for blogcode.lookahead.widgets (the explorer of book/lookahead.md)."""

from __future__ import annotations

import numpy as np
import pytest

from blogcode.lookahead.widgets import (
    LiveExplorer,
    explorer_figure,
    lookahead_path,
    path_figure,
    valley_loss,
)


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


def test_bad_types_and_explorer_arguments():
    with pytest.raises(TypeError, match="k"):
        lookahead_path(2.5, 0.5)
    with pytest.raises(TypeError, match="alpha"):
        lookahead_path(2, "0.5")
    with pytest.raises(ValueError, match="ks"):
        explorer_figure([], [0.5])
    with pytest.raises(ValueError, match="alphas"):
        explorer_figure([5], [])
    with pytest.raises(ValueError, match="active"):
        explorer_figure([5], [0.5], active=3)
    with pytest.raises(ValueError, match="alpha"):
        explorer_figure([5], [0.5, 2.0])


def test_explorer_figure_steps_traces_and_axes():
    ks, alphas = (1, 2, 3, 5, 10), (0.2, 0.35, 0.5, 0.8, 1.0)
    fig = explorer_figure(ks, alphas)
    n_steps = len(ks) * len(alphas)
    assert len(fig.layout.sliders) == 1 and len(fig.layout.sliders[0].steps) == n_steps
    assert len(fig.data) == 4 * n_steps
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    assert fig.layout.title.text
    labels = [s.label for s in fig.layout.sliders[0].steps]
    assert labels[fig.layout.sliders[0].active] == "k = 5, α = 0.5"
    # exactly one step visible, and the fast/slow traces differ between steps
    assert sum(bool(t.visible) for t in fig.data) == 4
    fast_traces = [fig.data[4 * i + 1] for i in range(n_steps)]
    # alpha = 1 is SGD + momentum alone whatever k is; every other pair draws its own path
    assert len({tuple(np.round(t.x, 6)) for t in fast_traces}) == n_steps - (len(ks) - 1)
    for i, (k, a) in enumerate((k, a) for k in ks for a in alphas):
        if a == 1.0:
            np.testing.assert_allclose(fast_traces[i].x, fig.data[0].x)
    # keep the page small: a few hundred points per step at most
    points = sum(len(t.x) for t in fig.data)
    assert points / n_steps < 300, points


def test_live_explorer_builds_and_redraws():
    live = LiveExplorer(5, 0.5)
    assert len(live.figure.data) == 4
    before = np.array(live.figure.data[2].x)
    live.k.value = 2
    assert len(live.figure.data[2].x) == 1 + 40 // 2
    assert not np.array_equal(before[:3], np.array(live.figure.data[2].x)[:3])
    assert path_figure(2, float(live.alpha.value)).data[1].x.tolist() == list(live.figure.data[1].x)


def _lookahead_bad_calls():
    from blogcode.lookahead import widgets as lw

    return [
        (lambda: lw.lookahead_path(2.0, 0.5), TypeError, "k"),
        (lambda: lw.lookahead_path(0, 0.5), ValueError, "k"),
        (lambda: lw.lookahead_path(5, "0.5"), TypeError, "alpha"),
        (lambda: lw.lookahead_path(5, float("nan")), ValueError, "alpha"),
        (lambda: lw.lookahead_path(5, 0.5, steps=True), TypeError, "steps"),
        (lambda: lw.lookahead_path(5, 0.5, start=None), TypeError, "start"),
        (lambda: lw.lookahead_path(5, 0.5, start=(1.0, 2.0, 3.0)), ValueError, "start"),
        (lambda: lw.explorer_figure(ks=()), ValueError, "ks"),
        (lambda: lw.explorer_figure(ks=(1, 2), alphas=(0.5,), active=5), ValueError, "active"),
    ]


@pytest.mark.parametrize("case", range(9))
def test_bad_arguments_raise_naming_the_argument(case):
    call, error, name = _lookahead_bad_calls()[case]
    with pytest.raises(error, match=name):
        call()
