"""Padding masks and the operations that must respect them.

Chapter: "Layers within layers, and masks" (book/masks.md, article 6810). Shared:
the sparse-attention chapter (``blogcode.attention``) and the bidirectional-decoding
chapter (``blogcode.bidecoder``) use it too.

Conventions
-----------
* A mask is 1/True on real positions and 0/False on padding.
* A mask lines up with the *leading* axes of ``x``: a ``(batch, length)`` mask
  works with ``(batch, length, dim)`` inputs (trailing axes of size 1 are
  added). For other layouts give the mask the same rank as ``x`` with size-1
  axes where it should broadcast, e.g. ``(batch, 1, 1, keys)`` for attention
  logits ``(batch, heads, queries, keys)``.
* Padding is removed with ``where``, never by multiplying: ``0 * inf`` and
  ``0 * nan`` are ``nan``, so a multiplied mask lets garbage in padded slots
  leak into the result.
* Fully masked slices have a defined result: ``masked_mean`` and
  ``masked_max`` return 0, ``masked_softmax`` returns all zeros (no
  probability anywhere, rather than a uniform distribution over padding).

Inputs may be NumPy arrays (or nested lists) or TensorFlow tensors. When every
array argument is NumPy/list the result is NumPy; otherwise it is a
``tf.Tensor``. Values are checked (binary mask, no NaN at real positions) when
they are concrete; inside a traced ``tf.function`` only shapes are checked.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from blogcode import checks

__all__ = [
    "as_tensor",
    "sequence_mask",
    "masked_mean",
    "masked_max",
    "masked_softmax",
    "softmax_where",
    "reverse_padded",
    "AlignedBidirectional",
    "check_rnn_layer",
]


# --------------------------------------------------------------------------- helpers


def _is_numpy_like(value) -> bool:
    return isinstance(value, (np.ndarray, list, tuple, np.generic, int, float))


def as_tensor(value, name: str, dtype=None) -> tf.Tensor:
    """``value`` as a numeric tensor (cast to ``dtype`` if given); ``TypeError``
    naming ``name`` for ``None``, strings or anything TensorFlow cannot convert.
    Shared by the masks and attention code."""
    if value is None:
        raise TypeError(f"{name} must be an array or tensor, got None")
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be numeric, got {type(value).__name__}")
    try:
        tensor = tf.convert_to_tensor(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be an array or tensor: {err}") from None
    if tensor.dtype == tf.string:
        raise TypeError(f"{name} must be numeric, got strings")
    if dtype is not None and tensor.dtype != dtype:
        tensor = tf.cast(tensor, dtype)
    return tensor


def _is_concrete(*tensors) -> bool:
    return tf.executing_eagerly() and all(hasattr(t, "numpy") for t in tensors)


def _as_float(x, name: str) -> tf.Tensor:
    tensor = as_tensor(x, name)
    if not tensor.dtype.is_floating:
        tensor = tf.cast(tensor, tf.float32)
    return tensor


def _normalise_axis(axis: int, rank: int, name: str = "axis") -> int:
    axis = checks.integer(axis, name)
    if not -rank <= axis < rank:
        raise ValueError(f"{name}={axis} is out of range for an input of rank {rank}")
    return int(axis) % rank


def _broadcast_mask(mask, x: tf.Tensor) -> tf.Tensor:
    """Check ``mask`` against ``x`` and return it as a bool tensor of x's rank."""
    mask = as_tensor(mask, "mask")
    if mask.shape.rank is None or x.shape.rank is None:
        raise ValueError("mask and x need a known rank")
    if mask.shape.rank == 0:
        raise ValueError("mask must have at least one axis (e.g. (batch, length))")
    if mask.shape.rank > x.shape.rank:
        raise ValueError(
            f"mask has rank {mask.shape.rank}, more than x (rank {x.shape.rank}); "
            f"mask shape {mask.shape}, x shape {x.shape}"
        )
    for i, (m_dim, x_dim) in enumerate(zip(mask.shape, x.shape)):
        if m_dim is not None and x_dim is not None and m_dim not in (1, x_dim):
            raise ValueError(
                f"mask shape {tuple(mask.shape)} does not line up with x shape "
                f"{tuple(x.shape)} (axis {i}: {m_dim} vs {x_dim}); a mask matches "
                "the leading axes of x"
            )
    if _is_concrete(mask):
        values = mask.numpy()
        if values.dtype != bool:
            if np.isnan(values.astype(float)).any() or not np.isin(values, (0, 1)).all():
                bad = values[~np.isin(values, (0, 1))].ravel()[:3]
                raise ValueError(f"mask must be binary (0/1 or bool); found values such as {bad.tolist()}")
    if mask.dtype != tf.bool:
        mask = tf.not_equal(mask, tf.zeros((), mask.dtype))
    for _ in range(x.shape.rank - mask.shape.rank):
        mask = tf.expand_dims(mask, -1)
    return mask


