"""End-to-end tests of the rendered book in headless Chromium (step 4 of .ci/test).

Pages checked: every page of ``_toc.yml`` (front page, each chapter, references),
plus ``index.html`` (redirects to the front page) and ``search.html``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from blogcode.chapters import CHAPTERS as BOOK_CHAPTERS

from bookpages import HTML, ROOT, SCREENSHOTS, figure_weights, is_chapter, page_url, same_page, toc_pages

PAGES = toc_pages()
CHAPTERS = [p for p in PAGES if is_chapter(p)]

#: Budget for what one first visit of a page transfers, served gzip-compressed
#: as a static host serves it (HTML, CSS, JS, fonts, images, headers). The
#: plotly.js bundle (0.4-0.56 MB gzipped, book/_ext/page_scripts.py), MathJax and
#: the theme come from _static; the rest is the page, mostly its figures' data.
PAGE_BUDGET_GZIP_BYTES = 1.5e6

#: A word that is distinctive of each chapter (blogcode.chapters), to look it up
#: with the search page.
SEARCH_WORDS = {f"book/{c.slug}": c.search_word for c in BOOK_CHAPTERS}


def _source(page: str) -> str:
    return (ROOT / f"{page}.md").read_text(encoding="utf-8")


def _config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


# ------------------------------------------------------------------ each page, once

def _visit(visits, name):
    v = visits[name]
    assert v.error is None, f"{name}: the visit failed: {v.error}"
    return v


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_without_errors(visits, server, name):
    v = _visit(visits, name)
    assert v.console_errors == [], f"{name}: console errors"
    assert v.failed_requests == [], f"{name}: failed requests"
    assert v.bad_responses == [], f"{name}: HTTP errors"
    outside = [u for u, _, _ in v.requests if not u.startswith(server) and not u.startswith("data:")]
    assert outside == [], f"{name}: the page reaches outside the book (it must work offline)"


@pytest.mark.parametrize("name", PAGES)
def test_math_is_rendered(visits, name):
    f = _visit(visits, name).facts
    has_math = re.search(r"\$[^$\n]+\$|\{math\}|\\begin\{", _source(name)) is not None
    if has_math:
        assert f["mathSources"] > 0, f"{name}: the source has math but the page has none"
        assert f["mjx"] >= f["mathSources"], f"{name}: {f['mathSources']} formulas, {f['mjx']} typeset"
    assert f["mjxErrors"] == 0, f"{name}: MathJax reported {f['mjxErrors']} TeX errors"
    assert f["rawMath"] == [], f"{name}: raw TeX left in the text"


@pytest.mark.parametrize("name", PAGES)
def test_images_load_and_have_alt_text(visits, name):
    f = _visit(visits, name).facts
    for img in f["images"]:
        assert img["complete"] and img["width"] > 0, f"{name}: image did not load: {img['src'][:100]}"
        assert img["alt"], f"{name}: image without alt text: {img['src'][:100]}"
    for fig in f["figures"]:
        assert fig["drawn"], f"{name}: plotly figure {fig['id']} was not drawn"
        assert fig["label"], f"{name}: plotly figure {fig['id']} has no aria-label (alt text)"


@pytest.mark.parametrize("name", PAGES)
def test_icons_are_drawn(visits, name):
    """The theme's icons are drawn: book/_ext/page_scripts.py trims Font Awesome
    to the icons the pages name, and none of them may be missing."""
    f = _visit(visits, name).facts
    assert f["icons"] > 0, f"{name}: no Font Awesome icon drawn"
    assert f["iconsMissing"] == [], f"{name}: icons missing from the trimmed Font Awesome: {f['iconsMissing']}"
    assert f["iconsLeft"] == 0, f"{name}: {f['iconsLeft']} icon placeholders were not drawn"


_PLOTLY_JS = re.compile(r"/plotly(-[a-z0-9]+)?\.min\.js$")


@pytest.mark.parametrize("name", PAGES)
def test_page_weight(visits, name):
    v = _visit(visits, name)
    plotly = [u for u, _, _ in v.requests if _PLOTLY_JS.search(u.split("?")[0])]
    mathjax = [u for u, _, _ in v.requests if re.search(r"/mathjax/(startup|tex-chtml)\.js$", u.split("?")[0])]
    # One plotly.js bundle on pages with figures, none elsewhere.
    expected = 1 if v.facts["figures"] else 0
    assert len(plotly) == expected, f"{name}: plotly.js requested {len(plotly)} times ({plotly}), expected {expected}"
    assert len(mathjax) <= 1, f"{name}: MathJax requested {len(mathjax)} times"
    assert v.transferred <= PAGE_BUDGET_GZIP_BYTES, (
        f"{name}: {v.transferred / 1e6:.2f} MB transferred (gzip), budget {PAGE_BUDGET_GZIP_BYTES / 1e6:.1f} MB; "
        f"largest: {v.largest()}; its figures (id, raw, gzip bytes): {figure_weights(name)}")


def test_write_page_weights_and_screenshots(visits):
    """Every page has its screenshot; the page weights (what a first visit
    transfers gzipped, and the same files uncompressed) go next to them."""
    report = {}
    for n, v in visits.items():
        report[n] = {"gzip_bytes": v.transferred, "raw_bytes": v.raw, "requests": len(v.requests),
                     "budget_gzip_bytes": int(PAGE_BUDGET_GZIP_BYTES), "largest": v.largest(),
                     "figures": [{"id": i, "raw_bytes": r, "gzip_bytes": g} for i, r, g in figure_weights(n)]}
    (SCREENSHOTS / "page-weights.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    for name in PAGES:
        shot = SCREENSHOTS / f"{Path(name).name}.png"
        assert shot.is_file() and shot.stat().st_size > 10_000, f"no screenshot of {name}"


@pytest.mark.parametrize("name", CHAPTERS)
def test_first_output_names_the_device(visits, name):
    first = _visit(visits, name).facts["firstOutput"]
    assert first is not None, f"{name}: no code output on the page"
    assert re.search(r"\bon (CPU|GPU)", first), f"{name}: first output does not say the device: {first[:200]!r}"


@pytest.mark.parametrize("name", CHAPTERS)
def test_download_and_launch_buttons(visits, page, server, name):
    f = _visit(visits, name).facts
    downloads = {d["text"]: d["href"] for d in f["downloads"]}
    assert ".ipynb" in downloads and ".md" in downloads, f"{name}: download options {sorted(downloads)}"
    notebook = page.request.get(downloads[".ipynb"])
    assert notebook.ok, f"{name}: {downloads['.ipynb']} -> {notebook.status}"
    nb = json.loads(notebook.body())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and code[0].get("outputs"), f"{name}: the downloadable notebook has no outputs"
    source = page.request.get(downloads[".md"])
    assert source.ok and b"jupytext" in source.body(), f"{name}: the .md download is not the MyST source"

    launch, repo = _config().get("launch_buttons", {}), _config()["repository"]
    launches = {d["text"]: d["href"] for d in f["launches"]}
    expected = set()
    if launch.get("colab_url"):
        expected.add("Colab")
        slug = repo["url"].rstrip("/").split("github.com/")[1]
        want = f"{launch['colab_url'].rstrip('/')}/github/{slug}/blob/{repo['branch']}/{name}"
        assert launches.get("Colab", "").startswith(want), f"{name}: Colab link {launches.get('Colab')}"
    if launch.get("binderhub_url"):
        expected.add("Binder")
    if launch.get("jupyterhub_url"):
        expected.add("JupyterHub")
    assert set(launches) == expected, f"{name}: launch buttons {sorted(launches)}, config gives {sorted(expected)}"


# ------------------------------------------------------------------ interactions

@pytest.mark.parametrize("name", CHAPTERS)
def test_explorers_respond_to_the_mouse(visits, name):
    """Each plotly explorer (a figure with a slider) draws other traces when its
    slider rail is clicked, and its first step again when the grip is dragged
    back (see conftest.drive_explorers)."""
    explorers = _visit(visits, name).explorers
    if not explorers:
        assert "explorer" not in _source(name), f"{name}: the source builds an explorer, the page has none"
        pytest.skip(f"{name} has no explorer")
    for e in explorers:
        where = f"{name}: explorer {e['id']}"
        assert "error" not in e, f"{where}: {e.get('error')}"
        before, click, drag = e["before"], e["after_click"], e["after_drag"]
        assert click["active"] != before["active"], f"{where}: the click did not move the slider"
        assert click["visible"] != before["visible"], f"{where}: the same traces are visible"
        assert click["drawn"] != before["drawn"], f"{where}: the plot area was not redrawn"
        assert click["current"] != before["current"], f"{where}: the current-value label did not change"
        assert drag["visible"] == before["visible"], f"{where}: dragging back did not restore the first step"


def _search_word(name: str) -> str:
    return SEARCH_WORDS[name]


@pytest.mark.parametrize("name", CHAPTERS)
def test_search_finds_the_chapter(page, server, name):
    word = _search_word(name)
    assert word.lower() in _source(name).lower()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/search.html?q={word}", wait_until="load")
    page.wait_for_function(
        "() => /found|did not match/i.test((document.querySelector('#search-results .search-summary') || {}).textContent || '')")
    hits = page.eval_on_selector_all("#search-results ul.search li a", "as => as.map(a => a.href)")
    assert any(same_page(h, page_url(server, name)) for h in hits), f"search for {word!r} gave {hits}"
    assert errors == []


def test_previous_and_next_links(visits, page, server):
    """The links at the bottom of each page point at its neighbours in _toc.yml,
    and clicking through them walks the whole book forward and back."""
    urls = [page_url(server, p) for p in PAGES]
    for i, name in enumerate(PAGES):
        f = _visit(visits, name).facts
        assert (f["prev"] is None) if i == 0 else same_page(f["prev"], urls[i - 1]), f"{name}: previous {f['prev']}"
        assert (f["next"] is None) if i == len(PAGES) - 1 else same_page(f["next"], urls[i + 1]), f"{name}: next {f['next']}"
    # Only the links matter here: skip what is slow to parse or draw.
    page.route(re.compile(r"(/plotly[-a-z0-9]*\.min\.js|/mathjax/|/_images/|fontawesome)"), lambda route: route.abort())
    page.goto(f"{server}/index.html", wait_until="domcontentloaded")
    page.wait_for_url(urls[0])                       # index.html redirects to the front page
    for target in urls[1:]:
        page.click("a.right-next")
        page.wait_for_url(target, wait_until="domcontentloaded")
    for target in reversed(urls[:-1]):
        page.click("a.left-prev")
        page.wait_for_url(target, wait_until="domcontentloaded")


@pytest.mark.parametrize("name", CHAPTERS)
def test_figures_are_numbered_within_their_chapter(name):
    """Chapter N's figures are Fig. N.1, N.2, ... (numbered TOC), not counted across the book."""
    html = (HTML / f"{name}.html").read_text(encoding="utf-8")
    chapter = CHAPTERS.index(name) + 1
    numbers = re.findall(r"Fig\. (\d+)\.(\d+)", html)
    assert numbers, f"{name}: no numbered figure"
    assert {int(c) for c, _ in numbers} == {chapter}, numbers
    assert min(int(i) for _, i in numbers) == 1
