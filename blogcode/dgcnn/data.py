"""Data for the DGCNN chapter: the question-answering format, generated cloze questions
over real text, real word vectors, and the character/word encoder of the model's inputs.

Chapter: "DGCNN, a convolutional reading-comprehension model" (article 6906, book/dgcnn.md).

* the data format ``{id, question, passages: [{passage, answer}]}``:
  :func:`load_qa_records` (validates, names the malformed record) and
  :func:`label_spans` (every occurrence of the answer is a start/end label);
* :func:`build_cloze_questions` -- the Sogou/WebQA data cannot be downloaded, so we
  *generate* questions over *real* text: in a People's Daily headline (January 1998,
  from :func:`blogcode.data.peoples_daily_articles`) a named entity that the article's
  body also contains is blanked out; the article's paragraphs are the passages, and
  paragraphs of other articles that lack the answer are added as distractors. Records
  are in the article's JSON format ``{id, question, passages: [{passage, answer}]}``.
* :func:`read_word_vectors` -- rows of the 100-d Chinese word2vec file shipped in
  ``synonyms==3.8.0`` (read from the file; the package is never imported). The file is
  indexed once per process, then only the rows that are asked for are decoded.
* :func:`jieba_tokenizer`, :func:`segment` and :class:`CharWordEncoder` -- character ids
  plus, for every character, the vector of the word it belongs to. Words are cut as the
  released code cuts them, by jieba with its HMM off and the word-vector vocabulary added
  to its dictionary; forward maximum matching over that vocabulary (:func:`segment`) is
  the alternative.
"""

from __future__ import annotations

import json
import mmap
import random
from collections import Counter
from functools import lru_cache
from pathlib import Path

import jieba
import numpy as np

from blogcode import checks
from blogcode.data import join_tokens, package_file, peoples_daily_articles

__all__ = [
    "IGNORE",
    "load_qa_records",
    "label_spans",
    "BLANK",
    "ENTITY_TAGS",
    "headline_entities",
    "build_cloze_questions",
    "split_records",
    "word_vector_path",
    "word_vector_index",
    "read_word_vectors",
    "jieba_tokenizer",
    "segment",
    "SEGMENTERS",
    "CharWordEncoder",
]

IGNORE = -1.0  # label value of padding positions: the loss skips them
BLANK = "＿"  # the character that replaces the answer in a question
ENTITY_TAGS = ("nr", "ns", "nt", "nz")  # person, place, organisation, other proper noun


# --------------------------------------------------------------------------- data format


def _record_name(index: int, record) -> str:
    rid = record.get("id") if isinstance(record, dict) else None
    return f"record {index}" + (f" (id {rid!r})" if rid is not None else "")


def _check_record(index: int, record) -> dict:
    name = _record_name(index, record)
    if not isinstance(record, dict):
        raise ValueError(f"{name}: must be an object, got {type(record).__name__}")
    missing = {"id", "question", "passages"} - set(record)
    if missing:
        raise ValueError(f"{name}: missing field(s) {sorted(missing)}")
    if not isinstance(record["id"], (str, int)) or isinstance(record["id"], bool):
        raise ValueError(f"{name}: 'id' must be a string or an int")
    if not isinstance(record["question"], str) or not record["question"].strip():
        raise ValueError(f"{name}: 'question' must be a non-empty string")
    passages = record["passages"]
    if not isinstance(passages, list) or not passages:
        raise ValueError(f"{name}: 'passages' must be a non-empty list")
    clean = []
    for j, item in enumerate(passages):
        where = f"{name}: passages[{j}]"
        if not isinstance(item, dict) or set(item) < {"passage", "answer"}:
            raise ValueError(f"{where} must be an object with 'passage' and 'answer'")
        passage, answer = item["passage"], item["answer"]
        if not isinstance(passage, str) or not passage:
            raise ValueError(f"{where}: 'passage' must be a non-empty string")
        if not isinstance(answer, str):
            raise ValueError(f"{where}: 'answer' must be a string ('' when the passage has none)")
        if answer and answer not in passage:
            raise ValueError(f"{where}: answer {answer!r} does not occur in its passage")
        clean.append({"passage": passage, "answer": answer})
    return {"id": record["id"], "question": record["question"], "passages": clean}


