"""Tests of blogcode.chapters (the facts of every chapter) and of the book's
structure: every chapter is an output-free MyST notebook with the standard
header, and the header, ``_toc.yml``, ``references.bib`` and the front page agree
with ``blogcode.chapters``. The convention is described in README.md ("Writing a
chapter", "Adding a chapter").
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from blogcode.chapters import CHAPTERS, chapter, intro_table

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for entry in toc.get("chapters", []):
        files.append(entry["file"])
    return files


NON_CHAPTERS = {"book/intro", "book/references"}


def chapter_paths() -> list[Path]:
    return [ROOT / f"{f}.md" for f in toc_files() if f not in NON_CHAPTERS]


# Each header field is a bullet "- **Field:** value" inside the opening admonition.
HEADER_FIELDS = {
    "Original title": r"「.*[\u4e00-\u9fff].*」",  # the Chinese title, in corner brackets
    "English title": r"\S",
    "Author": r"苏剑林 \(Su Jianlin\)",
    "Date": r"20\d\d-\d\d-\d\d",
    "URL": r"<https://kexue\.fm/archives/\d{4}>",
    "Licence": r"CC BY-NC-ND.*\{cite\}`su\d{4}\w+`",
    "Key terms": r"[\u4e00-\u9fff].*",  # the Chinese key terms with translations
}


def split_front_matter(text: str) -> tuple[dict, str]:
    match = re.match(r"^---\n(.*?)\n---\n(.*)$", text, re.S)
    assert match, "chapter must start with a jupytext YAML header between '---' lines"
    return yaml.safe_load(match.group(1)), match.group(2)


def test_toc_lists_existing_files_only():
    for f in toc_files():
        assert (ROOT / f"{f}.md").is_file(), f"_toc.yml lists {f} but {f}.md does not exist"


def test_every_chapter_file_is_in_the_toc():
    listed = {ROOT / f"{f}.md" for f in toc_files()}
    for md in BOOK.glob("*.md"):
        assert md in listed, f"{md.name} exists in book/ but is not in _toc.yml"


@pytest.mark.parametrize("path", chapter_paths(), ids=lambda p: p.stem)
def test_chapter_is_a_myst_notebook(path):
    meta, _ = split_front_matter(path.read_text(encoding="utf-8"))
    fmt = meta["jupytext"]["text_representation"]
    assert fmt["format_name"] == "myst"
    assert meta["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", chapter_paths(), ids=lambda p: p.stem)
def test_chapter_header(path):
    _, body = split_front_matter(path.read_text(encoding="utf-8"))
    head = body[: body.find("```{code-cell}")]
    assert re.search(r"^# \S", head, re.M), "chapter needs a '# English title' heading"
    adm = re.search(r":::\{admonition\} The original article\n:class: original-article\n(.*?)\n:::", head, re.S)
    assert adm, "chapter needs the ':::{admonition} The original article' block before its first cell"
    for field, pattern in HEADER_FIELDS.items():
        line = re.search(rf"^- \*\*{field}:\*\* (.+)$", adm.group(1), re.M)
        assert line, f"header field {field!r} is missing"
        assert re.search(pattern, line.group(1)), f"header field {field!r} does not match {pattern!r}: {line.group(1)!r}"
    differs = re.search(r"^## What differs from the original\n+((?:- .+\n?)+)", head, re.M)
    assert differs, "chapter needs a '## What differs from the original' list before its first cell"


@pytest.mark.parametrize("path", chapter_paths(), ids=lambda p: p.stem)
def test_first_cell_reports_device_and_mode(path):
    body = path.read_text(encoding="utf-8")
    first = re.search(r"```\{code-cell\}[^\n]*\n(.*?)```", body, re.S)
    assert first, "chapter has no code cell"
    assert "device_report(" in first.group(1), "the first cell must print blogcode.device_report()"
    assert "set_seed(" in first.group(1), "the first cell must call blogcode.set_seed()"


@pytest.mark.parametrize("path", chapter_paths(), ids=lambda p: p.stem)
def test_chapter_never_installs_or_downloads(path):
    body = path.read_text(encoding="utf-8")
    for bad in ("pip install", "%pip", "!pip", "urlopen", "requests.get", "load_data("):
        assert bad not in body, f"{path.name} contains {bad!r}: notebooks never install or download"


def test_no_notebook_with_outputs_is_committed():
    tracked = subprocess.run(
        ["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked == [], f"chapters are MyST markdown; do not commit notebooks: {tracked}"


@pytest.mark.parametrize("path", chapter_paths(), ids=lambda p: p.stem)
def test_live_widget_cells_are_not_executed_by_the_build(path):
    # nbclient (the build's executor) can wait forever after a cell that creates
    # ipywidgets; nbval still runs these cells. See README, "Writing a chapter", item 5.
    source = path.read_text(encoding="utf-8")
    cells = re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", source, re.S)
    live = [cell for cell in cells if re.search(r"live|widgets\.interact", cell, re.I)
            and re.match(r":tags: \[.*remove-output", cell)]
    assert live, f"{path.name} has no live-widget cell tagged remove-output"
    for cell in live:
        assert re.match(r":tags: \[.*skip-execution", cell), cell[:80]


# ------------------------------------------------------------------ one source of chapter facts

def header_fields(slug: str) -> dict:
    _, body = split_front_matter((BOOK / f"{slug}.md").read_text(encoding="utf-8"))
    head = body[: body.find("```{code-cell}")]
    fields = dict(re.findall(r"^- \*\*([^:*]+):\*\* (.+)$", head, re.M))
    fields["heading"] = re.search(r"^# (.+)$", head, re.M).group(1)
    return fields


def test_the_toc_lists_the_chapters_in_publication_order():
    listed = [f.removeprefix("book/") for f in toc_files() if f not in NON_CHAPTERS]
    assert listed == [c.slug for c in CHAPTERS], "_toc.yml and blogcode.chapters.CHAPTERS must list the same chapters"
    dates = [c.date for c in CHAPTERS]
    assert dates == sorted(dates), "CHAPTERS is in the order the blog published the articles"


@pytest.mark.parametrize("entry", CHAPTERS, ids=lambda c: c.slug)
def test_chapter_header_agrees_with_the_chapter_facts(entry):
    fields = header_fields(entry.slug)
    assert fields["Original title"] == f"「{entry.chinese_title}」"
    assert fields["English title"] == entry.english_title
    assert fields["heading"] == entry.heading
    assert fields["Date"] == entry.date
    assert fields["URL"] == f"<{entry.url}>"
    assert f"{{cite}}`{entry.cite}`" in fields["Licence"]


@pytest.mark.parametrize("entry", CHAPTERS, ids=lambda c: c.slug)
def test_the_bibliography_entry_agrees_with_the_chapter_facts(entry):
    bib = (BOOK / "references.bib").read_text(encoding="utf-8")
    record = re.search(rf"@\w+\{{{entry.cite},(.*?)\n\}}", bib, re.S)
    assert record, f"references.bib has no entry {entry.cite}"
    assert entry.url in record.group(1), f"{entry.cite} in references.bib must link {entry.url}"
    assert entry.chinese_title.strip("“”") in record.group(1).replace("{", "").replace("}", "")


@pytest.mark.parametrize("entry", CHAPTERS, ids=lambda c: c.slug)
def test_search_word_is_on_the_chapter_page(entry):
    text = (BOOK / f"{entry.slug}.md").read_text(encoding="utf-8")
    assert entry.search_word in text, f"{entry.slug}: the search word {entry.search_word!r} is not in the chapter"


def test_the_front_page_table_is_generated_from_the_chapter_facts():
    intro = (BOOK / "intro.md").read_text(encoding="utf-8")
    assert intro.splitlines().count("{chapter-table}") == 1, "book/intro.md places the table with {chapter-table}"
    assert "kexue.fm/archives/6" not in intro.split("{chapter-table}")[0][-2000:], "no typed copy of the table"
    table = intro_table().splitlines()
    assert len(table) == 2 + len(CHAPTERS)
    for entry, row in zip(CHAPTERS, table[2:]):
        assert row.startswith(f"| {entry.date} | {entry.chinese_title} | {entry.english_title} |")
        assert f"[{entry.archive}]({entry.url})" in row and row.endswith(f"{{doc}}`{entry.slug}` |")


def test_chapter_lookup():
    assert chapter("rope").url == "https://kexue.fm/archives/6784"
    assert chapter("dgcnn").package == "blogcode.dgcnn"
    with pytest.raises(ValueError, match="slug"):
        chapter("nope")
    with pytest.raises(TypeError, match="slug"):
        chapter(6784)
