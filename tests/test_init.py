"""Tests of the package root: fast mode, seeds, device report."""

import random

import numpy as np
import pytest

import blogcode
from blogcode import device_report, fast_or_full, read_full_flag, set_seed, settings_report


@pytest.mark.parametrize("raw, expected", [("1", True), ("true", True), ("YES", True), ("", False), ("0", False), ("off", False)])
def test_full_flag_parsing(raw, expected):
    assert read_full_flag({"BLOGCODE_FULL": raw}) is expected
    assert read_full_flag({}) is False          # the default is the published book


def test_full_flag_rejects_garbage_and_the_retired_switch():
    with pytest.raises(ValueError, match="BLOGCODE_FULL"):
        read_full_flag({"BLOGCODE_FULL": "maybe"})
    with pytest.raises(ValueError, match="BLOGCODE_FAST is no longer read.*BLOGCODE_FULL=1"):
        read_full_flag({"BLOGCODE_FAST": "0"})


def test_settings_report_says_which_settings(monkeypatch):
    monkeypatch.setattr(blogcode, "FAST", True)
    assert settings_report().startswith("published settings") and "BLOGCODE_FULL=1" in settings_report()
    monkeypatch.setattr(blogcode, "FAST", False)
    assert settings_report().startswith("full settings")


def test_fast_or_full_follows_flag(monkeypatch):
    monkeypatch.setattr(blogcode, "FAST", True)
    assert fast_or_full(1, 2) == 1
    monkeypatch.setattr(blogcode, "FAST", False)
    assert fast_or_full(1, 2) == 2


def test_set_seed_repeats_python_numpy_and_tensorflow():
    import tensorflow as tf

    set_seed(3)
    first = (random.random(), np.random.rand(), float(tf.random.uniform(())))
    set_seed(3)
    assert first == (random.random(), np.random.rand(), float(tf.random.uniform(())))
    with pytest.raises(TypeError, match="seed"):
        set_seed(1.5)
    with pytest.raises(ValueError, match="seed"):
        set_seed(-1)


def test_device_report_names_the_device():
    line = device_report()
    assert line.startswith("TensorFlow 2.") and (line.endswith(" on CPU") or " on GPU:0" in line)
    assert "on CPU" in device_report(uses_tensorflow=False)


def test_positive_int_names_the_argument():
    from blogcode.checks import positive_int

    assert positive_int(3, "n") == 3 and positive_int(np.int64(2), "n") == 2
    for bad, error in [(0, ValueError), (-1, ValueError), (1.0, TypeError), (True, TypeError), ("2", TypeError)]:
        with pytest.raises(error, match="width"):
            positive_int(bad, "width")
