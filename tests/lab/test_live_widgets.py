"""Every chapter's live widgets, used where a reader uses them: JupyterLab.

For each chapter of book/ that makes a live widget (``*live_widget(...)``):
open ``book/<slug>.md`` in JupyterLab (started by ``.ci/lab``) by its URL, as a
reader's double click does; it must open as a notebook on the book's kernel,
with no dialog. Run all cells from the Run menu (the published settings; the
``skip-execution`` tag is only read by the book build, so the widget cells run
too); every cell must run, none may print an error. Then every control of every
live widget is moved with the keyboard and with the mouse: what the widget
shows (its line of numbers and its figure) must change, and moving the
control back must show the first state again. The page may talk to this
machine only. The chapter's file is never written (autosave off).

Screenshots: ``_build/screenshots/lab/<slug>[-<n>]-before.png`` (the widget
after Run All) and ``-after.png`` (after its first change).
"""

from __future__ import annotations

import hashlib
import time

import pytest

from labnotebook import (CELLS_JS, KERNEL_READY_JS, RUN_DONE_JS, ROOT, VIEWPORT, WAIT_MS, WIDGETS, Move,
                         OffMachine, TIMINGS, chapters_with_live_widgets, control_name, moves_of, screenshot,
                         wait_settled, widget_state)

CHAPTERS = chapters_with_live_widgets()


def test_the_chapters_have_live_widgets():
    """The list the tests walk is found in book/ (a renamed function would empty it)."""
    assert len(CHAPTERS) >= 8 and sum(CHAPTERS.values()) >= 9, CHAPTERS


@pytest.mark.parametrize("slug", list(CHAPTERS))
def test_live_widgets_in_jupyterlab(slug, lab, browser):
    source = ROOT / "book" / f"{slug}.md"
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    context = browser.new_context(viewport=VIEWPORT)
    off = OffMachine(context)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    off.watch(page)
    times, started = {}, time.monotonic()

    def lap(name):
        times[name] = round(time.monotonic() - started - sum(times.values()), 1)

    try:
        page.goto(lab.chapter_url(slug))
        # A notebook (not the markdown editor) on the book's kernel, chosen without a dialog.
        page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", state="attached")
        page.wait_for_function(KERNEL_READY_JS, timeout=WAIT_MS, polling=200)
        assert page.locator(".jp-NotebookPanel").count() == 1, "another notebook is open beside the chapter"
        assert page.locator(".jp-Dialog").count() == 0, page.locator(".jp-Dialog").inner_text()
        lap("open_s")

        page.locator(".lm-MenuBar-item", has_text="Run").click()
        page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
        page.wait_for_function(RUN_DONE_JS, timeout=WAIT_MS, polling=500)
        cells = page.evaluate(CELLS_JS)
        assert not cells["errors"], f"{slug}: a cell printed an error:\n" + "\n---\n".join(cells["errors"])
        assert not cells["not_run"], f"{slug}: cells did not run: {cells['not_run']}"
        lap("run_all_s")

        boxes = page.locator(WIDGETS)
        assert boxes.count() == CHAPTERS[slug], f"{slug}: {boxes.count()} live widgets shown, {CHAPTERS[slug]} made"
        moves = []
        for i in range(boxes.count()):
            box = boxes.nth(i)
            name = slug if i == 0 else f"{slug}-{i + 1}"
            first = widget_state(box)
            assert first["figure"] != "none" and first["text"], f"{name}: the widget shows nothing: {first}"
            screenshot(page, box, f"{name}-before")
            shot_after = False
            controls = box.locator(":scope > .widget-hbox > .widget-inline-hbox")
            assert controls.count() >= 1, f"{name}: no controls"
            for j in range(controls.count()):
                control = controls.nth(j)
                label = control_name(control)
                for how, change, how_back, restore in moves_of(page, control):
                    before = widget_state(box)
                    change()
                    after = wait_settled(page, box, before, same=False)
                    if not shot_after:   # the widget's first change
                        screenshot(page, box, f"{name}-after")
                        shot_after = True
                    restore()
                    restored = wait_settled(page, box, before, same=True)
                    moves.append(Move(f"{name} {label}", f"{how}; {how_back}", before, after, restored))
            assert not widget_state(box)["tracebacks"], f"{name}: {widget_state(box)['tracebacks']}"
            shown = [m for m in moves if m.control.startswith(f"{name} ")]
            assert any("figure" in m.changed for m in shown), f"{name}: no move redrew the figure"
            assert any("text" in m.changed for m in shown), f"{name}: no move changed the numbers"
        lap("widgets_s")

        cells = page.evaluate(CELLS_JS)
        assert not cells["errors"], f"{slug}: an error after moving the widgets:\n" + "\n".join(cells["errors"])
        assert not off.refused, f"{slug}: requests off the machine: {off.refused}"
        assert hashlib.sha256(source.read_bytes()).hexdigest() == digest, f"{source} was written"
    finally:
        times["moves"] = len(moves) if "moves" in locals() else 0
        times["total_s"] = round(time.monotonic() - started, 1)
        TIMINGS[slug] = times
        context.close()
        lab.shut_down_kernels()
