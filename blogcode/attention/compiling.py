"""How the efficient attention forms are compiled and found again.

Chapter: "Born to save: from standard attention to sparse attention"
(book/attention.md, article 6853). ``compiled`` wraps each form's core
(``blogcode.attention.efficient``) in one cached ``tf.function``, compiled
by XLA unless told otherwise, and keeps a table of its graphs for eager
calls; TensorFlow's warning about frequent retracing is silenced for these
functions only.
"""

from __future__ import annotations

import functools
import logging

import tensorflow as tf

from blogcode import checks

__all__ = ["compiled", "MAX_GRAPHS"]

_TRACED = set()  # names of the functions ``compiled`` wraps


class _QuietRetracing(logging.Filter):
    """Drops TensorFlow's "frequent retracing" warning for the functions
    ``compiled`` wraps only: one graph per static setting (rate, causal, mask
    or none) is the design."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not ("retracing" in message and any(f"function {name} " in message for name in _TRACED))


# Added once: toggling the logger's level around every call cost more than a
# millisecond per eager call (each ``setLevel`` clears every logger's cache).
tf.get_logger().addFilter(_QuietRetracing())


MAX_GRAPHS = 64  # graphs kept per form: one per input shape and setting seen


def compiled(core=None, *, xla: bool = True):
    """Run ``core`` as one cached ``tf.function`` graph, called eagerly or
    inside ``tf.function`` or ``model.fit`` alike, compiled by XLA when
    ``xla``. Eagerly, every op of the block computation would be dispatched
    and allocated on its own, which costs as much as the arithmetic here; in
    a plain graph the passes over the scores run one by one, and XLA fuses
    them. XLA compiles once per input shape (about half a second on a 2-core
    CPU, then cached). ``reduce_retracing`` makes a second input shape trace
    a shape-generic graph, not one per length. Gradients
    (``tf.GradientTape``) go through either way."""
    xla = checks.boolean(xla, "xla")
    if core is None:
        return functools.partial(compiled, xla=xla)
    if not callable(core):
        raise TypeError(f"core must be a function, got {type(core).__name__}")
    function = tf.function(core, reduce_retracing=True, autograph=False, jit_compile=xla)
    _TRACED.add(core.__name__)
    graphs = {}

    @functools.wraps(core)
    def run(*args):
        if not tf.executing_eagerly():
            return function(*args)
        # Matching the arguments to a graph is most of a ``tf.function`` call's
        # overhead (a third of a millisecond, a tenth of the atrous form's time at
        # n = 4096): look the graph up by shapes, dtypes and settings instead.
        key = tuple((tuple(a.shape), a.dtype) if isinstance(a, tf.Tensor) else a for a in args)
        try:
            graph = graphs.get(key)
        except TypeError:  # an argument that is no key (a variable, an array): tf.function's own matching
            return function(*args)
        if graph is None:
            if len(graphs) >= MAX_GRAPHS:
                graphs.clear()
            graph = graphs[key] = function.get_concrete_function(*args)
        return graph(*args)
    run.compiled, run.graphs = function, graphs  # for tests: how often it traced, what it keeps
    return run
