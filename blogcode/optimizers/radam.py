"""RAdam, the rectified Adam of Liu et al. (2019), as a Keras 3 optimizer.

Chapter: "DGCNN, a convolutional reading-comprehension model" (article 6906), whose
released code trained with RAdam. Keras 3 ships no RAdam, so this module writes one.

Update rule, for step ``t = 1, 2, ...``::

    m_t = beta_1 m_{t-1} + (1 - beta_1) g_t          first moment
    v_t = beta_2 v_{t-1} + (1 - beta_2) g_t^2        second moment
    m_hat = m_t / (1 - beta_1^t)
    rho_inf = 2 / (1 - beta_2) - 1
    rho_t = rho_inf - 2 t beta_2^t / (1 - beta_2^t)
    if rho_t > rectification_threshold:              the adaptive step's variance is tractable
        l_t = sqrt(1 - beta_2^t) / (sqrt(v_t) + epsilon)
        r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
        theta_t = theta_{t-1} - lr r_t m_hat l_t
    elif degenerated_to_sgd:                         early steps: SGD with momentum
        theta_t = theta_{t-1} - lr m_hat
    else:                                            early steps: no parameter update

Where the published versions differ:

* The threshold. Algorithm 2 of the paper rectifies once ``rho_t > 4`` (where
  ``r_t`` first exists). The authors' code (LiyuanLucasLiu/RAdam, ``radam.py``) is
  "more conservative" and tests ``rho_t >= 5``; ``torch.optim.RAdam`` tests
  ``rho_t > 5``; TF Addons' ``RectifiedAdam`` ``>= 5``. The two tests differ only if
  ``rho_t`` lands exactly on 5, and it does not: ``rho_1 = 1`` and ``rho_t < t`` after
  that, so with ``beta_2 >= 0.9`` both first rectify at step 6. The default
  ``rectification_threshold=5.0`` reproduces the code; ``4.0`` gives the paper's rule
  (first rectified step: 5).
* The early steps. torch, the paper, TF Addons and the authors' code until 2021 take
  the momentum step (``degenerated_to_sgd=True``, the default here); the authors'
  current code defaults to ``degenerated_to_sgd=False`` and leaves the parameters
  where they are until the first rectified step.
* ``epsilon`` is Keras' Adam default, ``1e-7``; torch and the authors use ``1e-8``.

The update follows the variable's dtype: a float64 variable is updated in float64
with the betas converted directly from Python floats. (The learning rate is a
float32 variable of Keras' base optimizer, so it is the one rounded value.)
"""

from __future__ import annotations

import numbers

import keras
import tensorflow as tf
from keras import ops

from blogcode import checks

__all__ = ["RAdam", "PAPER_THRESHOLD", "CODE_THRESHOLD"]

PAPER_THRESHOLD = 4.0  # Algorithm 2 of the paper: rectify while rho_t > 4
CODE_THRESHOLD = 5.0   # the authors' code (rho_t >= 5) and torch.optim.RAdam (rho_t > 5)


def _checked_learning_rate(learning_rate):
    # A schedule or a callable is Keras' business; a number must be a finite rate >= 0.
    if isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule) or callable(learning_rate):
        return learning_rate
    if isinstance(learning_rate, numbers.Real) and not isinstance(learning_rate, bool):
        return checks.real(learning_rate, "learning_rate", minimum=0.0)
    raise TypeError(
        "learning_rate must be a float, a LearningRateSchedule or a callable, "
        f"got {type(learning_rate).__name__}"
    )


