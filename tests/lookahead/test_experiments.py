"""Unit tests of blogcode.lookahead.experiments (chapter: Lookahead and LazyOptimizer): the valley
trajectory, the drifting toy table, the MNIST optimizers, the paired comparison over seeds and the
recorded experiments' functions on tiny settings, and bad input."""

import keras
import numpy as np
import pytest

from blogcode.data import load_mnist_5k
from blogcode.lookahead.experiments import (LAZY_COMPARISON, TEXT_COMPARISON, digit_model, digit_optimizers, digits,
                                            paired_differences, text_comparison, train_digits, valley_trajectory,
                                            word_trajectories)
from blogcode.lookahead.sentiment import text_optimizers
from blogcode.lookahead.valley import lookahead_path
from blogcode.optimizers.lazy import LazyOptimizer
from blogcode.optimizers.lookahead import Lookahead
from blogcode.runs import Progress, get
from tests.lookahead.test_sentiment import tiny_split

NAN = float("nan")
DIGITS = (np.zeros((4, 784), "float32"), np.zeros(4, "int64"))


BAD_CALLS = [
    # (call, exception, argument named in the message)
    (lambda: valley_trajectory("sgd"), TypeError, "optimizer"),
    (lambda: valley_trajectory(keras.optimizers.SGD(), steps=0), ValueError, "steps"),
    (lambda: valley_trajectory(keras.optimizers.SGD(), start=(1.0, 2.0, 3.0)), ValueError, "start"),
    (lambda: word_trajectories(None), TypeError, "make_optimizer"),
    (lambda: word_trajectories(lambda table: keras.optimizers.SGD(), steps=2.0), TypeError, "steps"),
    (lambda: train_digits("adam", train=DIGITS, validation=DIGITS, epochs=1), TypeError, "optimizer"),
    (lambda: train_digits(keras.optimizers.Adam(), train=DIGITS[0], validation=DIGITS, epochs=1), TypeError, "train"),
    (lambda: train_digits(keras.optimizers.Adam(), train=DIGITS, validation=(DIGITS[0], DIGITS[1][:2]), epochs=1),
     ValueError, "validation"),
    (lambda: train_digits(keras.optimizers.Adam(), train=DIGITS, validation=DIGITS, epochs=0), ValueError, "epochs"),
    (lambda: digit_optimizers(-1e-3), ValueError, "learning_rate"),
    (lambda: digit_optimizers("fast"), TypeError, "learning_rate"),
    (lambda: paired_differences([1.0, 2.0], "Adam"), TypeError, "per_seed"),
    (lambda: paired_differences({"Adam": [1.0, 2.0]}, "SGD"), ValueError, "reference"),
    (lambda: paired_differences({"Adam": [1.0, 2.0], "lazy": [1.0]}, "Adam"), ValueError, "lazy"),
    (lambda: paired_differences({"Adam": [1.0, 2.0], "lazy": [1.0, NAN]}, "Adam"), ValueError, "values"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(call, error, word):
    with pytest.raises(error, match=word):
        call()

def test_valley_trajectory_is_the_numpy_path():
    plain, plain_slow = valley_trajectory(keras.optimizers.SGD(0.03, momentum=0.9), steps=20)
    assert plain.shape == (21, 2) and plain_slow.shape == (1, 2)   # no Lookahead: the start only
    fast, slow = valley_trajectory(Lookahead(keras.optimizers.SGD(0.03, momentum=0.9), k=5, alpha=0.5), steps=20)
    numpy_fast, numpy_slow = lookahead_path(5, 0.5, steps=20)
    np.testing.assert_allclose(fast, numpy_fast, atol=1e-4)
    np.testing.assert_allclose(slow, numpy_slow, atol=1e-4)
    np.testing.assert_allclose(plain, lookahead_path(1, 1.0, steps=20)[0], atol=1e-4)
    for i in range(1, len(slow)):
        np.testing.assert_array_equal(fast[5 * i], slow[i])


def test_word_trajectories_momentum_drift_and_lazy_freeze():
    plain = word_trajectories(lambda table: keras.optimizers.SGD(0.1, momentum=0.9))
    lazy = word_trajectories(lambda table: LazyOptimizer(keras.optimizers.SGD(0.1, momentum=0.9), [table]))
    assert plain.shape == lazy.shape == (8, 6)
    assert np.all(np.diff(plain[:, 0]) > 0)          # word 0 keeps moving after its one appearance
    assert np.all(lazy[1:, 0] == lazy[0, 0])         # ... unless the optimizer is lazy
    assert np.all(plain[:, 5] == 0) and np.all(lazy[:, 5] == 0)
    np.testing.assert_allclose(plain[:, 1], lazy[:, 1], rtol=1e-6)   # word 1 is in every batch


def test_train_digits_is_seeded_and_validates():
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 784)).astype("float32"), rng.integers(0, 10, 64)
    assert digit_model().count_params() == 784 * 128 + 128 + 128 * 10 + 10
    runs = [train_digits(keras.optimizers.Adam(3e-3), train=(x[:48], y[:48]), validation=(x[48:], y[48:]), epochs=2)
            for _ in range(2)]
    assert set(runs[0]) >= {"loss", "val_loss", "accuracy", "val_accuracy"} and len(runs[0]["loss"]) == 2
    np.testing.assert_allclose(runs[0]["loss"], runs[1]["loss"], rtol=1e-6)   # the same seed, the same run


