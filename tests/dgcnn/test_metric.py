"""``sogou_score`` against the official CIPS-SOGOU evaluation (``evaluate_tool/`` of
github.com/bojone/dgcnn_for_reading_comprehension: ``evaluate.py``, ``string_tool.py``,
``punctuation``).

``Official`` below is a transcription of what that Python 2 script does, written here
from a reading of it (a paraphrase, not its code), at the level of its two files: the
``qid_answer_expand`` table (qid, standard answer, ``|``-separated accepted answers) and
a submission (one ``qid<TAB>answer`` a line). It keeps the byte-string semantics of
Python 2 that matter: ``lower``, ``strip`` and ``\\s`` act on ASCII only. Its punctuation
list is spelt as code points (from the ``punctuation`` file), independently of the
module's literal.
"""

import random
import re

import numpy as np
import pytest

from blogcode.dgcnn.metric import (SOGOU_PUNCTUATION, answer_f1, answer_questions, best_answer, char_f1,
                                   decode_spans, exact_match, normalize_answer, probability_window,
                                   reference_answers, sogou_score, vote)
from tests.dgcnn.toys import GOOD, NAN, PROBS

# evaluate_tool/punctuation, line by line as code points; the two ASCII-space lines are
# left out (the script strips each line, so they add only the empty string).
PUNCTUATION_CODE_POINTS = [
    0x60, 0x5E, 0x7E, 0x3C, 0x3D, 0x3E, 0x7C, 0x5F, 0x2D, 0x2C, 0x3B, 0x3A, 0x21, 0x3F, 0x2F, 0x2E,
    0x27, 0x22, 0x28, 0x29, 0x5B, 0x5D, 0x7B, 0x7D, 0x40, 0x24, 0x2A, 0x5C, 0x26, 0x23, 0x25, 0x2B,
    0x7F, 0x2026, 0x2030, 0x203B, 0x2022, 0x2014, 0x2016, 0x2018, 0x2019, 0x201C, 0x201D, 0x2116,
    0x2190, 0x2191, 0x2192, 0x2193, 0x2234, 0x2228, 0x2235, 0x2236, 0x2229, 0x2208, 0x2211, 0x221A,
    0x221E, 0x226F, 0x2261, 0x226E, 0x2264, 0x2265, 0x2248, 0x224C, 0x22A5, 0x2299, 0x2312, 0x25A1,
    0x25C6, 0x25C7, 0x25CE, 0x25CF, 0x2605, 0x2606, 0x2640, 0x2642, 0xA8, 0xB0, 0xB7, 0xA7, 0xA4,
    0xB1, 0x3000, 0x3001, 0x3002, 0x3003, 0x3005, 0x3008, 0x3009, 0x300A, 0x300B, 0x300C, 0x300D,
    0x300E, 0x300F, 0x3010, 0x3011, 0x3013, 0x3014, 0x3015, 0x3016, 0x3017, 0xF7, 0xD7, 0x2032,
    0x25B2, 0x2033, 0x25B3, 0x2220, 0x2260, 0x25A0, 0x2C7, 0x2C9, 0xFFE3, 0xFFE5, 0xFF3F, 0xFF01,
    0xFF04, 0xFF08, 0xFF09, 0xFF0C, 0xFF0E, 0xFF1A, 0xFF1B, 0xFF1F, 0xFF5E, 0xFE51, 0xFFE0,
]


