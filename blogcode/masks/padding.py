"""What padding does, measured: the numbers behind the chapter "Layers within
layers, and masks" (``book/masks.md``).

``padding_effects`` feeds the padding explorer; ``backward_reference`` and
``compare_bidirectional`` show that ``keras.layers.Bidirectional`` with an
explicit mask aligns the backward RNN on the real tokens while a plain flip
does not; ``mask_support_table`` measures which Keras layers honour a mask.
"""

from __future__ import annotations

import warnings

import keras
import numpy as np

from blogcode import checks
from blogcode.masking import (AlignedBidirectional, check_rnn_layer, masked_max, masked_mean, masked_softmax,
                              sequence_mask)

__all__ = ["padding_effects", "backward_reference", "compare_bidirectional", "mask_support_table"]


def _finite_sequence(values, name: str) -> np.ndarray:
    """``values`` as a non-empty 1-D float64 array of finite numbers."""
    if values is None or isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of numbers, got {type(values).__name__}")
    try:
        values = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a sequence of numbers") from None
    if values.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence, got shape {values.shape}")
    if values.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} must be finite numbers (no NaN or inf)")
    return values


def _lengths_for(x, lengths) -> tuple[np.ndarray, np.ndarray]:
    """``x`` ``(batch, length, features)`` and one length in ``[1, length]`` per row."""
    if x is None or lengths is None:
        raise TypeError(f"{'x' if x is None else 'lengths'} must be an array, got None")
    x, lengths = np.asarray(x, dtype=np.float32), np.asarray(lengths)
    if x.ndim != 3:
        raise ValueError(f"x must be (batch, length, features), got shape {x.shape}")
    if not np.issubdtype(lengths.dtype, np.integer):
        raise TypeError(f"lengths must be integers, got dtype {lengths.dtype}")
    if lengths.shape != (x.shape[0],) or (lengths < 1).any() or (lengths > x.shape[1]).any():
        raise ValueError(f"lengths must hold one length in [1, {x.shape[1]}] per sequence, got {lengths.tolist()}")
    return x, lengths


def padding_effects(values, padded_length: int) -> dict:
    """What padding does to a mean, a max and a softmax: the numbers behind the
    chapter's explorer.

    ``values`` is one real sequence; it is padded with zeros to
    ``padded_length``. Returns the padded sequence, its mask, and each
    statistic computed naively on the padded sequence and with the mask.
    """
    values = _finite_sequence(values, "values")
    padded_length = checks.integer(padded_length, "padded_length")
    if padded_length < values.size:
        raise ValueError(f"padded_length={padded_length} is shorter than the sequence ({values.size})")
    padded = np.zeros(padded_length)
    padded[: values.size] = values
    mask = np.arange(padded_length) < values.size
    naive_softmax = np.exp(padded - padded.max())
    naive_softmax /= naive_softmax.sum()
    return {
        "padded": padded,
        "mask": mask,
        "naive_mean": float(padded.mean()),
        "masked_mean": float(masked_mean(padded[None], mask[None])[0]),
        "naive_max": float(padded.max()),
        "masked_max": float(masked_max(padded[None], mask[None])[0]),
        "naive_softmax": naive_softmax,
        "masked_softmax": masked_softmax(padded[None], mask[None])[0],
    }


def backward_reference(rnn_layer, x, lengths):
    """The backward half done by hand: run ``rnn_layer`` (forward) over each
    sequence's real part reversed, one sequence at a time with no padding at
    all, and reverse its outputs back. Returns a list of ``(length, units)``
    arrays (``return_sequences=True``) or of ``(units,)`` final states."""
    rnn_layer = check_rnn_layer(rnn_layer)
    x, lengths = _lengths_for(x, lengths)
    out = []
    for row, n in zip(x, lengths):
        y = np.asarray(rnn_layer(row[None, :n][:, ::-1]))[0]
        out.append(y[::-1] if rnn_layer.return_sequences else y)
    return out


def compare_bidirectional(rnn_layer, x, lengths) -> dict:
    """Measure how far three bidirectional set-ups are from the exact backward
    pass over unpadded sequences (``backward_reference``).

    All variants share one set of backward weights (those of ``rnn_layer``):

    * ``"flip, no mask"``: Keras ``Bidirectional`` called without a mask, so
      the backward RNN reads the padding first;
    * ``"keras Bidirectional + mask"``: the same layer given the padding mask;
    * ``"AlignedBidirectional"``: our layer, given the mask.

    Returns the largest absolute error of each variant's *backward half* over
    the real positions (sequence outputs) or over the final states.
    """
    rnn_layer = check_rnn_layer(rnn_layer)
    x, lengths = _lengths_for(x, lengths)
    mask = sequence_mask(lengths, x.shape[1])
    reference = backward_reference(rnn_layer, x, lengths)
    units = rnn_layer.units

    config = rnn_layer.get_config()
    keras_bi = keras.layers.Bidirectional(rnn_layer.__class__.from_config({**config, "name": "cmp_keras"}))
    ours = AlignedBidirectional(rnn_layer.__class__.from_config({**config, "name": "cmp_ours"}))
    keras_bi(x[:1, :1])
    ours(x[:1, :1])
    for layer in (keras_bi.backward_layer, ours.backward_layer):
        layer.set_weights(rnn_layer.get_weights())

    def backward_half(output):
        return np.asarray(output)[..., units:]

    results = {
        "flip, no mask": backward_half(keras_bi(x)),
        "keras Bidirectional + mask": backward_half(keras_bi(x, mask=mask)),
        "AlignedBidirectional": backward_half(ours(x, mask=mask)),
    }
    errors = {}
    for name, out in results.items():
        if rnn_layer.return_sequences:
            errs = [np.abs(out[i, :n] - reference[i]).max() for i, n in enumerate(lengths)]
        else:
            errs = [np.abs(out[i] - reference[i]).max() for i in range(len(lengths))]
        errors[name] = float(max(errs))
    return errors