def _check_axis_not_empty(x: tf.Tensor, axis: int, name: str = "x") -> None:
    size = x.shape[axis]
    if size == 0:
        raise ValueError(f"{name} has an empty axis {axis} (size 0); nothing to reduce")


def _check_no_nan_at_real_positions(x: tf.Tensor, mask: tf.Tensor, name: str = "x") -> None:
    if _is_concrete(x, mask) and x.dtype.is_floating:
        full_mask = tf.broadcast_to(mask, tf.shape(x))
        if bool(tf.reduce_any(tf.math.is_nan(x) & full_mask)):
            raise ValueError(f"{name} contains NaN at unmasked (real) positions")


def _prepare(x, mask, axis: int, name: str = "x"):
    """Validate and align the arguments of a masked reduction.

    Returns ``(x, mask, axis, to_numpy)``: ``x`` as a float tensor, ``mask`` as
    a bool tensor of x's full shape, ``axis`` non-negative, and whether the
    caller should hand back NumPy.
    """
    to_numpy = _is_numpy_like(x) and _is_numpy_like(mask)
    x = _as_float(x, name)
    axis = _normalise_axis(axis, x.shape.rank)
    _check_axis_not_empty(x, axis, name)
    mask = _broadcast_mask(mask, x)
    _check_no_nan_at_real_positions(x, mask, name)
    return x, tf.broadcast_to(mask, tf.shape(x)), axis, to_numpy


def _back(result: tf.Tensor, to_numpy: bool):
    return result.numpy() if to_numpy else result


# --------------------------------------------------------------------------- public API


def sequence_mask(lengths, maxlen: int | None = None):
    """Bool mask of shape ``(batch, maxlen)``: ``True`` for the first
    ``lengths[i]`` positions of row ``i``.

    ``maxlen=None`` uses ``max(lengths)``. Lengths must be non-negative
    integers no larger than ``maxlen``.
    """
    to_numpy = _is_numpy_like(lengths)
    lengths_t = as_tensor(lengths, "lengths")
    if lengths_t.shape.rank != 1:
        raise ValueError(f"lengths must be 1-D (one length per sequence), got shape {tuple(lengths_t.shape)}")
    if not lengths_t.dtype.is_integer:
        if _is_concrete(lengths_t):
            values = lengths_t.numpy()
            if not np.all(np.isfinite(values)) or not np.all(values == np.round(values)):
                raise ValueError("lengths must be whole numbers")
        lengths_t = tf.cast(lengths_t, tf.int32)
    if maxlen is not None:
        maxlen = checks.integer(maxlen, "maxlen", minimum=0)
    if _is_concrete(lengths_t):
        values = lengths_t.numpy()
        if (values < 0).any():
            raise ValueError(f"lengths must be >= 0, got {values[values < 0][:3].tolist()}")
        if maxlen is not None and values.size and values.max() > maxlen:
            raise ValueError(f"lengths must be <= maxlen={maxlen}, got max length {values.max()}")
    result = tf.sequence_mask(lengths_t, maxlen=maxlen)
    return _back(result, to_numpy)


def masked_mean(x, mask, axis: int = 1):
    """Mean of ``x`` over ``axis`` counting real positions only:
    ``sum(x where mask) / sum(mask)``. A fully masked slice gives 0."""
    x, mask, axis, to_numpy = _prepare(x, mask, axis)
    total = tf.reduce_sum(tf.where(mask, x, tf.zeros_like(x)), axis=axis)
    count = tf.reduce_sum(tf.cast(mask, x.dtype), axis=axis)
    result = tf.math.divide_no_nan(total, count)
    return _back(result, to_numpy)