class Official:
    """The script's scoring, re-stated: load the answer table, then score a submission."""

    PUNCT = {chr(c) for c in PUNCTUATION_CODE_POINTS}
    BLANK = re.compile(r"[ \t\n\r\f\v]+")          # Python 2's \s on a byte string

    def __init__(self, table: str):
        self.table = {}
        for row in table.strip("\n").split("\n"):
            qid, standard, expanded = row.split("\t")
            accepted = set(expanded.split("|"))
            self.table[qid] = (standard, accepted | {self.format(a) for a in accepted})

    @staticmethod
    def ascii_lower(s):
        return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)

    @classmethod
    def to_halfwidth(cls, s):
        out = ""
        for c in s:
            n = ord(c)
            if n == 12288:
                n = 32
            elif 65281 <= n <= 65374:
                n -= 65248
            out += chr(n)
        return out

    @classmethod
    def punct_to_space(cls, s):
        return "".join(" " if c in cls.PUNCT else c for c in s)

    @classmethod
    def format(cls, s):
        s = cls.punct_to_space(cls.ascii_lower(cls.to_halfwidth(s)))
        return cls.BLANK.sub("", s).strip(" \t\n\r\f\v")

    @classmethod
    def pieces(cls, s):
        return {cls.format(p) for p in cls.ascii_lower(cls.punct_to_space(s)).split(" ")}

    def right(self, qid, answer):
        standard, accepted = self.table[qid]
        answer = answer.strip(" \t\n\r\f\v")
        if not answer:
            return 0
        if self.format(answer) in accepted:
            return 1
        return int(self.pieces(answer) == self.pieces(standard))

    def f(self, qid, answer):
        _, accepted = self.table[qid]
        answer = answer.strip(" \t\n\r\f\v")
        if not answer:
            return 0.0
        mine = list(self.format(answer))
        best = 0.0
        for candidate in accepted:
            theirs = list(self.format(candidate))
            pool, hits = list(theirs), 0
            for ch in mine:
                if ch in pool:
                    pool.remove(ch)
                    hits += 1
            if hits:
                prec, rec = hits / len(mine), hits / len(theirs)
                best = max(best, 2 * prec * rec / (prec + rec))
        return best

    def evaluate(self, submission: str):
        """A submission file's text: one ``qid<TAB>answer`` a line."""
        lines = submission.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        pairs = []
        for line in lines:
            fields = line.split("\t")
            if len(fields) != 2:
                raise ValueError(line)
            pairs.append(fields)
        return self.evaluate_pairs(pairs)

    def evaluate_pairs(self, pairs):
        """The same on (qid, answer) pairs, which may hold what a line cannot (a tab)."""
        total = right = 0
        sum_f = 0.0
        for qid, answer in pairs:
            if qid not in self.table:
                raise ValueError("Invalid qid:%s" % qid)
            total += 1
            right += self.right(qid, answer)
            sum_f += self.f(qid, answer)
        return right / total, sum_f / total, (right / total + sum_f / total) / 2


def as_references(table: str) -> dict:
    """The table in ``sogou_score``'s form: the standard answer first, then the accepted ones."""
    refs = {}
    for row in table.strip("\n").split("\n"):
        qid, standard, expanded = row.split("\t")
        refs[qid] = [standard] + [a for a in expanded.split("|") if a != standard]
    return refs


def as_submission(predictions: dict) -> str:
    return "".join(f"{qid}\t{answer}\n" for qid, answer in predictions.items())


# Rows of the script's own qid_answer_expand, and its test_input answers for them (the
# standard answers; its test_out marks every one correct with F1 1).
SAMPLE_TABLE = """\
10000\t林海音\t林海音|林含英
10001\t巴西 俄罗斯 印度 中国 南非\t巴西俄罗斯印度中国南非|巴西 俄罗斯 印度 中国 南非
10002\t战国时期\t战国|战国时|战国时期
10003\t米\t米
10005\t罗温艾金森\t罗文艾金森|罗温艾金森rowanatkinson|罗温艾金森|rowanatkinson
10008\t二十四小时\t二十四小时|24小时
10009\t巴西\tbrazil|巴西|巴西brazil
10011\t15年\t十五|15|15年|十五年
10050\t袁宗道 袁宏道 袁中道\t袁宗道 袁宏道 袁中道|袁宗道袁宏道袁中道
10315\t风  雅 颂\t风  雅 颂|风雅颂
10416\t魏 蜀 吴\t魏蜀吴|魏 蜀 吴
10781\tAGM X2\tagmx2|AGM X2
"""
SAMPLE_INPUT = {row.split("\t")[0]: row.split("\t")[1] for row in SAMPLE_TABLE.strip().split("\n")}

