"""Print the single-page build of the book to one PDF with headless Chromium.

Used by ``.ci/build-pdf`` (which ``.ci/build-book`` calls after the HTML build):

    .venv/bin/python .ci/print_pdf.py _build/singlehtml _build/pdf/scientific-spaces-executable.pdf

The page (Sphinx's ``singlehtml`` build: every chapter in one HTML file) is
served on 127.0.0.1 and opened in Debian's Chromium through Playwright, the
same browser the tests use; any request to another host is refused, so the
PDF is made offline. Before printing it waits for what the reader's browser
draws: MathJax's formulas, every plotly figure (the static explorers at their
first step), every image and every font (the Noto CJK fonts that
``.ci/install-browser`` installs render the Chinese titles and terms). The
viewport is as wide as the printed text, so the figures are laid out at the
width they are printed at. Page numbers go in the footer.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import re
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

CHROMIUM = os.environ.get("BLOGCODE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
#: A4 with 15 mm margins: 180 mm of text, 680 CSS pixels at 96 per inch.
PAPER = {"format": "A4", "margin": {"top": "15mm", "bottom": "18mm", "left": "15mm", "right": "15mm"}}
TEXT_WIDTH_PX = 680
#: One generous timeout (ms) for every wait: software WebGL and MathJax on two
#: shared cores take tens of seconds for the whole book on one page.
WAIT_MS = 300_000
FOOTER = ('<div style="width:100%; font-size:8px; color:#666; text-align:center;">'
          '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def serve(directory: Path):
    """``directory`` served on 127.0.0.1 at a free port by a daemon thread."""
    handler = functools.partial(QuietHandler, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def single_page(html_dir: Path) -> str:
    """The HTML of the one page that holds the whole book. Jupyter Book writes
    ``index.html`` as a redirect to the root document (``book/intro.html``),
    whose links Sphinx's singlehtml builder makes relative to the output
    folder, so the page is served as that folder's ``index.html``."""
    index = (html_dir / "index.html").read_text(encoding="utf-8")
    match = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', index, flags=re.IGNORECASE)
    return (html_dir / match.group(1)).read_text(encoding="utf-8") if match else index


def wait_until_drawn(page) -> None:
    """MathJax typeset, plotly figures drawn, images loaded, fonts ready."""
    page.wait_for_function("() => !window.MathJax || (window.MathJax.startup && window.MathJax.startup.promise)",
                           timeout=WAIT_MS)
    page.evaluate("async () => { if (window.MathJax) await window.MathJax.startup.promise; }")
    page.wait_for_function("() => [...document.querySelectorAll('.plotly-graph-div')]"
                           ".every(d => d.classList.contains('js-plotly-plot') && d._fullLayout)", timeout=WAIT_MS)
    # Lazy images load only when scrolled to: ask for all of them now.
    page.evaluate("() => document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })")
    page.wait_for_function("() => [...document.images].every(i => i.complete)", timeout=WAIT_MS)
    page.evaluate("async () => { await document.fonts.ready; }")


def print_book(html_dir: Path, out: Path) -> dict:
    """Print the book page of ``html_dir`` (see ``single_page``) to ``out``; returns what it refused and how long it took."""
    from playwright.sync_api import sync_playwright

    start, refused = time.perf_counter(), []
    httpd, base = serve(html_dir)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page(viewport={"width": TEXT_WIDTH_PX, "height": 1000})

            def local_only(route):
                if urlparse(route.request.url).hostname == "127.0.0.1":
                    route.continue_()
                else:
                    refused.append(route.request.url)
                    route.abort()

            page.route("**/*", local_only)
            url = f"{base}/index.html"
            book = single_page(html_dir)
            page.route(url, lambda route: route.fulfill(body=book, content_type="text/html; charset=utf-8"))
            response = page.goto(url, wait_until="load", timeout=WAIT_MS)
            if response is None or not response.ok:
                raise RuntimeError(f"{url}: {response and response.status}")
            wait_until_drawn(page)
            out.parent.mkdir(parents=True, exist_ok=True)
            page.pdf(path=str(out), print_background=True, display_header_footer=True,
                     header_template="<div></div>", footer_template=FOOTER, **PAPER)
            browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    return {"refused": refused, "seconds": time.perf_counter() - start}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html_dir", type=Path, help="the singlehtml build (holds index.html)")
    parser.add_argument("out", type=Path, help="the PDF to write")
    args = parser.parse_args(argv)
    if not (args.html_dir / "index.html").is_file():
        parser.error(f"{args.html_dir}/index.html is missing: build the singlehtml book first")
    if not os.access(CHROMIUM, os.X_OK):
        parser.error(f"{CHROMIUM} is missing: bash .ci/install-browser installs Debian's chromium")
    result = print_book(args.html_dir, args.out)
    if result["refused"]:
        print(f"print_pdf: refused {len(result['refused'])} off-machine requests, e.g. {result['refused'][0]}",
              file=sys.stderr)
        return 1
    print(f"print_pdf: wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB) in {result['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
