"""seq2seq with bidirectional decoding: the data (a character vocabulary, two synthetic
sorting tasks) and the measures that score decoded outputs against references.

Chapter: "seq2seq with bidirectional decoding" (article 6877, book/bidecoder.md). The
model is in :mod:`blogcode.bidecoder.model`.

A target ``y_1 ... y_N`` is fed to the left-to-right (L2R) decoder as ``[start, y_1, ...,
y_N]`` with labels ``[y_1, ..., y_N, end]``, and to the right-to-left (R2L) decoder
reversed: ``[start, y_N, ..., y_1]`` with labels ``[y_N, ..., y_1, end]``.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from blogcode import checks
from blogcode.bidecoder.beam_search import END, START, UNK

__all__ = [
    "CharVocabulary", "encode_pairs", "sorting_pairs", "noisy_sorting_pairs",
    "position_accuracy", "accuracy_by_position", "exact_match", "char_f1",
]


# --------------------------------------------------------------------------- data


class CharVocabulary:
    """Characters seen at least ``min_count`` times get ids from 4 upwards."""

    def __init__(self, texts, min_count: int = 1):
        texts = checks.strings(texts, "texts")
        min_count = checks.positive_int(min_count, "min_count")
        counts = Counter(ch for text in texts for ch in text)
        if not counts:
            raise ValueError("texts must contain at least one character")
        # Frequent characters first, ties by code point: the same ids on every run.
        kept = sorted((c for c, n in counts.items() if n >= min_count), key=lambda c: (-counts[c], c))
        self.chars = ["<pad>", "<unk>", "<s>", "</s>"] + kept
        self.index = {c: i for i, c in enumerate(self.chars) if i > END}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        return [self.index.get(c, UNK) for c in checks.string(text, "text")]

    def decode(self, ids) -> str:
        return "".join(self.chars[i] if i > END else ("?" if i == UNK else "") for i in ids)


def encode_pairs(pairs, vocab: CharVocabulary, max_source: int, max_target: int) -> dict:
    """``(target, source)`` text pairs -> padded id arrays for both directions.

    Sources are cut to ``max_source`` characters, targets to ``max_target``.
    Returns ``source (n, max_source)``, ``l2r_in``/``l2r_out``/``r2l_in``/
    ``r2l_out`` (n, max_target + 1) and ``targets`` (list of id lists).
    """
    pairs = checks.nonempty(pairs, "pairs")
    checks.instance_of(vocab, "vocab", CharVocabulary)
    max_source = checks.positive_int(max_source, "max_source")
    max_target = checks.positive_int(max_target, "max_target")
    n, width = len(pairs), max_target + 1
    arrays = {"source": np.zeros((n, max_source), np.int32)}
    for key in ("l2r_in", "l2r_out", "r2l_in", "r2l_out"):
        arrays[key] = np.zeros((n, width), np.int32)
    targets = []
    for row, pair in enumerate(pairs):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"pairs[{row}] must be a (target, source) pair of strings")
        target, source = (checks.string(text, f"pairs[{row}]") for text in pair)
        src, tgt = vocab.encode(source)[:max_source], vocab.encode(target)[:max_target]
        if not src or not tgt:
            raise ValueError(f"pairs[{row}] has an empty source or target")
        arrays["source"][row, :len(src)] = src
        for direction, seq in (("l2r", tgt), ("r2l", tgt[::-1])):
            arrays[f"{direction}_in"][row, :len(seq) + 1] = [START] + seq
            arrays[f"{direction}_out"][row, :len(seq) + 1] = seq + [END]
        targets.append(tgt)
    arrays["targets"] = targets
    return arrays


def sorting_pairs(n: int, min_length: int = 4, max_length: int = 10, alphabet: str = "abcdefghij",
                  seed: int = 0) -> list[tuple[str, str]]:
    """SYNTHETIC task: ``(sorted(s), s)`` for random strings ``s``.

    Sorting is symmetric (the first output is the smallest letter, the last the
    largest), so a left-to-right and a right-to-left decoder face the same task
    from opposite ends, and each must count letters it has already written.
    """
    n = checks.positive_int(n, "n")
    min_length = checks.positive_int(min_length, "min_length")
    max_length = checks.positive_int(max_length, "max_length")
    if min_length > max_length:
        raise ValueError(f"min_length must be <= max_length, got {min_length} > {max_length}")
    if len(set(checks.string(alphabet, "alphabet"))) < 2:
        raise ValueError(f"alphabet must have at least two distinct letters, got {alphabet!r}")
    seed = checks.integer(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    letters = np.array(list(alphabet))
    pairs = []
    for _ in range(n):
        s = "".join(rng.choice(letters, size=int(rng.integers(min_length, max_length + 1))))
        pairs.append(("".join(sorted(s)), s))
    return pairs


def noisy_sorting_pairs(n: int, min_length: int = 4, max_length: int = 10, alphabet: str = "abcdefghij",
                        seed: int = 0) -> list[tuple[str, str]]:
    """SYNTHETIC task with built-in uncertainty: ``sorting_pairs`` with one
    extra letter appended to each target, drawn uniformly from ``alphabet``
    and independently of the input.

    No decoder can predict that letter from the source (its cross-entropy is
    at least ``log(len(alphabet))``), but under teacher forcing the R2L
    decoder is *fed* it as its first token, so a decoder that attends to the
    other direction's inputs can copy it: the leakage of the bidirectional
    decoder made measurable. The sources are those of ``sorting_pairs`` with
    the same arguments; the extra letters come from a second seeded stream.
    """
    pairs = sorting_pairs(n, min_length, max_length, alphabet, seed)
    extra = np.random.default_rng([seed, 1]).choice(list(alphabet), size=len(pairs))
    return [(target + letter, source) for (target, source), letter in zip(pairs, extra)]


# --------------------------------------------------------------------------- measures


def _check_pairs(predictions, references):
    """Both as lists of token sequences (lists or strings), equally many and not zero."""
    predictions = checks.nonempty(predictions, "predictions")
    references = checks.nonempty(references, "references")
    for name, items in (("predictions", predictions), ("references", references)):
        for i, item in enumerate(items):
            if item is None or not hasattr(item, "__len__") or not hasattr(item, "__getitem__"):
                raise TypeError(f"{name}[{i}] must be a token list or a string, got {type(item).__name__}")
    if len(predictions) != len(references):
        raise ValueError(f"predictions ({len(predictions)}) and references ({len(references)}) "
                         "must be equally many")
    return predictions, references


def accuracy_by_position(predictions, references, positions: int, from_end: bool = False) -> np.ndarray:
    """Token accuracy at positions 0..positions-1 (counted from the end when
    ``from_end``), over references long enough to have that position; NaN
    where none is."""
    predictions, references = _check_pairs(predictions, references)
    positions = checks.positive_int(positions, "positions")
    from_end = checks.boolean(from_end, "from_end")
    hits, counts = np.zeros(positions), np.zeros(positions)
    for pred, ref in zip(predictions, references):
        pred, ref = (pred[::-1], ref[::-1]) if from_end else (pred, ref)
        for i in range(min(positions, len(ref))):
            counts[i] += 1
            hits[i] += i < len(pred) and pred[i] == ref[i]
    with np.errstate(invalid="ignore"):
        return hits / counts


def position_accuracy(predictions, references, n: int = 4) -> tuple[float, float]:
    """SB-NMT's measure: token accuracy over the first n and the last n
    positions of each reference (the last ones aligned from the end)."""
    predictions, references = _check_pairs(predictions, references)
    n = checks.positive_int(n, "n")
    if not any(len(ref) for ref in references):
        raise ValueError("references are all empty: no position to score")
    result = []
    for from_end in (False, True):
        hits = total = 0
        for pred, ref in zip(predictions, references):
            pred, ref = (pred[::-1], ref[::-1]) if from_end else (pred, ref)
            for i in range(min(n, len(ref))):
                total += 1
                hits += i < len(pred) and pred[i] == ref[i]
        result.append(hits / total)
    return result[0], result[1]


def exact_match(predictions, references) -> float:
    predictions, references = _check_pairs(predictions, references)
    return float(np.mean([list(p) == list(r) for p, r in zip(predictions, references)]))


def char_f1(predictions, references) -> float:
    """Mean bag-of-characters F1 between each prediction and its reference."""
    predictions, references = _check_pairs(predictions, references)
    scores = []
    for pred, ref in zip(predictions, references):
        overlap = sum((Counter(pred) & Counter(ref)).values())
        if overlap == 0:
            scores.append(0.0)
            continue
        precision, recall = overlap / len(pred), overlap / len(ref)
        scores.append(2 * precision * recall / (precision + recall))
    return float(np.mean(scores))