# Adversarial answers for the table above: (qid, answer)
ADVERSARIAL = [
    ("10003", "米+"), ("10003", "=米="), ("10003", "~米~"), ("10011", "15年°"), ("10011", "15×年"),
    ("10011", "￥15"), ("10000", "林海音々"), ("10000", "«林海音»"), ("10000", "林海音・"),
    ("10001", "南非 中国 印度 俄罗斯 巴西"), ("10001", "中国，南非、巴西；印度 俄罗斯"),
    ("10001", "中国  南非 巴西 印度 俄罗斯"), ("10416", "吴 蜀 魏"), ("10416", "吴\t蜀\t魏"),
    ("10416", "吴／蜀／魏"), ("10050", "袁中道 袁宗道"), ("10050", "袁中道 袁宗道 袁宏道 袁宏道"),
    ("10000", "  林海音\t"), ("10000", "林\u00a0海音"), ("10000", "林\u3000海音"), ("10000", "林\u2003海音"),
    ("10000", "\u00a0林海音"), ("10781", "ＡＧＭ　Ｘ２"), ("10781", "ａｇｍ ｘ２！"), ("10781", "agm-x2"),
    ("10009", "BRAZIL"), ("10009", "Ｂｒａｚｉｌ"), ("10009", "ＢＲＡＺＩＬ（巴西）"), ("10002", "战国"),
    ("10002", "春秋战国"), ("10002", "   "), ("10002", ""), ("10002", "。"), ("10315", "颂 雅 风"),
    ("10315", "风 雅 颂 "), ("10008", "24小時"), ("10005", "Rowan Atkinson"), ("10005", "ROWAN·ATKINSON"),
]


@pytest.fixture(scope="module")
def official():
    return Official(SAMPLE_TABLE)


def test_punctuation_list_is_the_files(official):
    assert SOGOU_PUNCTUATION == official.PUNCT
    assert len(PUNCTUATION_CODE_POINTS) == len(set(PUNCTUATION_CODE_POINTS)) == 128


def test_the_scripts_own_sample(official):
    refs = as_references(SAMPLE_TABLE)
    assert official.evaluate(as_submission(SAMPLE_INPUT)) == (1.0, 1.0, 1.0)
    assert sogou_score(SAMPLE_INPUT, refs) == (1.0, 1.0, 1.0)
    assert sogou_score(SAMPLE_INPUT, refs, denominator="references") == (1.0, 1.0, 1.0)


@pytest.mark.parametrize("qid, answer", ADVERSARIAL)
def test_each_adversarial_answer(official, qid, answer):
    refs = as_references(SAMPLE_TABLE)
    assert exact_match(answer, refs[qid]) == bool(official.right(qid, answer))
    assert answer_f1(answer, refs[qid]) == pytest.approx(official.f(qid, answer), abs=1e-12)
    assert sogou_score({qid: answer}, refs) == pytest.approx(official.evaluate_pairs([(qid, answer)]))
    if "\t" not in answer:
        assert sogou_score({qid: answer}, refs) == pytest.approx(official.evaluate(f"{qid}\t{answer}\n"))


def test_verdicts_that_the_old_normalisation_got_wrong(official):
    refs = as_references(SAMPLE_TABLE)
    # symbols of the official list are dropped (Unicode calls them Sm, Sk, So, Sc, Lm)
    for qid, answer in [("10003", "米+"), ("10003", "=米="), ("10003", "~米~"), ("10011", "15年°"),
                        ("10011", "15×年"), ("10011", "￥15"), ("10000", "林海音々")]:
        assert exact_match(answer, refs[qid]) and official.right(qid, answer) == 1
    # punctuation outside the list is kept; so are non-ASCII spaces
    for qid, answer in [("10000", "«林海音»"), ("10000", "林海音・"), ("10000", "林\u00a0海音"),
                        ("10000", "林\u2003海音")]:
        assert not exact_match(answer, refs[qid]) and official.right(qid, answer) == 0
    # multi-part answers in another order, split at spaces or listed punctuation
    for qid, answer in [("10001", "南非 中国 印度 俄罗斯 巴西"), ("10001", "中国，南非、巴西；印度 俄罗斯"),
                        ("10416", "吴 蜀 魏"), ("10050", "袁中道 袁宗道 袁宏道 袁宏道")]:
        assert exact_match(answer, refs[qid]) and official.right(qid, answer) == 1
    # but not at a tab, a double space or an unlisted full-width slash, nor with a part missing
    for qid, answer in [("10416", "吴\t蜀\t魏"), ("10001", "中国  南非 巴西 印度 俄罗斯"),
                        ("10416", "吴／蜀／魏"), ("10050", "袁中道 袁宗道")]:
        assert not exact_match(answer, refs[qid]) and official.right(qid, answer) == 0


