"""Figure (and table, code) numbers of the built book restart in every chapter.

``_toc.yml`` numbers the chapters (``numbered: true``), so Sphinx numbers each
chapter's figures ``Fig. N.1, N.2, ...`` with ``N`` the chapter's place in the
book, instead of counting them across the whole book ("Fig. 20" in chapter 5).
These checks read the built pages (``_build/html``, from ``.ci/build-book``):
in each chapter the captions are numbered ``N.1`` to ``N.m`` in reading order,
with no gap and no number from another chapter, and every ``{numref}`` link shows
the number of the caption it points to.
"""

from __future__ import annotations

import re

import pytest

from bookpages import HTML, is_chapter, toc_pages

PAGES = toc_pages()
#: Every page in reading order with its chapter number: the front page is not numbered.
NUMBERED = [(page, i) for i, page in enumerate(PAGES[1:], start=1)]
CHAPTERS = [(page, n) for page, n in NUMBERED if is_chapter(page)]

CAPTION = re.compile(r'<span class="caption-number">(Fig\.|Table|Listing) (\d+(?:\.\d+)*) </span>')
NUMREF = re.compile(r'<a class="reference internal" href="#([^"]+)"><span class="std std-numref">'
                    r'(Fig\.|Table|Listing) (\d+(?:\.\d+)*)</span></a>')
#: A captioned element with an id, and the first caption number inside it.
LABELLED = re.compile(r'<(figure|table|div)\b[^>]*\bid="([^"]+)"[^>]*>(?:(?!</\1>).)*?'
                      r'<span class="caption-number">(?:Fig\.|Table|Listing) (\d+(?:\.\d+)*) </span>', re.S)


def built(page: str) -> str:
    path = HTML / f"{page}.html"
    if not path.is_file():
        pytest.fail(f"{path} is missing: build the book first (bash .ci/build-book)")
    return path.read_text(encoding="utf-8")


def test_the_chapters_are_numbered_in_book_order():
    assert CHAPTERS, "no chapter in _toc.yml"
    for page, n in NUMBERED:
        heading = re.search(r'<h1><span class="section-number">(\d+)\. </span>', built(page))
        assert heading and int(heading.group(1)) == n, f"{page}: chapter number {heading and heading.group(1)}, expected {n}"


@pytest.mark.parametrize("page,chapter", CHAPTERS, ids=[p for p, _ in CHAPTERS])
def test_captions_restart_at_one_in_every_chapter(page, chapter):
    """Per kind (figures, tables, listings): N.1, N.2, ... N.m in reading order."""
    html = built(page)
    by_kind: dict[str, list[str]] = {}
    for kind, number in CAPTION.findall(html):
        by_kind.setdefault(kind, []).append(number)
    assert "Fig." in by_kind, f"{page}: no numbered figure"
    for kind, numbers in by_kind.items():
        expected = [f"{chapter}.{i}" for i in range(1, len(numbers) + 1)]
        assert numbers == expected, f"{page}: {kind} numbers {numbers}, expected {expected}"


@pytest.mark.parametrize("page,chapter", CHAPTERS, ids=[p for p, _ in CHAPTERS])
def test_no_figure_is_numbered_across_the_book(page, chapter):
    """No reference or caption in the text uses a bare book-wide number ("Fig. 20")."""
    html = built(page)
    text = re.sub(r"<script\b.*?</script>", "", html, flags=re.S)
    bare = re.findall(r'(?:caption-number|std-numref)">(?:Fig\.|Table|Listing) (\d+)(?:</span>| </span>)', text)
    assert not bare, f"{page}: numbers without a chapter: {bare}"


def test_every_numref_shows_the_number_of_its_target():
    """A ``{numref}`` link, in its own chapter or another, reads the caption number of the
    element it links to."""
    numbers = {}
    for page, _ in CHAPTERS:
        for _, ident, number in LABELLED.findall(built(page)):
            numbers[(page, ident)] = number
    links = 0
    for page, _ in NUMBERED:
        for ident, _, shown in NUMREF.findall(built(page)):
            links += 1
            assert (page, ident) in numbers, f"{page}: numref to #{ident}, which has no numbered caption here"
            assert shown == numbers[(page, ident)], f"{page}: link to #{ident} says {shown}, the caption {numbers[(page, ident)]}"
    assert links > 0, "no {numref} link in the book (book/*.md use some)"
