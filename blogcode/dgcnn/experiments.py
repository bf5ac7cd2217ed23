"""The chapter's experiments: training DGCNN with dev scores after every epoch, measuring
receptive fields by gradient, and the recorded comparison of the release's changes.

Chapter: "DGCNN, a convolutional reading-comprehension model" (article 6906,
book/dgcnn.md). The model is :func:`blogcode.dgcnn.model.build_dgcnn`; the loss and the
weight average are in :mod:`blogcode.dgcnn.training`; the decoding and the Sogou metric
in :mod:`blogcode.dgcnn.metric`. ``changes`` is the recorded full run (``blogcode.runs``,
``results/dgcnn/changes.json``): the 2019 release against the 2018 model's features,
position embedding and gate noise, and against no dilation, on the sentence cloze of
:mod:`blogcode.dgcnn.questions`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import keras
import numpy as np

from blogcode import checks, set_seed
from blogcode.checks import positive_int
from blogcode.dgcnn.data import CharWordEncoder, load_qa_records, word_vector_index
from blogcode.dgcnn.features import N_FEATURES
from blogcode.dgcnn.inputs import training_arrays
from blogcode.dgcnn.layers import DilatedGatedConv1D
from blogcode.dgcnn.metric import answer_questions, reference_answers, sogou_score
from blogcode.dgcnn.model import build_dgcnn, input_influence, uses_features
from blogcode.dgcnn.questions import build_sentence_questions, evidence_distance, split_by_article
from blogcode.dgcnn.training import WeightEMA, focal_loss
from blogcode.optimizers.radam import RAdam
from blogcode.runs import experiment
from blogcode.stats import seed_spread

__all__ = ["train_dgcnn", "influence_rows", "sentence_data", "RATE_SCHEDULES", "CHANGES",
           "prediction_seconds", "changes"]

# The two encoders compared by ``dilation``: (question rates, passage rates). Same
# number of blocks, hence the same parameters; receptive fields 65 and 13 characters.
RATE_SCHEDULES = {"dilated": ((1, 2, 1), (1, 2, 4, 8, 16, 1)), "undilated": ((1, 1, 1), (1, 1, 1, 1, 1, 1))}


def train_dgcnn(model, train_inputs, train_labels, dev_records, encoder, question_maxlen: int,
                passage_maxlen: int, epochs: int, batch_size: int = 32, learning_rate: float = 1e-3,
                ema_momentum: float = 0.999, log=print):
    """Train with RAdam and the focal loss, keep an EMA of the weights, and after every
    epoch score the dev records on the *averaged* weights (the raw weights are put back
    before training goes on). Returns ``(history, ema)``; ``history`` has per-epoch
    ``loss``, ``accuracy``, ``f1``, ``final`` and ``seconds``."""
    checks.instance_of(model, "model", keras.Model)
    question_maxlen = positive_int(question_maxlen, "question_maxlen")
    passage_maxlen = positive_int(passage_maxlen, "passage_maxlen")
    epochs = positive_int(epochs, "epochs")
    batch_size = positive_int(batch_size, "batch_size")
    learning_rate = checks.positive_real(learning_rate, "learning_rate")
    if log is not None:
        checks.instance_of(log, "log", Callable, "callable or None")
    ema = WeightEMA(ema_momentum)
    checks.instance_of(train_inputs, "train_inputs", (list, tuple), "a list of input arrays")
    if uses_features(model) != (len(train_inputs) == 5):
        raise ValueError("train_inputs must hold the passage features exactly when the model takes them "
                         "(training_arrays(..., features=uses_features(model)))")
    refs = reference_answers(dev_records)
    model.compile(optimizer=RAdam(learning_rate), loss=focal_loss(), jit_compile=False)
    history = {"loss": [], "accuracy": [], "f1": [], "final": [], "seconds": []}
    for epoch in range(epochs):
        began = time.perf_counter()
        fit = model.fit(train_inputs, train_labels, batch_size=batch_size, epochs=1,
                        callbacks=[ema], verbose=0)
        with ema.averaged():
            predictions, _ = answer_questions(model, dev_records, encoder, question_maxlen, passage_maxlen)
        accuracy, f1, final = sogou_score(predictions, refs)
        for key, value in zip(history, (fit.history["loss"][0], accuracy, f1, final,
                                        time.perf_counter() - began)):
            history[key].append(float(value))
        if log is not None:
            log(f"epoch {epoch + 1}/{epochs}: loss {history['loss'][-1]:.4f}, dev acc {accuracy:.3f}, "
                f"F1 {f1:.3f}, final {final:.3f} ({history['seconds'][-1]:.0f} s)")
    return history, ema


def influence_rows(rates, length: int = 101, channels: int = 8, seed: int = 0) -> np.ndarray:
    """Row l: ``|d output_centre / d input|`` (summed over channels) after the first
    l + 1 blocks of a stack of :class:`DilatedGatedConv1D` with random weights and
    the given dilation ``rates``; shape ``(len(rates), length)``."""
    rates = [positive_int(r, f"rates[{i}]") for i, r in enumerate(checks.nonempty(rates, "rates"))]
    length = positive_int(length, "length")
    channels = positive_int(channels, "channels")
    seed = checks.integer(seed, "seed", minimum=0)
    set_seed(seed)
    blocks = [DilatedGatedConv1D(channels, r) for r in rates]
    x = np.random.default_rng(seed).normal(size=(length, channels)).astype("float32")
    rows = []
    for depth in range(1, len(rates) + 1):
        stack = keras.Sequential([keras.Input((None, channels))] + blocks[:depth])
        rows.append(input_influence(stack, x, position=length // 2))
    return np.array(rows)


def _fitted_encoder(train_records, segmenter: str = "jieba") -> CharWordEncoder:
    texts = [r["question"] for r in train_records] + [p["passage"] for r in train_records for p in r["passages"]]
    return CharWordEncoder(min_count=2, segmenter=segmenter).fit(texts)


def sentence_data(train_questions=None, dev_questions=None, seed: int = 6906, dev_every: int = 3,
                  segmenter: str = "jieba"):
    """The recorded run's data: :func:`~blogcode.dgcnn.questions.build_sentence_questions`
    (``seed``) read back through the JSON loader, split by article
    (:func:`~blogcode.dgcnn.questions.split_by_article`: the questions of every
    ``dev_every``-th article are dev), the first ``train_questions`` / ``dev_questions``
    of each (``None``: all), and a :class:`CharWordEncoder` (``min_count=2``, words cut
    by ``segmenter``) fitted on the training questions and passages. Returns
    ``(train_records, dev_records, encoder, word_dim)``."""
    counts = [None if n is None else positive_int(n, name)
              for n, name in ((train_questions, "train_questions"), (dev_questions, "dev_questions"))]
    seed = checks.integer(seed, "seed", minimum=0)
    dev_every = checks.integer(dev_every, "dev_every", minimum=2)
    records = load_qa_records(json.dumps(build_sentence_questions(seed=seed), ensure_ascii=False))
    train_records, dev_records = split_by_article(records, dev_every=dev_every)
    train_records, dev_records = train_records[:counts[0]], dev_records[:counts[1]]
    _, word_dim = word_vector_index()
    return train_records, dev_records, _fitted_encoder(train_records, segmenter), word_dim


# The release (2019) and, each differing from it in one respect, the 2018 model's choices
# and no dilation: keyword arguments of build_dgcnn.
CHANGES = {
    "release": {},
    "with features": {"features": N_FEATURES},
    "with position embedding": {"position_dim": 16},
    "gate noise": {"gate_dropout": 0.0, "gate_noise": 0.1},
    "undilated": {"question_rates": RATE_SCHEDULES["undilated"][0], "passage_rates": RATE_SCHEDULES["undilated"][1]},
}

_CHANGES_KEYS = ("seeds", "configs", "train_questions", "dev_questions", "hidden", "question_maxlen", "passage_maxlen",
                 "epochs", "batch_size", "learning_rate", "ema_momentum", "examples", "timing_repeats")


def _changes_settings(settings) -> dict:
    checks.instance_of(settings, "settings", dict)
    missing = sorted(set(_CHANGES_KEYS) - set(settings))
    if missing:
        raise ValueError(f"settings lacks {missing}")
    seeds = [checks.integer(s, f"settings['seeds'][{i}]", minimum=0)
             for i, s in enumerate(checks.nonempty(checks.instance_of(settings["seeds"], "settings['seeds']", list),
                                                   "settings['seeds']"))]
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"settings['seeds'] repeats a seed: {seeds}")
    configs = checks.nonempty(checks.instance_of(settings["configs"], "settings['configs']", list), "settings['configs']")
    for i, name in enumerate(configs):
        checks.one_of(name, f"settings['configs'][{i}]", tuple(CHANGES))
    if configs[0] != "release":
        raise ValueError("settings['configs'] must start with 'release' (the others are measured against it)")
    out = {"seeds": seeds, "configs": list(configs),
           "learning_rate": checks.positive_real(settings["learning_rate"], "settings['learning_rate']"),
           "ema_momentum": checks.real(settings["ema_momentum"], "settings['ema_momentum']", minimum=0.0,
                                       maximum=1.0, exclusive_maximum=True)}
    for key in ("hidden", "question_maxlen", "passage_maxlen", "epochs", "batch_size", "examples", "timing_repeats"):
        out[key] = positive_int(settings[key], f"settings[{key!r}]")
    for key in ("train_questions", "dev_questions"):
        out[key] = None if settings[key] is None else positive_int(settings[key], f"settings[{key!r}]")
    return out


def _analysis(detail: dict) -> dict:
    """One question's ``answer_questions`` details, as JSON: per passage its text, the
    start/end probabilities (4 decimals) and the candidate spans' scores; the votes."""
    return {"passages": [{"passage": p["passage"], "probs": np.round(np.asarray(p["probs"], float), 4).tolist(),
                          "candidates": {a: float(v) for a, v in p["candidates"].items()}} for p in detail["passages"]],
            "votes": [[a, float(v)] for a, v in detail["votes"].items()]}