def test_denominators_and_a_missing_submission(official):
    refs = as_references(SAMPLE_TABLE)
    preds = {"10000": "林海音", "10003": "米", "10002": "战国时", "10011": "十五年代"}
    expected = official.evaluate(as_submission(preds))
    assert sogou_score(preds, refs) == pytest.approx(expected)
    assert sogou_score(preds, refs, denominator="submissions") == pytest.approx(expected)
    # over the references, the 8 unanswered ids count as wrong
    acc, f1, final = sogou_score(preds, refs, denominator="references")
    n = len(refs)
    assert acc == pytest.approx(expected[0] * len(preds) / n)
    assert f1 == pytest.approx(expected[1] * len(preds) / n)
    assert final == pytest.approx((acc + f1) / 2)
    full = {**{qid: "" for qid in refs}, **preds}       # answering "" for the rest: both agree
    assert sogou_score(full, refs) == pytest.approx(official.evaluate(as_submission(full)))
    assert sogou_score(full, refs) == pytest.approx(sogou_score(preds, refs, denominator="references"))


def test_the_standard_answer_is_the_first_alias():
    # the order-insensitive match uses the standard answer (column 2) only
    assert exact_match("俄罗斯 巴西", ["巴西 俄罗斯", "巴西俄罗斯"])
    assert not exact_match("俄罗斯 巴西", ["巴西俄罗斯", "巴西 俄罗斯"])


def test_random_answers_agree_with_the_transcription():
    rng = random.Random(19)
    alphabet = list("林海音米十五年AbZz 2\t,，、+=~°×￥々«»・\u00a0\u3000\u2003ＡＺａ１（）！／·") + ["巴西", "中国"]
    rows, preds = [], {}
    for k in range(300):
        words = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4))).replace("|", "")
                 for _ in range(rng.randint(1, 3))]
        standard = " ".join(words).replace("\t", " ").replace("\n", " ").strip() or "米"
        others = [" ".join(rng.sample(words, len(words))).replace("\t", " ").strip() or "米"]
        rows.append(f"q{k}\t{standard}\t{'|'.join([standard] + others)}")
        if rng.random() < 0.85:   # some ids are left unanswered
            choice = rng.random()
            if choice < 0.4:
                shuffled = rng.sample(words, len(words))
                preds[f"q{k}"] = rng.choice([" ", "，", "、", "  ", "\t"]).join(shuffled)
            elif choice < 0.7:
                preds[f"q{k}"] = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 5)))
            else:
                preds[f"q{k}"] = rng.choice(["", "  "]) + standard + rng.choice(["", "+", "。", "\u00a0"])
    table = "\n".join(rows)
    official, refs = Official(table), as_references(table)
    agree = sum(exact_match(a, refs[q]) == bool(official.right(q, a)) for q, a in preds.items())
    assert agree == len(preds)
    for q, a in preds.items():
        assert answer_f1(a, refs[q]) == pytest.approx(official.f(q, a), abs=1e-12), (q, a)
    assert sogou_score(preds, refs) == pytest.approx(official.evaluate_pairs(preds.items()))
    assert sogou_score(preds, refs, denominator="references") == pytest.approx(
        [x * len(preds) / len(refs) for x in official.evaluate_pairs(preds.items())])
    assert 0 < sogou_score(preds, refs)[0] < 1          # the sample is not trivial


def test_normalisation_matches_the_transcription():
    for text in ["ＡＢＣ　１２３", "“北京”， 市！", "U.S.A.", "C++ ×2 ￥5 人々", "«北京»", "Ωmega\u00a0X",
                 "a\x7fb", "e=mc²", "100%", "北京·天安门", "\t x \n"]:
        assert normalize_answer(text) == Official.format(text), text


@pytest.mark.parametrize("call, err, word", [
    (lambda: exact_match(None, ["a"]), TypeError, "prediction"),
    (lambda: exact_match("a", "a"), TypeError, "aliases"),
    (lambda: exact_match("a", []), ValueError, "aliases"),
    (lambda: exact_match("a", ["a", 3]), TypeError, "aliases"),
    (lambda: answer_f1(3, ["a"]), TypeError, "prediction"),
    (lambda: answer_f1("a", ()), ValueError, "aliases"),
    (lambda: answer_f1("a", None), TypeError, "aliases"),
    (lambda: sogou_score({"x": "a"}, {"y": ["a"]}, denominator="submissions"), ValueError, "predictions"),
    (lambda: sogou_score({"y": "a"}, {"y": ["a"]}, denominator="all"), ValueError, "denominator"),
    (lambda: sogou_score({"y": "a"}, {"y": ["a"]}, denominator=1), TypeError, "denominator"),
])
def test_bad_input(call, err, word):
    with pytest.raises(err, match=word):
        call()


