"""Sphinx fix-up for the rendered pages (loaded through ``_config.yml``).

Jupyter Book 1 (sphinx-thebe 0.3.1 with Sphinx 7.4) puts sphinx-thebe's inline
configuration script, ``const THEBE_JS_URL = ...``, into every page twice: once
with a ``None`` file name and once with ``''``, so Sphinx does not see them as
equal. The second copy throws "Identifier 'THEBE_JS_URL' has already been
declared" in the browser console on every page (caught by tests/browser).
This drops repeated scripts (same file and same inline body) before a page is
written.

It also loads plotly.js (copied into ``_static`` by ``.ci/build-book``) only
on pages that hold a plotly figure, once per page, and only the smallest
bundle that has every trace type the page draws: plotly's partial bundles
``basic`` (bar, pie, scatter: 0.4 MB gzipped), ``cartesian`` (+ heatmap,
histograms, box, contour...: 0.5 MB) and ``gl3d`` (scatter3d, surface, mesh3d...:
0.56 MB), else the full bundle (1.5 MB). The trace types are read from the
``Plotly.newPlot(id, data, ...)`` calls that plotly.py writes into the page
(``blogcode.figures.show_figure``), so a chapter never names its bundle.

Once the build has finished it makes the static assets lighter:

- the theme's Font Awesome script (``_static/scripts/fontawesome.js``, 1.5 MB,
  0.54 MB gzipped, on every page: the SVG of all 2000 free icons) keeps only
  the icons the built pages and the theme's scripts name (``fa-NAME``);
- its web fonts (0.28 MB, fetched by every page for a few CSS glyphs, such as
  the admonition icons) are subset to the glyphs the theme's CSS and those
  icons use, as WOFF, declared last in ``_static/fontawesome-subset.css``, and
  the theme's CSS loses the ``.fa-NAME:before`` rules of the other icons;
- the PNG images of the pages are stored with a 256-colour palette when that
  changes no pixel by more than a trace (matplotlib's plots: 3x smaller).

In ``execute_notebooks: cache`` mode, MyST-NB 1.4 renders a page from the
cached outputs but writes the notebook it read, without them, for the page's
``.ipynb`` download (``sphinx_.py`` writes ``notebook``, not
``nb_client.notebook``); ``restore_cached_outputs`` puts them back.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

#: plotly.js bundles in _static, smallest first, with the trace types each one
#: registers (from each npm package's README, plotly.js 4.1). The full bundle
#: (every trace type) is the fallback.
PLOTLY_BUNDLES = {
    "plotly-basic.min.js": {"bar", "pie", "scatter"},
    "plotly-cartesian.min.js": {"bar", "box", "contour", "heatmap", "histogram", "histogram2d",
                                "histogram2dcontour", "image", "pie", "scatter", "scatterternary",
                                "violin"},
    "plotly-gl3d.min.js": {"cone", "isosurface", "mesh3d", "scatter", "scatter3d", "streamtube",
                           "surface", "volume"},
}
PLOTLY_FULL = "plotly.min.js"
_NEW_PLOT = re.compile(r"""Plotly\.newPlot\(\s*(?:"[^"]*"|'[^']*')\s*,\s*""")


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


def trace_types(body: str) -> set[str]:
    """Trace types of every ``Plotly.newPlot`` call in a page's HTML body."""
    types, decoder = set(), json.JSONDecoder()
    for match in _NEW_PLOT.finditer(body):
        try:
            data, _ = decoder.raw_decode(body, match.end())
        except json.JSONDecodeError:  # not plotly.py's output: be safe
            return {"<unknown>"}
        types.update((t.get("type") or "scatter") if isinstance(t, dict) else "<unknown>" for t in data)
    return types


def plotly_bundle(types: set[str]) -> str:
    """The smallest bundle of PLOTLY_BUNDLES that draws ``types``, else the full one."""
    for name, covered in PLOTLY_BUNDLES.items():
        if types <= covered:
            return name
    return PLOTLY_FULL


def add_plotly_where_needed(app, pagename, templatename, context, doctree) -> None:
    body = context.get("body", "")
    if "Plotly.newPlot(" in body:
        # In this handler add_js_file is for this page only.
        app.add_js_file(plotly_bundle(trace_types(body) or {"scatter"}))


