"""The model's inputs for every (question, passage) pair of a set of records, with or without the hand-crafted features.

Chapter: "DGCNN, a convolutional reading-comprehension model" (article 6906, book/dgcnn.md).
Training (:func:`training_arrays`) and answering (:func:`blogcode.dgcnn.metric.answer_questions`)
build their inputs here, so the two never differ.
"""

from __future__ import annotations

import numpy as np

from blogcode import checks
from blogcode.dgcnn.data import CharWordEncoder, label_spans
from blogcode.dgcnn.features import record_features

__all__ = ["pair_inputs", "training_arrays"]


def pair_inputs(records, encoder: CharWordEncoder, question_maxlen: int, passage_maxlen: int,
                features: bool = False):
    """``(inputs, pairs)``: ``inputs = [q_chars, q_words, p_chars, p_words]`` (plus the
    passage features ``(n, passage_maxlen, N_FEATURES)`` when ``features``), one row per
    (question, passage) pair in record order, and ``pairs``: ``(record id, passage text)``
    of each row."""
    records = checks.nonempty(records, "records")
    checks.instance_of(encoder, "encoder", CharWordEncoder)
    question_maxlen = checks.positive_int(question_maxlen, "question_maxlen")
    passage_maxlen = checks.positive_int(passage_maxlen, "passage_maxlen")
    features = checks.boolean(features, "features")
    questions, passages, pairs = [], [], []
    for r in records:
        for item in r["passages"]:
            questions.append(r["question"])
            passages.append(item["passage"])
            pairs.append((r.get("id"), item["passage"]))
    qc, qw = encoder.encode(questions, question_maxlen)
    pc, pw = encoder.encode(passages, passage_maxlen)  # also reads the vectors the features need
    inputs = [qc, qw, pc, pw]
    if features:
        inputs.append(np.stack([f for r in records
                                for f in record_features(r, encoder.words, encoder.vectors, passage_maxlen)]))
    return inputs, pairs


def training_arrays(records, encoder: CharWordEncoder, question_maxlen: int, passage_maxlen: int,
                    features: bool = False):
    """One example per (question, passage) pair: ``(inputs, labels)``, ``inputs`` from
    :func:`pair_inputs` and labels ``(n, passage_maxlen, 2)`` from :func:`label_spans`."""
    inputs, _ = pair_inputs(records, encoder, question_maxlen, passage_maxlen, features)
    labels = [label_spans(item["passage"], item["answer"], passage_maxlen) for r in records for item in r["passages"]]
    return inputs, np.stack(labels)
