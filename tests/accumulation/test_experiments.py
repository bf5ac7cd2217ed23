"""Unit tests of blogcode.accumulation.experiments (the article's MNIST experiment,
chapter: Gradient accumulation)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from blogcode.accumulation.experiments import (EpochAccuracy, WindowedLoss, article_mlp, embedding_after_adam,
                                               train_setting)

NAN = float("nan")
XY = (np.zeros((8, 784), "float32"), np.zeros(8, "int64"))


def test_article_mlp_is_the_article_network():
    model = article_mlp(seed=0)
    assert [layer.__class__.__name__ for layer in model.layers] == ["Dense", "Dropout", "Dense", "Dropout", "Dense"]
    assert model.count_params() == 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10
    # The same seed gives the same initial weights.
    again = article_mlp(seed=0)
    for a, b in zip(model.weights, again.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_windowed_loss_recovers_window_means():
    """Feed the callback Keras-style running epoch means and check the window means."""
    losses = np.arange(1.0, 13.0)                  # per-step losses, 2 epochs of 6 steps
    cb = WindowedLoss(batch_size=2, every=4)       # windows of 2 steps
    for epoch in range(2):
        cb.on_epoch_begin(epoch)
        epoch_losses = losses[6 * epoch: 6 * epoch + 6]
        for step in range(6):
            cb.on_train_batch_end(step, {"loss": epoch_losses[: step + 1].mean()})
    np.testing.assert_allclose(cb.losses, losses.reshape(-1, 2).mean(1))
    assert cb.samples == [4, 8, 12, 16, 20, 24]
    with pytest.raises(ValueError, match="every"):
        WindowedLoss(batch_size=8, every=4)


def test_epoch_accuracy_measures_the_held_out_data(capsys):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    model.layers[0].set_weights([np.array([[1.0, -1.0], [-1.0, 1.0]], "float32"), np.zeros(2, "float32")])
    x = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 0.0], [0.0, 3.0]], "float32")
    callback = EpochAccuracy(x, [0, 1, 1, 1])
    callback.set_model(model)
    callback.on_epoch_end(0)
    assert callback.accuracy == [0.75]
    assert "validation accuracy 0.7500" in capsys.readouterr().out


def test_train_setting_returns_the_curves():
    rng = np.random.default_rng(0)
    x = rng.random((64, 784)).astype("float32")
    y = (x[:, :392].sum(1) > x[:, 392:].sum(1)).astype("int64")
    result = train_setting("adam", 8, (x[:48], y[:48]), (x[48:], y[48:]), epochs=2, seed=0, log_every=16,
                           verbose=0)
    assert result["samples"].tolist() == [16, 32, 48, 64, 80, 96]
    assert len(result["loss"]) == 6 and np.all(np.isfinite(result["loss"]))
    assert len(result["epoch loss"]) == 2 and len(result["val accuracy"]) == 2
    assert all(0.0 <= a <= 1.0 for a in result["val accuracy"])
    assert isinstance(result["model"], keras.Model)


def test_embedding_after_adam_differs_only_with_repeated_words():
    for batches, repeated in (([[0, 1, 2, 3], [4, 5, 6, 7]], False), ([[0, 0, 1, 2], [4, 5, 6, 6]], True)):
        plain, moved_plain, grad = embedding_after_adam(batches, 1)
        accumulated, moved_acc, _ = embedding_after_adam(batches, 2)
        assert isinstance(grad, tf.IndexedSlices)
        assert moved_plain == moved_acc and set(batches[0]) <= set(moved_plain[1])   # a dense update
        gap = float(np.abs(plain - accumulated).max())
        assert gap > 1e-3 if repeated else gap < 1e-6


@pytest.mark.parametrize("call, err, word", [
    (lambda: embedding_after_adam([[0, 1]], 0), ValueError, "micro_batches"),
    (lambda: embedding_after_adam([[0, 1]], 1.0), TypeError, "micro_batches"),
    (lambda: embedding_after_adam([], 1), ValueError, "batches"),
    (lambda: embedding_after_adam([[0, 1, 2]], 2), ValueError, "batches"),
    (lambda: embedding_after_adam([[0, 9]], 1), ValueError, "batches"),
    (lambda: article_mlp(1.0), TypeError, "seed"),
    (lambda: article_mlp(0, hidden=0), ValueError, "hidden"),
    (lambda: article_mlp(0, input_dim=7.0), TypeError, "input_dim"),
    (lambda: article_mlp(0, dropout=1.0), ValueError, "dropout"),
    (lambda: article_mlp(0, dropout=NAN), ValueError, "dropout"),
    (lambda: article_mlp(0, classes=1), ValueError, "classes"),
    (lambda: WindowedLoss(batch_size=0, every=4), ValueError, "batch_size"),
    (lambda: WindowedLoss(batch_size=2, every=4.0), TypeError, "every"),
    (lambda: EpochAccuracy(np.zeros((3, 2)), [0, 1]), ValueError, "x and y"),
    (lambda: train_setting(3, 8, XY, XY, 1, 0), TypeError, "optimizer"),
    (lambda: train_setting("adam", 0, XY, XY, 1, 0), ValueError, "batch_size"),
    (lambda: train_setting("adam", 8, XY, XY, 1.0, 0), TypeError, "epochs"),
    (lambda: train_setting("adam", 8, XY[0], XY, 1, 0), TypeError, "train"),
    (lambda: train_setting("adam", 8, XY, (XY[0], XY[1][:3]), 1, 0), ValueError, "validation"),
    (lambda: train_setting("adam", 8, XY, XY, 1, 0, verbose=3), ValueError, "verbose"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_rejects_bad_arguments(call, err, word):
    with pytest.raises(err, match=word):
        call()


def _no_progress(items, desc=None):
    return items


def test_mnist_recorded_run_trains_every_setting_per_seed_and_summarises():
    from blogcode.accumulation.experiments import MNIST_SETTINGS, mnist

    out = mnist({"seeds": [0, 1], "n_train": 200, "epochs": 2, "log_every": 100}, _no_progress)
    assert set(out["runs"]) == set(MNIST_SETTINGS) == set(out["summary"])
    for name, runs in out["runs"].items():
        assert [r["seed"] for r in runs] == [0, 1]
        for r in runs:
            assert len(r["epoch loss"]) == 2 and len(r["val accuracy"]) == 2 and r["seconds"] > 0
            assert all(np.isfinite(r["loss"])) and r["samples"][-1] <= 400
        last = [r["val accuracy"][-1] for r in runs]
        s = out["summary"][name]["last val accuracy"]
        assert s["mean"] == pytest.approx(np.mean(last)) and s["std"] == pytest.approx(np.std(last, ddof=1))
        assert s["min"] == min(last) and s["max"] == max(last)
        lowest = out["summary"][name]["lowest epoch loss"]["mean"]
        assert lowest == pytest.approx(np.mean([min(r["epoch loss"]) for r in runs]))
    # accumulation over 100 single samples makes 1 update per 100 samples, like batch 100
    acc, big = out["runs"]["batch 1 × 100 accumulated"][0], out["runs"]["batch 100"][0]
    assert abs(acc["epoch loss"][0] - big["epoch loss"][0]) < 0.5


def test_batchnorm_recorded_run_summarises_the_five_runs_over_seeds():
    from blogcode.accumulation.experiments import BN_COLUMNS, batchnorm

    out = batchnorm({"seeds": [0, 3], "micro_batch": 4, "steps": 2, "updates": 3}, _no_progress)
    assert [s["seed"] for s in out["per_seed"]] == [0, 3]
    names = [r["run"] for r in out["per_seed"][0]["rows"]]
    assert len(names) == 5 and list(out["summary"]) == names
    for i, name in enumerate(names):
        for col in BN_COLUMNS:
            values = [s["rows"][i][col] for s in out["per_seed"]]
            assert out["summary"][name][col]["mean"] == pytest.approx(np.mean(values))
    # the two accumulated runs train identically whatever BN does with its statistics
    for s in out["per_seed"]:
        assert s["rows"][1]["weights vs accumulated"] <= 1e-6


def test_the_recorded_runs_are_declared_for_the_chapter():
    from blogcode import runs

    found = runs.discover()
    for key in ("accumulation/mnist", "accumulation/batchnorm"):
        exp = found[key]
        assert exp.compare == ("summary",) and len(exp.full["seeds"]) >= 3
        assert exp.module == "blogcode.accumulation.experiments"