def check_bundles(app) -> None:
    """Fail early when .ci/build-book has not put the bundles into _static."""
    static = Path(app.srcdir) / "book" / "_static"
    missing = [n for n in [*PLOTLY_BUNDLES, PLOTLY_FULL] if not (static / n).is_file()]
    if missing:
        raise RuntimeError(f"{static} lacks {missing}: build with bash .ci/build-book")


# Font Awesome's icon packs are object literals {name: [width, height, [aliases],
# unicode, svg path], ...} handed to its define function, one per style.
_FA_KEY = r'(?:"[^"]+"|[\w$]+)'
_FA_PACK = re.compile(r"\b\w+=\{(?=" + _FA_KEY + r":\[\d+,\d+,\[)")
_FA_ICON = re.compile("(" + _FA_KEY + r'):\[\d+,\d+,\[([^\]]*)\],"[^"]*",(?:"[^"]*"|\[[^\]]*\])\]')
_FA_NAME = re.compile(r"\bfa-([a-z0-9]+(?:-[a-z0-9]+)*)")


def subset_fontawesome(js: str, used: set[str]) -> str:
    """``js`` (Font Awesome's SVG+JS bundle) keeping only the icons named, or
    aliased, in ``used``. Raises ValueError if the bundle is not laid out as expected."""
    out, last, packs = [], 0, 0
    for pack in _FA_PACK.finditer(js):
        pos, kept = pack.end(), []
        while True:
            icon = _FA_ICON.match(js, pos)
            if icon is None:
                raise ValueError(f"unexpected Font Awesome icon at {pos}: {js[pos:pos + 60]!r}")
            aliases = set(re.findall(r'"([^"]+)"', icon.group(2)))
            if ({icon.group(1).strip('"')} | aliases) & used:
                kept.append(icon.group(0))
            pos = icon.end()
            if js[pos] == "}":
                break
            if js[pos] != ",":
                raise ValueError(f"unexpected Font Awesome pack layout at {pos}: {js[pos:pos + 60]!r}")
            pos += 1
        out += [js[last:pack.end()], ",".join(kept)]
        last, packs = pos, packs + 1
    if packs == 0:
        raise ValueError("no Font Awesome icon pack found")
    return "".join(out) + js[last:]


_FONT_FACE = re.compile(r"@font-face\{([^}]*)\}")
_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_FA_CLASS_RULE = re.compile(r"\s*\.fa-[\w-]+:{1,2}(?:before|after)\s*")
_CSS_GLYPH = re.compile(r'(?:--pst-icon-[\w-]+|content)\s*:\s*"((?:[^"\\]|\\.)*)"')


def css_icon_codepoints(css: str) -> set[int]:
    """Private-use code points (icon glyphs) that CSS rules other than Font
    Awesome's own ``.fa-NAME:before`` classes put into ``content``."""
    out = set()
    for selector, body in _CSS_RULE.findall(css):
        if all(_FA_CLASS_RULE.fullmatch(s) for s in selector.split(",")):
            continue
        for value in _CSS_GLYPH.findall(body):
            value = re.sub(r"\\([0-9a-fA-F]{1,6})\s?", lambda e: chr(int(e.group(1), 16)), value)
            out.update(ord(c) for c in value if 0xE000 <= ord(c) <= 0xF8FF)
    return out


def drop_unused_icon_rules(css: str, used: set[str]) -> str:
    """``css`` without Font Awesome's ``.fa-NAME:before{content:...}`` rules for
    icons not in ``used`` (the theme's CSS carries one for each of 2000 icons)."""
    def keep(match):
        selectors = match.group(1).split(",")
        if not all(_FA_CLASS_RULE.fullmatch(s) for s in selectors):
            return match.group(0)
        names = {re.search(r"\.fa-([\w-]+)", s).group(1) for s in selectors}
        return match.group(0) if names & used else ""
    return _CSS_RULE.sub(keep, css)


