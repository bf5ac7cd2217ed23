"""A chapter executed twice on the same machine prints the same numbers.

Seeds (``blogcode.set_seed``) and TensorFlow's deterministic ops make an ML chapter
repeatable; this test runs one (masks: it trains RNNs over several seeds) twice in
fresh kernels and compares everything it prints. Figures' HTML carries random
element ids, so only text outputs are compared.
"""

from __future__ import annotations

import os
from pathlib import Path

import jupytext
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "book" / "masks.md"
TEXT_TYPES = ("text/plain", "text/markdown")


def _printed(path: Path) -> list[tuple[int, str]]:
    notebook = jupytext.read(path)
    # skip-execution cells (live widgets) are skipped by nbclient as in the build
    NotebookClient(notebook, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    printed = []
    for index, cell in enumerate(notebook.cells):
        # a stream arrives in chunks that differ from run to run: join them per cell
        streams = "".join(o["text"] for o in cell.get("outputs", []) if o.get("output_type") == "stream")
        printed.append((index, streams))
        for output in cell.get("outputs", []):
            for mime in TEXT_TYPES:
                if mime in output.get("data", {}):
                    printed.append((index, output["data"][mime]))
    return printed


@pytest.mark.skipif(os.environ.get("BLOGCODE_FULL", "") not in ("", "0"),
                    reason="runs the chapter with the published (small) settings only, as CI does")
def test_an_ml_chapter_prints_the_same_numbers_twice():
    first = _printed(CHAPTER)
    second = _printed(CHAPTER)
    assert any("TensorFlow" in text for _, text in first)  # it really ran
    assert first == second