def masked_max(x, mask, axis: int = 1):
    """Max of ``x`` over ``axis`` ignoring padding. A fully masked slice gives 0.

    The 2019 article subtracts ``(1 - mask) * 1e10`` before ``max``; that works
    for ordinary values but not for padding that holds ``inf``/``nan``, and it
    returns ``-1e10`` for an all-padding row. ``where`` with ``-inf`` has
    neither problem.
    """
    x, mask, axis, to_numpy = _prepare(x, mask, axis)
    neg_inf = tf.fill(tf.shape(x), tf.constant(-np.inf, x.dtype))
    result = tf.reduce_max(tf.where(mask, x, neg_inf), axis=axis)
    any_real = tf.reduce_any(mask, axis=axis)
    result = tf.where(any_real, result, tf.zeros_like(result))
    return _back(result, to_numpy)


def masked_softmax(logits, mask, axis: int = -1):
    """Softmax over ``axis`` that gives padding exactly zero probability.

    A fully masked slice returns all zeros (not NaN, not a uniform
    distribution over padding).
    """
    logits, mask, axis, to_numpy = _prepare(logits, mask, axis, "logits")
    return _back(softmax_where(logits, mask, axis), to_numpy)


def softmax_where(logits: tf.Tensor, mask: tf.Tensor, axis: int = -1) -> tf.Tensor:
    """The computation behind ``masked_softmax``, without its input checks:
    ``logits`` a float tensor, ``mask`` a bool tensor that broadcasts to it.
    For callers that have checked their inputs once (the sparse attention
    forms) and must not pay for value checks that read tensors back; only the
    types are checked here, which costs nothing."""
    if not isinstance(logits, tf.Tensor) or not logits.dtype.is_floating:
        raise TypeError(f"logits must be a float tf.Tensor, got {type(logits).__name__}")
    if not isinstance(mask, tf.Tensor) or mask.dtype != tf.bool:
        raise TypeError(f"mask must be a bool tf.Tensor, got {type(mask).__name__}")
    axis = checks.integer(axis, "axis")
    neg_inf = tf.constant(-np.inf, logits.dtype)
    masked = tf.where(mask, logits, neg_inf)
    # Subtract the max of the real entries for stability; an all-padding row
    # would give -inf - (-inf) = nan, so its shift is 0 instead.
    shift = tf.reduce_max(masked, axis=axis, keepdims=True)
    shift = tf.where(tf.math.is_finite(shift), shift, tf.zeros_like(shift))
    # Masked entries are exp(-inf) = 0 already, and their gradient is 0.
    exp = tf.exp(masked - tf.stop_gradient(shift))
    return tf.math.divide_no_nan(exp, tf.reduce_sum(exp, axis=axis, keepdims=True))


def _prefix_lengths(mask: tf.Tensor) -> tf.Tensor:
    """Lengths of right-padded masks; raise if a mask is not ones-then-zeros."""
    mask_int = tf.cast(mask, tf.int32)
    lengths = tf.reduce_sum(mask_int, axis=1)
    if _is_concrete(mask_int):
        values = mask_int.numpy()
        n = values.shape[1]
        expected = (np.arange(n)[None, :] < values.sum(axis=1)[:, None]).astype(values.dtype)
        if not np.array_equal(values, expected):
            bad = int(np.where((values != expected).any(axis=1))[0][0])
            raise ValueError(
                f"mask row {bad} is not right-padded (ones, then zeros): {values[bad].tolist()}; "
                "reverse_padded needs padding at the end"
            )
    return lengths


def reverse_padded(x, mask):
    """Reverse each sequence's real part and leave the padding in place:
    ``[1, 0, 3, 4, 5, 0, 0, 0] -> [5, 4, 3, 0, 1, 0, 0, 0]``.

    ``x`` is ``(batch, length, ...)``; ``mask`` is ``(batch, length)`` (or with
    trailing size-1 axes) and must be right-padded. Applying it twice gives
    ``x`` back. This is ``tf.reverse_sequence`` with lengths read off the mask.
    """
    to_numpy = _is_numpy_like(x) and _is_numpy_like(mask)
    x = as_tensor(x, "x")
    if x.shape.rank is None or x.shape.rank < 2:
        raise ValueError(f"x must be at least 2-D (batch, length, ...), got shape {tuple(x.shape)}")
    mask = _broadcast_mask(mask, x)
    # Reduce the broadcast mask back to (batch, length).
    mask_2d = tf.reshape(mask, tf.shape(mask)[:2]) if mask.shape.rank > 2 and all(
        d == 1 for d in mask.shape[2:]
    ) else mask
    if mask_2d.shape.rank != 2:
        raise ValueError("mask must be (batch, length) or (batch, length, 1, ...)")
    mask_2d = tf.broadcast_to(mask_2d, tf.shape(x)[:2])
    lengths = _prefix_lengths(mask_2d)
    result = tf.reverse_sequence(x, lengths, seq_axis=1, batch_axis=0)
    return _back(result, to_numpy)


