"""DGCNN's answers and their score: span decoding, voting across passages, the Sogou metric.

Chapter: "DGCNN, a convolutional reading-comprehension model" (article 6906). The model
and its training are in :mod:`blogcode.dgcnn`, which re-exports every name of this module.

* decoding: :func:`decode_spans` (start x end inside one passage), :func:`vote` (across
  passages), :func:`best_answer`, :func:`answer_questions` (a model over records),
  :func:`reference_answers` and :func:`probability_window` (for the chapter's figures);
* the Sogou metric: :func:`normalize_answer`, :func:`char_f1`, :func:`sogou_score`.
"""

from __future__ import annotations

import unicodedata
from collections import Counter

import numpy as np

from blogcode import checks
from blogcode.checks import positive_int

__all__ = [
    "decode_spans",
    "vote",
    "best_answer",
    "answer_questions",
    "reference_answers",
    "probability_window",
    "normalize_answer",
    "char_f1",
    "sogou_score",
]


def _threshold(value) -> float:
    return checks.real(value, "threshold", minimum=0.0, maximum=1.0, exclusive_maximum=True)


# --------------------------------------------------------------------------- decoding


def _probabilities(values, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype="float64")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one probability per character), got shape {arr.shape}")
    if np.isnan(arr).any() or (arr < 0).any() or (arr > 1).any():
        raise ValueError(f"{name} must hold probabilities in [0, 1] without NaN")
    return arr


def decode_spans(start_probs, end_probs, passage: str, max_span: int = 12,
                 threshold: float = 0.1) -> dict[str, float]:
    """Candidate answers of one passage: every span ``i..j`` with ``j - i < max_span``
    and both probabilities above ``threshold`` scores ``start[i] * end[j]``; a string
    that occurs several times keeps its best score. Returns ``{answer: score}``, best
    first."""
    start = _probabilities(start_probs, "start_probs")
    end = _probabilities(end_probs, "end_probs")
    if start.shape != end.shape:
        raise ValueError(f"start_probs and end_probs differ in length: {start.shape} vs {end.shape}")
    checks.string(passage, "passage")
    max_span = positive_int(max_span, "max_span")
    threshold = _threshold(threshold)
    n = min(len(passage), len(start))
    scores: dict[str, float] = {}
    for i in np.flatnonzero(start[:n] > threshold):
        for j in range(i, min(i + max_span, n)):
            if end[j] > threshold:
                text, score = passage[i:j + 1], float(start[i] * end[j])
                scores[text] = max(score, scores.get(text, 0.0))
    return dict(sorted(scores.items(), key=lambda kv: -kv[1]))


def vote(passage_scores, squared: bool = True) -> dict[str, float]:
    """Combine the candidates of several passages: ``s_a = sum_i s_{a,i}^2 / (1 + sum_i
    s_{a,i})`` (``squared=False``: plain ``sum_i s_{a,i}``). Returns ``{answer: score}``,
    best first."""
    checks.instance_of(passage_scores, "passage_scores", (list, tuple), "a list of dicts")
    squared = checks.boolean(squared, "squared")
    sums, squares = Counter(), Counter()
    for k, scores in enumerate(passage_scores):
        checks.instance_of(scores, f"passage_scores[{k}]", dict, "a dict answer -> score")
        for answer, s in scores.items():
            checks.string(answer, f"passage_scores[{k}] key")
            s = checks.probability(s, f"passage_scores[{k}][{answer!r}]")
            sums[answer] += s
            squares[answer] += s * s
    combined = {a: (squares[a] / (1 + sums[a]) if squared else sums[a]) for a in sums}
    return dict(sorted(combined.items(), key=lambda kv: -kv[1]))


def best_answer(scores: dict[str, float]) -> str:
    """The top answer of :func:`vote`, or ``""`` when no span passed the threshold."""
    return next(iter(checks.instance_of(scores, "scores", dict, "a dict answer -> score")), "")


def answer_questions(model, records, encoder, question_maxlen: int, passage_maxlen: int,
                     max_span: int = 12, threshold: float = 0.1, batch_size: int = 256):
    """Run ``model`` on every (question, passage) pair of ``records`` and decode.
    ``encoder.encode(texts, maxlen)`` returns ``(char_ids, word_vectors)``. Returns
    ``(predictions, details)``: ``{id: answer}`` and, per id, the passages'
    probabilities and candidates (for error analysis)."""
    records = checks.nonempty(records, "records")
    if not callable(getattr(encoder, "encode", None)):
        raise TypeError(f"encoder must have an encode(texts, maxlen) method, got {type(encoder).__name__}")
    question_maxlen = positive_int(question_maxlen, "question_maxlen")
    passage_maxlen = positive_int(passage_maxlen, "passage_maxlen")
    max_span, threshold = positive_int(max_span, "max_span"), _threshold(threshold)
    batch_size = positive_int(batch_size, "batch_size")
    questions, passages, owners = [], [], []
    for r in records:
        for item in r["passages"]:
            questions.append(r["question"])
            passages.append(item["passage"])
            owners.append(r["id"])
    qc, qw = encoder.encode(questions, question_maxlen)
    pc, pw = encoder.encode(passages, passage_maxlen)
    probs = model.predict([qc, qw, pc, pw], batch_size=batch_size, verbose=0)
    per_id: dict = {}
    for k, (rid, text) in enumerate(zip(owners, passages)):
        text = text[:passage_maxlen]
        cands = decode_spans(probs[k, :len(text), 0], probs[k, :len(text), 1], text, max_span, threshold)
        per_id.setdefault(rid, []).append({"passage": text, "probs": probs[k, :len(text)], "candidates": cands})
    predictions, details = {}, {}
    for rid, items in per_id.items():
        scores = vote([it["candidates"] for it in items])
        predictions[rid] = best_answer(scores)
        details[rid] = {"passages": items, "votes": scores}
    return predictions, details


