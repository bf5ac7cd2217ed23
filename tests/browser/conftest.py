"""Fixtures for the end-to-end browser tests of the rendered book.

They need the built book (``_build/html``, from ``.ci/build-book``), Debian's
``chromium`` at /usr/bin/chromium (``.ci/install-browser`` installs it) and the
``playwright`` Python package (its wheel bundles the driver; no
``playwright install``: the browser is the system one). ``.ci/test`` runs them as
step 4, after the strict build; step 1 (unit tests) leaves this folder out.

Every page listed in ``_toc.yml`` is opened once, in a fresh browser context
(empty cache, so the bytes counted are what a first visit transfers), and what
happened is recorded in a ``Visit``; most tests only look at those records.
A full-page screenshot of each page goes to ``_build/screenshots/<page>.png``.
Every wait is on its condition, with one generous timeout (bookpages.WAIT_MS),
so the tests pass on a machine busy with other work.
"""

from __future__ import annotations

import functools
import http.server
import threading

import pytest

from bookpages import (HTML, SCREENSHOTS, VIEWPORT, GzipHandler, Visit, headless_chromium,
                       page_url, toc_pages, use_generous_timeouts, visit_page)


@pytest.fixture(scope="session")
def server():
    """``_build/html`` served on 127.0.0.1 at a free port by a background thread,
    text files gzip-compressed as a static host serves them (bookpages.GzipHandler)."""
    if not (HTML / "index.html").is_file():
        pytest.fail(f"{HTML}/index.html is missing: build the book first (bash .ci/build-book)")
    handler = functools.partial(GzipHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium, headless, driven by Playwright (bookpages.headless_chromium)."""
    with headless_chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    """A fresh page (own context, empty cache) for the interactive tests."""
    context = browser.new_context(viewport=VIEWPORT)
    pg = context.new_page()
    use_generous_timeouts(pg)
    yield pg
    context.close()


@pytest.fixture(scope="session")
def visits(browser, server) -> dict[str, Visit]:
    """Every page of _toc.yml opened once, in its own context: see visit_page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    out = {}
    for name in toc_pages():
        visit = Visit(page=name, url=page_url(server, name))
        context = browser.new_context(viewport=VIEWPORT)
        visit_page(context.new_page(), visit)
        context.close()
        out[name] = visit
    return out
