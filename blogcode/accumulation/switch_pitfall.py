"""The 2019 ``K.switch`` pitfall in TensorFlow 1 graph mode, for the chapter
"Gradient accumulation" (``book/accumulation.md``).

In Keras 2 on TensorFlow 1, ``K.switch`` with a *scalar* condition was
``tf.cond``: it wrapped each branch that was given as a tensor into a function
returning that tensor (``keras/backend/tensorflow_backend.py``). So the
conditional itself was real. What made both updates run was *where the update
op was created*: ``K.update(p, new_p)`` was evaluated as an argument, before
``switch`` was called, i.e. outside the branch functions. In a graph, an op
created outside a ``cond`` and used by one branch is an input of the
conditional, and inputs are computed before the conditional decides anything.
Only an op created *inside* a branch function belongs to that branch.

``keras2_switch`` restates that part of Keras 2's ``switch`` (scalar case);
``graph_mode_update`` builds a ``tf.compat.v1`` graph either way and runs it
in a ``tf.compat.v1.Session``.
"""

from __future__ import annotations

import tensorflow as tf
from keras import ops

from blogcode import checks

__all__ = ["keras2_switch", "graph_mode_update", "pitfall_counts"]


def keras2_switch(condition, then_expression, else_expression):
    """Keras 2's ``K.switch`` for a scalar condition: ``tf.compat.v1.cond``.

    A branch given as a tensor is wrapped into a function that returns it;
    the tensor (and every op it depends on) was created before this call.
    """
    if condition.dtype != tf.bool:
        condition = tf.cast(condition, tf.bool)

    def as_function(branch):
        return branch if callable(branch) else (lambda: branch)

    return tf.compat.v1.cond(condition, as_function(then_expression), as_function(else_expression))


def graph_mode_update(condition: bool, update_created: str, runs: int = 1) -> dict:
    """Build ``switch(cond, update(p, p - 0.5), p)`` in a TF1-style graph and run it.

    ``update_created="outside"`` creates the ``assign_sub`` op first and passes
    the tensor, as the 2019 optimizer did with ``K.update``; ``"inside"``
    passes a function that creates it, so it belongs to the branch. The graph
    is run ``runs`` times with ``condition`` fed to a placeholder, starting
    from ``p = 1``. Returns ``{"p after": value, "update ops run": k}``, where
    ``k`` is how many times the assignment executed.
    """
    condition = checks.boolean(condition, "condition")
    update_created = checks.one_of(update_created, "update_created", ("outside", "inside"))
    runs = checks.positive_int(runs, "runs")
    graph = tf.Graph()
    with graph.as_default():
        is_update_step = tf.compat.v1.placeholder(tf.bool, shape=(), name="is_update_step")
        p = tf.compat.v1.Variable(1.0, name="p")
        if update_created == "outside":
            updated = tf.compat.v1.assign_sub(p, 0.5)   # created now, before the conditional
            result = keras2_switch(is_update_step, updated, p.read_value())
        else:
            result = keras2_switch(is_update_step, lambda: tf.compat.v1.assign_sub(p, 0.5),
                                   lambda: p.read_value())
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            for _ in range(runs):
                session.run(result, feed_dict={is_update_step: condition})
            p_after = float(session.run(p.read_value()))
    # Each executed assignment subtracted 0.5 from p = 1.
    return {"p after": p_after, "update ops run": round((1.0 - p_after) / 0.5)}


def pitfall_counts(condition: bool, select_with: str) -> dict:
    """Run both candidate results of a condition inside one ``tf.function`` and
    count, with a variable as side effect, how often each branch executed.

    ``select_with="where"`` computes both results and then selects one
    (``keras.ops.where``, like Keras 2's ``K.switch``); ``select_with="cond"``
    uses ``keras.ops.cond`` (``tf.cond``), which executes only the chosen branch.
    Returns ``{"update branch": k, "keep branch": m, "result": value}``.
    """
    select_with = checks.one_of(select_with, "select_with", ("where", "cond"))
    condition = checks.boolean(condition, "condition")
    update_runs = tf.Variable(0, dtype=tf.int32)
    keep_runs = tf.Variable(0, dtype=tf.int32)
    weight = tf.Variable(1.0)

    def update_branch():
        update_runs.assign_add(1)        # the side effect we count
        return weight - 0.5

    def keep_branch():
        keep_runs.assign_add(1)
        return tf.identity(weight)

    @tf.function
    def step(cond):
        if select_with == "where":
            new = update_branch()
            old = keep_branch()
            return ops.where(cond, new, old)
        return ops.cond(cond, update_branch, keep_branch)

    result = step(tf.constant(bool(condition)))
    return {"update branch": int(update_runs.numpy()), "keep branch": int(keep_runs.numpy()),
            "result": float(result.numpy())}
