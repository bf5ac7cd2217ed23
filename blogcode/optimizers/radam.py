"""RAdam, the rectified Adam of Liu et al. (2019), as a Keras 3 optimizer.

Chapter: "DGCNN, a convolutional reading-comprehension model" (article 6906), whose
released code trained with RAdam. Keras 3 ships no RAdam, so this module writes one.

Update rule (Algorithm 2 of the paper), for step ``t = 1, 2, ...``::

    m_t = beta_1 m_{t-1} + (1 - beta_1) g_t          first moment
    v_t = beta_2 v_{t-1} + (1 - beta_2) g_t^2        second moment
    m_hat = m_t / (1 - beta_1^t)
    rho_inf = 2 / (1 - beta_2) - 1
    rho_t = rho_inf - 2 t beta_2^t / (1 - beta_2^t)
    if rho_t > threshold (the paper: 4):             variance of the adaptive lr is tractable
        l_t = sqrt(1 - beta_2^t) / (sqrt(v_t) + epsilon)
        r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
        theta_t = theta_{t-1} - lr r_t m_hat l_t
    else:                                            early steps: SGD with momentum
        theta_t = theta_{t-1} - lr m_hat

Many implementations (``keras_radam``, TensorFlow Addons) switch at ``rho_t >= 5``
instead of ``> 4``; ``rectification_threshold`` makes that a choice.
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["RAdam"]


@keras.saving.register_keras_serializable(package="blogcode")
class RAdam(keras.optimizers.Optimizer):
    """Rectified Adam. Arguments as :class:`keras.optimizers.Adam`, plus
    ``rectification_threshold`` (the paper uses 4: the adaptive step is used only
    once ``rho_t`` exceeds it)."""

    def __init__(
        self,
        learning_rate=0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        rectification_threshold: float = 4.0,
        name: str = "radam",
        **kwargs,
    ):
        for arg, value in (("beta_1", beta_1), ("beta_2", beta_2)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{arg} must be a float, got {type(value).__name__}")
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{arg} must be in [0, 1), got {value}")
        if not isinstance(epsilon, (int, float)) or isinstance(epsilon, bool):
            raise TypeError(f"epsilon must be a float, got {type(epsilon).__name__}")
        if epsilon < 0:
            raise ValueError(f"epsilon must be >= 0, got {epsilon}")
        if not isinstance(rectification_threshold, (int, float)) or isinstance(rectification_threshold, bool):
            raise TypeError("rectification_threshold must be a number")
        if rectification_threshold < 4:
            # below 4 the rectifier r_t has a negative or zero argument under its root
            raise ValueError(f"rectification_threshold must be >= 4, got {rectification_threshold}")
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.rectification_threshold = float(rectification_threshold)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        gradient = ops.cast(gradient, dtype)
        t = ops.cast(self.iterations + 1, dtype)
        beta_1 = ops.cast(self.beta_1, dtype)
        beta_2 = ops.cast(self.beta_2, dtype)
        beta_1_power = ops.power(beta_1, t)
        beta_2_power = ops.power(beta_2, t)

        m = self._momentums[self._get_variable_index(variable)]
        v = self._velocities[self._get_variable_index(variable)]
        self.assign(m, beta_1 * m + (1 - beta_1) * gradient)
        self.assign(v, beta_2 * v + (1 - beta_2) * ops.square(gradient))
        m_hat = m / (1 - beta_1_power)

        rho_inf = 2 / (1 - beta_2) - 1
        rho_t = rho_inf - 2 * t * beta_2_power / (1 - beta_2_power)
        tractable = rho_t > self.rectification_threshold
        # Clamp before the root so the branch not taken never produces NaN.
        safe_rho = ops.maximum(rho_t, ops.cast(4.0 + 1e-3, dtype))
        r_t = ops.sqrt(
            (safe_rho - 4) * (safe_rho - 2) * rho_inf
            / ((rho_inf - 4) * (rho_inf - 2) * safe_rho)
        )
        adaptive = r_t * m_hat * ops.sqrt(1 - beta_2_power) / (ops.sqrt(v) + self.epsilon)
        step = ops.where(tractable, adaptive, m_hat)
        self.assign_sub(variable, lr * step)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "beta_1": self.beta_1,
                "beta_2": self.beta_2,
                "epsilon": self.epsilon,
                "rectification_threshold": self.rectification_threshold,
            }
        )
        return config