def test_digit_optimizers_are_the_three_of_the_chapter():
    optimizers = {name: make() for name, make in digit_optimizers(3e-3).items()}
    assert list(optimizers) == ["Adam", "Lookahead(Adam), k=5, α=0.5", "Adam, EMA 0.9 copied every 5 steps"]
    lookahead = optimizers["Lookahead(Adam), k=5, α=0.5"]
    assert isinstance(lookahead, Lookahead) and (lookahead.k, lookahead.alpha) == (5, 0.5)
    ema = optimizers["Adam, EMA 0.9 copied every 5 steps"]
    assert ema.use_ema and ema.ema_momentum == 0.9 and ema.ema_overwrite_frequency == 5
    assert float(optimizers["Adam"].learning_rate) == pytest.approx(3e-3)


def test_paired_differences_seed_by_seed():
    per_seed = {"Adam": [0.70, 0.72, 0.71, 0.73, 0.69], "better": [0.72, 0.74, 0.735, 0.75, 0.71],
                "same": [0.71, 0.71, 0.72, 0.72, 0.70]}
    out = paired_differences(per_seed, "Adam")
    assert set(out) == {"better", "same"}
    np.testing.assert_allclose(out["better"]["per seed"], [0.02, 0.02, 0.025, 0.02, 0.02], atol=1e-12)
    assert out["better"]["mean"] == pytest.approx(0.021) and out["better"]["exceeds_seed_noise"]
    # differences +0.01, -0.01, +0.01, -0.01, +0.01: mean 0.002, far inside the spread
    assert not out["same"]["exceeds_seed_noise"] and abs(out["same"]["t"]) < 1
    assert out["same"]["critical t"] == pytest.approx(2.776, abs=1e-3)    # Student's t, 4 degrees of freedom
    two = paired_differences({"Adam": [0.0, 0.0], "x": [1.0, 1.1]}, "Adam")
    assert not two["x"]["exceeds_seed_noise"]                             # two seeds never suffice


def test_text_comparison_on_a_tiny_split():
    settings = dict(seeds=[0, 1], optimizers=["Adam", "lazy Adam (author)", "Lookahead(Adam)"], learning_rate=1e-2,
                    maxlen=6, embedding_dim=4, units=4, encoder="average", epochs=2)
    out = text_comparison(tiny_split(), settings, Progress(quiet=True))
    assert set(out["runs"]) == set(settings["optimizers"]) and all(len(rs) == 2 for rs in out["runs"].values())
    run = out["runs"]["Adam"][1]
    assert run["seed"] == 1 and len(run["val_accuracy"]) == 2 and run["seconds"] > 0
    assert out["data"] == {"train": 16, "validation": 16, "vocabulary": 30,
                           "positive validation share": pytest.approx(float(tiny_split().y_val.mean())),
                           "train texts filling maxlen": 1.0}
    assert out["summary"]["Adam"]["best val accuracy"]["mean"] == pytest.approx(
        np.mean([max(r["val_accuracy"]) for r in out["runs"]["Adam"]]))
    assert set(out["paired"]) == {"lazy Adam (author)", "Lookahead(Adam)"}
    assert all(1 <= e <= 2 for es in out["best epoch"].values() for e in es)
    # the same seed gives the same run: the comparison is paired
    again = text_comparison(tiny_split(), dict(settings, seeds=[1], optimizers=["Adam"]), Progress(quiet=True))
    np.testing.assert_allclose(again["runs"]["Adam"][0]["loss"], run["loss"], rtol=1e-6)


def test_recorded_text_experiments_compare_the_issue_optimizers():
    assert TEXT_COMPARISON == ("Adam", "lazy Adam (author)", "lazy Adam (standard)", "Lookahead(Adam)",
                               "Lookahead(lazy Adam)")
    assert set(TEXT_COMPARISON) <= set(text_optimizers(1e-3)) and LAZY_COMPARISON == TEXT_COMPARISON[:3]
    for key, names in (("lookahead/rotten_tomatoes", TEXT_COMPARISON), ("lookahead/chinese_reviews", LAZY_COMPARISON)):
        full = get(key).settings()
        assert full["optimizers"] == list(names) and len(full["seeds"]) >= 5 and full["encoder"] == "lstm"
    assert len(get("lookahead/digits").settings()["seeds"]) >= 3


def test_digits_experiment_on_tiny_settings():
    settings = dict(seeds=[0], n_train=64, learning_rate=3e-3, epochs=1, sweep_epochs=2, ks=[2], alphas=[0.5, 1.0])
    out = digits(settings, Progress(quiet=True))
    assert set(out["comparison"]) == set(digit_optimizers(3e-3))
    assert np.array(out["sweep"]).shape == (1, 2, 1, 2)   # (k, alpha, seed, epoch)
    summary = out["summary"]
    assert np.array(summary["sweep best val loss"]).shape == (1, 2)
    assert summary["sweep first-epoch val loss"][0][1] == pytest.approx(out["sweep"][0][1][0][0])
    # alpha = 1 puts the slow weights on the fast ones: Lookahead is Adam itself
    images, labels = load_mnist_5k(seed=0)
    adam = train_digits(keras.optimizers.Adam(3e-3), train=(images[:64], labels[:64]),
                        validation=(images[4000:], labels[4000:]), epochs=2, seed=0)
    np.testing.assert_allclose(out["sweep"][0][1][0], adam["val_loss"], rtol=1e-4)
