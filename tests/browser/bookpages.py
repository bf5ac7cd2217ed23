"""Helpers of the browser tests (the fixtures are in conftest.py): the pages of
the book, what is recorded on each page, and how its explorers are driven with
the mouse."""

from __future__ import annotations

import contextlib
import gzip
import http.server
import io
import json
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

import yaml

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = os.environ.get("BLOGCODE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}


@contextlib.contextmanager
def headless_chromium():
    """Debian's chromium, headless, driven by Playwright (no `playwright install`);
    a missing package or browser fails the test (a broken environment), never skips it.
    The one launcher of tests/browser and tests/lab."""
    import pytest

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing: bash .ci/setup-env installs it")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: bash .ci/install-browser installs Debian's chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()

#: The one timeout (ms) of every wait in these tests: navigation, rendering,
#: redraws after a click. Each wait is on the condition itself, so a fast
#: machine does not wait longer; the margin is for a machine busy with other
#: CPU-heavy jobs (software WebGL on 2 shared cores takes tens of seconds).
WAIT_MS = 120_000

#: What a static host compresses (nginx's ``gzip_types``, GitHub Pages):
#: text formats. Images and woff2 fonts are compressed already.
GZIP_TYPES = ("text/", "application/javascript", "text/javascript", "application/json",
              "image/svg+xml", "application/xml", "application/x-ipynb+json")
GZIP_LEVEL = 6   # nginx/zlib's usual level; what a first visit over the network costs


def toc_pages() -> list[str]:
    """Every page of the book in reading order: root, then the chapters."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [toc["root"]] + [c["file"] for c in toc.get("chapters", [])]


def is_chapter(page: str) -> bool:
    """A chapter is an executed notebook (not the front page or the references)."""
    return page not in (toc_pages()[0], "book/references")


@dataclass
class Visit:
    page: str
    url: str
    console_errors: list = field(default_factory=list)
    failed_requests: list = field(default_factory=list)
    bad_responses: list = field(default_factory=list)
    requests: list = field(default_factory=list)      # (url, transferred bytes, raw bytes)
    facts: dict = field(default_factory=dict)          # gathered in the page by FACTS_JS
    explorers: list = field(default_factory=list)      # what drive_explorers saw
    error: str | None = None                           # what stopped the visit, if anything

    @property
    def transferred(self) -> int:
        """Bytes on the wire (headers + bodies, gzip where the server compressed)."""
        return sum(sent for _, sent, _ in self.requests)

    @property
    def raw(self) -> int:
        """The same files uncompressed (bodies only)."""
        return sum(raw for _, _, raw in self.requests)

    def largest(self, n: int = 6) -> list[str]:
        """The ``n`` requests that transferred most, as readable strings."""
        top = sorted(self.requests, key=lambda r: -r[1])[:n]
        return [f"{urlparse(u).path} {sent / 1e3:.0f} kB ({raw / 1e3:.0f} kB raw)" for u, sent, raw in top]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output readable
        pass


class GzipHandler(QuietHandler):
    """Serves ``directory`` like a static host does: text files gzip-compressed
    (``Content-Encoding: gzip``) when the client accepts it, everything else as
    is. Compressed bodies are cached in memory (the files do not change while
    the tests run)."""

    _cache: dict = {}
    _lock = threading.Lock()
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".js": "application/javascript", ".mjs": "application/javascript",
                      ".json": "application/json", ".svg": "image/svg+xml",
                      ".ipynb": "application/x-ipynb+json", ".woff2": "font/woff2", ".woff": "font/woff"}

    def send_head(self):
        path = self.translate_path(self.path)
        ctype = self.guess_type(path)
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (accepts and os.path.isfile(path) and ctype.startswith(GZIP_TYPES)):
            return super().send_head()
        stat = os.stat(path)
        key = (path, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            body = self._cache.get(key)
        if body is None:
            with open(path, "rb") as f:
                body = gzip.compress(f.read(), compresslevel=GZIP_LEVEL, mtime=0)
            with self._lock:
                self._cache[key] = body
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        return io.BytesIO(body)


def page_url(server: str, page: str) -> str:
    return f"{server}/{page}.html"


def raw_size(url: str) -> int:
    """Size of the file behind a URL of the local server (0 if none: data: URLs)."""
    parsed = urlparse(url)
    path = HTML / unquote(parsed.path).lstrip("/")
    return path.stat().st_size if parsed.scheme.startswith("http") and path.is_file() else 0


_NEW_PLOT = re.compile(r"""Plotly\.newPlot\(\s*"([^"]*)"\s*,\s*""")


