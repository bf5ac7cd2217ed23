"""Unit tests of blogcode.bidecoder.poems (chapter: bidirectional decoding): the poems are
read from the package's tarball in the files' numeric order, converted to simplified
script, filtered by form and deduplicated; bad input is rejected by name."""

import io
import json
import re
import tarfile

import pytest

from blogcode.bidecoder.poems import Poem, couplet_pairs, poem_lines, poetry_tarball, read_poems, regular_poems

QUATRAIN = ["床前明月光，疑是地上霜。", "舉頭望明月，低頭思故鄉。"]          # traditional, 4 x 5


def _tarball(tmp_path, files):
    path = tmp_path / "poetry.tgz"
    with tarfile.open(path, "w:gz") as tar:
        for name, records in files.items():
            data = json.dumps(records, ensure_ascii=False).encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _poem(title, paragraphs):
    return {"title": title, "author": "佚名", "paragraphs": paragraphs, "id": title}


@pytest.fixture()
def tiny(tmp_path):
    base = "package/dist/quantangshi/"
    return _tarball(tmp_path, {
        base + "poet.song.0.json": [_poem("宋一", QUATRAIN)],                                  # a copy of a Tang poem
        base + "poet.tang.1000.json": [_poem("唐三", ["白日依山盡，黃河入海流。", "欲窮千里目，更上一層樓。"])],
        base + "poet.tang.0.json": [_poem("唐一", QUATRAIN),
                                    _poem("唐二", ["春眠不覺曉，處處聞啼□。", "夜來風雨聲，花落知多少。"]),  # markup
                                    _poem("七言", ["兩個黃鸝鳴翠柳，一行白鷺上青天。", "窗含西嶺千秋雪，門泊東吳萬里船。"])],
        base + "authors.tang.json": [{"name": "not a poem"}],
        "package/dist/songci/ci.song.0.json": [_poem("词", QUATRAIN)]})


def test_poems_are_read_in_numeric_file_order_tang_first(tiny):
    poems = read_poems(path=tiny)
    assert [p.title for p in poems] == ["唐一", "唐二", "七言", "唐三", "宋一"]   # tang.0, tang.1000, song.0
    assert [p.title for p in read_poems("song", path=tiny)] == ["宋一"]
    assert poems[0] == Poem("tang", "唐一", "佚名", tuple(QUATRAIN))


def test_lines_are_simplified_and_markup_rejects_a_poem(tiny):
    tang = read_poems("tang", path=tiny)
    assert poem_lines(tang[0]) == ["床前明月光", "疑是地上霜", "举头望明月", "低头思故乡"]
    assert poem_lines(tang[1]) is None                     # □ is not a Han character
    assert poem_lines(Poem("tang", "", "", ("床前明月光，疑是地上霜",))) is None   # does not end a line


def test_regular_poems_keep_one_form_once(tiny):
    five = regular_poems(lines=4, chars=5, path=tiny)
    assert five == [["床前明月光", "疑是地上霜", "举头望明月", "低头思故乡"],
                    ["白日依山尽", "黄河入海流", "欲穷千里目", "更上一层楼"]]   # the Song copy is dropped
    assert regular_poems(lines=4, chars=7, path=tiny) == [["两个黄鹂鸣翠柳", "一行白鹭上青天", "窗含西岭千秋雪",
                                                           "门泊东吴万里船"]]
    assert regular_poems(lines=8, chars=5, path=tiny) == []
    assert couplet_pairs(five) == [("床前明月光疑是地上霜", "举头望明月低头思故乡"),
                                   ("白日依山尽黄河入海流", "欲穷千里目更上一层楼")]
    assert couplet_pairs(five, source_lines=1)[0] == ("床前明月光", "疑是地上霜")


def test_the_real_package_holds_tens_of_thousands_of_quatrains():
    quatrains = regular_poems(lines=4, chars=7)
    assert 80_000 < len(quatrains) < 85_000
    assert all(len(line) == 7 for poem in quatrains[:1000] for line in poem)
    assert len(read_poems("tang")) == 57_607 and len(read_poems("song")) == 254_248


@pytest.mark.parametrize("call, error, word", [
    (lambda p: read_poems("ming", path=p), ValueError, "dynasty"),
    (lambda p: read_poems(path=3), TypeError, "path"),
    (lambda p: poetry_tarball(p.parent / "absent.tgz"), FileNotFoundError, "setup-env"),
    (lambda p: poem_lines(QUATRAIN), TypeError, "poem"),
    (lambda p: regular_poems(lines=3, path=p), ValueError, "lines"),
    (lambda p: regular_poems(lines=4.0, path=p), TypeError, "lines"),
    (lambda p: regular_poems(chars=0, path=p), ValueError, "chars"),
    (lambda p: couplet_pairs("床前明月光", 2), TypeError, "poems"),
    (lambda p: couplet_pairs([["床前明月光"]]), ValueError, r"poems\[0\]"),
    (lambda p: couplet_pairs([["a", "b"]], source_lines=0), ValueError, "source_lines")])
def test_bad_input_is_rejected_by_name(tiny, call, error, word):
    with pytest.raises(error, match=word):
        call(tiny)


def test_a_tarball_without_poems_is_refused(tmp_path):
    empty = _tarball(tmp_path, {"package/README.md": []})
    with pytest.raises(ValueError, match=re.escape("poet.<tang|song>.<n>.json")):
        read_poems(path=empty)
