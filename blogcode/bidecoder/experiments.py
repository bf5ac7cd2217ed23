"""The chapter's experiments: training a model (both directions at once) and decoding a test set seven ways.

Chapter: "seq2seq with bidirectional decoding" (article 6877, book/bidecoder.md). The model
is :class:`blogcode.bidecoder.model.BidirectionalSeq2Seq`; the arrays come from
:func:`blogcode.bidecoder.tasks.encode_pairs`.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from blogcode import checks
from blogcode.bidecoder.beam_search import beam_search, greedy_search, strip_special
from blogcode.bidecoder.bidirectional import bidirectional_beam_search, sbnmt_beam_search
from blogcode.bidecoder.model import DIRECTIONS, BidirectionalSeq2Seq
from blogcode.bidecoder.rescoring import rescored_beam_search

__all__ = ["train_seq2seq", "compare_decoders"]


def train_seq2seq(model: BidirectionalSeq2Seq, arrays: dict, steps: int, batch_size: int = 32,
                  learning_rate: float = 3e-3, seed: int = 0, log_every: int = 0,
                  compiled: bool = True) -> dict:
    """Train with Adam in a ``tf.GradientTape`` loop; returns the per-step
    losses of each direction (``{"l2r": [...], "r2l": [...]}``).

    ``compiled=False`` runs the step eagerly: slower per step, but it skips
    the graph tracing that dominates very short runs (the fast CI mode)."""
    checks.instance_of(model, "model", BidirectionalSeq2Seq)
    checks.instance_of(arrays, "arrays", dict)
    keys = ("source", "l2r_in", "r2l_in", "l2r_out", "r2l_out")
    missing = [k for k in keys if k not in arrays]
    if missing:
        raise ValueError(f"arrays lacks {missing}; build it with encode_pairs")
    steps = checks.positive_int(steps, "steps")
    batch_size = checks.positive_int(batch_size, "batch_size")
    learning_rate = checks.positive_real(learning_rate, "learning_rate")
    seed = checks.integer(seed, "seed", minimum=0)
    log_every = checks.integer(log_every, "log_every", minimum=0)
    compiled = checks.boolean(compiled, "compiled")
    n = len(arrays["source"])
    optimizer = keras.optimizers.Adam(learning_rate)

    def train_step(source, l2r_in, r2l_in, l2r_out, r2l_out):
        with tf.GradientTape() as tape:
            y_pred = model((source, l2r_in, r2l_in), training=True)
            losses = model.direction_losses((l2r_out, r2l_out), y_pred)
            loss = (losses["l2r"] + losses["r2l"]) / 2
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return losses["l2r"], losses["r2l"]

    if compiled:
        train_step = tf.function(train_step)
    rng = np.random.default_rng(seed)
    history = {"l2r": [], "r2l": []}
    order = rng.permutation(n)
    cursor = 0
    for step in range(steps):
        if cursor + batch_size > n:
            order, cursor = rng.permutation(n), 0
        rows = order[cursor:cursor + batch_size]
        cursor += batch_size
        l2r, r2l = train_step(*(tf.constant(arrays[k][rows]) for k in keys))
        history["l2r"].append(float(l2r))
        history["r2l"].append(float(r2l))
        if log_every and (step + 1) % log_every == 0:
            print(f"step {step + 1:5d}  L2R loss {np.mean(history['l2r'][-log_every:]):.3f}"
                  f"  R2L loss {np.mean(history['r2l'][-log_every:]):.3f}")
    return history


def compare_decoders(independent: BidirectionalSeq2Seq, bidirectional: BidirectionalSeq2Seq, source,
                     beam_size: int, max_length: int, length_penalty: float = 0.0) -> dict:
    """Decode ``source (batch, S)`` six ways; returns name -> list of token
    lists in reading order (R2L outputs already reversed).

    ``independent`` (``cross_attention="none"``) gives the unidirectional
    baselines (greedy and beam, each direction) and the BTTR-style rescoring;
    ``bidirectional`` gives the article's search and SB-NMT's split beam.
    """
    checks.instance_of(independent, "independent", BidirectionalSeq2Seq)
    checks.instance_of(bidirectional, "bidirectional", BidirectionalSeq2Seq)
    beam_size = checks.positive_int(beam_size, "beam_size")
    max_length = checks.positive_int(max_length, "max_length")
    length_penalty = checks.real(length_penalty, "length_penalty", minimum=0.0)
    if independent.cross_attention != "none":
        raise ValueError("independent must have cross_attention='none'")
    if independent.vocab_size != bidirectional.vocab_size:
        raise ValueError(f"the models' vocabularies differ: vocab_size {independent.vocab_size} "
                         f"vs {bidirectional.vocab_size}")
    pair = bidirectional.pair_step_fn(source)
    batch, vocab = pair.batch, independent.vocab_size
    steps = {d: independent.step_fn(source, d) for d in DIRECTIONS}
    out = {}
    for d in DIRECTIONS:
        greedy = strip_special(greedy_search(steps[d], batch, max_length, vocab).tokens[:, 0])
        beam = strip_special(beam_search(steps[d], batch, beam_size, max_length, vocab,
                                         length_penalty=length_penalty).tokens[:, 0])
        flip = (lambda p: p[::-1]) if d == "r2l" else (lambda p: p)
        out[f"{d.upper()} greedy"] = [flip(p) for p in greedy]
        out[f"{d.upper()} beam"] = [flip(p) for p in beam]
    out["BTTR-style rescoring"] = rescored_beam_search(steps["l2r"], steps["r2l"], batch, beam_size, max_length,
                                                       vocab, length_penalty=length_penalty).best
    # A split beam of 2k holds k paths per direction, as many as the article's search.
    out["SB-NMT split beam"] = sbnmt_beam_search(pair, batch, 2 * beam_size, max_length, vocab,
                                                 length_penalty=length_penalty).best
    out["bidirectional beam (article)"] = bidirectional_beam_search(pair, batch, beam_size, max_length, vocab,
                                                                    length_penalty=length_penalty).best
    return out
