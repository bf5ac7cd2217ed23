"""LazyOptimizer: update an embedding row only when its token is in the batch.

Used by the chapter "Two optimizer wrappers: Lookahead and LazyOptimizer" (book/lookahead.md, article 6869).

A momentum optimizer keeps moving an embedding row after its token has left the
batch: the gradient of the row is zero, its momentum is not. ``LazyOptimizer``
wraps any Keras 3 optimizer and, for the embedding matrices it is given, keeps
the rows that were not sampled exactly as they were:

* ``mode="author"`` (the article's variant): the inner optimizer updates its
  moment estimates for every row as usual, but only sampled rows receive the
  parameter update;
* ``mode="standard"`` (TF Addons' LazyAdam, PyTorch's SparseAdam): the moment
  estimates of unsampled rows are frozen too.

Which rows were sampled is read from the gradient. In TensorFlow the gradient of
an embedding lookup is a ``tf.IndexedSlices`` whose ``indices`` are the looked-up
rows (``detect="indices"``, exact). The article's heuristic, "a row whose gradient
has no zero component", and its later fix, "a row with at least one non-zero
component", are available as ``detect="all_nonzero"`` / ``"any_nonzero"`` so the
chapter can show where they go wrong.

The wrapper lets the inner optimizer do its normal step, then restores the rows
that must not move from a copy taken just before. That works for any inner
optimizer, costs one temporary copy of each embedding matrix per step (plus one
of each of its moment matrices in the "standard" mode), and makes unsampled rows
bit-identical to their old values by construction. Before that step, a sparse
gradient's repeated indices (a token twice in a batch) are summed, so the inner
optimizer makes the step of the dense gradient; Keras 3's Adam on the raw slices
would build its second moment from the sum of their squares instead.

The embeddings and the other trained variables may be ``keras.Variable`` or plain
``tf.Variable`` objects, like those any Keras 3 optimizer accepts.
"""

from __future__ import annotations

import contextlib

import keras
import tensorflow as tf

from blogcode import checks
from blogcode.optimizers.wrapper import (DelegatesToInnerOptimizer, Untracked, check_inner_optimizer, read_value,
                                         reject_base_arguments, sum_repeated_slices, variable_path)

__all__ = ["LazyOptimizer", "sampled_rows", "slot_variables", "build_recording_slots", "DETECT_RULES",
           "LAZY_MODES"]

LAZY_MODES = ("author", "standard")
DETECT_RULES = ("indices", "all_nonzero", "any_nonzero")


@contextlib.contextmanager
def _recording_slots(optimizer, record: dict):
    """While active, every variable that ``optimizer`` creates from a reference
    variable (``add_variable_from_reference``, which Keras 3's optimizers use for
    all their per-variable state) is listed in ``record[id(reference)]``."""
    create = optimizer.add_variable_from_reference

    def recording(reference_variable, *args, **kwargs):
        slot = create(reference_variable, *args, **kwargs)
        record.setdefault(id(reference_variable), []).append(slot)
        return slot

    # An instance attribute shadows the method; set and removed outside Keras' tracking.
    optimizer.__dict__["add_variable_from_reference"] = recording
    try:
        yield
    finally:
        del optimizer.__dict__["add_variable_from_reference"]


def build_recording_slots(optimizer, var_list) -> None:
    """``optimizer.build(var_list)``, remembering which slot belongs to which variable.

    The wrappers build their inner optimizer with this, so that
    :func:`slot_variables` finds the slots by identity and not by name: a plain
    ``tf.Variable`` has no Keras path, and two of them may share a name.
    """
    check_inner_optimizer(optimizer)
    var_list = list(checks.nonempty(var_list, "var_list"))
    if optimizer.built:
        optimizer.build(var_list)  # a no-op for Keras' optimizers: nothing to record
        return
    record: dict = {}
    with _recording_slots(optimizer, record):
        optimizer.build(var_list)
    optimizer.__dict__["_blogcode_slots"] = Untracked(record)


def _innermost(optimizer):
    # Wrappers (ours, Keras' LossScaleOptimizer) keep no moments of their own.
    while isinstance(getattr(optimizer, "inner_optimizer", None), keras.optimizers.Optimizer):
        optimizer = optimizer.inner_optimizer
    return optimizer


def _slot_prefix(variable) -> str:
    # How Keras 3 names a slot made from `variable` (add_variable_from_reference).
    if isinstance(getattr(variable, "path", None), str):
        return variable.path.replace("/", "_") + "_"
    return str(variable.name).replace("/", "_").replace(":", "_") + "_"


