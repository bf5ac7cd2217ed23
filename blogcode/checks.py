"""Argument checks shared by every module of ``blogcode`` (all chapters).

One rule, the same everywhere: bad input fails early with a message that names
the argument. A value of the wrong *type* raises ``TypeError``; a value of the
right type that is not allowed (out of range, NaN, empty, unknown option)
raises ``ValueError``. Each function returns the checked value in its plain
Python form, so a caller writes ``steps = checks.positive_int(steps, "steps")``.

* Integers: ``bool`` is not an integer here, and neither is ``3.0``: a count
  given as a float is a mistake to report, not a number to truncate.
* Reals: ints, floats and NumPy scalars are accepted (``bool``, strings and
  ``None`` are not); NaN and infinities are rejected unless ``allow_inf``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = [
    "integer",
    "positive_int",
    "real",
    "positive_real",
    "probability",
    "boolean",
    "string",
    "one_of",
    "instance_of",
    "nonempty",
    "strings",
    "function",
    "samples_pair",
    "axes",
]


def _type_name(value) -> str:
    return type(value).__name__


def integer(value, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as an ``int`` in ``[minimum, maximum]`` (either bound optional)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {_type_name(value)} {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def positive_int(value, name: str) -> int:
    """``value`` as an int >= 1."""
    return integer(value, name, minimum=1)


def real(value, name: str, *, minimum: float | None = None, maximum: float | None = None,
         exclusive_minimum: bool = False, exclusive_maximum: bool = False,
         allow_inf: bool = False) -> float:
    """``value`` as a finite ``float`` within the given bounds.

    ``exclusive_minimum``/``exclusive_maximum`` make the bounds strict;
    ``allow_inf`` admits ``+-inf`` (never NaN) when the bounds do.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_type_name(value)} {value!r}")
    value = float(value)
    if math.isnan(value):
        raise ValueError(f"{name} must not be NaN")
    if math.isinf(value) and not allow_inf:
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None:
        if value < minimum or (exclusive_minimum and value == minimum):
            relation = ">" if exclusive_minimum else ">="
            raise ValueError(f"{name} must be {relation} {minimum}, got {value}")
    if maximum is not None:
        if value > maximum or (exclusive_maximum and value == maximum):
            relation = "<" if exclusive_maximum else "<="
            raise ValueError(f"{name} must be {relation} {maximum}, got {value}")
    return value


def positive_real(value, name: str) -> float:
    """``value`` as a finite float > 0."""
    return real(value, name, minimum=0.0, exclusive_minimum=True)


def probability(value, name: str, *, exclusive: bool = False) -> float:
    """``value`` as a float in ``[0, 1]`` (``(0, 1)`` with ``exclusive=True``)."""
    return real(value, name, minimum=0.0, maximum=1.0,
                exclusive_minimum=exclusive, exclusive_maximum=exclusive)


def boolean(value, name: str) -> bool:
    """``value`` as a ``bool`` (Python or NumPy); ``0``/``1`` are not booleans."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {_type_name(value)} {value!r}")
    return bool(value)


def string(value, name: str, *, allow_empty: bool = True) -> str:
    """``value`` as a ``str``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {_type_name(value)} {value!r}")
    if not allow_empty and not value:
        raise ValueError(f"{name} must not be empty")
    return value


def one_of(value, name: str, choices: Iterable):
    """``value`` if it equals one of ``choices``; ``TypeError`` if its type matches
    no choice's type (``None`` among strings, say), ``ValueError`` otherwise."""
    choices = tuple(choices)
    same_type = [c for c in choices if isinstance(value, type(c))
                 and (isinstance(c, bool) or not isinstance(value, bool))]
    if not same_type:
        raise TypeError(f"{name} must be one of {choices!r}, got {_type_name(value)} {value!r}")
    if any(value == c for c in same_type):
        return value
    raise ValueError(f"{name} must be one of {choices!r}, got {value!r}")


def instance_of(value, name: str, types, description: str | None = None):
    """``value`` if it is an instance of ``types`` (a type or a tuple of types)."""
    if not isinstance(value, types):
        if description is None:
            types_tuple = types if isinstance(types, tuple) else (types,)
            description = " or ".join(t.__name__ for t in types_tuple)
        raise TypeError(f"{name} must be {description}, got {_type_name(value)}")
    return value


def nonempty(value, name: str) -> Sequence:
    """``value`` as a list, which must not be empty; ``TypeError`` for a string,
    ``None`` or anything that is not iterable."""
    if value is None or isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a sequence, got {_type_name(value)}")
    items = list(value)
    if not items:
        raise ValueError(f"{name} must not be empty")
    return items


def strings(value, name: str) -> list[str]:
    """``value`` as a non-empty list of ``str`` (one string is not a list of them);
    a wrong item is named by its index, ``name[i]``."""
    items = nonempty(value, name)
    for i, item in enumerate(items):
        string(item, f"{name}[{i}]")
    return items


def function(value, name: str):
    """``value`` if it can be called, else a ``TypeError`` naming ``name``."""
    if not callable(value):
        raise TypeError(f"{name} must be callable, got {_type_name(value)}")
    return value


def samples_pair(value, name: str) -> tuple:
    """``value`` as ``(x, y)``: a pair (tuple or list) whose two parts hold the same
    number of samples (a training or validation set)."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{name} must be a pair (x, y), got {_type_name(value)}")
    x, y = value
    if len(x) != len(y):
        raise ValueError(f"{name}: x has {len(x)} samples, y has {len(y)}")
    return x, y


def axes(value, name: str = "ax"):
    """``value`` if it is a matplotlib ``Axes`` (checked by what it can do, so this
    module needs no matplotlib), else a ``TypeError`` naming ``name``."""
    if not hasattr(value, "add_patch") or not hasattr(value, "annotate"):
        raise TypeError(f"{name} must be a matplotlib Axes, got {_type_name(value)}")
    return value
