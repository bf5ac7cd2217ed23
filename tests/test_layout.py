"""Where code is filed: the rules of README's "Layout", as tests.

``blogcode`` has two layers. The shared layer (``blogcode/*.py``,
``blogcode/optimizers/`` and ``blogcode/runs/``) is what several chapters use; each chapter has one
package named after its ``book/`` file, built from the same files. Shared code
never imports a chapter package, and a chapter package imports only the shared
layer (and itself). Every module is at most ``MAX_LINES`` long and has its test
file at the mirrored path under ``tests/``.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from blogcode.chapters import CHAPTERS

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "blogcode"
SLUGS = [c.slug for c in CHAPTERS]
SHARED_PACKAGES = {"optimizers", "runs"}
#: What every chapter package holds, under the same names (README, "Adding a chapter").
CHAPTER_FILES = ("__init__.py", "experiments.py", "figures.py", "widgets.py")
MAX_LINES = 400
#: Test files that test the book rather than one module.
BOOK_TESTS = {"test_chapters.py", "test_layout.py", "test_repeatable.py"}


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def dotted(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(modname: str) -> str:
    """The chapter slug a module belongs to, or "shared"."""
    parts = modname.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in SLUGS else "shared"


def imported_modules(path: Path) -> set[str]:
    """Every ``blogcode`` module ``path`` imports, anywhere in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "blogcode"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "blogcode":
                found.add(node.module)
                found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


@pytest.mark.parametrize("path", modules(), ids=lambda p: dotted(p) or "blogcode")
def test_imports_respect_the_two_layers(path):
    own = layer(dotted(path))
    for name in imported_modules(path):
        target = layer(name)
        if own == "shared":
            assert target == "shared", f"{dotted(path)} (shared) imports the chapter module {name}"
        else:
            assert target in ("shared", own), f"{dotted(path)} (chapter {own}) imports {name} of chapter {target}"


def test_every_package_is_a_chapter_or_shared():
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert packages == set(SLUGS) | SHARED_PACKAGES, (
        "blogcode/ holds one package per chapter (named after its book/ file) and the shared optimizers/ and runs/")


@pytest.mark.parametrize("slug", SLUGS)
def test_chapter_package_is_built_like_every_other(slug):
    folder = PACKAGE / slug
    for name in CHAPTER_FILES:
        assert (folder / name).is_file(), f"blogcode/{slug}/ has no {name}"
    doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text(encoding="utf-8"))) or ""
    assert f"book/{slug}.md" in doc, f"blogcode/{slug}/__init__.py's docstring must name book/{slug}.md"


@pytest.mark.parametrize("path", modules(), ids=lambda p: dotted(p) or "blogcode")
def test_module_is_short_and_names_its_chapter(path):
    text = path.read_text(encoding="utf-8")
    lines = text.count("\n")
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines (at most {MAX_LINES}): split it"
    if path.name != "__init__.py" and layer(dotted(path)) != "shared":
        doc = ast.get_docstring(ast.parse(text)) or ""
        assert "book/" in doc, f"{path.relative_to(ROOT)}: the docstring must name its chapter (book/<slug>.md)"


def mirrored_test(path: Path) -> Path:
    rel = path.relative_to(PACKAGE)
    name = "test_init.py" if rel.name == "__init__.py" and rel.parent == Path(".") else f"test_{rel.stem}.py"
    return ROOT / "tests" / rel.parent / name


@pytest.mark.parametrize("path", [p for p in modules() if p.name not in ("__init__.py", "__main__.py")
                                  or p.parent == PACKAGE and p.name == "__init__.py"],
                         ids=lambda p: dotted(p) or "blogcode")
def test_every_module_has_its_test_file(path):
    test = mirrored_test(path)
    assert test.is_file(), f"{path.relative_to(ROOT)} is tested in {test.relative_to(ROOT)}, which is missing"


def test_every_test_file_mirrors_a_module():
    expected = {mirrored_test(p) for p in modules()}
    for test in (ROOT / "tests").rglob("test_*.py"):
        # tests/browser and tests/lab test the built book and the notebooks, not a module.
        if {"browser", "lab"} & set(test.parts) or (test.parent == ROOT / "tests" and test.name in BOOK_TESTS):
            continue
        assert test in expected, f"{test.relative_to(ROOT)} tests no module (tests/ mirrors blogcode/)"


def test_imports_are_absolute():
    """The layer test reads absolute imports; a relative one would slip past it."""
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            assert not (isinstance(node, ast.ImportFrom) and node.level > 0), (
                f"{dotted(path)} uses a relative import: write it as `from blogcode.... import ...`")


def test_no_private_name_crosses_a_module():
    for path in modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("blogcode"):
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, f"{dotted(path)} imports private {private} from {node.module}: make it public"


def test_the_book_shows_public_names_only():
    for md in sorted((ROOT / "book").glob("*.md")):
        for target in re.findall(r"^:pyobject: (\S+)", md.read_text(encoding="utf-8"), re.M):
            assert not any(part.startswith("_") for part in target.split(".")), (
                f"{md.name} shows {target}: what the book shows has a public name")
        for module, names in re.findall(r"^from (blogcode[\w.]*) import \(?([^)\n]*(?:\n[ \t]+[^)\n]*)*)",
                                        md.read_text(encoding="utf-8"), re.M):
            private = [n.strip() for n in names.replace("\n", ",").split(",") if n.strip().startswith("_")]
            assert not private, f"{md.name} imports private {private} from {module}"


def test_one_shape_of_explorer_and_live_widget():
    """Each chapter's widgets module offers a static explorer (a plotly figure with
    precomputed slider steps) and a live widget (``blogcode.widgets.LiveWidget``)
    over the same view function; no other live-widget class exists."""
    for slug in SLUGS:
        tree = ast.parse((PACKAGE / slug / "widgets.py").read_text(encoding="utf-8"))
        functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")}
        explorers = [n for name, n in functions.items() if name.endswith("explorer")]
        lives = [n for name, n in functions.items() if name.endswith("live_widget")]
        assert explorers, f"blogcode/{slug}/widgets.py has no *explorer function"
        assert lives, f"blogcode/{slug}/widgets.py has no *live_widget function"
        for fn in explorers:
            assert fn.returns is not None and ast.unparse(fn.returns) == "go.Figure", (
                f"{slug}.widgets.{fn.name} must be annotated -> go.Figure")
        for fn in lives:
            assert fn.returns is not None and ast.unparse(fn.returns) == "LiveWidget", (
                f"{slug}.widgets.{fn.name} must be annotated -> LiveWidget")
    for path in modules():
        classes = [n.name for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                   if isinstance(n, ast.ClassDef)]
        assert not [c for c in classes if c.startswith("Live") and path != PACKAGE / "widgets.py"], (
            f"{dotted(path)} defines its own live-widget class: use blogcode.widgets.LiveWidget")


def test_pyproject_dependencies_match_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    ranges = {line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()}
    for dep in project["dependencies"]:
        assert dep in ranges, f"pyproject.toml's {dep!r} is not in requirements.txt with the same range"
    assert project["name"] == "blogcode"