def _slots_by_name(optimizer, variable) -> list:
    """Fallback for an optimizer built elsewhere: the slots named after ``variable``."""
    prefix = _slot_prefix(variable)
    others = [_slot_prefix(v) for v in optimizer._trainable_variables if v is not variable]
    if prefix in others:
        raise ValueError(
            f"variable: another variable of the optimizer has the same name ({variable.name!r}), so their "
            "slots cannot be told apart by name; let the wrapper build the optimizer (build_recording_slots)"
        )
    slots = []
    for slot in optimizer.variables:
        if tuple(slot.shape) != tuple(variable.shape) or not slot.name.startswith(prefix):
            continue
        # Another variable whose name extends this one ("emb" vs "emb_2") owns the slot.
        if any(len(o) > len(prefix) and slot.name.startswith(o) for o in others):
            continue
        slots.append(slot)
    return slots


def slot_variables(optimizer, variable) -> list:
    """The per-variable state (momentum, Adam's m and v, ...) that a built Keras 3
    ``optimizer`` keeps for ``variable`` (a ``keras.Variable`` or a ``tf.Variable``).

    Through a wrapper (``inner_optimizer``), the state of the optimizer inside.
    If the optimizer was built by :func:`build_recording_slots` (every wrapper of
    this package does that), the slots are the variables it created from
    ``variable``; otherwise they are found by Keras' naming rule
    (``{variable.path with '/' -> '_'}_{slot name}``). EMA averages and gradient
    accumulators are not moment estimates and are left out.
    """
    optimizer = _innermost(check_inner_optimizer(optimizer))
    if not optimizer.built:
        raise ValueError("optimizer must be built before its slot variables can be listed")
    if not any(v is variable for v in optimizer._trainable_variables):
        raise ValueError(f"variable {variable_path(variable)!r} is not among the variables the optimizer trains")
    excluded = {id(v) for v in getattr(optimizer, "_model_variables_moving_average", None) or [] if v is not None}
    excluded |= {id(v) for v in getattr(optimizer, "_accumulated_gradients", None) or [] if v is not None}
    recorded = optimizer.__dict__.get("_blogcode_slots")
    if recorded is not None:
        candidates = recorded.items.get(id(variable), [])
    else:
        candidates = _slots_by_name(optimizer, variable)
    return [slot for slot in candidates if id(slot) not in excluded]


def sampled_rows(gradient, num_rows: int, detect: str = "indices") -> tf.Tensor:
    """Boolean vector of length ``num_rows``: which rows of an embedding matrix
    count as "sampled in this batch" according to ``detect``.

    ``"indices"`` reads the rows named by a ``tf.IndexedSlices`` gradient;
    ``"all_nonzero"`` (the article) calls a row sampled when none of its gradient
    components is zero; ``"any_nonzero"`` when at least one is not zero.
    """
    detect = checks.one_of(detect, "detect", DETECT_RULES)
    num_rows = checks.positive_int(num_rows, "num_rows")
    if detect == "indices":
        if not isinstance(gradient, tf.IndexedSlices):
            raise ValueError(
                "detect='indices' needs the embedding gradient as tf.IndexedSlices, got a dense "
                f"{type(gradient).__name__}; something (a regulariser, a dense use of the matrix) "
                "made it dense. Use detect='any_nonzero' or keep the regulariser in the optimizer."
            )
        indices = tf.cast(gradient.indices, tf.int32)
        counts = tf.math.unsorted_segment_sum(tf.ones_like(indices), indices, num_rows)
        return counts > 0
    dense = tf.convert_to_tensor(gradient)
    if dense.shape.rank is None or dense.shape.rank < 1 or dense.shape[0] != num_rows:
        raise ValueError(f"gradient must have {num_rows} rows, got shape {dense.shape}")
    nonzero = tf.reshape(tf.not_equal(dense, 0), [num_rows, -1])
    if detect == "all_nonzero":
        return tf.reduce_all(nonzero, axis=1)
    return tf.reduce_any(nonzero, axis=1)


def _embedding_reference(item):
    """A variable, or a path string, for one entry of ``embeddings``."""
    if isinstance(item, keras.layers.Embedding):
        return item  # resolved at build time: the layer may not be built yet
    if isinstance(item, (keras.Variable, tf.Variable)):
        return item
    if isinstance(item, str):
        return checks.string(item, "embeddings", allow_empty=False)  # a variable path, as stored by get_config
    raise TypeError(
        "embeddings must be keras.layers.Embedding layers, variables or variable paths, "
        f"got {type(item).__name__}"
    )


def _same_path_below_model(a: str, b: str) -> bool:
    return a.endswith("/" + b) or b.endswith("/" + a)


def _resolve(reference, var_list):
    if isinstance(reference, keras.layers.Embedding):
        if not reference.built:
            raise ValueError(f"embeddings: layer {reference.name!r} is not built yet")
        reference = reference.embeddings
    if isinstance(reference, str):
        matches = [v for v in var_list if variable_path(v) == reference]
        if not matches:
            # A reloaded model may name its variables with or without the model's
            # prefix ("sequential/emb/embeddings" vs "emb/embeddings").
            matches = [v for v in var_list if _same_path_below_model(variable_path(v), reference)]
    else:
        matches = [v for v in var_list if v is reference]
    if len(matches) != 1:
        name = reference if isinstance(reference, str) else variable_path(reference)
        raise ValueError(f"embeddings: {name!r} is not among the variables the optimizer trains")
    return matches[0]


