"""Helpers of the browser tests (the fixtures are in conftest.py): the pages of
the book, what is recorded on each page, and how its explorers are driven with
the mouse."""

from __future__ import annotations

import http.server
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

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
    requests: list = field(default_factory=list)      # (url, transferred bytes)
    facts: dict = field(default_factory=dict)          # gathered in the page by FACTS_JS
    explorers: list = field(default_factory=list)      # what drive_explorers saw
    error: str | None = None                           # what stopped the visit, if anything

    @property
    def transferred(self) -> int:
        return sum(size for _, size in self.requests)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output readable
        pass


def page_url(server: str, page: str) -> str:
    return f"{server}/{page}.html"


def wait_until_rendered(pg) -> None:
    """Wait for MathJax's first typesetting and for every plotly div to be drawn."""
    pg.wait_for_function("() => !window.MathJax || (window.MathJax.startup && window.MathJax.startup.promise)")
    pg.evaluate("async () => { if (window.MathJax) await window.MathJax.startup.promise; }")
    pg.wait_for_function(
        "() => [...document.querySelectorAll('.plotly-graph-div')]"
        ".every(d => d.classList.contains('js-plotly-plot') && d._fullLayout)"
    )


FACTS_JS = r"""
() => {
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
  };
}
"""


def visit_page(pg, visit: Visit) -> None:
    """Open ``visit.url`` in the fresh page ``pg``; record console errors, failed
    requests, transferred bytes and facts from the DOM (FACTS_JS); save a
    full-page screenshot; drive the explorers. Errors go to ``visit.error``."""
    pg.set_default_timeout(60_000)
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
        pg.wait_for_function("() => [...document.images].every(i => i.complete)")
        visit.facts = pg.evaluate(FACTS_JS)
        for r in finished:   # what the first visit transferred, before any interaction
            sizes = r.sizes()
            visit.requests.append((r.url, sizes["responseBodySize"] + sizes["responseHeadersSize"]))
        pg.screenshot(path=str(SCREENSHOTS / f"{Path(visit.page).name}.png"), full_page=True)
        # The explorers are driven here, on the page already open: the ellipse
        # chapter's WebGL figures take ~15 s to draw in software on 2 cores.
        visit.explorers = drive_explorers(pg)
    except Exception as err:  # one broken page fails its own tests, not all of them
        visit.error = f"{type(err).__name__}: {err}"


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
            pg.wait_for_function("([d, a]) => d._fullLayout.sliders[0].active !== a",
                                 arg=[fig.element_handle(), result["before"]["active"]], timeout=20_000)
            result["after_click"] = fig.evaluate(_STATE_JS)
            # Drag the grip back to where it started.
            grip = fig.locator("rect.slider-grip-rect").first.bounding_box()
            pg.mouse.move(grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2)
            pg.mouse.down()
            pg.mouse.move((grip["x"] + grip["width"] / 2 + start_x) / 2, y, steps=4)
            pg.mouse.move(start_x, y, steps=4)
            pg.mouse.up()
            pg.wait_for_function("([d, a]) => d._fullLayout.sliders[0].active === a",
                                 arg=[fig.element_handle(), result["before"]["active"]], timeout=20_000)
            result["after_drag"] = fig.evaluate(_STATE_JS)
        except Exception as err:  # reported by the test, with the explorer's id
            result["error"] = f"{type(err).__name__}: {err}"
    return results


def same_page(a: str, b: str) -> bool:
    return urlparse(a).path == urlparse(b).path
