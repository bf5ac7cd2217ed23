"""The chapter's experiments: training a model (both directions at once), decoding a test set
seven ways, the measures of a trained model, and the chapter's recorded runs.

Chapter: "seq2seq with bidirectional decoding" (article 6877, book/bidecoder.md). The model
is :class:`blogcode.bidecoder.model.BidirectionalSeq2Seq`; the arrays come from
:func:`blogcode.bidecoder.tasks.encode_pairs`. The recorded runs (``blogcode.runs``,
``results/bidecoder/*.json``) are ``sorting`` (the decoders and the training losses on
the sorting task), ``leakage`` (the leakage symptom on the noisy variant) and
``search_speed`` (the vectorised bidirectional search against the per-pair loop).
"""

from __future__ import annotations

import time

import keras
import numpy as np
import tensorflow as tf

from blogcode import checks, set_seed
from blogcode.bidecoder.beam_search import beam_search, greedy_search, strip_special
from blogcode.bidecoder.bidirectional import (bidirectional_beam_search, bidirectional_beam_search_reference,
                                              sbnmt_beam_search)
from blogcode.bidecoder.model import DIRECTIONS, BidirectionalSeq2Seq
from blogcode.bidecoder.rescoring import rescored_beam_search
from blogcode.bidecoder.tasks import (CharVocabulary, accuracy_by_position, char_f1, encode_pairs, exact_match,
                                      noisy_sorting_pairs, position_accuracy, sorting_pairs)
from blogcode.runs import experiment
from blogcode.stats import seed_spread

__all__ = ["train_seq2seq", "compare_decoders", "decoder_scores", "window_gap", "block_means", "leakage_floor",
           "MODES", "sorting", "leakage", "search_speed"]