def figure_weights(page: str) -> list[tuple[str, int, int]]:
    """``(div id, raw bytes, gzip bytes)`` of the data + layout of every plotly
    figure in the built page (what each figure adds to the page's HTML)."""
    path = HTML / f"{page}.html"
    if not path.is_file():
        return []
    html, decoder, out = path.read_text(encoding="utf-8"), json.JSONDecoder(), []
    for match in _NEW_PLOT.finditer(html):
        end = match.end()
        try:
            _, end = decoder.raw_decode(html, end)                      # data
            comma = re.compile(r"\s*,\s*").match(html, end)
            if comma:
                _, end = decoder.raw_decode(html, comma.end())          # layout
        except json.JSONDecodeError:
            end = match.end()
        chunk = html[match.start():end].encode("utf-8")
        out.append((match.group(1), len(chunk), len(gzip.compress(chunk, compresslevel=GZIP_LEVEL, mtime=0))))
    return out


def wait_until_rendered(pg) -> None:
    """Wait for MathJax's first typesetting and for every plotly div to be drawn
    (each wait on the condition itself, up to WAIT_MS)."""
    pg.wait_for_function("() => !window.MathJax || (window.MathJax.startup && window.MathJax.startup.promise)",
                         timeout=WAIT_MS)
    pg.evaluate("async () => { if (window.MathJax) await window.MathJax.startup.promise; }")
    pg.wait_for_function(
        "() => [...document.querySelectorAll('.plotly-graph-div')]"
        ".every(d => d.classList.contains('js-plotly-plot') && d._fullLayout)",
        timeout=WAIT_MS,
    )


#: Font Awesome placeholders (<i class="fa-solid fa-list">) not yet turned into SVG.
_ICONS_LEFT = "i[class*='fa-']:not(:has(svg))"

FACTS_JS = r"""
() => {
  const ICONS_LEFT = "ICONS_LEFT_PLACEHOLDER";
  const skip = (n) => n.closest('pre, code, script, style, mjx-container, .highlight, textarea');
  const walker = document.createTreeWalker(document.querySelector('main') || document.body, NodeFilter.SHOW_TEXT);
  const rawMath = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (skip(n.parentElement)) continue;
    const t = n.textContent;
    for (const d of ['\\(', '\\)', '\\[', '\\]', '$$']) if (t.includes(d)) { rawMath.push(t.trim().slice(0, 120)); break; }
  }
  const article = document.querySelector('article') || document.body;
  const imgs = [...article.querySelectorAll('img')].concat([...document.querySelectorAll('.dropdown-menu img')]);
  const link = (sel) => { const a = document.querySelector(sel); return a ? a.href : null; };
  const firstOutput = document.querySelector('.cell_output');
  return {
    title: document.title,
    mathSources: document.querySelectorAll('.math').length,
    mjx: document.querySelectorAll('mjx-container').length,
    mjxErrors: document.querySelectorAll('mjx-merror').length,
    rawMath,
    images: imgs.map(i => ({src: i.currentSrc || i.src, alt: (i.getAttribute('alt') || '').trim(),
                            complete: i.complete, width: i.naturalWidth})),
    figures: [...document.querySelectorAll('.plotly-graph-div')].map(d => {
      const box = d.closest('[aria-label]');
      return {id: d.id, drawn: d.classList.contains('js-plotly-plot'),
              sliders: (d.layout && d.layout.sliders || []).length,
              label: box ? box.getAttribute('aria-label') : ''};
    }),
    prev: link('a.left-prev'),
    next: link('a.right-next'),
    downloads: [...document.querySelectorAll('.dropdown-download-buttons .dropdown-item')]
      .map(e => ({text: e.textContent.trim(), href: e.href || null})),
    launches: [...document.querySelectorAll('.dropdown-launch-buttons .dropdown-item')]
      .map(e => ({text: e.textContent.trim(), href: e.href || null})),
    firstOutput: firstOutput ? firstOutput.innerText : null,
    icons: document.querySelectorAll('svg.svg-inline--fa').length,
    iconsMissing: [...document.querySelectorAll('svg.svg-inline--fa')].filter(s => s.querySelector('g.missing'))
      .map(s => (s.getAttribute('data-prefix') || '') + ' ' + (s.getAttribute('data-icon') || '')),
    iconsLeft: document.querySelectorAll(ICONS_LEFT).length,
  };
}
""".replace("ICONS_LEFT_PLACEHOLDER", _ICONS_LEFT)