@keras.saving.register_keras_serializable(package="blogcode")
class RAdam(keras.optimizers.Optimizer):
    """Rectified Adam. Arguments as :class:`keras.optimizers.Adam`, plus

    Args:
        rectification_threshold: the adaptive (rectified) step is taken once
            ``rho_t`` exceeds it; ``5.0`` (default) as in the authors' code and
            ``torch.optim.RAdam``, ``4.0`` as in the paper. At least 4, where the
            rectifier ``r_t`` starts to exist.
        degenerated_to_sgd: before that, take a step of SGD with momentum
            (``True``, torch and the paper) or none (``False``, the authors'
            current default).

    A sparse gradient (``tf.IndexedSlices``) is made dense first, which adds the
    slices of repeated indices: the moments decay on every row anyway, and the
    step equals the step on the summed (dense) gradient.
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        rectification_threshold: float = CODE_THRESHOLD,
        degenerated_to_sgd: bool = True,
        name: str = "radam",
        **kwargs,
    ):
        learning_rate = _checked_learning_rate(learning_rate)
        beta_1 = checks.real(beta_1, "beta_1", minimum=0.0, maximum=1.0, exclusive_maximum=True)
        beta_2 = checks.real(beta_2, "beta_2", minimum=0.0, maximum=1.0, exclusive_maximum=True)
        epsilon = checks.real(epsilon, "epsilon", minimum=0.0)
        # Below 4 the rectifier r_t would take the root of a negative number.
        rectification_threshold = checks.real(rectification_threshold, "rectification_threshold",
                                              minimum=PAPER_THRESHOLD)
        degenerated_to_sgd = checks.boolean(degenerated_to_sgd, "degenerated_to_sgd")
        name = checks.string(name, "name", allow_empty=False)
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.rectification_threshold = rectification_threshold
        self.degenerated_to_sgd = degenerated_to_sgd

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        if isinstance(gradient, tf.IndexedSlices):
            # tf.convert_to_tensor adds the slices of a repeated index (Keras' Adam
            # would square each slice into v instead); the update is dense anyway.
            gradient = tf.convert_to_tensor(gradient)
        gradient = ops.cast(gradient, dtype)
        lr = ops.cast(learning_rate, dtype)
        t = ops.cast(self.iterations + 1, dtype)
        # convert_to_tensor with the dtype, not cast: casting a Python float goes
        # through float32 and would round beta_1 = 0.9 for a float64 variable.
        beta_1 = ops.convert_to_tensor(self.beta_1, dtype)
        beta_2 = ops.convert_to_tensor(self.beta_2, dtype)
        beta_1_power = ops.power(beta_1, t)
        beta_2_power = ops.power(beta_2, t)

        m = self._momentums[self._get_variable_index(variable)]
        v = self._velocities[self._get_variable_index(variable)]
        self.assign(m, beta_1 * m + (1 - beta_1) * gradient)
        self.assign(v, beta_2 * v + (1 - beta_2) * ops.square(gradient))
        m_hat = m / (1 - beta_1_power)
        early = m_hat if self.degenerated_to_sgd else ops.zeros_like(m_hat)

        if 2.0 / (1.0 - self.beta_2) - 1.0 <= self.rectification_threshold:
            # rho_t < rho_inf: this beta_2 never reaches the rectified regime.
            self.assign_sub(variable, lr * early)
            return
        # rho_inf from the same beta_2 as beta_2_power: rho_t is a difference of two
        # numbers near rho_inf, and mixing an exact rho_inf with a float32 power would
        # shift it (by 0.026 for beta_2 = 0.999).
        rho_inf = 2 / (1 - beta_2) - 1
        rho_t = rho_inf - 2 * t * beta_2_power / (1 - beta_2_power)
        tractable = rho_t > self.rectification_threshold
        # The branch not taken must not take the root of a negative number.
        safe_rho = ops.where(tractable, rho_t, rho_inf)
        r_t = ops.sqrt(
            (safe_rho - 4) * (safe_rho - 2) * rho_inf
            / ((rho_inf - 4) * (rho_inf - 2) * safe_rho)
        )
        adaptive = r_t * m_hat * ops.sqrt(1 - beta_2_power) / (ops.sqrt(v) + self.epsilon)
        self.assign_sub(variable, lr * ops.where(tractable, adaptive, early))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "beta_1": self.beta_1,
                "beta_2": self.beta_2,
                "epsilon": self.epsilon,
                "rectification_threshold": self.rectification_threshold,
                "degenerated_to_sgd": self.degenerated_to_sgd,
            }
        )
        return config