class _ReportsMask(keras.layers.Layer):
    """Outputs 1.0 when Keras handed it a mask, 0.0 otherwise (a probe)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        return keras.ops.convert_to_tensor(0.0 if mask is None else 1.0)

    def compute_mask(self, inputs, mask=None):
        return None


def mask_support_table(layer_factories: dict, values, pad_length: int, pad_value: float = 0.0) -> list[dict]:
    """Which Keras layers honour a padding mask? Measured, not read off docs.

    The sequence ``values`` (one number per step) enters through an
    ``Embedding(mask_zero=True)`` whose row ``k`` holds ``values[k - 1]`` and
    whose padding row 0 holds ``pad_value``: token ids ``[1, ..., n]`` followed
    by ``pad_length`` zeros. So Keras makes and propagates the mask through its
    public mechanism, as in a real model. For each ``name -> factory`` (a
    function returning a fresh layer), one layer instance is applied to the
    padded ids and to the unpadded ids ``[1, ..., n]``.

    Columns: the largest difference between the two outputs (on the real
    positions, for outputs that keep the time axis); whether that is zero
    (*honours mask*); whether the layer hands a mask on to the next layer
    (*passes mask on*, seen by a probe layer); and what Keras said (a
    warning that the mask is dropped, or an error).

    With ``pad_value=0`` some layers *look* mask-aware only because zero
    padding happens to be harmless to them; a non-zero padding row, as any
    trained embedding has, shows the truth.
    """
    layer_factories = checks.instance_of(layer_factories, "layer_factories", dict)
    if not all(callable(f) for f in layer_factories.values()):
        raise TypeError("layer_factories must map names to functions that return a fresh layer")
    values = _finite_sequence(values, "values").astype(np.float32)
    pad_length = checks.positive_int(pad_length, "pad_length")
    pad_value = checks.real(pad_value, "pad_value")
    n = values.size
    table = np.concatenate([[pad_value], values]).astype(np.float32)[:, None]
    embed = keras.layers.Embedding(n + 1, 1, mask_zero=True,
                                   embeddings_initializer=keras.initializers.Constant(table))
    real_ids = np.arange(1, n + 1)[None]
    padded_ids = np.concatenate([real_ids, np.zeros((1, pad_length), int)], axis=1)
    probe = _ReportsMask()
    rows = []
    for name, factory in layer_factories.items():
        layer = factory()
        # A NumPy copy carries no mask: the reference sees plain real steps.
        unpadded_out = np.asarray(layer(np.asarray(embed(real_ids))))
        row = {"layer": name, "max |padded - unpadded|": float("nan"), "honours mask": False,
               "passes mask on": False, "Keras says": ""}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                padded_out = layer(embed(padded_ids))
            except ValueError as err:  # some layers reject a propagated mask outright
                lines = [line.strip() for line in str(err).splitlines() if line.strip()]
                message = lines[1] if len(lines) > 1 and "Exception encountered" in lines[0] else lines[0]
                message = message.replace("\x1b[1m", "").replace("\x1b[0m", "")
                row["Keras says"] = "error: " + message.split(". ")[0].rstrip(".")
                rows.append(row)
                continue
        row["passes mask on"] = bool(np.asarray(probe(padded_out)) == 1.0)
        if any("does not support masking" in str(w.message) for w in caught):
            row["Keras says"] = "warning: drops the mask"
        padded_out = np.asarray(padded_out)
        if padded_out.ndim >= 2 and padded_out.shape[1] == n + pad_length and unpadded_out.shape[1] == n:
            padded_out = padded_out[:, :n]
        if padded_out.shape != unpadded_out.shape:
            row["Keras says"] += f" output shape {padded_out.shape} vs {unpadded_out.shape}"
            rows.append(row)
            continue
        error = float(np.max(np.abs(padded_out - unpadded_out)))
        row["max |padded - unpadded|"] = error
        row["honours mask"] = error < 1e-5
        rows.append(row)
    return rows
