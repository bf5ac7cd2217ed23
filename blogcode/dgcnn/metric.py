"""DGCNN's answers and their score: span decoding, voting across passages, the Sogou metric.

Chapter: "DGCNN, a convolutional reading-comprehension model" (article 6906, book/dgcnn.md).
The model is in :mod:`blogcode.dgcnn.model`, its training in :mod:`blogcode.dgcnn.experiments`.

* decoding: :func:`decode_spans` (start x end inside one passage), :func:`vote` (across
  passages), :func:`best_answer`, :func:`answer_questions` (a model over records),
  :func:`reference_answers` and :func:`probability_window` (for the chapter's figures);
* the Sogou metric, equal to the contest's official ``evaluate.py``: :data:`SOGOU_PUNCTUATION`,
  :func:`normalize_answer`, :func:`char_f1`, :func:`exact_match`, :func:`answer_f1`,
  :func:`sogou_score` (averaged over the submissions, or over the references).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from blogcode import checks
from blogcode.checks import positive_int
from blogcode.dgcnn.data import CharWordEncoder
from blogcode.dgcnn.inputs import pair_inputs
from blogcode.dgcnn.model import uses_features

__all__ = [
    "decode_spans",
    "vote",
    "best_answer",
    "answer_questions",
    "reference_answers",
    "probability_window",
    "SOGOU_PUNCTUATION",
    "normalize_answer",
    "char_f1",
    "exact_match",
    "answer_f1",
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
    """Run ``model`` on every (question, passage) pair of ``records`` and decode. The
    inputs are :func:`blogcode.dgcnn.inputs.pair_inputs`' (with the hand-crafted
    features if the model takes them). Returns ``(predictions, details)``: ``{id:
    answer}`` and, per id, the passages' probabilities and candidates (for error
    analysis)."""
    records = checks.nonempty(records, "records")
    checks.instance_of(encoder, "encoder", CharWordEncoder)
    question_maxlen = positive_int(question_maxlen, "question_maxlen")
    passage_maxlen = positive_int(passage_maxlen, "passage_maxlen")
    max_span, threshold = positive_int(max_span, "max_span"), _threshold(threshold)
    batch_size = positive_int(batch_size, "batch_size")
    inputs, pairs = pair_inputs(records, encoder, question_maxlen, passage_maxlen, features=uses_features(model))
    probs = model.predict(inputs, batch_size=batch_size, verbose=0)
    owners, passages = [rid for rid, _ in pairs], [text for _, text in pairs]
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

# The official punctuation list of the CIPS-SOGOU evaluation: the data file
# ``evaluate_tool/punctuation`` of github.com/bojone/dgcnn_for_reading_comprehension
# (commit ef08505), one character a line, read by that directory's ``string_tool.py``.
# The script strips every line, so its two lines holding an ASCII space add only the
# empty string; the space is removed as whitespace anyway. Written here as data, in the
# file's order; "\x7f" (DEL) and "\u3000" (ideographic space) are lines of the file too.
SOGOU_PUNCTUATION = frozenset(
    "`^~<=>|_-,;:!?/.'\"()[]{}@$*\\&#%+\x7f"
    "…‰※•—‖‘’“”№←↑→↓∴∨∵∶∩∈∑√∞≯≡≮≤≥≈≌⊥⊙⌒□◆◇◎●★☆♀♂"
    "¨°·§¤±\u3000、。〃々〈〉《》「」『』【】〓〔〕〖〗÷×′▲″△∠≠■ˇˉ"
    "￣￥＿！＄（），．：；？～﹑￠"
)

# The script is Python 2 on UTF-8 byte strings: ``str.lower``, ``str.strip`` and the
# regular expression ``\s`` see ASCII only. These are those ASCII rules.
_ASCII_BLANK = " \t\n\r\x0b\x0c"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_NO_BLANK = str.maketrans("", "", _ASCII_BLANK)
_PUNCT_TO_SPACE = str.maketrans({ch: " " for ch in SOGOU_PUNCTUATION})
_DENOMINATORS = ("submissions", "references")


def _halfwidth(text: str) -> str:
    """Full-width -> half-width as the script does: U+3000 -> space, U+FF01..U+FF5E -> ASCII."""
    return "".join(" " if ch == "\u3000" else chr(ord(ch) - 0xFEE0) if "\uff01" <= ch <= "\uff5e" else ch
                   for ch in text)


def normalize_answer(text: str) -> str:
    """The CIPS-SOGOU script's normalisation (its ``format_string``): full-width ->
    half-width, ASCII letters to lower case, every character of
    :data:`SOGOU_PUNCTUATION` to a space, then no ASCII whitespace. Nothing else: other
    Unicode punctuation, non-ASCII capitals and non-ASCII spaces are kept."""
    checks.string(text, "text")
    return _halfwidth(text).translate(_ASCII_LOWER).translate(_PUNCT_TO_SPACE).translate(_NO_BLANK)


def _parts(text: str) -> set[str]:
    """The script's multi-part view of an answer: punctuation to spaces, ASCII lower case,
    split on single spaces, each piece normalised (empty pieces give ``""``)."""
    return {normalize_answer(piece) for piece in text.translate(_PUNCT_TO_SPACE).translate(_ASCII_LOWER).split(" ")}


def _aliases(aliases, name: str) -> list[str]:
    checks.instance_of(aliases, name, (list, tuple), "a list of answers")
    if not aliases:
        raise ValueError(f"{name} must not be empty")
    for k, a in enumerate(aliases):
        checks.string(a, f"{name}[{k}]")
    return list(aliases)


def char_f1(prediction: str, reference: str) -> float:
    """Character-level F1 of two normalised strings (characters counted with multiplicity)."""
    checks.string(prediction, "prediction")
    checks.string(reference, "reference")
    common = sum((Counter(prediction) & Counter(reference)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(prediction), common / len(reference)
    return 2 * precision * recall / (precision + recall)


def exact_match(prediction: str, aliases) -> bool:
    """The script's verdict on one answer. ``aliases[0]`` is the standard answer (column 2
    of its ``qid_answer_expand``), all of ``aliases`` the accepted forms (column 3). Correct
    when the prediction, stripped of ASCII whitespace, is not empty and either its
    normalised form is an alias (as written or normalised), or its parts (split at spaces
    and punctuation) form the same set as the standard answer's: ``"李四，张三"`` matches
    ``"张三 李四"``."""
    checks.string(prediction, "prediction")
    aliases = _aliases(aliases, "aliases")
    prediction = prediction.strip(_ASCII_BLANK)
    if not prediction:
        return False
    if normalize_answer(prediction) in set(aliases) | {normalize_answer(a) for a in aliases}:
        return True
    return _parts(prediction) == _parts(aliases[0])


def answer_f1(prediction: str, aliases) -> float:
    """The script's character F1 of one answer: the best :func:`char_f1` of the normalised
    prediction against the normalised aliases; 0 for a blank prediction."""
    checks.string(prediction, "prediction")
    aliases = _aliases(aliases, "aliases")
    prediction = prediction.strip(_ASCII_BLANK)
    if not prediction:
        return 0.0
    pred = normalize_answer(prediction)
    return max(char_f1(pred, normalize_answer(a)) for a in aliases)


def sogou_score(predictions: dict, references: dict,
                denominator: str = "submissions") -> tuple[float, float, float]:
    """The CIPS-SOGOU factoid-QA metric, as its ``evaluate.py`` computes it: ``(accuracy,
    f1, final)`` with ``final = (accuracy + f1) / 2``, per answer :func:`exact_match` and
    :func:`answer_f1`. ``references`` maps an id to its aliases, the standard answer first.

    ``denominator="submissions"`` (the script's): average over the submitted answers, the
    keys of ``predictions``; an id without a submission is not counted at all.
    ``denominator="references"``: average over the ids of ``references``; a missing
    submission counts as a wrong answer. The two agree when every id is answered. An id
    that ``references`` lacks is an error either way (the script's "Invalid qid")."""
    checks.instance_of(predictions, "predictions", dict, "a dict id -> answer")
    checks.instance_of(references, "references", dict, "a dict id -> list of answers")
    denominator = checks.one_of(denominator, "denominator", _DENOMINATORS)
    if not references:
        raise ValueError("references is empty: nothing to score")
    for rid, aliases in references.items():
        _aliases(aliases, f"references[{rid!r}]")
    unknown = set(predictions) - set(references)
    if unknown:
        raise ValueError(f"predictions has ids that references lacks, e.g. {sorted(map(str, unknown))[:3]}")
    for rid, answer in predictions.items():
        checks.string(answer, f"predictions[{rid!r}]")
    ids = list(predictions) if denominator == "submissions" else list(references)
    if not ids:
        raise ValueError("predictions is empty: with denominator='submissions' there is nothing to score")
    correct = sum(exact_match(predictions.get(rid, ""), references[rid]) for rid in ids)
    f1_total = sum(answer_f1(predictions.get(rid, ""), references[rid]) for rid in ids)
    accuracy, f1 = correct / len(ids), f1_total / len(ids)
    return accuracy, f1, (accuracy + f1) / 2
