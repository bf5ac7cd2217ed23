"""Tests of blogcode.checks: one rule for bad arguments in every module."""

from __future__ import annotations

import math

import numpy as np
import pytest

from blogcode import checks


@pytest.mark.parametrize("value", [3, np.int64(3), np.uint8(3)])
def test_integer_accepts_python_and_numpy_ints(value):
    assert checks.integer(value, "n") == 3 and type(checks.integer(value, "n")) is int


@pytest.mark.parametrize("value", [3.0, "3", None, True, np.bool_(True), [3]])
def test_integer_rejects_other_types_with_type_error(value):
    with pytest.raises(TypeError, match="^n must be an int"):
        checks.integer(value, "n")


def test_integer_bounds_are_value_errors():
    assert checks.integer(0, "n", minimum=0, maximum=0) == 0
    with pytest.raises(ValueError, match="^n must be >= 1, got 0"):
        checks.positive_int(0, "n")
    with pytest.raises(ValueError, match="^n must be <= 5, got 6"):
        checks.integer(6, "n", maximum=5)


@pytest.mark.parametrize("value", [1, 1.5, np.float32(1.5), np.int32(2)])
def test_real_accepts_numbers(value):
    assert checks.real(value, "x") == float(value)


@pytest.mark.parametrize("value", ["1", None, True, 1j, [1.0]])
def test_real_rejects_other_types(value):
    with pytest.raises(TypeError, match="^x must be a real number"):
        checks.real(value, "x")


def test_real_rejects_nan_and_infinities_unless_allowed():
    with pytest.raises(ValueError, match="^x must not be NaN"):
        checks.real(math.nan, "x", allow_inf=True)
    with pytest.raises(ValueError, match="^x must be finite"):
        checks.real(math.inf, "x")
    assert checks.real(-math.inf, "x", allow_inf=True) == -math.inf


def test_real_bounds_open_and_closed():
    assert checks.real(0.0, "x", minimum=0.0) == 0.0
    with pytest.raises(ValueError, match="^x must be > 0"):
        checks.positive_real(0.0, "x")
    with pytest.raises(ValueError, match="^p must be <= 1"):
        checks.probability(1.5, "p")
    with pytest.raises(ValueError, match="^p must be < 1"):
        checks.probability(1.0, "p", exclusive=True)


def test_boolean_string_and_instance_of():
    assert checks.boolean(np.bool_(False), "flag") is False
    with pytest.raises(TypeError, match="^flag must be a bool"):
        checks.boolean(1, "flag")
    with pytest.raises(TypeError, match="^text must be a str"):
        checks.string(None, "text")
    with pytest.raises(ValueError, match="^text must not be empty"):
        checks.string("", "text", allow_empty=False)
    with pytest.raises(TypeError, match="^layer must be int or float"):
        checks.instance_of("x", "layer", (int, float))


def test_one_of_separates_wrong_type_from_wrong_value():
    assert checks.one_of("keep", "momentum", ("keep", "reset")) == "keep"
    with pytest.raises(ValueError, match="^momentum must be one of"):
        checks.one_of("drop", "momentum", ("keep", "reset"))
    with pytest.raises(TypeError, match="^momentum must be one of"):
        checks.one_of(None, "momentum", ("keep", "reset"))
    with pytest.raises(TypeError, match="^direction must be one of"):
        checks.one_of(True, "direction", (-1, 1))  # a bool is not the int 1 here


def test_nonempty_and_strings():
    assert checks.nonempty((1, 2), "items") == [1, 2]
    with pytest.raises(ValueError, match="^items must not be empty"):
        checks.nonempty([], "items")
    for bad in ("abc", None, 3):
        with pytest.raises(TypeError, match="^items must be a sequence"):
            checks.nonempty(bad, "items")
    assert checks.strings(("a", "b"), "texts") == ["a", "b"]
    with pytest.raises(TypeError, match=r"^texts\[1\] must be a str"):
        checks.strings(["a", None], "texts")


def test_function_samples_pair_and_axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    assert checks.function(len, "fn") is len
    with pytest.raises(TypeError, match="fn must be callable, got int"):
        checks.function(3, "fn")
    x, y = checks.samples_pair(([1, 2], [0, 1]), "train")
    assert (x, y) == ([1, 2], [0, 1])
    with pytest.raises(TypeError, match=r"train must be a pair \(x, y\)"):
        checks.samples_pair([1, 2, 3], "train")
    with pytest.raises(ValueError, match="validation: x has 2 samples, y has 1"):
        checks.samples_pair(([1, 2], [0]), "validation")
    fig, ax = plt.subplots()
    assert checks.axes(ax) is ax
    with pytest.raises(TypeError, match="ax_loss must be a matplotlib Axes, got Figure"):
        checks.axes(fig, "ax_loss")
    plt.close(fig)