def visit_page(pg, visit: Visit) -> None:
    """Open ``visit.url`` in the fresh page ``pg``; record console errors, failed
    requests, transferred bytes and facts from the DOM (FACTS_JS); save a
    full-page screenshot; drive the explorers. Errors go to ``visit.error``."""
    use_generous_timeouts(pg)
    finished = []
    pg.on("console", lambda m, v=visit: m.type == "error" and not is_favicon(m) and v.console_errors.append(
        f"{m.text} ({m.location.get('url', '')}:{m.location.get('lineNumber', '')})"))
    pg.on("pageerror", lambda e, v=visit: v.console_errors.append(f"uncaught: {e}"))
    pg.on("requestfailed", lambda r, v=visit: v.failed_requests.append(f"{r.url}: {r.failure}"))
    pg.on("response", lambda r, v=visit: r.status >= 400 and not r.url.endswith("/favicon.ico")
          and v.bad_responses.append(f"{r.url}: {r.status}"))
    pg.on("requestfinished", lambda r: finished.append(r))
    try:
        response = pg.goto(visit.url, wait_until="load")
        assert response is not None and response.ok, f"{visit.url}: {response and response.status}"
        wait_until_rendered(pg)
        # Fonts MathJax asked for; lazy images load for the full-page screenshot.
        pg.evaluate("async () => { await document.fonts.ready; }")
        pg.wait_for_function("() => [...document.images].every(i => i.complete)", timeout=WAIT_MS)
        # Font Awesome turns each <i class="fa-..."> into an SVG, asynchronously.
        pg.wait_for_function(f"() => document.querySelectorAll({json.dumps(_ICONS_LEFT)}).length === 0",
                             timeout=WAIT_MS)
        visit.facts = pg.evaluate(FACTS_JS)
        for r in finished:   # what the first visit transferred, before any interaction
            sizes = r.sizes()
            visit.requests.append((r.url, sizes["responseBodySize"] + sizes["responseHeadersSize"], raw_size(r.url)))
        pg.screenshot(path=str(SCREENSHOTS / f"{Path(visit.page).name}.png"), full_page=True)
        # The explorers are driven here, on the page already open: the ellipse
        # chapter's WebGL figures take ~15 s to draw in software on 2 cores.
        visit.explorers = drive_explorers(pg)
    except Exception as err:  # one broken page fails its own tests, not all of them
        visit.error = f"{type(err).__name__}: {err}"


def use_generous_timeouts(pg) -> None:
    """Every Playwright wait of ``pg`` (actions, navigations, waits for a
    condition) gives up after WAIT_MS, not after Playwright's 30 s default."""
    pg.set_default_timeout(WAIT_MS)
    pg.set_default_navigation_timeout(WAIT_MS)


def is_favicon(message) -> bool:
    """Chromium asks every site for /favicon.ico; the book has none. That is the
    browser's request, not the page's, so its 404 is not a page error."""
    return message.location.get("url", "").endswith("/favicon.ico")


_STATE_JS = """d => {
  const s = d._fullLayout.sliders[0], prefix = (s.currentvalue && s.currentvalue.prefix) || '';
  const label = [...d.querySelectorAll('.slider-container text')].find(t => prefix && t.textContent.startsWith(prefix));
  return {visible: d._fullData.filter(t => t.visible === true).map(t => t.index).join(','),
          active: s.active,
          current: label ? label.textContent : '',
          drawn: [...d.querySelectorAll('.cartesianlayer, .gl-container, .polarlayer')]
                 .map(e => e.innerHTML.length + ':' + e.innerHTML).join('|')};
}"""