def check_rnn_layer(layer, name: str = "rnn_layer"):
    """``layer`` if it is a Keras RNN layer (LSTM, GRU, ...), else a TypeError naming ``name``."""
    return checks.instance_of(layer, name, keras.layers.RNN, "a Keras RNN layer (LSTM, GRU, ...)")


@keras.saving.register_keras_serializable(package="blogcode")
class AlignedBidirectional(keras.layers.Layer):
    """A bidirectional RNN whose backward half starts at each sequence's last
    *real* step, not at the end of the padding.

    The backward copy of ``layer`` runs forward over ``reverse_padded(x)``,
    and its outputs are reversed back the same way, so position ``t`` of both
    halves describes the same token. Outputs are concatenated; padded positions
    of sequence outputs are zero. With no mask this is an ordinary
    bidirectional RNN.

    Args:
        layer: a Keras RNN layer (``LSTM``, ``GRU``, ``SimpleRNN``, ``RNN``);
            it is used as a template and cloned twice.
        merge_mode: ``"concat"`` (default), ``"sum"``, ``"mul"`` or ``"ave"``.
    """

    _MERGE = {
        "concat": lambda a, b: keras.ops.concatenate([a, b], axis=-1),
        "sum": lambda a, b: a + b,
        "mul": lambda a, b: a * b,
        "ave": lambda a, b: (a + b) / 2,
    }

    def __init__(self, layer, merge_mode: str = "concat", **kwargs):
        super().__init__(**kwargs)
        check_rnn_layer(layer, "layer")
        if getattr(layer, "go_backwards", False):
            raise ValueError("layer must run forwards (go_backwards=False); the wrapper does the reversing")
        if getattr(layer, "return_state", False):
            raise ValueError("layer with return_state=True is not supported")
        merge_mode = checks.one_of(merge_mode, "merge_mode", tuple(self._MERGE))
        self.template = layer
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        config = layer.get_config()
        self.forward_layer = layer.__class__.from_config({**config, "name": f"forward_{config['name']}"})
        self.backward_layer = layer.__class__.from_config({**config, "name": f"backward_{config['name']}"})
        self.supports_masking = True

    def build(self, input_shape):
        self.forward_layer.build(input_shape)
        self.backward_layer.build(input_shape)

    def call(self, inputs, mask=None, training=None):
        if mask is None:
            forward = self.forward_layer(inputs, training=training)
            backward = self.backward_layer(keras.ops.flip(inputs, axis=1), training=training)
            if self.return_sequences:
                backward = keras.ops.flip(backward, axis=1)
            return self._MERGE[self.merge_mode](forward, backward)
        mask = keras.ops.cast(mask, "bool")
        forward = self.forward_layer(inputs, mask=mask, training=training)
        backward = self.backward_layer(reverse_padded(inputs, mask), mask=mask, training=training)
        if self.return_sequences:
            backward = reverse_padded(backward, mask)
        merged = self._MERGE[self.merge_mode](forward, backward)
        if self.return_sequences:
            merged = keras.ops.where(mask[..., None], merged, keras.ops.zeros_like(merged))
        return merged

    def compute_mask(self, inputs, mask=None):
        return mask if self.return_sequences else None

    def compute_output_shape(self, input_shape):
        units = self.forward_layer.compute_output_shape(input_shape)
        if self.merge_mode == "concat":
            return tuple(units[:-1]) + (2 * units[-1],)
        return tuple(units)

    def get_config(self):
        return {
            **super().get_config(),
            "layer": keras.saving.serialize_keras_object(self.template),
            "merge_mode": self.merge_mode,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = keras.saving.deserialize_keras_object(config["layer"])
        return cls(**config)