# ----------------------------------------------------------------- decoding and scoring


def test_decode_spans_product_max_span_and_threshold():
    passage = "北京是首都北京"
    start = np.array([0.9, 0.0, 0.0, 0.3, 0.0, 0.5, 0.0])
    end = np.array([0.0, 0.8, 0.0, 0.0, 0.6, 0.0, 0.4])
    got = decode_spans(start, end, passage, max_span=12, threshold=0.1)
    assert got["北京"] == pytest.approx(0.72)  # best of 0.9*0.8 and 0.5*0.4
    assert got["首都"] == pytest.approx(0.18)
    assert list(got)[0] == "北京"
    assert "北京是首都北京" in got  # 0.9 * 0.4
    assert "北京是首都北京" not in decode_spans(start, end, passage, max_span=3)
    assert decode_spans(start, end, passage, threshold=0.95) == {}
    with pytest.raises(ValueError, match="end_probs"):
        decode_spans(start, end[:3], passage)
    with pytest.raises(ValueError, match="start_probs"):
        decode_spans(start * np.nan, end, passage)
    with pytest.raises(ValueError, match="max_span"):
        decode_spans(start, end, passage, max_span=0)


def test_vote_rule():
    scores = vote([{"A": 0.9}, {"A": 0.1, "B": 0.6}, {"B": 0.6}])
    assert scores["A"] == pytest.approx((0.81 + 0.01) / 2.0)
    assert scores["B"] == pytest.approx((0.36 + 0.36) / 2.2)
    assert list(scores) == ["A", "B"]
    plain = vote([{"A": 0.9}, {"A": 0.1, "B": 0.6}, {"B": 0.6}], squared=False)
    assert list(plain) == ["B", "A"]  # summing favours the answer seen more often
    assert vote([]) == {}
    with pytest.raises(TypeError, match="passage_scores"):
        vote({"A": 1})
    with pytest.raises(ValueError, match="passage_scores"):
        vote([{"A": 2.0}])


def test_probability_window_centres_on_the_peak_and_marks_the_answer():
    passage = "甲乙丙丁北京戊己庚辛北京壬癸"
    probs = np.zeros((len(passage), 2))
    probs[9, 0] = 0.8
    w = probability_window(passage, probs, "北京", width=6)
    np.testing.assert_array_equal(w["positions"], np.arange(6, 12))
    assert "".join(w["chars"]) == passage[6:12]
    np.testing.assert_array_equal(w["in_answer"], [False, False, False, False, True, True])  # 北京 at 10-11
    quiet = probability_window(passage, np.zeros((len(passage), 2)), "北京", width=4)
    assert quiet["positions"][0] == 2  # nothing predicted: centred on the answer
    with pytest.raises(ValueError, match="probs"):
        probability_window(passage, np.zeros(5), "北京")
    with pytest.raises(ValueError, match="width"):
        probability_window(passage, probs, "北京", width=0)


def test_reference_answers():
    assert reference_answers(GOOD) == {"q1": ["北京"], 2: ["鲁迅"]}
    with pytest.raises(ValueError, match="records"):
        reference_answers([{"id": 1, "question": "q", "passages": [{"passage": "p", "answer": ""}]}])


def test_normalisation():
    assert normalize_answer("ＡＢＣ　１２３") == "abc123"
    assert normalize_answer("“北京”， 市！") == "北京市"
    assert normalize_answer("U.S.A.") == "usa"
    # the official list, not Unicode's categories: symbols go, other punctuation stays
    assert normalize_answer("C++ ×2 ￥5 人々") == "c25人"
    assert normalize_answer("«北京»") == "«北京»"
    assert normalize_answer("Ωmega\u00a0X") == "Ωmega\u00a0x"   # ASCII lower case and blanks only
    with pytest.raises(TypeError, match="text"):
        normalize_answer(3)


