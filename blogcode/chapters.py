"""The facts of every chapter, in one place.

Each chapter re-creates one article of 苏剑林 (Su Jianlin)'s blog 科学空间
(kexue.fm). The front page's table of articles is generated from
:data:`CHAPTERS` (``book/_ext/chapter_table.py``); ``tests/test_chapters.py``
checks that every chapter's header, ``_toc.yml`` and ``references.bib`` agree
with it, and ``tests/test_layout.py`` that every chapter has its package
``blogcode.<slug>``; the browser tests look each chapter up on
the search page by its ``search_word``. Adding a chapter starts here (README,
"Adding a chapter").
"""

from __future__ import annotations

from dataclasses import dataclass

from blogcode import checks

__all__ = ["Chapter", "CHAPTERS", "chapter"]


@dataclass(frozen=True)
class Chapter:
    """One article and the chapter that re-creates it.

    ``slug`` names the chapter everywhere: ``book/<slug>.md`` and the package
    ``blogcode.<slug>``. ``english_title`` translates ``chinese_title`` (the
    article's title); ``heading`` is the chapter's own title. ``archive`` is the
    article's number on kexue.fm and ``cite`` its key in ``book/references.bib``.
    """

    slug: str
    chinese_title: str
    english_title: str
    heading: str
    date: str
    archive: int
    tags: tuple[str, ...]
    search_word: str
    cite: str

    @property
    def url(self) -> str:
        return f"https://kexue.fm/archives/{self.archive}"

    @property
    def package(self) -> str:
        return f"blogcode.{self.slug}"


#: In the order the blog published them (the order of ``_toc.yml``).
CHAPTERS: tuple[Chapter, ...] = (
    Chapter("rope", "你跳绳的时候，想过绳子的形状曲线是怎样的吗？",
            "When you skip rope, have you ever wondered what curve the rope makes?",
            "The shape of a rotating rope", "2019-07-06", 6784,
            ("physics", "variational calculus", "ODE"), "troposkien", "su2019rope"),
    Chapter("accumulation", "用时间换取效果：Keras梯度累积优化器",
            "Trading time for results: a gradient-accumulation optimizer for Keras",
            "Gradient accumulation: a large batch's effect with a small batch's memory", "2019-07-08", 6794,
            ("optimizers", "Keras"), "accumulators", "su2019accumulation"),
    Chapter("masks", "“让Keras更酷一些！”：层中层与mask",
            "Making Keras cooler: layers within layers, and masks",
            "Layers within layers, and masks", "2019-07-16", 6810,
            ("Keras", "masks", "RNN"), "padding", "su2019masks"),
    Chapter("ellipse", "思考：两个椭圆片能粘合成一个立体吗？",
            "A puzzle: can two elliptical sheets be glued into a solid?",
            "Gluing two elliptical sheets", "2019-07-21", 6818,
            ("geometry", "elliptic integrals"), "elliptic", "su2019ellipse"),
    Chapter("attention", "为节约而生：从标准Attention到稀疏Attention",
            "Born to save: from standard attention to sparse attention",
            "Born to save: from standard attention to sparse attention", "2019-07-27", 6853,
            ("attention", "efficiency"), "atrous", "su2019sparse"),
    Chapter("lookahead", "Keras实现两个优化器：Lookahead和LazyOptimizer",
            "Two optimizers in Keras: Lookahead and LazyOptimizer",
            "Two optimizer wrappers: Lookahead and LazyOptimizer", "2019-07-30", 6869,
            ("optimizers", "embeddings"), "LazyOptimizer", "su2019lookahead"),
    Chapter("bidecoder", "seq2seq之双向解码", "Bidirectional decoding for seq2seq",
            "seq2seq with bidirectional decoding", "2019-08-09", 6877,
            ("seq2seq", "beam search"), "leakage", "su2019bidecoder"),
    Chapter("dgcnn", "开源一版DGCNN阅读理解问答模型（Keras版）",
            "An open-source DGCNN reading-comprehension model (Keras version)",
            "DGCNN, a convolutional reading-comprehension model", "2019-08-20", 6906,
            ("CNN", "question answering"), "Sogou", "su2019dgcnn"),
)


def chapter(slug) -> Chapter:
    """The chapter named ``slug`` (its ``book/`` file name); ValueError if unknown."""
    slug = checks.string(slug, "slug")
    for entry in CHAPTERS:
        if entry.slug == slug:
            return entry
    raise ValueError(f"slug must be one of {[c.slug for c in CHAPTERS]}, got {slug!r}")


def intro_table() -> str:
    """The front page's table of articles (MyST markdown), in publication order."""
    rows = ["| Date | Original title | English title | Tags | Original | Chapter |",
            "| --- | --- | --- | --- | --- | --- |"]
    for c in CHAPTERS:
        rows.append(f"| {c.date} | {c.chinese_title} | {c.english_title} | {', '.join(c.tags)} "
                    f"| [{c.archive}]({c.url}) | {{doc}}`{c.slug}` |")
    return "\n".join(rows)
