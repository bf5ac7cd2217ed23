"""Tests of blogcode.masks.experiments (chapter "Layers within layers, and masks")."""

import numpy as np
import pytest

from blogcode.masks.experiments import compare_alignment, repeats_later_task, train_taggers


def test_labels_say_whether_the_token_occurs_later():
    ids, labels, mask = repeats_later_task(50, 9, 4, seed=0)
    assert ids.shape == labels.shape == mask.shape == (50, 9)
    for row, lab, m in zip(ids, labels, mask):
        n = int(m.sum())
        assert n >= 2 and m[:n].all() and not m[n:].any()      # right-padded
        assert np.all(row[:n] > 0) and np.all(row[n:] == 0)
        expected = [float(row[t] in row[t + 1:n]) for t in range(n)]
        assert lab[:n].tolist() == expected and not lab[n:].any()


def test_the_data_depends_only_on_the_seed():
    a, b = repeats_later_task(10, 6, 5, seed=2), repeats_later_task(10, 6, 5, seed=2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_training_returns_one_accuracy_per_copy():
    train, test = repeats_later_task(32, 6, 4, seed=0), repeats_later_task(16, 6, 4, seed=1)
    for variant in ("flip", "aligned"):
        accs = train_taggers(variant, train, test, copies=2, seed=0, epochs=1)
        assert len(accs) == 2 and all(0.0 <= a <= 1.0 for a in accs)


@pytest.mark.parametrize("call, error, name", [
    (lambda: repeats_later_task(0, 5, 4, 0), ValueError, "n"),
    (lambda: repeats_later_task(5, 1, 4, 0), ValueError, "max_len"),
    (lambda: repeats_later_task(5, 5, 2, 0), ValueError, "vocab"),
    (lambda: repeats_later_task(5, 5, 4, 1.5), TypeError, "seed"),
    (lambda: train_taggers("reversed", None, None, 1, 0, 1), ValueError, "variant"),
    (lambda: compare_alignment(0, 8, 8, 5, 4, 1), ValueError, "copies"),
])
def test_bad_input_names_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()


def test_a_split_must_be_ids_labels_mask():
    with pytest.raises(TypeError, match="train"):
        train_taggers("flip", None, repeats_later_task(4, 5, 4, 0), 1, 0, 1)
    with pytest.raises(ValueError, match="test"):
        train_taggers("flip", repeats_later_task(4, 5, 4, 0), (np.zeros((2, 3)),) * 2 + (np.zeros((2, 4)),), 1, 0, 1)