def train_seq2seq(model: BidirectionalSeq2Seq, arrays: dict, steps: int, batch_size: int = 32,
                  learning_rate: float = 3e-3, seed: int = 0, log_every: int = 0,
                  compiled: bool = True) -> dict:
    """Train with Adam in a ``tf.GradientTape`` loop; returns the per-step
    losses of each direction (``{"l2r": [...], "r2l": [...]}``).

    When ``arrays`` also holds ``l2r_partner`` and ``r2l_partner`` (decoder inputs
    built from pseudo-targets, see :func:`blogcode.bidecoder.poem_experiments.pseudo_arrays`),
    each direction's cross-attention reads the other decoder run on those
    (``BidirectionalSeq2Seq.decode``'s partner inputs): the pseudo-label stage.

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
    partners = ("l2r_partner", "r2l_partner")
    if any(k in arrays for k in partners):
        if not all(k in arrays for k in partners):
            raise ValueError(f"arrays must hold both {partners} or neither")
        keys += partners
    n = len(arrays["source"])
    optimizer = keras.optimizers.Adam(learning_rate)

    def train_step(source, l2r_in, r2l_in, l2r_out, r2l_out, *partner_in):
        with tf.GradientTape() as tape:
            if partner_in:
                memory, memory_mask = model.encode(source)
                y_pred = model.decode(memory, memory_mask, l2r_in, r2l_in, training=True,
                                      l2r_partner=partner_in[0], r2l_partner=partner_in[1])
            else:
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


# --------------------------------------------------------------------------- measures of a trained model


def decoder_scores(predictions: dict, references, n: int = 4, positions: int = 1) -> dict:
    """Score every decoder of ``predictions`` (``compare_decoders``' output) against
    ``references``: ``{name: {"first", "last", "exact", "char_f1", "start", "end"}}``,
    SB-NMT's first-``n``/last-``n`` token accuracies, exact match, bag-of-characters
    F1, and the token accuracy at each of the first ``positions`` positions counted
    from the start and from the end (``None`` where no reference is that long)."""
    checks.instance_of(predictions, "predictions", dict)
    if not predictions:
        raise ValueError("predictions must name at least one decoder")
    n = checks.positive_int(n, "n")
    positions = checks.positive_int(positions, "positions")
    out = {}
    for name, preds in predictions.items():
        first, last = position_accuracy(preds, references, n)
        by = {side: [None if np.isnan(a) else float(a)
                     for a in accuracy_by_position(preds, references, positions, from_end=side == "end")]
              for side in ("start", "end")}
        out[name] = {"first": float(first), "last": float(last), "exact": exact_match(preds, references),
                     "char_f1": char_f1(preds, references), **by}
    return out


def window_gap(model: BidirectionalSeq2Seq, arrays: dict, rows: int = 8, cut: int = 3) -> float:
    """How far the L2R logits at positions ``0..cut-1`` move when the R2L inputs
    from position ``cut`` on are changed (every real token replaced by id 4), on
    the first ``rows`` examples of ``arrays`` (``encode_pairs``' output): 0 when the
    article's window holds, large for the leaky ``"full"`` model."""
    checks.instance_of(model, "model", BidirectionalSeq2Seq)
    checks.instance_of(arrays, "arrays", dict)
    missing = [k for k in ("source", "l2r_in", "r2l_in") if k not in arrays]
    if missing:
        raise ValueError(f"arrays lacks {missing}; build it with encode_pairs")
    rows, cut = checks.positive_int(rows, "rows"), checks.positive_int(cut, "cut")
    x = tuple(np.asarray(arrays[k][:rows]) for k in ("source", "l2r_in", "r2l_in"))
    if cut >= x[2].shape[1]:
        raise ValueError(f"cut must be below the target width {x[2].shape[1]}, got {cut}")
    changed = x[2].copy()
    changed[:, cut:] = np.where(changed[:, cut:] > 0, 4, 0)
    before, _ = model(x)
    after, _ = model((x[0], x[1], changed))
    return float(np.abs(np.asarray(before)[:, :cut] - np.asarray(after)[:, :cut]).max())


def block_means(values, block: int) -> list[float]:
    """Means of ``values`` over consecutive blocks of ``block`` (a last, shorter
    block included): a training curve small enough to record."""
    block = checks.positive_int(block, "block")
    values = np.asarray(checks.nonempty(values, "values"), dtype=float)
    if values.ndim != 1:
        raise ValueError(f"values must be a 1-D sequence of numbers, got shape {values.shape}")
    return [float(values[i:i + block].mean()) for i in range(0, len(values), block)]


def leakage_floor(arrays: dict, letters: int) -> float:
    """The least cross-entropy per label (end labels included) that one direction
    can reach on ``noisy_sorting_pairs`` data without a leak: ``log(letters)`` for
    each extra letter, nothing for the rest."""
    checks.instance_of(arrays, "arrays", dict)
    if "l2r_out" not in arrays:
        raise ValueError("arrays lacks ['l2r_out']; build it with encode_pairs")
    letters = checks.integer(letters, "letters", minimum=2)
    labels = np.asarray(arrays["l2r_out"])
    return float(np.log(letters) * len(labels) / (labels > 0).sum())


# --------------------------------------------------------------------------- recorded runs


MODES = ("none", "causal", "full")


def _train_modes(settings: dict, vocab_size: int, data: dict, seed: int) -> tuple[dict, dict, dict]:
    models, curves, seconds = {}, {}, {}
    for mode in MODES:
        set_seed(seed)
        start = time.perf_counter()
        models[mode] = BidirectionalSeq2Seq(vocab_size, embed_dim=settings["embed_dim"],
                                            hidden_dim=settings["hidden_dim"], num_heads=settings["num_heads"],
                                            cross_attention=mode)
        curves[mode] = train_seq2seq(models[mode], data, settings["steps"], settings["batch_size"],
                                     learning_rate=settings["learning_rate"], seed=seed,
                                     compiled=settings["compiled"])
        seconds[mode] = time.perf_counter() - start
    return models, curves, seconds


def _tails(curves: dict, tail: int) -> dict:
    return {mode: {d: float(np.mean(c[d][-tail:])) for d in DIRECTIONS} for mode, c in curves.items()}


@experiment(chapter="bidecoder", name="sorting",
            full=dict(seeds=[6877, 1, 2], n_train=4000, n_test=200, min_length=4, max_length=8, alphabet="abcdefgh",
                      embed_dim=32, hidden_dim=32, num_heads=2, steps=1200, batch_size=64, learning_rate=1e-2,
                      compiled=True, beam_size=3, tail=100, block=10),
            fast=dict(seeds=[6877], n_train=600, n_test=40, min_length=4, max_length=7, alphabet="abcdefgh",
                      embed_dim=16, hidden_dim=16, num_heads=2, steps=6, batch_size=32, learning_rate=1e-2,
                      compiled=False, beam_size=2, tail=3, block=1),
            rtol=0.0, atol=0.05, compare=("summary",))
def sorting(settings: dict, progress) -> dict:
    """The synthetic sorting task (``sorting_pairs``, data seed 6877 as in the chapter),
    once per model seed: the three models (``MODES``) trained alike, their training
    curves (``block`` means), final losses (mean of the last ``tail`` steps) and
    training times, the window check (``window_gap``) of the causal and full models,
    and the seven decoders of ``compare_decoders`` scored on the test set
    (``decoder_scores``). The summary holds, over the seeds, each decoder's exact
    match and first/last-4 accuracies and each model's final L2R + R2L loss."""
    n_train, length = settings["n_train"], settings["max_length"]
    task = sorting_pairs(n_train + settings["n_test"], settings["min_length"], length, settings["alphabet"],
                         seed=6877)
    vocab = CharVocabulary([t + s for t, s in task])
    data = encode_pairs(task[:n_train], vocab, length, length)
    test = encode_pairs(task[n_train:], vocab, length, length)
    per_seed = []
    for seed in progress(settings["seeds"], desc="seeds"):
        models, curves, seconds = _train_modes(settings, len(vocab), data, seed)
        start = time.perf_counter()
        predictions = compare_decoders(models["none"], models["causal"], test["source"], settings["beam_size"],
                                       length + 1)
        per_seed.append({
            "seed": seed, "train_seconds": seconds, "decode_seconds": time.perf_counter() - start,
            "loss": _tails(curves, settings["tail"]),
            "curves": {m: {d: block_means(c[d], settings["block"]) for d in DIRECTIONS} for m, c in curves.items()},
            "window_gap": {m: window_gap(models[m], test) for m in ("causal", "full")},
            "decoders": decoder_scores(predictions, test["targets"], 4, length)})
    decoders = per_seed[0]["decoders"]
    summary = {"decoders": {name: {k: seed_spread([r["decoders"][name][k] for r in per_seed])
                                   for k in ("exact", "first", "last")} for name in decoders},
               "loss_sum": {m: seed_spread([sum(r["loss"][m].values()) for r in per_seed]) for m in MODES},
               "single": seed_spread([r["loss"]["none"]["l2r"] for r in per_seed])}
    return {"per_seed": per_seed, "summary": summary, "vocabulary": len(vocab)}


@experiment(chapter="bidecoder", name="leakage",
            full=dict(seeds=[6877, 1, 2], n=3000, min_length=3, max_length=6, alphabet="abcdef", embed_dim=16,
                      hidden_dim=32, num_heads=2, steps=600, batch_size=64, learning_rate=1e-2, compiled=True,
                      tail=100, block=10),
            fast=dict(seeds=[6877], n=300, min_length=3, max_length=6, alphabet="abcdef", embed_dim=16,
                      hidden_dim=16, num_heads=2, steps=2, batch_size=16, learning_rate=1e-2, compiled=False,
                      tail=2, block=1),
            rtol=0.0, atol=0.05, compare=("summary",))
def leakage(settings: dict, progress) -> dict:
    """The leakage symptom on ``noisy_sorting_pairs`` (data seed 6877, as in the
    chapter): the three models (``MODES``) trained alike once per model seed, with
    their final losses (mean of the last ``tail`` steps), training curves (``block``
    means) and times, and the leak-free floor (``leakage_floor``). The summary holds,
    over the seeds, each model's final L2R and R2L losses and their sum."""
    length = settings["max_length"]
    task = noisy_sorting_pairs(settings["n"], settings["min_length"], length, settings["alphabet"], seed=6877)
    vocab = CharVocabulary([t + s for t, s in task])
    data = encode_pairs(task, vocab, length, length + 1)
    per_seed = []
    for seed in progress(settings["seeds"], desc="seeds"):
        _, curves, seconds = _train_modes(settings, len(vocab), data, seed)
        per_seed.append({"seed": seed, "train_seconds": seconds, "loss": _tails(curves, settings["tail"]),
                         "curves": {m: {d: block_means(c[d], settings["block"]) for d in DIRECTIONS}
                                    for m, c in curves.items()}})
    summary = {m: {part: seed_spread([r["loss"][m][part] if part in DIRECTIONS else sum(r["loss"][m].values())
                                      for r in per_seed]) for part in ("l2r", "r2l", "sum")} for m in MODES}
    return {"per_seed": per_seed, "summary": summary,
            "floor": leakage_floor(data, len(set(settings["alphabet"])))}


def _timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


@experiment(chapter="bidecoder", name="search_speed",
            full=dict(seed=6877, beam_sizes=[1, 2, 3, 4], inputs=16, max_length=9, repeats=5),
            fast=dict(seed=6877, beam_sizes=[1, 2], inputs=4, max_length=5, repeats=1),
            rtol=0.0, atol=0.0, compare=("same_paths",))
def search_speed(settings: dict, progress) -> dict:
    """The vectorised bidirectional beam search against the per-pair loop
    (``bidirectional_beam_search_reference``) on one untrained model (a call costs the
    same trained or not) and ``inputs`` sorting sources, for each beam size: median
    wall and CPU seconds over ``repeats`` interleaved runs, and whether both searches
    chose the same paths (scores within float32 rounding)."""
    pairs = sorting_pairs(settings["inputs"], 6, 8, seed=0)
    vocab = CharVocabulary([t + s for t, s in pairs])
    source = encode_pairs(pairs, vocab, 8, 8)["source"]
    model = BidirectionalSeq2Seq(len(vocab), embed_dim=32, hidden_dim=64, num_heads=4)
    step = model.pair_step_fn(source)
    bidirectional_beam_search(step, len(source), 2, 2, len(vocab))  # trace the step graphs outside the timings
    rows = []
    for k in progress(settings["beam_sizes"], desc="beam sizes"):
        args = (len(source), k, settings["max_length"], len(vocab))
        times = {"vectorised": [], "per_pair": []}
        for _ in range(settings["repeats"]):
            for name, search in (("vectorised", bidirectional_beam_search),
                                 ("per_pair", bidirectional_beam_search_reference)):
                wall, cpu, result = _timed(lambda: search(step, *args))
                times[name].append((wall, cpu))
                if name == "vectorised":
                    fast = result
            slow = result
        same = (np.array_equal(fast.l2r.tokens, slow.l2r.tokens) and np.array_equal(fast.r2l.tokens, slow.r2l.tokens)
                and fast.best == slow.best and np.allclose(fast.l2r.scores, slow.l2r.scores, rtol=1e-4)
                and np.allclose(fast.r2l.scores, slow.r2l.scores, rtol=1e-4))
        row = {"k": k, "same_paths": bool(same)}
        for name, measured in times.items():
            row[f"{name}_seconds"], row[f"{name}_cpu_seconds"] = (float(np.median(m)) for m in zip(*measured))
        rows.append(row)
    return {"rows": rows, "same_paths": all(r["same_paths"] for r in rows)}
