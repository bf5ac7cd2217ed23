"""Shared, tested code for *Scientific Spaces, Executable*.

Two layers: the shared modules here (and ``optimizers/``, ``runs/``) and one
package per chapter (``blogcode.<chapter>``, named after ``book/<chapter>.md``);
each module's docstring names the chapter that uses it. This package root holds
what every chapter's first cell needs:

* ``FULL`` and ``FAST`` (``FAST == not FULL``) -- which settings the chapters use,
  read once from the one switch, the environment variable ``BLOGCODE_FULL``.
  By default (unset) a chapter is the published book: small live runs, with the
  full-settings results loaded from their recordings in ``results/``
  (``blogcode.runs``); that is what the build and CI run. ``BLOGCODE_FULL=1``
  recomputes everything with the full settings (meant for a GPU runtime).
* ``fast_or_full(fast, full)`` -- pick a setting according to ``FULL``.
* ``settings_report()`` -- the line every chapter prints to say which.
* ``set_seed(seed)`` -- seed Python, NumPy and (if imported) TensorFlow/Keras.
* ``device_report()`` -- the one-line "where did this run" string that every
  chapter prints first.

TensorFlow is imported lazily, so the purely numerical chapters (ellipse,
rope) start quickly and never pay for it.
"""

from __future__ import annotations

import os
import random
import sys

import numpy as np

__all__ = ["FULL", "FAST", "FULL_ENV_VAR", "read_full_flag", "fast_or_full", "settings_report",
           "set_seed", "device_report"]

FULL_ENV_VAR = "BLOGCODE_FULL"
_RETIRED_ENV_VAR = "BLOGCODE_FAST"
_TRUE_WORDS = {"1", "true", "yes", "on"}
_FALSE_WORDS = {"", "0", "false", "no", "off"}


def read_full_flag(environ=os.environ) -> bool:
    """Read ``BLOGCODE_FULL``; an unrecognised value is an error, not a guess.

    The earlier switch ``BLOGCODE_FAST`` (fast mode on request) is an error too,
    since the default is now the fast, published book: silently ignoring a
    ``BLOGCODE_FAST=0`` that asked for full settings would be worse.
    """
    if _RETIRED_ENV_VAR in environ:
        raise ValueError(f"{_RETIRED_ENV_VAR} is no longer read: the default is the published book (small "
                         f"live runs, recorded full runs); set {FULL_ENV_VAR}=1 to recompute with full settings")
    raw = environ.get(FULL_ENV_VAR, "").strip().lower()
    if raw in _TRUE_WORDS:
        return True
    if raw in _FALSE_WORDS:
        return False
    raise ValueError(f"{FULL_ENV_VAR}={raw!r} is not understood; use 1/true/yes or 0/false/no")


FULL: bool = read_full_flag()
FAST: bool = not FULL


def fast_or_full(fast, full):
    """Return ``fast`` for the published book (the default) and ``full`` with ``BLOGCODE_FULL=1``."""
    return fast if FAST else full


def settings_report() -> str:
    """The line every chapter prints after its device line: which settings it runs."""
    if FAST:
        return ("published settings: small live runs; full-settings results are loaded from "
                "their recordings (set BLOGCODE_FULL=1 to recompute them)")
    return "full settings (BLOGCODE_FULL=1): every run recomputed"


def set_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and, when TensorFlow
    or Keras has been imported, their generators too.

    Chapters still prefer local generators (``np.random.default_rng(seed)``)
    for small demos; this call makes layer initialisers and shuffles
    repeatable.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    if "keras" in sys.modules or "tensorflow" in sys.modules:
        import keras

        # Seeds Python, NumPy and the backend (TensorFlow) in one call.
        keras.utils.set_random_seed(seed)


def device_report(uses_tensorflow: bool = True) -> str:
    """One line saying what this chapter runs on, e.g.
    ``"TensorFlow 2.21.0 (Keras 3.15.1) on GPU:0 (NVIDIA H100)"`` or
    ``"TensorFlow 2.21.0 (Keras 3.15.1) on CPU"``; with ``uses_tensorflow=False``,
    ``"NumPy 2.x / SciPy 1.x on CPU"``.
    """
    if not uses_tensorflow:
        import scipy

        return f"NumPy {np.__version__} / SciPy {scipy.__version__} on CPU (no TensorFlow needed)"
    import keras
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    prefix = f"TensorFlow {tf.__version__} (Keras {keras.__version__}) on"
    if not gpus:
        return f"{prefix} CPU"
    details = tf.config.experimental.get_device_details(gpus[0])
    name = details.get("device_name", "")
    where = f"GPU:0 ({name})" if name else "GPU:0"
    if len(gpus) > 1:
        where += f" and {len(gpus) - 1} more GPU(s)"
    return f"{prefix} {where}"
