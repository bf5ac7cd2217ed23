"""Tests of blogcode.attention.experiments (the timing and the long-range marker task)."""

import numpy as np
import pytest

from blogcode.attention.efficient import atrous_attention
from blogcode.attention.experiments import marker_model, marker_task, time_forms, train_marker_model


def test_time_forms_returns_one_time_per_length():
    times = time_forms({"atrous": lambda q, k, v, n: atrous_attention(q, k, v, 2)}, [8, 12], depth=4, repeat=1)
    assert len(times["atrous"]) == 2 and min(times["atrous"]) > 0


@pytest.mark.parametrize("call, error, arg", [
    (lambda: time_forms(None, [8]), TypeError, "forms"),
    (lambda: time_forms({}, [8]), ValueError, "forms"),
    (lambda: time_forms({"x": 3}, [8]), ValueError, "forms"),
    (lambda: time_forms({"x": lambda q, k, v, n: q}, []), ValueError, "lengths"),
    (lambda: time_forms({"x": lambda q, k, v, n: q}, [8.0]), TypeError, "lengths"),
    (lambda: time_forms({"x": lambda q, k, v, n: q}, [8], repeat=0), ValueError, "repeat"),
    (lambda: time_forms({"x": lambda q, k, v, n: q}, [8], depth=True), TypeError, "depth"),
    (lambda: time_forms({"x": lambda q, k, v, n: q}, [8], seed=None), TypeError, "seed"),
])
def test_time_forms_rejects_bad_input(call, error, arg):
    with pytest.raises(error, match=arg):
        call()


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
    (lambda: train_marker_model("local", None, marker_task(8, 4), 2, 0.01), TypeError, "train"),
    (lambda: train_marker_model("local", marker_task(8, 4), (np.zeros((2, 3)), np.zeros((2, 4))), 2, 0.01),
     ValueError, "test"),
    (lambda: train_marker_model("local", marker_task(8, 4), marker_task(8, 4), 2, 0.0), ValueError, "learning_rate"),
    (lambda: train_marker_model("local", marker_task(8, 4), marker_task(8, 4), 2, 0.01, epochs=0), ValueError,
     "epochs"),
    (lambda: train_marker_model("local", marker_task(8, 4), marker_task(8, 4), 2, 0.01, seed=None), TypeError,
     "seed"),
    (lambda: train_marker_model("strided", marker_task(8, 4), marker_task(8, 4), 2, 0.01), ValueError, "kind"),
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


def test_train_marker_model_is_seeded_and_measures_accuracy():
    train, test = marker_task(12, 40, seed=0), marker_task(12, 20, seed=1)
    first = train_marker_model("sparse", train, test, 4, learning_rate=1e-2, epochs=2, batch_size=20, seed=3)
    again = train_marker_model("sparse", train, test, 4, learning_rate=1e-2, epochs=2, batch_size=20, seed=3)
    assert len(first["train_accuracy"]) == 2 and 0.0 <= first["test_accuracy"] <= 1.0
    # Same seed, same model: equal up to any non-determinism of threaded CPU kernels.
    assert first["test_accuracy"] == pytest.approx(again["test_accuracy"], abs=0.05)
    assert first["train_accuracy"] == pytest.approx(again["train_accuracy"], abs=0.05)


def test_marker_recorded_run_compares_both_models_per_seed():
    from blogcode.attention.experiments import marker

    settings = dict(seeds=[0, 1], n=16, k=2, train_size=60, test_size=40, learning_rate=1e-2, epochs=1,
                    batch_size=20)
    out = marker(settings, lambda items, desc=None: items)
    assert [r["seed"] for r in out["per_seed"]] == [0, 1]
    for r in out["per_seed"]:
        for kind in ("local", "sparse"):
            assert 0.0 <= r[kind]["test_accuracy"] <= 1.0 and len(r[kind]["train_accuracy"]) == 1
    leads = [r["sparse"]["test_accuracy"] - r["local"]["test_accuracy"] for r in out["per_seed"]]
    assert out["summary"]["sparse lead"]["mean"] == pytest.approx(np.mean(leads))
    assert out["summary"]["local"]["min"] == min(r["local"]["test_accuracy"] for r in out["per_seed"])
