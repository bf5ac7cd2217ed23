"""Sphinx fix-up for the rendered pages (loaded through ``_config.yml``).

Jupyter Book 1 (sphinx-thebe 0.3.1 with Sphinx 7.4) puts sphinx-thebe's inline
configuration script, ``const THEBE_JS_URL = ...``, into every page twice: once
with a ``None`` file name and once with ``''``, so Sphinx does not see them as
equal. The second copy throws "Identifier 'THEBE_JS_URL' has already been
declared" in the browser console on every page (caught by tests/browser).
This drops repeated scripts (same file and same inline body) before a page is
written.

It also loads plotly.js (copied into ``_static`` by ``.ci/build-book``) only
on pages that hold a plotly figure (``blogcode.widgets.show_figure`` wraps each
one in ``<div class="blogcode-figure">``), once per page, so pages without
figures stay light.
"""

from __future__ import annotations


def _key(script) -> tuple:
    attributes = getattr(script, "attributes", {}) or {}
    return (str(getattr(script, "filename", script) or ""), attributes.get("body", ""))


def drop_repeated_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def add_plotly_where_needed(app, pagename, templatename, context, doctree) -> None:
    if 'class="blogcode-figure"' in context.get("body", ""):
        app.add_js_file("plotly.min.js")  # in this handler: for this page only


def setup(app):
    app.connect("html-page-context", add_plotly_where_needed, priority=400)
    app.connect("html-page-context", drop_repeated_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
