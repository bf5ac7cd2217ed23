"""Lookahead: k steps forward with any optimizer, then one step back.

Used by the chapter "Two optimizer wrappers: Lookahead and LazyOptimizer" (book/lookahead.md, article 6869;
the method is Zhang, Lucas, Hinton and Ba, 2019).

``Lookahead(optimizer, k=5, alpha=0.5)`` keeps a copy of the weights, the *slow*
weights, as optimizer variables. The wrapped optimizer moves the model's (*fast*)
weights as usual; after every k-th step

    slow <- slow + alpha * (fast - slow),    fast <- slow.

Keras 3 has no Lookahead (TF Addons, which had one, is end-of-life); the wrapper
follows the pattern of ``keras.optimizers.LossScaleOptimizer``: a real
``keras.optimizers.Optimizer`` that owns an inner optimizer, delegates the
learning rate and the iteration count to it, and serialises it in ``get_config``.

What happens to the inner optimizer's state (momentum, Adam's moments) at a
synchronisation is the ``momentum`` option:

* ``"keep"``: nothing; the state carries on (the paper's default, TF Addons').
* ``"reset"``: every per-variable slot is set to zero.
* ``"pullback"``: each slot is interpolated like the weights, between its value
  at the previous synchronisation and now: ``m <- m_sync + alpha (m - m_sync)``.

The model's variables may be ``keras.Variable`` or plain ``tf.Variable`` objects;
the inner optimizer's slots are found by identity (``build_recording_slots``), not
by name, since plain TensorFlow variables have no Keras path.
"""

from __future__ import annotations

import contextlib

import keras
import tensorflow as tf

from blogcode import checks
from blogcode.optimizers.lazy import build_recording_slots, slot_variables
from blogcode.optimizers.wrapper import (DelegatesToInnerOptimizer, Untracked, check_inner_optimizer, read_value,
                                         reject_base_arguments)

__all__ = ["Lookahead", "SlowWeightsEvaluation", "MOMENTUM_POLICIES"]

MOMENTUM_POLICIES = ("keep", "reset", "pullback")


