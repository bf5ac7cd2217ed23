"""A harder question set for DGCNN: sentence cloze over People's Daily, answered from the article's *other* paragraphs among distractors.

Chapter: "DGCNN, a convolutional reading-comprehension model" (article 6906, book/dgcnn.md).
The headline cloze of :func:`blogcode.dgcnn.data.build_cloze_questions` is small (one
question per article) and its answer usually sits in the passage next to words of the
headline. Here a *body sentence* that names an entity is the question, with the entity
blanked; the sentence's own paragraph is withheld, so the answer must be found in the
article's other paragraphs, where it is written in other words, next to other entities of
its kind, among paragraphs of other articles that name entities of the same kind. The
records have the article's JSON format ``{id, question, passages: [{passage, answer}]}``.
"""

from __future__ import annotations

import random

from blogcode import checks
from blogcode.data import join_tokens, peoples_daily_articles
from blogcode.dgcnn.data import BLANK, ENTITY_TAGS

__all__ = ["SENTENCE_ENDS", "sentences", "tagged_entities", "build_sentence_questions", "article_of", "split_by_article",
           "evidence_distance"]

SENTENCE_ENDS = ("。", "！", "？")


def sentences(tokens) -> list[tuple]:
    """A paragraph's ``(word, tag)`` tokens cut after every sentence end (。！？)."""
    out, current = [], []
    for token in tokens:
        current.append(tuple(token))
        if token[0] in SENTENCE_ENDS:
            out.append(tuple(current))
            current = []
    if current:
        out.append(tuple(current))
    return out


def tagged_entities(tokens) -> list[tuple[str, str]]:
    """``(entity, tag)`` of a token sequence: tokens tagged nr/ns/nt/nz, consecutive
    ``nr`` tokens (family + given name) joined into one person."""
    out, person = [], ""
    for word, tag in tokens:
        if tag == "nr":
            person += word
            continue
        if person:
            out.append((person, "nr"))
            person = ""
        if tag in ENTITY_TAGS:
            out.append((word, tag))
    if person:
        out.append((person, "nr"))
    return out


def _window(rng: random.Random, text: str, answer: str, chars: int) -> str:
    """``chars`` characters of ``text``: a random window holding the answer's first
    occurrence whole (anywhere in it), or a random window if there is no answer."""
    if len(text) <= chars:
        return text
    at = text.find(answer) if answer else -1
    if at < 0:
        start = rng.randint(0, len(text) - chars)
    else:
        start = rng.randint(max(0, at + len(answer) - chars), min(at, len(text) - chars))
    return text[start:start + chars]


def build_sentence_questions(articles=None, per_article: int = 2, own_passages: int = 3, n_distractors: int = 2,
                             passage_chars: int = 128, min_sentence_chars: int = 12, max_sentence_chars: int = 64,
                             min_answer_chars: int = 2, seed: int = 0) -> list[dict]:
    """Up to ``per_article`` questions per article, each with a different answer. A
    question is a body sentence (``min_sentence_chars`` to ``max_sentence_chars``
    characters) with one of its entities (at least ``min_answer_chars``) replaced by
    :data:`~blogcode.dgcnn.data.BLANK`, where the entity also occurs in another paragraph
    of the article. Passages: up to ``own_passages`` of the article's *other* paragraphs
    (those holding the answer first), then ``n_distractors`` paragraphs of other articles
    that name an entity of the answer's tag but not the answer; each cut to a window of
    ``passage_chars`` characters (holding the answer, where it occurs), shuffled. Ids are
    ``pd1998s-<article>-<paragraph>-<sentence>-<question of the article>``."""
    per_article = checks.positive_int(per_article, "per_article")
    own_passages = checks.positive_int(own_passages, "own_passages")
    n_distractors = checks.integer(n_distractors, "n_distractors", minimum=0)
    passage_chars = checks.positive_int(passage_chars, "passage_chars")
    min_sentence_chars = checks.positive_int(min_sentence_chars, "min_sentence_chars")
    max_sentence_chars = checks.integer(max_sentence_chars, "max_sentence_chars", minimum=min_sentence_chars)
    min_answer_chars = checks.positive_int(min_answer_chars, "min_answer_chars")
    seed = checks.integer(seed, "seed")
    articles = peoples_daily_articles() if articles is None else checks.nonempty(articles, "articles")
    rng = random.Random(seed)
    by_tag: dict[str, list[tuple[int, str, frozenset]]] = {tag: [] for tag in ENTITY_TAGS}
    for a, article in enumerate(articles):
        for paragraph in article.paragraphs:
            names = tagged_entities(paragraph)
            for tag in {t for _, t in names}:
                by_tag[tag].append((a, join_tokens(paragraph), frozenset(n for n, _ in names)))
    records = []
    for a, article in enumerate(articles):
        texts = article.paragraph_texts
        candidates = []
        for j, paragraph in enumerate(article.paragraphs):
            for s, sentence in enumerate(sentences(paragraph)):
                text = join_tokens(sentence)
                if not min_sentence_chars <= len(text) <= max_sentence_chars:
                    continue
                for entity, tag in tagged_entities(sentence):
                    if len(entity) >= min_answer_chars and any(entity in t for k, t in enumerate(texts) if k != j):
                        candidates.append((j, s, text, entity, tag))
        rng.shuffle(candidates)
        used: set[str] = set()
        for j, s, text, entity, tag in candidates:
            if len(used) == per_article:
                break
            if entity in used:
                continue
            used.add(entity)
            others = [t for k, t in enumerate(texts) if k != j]
            own = ([t for t in others if entity in t] + [t for t in others if entity not in t])[:own_passages]
            pool = by_tag[tag]
            distractors: list[str] = []
            for _ in range(50 * max(n_distractors, 1)):
                if len(distractors) == n_distractors:
                    break
                other, paragraph, names = rng.choice(pool)
                if other != a and entity not in paragraph and paragraph not in distractors and names - {entity}:
                    distractors.append(paragraph)
            passages = []
            for t in own + distractors:
                window = _window(rng, t, entity, passage_chars)
                passages.append({"passage": window, "answer": entity if entity in window else ""})
            rng.shuffle(passages)
            records.append({"id": f"pd1998s-{a}-{j}-{s}-{len(used) - 1}", "question": text.replace(entity, BLANK, 1),
                            "passages": passages})
    return records