def prediction_seconds(model, records, encoder, question_maxlen: int, passage_maxlen: int) -> float:
    """Wall seconds of :func:`~blogcode.dgcnn.metric.answer_questions` over ``records``:
    encoding (and the hand-crafted features, if the model takes them), the model, decoding."""
    began = time.perf_counter()
    answer_questions(model, records, encoder, question_maxlen, passage_maxlen)
    return time.perf_counter() - began


@experiment(chapter="dgcnn", name="changes",
            full=dict(seeds=[6906, 1, 2], configs=list(CHANGES), train_questions=None, dev_questions=None, hidden=64,
                      question_maxlen=64, passage_maxlen=128, epochs=3, batch_size=32, learning_rate=1e-3,
                      ema_momentum=0.999, examples=12, timing_repeats=3),
            fast=dict(seeds=[6906], configs=["release", "with features"], train_questions=40, dev_questions=12,
                      hidden=16, question_maxlen=48, passage_maxlen=64, epochs=1, batch_size=32, learning_rate=1e-3,
                      ema_momentum=0.99, examples=4, timing_repeats=1),
            rtol=0.0, atol=0.05, compare=("summary",))
def changes(settings: dict, progress) -> dict:
    """The release's changes measured on the sentence cloze (:func:`sentence_data`): each
    model of :data:`CHANGES` named in ``settings["configs"]`` (the release first), once per
    seed; all models of a seed start from the same random state and see the same batches.
    Each is trained by :func:`train_dgcnn` and scored on the dev questions (official
    metric, averaged weights) after every epoch; the release and the model with features
    are then timed answering the dev questions (:func:`prediction_seconds`, best of
    ``timing_repeats``, the two alternating).

    Returns ``data`` (sizes, and the share of dev questions whose answer sits more than 6
    and more than 32 characters from the nearest piece of the question:
    :func:`~blogcode.dgcnn.questions.evidence_distance`; 6 and 32 are the undilated and
    dilated passage encoders' reach to either side), ``dev`` (id, question, reference
    answers), ``per_seed`` (per model: ``history``, ``score``, every dev ``prediction``,
    the three best votes of the first ``examples`` dev questions; for the first seed's
    release also ``analysis``: those questions' passages with their start/end
    probabilities and candidate spans, for the error explorer), ``timing`` (seconds per
    dev question with and without features, per seed) and ``summary``: mean, std, min and
    max over the seeds of each model's accuracy, F1 and final score and of its lead over
    the release in the final score, and of the prediction-time ratio."""
    settings = _changes_settings(settings)
    train_records, dev_records, encoder, word_dim = sentence_data(settings["train_questions"], settings["dev_questions"])
    qlen, plen = settings["question_maxlen"], settings["passage_maxlen"]
    arrays = {False: training_arrays(train_records, encoder, qlen, plen, features=False)}
    if any("features" in CHANGES[c] for c in settings["configs"]):
        arrays[True] = training_arrays(train_records, encoder, qlen, plen, features=True)
    refs = reference_answers(dev_records)
    dev_ids = [r["id"] for r in dev_records if r["id"] in refs]
    dev = [{"id": r["id"], "question": r["question"], "references": refs[r["id"]]}
           for r in dev_records if r["id"] in refs]
    distances = [evidence_distance(r) for r in dev_records if r["id"] in refs]
    per_seed, timing = [], []
    for seed, config in progress([(s, c) for s in settings["seeds"] for c in settings["configs"]], desc="seed x model"):
        if not per_seed or per_seed[-1]["seed"] != seed:
            per_seed.append({"seed": seed})
            models = {}
        set_seed(seed)  # the same random state and batch order for every model of a seed
        options = CHANGES[config]
        model = build_dgcnn(encoder.vocab_size, word_dim=word_dim, hidden=settings["hidden"], max_length=plen,
                            name="dgcnn_" + config.replace(" ", "_"), **options)
        train_inputs, train_labels = arrays["features" in options]
        history, ema = train_dgcnn(model, train_inputs, train_labels, dev_records, encoder, qlen, plen,
                                   epochs=settings["epochs"], batch_size=settings["batch_size"],
                                   learning_rate=settings["learning_rate"],
                                   ema_momentum=settings["ema_momentum"], log=None)
        with ema.averaged():
            predictions, details = answer_questions(model, dev_records, encoder, qlen, plen)
        accuracy, f1, final = sogou_score({i: predictions[i] for i in dev_ids}, refs)
        per_seed[-1][config] = {
            "history": history, "score": {"accuracy": accuracy, "f1": f1, "final": final},
            "predictions": [predictions[i] for i in dev_ids],
            "votes": [[[a, float(s)] for a, s in list(details[i]["votes"].items())[:3]]
                      for i in dev_ids[:settings["examples"]]]}
        models[config] = model
        if config == "release" and len(per_seed) == 1:   # what the chapter's error explorer shows
            per_seed[-1]["release"]["analysis"] = {i: _analysis(details[i]) for i in dev_ids[:settings["examples"]]}
        if "with features" in models and "release" in models and config == "with features":
            best = {"release": float("inf"), "with features": float("inf")}
            for name in best:  # once untimed: the first predict traces the model
                prediction_seconds(models[name], dev_records[:8], encoder, qlen, plen)
            for _ in range(settings["timing_repeats"]):
                for name in best:
                    best[name] = min(best[name], prediction_seconds(models[name], dev_records, encoder, qlen, plen))
            timing.append({"seed": seed, "seconds per question": {k: v / len(dev_records) for k, v in best.items()},
                           "ratio": best["with features"] / best["release"]})
    summary = {config: {metric: seed_spread([r[config]["score"][metric] for r in per_seed])
                        for metric in ("accuracy", "f1", "final")} for config in settings["configs"]}
    for config in settings["configs"][1:]:
        summary[config]["lead over release"] = seed_spread(
            [r[config]["score"]["final"] - r["release"]["score"]["final"] for r in per_seed])
    if timing:
        summary["prediction time ratio"] = seed_spread([t["ratio"] for t in timing])
    known = [d for d in distances if d is not None]
    data = {"train_questions": len(train_records), "dev_questions": len(dev),
            "train_pairs": int(len(arrays[False][1])), "vocab_size": encoder.vocab_size,
            "answer beyond 6": sum(d > 6 for d in known) / max(len(known), 1),
            "answer beyond 32": sum(d > 32 for d in known) / max(len(known), 1),
            "no evidence": distances.count(None) / max(len(distances), 1)}
    return {"data": data, "dev": dev, "per_seed": per_seed, "timing": timing, "summary": summary}