@keras.saving.register_keras_serializable(package="blogcode")
class Lookahead(DelegatesToInnerOptimizer, keras.optimizers.Optimizer):
    """Wrap ``optimizer`` with Lookahead's slow weights.

    Args:
        optimizer: any Keras 3 optimizer.
        k: synchronise every ``k`` steps (calls of ``apply``), an int ``>= 1``.
        alpha: slow-weights step size, ``0 < alpha <= 1`` (1 means plain ``optimizer``).
        momentum: inner-state policy at a synchronisation: ``"keep"``,
            ``"reset"`` or ``"pullback"`` (see the module docstring).
    """

    def __init__(self, optimizer, k=5, alpha=0.5, momentum="keep", name=None, **kwargs):
        check_inner_optimizer(optimizer)
        k = checks.positive_int(k, "k")
        alpha = checks.real(alpha, "alpha", minimum=0.0, exclusive_minimum=True, maximum=1.0)
        momentum = checks.one_of(momentum, "momentum", MOMENTUM_POLICIES)
        if name is not None:
            checks.string(name, "name", allow_empty=False)
        reject_base_arguments("Lookahead", kwargs)
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = optimizer
        self.k = k
        self.alpha = alpha
        self.momentum = momentum

    def build(self, var_list):
        var_list = list(var_list)
        build_recording_slots(self.inner_optimizer, var_list)
        # The slow weights get their values at the first step (see apply), so that
        # building inside a tf.function trace and set_weights after build both work.
        self._slow_weights = [self.add_variable_from_reference(v, name="slow") for v in var_list]
        slots = [slot_variables(self.inner_optimizer, v) for v in var_list] if self.momentum != "keep" else []
        self._slots = Untracked([s for group in slots for s in group])
        if self.momentum == "pullback":
            self._slots_at_sync = [self.add_variable_from_reference(s, name="at_sync") for s in self._slots.items]
        super().build(var_list)

    @property
    def slow_weights(self) -> list:
        """The slow weights, in the order of the model's trainable variables."""
        return list(self._slow_weights)

    def _start_slow_weights(self):
        for fast, slow in zip(self._trainable_variables, self._slow_weights):
            slow.assign(read_value(fast))

    def synchronise(self):
        """The synchronisation after every ``k``-th step: the slow weights move
        ``alpha`` of the way to the fast ones, the fast weights restart from them,
        and the inner optimizer's slots follow the ``momentum`` policy."""
        for fast, slow in zip(self._trainable_variables, self._slow_weights):
            slow.assign_add(self.alpha * (read_value(fast) - read_value(slow)))
            fast.assign(read_value(slow))
        if self.momentum == "reset":
            for slot in self._slots.items:
                slot.assign(tf.zeros(slot.shape, slot.dtype))
        elif self.momentum == "pullback":
            for slot, at_sync in zip(self._slots.items, self._slots_at_sync):
                at_sync.assign_add(self.alpha * (read_value(slot) - read_value(at_sync)))
                slot.assign(read_value(at_sync))

    def apply(self, grads, trainable_variables=None):
        trainable_variables = self._variables_to_update(trainable_variables)
        # self._iterations counts our own steps (the inner optimizer's may differ,
        # e.g. with gradient accumulation).
        tf.cond(tf.equal(self._iterations, 0), self._start_slow_weights, lambda: None)
        self.inner_optimizer.apply(list(grads), trainable_variables)
        self._iterations.assign_add(1)
        tf.cond(tf.equal(self._iterations % self.k, 0), self.synchronise, lambda: None)

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        raise ValueError("Lookahead works with the TensorFlow backend's stateful apply only")

    @contextlib.contextmanager
    def slow_weights_swapped_in(self):
        """Within the block the model holds the slow weights; afterwards the fast
        weights are put back. Before the first step both are the same."""
        if not self.built:
            raise ValueError("the optimizer is not built: there are no slow weights yet")
        started = int(self._iterations.numpy()) > 0
        fast_values = [tf.identity(read_value(v)) for v in self._trainable_variables]
        try:
            if started:
                for fast, slow in zip(self._trainable_variables, self._slow_weights):
                    fast.assign(read_value(slow))
            yield
        finally:
            for fast, value in zip(self._trainable_variables, fast_values):
                fast.assign(value)

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self):
        return {
            "name": self.name,
            "optimizer": keras.optimizers.serialize(self.inner_optimizer),
            "k": self.k,
            "alpha": self.alpha,
            "momentum": self.momentum,
        }


def _find_lookahead(optimizer):
    """The Lookahead inside ``optimizer`` (itself, or wrapped by LazyOptimizer etc.)."""
    while optimizer is not None:
        if isinstance(optimizer, Lookahead):
            return optimizer
        optimizer = getattr(optimizer, "inner_optimizer", None)
    return None


class SlowWeightsEvaluation(keras.callbacks.Callback):
    """Evaluate (validation in ``fit``, ``evaluate``, ``predict``) on Lookahead's
    slow weights; training continues from the fast weights."""

    def __init__(self):
        super().__init__()
        self._swap = None

    def _enter(self):
        lookahead = _find_lookahead(self.model.optimizer)
        if lookahead is None:
            raise ValueError("SlowWeightsEvaluation needs a model compiled with a Lookahead optimizer")
        if lookahead.built and self._swap is None:
            self._swap = lookahead.slow_weights_swapped_in()
            self._swap.__enter__()

    def _exit(self):
        if self._swap is not None:
            swap, self._swap = self._swap, None
            swap.__exit__(None, None, None)

    def on_test_begin(self, logs=None):
        self._enter()

    def on_test_end(self, logs=None):
        self._exit()

    def on_predict_begin(self, logs=None):
        self._enter()

    def on_predict_end(self, logs=None):
        self._exit()
