"""Tests of blogcode.masks.experiments (chapter "Layers within layers, and masks")."""

import numpy as np
import pytest

from blogcode.masks.experiments import (alignment_errors, compare_alignment, padded_inputs, repeats_later_task,
                                        train_taggers)


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
    (lambda: padded_inputs(1, 5, 2), ValueError, "batch"),
    (lambda: padded_inputs(3, 5.0, 2), TypeError, "max_len"),
    (lambda: padded_inputs(3, 5, 0), ValueError, "dim"),
    (lambda: padded_inputs(3, 5, 2, seed=None), TypeError, "seed"),
    (lambda: alignment_errors(np.ones((2, 3, 2)), [3, 1], units=0), ValueError, "units"),
    (lambda: alignment_errors(np.ones((2, 3, 2)), [3, 1], seed=-1), ValueError, "seed"),
])
def test_bad_input_names_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()


def test_a_split_must_be_ids_labels_mask():
    with pytest.raises(TypeError, match="train"):
        train_taggers("flip", None, repeats_later_task(4, 5, 4, 0), 1, 0, 1)
    with pytest.raises(ValueError, match="test"):
        train_taggers("flip", repeats_later_task(4, 5, 4, 0), (np.zeros((2, 3)),) * 2 + (np.zeros((2, 4)),), 1, 0, 1)


def test_padded_inputs_and_alignment_errors():
    inputs, lengths = padded_inputs(5, 9, 3, seed=7)
    assert inputs.shape == (5, 9, 3) and inputs.dtype == np.float32
    assert lengths[:2].tolist() == [9, 1] and ((1 <= lengths) & (lengths <= 9)).all()
    assert np.abs(inputs[1, 1:]).min() > 0                      # padding vectors are not zero
    again, _ = padded_inputs(5, 9, 3, seed=7)
    np.testing.assert_array_equal(inputs, again)
    results = alignment_errors(inputs, lengths, units=4)
    assert list(results) == [(name, seq) for name in ("LSTM", "GRU", "SimpleRNN") for seq in (True, False)]
    for key, errs in results.items():
        assert errs["AlignedBidirectional"] < 1e-5 and errs["keras Bidirectional + mask"] < 1e-5, key
        assert errs["flip, no mask"] > 1e-2, key
