"""Unit tests of blogcode.dgcnn.experiments (chapter: DGCNN): the training run's settings
and the receptive field measured by gradient."""

import numpy as np
import pytest

from blogcode.dgcnn.experiments import (CHANGES, RATE_SCHEDULES, changes, influence_rows, sentence_data,
                                        train_dgcnn)
from blogcode.dgcnn.inputs import training_arrays
from blogcode.dgcnn.metric import sogou_score
from blogcode.dgcnn.questions import article_of
from blogcode.dgcnn.layers import DilatedGatedConv1D
from blogcode.dgcnn.model import build_dgcnn, receptive_field_width, uses_features
from tests.dgcnn.toys import GOOD, NAN, tiny_dgcnn


def test_influence_rows_fill_the_receptive_field_after_every_block():
    rates = [1, 2, 4]
    rows = influence_rows(rates, length=41, channels=4)
    assert rows.shape == (3, 41)
    for depth, row in enumerate(rows, 1):
        moved = np.flatnonzero(row > 0)
        half = (receptive_field_width(rates[:depth]) - 1) // 2
        assert moved.min() == 20 - half and moved.max() == 20 + half and len(moved) == 2 * half + 1
    np.testing.assert_array_equal(rows, influence_rows(rates, length=41, channels=4))  # seeded
    for bad, error in (([], ValueError), ([1, 0], ValueError), ([1.0], TypeError)):
        with pytest.raises(error, match="rates"):
            influence_rows(bad)
    with pytest.raises(TypeError, match="length"):
        influence_rows([1], length=4.0)


@pytest.mark.parametrize("kwargs, error, word", [
    ({"epochs": 1.0}, TypeError, "epochs"), ({"epochs": 0}, ValueError, "epochs"),
    ({"batch_size": True}, TypeError, "batch_size"), ({"learning_rate": NAN}, ValueError, "learning_rate"),
    ({"learning_rate": -1e-3}, ValueError, "learning_rate"), ({"ema_momentum": 1.0}, ValueError, "momentum"),
    ({"question_maxlen": 8.0}, TypeError, "question_maxlen"), ({"log": "print"}, TypeError, "log")])
def test_train_dgcnn_rejects_bad_settings(kwargs, error, word):
    settings = {"question_maxlen": 8, "passage_maxlen": 8, "epochs": 1, **kwargs}
    with pytest.raises(error, match=word):
        train_dgcnn(tiny_dgcnn(), None, None, GOOD, None, **settings)


TINY = dict(seeds=[3, 4], configs=["release", "with features"], train_questions=12, dev_questions=5,
            hidden=8, question_maxlen=16, passage_maxlen=32, epochs=1, batch_size=32, learning_rate=1e-3,
            ema_momentum=0.9, examples=2, timing_repeats=1)

