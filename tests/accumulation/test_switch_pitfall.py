"""Tests of blogcode.accumulation.switch_pitfall (chapter "Gradient accumulation")."""

import pytest
import tensorflow as tf

from blogcode.accumulation.switch_pitfall import graph_mode_update, keras2_switch, pitfall_counts


@pytest.mark.parametrize("created", ["outside", "inside"])
def test_update_step_runs_the_update(created):
    assert graph_mode_update(True, created, runs=2) == {"p after": 0.0, "update ops run": 2}


def test_op_created_outside_the_branch_runs_when_the_other_branch_is_taken():
    assert graph_mode_update(False, "outside", runs=3)["update ops run"] == 3


def test_op_created_inside_the_branch_does_not_run_when_not_taken():
    assert graph_mode_update(False, "inside", runs=3) == {"p after": 1.0, "update ops run": 0}


def test_keras2_switch_selects_by_a_scalar_condition():
    with tf.Graph().as_default():
        chosen = keras2_switch(tf.constant(0), tf.constant(1.0), lambda: tf.constant(2.0))
        with tf.compat.v1.Session() as session:
            assert session.run(chosen) == 2.0


@pytest.mark.parametrize("kwargs, error, name", [
    ({"condition": 1, "update_created": "inside"}, TypeError, "condition"),
    ({"condition": True, "update_created": "within"}, ValueError, "update_created"),
    ({"condition": True, "update_created": None}, TypeError, "update_created"),
    ({"condition": True, "update_created": "inside", "runs": 0}, ValueError, "runs"),
    ({"condition": True, "update_created": "inside", "runs": 1.0}, TypeError, "runs"),
])
def test_bad_input_names_the_argument(kwargs, error, name):
    with pytest.raises(error, match=name):
        graph_mode_update(**kwargs)


@pytest.mark.parametrize("condition", [True, False])
def test_where_runs_both_branches_cond_runs_one(condition):
    both = pitfall_counts(condition, "where")
    one = pitfall_counts(condition, "cond")
    assert (both["update branch"], both["keep branch"]) == (1, 1)
    assert (one["update branch"], one["keep branch"]) == ((1, 0) if condition else (0, 1))
    assert both["result"] == one["result"] == (0.5 if condition else 1.0)
    with pytest.raises(ValueError, match="select_with"):
        pitfall_counts(condition, "switch")


@pytest.mark.parametrize("call, err, word", [
    (lambda: pitfall_counts(1, "cond"), TypeError, "condition"),
    (lambda: pitfall_counts(True, None), TypeError, "select_with"),
], ids=["condition", "select_with"])
def test_pitfall_counts_rejects_bad_arguments(call, err, word):
    with pytest.raises(err, match=word):
        call()
