"""The 2018 model's hand-crafted question-passage features, which the 2019 release removed.

Chapter: "DGCNN, a convolutional reading-comprehension model" (article 6906, which drops
the features; article 5409, which used eight; book/dgcnn.md). The model takes them as an
extra input (``build_dgcnn(features=N_FEATURES)``); :mod:`blogcode.dgcnn.inputs` builds
the model's inputs with or without them.

The 2018 article's definitions of its eight features are not among our offline sources,
so these eight (:data:`FEATURE_NAMES`), one value per passage character, are our own, of
three kinds common in question-passage matching: whether a passage character, word or
bigram also occurs in the question (exact match), how close the passage is to the
question (soft match: word-vector similarity, question words nearby), and whether it
occurs in the question's *other* passages (an answer that several passages repeat is
more likely).
"""

from __future__ import annotations

import numpy as np

from blogcode import checks

__all__ = ["FEATURE_NAMES", "N_FEATURES", "NEARBY", "passage_features", "record_features"]

FEATURE_NAMES = (
    "char in question",            # exact match, per character
    "word in question",            # exact match of the jieba word the character belongs to
    "bigram in question",          # a character bigram through this character occurs in the question
    "word similarity",             # soft: best cosine of the character's word vector to a question word's
    "question words nearby",       # soft: share of the question's words found within NEARBY characters
    "char in other passages",      # co-occurrence: share of the question's other passages holding it
    "word in other passages",
    "bigram in other passages",
)
N_FEATURES = len(FEATURE_NAMES)
NEARBY = 10  # characters on each side for "question words nearby"
_BLANK = "＿"  # blogcode.dgcnn.data.BLANK (not imported: data imports jieba, this module stays light)


def _string_list(value, name: str) -> list[str]:
    """``value`` as a list of ``str``, possibly empty (a text may have no words, a question no other passages)."""
    checks.instance_of(value, name, (list, tuple), "a list of strings")
    return [checks.string(item, f"{name}[{i}]") for i, item in enumerate(value)]


def _char_words(words, length: int) -> list[str]:
    """The word each of the first ``length`` characters belongs to."""
    out = []
    for word in words:
        out.extend([word] * len(word))
    return out[:length]


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def passage_features(question: str, question_words, passage: str, passage_words, others, vectors,
                     maxlen: int) -> np.ndarray:
    """``(maxlen, N_FEATURES)`` float32 features of ``passage`` (cut to ``maxlen``; padding
    rows are 0) against ``question`` and the question's ``others`` passages.
    ``question_words`` / ``passage_words`` are the texts cut into words (lengths summing to
    the texts'), ``vectors`` maps a word to its vector (words without one score 0 similarity)."""
    question, passage = checks.string(question, "question"), checks.string(passage, "passage")
    question_words, passage_words = _string_list(question_words, "question_words"), \
        _string_list(passage_words, "passage_words")
    others = _string_list(others, "others")
    checks.instance_of(vectors, "vectors", dict, "a dict word -> vector")
    maxlen = checks.positive_int(maxlen, "maxlen")
    if sum(map(len, passage_words)) != len(passage):
        raise ValueError("passage_words must cut passage into words (their lengths must sum to len(passage))")
    text = passage[:maxlen]
    n = len(text)
    out = np.zeros((maxlen, N_FEATURES), dtype="float32")
    if n == 0:
        return out
    char_words = _char_words(passage_words, n)
    q_chars = set(question) - {_BLANK}
    q_words = {w for w in question_words if _BLANK not in w and w.strip()}
    q_bigrams = {b for b in _bigrams(question) if _BLANK not in b}
    other_sets = [(set(o), _bigrams(o), o) for o in others]
    share = (lambda hits: hits / len(others)) if others else (lambda hits: 0.0)

    left_right = [{text[max(i - 1, 0):i + 1], text[i:i + 2]} - {text[i]} for i in range(n)]
    for i, ch in enumerate(text):
        word = char_words[i]
        out[i, 0] = ch in q_chars
        out[i, 1] = word in q_words
        out[i, 2] = bool(left_right[i] & q_bigrams)
        out[i, 5] = share(sum(ch in chars for chars, _, _ in other_sets))
        out[i, 6] = share(sum(word in full for _, _, full in other_sets))
        out[i, 7] = share(sum(bool(left_right[i] & grams) for _, grams, _ in other_sets))

    q_vectors = [vectors[w] for w in q_words if w in vectors]
    if q_vectors:
        q_unit = _unit(np.stack(q_vectors).astype("float32"))
        for i, word in enumerate(char_words):
            if word in vectors:
                out[i, 3] = max(0.0, float(np.max(q_unit @ _unit(vectors[word][None])[0])))

    content = [w for w in q_words if len(w) >= 2]
    if content:
        near = np.zeros((len(content), n), dtype=bool)
        for k, word in enumerate(content):
            start = text.find(word)
            while start >= 0:
                near[k, max(start - NEARBY, 0):min(start + len(word) + NEARBY, n)] = True
                start = text.find(word, start + 1)
        out[:n, 4] = near.mean(axis=0)
    return out


def record_features(record: dict, words, vectors, maxlen: int) -> list[np.ndarray]:
    """:func:`passage_features` of each passage of a record ``{question, passages:
    [{passage, ...}]}``, every passage cut to ``maxlen`` first (what the model reads), the
    others being the record's remaining passages. ``words`` cuts a
    text into words (an encoder's :meth:`~blogcode.dgcnn.data.CharWordEncoder.words`)."""
    checks.instance_of(record, "record", dict)
    if not callable(words):
        raise TypeError(f"words must be callable (text -> list of words), got {type(words).__name__}")
    question = checks.string(record.get("question"), "record['question']")
    maxlen = checks.positive_int(maxlen, "maxlen")
    passages = [checks.string(p.get("passage") if isinstance(p, dict) else None, f"record['passages'][{i}]")[:maxlen]
                for i, p in enumerate(checks.nonempty(record.get("passages"), "record['passages']"))]
    q_words = words(question)
    return [passage_features(question, q_words, text, words(text), passages[:k] + passages[k + 1:], vectors, maxlen)
            for k, text in enumerate(passages)]