@keras.saving.register_keras_serializable(package="blogcode")
class LazyOptimizer(DelegatesToInnerOptimizer, keras.optimizers.Optimizer):
    """Wrap ``optimizer`` so that embedding rows absent from the batch do not move.

    Args:
        optimizer: any Keras 3 optimizer (Adam, SGD with momentum, AdamW, ...).
        embeddings: ``keras.layers.Embedding`` layers, their ``embeddings``
            variables (``keras.Variable`` or ``tf.Variable``), or variable paths
            (one item or a list).
        mode: ``"author"`` (moments of all rows keep updating, only sampled rows
            move) or ``"standard"`` (moments of unsampled rows are frozen too).
        detect: how a sampled row is recognised, see :func:`sampled_rows`.

    A sparse gradient (``tf.IndexedSlices``) reaches the inner optimizer with its
    repeated indices summed (:func:`~blogcode.optimizers.wrapper.sum_repeated_slices`),
    so a token that occurs twice in a batch gets the step of the dense gradient;
    Keras 3's Adam alone would square the two slices separately.
    """

    def __init__(self, optimizer, embeddings, mode="author", detect="indices", name=None, **kwargs):
        check_inner_optimizer(optimizer)
        if getattr(optimizer, "gradient_accumulation_steps", None):
            # The rows to keep are read from one batch, the update would come from several.
            raise ValueError("optimizer: gradient_accumulation_steps is not supported inside LazyOptimizer")
        mode = checks.one_of(mode, "mode", LAZY_MODES)
        detect = checks.one_of(detect, "detect", DETECT_RULES)
        if not isinstance(embeddings, (list, tuple)):
            embeddings = [embeddings]
        references = [_embedding_reference(e) for e in checks.nonempty(embeddings, "embeddings")]
        if name is not None:
            checks.string(name, "name", allow_empty=False)
        reject_base_arguments("LazyOptimizer", kwargs)
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = optimizer
        self.mode = mode
        self.detect = detect
        self._embedding_references = Untracked(references)
        self._embedding_variables = Untracked([])

    def build(self, var_list):
        var_list = list(var_list)
        build_recording_slots(self.inner_optimizer, var_list)
        resolved = [_resolve(r, var_list) for r in self._embedding_references.items]
        self._embedding_variables = Untracked(resolved)
        super().build(var_list)

    @property
    def embedding_variables(self) -> list:
        return list(self._embedding_variables.items)

    def _frozen_state(self, variable) -> list:
        """What must not change in an unsampled row: the row, and in the
        standard mode also the inner optimizer's moments for it."""
        if self.mode == "standard":
            return [variable] + slot_variables(self.inner_optimizer, variable)
        return [variable]

    def apply(self, grads, trainable_variables=None):
        trainable_variables = self._variables_to_update(trainable_variables)
        # The inner optimizer gets (and the rows are read from) each sparse gradient
        # with its repeated indices summed: the dense gradient's step, not Keras'
        # slice-by-slice squares.
        grads = [sum_repeated_slices(g) for g in grads]
        embedding_ids = {id(v) for v in self._embedding_variables.items}
        restores = []  # (row mask, state variable, copy before the step)
        for grad, variable in zip(grads, trainable_variables):
            if grad is None or id(variable) not in embedding_ids:
                continue
            mask = sampled_rows(grad, int(variable.shape[0]), self.detect)
            for state in self._frozen_state(variable):
                # Reading the value now orders this copy before the inner update.
                restores.append((mask, state, tf.identity(read_value(state))))
        self.inner_optimizer.apply(grads, trainable_variables)
        for mask, state, before in restores:
            row_mask = tf.reshape(mask, [-1] + [1] * (len(state.shape) - 1))
            state.assign(tf.where(row_mask, read_value(state), before))
        self._iterations.assign_add(1)

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        raise ValueError("LazyOptimizer works with the TensorFlow backend's stateful apply only")

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self):
        paths = []
        for reference in self._embedding_references.items:
            if isinstance(reference, keras.layers.Embedding):
                if not reference.built:
                    raise ValueError(f"embeddings: layer {reference.name!r} must be built before get_config")
                reference = reference.embeddings
            paths.append(reference if isinstance(reference, str) else variable_path(reference))
        return {
            "name": self.name,
            "optimizer": keras.optimizers.serialize(self.inner_optimizer),
            "embeddings": paths,
            "mode": self.mode,
            "detect": self.detect,
        }

