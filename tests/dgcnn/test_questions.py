"""Unit tests of blogcode.dgcnn.questions (chapter: DGCNN): the sentence cloze over People's
Daily and the distance from an answer to the question's evidence."""

import pytest

from blogcode.data import join_tokens, peoples_daily_articles
from blogcode.dgcnn.data import BLANK, load_qa_records
from blogcode.dgcnn.questions import (article_of, build_sentence_questions, evidence_distance, sentences,
                                      split_by_article, tagged_entities)

TOKENS = [("江", "nr"), ("泽民", "nr"), ("在", "p"), ("北京", "ns"), ("。", "w"), ("新华社", "nt"), ("报道", "v")]


def test_sentences_and_entities():
    assert [join_tokens(s) for s in sentences(TOKENS)] == ["江泽民在北京。", "新华社报道"]
    assert tagged_entities(TOKENS) == [("江泽民", "nr"), ("北京", "ns"), ("新华社", "nt")]


@pytest.fixture(scope="module")
def records():
    return build_sentence_questions(articles=peoples_daily_articles()[:300], seed=1)


def test_questions_are_answered_only_from_other_paragraphs(records):
    assert len(records) > 100
    load_qa_records(records)                                   # the article's format, unique ids
    articles = peoples_daily_articles()
    for r in records:
        a, j = (int(v) for v in r["id"].split("-")[1:3])
        sentence_paragraph = articles[a].paragraph_texts[j]
        answers = {p["answer"] for p in r["passages"] if p["answer"]}
        assert len(answers) == 1 and r["question"].count(BLANK) >= 1
        answer = answers.pop()
        assert r["question"].replace(BLANK, answer, 1) in sentence_paragraph
        for p in r["passages"]:
            assert p["passage"] not in sentence_paragraph or len(p["passage"]) < 10   # its own paragraph is withheld
            assert len(p["passage"]) <= 128 and (p["answer"] == answer) == (answer in p["passage"])
    assert records == build_sentence_questions(articles=peoples_daily_articles()[:300], seed=1)   # seeded


def test_split_by_article_keeps_each_article_on_one_side(records):
    train, dev = split_by_article(records, dev_every=3)
    assert len(train) + len(dev) == len(records) and 0.25 < len(dev) / len(records) < 0.42
    train_articles, dev_articles = {article_of(r) for r in train}, {article_of(r) for r in dev}
    assert not train_articles & dev_articles
    assert article_of(records[0]) in dev_articles          # the first article seen is dev (0 % 3 == 0)
    # a dev answer never comes from a sentence that also made a training question
    train_sentences = {r["id"].rsplit("-", 1)[0] for r in train}
    assert not any(r["id"].rsplit("-", 1)[0] in train_sentences for r in dev)


def test_evidence_distance_counts_characters_between_answer_and_question_text():
    record = {"question": "＿访问北京", "passages": [{"passage": "李鹏今天抵达北京", "answer": "李鹏"},
                                                 {"passage": "北京", "answer": ""}]}
    assert evidence_distance(record) == 4                     # 李鹏|今天抵达|北京
    assert evidence_distance({"question": "＿访问", "passages": [{"passage": "李鹏访问", "answer": "李鹏"}]}) == 0
    assert evidence_distance({"question": "＿走了", "passages": [{"passage": "李鹏来了", "answer": "李鹏"}]}) is None


BAD_CALLS = [
    (lambda: build_sentence_questions(per_article=0), ValueError, "per_article"),
    (lambda: build_sentence_questions(passage_chars=2.0), TypeError, "passage_chars"),
    (lambda: build_sentence_questions(min_sentence_chars=20, max_sentence_chars=10), ValueError, "max_sentence_chars"),
    (lambda: build_sentence_questions(articles=[]), ValueError, "articles"),
    (lambda: build_sentence_questions(seed="1"), TypeError, "seed"),
    (lambda: evidence_distance([]), TypeError, "record"),
    (lambda: article_of("pd1998s-1-2-3-0"), TypeError, "record"),
    (lambda: article_of({"id": "pd1998-1-2-3"}), ValueError, "id"),
    (lambda: split_by_article([]), ValueError, "records"),
    (lambda: split_by_article([{"id": "pd1998s-1-2-3-0"}], dev_every=1), ValueError, "dev_every"),
    (lambda: evidence_distance({"question": 1, "passages": []}), TypeError, "question"),
    (lambda: evidence_distance({"question": "a", "passages": []}), ValueError, "passages"),
    (lambda: evidence_distance({"question": "a", "passages": [{}]}, min_word_chars=0), ValueError, "min_word_chars"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(call, error, word):
    with pytest.raises(error, match=word):
        call()