def load_qa_records(source) -> list[dict]:
    """Read and validate data in the article's JSON format: a list of
    ``{"id", "question", "passages": [{"passage", "answer"}]}``, ``answer`` being ``""``
    for a passage without the answer. ``source`` is a path, a JSON string or an
    already parsed list. A malformed record raises ``ValueError`` naming it: the
    records are data, not arguments, so a field of the wrong type is a malformed file,
    as ``json``'s own errors are ``ValueError``s."""
    if isinstance(source, Path) or (isinstance(source, str) and not source.lstrip().startswith("[")):
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"source: no such file {str(path)!r} (and not a JSON list)")
        source = path.read_text(encoding="utf-8")
    if isinstance(source, str):
        try:
            source = json.loads(source)
        except json.JSONDecodeError as err:
            raise ValueError(f"source is not valid JSON: {err}") from None
    if not isinstance(source, list):
        raise TypeError(f"source must be a list of records, a JSON string or a path, got {type(source).__name__}")
    if not source:
        raise ValueError("source holds no records")
    records, seen = [], {}
    for i, record in enumerate(source):
        record = _check_record(i, record)
        if record["id"] in seen:
            raise ValueError(f"{_record_name(i, record)}: duplicate id (first used by record {seen[record['id']]})")
        seen[record["id"]] = i
        records.append(record)
    return records


def label_spans(passage: str, answer: str, maxlen: int) -> np.ndarray:
    """Start/end labels of shape ``(maxlen, 2)``: 1 at the first (column 0) and last
    (column 1) character of *every* occurrence of ``answer`` in the first ``maxlen``
    characters of ``passage``; 0 elsewhere; ``IGNORE`` (-1) on padding."""
    checks.string(passage, "passage")
    checks.string(answer, "answer")
    maxlen = checks.positive_int(maxlen, "maxlen")
    text = passage[:maxlen]
    labels = np.zeros((maxlen, 2), dtype="float32")
    labels[len(text):] = IGNORE
    if answer:
        start = text.find(answer)
        while start >= 0:
            labels[start, 0] = 1.0
            labels[start + len(answer) - 1, 1] = 1.0
            start = text.find(answer, start + 1)
    return labels


# --------------------------------------------------------------------------- cloze questions


def headline_entities(tokens) -> list[str]:
    """Named entities of a tagged headline, in order: tokens tagged nr/ns/nt/nz, with
    consecutive ``nr`` tokens (family name + given name) joined into one name."""
    entities, current = [], ""
    for word, pos in _tagged(tokens):
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


def _tagged(tokens) -> list[tuple[str, str]]:
    """``tokens`` as a list of ``(word, tag)`` string pairs."""
    if isinstance(tokens, (str, bytes)) or not hasattr(tokens, "__iter__"):
        raise TypeError(f"tokens must be a list of (word, tag) pairs, got {type(tokens).__name__}")
    pairs = []
    for i, item in enumerate(tokens):
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise TypeError(f"tokens[{i}] must be a (word, tag) pair, got {item!r}")
        pairs.append((checks.string(item[0], f"tokens[{i}] word"), checks.string(item[1], f"tokens[{i}] tag")))
    return pairs


def _path_or_none(path, name: str = "path"):
    return None if path is None else checks.instance_of(path, name, (str, Path), "a path (str or Path) or None")


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
    n_distractors = checks.integer(n_distractors, "n_distractors", minimum=0)
    max_article_passages = checks.positive_int(max_article_passages, "max_article_passages")
    min_answer_chars = checks.positive_int(min_answer_chars, "min_answer_chars")
    seed = checks.integer(seed, "seed")
    articles = peoples_daily_articles() if articles is None else checks.nonempty(articles, "articles")
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
    records = checks.nonempty(records, "records")
    dev_every = checks.integer(dev_every, "dev_every", minimum=2)
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
    path = Path(_path_or_none(path)) if path is not None else word_vector_path()
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
    if isinstance(words, (str, bytes)) or not hasattr(words, "__iter__"):
        raise TypeError(f"words must be a collection of strings, got {type(words).__name__}")
    words = set(words)
    for word in words:
        checks.string(word, "words entry")
    index, dim = word_vector_index(path)
    path = Path(path) if path is not None else word_vector_path()
    out = {}
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for word in words:
            offset = index.get(word)
            if offset is not None:
                out[word] = np.frombuffer(data[offset:offset + 4 * dim], dtype="<f4").copy()
    return out


