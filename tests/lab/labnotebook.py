"""Helpers of the JupyterLab tests (the fixtures are in conftest.py): the
JupyterLab server started by ``.ci/lab``, a chapter opened as a notebook and
run, and the live widgets' controls driven with the mouse and the keyboard.

What a live widget shows is read from the page, as a reader sees it: the line
of numbers under the controls (``LiveWidget.message``) and a fingerprint of the
figure in its output (a plotly figure's data, or an image's bytes)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
# VIEWPORT and headless_chromium are used by test_live_widgets.py and conftest.py.
from bookpages import SCREENSHOTS, VIEWPORT, headless_chromium  # noqa: E402, F401

LAB_SCREENSHOTS = SCREENSHOTS / "lab"

#: The one timeout (ms) of every wait: a chapter's "Run All" on the shared
#: 2-core machine takes 20-90 s (more while other jobs run), one redraw of a
#: live widget a few seconds. Every wait is on its condition, so a fast machine
#: does not wait longer.
WAIT_MS = 300_000

#: What each chapter cost (seconds), filled by the tests, printed by conftest.py.
TIMINGS: dict[str, dict] = {}

#: Hosts the page may talk to: the JupyterLab server on this machine.
LOCAL_HOSTS = ("127.0.0.1", "localhost")

#: ``<name> = ...live_widget(`` in a chapter's code: one live widget displayed.
LIVE_WIDGET_CALL = re.compile(r"^\s*\w+\s*=\s*[\w.]*live_widget\(", re.MULTILINE)


def chapters_with_live_widgets() -> dict[str, int]:
    """``{slug: number of live widgets}`` for every chapter in book/ that makes one."""
    out = {}
    for path in sorted((ROOT / "book").glob("*.md")):
        n = len(LIVE_WIDGET_CALL.findall(path.read_text(encoding="utf-8")))
        if n:
            out[path.stem] = n
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LabServer:
    """``bash .ci/lab`` on a free port, with a token, no browser and its own
    (empty) user settings, workspaces and runtime folders under ``home``. The
    only user settings are what a test needs: no autosave (the chapters in
    book/ are never written) and every cell in the page (windowingMode none),
    so the page holds every prompt and output the waits look at."""

    home: Path
    port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: os.urandom(12).hex())
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def chapter_url(self, slug: str) -> str:
        """The chapter in a workspace of its own, emptied first (``reset``): no tab of
        an earlier chapter is restored beside it."""
        return f"{self.url}/lab/workspaces/test-{slug}/tree/book/{slug}.md?reset&token={self.token}"

    def start(self) -> None:
        settings = self.home / "user-settings" / "@jupyterlab"
        (settings / "docmanager-extension").mkdir(parents=True, exist_ok=True)
        (settings / "notebook-extension").mkdir(parents=True, exist_ok=True)
        (settings / "docmanager-extension" / "plugin.jupyterlab-settings").write_text(
            json.dumps({"autosave": False}))
        (settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
            json.dumps({"windowingMode": "none"}))
        env = dict(os.environ,
                   JUPYTERLAB_SETTINGS_DIR=str(self.home / "user-settings"),
                   JUPYTERLAB_WORKSPACES_DIR=str(self.home / "workspaces"),
                   JUPYTER_RUNTIME_DIR=str(self.home / "runtime"),
                   JUPYTER_CONFIG_DIR=str(self.home / "config"))
        # The published settings, and the kernel's own matplotlib backend (inline):
        # tests/conftest.py sets MPLBACKEND=Agg for the unit tests.
        for name in ("BLOGCODE_FULL", "MPLBACKEND"):
            env.pop(name, None)
        self.log = open(self.home / "lab.log", "w")
        self.process = subprocess.Popen(
            ["bash", str(ROOT / ".ci" / "lab"), "--no-browser", "--ServerApp.ip=127.0.0.1",
             f"--port={self.port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + WAIT_MS / 1000
        while True:   # wait for the server to answer (setup-env may install .venv first)
            if self.process.poll() is not None:
                raise RuntimeError(f".ci/lab exited with {self.process.returncode}: {self.log_text()}")
            try:
                self.api("GET", "/api/status")
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not answer in {WAIT_MS / 1000:.0f} s: {self.log_text()}")
                time.sleep(0.5)   # polling interval of the condition, not a synchronisation

    def log_text(self) -> str:
        self.log.flush()
        return (self.home / "lab.log").read_text(errors="replace")[-3000:]

    def api(self, method: str, path: str):
        req = urllib.request.Request(f"{self.url}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        """Ends every session (and its kernel): one chapter's TensorFlow kernel at a time."""
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)   # the group this fixture started
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


