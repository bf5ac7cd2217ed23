"""Unit tests of blogcode.dgcnn.data (chapter: DGCNN): bad input to every public function
(one table), then the behaviour on good input: the record format and its loader, the
span labels, the cloze questions, segmentation, the word vectors and the encoder.
"""

import json

import numpy as np
import pytest

from blogcode.data import Article
from blogcode.dgcnn.data import (
    BLANK,
    IGNORE,
    CharWordEncoder,
    build_cloze_questions,
    headline_entities,
    label_spans,
    load_qa_records,
    read_word_vectors,
    segment,
    split_records,
    jieba_tokenizer,
    word_vector_index,
)
from tests.dgcnn.toys import GOOD


class _Fitted(CharWordEncoder):
    """An encoder that counts as fitted without reading the word vectors."""

    def __init__(self):
        super().__init__(min_count=1)
        self.char_ids, self.lexicon, self.dim = {"a": 2}, {}, 3


BAD_CALLS = [
    # (call, exception, argument named in the message)
    (lambda: headline_entities(None), TypeError, "tokens"),
    (lambda: headline_entities("北京"), TypeError, "tokens"),
    (lambda: headline_entities([("北京", None)]), TypeError, r"tokens\[0\]"),
    (lambda: headline_entities(["北京"]), TypeError, r"tokens\[0\]"),
    (lambda: build_cloze_questions([], n_distractors=1), ValueError, "articles"),
    (lambda: build_cloze_questions(None, n_distractors=1.0), TypeError, "n_distractors"),
    (lambda: build_cloze_questions(None, n_distractors=-1), ValueError, "n_distractors"),
    (lambda: build_cloze_questions(None, max_article_passages=0), ValueError, "max_article_passages"),
    (lambda: build_cloze_questions(None, max_article_passages=True), TypeError, "max_article_passages"),
    (lambda: build_cloze_questions(None, min_answer_chars=2.0), TypeError, "min_answer_chars"),
    (lambda: build_cloze_questions(None, seed="0"), TypeError, "seed"),
    (lambda: split_records([], 3), ValueError, "records"),
    (lambda: split_records([{}], 3.0), TypeError, "dev_every"),
    (lambda: split_records([{}], 1), ValueError, "dev_every"),
    (lambda: word_vector_index(3), TypeError, "path"),
    (lambda: read_word_vectors("北京"), TypeError, "words"),
    (lambda: read_word_vectors(None), TypeError, "words"),
    (lambda: read_word_vectors(["北京", None]), TypeError, "words"),
    (lambda: segment(None, set()), TypeError, "text"),
    (lambda: segment("北京", None), TypeError, "lexicon"),
    (lambda: segment("北京", set(), max_word_len=0), ValueError, "max_word_len"),
    (lambda: segment("北京", set(), max_word_len=2.0), TypeError, "max_word_len"),
    (lambda: CharWordEncoder(min_count=0), ValueError, "min_count"),
    (lambda: CharWordEncoder(min_count=2.0), TypeError, "min_count"),
    (lambda: CharWordEncoder(max_word_len=True), TypeError, "max_word_len"),
    (lambda: CharWordEncoder(vector_path=3), TypeError, "vector_path"),
    (lambda: CharWordEncoder().fit([]), ValueError, "texts"),
    (lambda: CharWordEncoder().fit("北京"), TypeError, "texts"),
    (lambda: CharWordEncoder().fit(["北京", None]), TypeError, r"texts\[1\]"),
    (lambda: CharWordEncoder().encode(["a"], 3), ValueError, "fit"),
    (lambda: _Fitted().encode("a", 3), TypeError, "texts"),
    (lambda: _Fitted().encode([], 3), ValueError, "texts"),
    (lambda: _Fitted().encode([None], 3), TypeError, r"texts\[0\]"),
    (lambda: _Fitted().encode(["a"], 3.0), TypeError, "maxlen"),
    (lambda: _Fitted().encode(["a"], 0), ValueError, "maxlen"),
    (lambda: CharWordEncoder(segmenter="spaces"), ValueError, "segmenter"),
    (lambda: CharWordEncoder(segmenter=None), TypeError, "segmenter"),
    (lambda: CharWordEncoder().words(None), TypeError, "text"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(call, error, word):
    with pytest.raises(error, match=word):
        call()


def test_fitted_stand_in_encodes():
    ids, vectors = _Fitted().encode(["ab"], 3)
    assert ids.tolist() == [[2, 1, 0]] and vectors.shape == (1, 3, 3)


# ----------------------------------------------------------------- good input


def test_loader_accepts_list_json_and_path(tmp_path):
    assert load_qa_records(GOOD)[0]["passages"][0]["answer"] == "北京"
    text = json.dumps(GOOD, ensure_ascii=False)
    assert len(load_qa_records(text)) == 2
    path = tmp_path / "qa.json"
    path.write_text(text, encoding="utf-8")
    assert load_qa_records(path) == load_qa_records(str(path))


@pytest.mark.parametrize(
    "patch, word",
    [
        (lambda r: r.pop("question"), r"record 1 \(id 2\): missing field"),
        (lambda r: r.update(question="  "), r"record 1 \(id 2\): 'question'"),
        (lambda r: r.update(passages=[]), r"record 1 \(id 2\): 'passages'"),
        (lambda r: r["passages"][0].update(answer="茅盾"), r"record 1 \(id 2\): passages\[0\]: answer"),
        (lambda r: r["passages"][0].update(answer=None), r"passages\[0\]: 'answer'"),
        (lambda r: r["passages"][0].pop("passage"), r"passages\[0\] must be an object"),
        (lambda r: r.update(id="q1"), r"record 1 \(id 'q1'\): duplicate id"),
    ],
)
def test_loader_names_the_malformed_record(patch, word):
    data = json.loads(json.dumps(GOOD))
    patch(data[1])
    with pytest.raises(ValueError, match=word):
        load_qa_records(data)


def test_loader_rejects_bad_sources():
    with pytest.raises(ValueError, match="source"):
        load_qa_records("[not json")
    with pytest.raises(ValueError, match="source"):
        load_qa_records("/no/such/file.json")
    with pytest.raises(ValueError, match="source"):
        load_qa_records([])
    with pytest.raises(TypeError, match="source"):
        load_qa_records({"id": 1})
    with pytest.raises(ValueError, match="record 0"):
        load_qa_records([["not", "a", "dict"]])


def test_label_spans_marks_every_occurrence_and_padding():
    labels = label_spans("北京是首都，北京很大。", "北京", 14)
    assert labels.shape == (14, 2)
    np.testing.assert_array_equal(np.flatnonzero(labels[:, 0] == 1), [0, 6])
    np.testing.assert_array_equal(np.flatnonzero(labels[:, 1] == 1), [1, 7])
    assert (labels[11:] == IGNORE).all() and (labels[:11] >= 0).all()
    # cut to maxlen: the second occurrence is gone, no partial label survives
    cut = label_spans("北京是首都，北京很大。", "北京", 7)
    assert cut[:, 0].sum() == 1 and cut[:, 1].sum() == 1
    assert label_spans("没有答案", "", 4).sum() == 0
    with pytest.raises(ValueError, match="maxlen"):
        label_spans("abc", "a", 0)
    with pytest.raises(TypeError, match="passage"):
        label_spans(None, "a", 3)


def test_headline_entities_join_person_names():
    tokens = [("江", "nr"), ("泽民", "nr"), ("会见", "v"), ("美国", "ns"), ("客人", "n"), ("李", "nr")]
    assert headline_entities(tokens) == ["江泽民", "美国", "李"]


def make_articles():
    t = lambda text, pos="n": (text, pos)  # noqa: E731
    return (
        Article((t("李", "nr"), t("鹏", "nr"), t("访问", "v"), t("日本", "ns")),
                ((t("李鹏"), t("今天"), t("到达"), t("东京"), t("。")), (t("日本"), t("首相"), t("欢迎"), t("。")))),
        Article((t("上海", "ns"), t("建设"), t("新区")),
                ((t("上海"), t("浦东"), t("发展"), t("很快"), t("。")), (t("天气"), t("晴"), t("。")))),
        Article((t("冬季"), t("运动"), t("会"), t("开幕")),
                ((t("运动员"), t("入场"), t("。")),)),
    )


def test_cloze_questions_are_valid_and_consistent():
    records = load_qa_records(build_cloze_questions(make_articles(), n_distractors=1, seed=0))
    assert [r["id"] for r in records] == ["pd1998-0", "pd1998-1"]  # article 2 names no entity
    for r in records:
        answer = next(p["answer"] for p in r["passages"] if p["answer"])
        assert BLANK in r["question"] and answer not in r["question"]
        # every passage that contains the answer is labelled with it, the others are ""
        for p in r["passages"]:
            assert (p["answer"] == answer) == (answer in p["passage"])
    with pytest.raises(ValueError, match="n_distractors"):
        build_cloze_questions(make_articles(), n_distractors=-1)


def test_jieba_cuts_as_the_released_code_and_fmm_is_the_alternative():
    text = "中共中央总书记江泽民在北京会见了美国国务卿奥尔布赖特，1998年 ok"
    jieba_words = CharWordEncoder().words(text)
    assert "".join(jieba_words) == text
    assert {"江泽民", "总书记", "北京", "国务卿"} <= set(jieba_words)
    assert jieba_tokenizer() is jieba_tokenizer()                        # built once per process
    assert jieba_tokenizer().lcut("奥尔布赖特", HMM=False) == ["奥尔布赖特"]  # a word-vector word, added
    fmm_words = CharWordEncoder(segmenter="fmm").words(text)
    assert "".join(fmm_words) == text and fmm_words != jieba_words


def test_segment_forward_maximum_matching():
    lexicon = {"北京", "北京大学", "大学", "生"}
    assert segment("北京大学生", lexicon) == ["北京大学", "生"]
    assert segment("北京大学生", lexicon, max_word_len=2) == ["北京", "大学", "生"]
    assert segment("", lexicon) == []
    with pytest.raises(TypeError, match="text"):
        segment(None, lexicon)


def write_word2vec(path, rows, newline=True):
    dim = len(next(iter(rows.values())))
    with open(path, "wb") as f:
        f.write(f"{len(rows)} {dim}\n".encode())
        for word, vec in rows.items():
            f.write(word.encode("utf-8") + b" " + np.asarray(vec, "<f4").tobytes() + (b"\n" if newline else b""))


@pytest.mark.parametrize("newline", [True, False])
def test_read_word_vectors_from_a_small_file(tmp_path, newline):
    rows = {"中国": [1, 2, 3], "北京": [0.5, -1, 2], "的": [0, 0, 1]}
    path = tmp_path / f"w{newline}.vector"
    write_word2vec(path, rows, newline)
    got = read_word_vectors(["北京", "的", "没有"], path=path)
    assert set(got) == {"北京", "的"}
    np.testing.assert_array_equal(got["北京"], np.float32([0.5, -1, 2]))
    index, dim = word_vector_index(path)
    assert dim == 3 and len(index) == 3
    with pytest.raises(TypeError, match="words"):
        read_word_vectors("北京", path=path)


def test_truncated_word_vector_file_is_reported(tmp_path):
    path = tmp_path / "bad.vector"
    write_word2vec(path, {"中国": [1, 2, 3], "北京": [0.5, -1, 2]})
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(ValueError, match="truncated"):
        word_vector_index(path)


def test_real_word_vectors_and_encoder():
    index, dim = word_vector_index()
    assert dim == 100 and len(index) == 125796
    vec = read_word_vectors(["中国", "北京", "香蕉"])
    cos = lambda a, b: a @ b / np.linalg.norm(a) / np.linalg.norm(b)  # noqa: E731
    assert cos(vec["中国"], vec["北京"]) > cos(vec["中国"], vec["香蕉"])

    records = load_qa_records(GOOD)
    enc = CharWordEncoder(min_count=1).fit([r["question"] for r in records] + [p["passage"] for r in records for p in r["passages"]])
    ids, words = enc.encode(["北京是首都", "火星"], 6)
    assert ids.shape == (2, 6) and words.shape == (2, 6, 100)
    assert ids[0, 5] == 0 and ids[1, 0] == 1  # padding, unknown character
    np.testing.assert_array_equal(words[0, 0], words[0, 1])  # both characters of 北京 share its vector
    np.testing.assert_allclose(words[0, 0], vec["北京"])
    with pytest.raises(ValueError, match="fit"):
        CharWordEncoder().encode(["a"], 3)
    with pytest.raises(ValueError, match="maxlen"):
        enc.encode(["a"], 0)


BAD_FORMAT_CALLS = [
    # (call, exception, argument named in the message)
    (lambda: load_qa_records(None), TypeError, "source"),
    (lambda: label_spans("abc", None, 3), TypeError, "answer"),
    (lambda: label_spans("abc", "a", 3.0), TypeError, "maxlen"),
    (lambda: label_spans("abc", "a", True), TypeError, "maxlen"),
]


@pytest.mark.parametrize("call, error, word", BAD_FORMAT_CALLS)
def test_format_functions_reject_bad_input(call, error, word):
    with pytest.raises(error, match=word):
        call()
