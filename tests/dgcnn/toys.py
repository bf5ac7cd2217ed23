"""Records and tiny inputs shared by the dgcnn tests."""

import numpy as np

from blogcode.dgcnn.data import IGNORE
from blogcode.dgcnn.model import build_dgcnn

NAN, INF = float("nan"), float("inf")
PROBS = np.array([0.9, 0.1, 0.8])

GOOD = [
    {"id": "q1", "question": "＿的首都是哪里", "passages": [
        {"passage": "北京是首都，北京很大。", "answer": "北京"},
        {"passage": "上海在东边。", "answer": ""}]},
    {"id": 2, "question": "谁写的", "passages": [{"passage": "鲁迅写的。", "answer": "鲁迅"}]},
]


def small_batch(rng, n=6, lq=7, lp=20, vocab=30, dim=5):
    q_len = rng.integers(2, lq + 1, size=n)
    p_len = rng.integers(5, lp + 1, size=n)
    qc = np.where(np.arange(lq) < q_len[:, None], rng.integers(1, vocab, (n, lq)), 0).astype("int32")
    pc = np.where(np.arange(lp) < p_len[:, None], rng.integers(1, vocab, (n, lp)), 0).astype("int32")
    qw = rng.normal(size=(n, lq, dim)).astype("float32") * (qc > 0)[..., None]
    pw = rng.normal(size=(n, lp, dim)).astype("float32") * (pc > 0)[..., None]
    y = np.zeros((n, lp, 2), "float32")
    y[np.arange(n), 1, 0] = 1
    y[np.arange(n), 2, 1] = 1
    y[pc == 0] = IGNORE
    return [qc, qw, pc, pw], y


def tiny_dgcnn(vocab_size=20, word_dim=3, **options):
    return build_dgcnn(vocab_size, word_dim=word_dim, hidden=8, question_rates=(1,), passage_rates=(1, 2), **options)
