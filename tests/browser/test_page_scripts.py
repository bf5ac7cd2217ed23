"""Unit tests of book/_ext/page_scripts.py (which plotly.js bundle a page
loads, how Font Awesome is trimmed) and of the test server's gzip. They need
no built book and no browser."""

from __future__ import annotations

import functools
import gzip
import http.server
import sys
import threading
import urllib.request

import plotly.graph_objects as go
import pytest

from bookpages import ROOT, GzipHandler

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import page_scripts  # noqa: E402

from blogcode.figures import figure_html  # noqa: E402


def _page(*figures) -> str:
    return "<main>" + "".join(figure_html(f) for f in figures) + "</main>"


def test_trace_types_are_read_from_the_page():
    body = _page(go.Figure([go.Bar(y=[1]), go.Scatter(y=[2])]), go.Figure([go.Heatmap(z=[[1]])]))
    assert page_scripts.trace_types(body) == {"bar", "scatter", "heatmap"}
    assert page_scripts.trace_types("<p>no figure</p>") == set()


@pytest.mark.parametrize("traces, bundle", [
    ([go.Scatter(y=[1]), go.Bar(y=[1])], "plotly-basic.min.js"),
    ([go.Heatmap(z=[[1]]), go.Scatter(y=[1])], "plotly-cartesian.min.js"),
    ([go.Surface(z=[[1, 2], [3, 4]]), go.Scatter3d(x=[1], y=[1], z=[1]), go.Scatter(y=[1])], "plotly-gl3d.min.js"),
    ([go.Surface(z=[[1, 2], [3, 4]]), go.Bar(y=[1])], "plotly.min.js"),      # no partial bundle has both
    ([go.Sankey()], "plotly.min.js"),
])
def test_the_smallest_bundle_that_draws_the_page(traces, bundle):
    assert page_scripts.plotly_bundle(page_scripts.trace_types(_page(go.Figure(traces)))) == bundle


def test_an_unreadable_figure_gets_the_full_bundle():
    body = 'Plotly.newPlot("x", [{"type": "bar", '
    assert page_scripts.plotly_bundle(page_scripts.trace_types(body)) == "plotly.min.js"


_FA = ('x=1;var p={a:[1,2,[],"f1","M1"],"b-c":[1,2,[61441,"d"],"f2",["M2","M3"]],e:[1,2,[],"f3","M4"]};'
       'd("fas",p);var q={g:[1,2,[],"f4","M5"]};d("fab",q);')


def test_fontawesome_keeps_the_icons_named_or_aliased():
    out = page_scripts.subset_fontawesome(_FA, {"d", "e"})
    assert out == 'x=1;var p={"b-c":[1,2,[61441,"d"],"f2",["M2","M3"]],e:[1,2,[],"f3","M4"]};d("fas",p);var q={};d("fab",q);'
    assert page_scripts.subset_fontawesome(_FA, {"a", "b-c", "e", "g"}) == _FA


def test_fontawesome_of_another_layout_is_refused():
    with pytest.raises(ValueError):
        page_scripts.subset_fontawesome("var p={a:[1,2,[],\"f1\",\"M1\"];", {"a"})
    with pytest.raises(ValueError):
        page_scripts.subset_fontawesome("no icons here", {"a"})


def test_the_test_server_gzips_text_only(tmp_path):
    (tmp_path / "page.html").write_text("<p>" + "hello " * 1000 + "</p>")
    (tmp_path / "pic.png").write_bytes(b"\x89PNG" + bytes(1000))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(GzipHandler, directory=str(tmp_path)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
        ask = lambda name: urllib.request.urlopen(urllib.request.Request(f"{base}/{name}", headers={"Accept-Encoding": "gzip"}))
        with ask("page.html") as r:
            assert r.headers["Content-Encoding"] == "gzip"
            assert gzip.decompress(r.read()) == (tmp_path / "page.html").read_bytes()
        with ask("pic.png") as r:
            assert r.headers.get("Content-Encoding") is None and len(r.read()) == 1004
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_unused_icon_rules_are_dropped_from_the_css():
    css = ('.a{color:red}.fa-list:before{content:"\\f03a"}.fa-x:before,.fa-times:before{content:"\\f00d"}'
           '@media (min-width:1px){.fa-bell:before{content:"\\f0f3"}.b{margin:0}}.fa-list.big:before{x:1}')
    out = page_scripts.drop_unused_icon_rules(css, {"list", "times"})
    assert out == ('.a{color:red}.fa-list:before{content:"\\f03a"}.fa-x:before,.fa-times:before{content:"\\f00d"}'
                   '@media (min-width:1px){.b{margin:0}}.fa-list.big:before{x:1}')


def test_icon_glyphs_of_the_theme_css_are_found():
    css = '.fa-bell:before{content:"\\f0f3"}.note:after{content:"\\f05a";}.x{--pst-icon-y:"\\f104"}.q:before{content:"— "}'
    assert page_scripts.css_icon_codepoints(css) == {0xF05A, 0xF104}