BAD_CALLS = [
    # (call, exception, argument named in the message)
    (lambda: train_dgcnn(None, None, None, GOOD, None, 8, 8, 1), TypeError, "model"),
    (lambda: sentence_data(dev_questions=2.0), TypeError, "dev_questions"),
    (lambda: sentence_data(seed=-1), ValueError, "seed"),
    (lambda: sentence_data(dev_every=1), ValueError, "dev_every"),
    (lambda: changes([], None), TypeError, "settings"),
    (lambda: changes({k: v for k, v in TINY.items() if k != "hidden"}, None), ValueError, "hidden"),
    (lambda: changes({**TINY, "seeds": []}, None), ValueError, "seeds"),
    (lambda: changes({**TINY, "seeds": 3}, None), TypeError, "seeds"),
    (lambda: changes({**TINY, "seeds": [3, 3]}, None), ValueError, "seeds"),
    (lambda: changes({**TINY, "seeds": [1.5]}, None), TypeError, "seeds"),
    (lambda: changes({**TINY, "epochs": 0}, None), ValueError, "epochs"),
    (lambda: changes({**TINY, "train_questions": "all"}, None), TypeError, "train_questions"),
    (lambda: changes({**TINY, "learning_rate": -1.0}, None), ValueError, "learning_rate"),
    (lambda: changes({**TINY, "ema_momentum": 1.0}, None), ValueError, "ema_momentum"),
    (lambda: changes({**TINY, "configs": ["release", "bigger"]}, None), ValueError, r"configs'\]\[1\]"),
    (lambda: changes({**TINY, "configs": ["undilated"]}, None), ValueError, "release"),
    (lambda: changes({**TINY, "configs": "release"}, None), TypeError, "configs"),
    (lambda: changes({**TINY, "timing_repeats": 0}, None), ValueError, "timing_repeats"),
    (lambda: sentence_data(train_questions=0), ValueError, "train_questions"),
    (lambda: sentence_data(segmenter="spaces"), ValueError, "segmenter"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(call, error, word):
    with pytest.raises(error, match=word):
        call()


def test_rate_schedules_differ_only_in_reach():
    (q_dilated, p_dilated), (q_flat, p_flat) = RATE_SCHEDULES["dilated"], RATE_SCHEDULES["undilated"]
    assert len(q_dilated) == len(q_flat) and len(p_dilated) == len(p_flat)
    assert [receptive_field_width(r) for r in (p_dilated, p_flat)] == [65, 13]


def test_sentence_data_splits_and_fits_the_encoder_on_training_text():
    train, dev, encoder, word_dim = sentence_data(train_questions=10, dev_questions=4)
    assert len(train) == 10 and len(dev) == 4 and word_dim == 100
    assert not {article_of(r) for r in train} & {article_of(r) for r in dev}   # split by article
    assert encoder.vocab_size > 2 and encoder.segmenter == "jieba"
    again = sentence_data(train_questions=10, dev_questions=4)
    assert [r["id"] for r in again[0]] == [r["id"] for r in train]      # the questions are seeded


def test_changes_run_pairs_every_model_with_the_release_per_seed():
    out = changes(dict(TINY), lambda items, desc=None: items)
    _, dev_records, _, _ = sentence_data(TINY["train_questions"], TINY["dev_questions"])
    assert out["data"]["train_questions"] == 12 and out["data"]["dev_questions"] == len(out["dev"]) == 5
    assert 0 <= out["data"]["answer beyond 32"] <= out["data"]["answer beyond 6"] <= 1
    assert [r["seed"] for r in out["per_seed"]] == [3, 4]
    refs = {d["id"]: d["references"] for d in out["dev"]}
    for row in out["per_seed"]:
        for config in TINY["configs"]:
            run = row[config]
            assert len(run["history"]["final"]) == 1 and len(run["predictions"]) == 5 and len(run["votes"]) == 2
            # the recorded score is the metric of the recorded predictions, and the last epoch's
            score = sogou_score(dict(zip(refs, run["predictions"])), refs)
            assert score == pytest.approx(tuple(run["score"][k] for k in ("accuracy", "f1", "final")))
            assert run["score"]["final"] == pytest.approx(run["history"]["final"][-1])
    for config in TINY["configs"][1:]:
        leads = [r[config]["score"]["final"] - r["release"]["score"]["final"] for r in out["per_seed"]]
        assert out["summary"][config]["lead over release"]["mean"] == pytest.approx(np.mean(leads))
    # the first seed's release keeps what the error explorer needs, for the first `examples` questions
    analysis = out["per_seed"][0]["release"]["analysis"]
    assert list(analysis) == [d["id"] for d in out["dev"][:2]] and "analysis" not in out["per_seed"][1]["release"]
    for rid, item in analysis.items():
        assert [p["passage"] for p in item["passages"]] == [p["passage"][:32] for p in next(
            r for r in dev_records if r["id"] == rid)["passages"]]
        assert all(np.shape(p["probs"]) == (len(p["passage"]), 2) for p in item["passages"])
    assert [t["seed"] for t in out["timing"]] == [3, 4]
    for t in out["timing"]:
        seconds = t["seconds per question"]
        assert t["ratio"] == pytest.approx(seconds["with features"] / seconds["release"]) and min(seconds.values()) > 0
    assert out["summary"]["prediction time ratio"]["mean"] == pytest.approx(np.mean([t["ratio"] for t in out["timing"]]))


def test_every_change_builds_a_different_model_from_the_release():
    assert set(CHANGES) == {"release", "with features", "with position embedding", "gate noise", "undilated"}
    assert CHANGES["release"] == {}
    assert all(options for name, options in CHANGES.items() if name != "release")
    # each change, as the recorded run builds it, differs from the release in what it names
    def described(options):
        model = build_dgcnn(30, word_dim=4, hidden=8, max_length=32, **options)
        blocks = [layer for layer in model.layers if isinstance(layer, DilatedGatedConv1D)]
        return {"features": uses_features(model),
                "position": any(layer.name == "position_embedding" for layer in model.layers),
                "gates": {(b.gate_dropout, b.gate_noise) for b in blocks},
                "rates": [b.dilation_rate for b in blocks]}

    release = described(CHANGES["release"])
    assert release == {"features": False, "position": False, "gates": {(0.1, 0.0)}, "rates": [1, 2, 1, 1, 2, 4, 8, 16, 1]}
    differences = {name: {k for k, v in described(options).items() if v != release[k]}
                   for name, options in CHANGES.items() if name != "release"}
    assert differences == {"with features": {"features"}, "with position embedding": {"position"},
                           "gate noise": {"gates"}, "undilated": {"rates"}}


def test_train_dgcnn_refuses_inputs_that_do_not_match_the_model():
    train, dev, encoder, dim = sentence_data(train_questions=4, dev_questions=2)
    inputs, labels = training_arrays(train, encoder, 16, 32)
    model = tiny_dgcnn(vocab_size=encoder.vocab_size, word_dim=dim, features=8)
    with pytest.raises(ValueError, match="features"):
        train_dgcnn(model, inputs, labels, dev, encoder, 16, 32, epochs=1, log=None)