SEGMENTERS = ("jieba", "fmm")


@lru_cache(maxsize=2)
def jieba_tokenizer(path=None) -> jieba.Tokenizer:
    """A jieba tokenizer of its own (the global one is left alone) whose dictionary also
    holds every word of the word-vector file (up to 8 characters), as the released code
    adds its word2vec vocabulary; cached per process. Cut with ``HMM=False``."""
    index, _ = word_vector_index(path)
    tokenizer = jieba.Tokenizer()
    jieba.setLogLevel(30)  # its "Building prefix dict" lines are INFO
    tokenizer.initialize()
    for word in index:
        if len(word) <= 8 and word.strip() == word and word:
            tokenizer.add_word(word)
    return tokenizer


def segment(text: str, lexicon, max_word_len: int = 6) -> list[str]:
    """Forward maximum matching: at each position take the longest word of
    ``lexicon`` (up to ``max_word_len`` characters), else one character."""
    checks.string(text, "text")
    if not hasattr(lexicon, "__contains__"):
        raise TypeError(f"lexicon must be a set or dict of words, got {type(lexicon).__name__}")
    max_word_len = checks.positive_int(max_word_len, "max_word_len")
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
    into words (:meth:`words`) by ``segmenter``: ``"jieba"`` (the released code's,
    :func:`jieba_tokenizer`) or ``"fmm"`` (forward maximum matching over the word-vector
    vocabulary, :func:`segment`); the rows of the words that occur are read when first
    needed."""

    def __init__(self, min_count: int = 2, max_word_len: int = 6, vector_path=None, segmenter: str = "jieba"):
        self.min_count = checks.positive_int(min_count, "min_count")
        self.max_word_len = checks.positive_int(max_word_len, "max_word_len")
        self.segmenter = checks.one_of(segmenter, "segmenter", SEGMENTERS)
        self.vector_path = _path_or_none(vector_path, "vector_path")
        self.char_ids: dict[str, int] = {}
        self.vectors: dict[str, np.ndarray] = {}
        self.lexicon: dict[str, int] = {}
        self.dim = 0

    @property
    def vocab_size(self) -> int:
        return len(self.char_ids) + 2

    def fit(self, texts) -> "CharWordEncoder":
        texts = checks.strings(texts, "texts")
        counts = Counter(ch for t in texts for ch in t)
        kept = sorted(ch for ch, c in counts.items() if c >= self.min_count)
        self.char_ids = {ch: i + 2 for i, ch in enumerate(kept)}
        self.lexicon, self.dim = word_vector_index(self.vector_path)
        words = {w for t in texts for w in self.words(t)}
        self.vectors = read_word_vectors(words & self.lexicon.keys(), self.vector_path)
        return self

    def words(self, text: str) -> list[str]:
        """``text`` cut into words by the encoder's segmenter (their lengths sum to ``len(text)``)."""
        checks.string(text, "text")
        if self.segmenter == "fmm":
            if not self.lexicon:
                self.lexicon, self.dim = word_vector_index(self.vector_path)
            return segment(text, self.lexicon, self.max_word_len)
        return jieba_tokenizer(self.vector_path).lcut(text, HMM=False)

    def encode(self, texts, maxlen: int):
        """``(char_ids (n, maxlen) int32, word_vectors (n, maxlen, dim) float32)``;
        texts are cut to ``maxlen`` characters."""
        if not self.char_ids:
            raise ValueError("the encoder is not fitted: call fit(texts) first")
        texts = checks.strings(texts, "texts")
        maxlen = checks.positive_int(maxlen, "maxlen")
        texts = [t[:maxlen] for t in texts]
        segmented = [self.words(t) for t in texts]
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