def test_sogou_score_by_hand():
    refs = {1: ["北京"], 2: ["周树人", "鲁迅"], 3: ["Ｉｎｔｅｌ"], 4: ["中华人民共和国"]}
    preds = {1: "北京。", 2: "鲁迅", 3: "intel", 4: "人民共和国"}
    acc, f1, final = sogou_score(preds, refs)
    f1_4 = char_f1("人民共和国", "中华人民共和国")
    assert f1_4 == pytest.approx(2 * 1.0 * (5 / 7) / (1 + 5 / 7))
    assert acc == pytest.approx(3 / 4)
    assert f1 == pytest.approx((3 + f1_4) / 4)
    assert final == pytest.approx((acc + f1) / 2)
    assert sogou_score({}, refs, denominator="references") == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="predictions"):
        sogou_score({}, refs)                      # the official denominator: no submission, no score


@pytest.mark.parametrize(
    "preds, refs, err, word",
    [({}, {}, ValueError, "references"), ({1: "a"}, {1: "a"}, TypeError, "references"),
     ({2: "a"}, {1: ["a"]}, ValueError, "predictions"), ([], {1: ["a"]}, TypeError, "predictions"),
     ({1: None}, {1: ["a"]}, TypeError, "predictions"), ({1: "a"}, [("a",)], TypeError, "references"),
     ({1: "a"}, {1: []}, ValueError, "references"), ({1: "a"}, {1: [None]}, TypeError, "references"),
     ({1: 3}, {1: ["a"]}, TypeError, "predictions"), (None, {1: ["a"]}, TypeError, "predictions")],
)
def test_sogou_score_rejects_bad_input(preds, refs, err, word):
    with pytest.raises(err, match=word):
        sogou_score(preds, refs)
    with pytest.raises(err, match=word):
        sogou_score(preds, refs, denominator="references")


def test_sogou_score_rejects_a_bad_denominator():
    with pytest.raises(ValueError, match="denominator"):
        sogou_score({1: "a"}, {1: ["a"]}, denominator="lines")
    with pytest.raises(TypeError, match="denominator"):
        sogou_score({1: "a"}, {1: ["a"]}, denominator=None)


BAD_METRIC_CALLS = [
    # (call, exception, argument named in the message)
    (lambda: decode_spans(PROBS, PROBS, None), TypeError, "passage"),
    (lambda: decode_spans(PROBS, PROBS, "abc", max_span=2.0), TypeError, "max_span"),
    (lambda: decode_spans(PROBS, PROBS, "abc", threshold=NAN), ValueError, "threshold"),
    (lambda: decode_spans(PROBS, PROBS, "abc", threshold=1.0), ValueError, "threshold"),
    (lambda: decode_spans(PROBS, PROBS, "abc", threshold=None), TypeError, "threshold"),
    (lambda: vote([{"A": NAN}]), ValueError, "passage_scores"),
    (lambda: vote([{"A": "0.5"}]), TypeError, "passage_scores"),
    (lambda: vote([{None: 0.5}]), TypeError, "passage_scores"),
    (lambda: vote(["A"]), TypeError, "passage_scores"),
    (lambda: vote([{"A": 0.5}], squared=1), TypeError, "squared"),
    (lambda: best_answer(None), TypeError, "scores"),
    (lambda: answer_questions(None, [], None, 8, 8), ValueError, "records"),
    (lambda: answer_questions(None, GOOD, None, 8, 8), TypeError, "encoder"),
    (lambda: reference_answers([]), ValueError, "records"),
    (lambda: reference_answers(None), TypeError, "records"),
    (lambda: probability_window("abc", np.zeros((3, 2)), None), TypeError, "answer"),
    (lambda: probability_window("abc", np.zeros((3, 2)), "a", width=5.0), TypeError, "width"),
    (lambda: probability_window(None, np.zeros((3, 2))), TypeError, "passage"),
    (lambda: normalize_answer(None), TypeError, "text"),
    (lambda: char_f1(None, "a"), TypeError, "prediction"),
    (lambda: char_f1("a", None), TypeError, "reference"),
    (lambda: sogou_score({1: None}, {1: ["a"]}), TypeError, "predictions"),
]


@pytest.mark.parametrize("call, error, word", BAD_METRIC_CALLS)
def test_metric_functions_reject_bad_input(call, error, word):
    with pytest.raises(error, match=word):
        call()