def reference_answers(records) -> dict:
    """``{id: [answers]}``: the distinct non-empty answers labelled in each record."""
    refs = {}
    for r in checks.nonempty(records, "records"):
        answers = sorted({p["answer"] for p in r["passages"] if p["answer"]})
        if answers:
            refs[r["id"]] = answers
    if not refs:
        raise ValueError("records: no record has a labelled answer")
    return refs


def probability_window(passage: str, probs, answer: str = "", width: int = 60) -> dict:
    """A window of ``width`` characters of ``passage`` for plotting ``probs`` (shape
    ``(length, 2)``: start, end), centred on the strongest start/end probability (or on
    the answer when the model marks nothing). Returns ``positions``, ``chars``,
    ``start``, ``end`` and ``in_answer`` (True on every occurrence of ``answer``)."""
    probs = np.asarray(probs, dtype="float64")
    if probs.ndim != 2 or probs.shape[1] != 2:
        raise ValueError(f"probs must have shape (length, 2), got {probs.shape}")
    checks.string(passage, "passage")
    checks.string(answer, "answer")
    width = positive_int(width, "width")
    n = min(len(passage), len(probs))
    if n == 0:
        raise ValueError("passage is empty")
    centre = int(np.argmax(probs[:n].sum(1))) if probs[:n].max() > 0 else max(passage.find(answer), 0) if answer else 0
    lo = max(0, min(centre - width // 2, n - width))
    hi = min(n, lo + width)
    in_answer = np.zeros(n, dtype=bool)
    k = passage.find(answer) if answer else -1
    while 0 <= k < n:
        in_answer[k:k + len(answer)] = True
        k = passage.find(answer, k + 1)
    return {"positions": np.arange(lo, hi), "chars": list(passage[lo:hi]), "start": probs[lo:hi, 0],
            "end": probs[lo:hi, 1], "in_answer": in_answer[lo:hi]}


# --------------------------------------------------------------------------- metric


def normalize_answer(text: str) -> str:
    """Sogou-style normalisation: full-width -> half-width, lower case, and no
    punctuation or whitespace."""
    checks.string(text, "text")
    out = []
    for ch in text:
        code = ord(ch)
        if code == 0x3000:
            ch = " "
        elif 0xFF01 <= code <= 0xFF5E:
            ch = chr(code - 0xFEE0)
        ch = ch.lower()
        if ch.isspace() or unicodedata.category(ch).startswith("P"):
            continue
        out.append(ch)
    return "".join(out)


def char_f1(prediction: str, reference: str) -> float:
    """Character-level F1 of two normalised strings (characters counted with multiplicity)."""
    checks.string(prediction, "prediction")
    checks.string(reference, "reference")
    common = sum((Counter(prediction) & Counter(reference)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(prediction), common / len(reference)
    return 2 * precision * recall / (precision + recall)


def sogou_score(predictions: dict, references: dict) -> tuple[float, float, float]:
    """Sogou's factoid-QA metric: ``(accuracy, f1, final)`` with ``final = (accuracy +
    f1) / 2``. ``references`` maps an id to a list of acceptable answers (aliases); a
    prediction is correct when its normalised form equals any normalised alias, and its
    F1 is the best char-F1 over the aliases. A missing prediction counts as ``""``."""
    checks.instance_of(predictions, "predictions", dict, "a dict id -> answer")
    checks.instance_of(references, "references", dict, "a dict id -> list of answers")
    if not references:
        raise ValueError("references is empty: nothing to score")
    unknown = set(predictions) - set(references)
    if unknown:
        raise ValueError(f"predictions has ids that references lacks, e.g. {sorted(map(str, unknown))[:3]}")
    correct = f1_total = 0.0
    for rid, aliases in references.items():
        checks.instance_of(aliases, f"references[{rid!r}]", (list, tuple), "a list of answers")
        if not aliases:
            raise ValueError(f"references[{rid!r}] must not be empty")
        for a in aliases:
            checks.string(a, f"references[{rid!r}] entry")
        prediction = checks.string(predictions.get(rid, ""), f"predictions[{rid!r}]")
        pred = normalize_answer(prediction)
        golds = [normalize_answer(a) for a in aliases]
        correct += float(any(pred == g for g in golds))
        f1_total += max(char_f1(pred, g) for g in golds)
    accuracy, f1 = correct / len(references), f1_total / len(references)
    return accuracy, f1, (accuracy + f1) / 2
