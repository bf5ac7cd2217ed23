"""Bad input to blogcode.dgcnn.data (chapter: DGCNN): one table, every public function.

The behaviour on good input is tested in tests/test_dgcnn.py.
"""

import pytest

from blogcode.dgcnn.data import (
    CharWordEncoder,
    build_cloze_questions,
    headline_entities,
    read_word_vectors,
    segment,
    split_records,
    training_arrays,
    word_vector_index,
)


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
    (lambda: training_arrays([], _Fitted(), 4, 4), ValueError, "records"),
    (lambda: training_arrays([{}], "encoder", 4, 4), TypeError, "encoder"),
    (lambda: training_arrays([{}], _Fitted(), 4.0, 4), TypeError, "question_maxlen"),
    (lambda: training_arrays([{}], _Fitted(), 4, 0), ValueError, "passage_maxlen"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(call, error, word):
    with pytest.raises(error, match=word):
        call()


def test_fitted_stand_in_encodes():
    ids, vectors = _Fitted().encode(["ab"], 3)
    assert ids.tolist() == [[2, 1, 0]] and vectors.shape == (1, 3, 3)
