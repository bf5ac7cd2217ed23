"""The front page's table of articles, generated from ``blogcode.chapters``
(loaded through ``_config.yml``), so each chapter's title, date, URL and tags
are typed once.

The line ``{chapter-table}`` (alone on its line) in ``book/intro.md`` is
replaced by :func:`blogcode.chapters.intro_table` before MyST parses the page.
A missing line is a build error, not a page without its table.
"""

from __future__ import annotations

MARKER = "{chapter-table}"
PAGE = "book/intro"


def insert_table(app, docname: str, source: list) -> None:
    if docname != PAGE:
        return
    from blogcode.chapters import intro_table

    lines = source[0].split("\n")
    if lines.count(MARKER) != 1:
        raise RuntimeError(f"{PAGE}.md must hold the line {MARKER!r} exactly once (the table of articles)")
    source[0] = "\n".join(intro_table() if line == MARKER else line for line in lines)


def setup(app):
    app.connect("source-read", insert_table)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