class OffMachine:
    """Every request the page makes, checked: only this machine is allowed.
    Requests to any other host are aborted and recorded in ``refused``."""

    def __init__(self, context):
        self.refused: list[str] = []
        context.route("**/*", self._route)

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlparse(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.refused.append(url)
            route.abort()

    def watch(self, page) -> None:
        """Websockets are not routed: check their host as they open."""
        def opened(ws):
            if urlparse(ws.url).hostname not in LOCAL_HOSTS:
                self.refused.append(ws.url)
        page.on("websocket", opened)


#: The kernel of the open notebook is the book's, and idle.
KERNEL_READY_JS = """() => {
  const names = [...document.querySelectorAll('.jp-NotebookPanel .jp-Toolbar-kernelName')];
  if (document.querySelectorAll('.jp-NotebookPanel').length !== 1) return false;
  const state = document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator');
  return names.some(e => e.textContent.includes('Scientific Spaces'))
         && state && state.dataset.status === 'idle';
}"""

#: Every queued cell has run (no "[*]" prompt) and the kernel is idle.
RUN_DONE_JS = """() => {
  const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')];
  const state = document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator');
  return prompts.length > 0 && !prompts.some(p => p.textContent.includes('*'))
         && state && state.dataset.status === 'idle';
}"""

#: What the cells show after Run All: prompts never run, and error outputs.
CELLS_JS = """() => {
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')];
  const errors = [...document.querySelectorAll(
      '.jp-Notebook .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
    .map(e => e.textContent).filter(t => /Traceback|Error:/.test(t)).map(t => t.slice(0, 1500));
  return {cells: cells.length,
          not_run: cells.filter(c => !/\\[\\d+\\]/.test(c.querySelector('.jp-InputArea-prompt').textContent))
                        .map(c => c.querySelector('.jp-InputArea-editor').textContent.slice(0, 80)),
          errors};
}"""

#: The live widgets: LiveWidget's VBox (rows of controls, message, output).
WIDGETS = ('.jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output'
           ' > .widget-vbox:has(> .widget-html):has(> .widget-output)')

#: What one live widget shows: its message, a fingerprint of its output
#: (a plotly figure's traces, title and annotations without plotly's own keys,
#: numbers to 9 digits; or the image bytes), its controls' values and any
#: traceback printed into it.
STATE_JS = """(box) => {
  const hash = s => { let h = 2166136261; for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i); h = Math.imul(h, 16777619) >>> 0; } return h.toString(16) + ':' + s.length; };
  // Numbers to 9 significant digits: a slider moved back may send its value with
  // float noise (0.6 -> 0.6000000000000001), which no reader can see.
  const round = x => Number.isFinite(x) ? +x.toPrecision(9) : x;
  const skip = (k, v) => (k === 'uid' || k.startsWith('_')) ? undefined
    : ArrayBuffer.isView(v) ? Array.from(v, round) : typeof v === 'number' ? round(v) : v;
  const out = box.querySelector(':scope > .widget-output');
  const shown = [...out.querySelectorAll('.jp-OutputArea-output')].map(o => {
    const gd = o.classList.contains('js-plotly-plot') ? o : o.querySelector('.js-plotly-plot');
    // The traces, the title and the annotations: plotly writes what it computes
    // (autoranges) into gd.layout while it draws, so the rest of it is not compared.
    if (gd && gd.data) return 'plotly ' + JSON.stringify(
      [gd.data, gd.layout.title, (gd.layout.annotations || []).map(a => a.text)], skip);
    const img = o.querySelector('img');
    if (img) return 'image ' + img.src;
    return 'text ' + o.textContent;
  });
  const values = [...box.querySelectorAll('.noUi-handle, select, input')].map(
    e => e.getAttribute('aria-valuetext') ?? (e.type === 'checkbox' ? String(e.checked) : e.value));
  const tracebacks = [...out.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]')]
    .map(e => e.textContent).filter(t => /Traceback|Error:/.test(t));
  return {text: box.querySelector(':scope > .widget-html .widget-html-content').textContent,
          figure: shown.length ? hash(shown.join('|')) : 'none',
          kinds: shown.map(s => s.split(' ')[0]), values, tracebacks};
}"""

#: The widget shows ``state`` (differs from it when ``same`` is false) and the
#: kernel is idle: the redraw that the change asked for is complete.
SETTLED_JS = """([box, state, same]) => {
  const now = (%s)(box);
  const kernel = document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator');
  const equal = now.text === state.text && now.figure === state.figure;
  return kernel && kernel.dataset.status === 'idle' && now.figure !== 'none'
         && (same ? equal : !equal);
}""" % STATE_JS


def widget_state(box) -> dict:
    return box.evaluate(STATE_JS)


def wait_settled(page, box, state: dict, same: bool) -> dict:
    """Waits until the widget shows ``state`` again (``same``) or something else,
    with the kernel idle; returns what it shows then."""
    handle = box.element_handle()
    try:
        page.wait_for_function(SETTLED_JS, arg=[handle, state, same], timeout=WAIT_MS, polling=200)
    except Exception as err:   # say what it showed instead
        raise AssertionError(f"the widget did not {'return to' if same else 'change from'} {state}: "
                             f"it shows {widget_state(box)} ({type(err).__name__})") from None
    return widget_state(box)


@dataclass
class Move:
    """One interaction with one control, and what the widget showed."""
    control: str
    how: str
    before: dict
    after: dict
    restored: dict

    @property
    def changed(self) -> list[str]:
        return [k for k in ("text", "figure") if self.before[k] != self.after[k]]


def control_name(control) -> str:
    return control.evaluate("""e => [...e.querySelectorAll('.widget-label, .widget-label-basic')]
                                     .map(l => l.textContent.replace(/\u200b/g, '').trim()).find(t => t) || e.className""")


def control_kind(control) -> str:
    classes = control.get_attribute("class") or ""
    for kind in ("widget-slider", "widget-dropdown", "widget-checkbox", "widget-text"):
        if kind in classes.split():
            return kind.removeprefix("widget-")
    raise AssertionError(f"no driver for the control with classes {classes!r}: add one to tests/lab/labnotebook.py")


def drag(page, handle, to_x: float) -> None:
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(to_x, y, steps=4)
    page.mouse.up()


def handle_x(handle) -> float:
    box = handle.bounding_box()
    return box["x"] + box["width"] / 2


def moves_of(page, control) -> list[tuple[str, object, str, object]]:
    """How one control is moved and moved back: ``(how, change, how_back,
    restore)``. Each control is moved one way with the keyboard and the other
    with the mouse (every redraw of a 3D figure costs seconds of software
    WebGL), and moving it back must show the first state again."""
    kind = control_kind(control)
    if kind == "slider":
        handle = control.locator(".noUi-handle")
        start = {}

        def key_change():
            start["x"] = handle_x(handle)
            at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
            handle.click()   # a reader clicks the handle, then uses the arrow keys
            page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")

        return [("arrow key on the handle", key_change,
                 "drag the handle back with the mouse", lambda: drag(page, handle, start["x"]))]
    if kind == "dropdown":
        select = control.locator("select")
        first = {}

        def choose(key):
            # A click opens the list; the arrow key and Enter choose in it.
            # (A focused but closed list ignores the arrow keys: in a notebook
            # they move between cells.)
            select.click()
            page.keyboard.press(key)
            page.keyboard.press("Enter")

        def change():
            first["last"] = select.evaluate("s => s.selectedIndex === s.options.length - 1")
            choose("ArrowUp" if first["last"] else "ArrowDown")

        return [("click the list, arrow key, Enter", change,
                 "the same, the other way", lambda: choose("ArrowDown" if first["last"] else "ArrowUp"))]
    if kind == "checkbox":
        tick = control.locator("input[type=checkbox]")

        def key_toggle():
            tick.focus()
            page.keyboard.press("Space")

        return [("click the box", tick.click, "space bar", key_toggle)]
    if kind == "text":
        field_ = control.locator("input")
        first = {}

        def type_text(text):
            # A click into the field, then the text as one input event (as a
            # paste or an input method sends it): one redraw, not one per character.
            field_.click()
            page.keyboard.press("Control+A")
            page.keyboard.insert_text(text)
            page.keyboard.press("Enter")

        def change():
            first["value"] = field_.input_value()
            type_text(first["value"].rsplit(",", 1)[0] if "," in first["value"] else first["value"] + "1")

        return [("type into the field", change, "type the first text again", lambda: type_text(first["value"]))]
    raise AssertionError(kind)


def screenshot(page, box, name: str) -> None:
    LAB_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    box.scroll_into_view_if_needed()
    page.screenshot(path=str(LAB_SCREENSHOTS / f"{name}.png"))