def subset_fontawesome_fonts(static: Path, codepoints: set[int]) -> None:
    """Subset every Font Awesome face of the theme's CSS to ``codepoints``
    and declare the subsets last (``fontawesome-subset.css``), so that the
    browser never fetches the full fonts."""
    from fontTools import subset

    faces = []
    for css in (static / "styles").glob("*.css"):
        faces += [f for f in _FONT_FACE.findall(css.read_text(encoding="utf-8")) if "Font Awesome" in f]
    rules = []
    for face in faces:
        url = re.search(r"url\(([^)]*?\.ttf)\)", face)
        if url is None:
            continue
        ttf = (static / "styles" / url.group(1).strip("'\"")).resolve()
        woff = ttf.with_suffix(".subset.woff")
        options = subset.Options()
        options.flavor, options.layout_features = "woff", ["*"]
        font = subset.load_font(str(ttf), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=codepoints)
        subsetter.subset(font)
        subset.save_font(font, str(woff), options)
        descriptors = ";".join(d for d in face.split(";") if d.split(":")[0].strip() != "src")
        rules.append(f'@font-face{{{descriptors};src:url({woff.relative_to(static).as_posix()}) format("woff")}}')
    (static / "fontawesome-subset.css").write_text(
        "/* Written by book/_ext/page_scripts.py: Font Awesome subset to the glyphs the book uses. */\n"
        + "\n".join(rules) + "\n", encoding="utf-8")


def quantize_png(path: Path, max_mean_error: float = 1.0) -> bool:
    """Store an opaque PNG with a 256-colour palette if that is smaller and the
    mean change per pixel is at most ``max_mean_error`` (of 255). True if done."""
    import io

    import numpy as np
    from PIL import Image

    with Image.open(path) as im:
        rgba = im.convert("RGBA")
    pixels = np.asarray(rgba)
    if pixels[..., 3].min() < 255:
        return False          # transparency: leave it as it is
    rgb = rgba.convert("RGB")
    palette = rgb.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    error = np.abs(np.asarray(palette.convert("RGB"), dtype=float) - pixels[..., :3]).max(axis=-1).mean()
    buffer = io.BytesIO()
    palette.save(buffer, "PNG", optimize=True)
    if error > max_mean_error or buffer.tell() >= path.stat().st_size:
        return False
    path.write_bytes(buffer.getvalue())
    return True


def restore_cached_outputs(app, exception) -> None:
    """Merge the cached outputs into the ``.ipynb`` files the build wrote
    (``_sources/`` for the download button, ``jupyter_execute/``) that lack them."""
    if exception is not None or app.config.nb_execution_mode != "cache":
        return
    import nbformat
    from jupyter_cache import get_cache

    cache_path = Path(app.config.nb_execution_cache_path or ".jupyter_cache")
    cache = get_cache(str(cache_path if cache_path.is_absolute() else Path(app.srcdir) / cache_path))
    out = Path(app.outdir)
    for folder in (out / "_sources", out.parent / "jupyter_execute"):
        for path in folder.rglob("*.ipynb") if folder.is_dir() else ():
            nb = nbformat.read(str(path), as_version=4)
            if any(c.get("outputs") for c in nb.cells if c.cell_type == "code"):
                continue
            try:
                _, merged = cache.merge_match_into_notebook(nb)
            except KeyError:   # not a cached notebook
                continue
            nbformat.write(merged, str(path))


def lighten_assets(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    static = out / "_static"
    target = static / "scripts" / "fontawesome.js"
    if target.is_file():
        used = set()
        for path in [*out.rglob("*.html"), *static.rglob("*.js")]:
            if path == target or "mathjax" in path.parts or path.name.startswith("plotly"):
                continue
            used |= set(_FA_NAME.findall(path.read_text(encoding="utf-8", errors="replace")))
        js = subset_fontawesome(target.read_text(encoding="utf-8"), used)
        target.write_text(js, encoding="utf-8")
        codepoints = {int(u, 16) for u in re.findall(r'\],"([0-9a-f]{4,5})",', js)}
        for css in (static / "styles").glob("*.css"):
            codepoints |= css_icon_codepoints(css.read_text(encoding="utf-8"))
        subset_fontawesome_fonts(static, codepoints)
        for css in (static / "styles").glob("*.css"):
            text = css.read_text(encoding="utf-8")
            css.write_text(drop_unused_icon_rules(text, used), encoding="utf-8")
    for png in (out / "_images").glob("*.png"):
        quantize_png(png)


def setup(app):
    app.connect("builder-inited", check_bundles)
    app.connect("html-page-context", add_plotly_where_needed, priority=400)
    app.connect("html-page-context", drop_repeated_scripts)
    app.connect("build-finished", restore_cached_outputs)
    app.connect("build-finished", lighten_assets)
    # Written by lighten_assets; loaded after the theme's CSS, so its faces win.
    app.add_css_file("fontawesome-subset.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
