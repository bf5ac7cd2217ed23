"""A BLEU-like score over characters, for the poem experiments of the bidirectional-decoding chapter.

Chapter: "seq2seq with bidirectional decoding" (article 6877, book/bidecoder.md). Corpus
BLEU (Papineni et al., 2002) with one reference per output: the geometric mean of the
modified 1..``max_n``-gram precisions, pooled over the corpus, times a brevity penalty.
Tokens are characters (or ids); a precision of zero gives a score of zero (no smoothing).
"""

from __future__ import annotations

import math
from collections import Counter

from blogcode import checks

__all__ = ["corpus_bleu"]


def _ngrams(tokens, n: int) -> Counter:
    tokens = list(tokens)
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def corpus_bleu(predictions, references, max_n: int = 4) -> float:
    """Corpus BLEU of ``predictions`` against ``references`` (equally many token lists
    or strings), in [0, 1]."""
    predictions = checks.nonempty(predictions, "predictions")
    references = checks.nonempty(references, "references")
    if len(predictions) != len(references):
        raise ValueError(f"predictions ({len(predictions)}) and references ({len(references)}) must be equally many")
    for name, items in (("predictions", predictions), ("references", references)):
        for i, item in enumerate(items):
            if isinstance(item, (int, float)) or not hasattr(item, "__len__"):
                raise TypeError(f"{name}[{i}] must be a token list or a string, got {type(item).__name__}")
    max_n = checks.positive_int(max_n, "max_n")
    hits, totals = [0] * max_n, [0] * max_n
    out_length = ref_length = 0
    for pred, ref in zip(predictions, references):
        out_length, ref_length = out_length + len(pred), ref_length + len(ref)
        for n in range(1, max_n + 1):
            pred_grams, ref_grams = _ngrams(pred, n), _ngrams(ref, n)
            hits[n - 1] += sum((pred_grams & ref_grams).values())
            totals[n - 1] += sum(pred_grams.values())
    if ref_length == 0:
        raise ValueError("references are all empty")
    if min(hits) == 0:
        return 0.0
    log_precision = sum(math.log(h / t) for h, t in zip(hits, totals)) / max_n
    brevity = min(0.0, 1.0 - ref_length / out_length)
    return float(math.exp(log_precision + brevity))