def article_of(record: dict) -> int:
    """The People's Daily article a question of :func:`build_sentence_questions` was
    made from (the ``<article>`` of its id ``pd1998s-<article>-...``)."""
    checks.instance_of(record, "record", dict)
    rid = record.get("id")
    parts = rid.split("-") if isinstance(rid, str) else []
    if len(parts) != 5 or parts[0] != "pd1998s" or not parts[1].isdigit():
        raise ValueError(f"record['id'] must look like 'pd1998s-<article>-<paragraph>-<sentence>-<n>', got {rid!r}")
    return int(parts[1])


def split_by_article(records, dev_every: int = 3):
    """Train/dev split by article: the questions of every ``dev_every``-th article (in
    the order the articles first appear) are dev. The questions of one article share
    its sentences and paragraphs (a sentence can give two questions, blanking two
    names, and an article's paragraphs are passages of all its questions), so a split
    by question would let a dev answer appear in a training question or passage."""
    records = checks.nonempty(records, "records")
    dev_every = checks.integer(dev_every, "dev_every", minimum=2)
    order = {}
    for r in records:
        order.setdefault(article_of(r), len(order))
    dev = [r for r in records if order[article_of(r)] % dev_every == 0]
    train = [r for r in records if order[article_of(r)] % dev_every != 0]
    return train, dev


def evidence_distance(record: dict, min_word_chars: int = 2) -> int | None:
    """How far the answer sits from the question's evidence: over the passages holding
    the answer, the smallest distance in characters from an occurrence of the answer to
    an occurrence of any substring of the question of ``min_word_chars`` characters
    (outside the answer itself; ``0`` when adjacent). ``None`` when no passage holds
    both."""
    checks.instance_of(record, "record", dict)
    min_word_chars = checks.positive_int(min_word_chars, "min_word_chars")
    question = checks.string(record.get("question"), "record['question']")
    grams = {question[i:i + min_word_chars] for i in range(len(question) - min_word_chars + 1)}
    grams = {g for g in grams if BLANK not in g and not any(ch in "，。、；：！？“”《》（）" for ch in g)}
    best = None
    for item in checks.nonempty(record.get("passages"), "record['passages']"):
        text, answer = item["passage"], item["answer"]
        if not answer or answer not in text:
            continue
        spans = [(i, i + len(answer)) for i in range(len(text)) if text.startswith(answer, i)]
        for i in range(len(text) - min_word_chars + 1):
            if text[i:i + min_word_chars] not in grams:
                continue
            for start, end in spans:
                if i + min_word_chars <= start:
                    gap = start - (i + min_word_chars)
                elif i >= end:
                    gap = i - end
                else:
                    continue  # overlaps the answer
                best = gap if best is None else min(best, gap)
    return best
