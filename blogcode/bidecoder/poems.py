"""Real Chinese text for bidirectional decoding: Tang and Song quatrains and regulated verse.

Chapter: "Bidirectional decoding" (article 6877, book/bidecoder.md). The poems come from
the npm package ``chinese-poetry`` 2.0.1 (全唐诗 and 全宋诗: 57,607 Tang and 254,248 Song
poems, traditional script), whose tarball ``.ci/setup-env`` keeps in ``.venv/share``
(pinned by its checksum); we read its JSON files with :mod:`tarfile`, so no Node code
runs, and convert them to simplified script with ``zhconv``.

A poem is kept for a form only if its text, split at ，。！？；, is a whole number of
lines of one length made of Han characters alone (no markup such as □ or （注）):
:func:`regular_poems` returns those of ``lines`` lines of ``chars`` characters, once
each. :func:`couplet_pairs` turns them into (first half, second half) pairs, e.g. the
first couplet of a quatrain and its second.
"""

from __future__ import annotations

import json
import re
import sys
import tarfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from blogcode import checks

__all__ = ["POETRY_TARBALL", "Poem", "poetry_tarball", "read_poems", "poem_lines", "regular_poems", "couplet_pairs"]

POETRY_TARBALL = "chinese-poetry-2.0.1.tgz"
DYNASTIES = ("tang", "song")
_MEMBER = re.compile(r"package/dist/quantangshi/poet\.(tang|song)\.(\d+)\.json$")
_LINE_END = re.compile(r"[，。！？；]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")


@dataclass(frozen=True)
class Poem:
    """One poem as the package gives it (traditional script): ``dynasty`` is
    ``"tang"`` or ``"song"``; ``paragraphs`` are its printed lines (usually couplets)."""

    dynasty: str
    title: str
    author: str
    paragraphs: tuple[str, ...]


def poetry_tarball(path=None) -> Path:
    """The package's tarball: ``path`` if given, else ``.venv/share/chinese-poetry-2.0.1.tgz``
    of the running interpreter's environment (where ``.ci/setup-env`` puts it)."""
    if path is None:
        path = Path(sys.prefix) / "share" / POETRY_TARBALL
    elif not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str or a Path, got {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: `bash .ci/setup-env` fetches {POETRY_TARBALL} (npm, once)")
    return path


@lru_cache(maxsize=4)
def _read(path: Path) -> tuple[Poem, ...]:
    found = []
    with tarfile.open(path, "r:gz") as tar:
        for member in tar:
            match = _MEMBER.match(member.name)
            if match:
                records = json.load(tar.extractfile(member))
                found.append((match.group(1), int(match.group(2)),
                              [Poem(match.group(1), r.get("title", ""), r.get("author", ""),
                                    tuple(r.get("paragraphs", ()))) for r in records]))
    if not found:
        raise ValueError(f"{path} holds no package/dist/quantangshi/poet.<tang|song>.<n>.json files")
    found.sort(key=lambda f: (DYNASTIES.index(f[0]), f[1]))  # the files' numeric order, not their names'
    return tuple(poem for _, _, poems in found for poem in poems)


def read_poems(dynasty: str = "both", path=None) -> tuple[Poem, ...]:
    """Every poem of ``dynasty`` (``"tang"``, ``"song"`` or ``"both"``), in the package's
    order (Tang first). Read once per tarball (cached)."""
    checks.one_of(dynasty, "dynasty", (*DYNASTIES, "both"))
    poems = _read(poetry_tarball(path).resolve())
    return poems if dynasty == "both" else tuple(p for p in poems if p.dynasty == dynasty)


def poem_lines(poem: Poem) -> list[str] | None:
    """The poem's lines in simplified script (split at ，。！？；, the punctuation
    dropped), or ``None`` if a line holds anything but Han characters or the text does
    not end a line."""
    import zhconv   # imported here: only the poems need it

    if not isinstance(poem, Poem):
        raise TypeError(f"poem must be a Poem, got {type(poem).__name__}")
    text = "".join(poem.paragraphs).replace(" ", "").replace("\u3000", "")
    pieces = _LINE_END.split(text)
    if len(pieces) < 2 or pieces[-1] != "":
        return None
    lines = pieces[:-1]
    if not all(_HAN.fullmatch(line) for line in lines):
        return None
    return zhconv.convert("\n".join(lines), "zh-cn").split("\n")


def regular_poems(lines: int = 4, chars: int = 7, dynasty: str = "both", path=None) -> list[list[str]]:
    """The poems of exactly ``lines`` lines of ``chars`` characters each (4 × 7: 七言绝句,
    8 × 5: 五言律诗), as lists of simplified lines, each text once (the first copy)."""
    lines = checks.integer(lines, "lines", minimum=2)
    if lines % 2:
        raise ValueError(f"lines must be even (couplets), got {lines}")
    chars = checks.integer(chars, "chars", minimum=1)
    out, seen = [], set()
    for poem in read_poems(dynasty, path):
        if len(poem.paragraphs) > lines:   # cheap pre-filter before splitting and converting
            continue
        text = poem_lines(poem)
        if text is None or len(text) != lines or any(len(line) != chars for line in text):
            continue
        key = "".join(text)
        if key not in seen:
            seen.add(key)
            out.append(text)
    return out


def couplet_pairs(poems, source_lines: int = 2) -> list[tuple[str, str]]:
    """``(source, target)`` per poem: its first ``source_lines`` lines joined, and the
    next ``source_lines`` lines joined (the second couplet of a quatrain, given the first)."""
    checks.instance_of(poems, "poems", list, "a list of poems (lists of lines)")
    source_lines = checks.integer(source_lines, "source_lines", minimum=1)
    pairs = []
    for i, poem in enumerate(poems):
        checks.instance_of(poem, f"poems[{i}]", list, "a list of lines")
        if len(poem) < 2 * source_lines:
            raise ValueError(f"poems[{i}] has {len(poem)} lines; a pair needs {2 * source_lines}")
        pairs.append(("".join(poem[:source_lines]), "".join(poem[source_lines:2 * source_lines])))
    return pairs
