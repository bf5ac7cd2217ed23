"""The whole-book PDF that ``.ci/build-pdf`` prints (``_build/pdf``), read back with pypdf.

It must hold every chapter with its Chinese title rendered as text (a CJK font
embedded, not boxes), its formulas typeset (no TeX source left), its figures
(every raster image of the single-page build, and every plotly figure drawn as
vector graphics with its title), and the front page of the HTML book must link
to it. Runs in step 4 of ``.ci/test``, after the build.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import pytest

from blogcode.chapters import CHAPTERS

ROOT = Path(__file__).resolve().parents[2]
PDF = ROOT / "_build" / "pdf" / "scientific-spaces-executable.pdf"
SINGLE = ROOT / "_build" / "singlehtml" / "book" / "intro.html"   # the whole book on one page
FRONT = ROOT / "_build" / "html" / "book" / "intro.html"
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


@lru_cache(maxsize=1)
def reader():
    from pypdf import PdfReader

    if not PDF.is_file():
        pytest.fail(f"{PDF} is missing: bash .ci/build-book builds it (.ci/build-pdf)")
    return PdfReader(str(PDF))


@lru_cache(maxsize=1)
def page_texts() -> tuple[str, ...]:
    return tuple(page.extract_text() or "" for page in reader().pages)


def squeezed(text: str) -> str:
    """Text without whitespace (the PDF breaks lines where the page did), NFKC
    normalised: the CJK font maps some characters to their Kangxi radical
    look-alikes (子 comes back as U+2F26), which NFKC folds back; Sphinx's
    curly quotes and the ligatures of the Latin font count as plain letters."""
    text = unicodedata.normalize("NFKC", text).translate(QUOTES)
    return re.sub(r"\s+", "", text)


def test_every_chapter_is_in_the_pdf_with_its_chinese_title():
    text = squeezed("".join(page_texts()))
    for chapter in CHAPTERS:
        assert squeezed(chapter.heading) in text, chapter.slug
        assert squeezed(chapter.chinese_title) in text, chapter.slug


def test_chapters_come_in_book_order_over_many_pages():
    text = squeezed("".join(page_texts()))
    starts = [text.index(squeezed(chapter.chinese_title)) for chapter in CHAPTERS]
    assert starts == sorted(starts)
    # A chapter is several printed pages; a page that lost its content would show here.
    assert len(reader().pages) >= 5 * len(CHAPTERS)
    assert all(len(t.strip()) > 50 for t in page_texts()[:-1]), "an (almost) empty page"


def font_names() -> set[str]:
    """Every font the pages use (Chromium embeds the CJK and MathJax ones as Type 3)."""
    names = set()
    for page in reader().pages:
        for font in (page.get("/Resources") or {}).get("/Font", {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            names.add(str(font.get("/BaseFont") or descriptor.get_object().get("/FontName")))
    return names


def test_a_cjk_font_is_embedded():
    assert any("CJK" in name for name in font_names()), sorted(font_names())


def test_formulas_are_typeset_not_tex_source():
    assert any("MathJax_Math" in name for name in font_names()), sorted(font_names())
    text = "".join(page_texts())
    for tex in (r"\frac", r"\sqrt", r"\begin{", r"\mathrm", "$$"):
        assert tex not in text, tex


def _image_count(resources) -> int:
    """Raster images in ``resources``, looking inside form XObjects too."""
    count = 0
    for xobject in (resources or {}).get("/XObject", {}).values():
        xobject = xobject.get_object()
        if xobject.get("/Subtype") == "/Image":
            count += 1
        elif xobject.get("/Subtype") == "/Form":
            count += _image_count(xobject.get("/Resources"))
    return count


def test_every_figure_is_printed():
    html = SINGLE.read_text(encoding="utf-8")
    pngs = [tag for tag in re.findall(r"<img[^>]*>", html) if re.search(r'src="[^"]+\.png"', tag)]
    assert pngs
    assert sum(_image_count(page.get("/Resources")) for page in reader().pages) >= len(pngs)
    # Plotly figures print as vector graphics: their titles (figure and axes) are
    # text in the PDF, except a 3D scene's axis titles, which WebGL draws as pixels.
    titles = [json.loads(f'"{t}"') for t in re.findall(r'"title":\{[^{}]*?"text":"([^"]{12,80})"', html)]
    assert titles, "no plotly figure found in the single-page build"
    text = squeezed("".join(page_texts()))
    missing = [t for t in titles if squeezed(re.sub(r"<[^>]+>", "", t))[:30] not in text]
    assert len(missing) <= len(titles) // 10, missing[:5]


def test_the_front_page_links_to_the_pdf():
    html = FRONT.read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]*scientific-spaces-executable\.pdf)"', html)
    assert links, "the front page has no link to the PDF"
    for link in links:
        assert (FRONT.parent / link).resolve().is_file(), link
