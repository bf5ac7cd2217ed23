"""Unit tests of blogcode.bidecoder.poem_experiments and blogcode.bidecoder.bleu (chapter: seq2seq
with bidirectional decoding): the pseudo-label arrays, the teacher-forced losses, the model copy,
the saturation measure, and the real quatrain task."""

import math

import numpy as np
import pytest

from blogcode.bidecoder.beam_search import START
from blogcode.bidecoder.poem_experiments import (LINE, copy_model, couplet_task, greedy_targets, head_saturation,
                                                 pseudo_arrays, teacher_forced_losses)
from tests.bidecoder.toys import tiny_data, tiny_model


def test_pseudo_arrays_build_start_prefixed_inputs():
    vocab, arrays = tiny_data(4)
    targets = {"l2r": [[5, 6], [7], [5, 5, 5, 5, 5, 5, 5, 5], []], "r2l": [[6, 5], [7], [4], [4, 4]]}
    out = pseudo_arrays(arrays, targets)
    width = arrays["l2r_in"].shape[1]
    assert out["l2r_partner"].shape == (4, width)
    assert out["l2r_partner"][0, :4].tolist() == [START, 5, 6, 0]
    assert out["l2r_partner"][2].tolist() == [START] + [5] * (width - 1)  # cut to the width
    assert out["l2r_partner"][3].tolist() == [START] + [0] * (width - 1)
    assert out["r2l_partner"][0, :3].tolist() == [START, 6, 5]
    assert out["l2r_in"] is arrays["l2r_in"] and "l2r_partner" not in arrays
    with pytest.raises(ValueError, match="targets"):
        pseudo_arrays(arrays, {"l2r": targets["l2r"]})
    with pytest.raises(TypeError, match="targets"):
        pseudo_arrays(arrays, [1, 2])


def test_greedy_targets_are_each_directions_greedy_output():
    vocab, arrays = tiny_data(6)
    model = tiny_model(vocab, "none")
    found = greedy_targets(model, arrays["source"], 6, batch_size=4)  # two chunks
    whole = greedy_targets(model, arrays["source"], 6, batch_size=64)
    assert found == whole and len(found["l2r"]) == len(found["r2l"]) == 6
    assert all(len(t) <= 6 for d in found for t in found[d])
    with pytest.raises(ValueError, match="step_fn"):
        greedy_targets(tiny_model(vocab, "causal"), arrays["source"], 6)


def test_teacher_forced_losses_and_copy_model():
    vocab, arrays = tiny_data(10)
    model = tiny_model(vocab, "causal")
    losses = teacher_forced_losses(model, arrays, batch_size=3)
    assert set(losses) == {"l2r", "r2l"} and all(np.isfinite(list(losses.values())))
    # a fresh model's loss is near log(vocabulary)
    assert abs(losses["l2r"] - math.log(len(vocab))) < 1.0
    assert teacher_forced_losses(model, arrays, batch_size=100) == pytest.approx(losses, rel=1e-5)
    twin = copy_model(model, arrays)
    assert twin is not model and twin.get_config() == model.get_config()
    assert teacher_forced_losses(twin, arrays) == pytest.approx(losses, rel=1e-5)
    with pytest.raises(TypeError, match="model"):
        copy_model("model", arrays)


def test_head_saturation_tells_a_saturated_tanh_head():
    vocab, arrays = tiny_data(8)
    model = tiny_model(vocab, "none")
    model(tuple(arrays[k][:1] for k in ("source", "l2r_in", "r2l_in")))
    assert 0.0 <= head_saturation(model, arrays) < 0.5
    kernel, bias = model.hidden.get_weights()
    model.hidden.set_weights([kernel, bias + 50.0])  # huge inputs: every tanh unit at +1
    assert head_saturation(model, arrays) == 1.0
    with pytest.raises(ValueError, match="rows"):
        head_saturation(model, arrays, rows=0)


def test_couplet_task_on_the_real_quatrains():
    task = couplet_task(50, min_count=5, n_train=2000)
    assert len(task["test"]) == 50 and len(task["train"]) == 2000 and task["poems"] > 80000
    assert all(len(t) == len(s) == 2 * LINE for t, s in task["train"] + task["test"])
    assert not set(task["test"]) & set(task["train"])
    assert task["train_arrays"]["source"].shape == (2000, 2 * LINE)
    assert task["test_arrays"]["l2r_out"].shape == (50, 2 * LINE + 1)
    again = couplet_task(50, min_count=5, n_train=2000)
    assert again["test"] == task["test"]   # a fixed split
    with pytest.raises(ValueError, match="n_test"):
        couplet_task(0)


def test_the_couplets_run_with_its_small_settings():
    from blogcode.bidecoder.poem_experiments import COUPLETS_FAST, couplets

    result = couplets(COUPLETS_FAST, lambda items, desc=None: items)
    scores = result["per_seed"][0]["decoders"]
    assert len(scores) == 9 and all(0.0 <= s["bleu"] <= 1.0 for s in scores.values())
    assert set(result["per_seed"][0]["test_loss"]) == {"none", "causal", "pseudo", "gold"}
    assert len(result["examples"]) == COUPLETS_FAST["examples"] and 0.0 <= result["tanh_head"]["saturation"] <= 1.0