#: True once the slider of figure ``d`` has settled on a step other than ``a``
#: (``back`` false) or on ``a`` itself (``back`` true): the active step, the
#: visible traces that step's restyle asks for, and the current-value label.
_SETTLED_JS = r"""([d, a, back]) => {
  const s = d._fullLayout && d._fullLayout.sliders && d._fullLayout.sliders[0];
  if (!s || (back ? s.active !== a : s.active === a)) return false;
  const step = (s._visibleSteps || s.steps || [])[s.active];
  if (!step) return false;
  const args = step.method === 'restyle' && step.args && step.args[0];
  if (args && Array.isArray(args.visible)) {
    // The traces' own `visible` (what the restyle sets; plotly's _fullData also
    // hides empty traces), then _fullData recomputed: no trace shown that the step hides.
    const ids = Array.isArray(step.args[1]) ? step.args[1] : args.visible.map((_, i) => i);
    const want = new Map(ids.map((id, j) => [id, args.visible[j]]));
    for (const [id, w] of want) if (d.data[id] && d.data[id].visible !== w) return false;
    if (d._fullData.some(t => t.visible === true && want.get(t.index) === false)) return false;
  }
  const prefix = (s.currentvalue && s.currentvalue.prefix) || '';
  const plain = (x) => String(x || '').replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim();
  const label = [...d.querySelectorAll('.slider-container text')].find(t => prefix && t.textContent.startsWith(prefix));
  return !label || plain(label.textContent).includes(plain(step.label));
}"""


def drive_explorers(pg) -> list[dict]:
    """Move the slider of every plotly explorer (a drawn figure with a slider)
    with the mouse: a click near the far end of the rail, then a drag of the
    grip back to where it started. Returns, per explorer, the figure's state
    (visible traces, active step, current-value label, drawn SVG/WebGL layers)
    before, after the click and after the drag, or the error that stopped it."""
    results = []
    explorers = pg.locator(".js-plotly-plot").filter(has=pg.locator(".slider-container"))
    for i in range(explorers.count()):
        fig = explorers.nth(i)
        result = {"id": fig.get_attribute("id")}
        results.append(result)
        try:
            fig.scroll_into_view_if_needed()
            result["before"] = fig.evaluate(_STATE_JS)
            box = fig.locator("rect.slider-rail-touch-rect").first.bounding_box()
            start = fig.locator("rect.slider-grip-rect").first.bounding_box()
            y = box["y"] + box["height"] / 2
            start_x = start["x"] + start["width"] / 2
            # A click near whichever end of the rail is further from the grip.
            far = 0.95 if start_x < box["x"] + box["width"] / 2 else 0.05
            pg.mouse.click(box["x"] + box["width"] * far, y)
            # Plotly moves `active` at once and restyles on the next animation
            # frame: wait for the whole new step to be shown.
            pg.wait_for_function(_SETTLED_JS, arg=[fig.element_handle(), result["before"]["active"], False],
                                 timeout=WAIT_MS)
            result["after_click"] = fig.evaluate(_STATE_JS)
            # Drag the grip back to where it started.
            grip = fig.locator("rect.slider-grip-rect").first.bounding_box()
            pg.mouse.move(grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2)
            pg.mouse.down()
            pg.mouse.move((grip["x"] + grip["width"] / 2 + start_x) / 2, y, steps=4)
            pg.mouse.move(start_x, y, steps=4)
            pg.mouse.up()
            pg.wait_for_function(_SETTLED_JS, arg=[fig.element_handle(), result["before"]["active"], True],
                                 timeout=WAIT_MS)
            result["after_drag"] = fig.evaluate(_STATE_JS)
        except Exception as err:  # reported by the test, with the explorer's id
            result["error"] = f"{type(err).__name__}: {err}"
    return results


def same_page(a: str, b: str) -> bool:
    return urlparse(a).path == urlparse(b).path
