"""seq2seq with bidirectional decoding: the model, its loss and four decoders.

Chapter: "seq2seq with bidirectional decoding" (article 6877, book/bidecoder.md).

Token ids are shared by both directions: 0 padding, 1 unknown, 2 start,
3 end (the article's numbering). A target ``y_1 ... y_N`` is fed to the
left-to-right (L2R) decoder as ``[start, y_1, ..., y_N]`` with labels
``[y_1, ..., y_N, end]``, and to the right-to-left (R2L) decoder reversed:
``[start, y_N, ..., y_1]`` with labels ``[y_N, ..., y_1, end]``.

Decoders work on *step functions*, so they can be tested without a model:

* ``step_fn(prefixes) -> log_probs`` for one direction. ``prefixes`` is an
  int array ``(batch, beams, t)`` that starts with the start id (finished
  paths carry the end id and then padding); the result is a float array
  ``(batch, beams, vocab_size)`` of next-token log-probabilities.
* ``pair_step_fn(l2r_prefixes, r2l_prefixes) -> (l2r_log_probs, r2l_log_probs)``
  for the bidirectional model. Both prefix arrays are ``(batch, pairs, t)``;
  row ``p`` pairs one L2R path with one R2L path, and both results are
  ``(batch, pairs, vocab_size)``: the next token of each direction given both
  paths of the pair.

Search results hold the generated tokens without the start id, padded with 0.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from blogcode.masking import AlignedBidirectional, sequence_mask

__all__ = [
    "PAD", "UNK", "START", "END",
    "CharVocabulary", "encode_pairs", "sorting_pairs", "noisy_sorting_pairs",
    "BidirectionalSeq2Seq", "sequence_cross_entropy", "train_seq2seq",
    "BeamResult", "BidirectionalResult",
    "greedy_search", "beam_search", "bidirectional_beam_search",
    "bidirectional_beam_search_reference", "sbnmt_beam_search", "rescored_beam_search",
    "sequence_log_probs", "compare_decoders", "strip_special", "position_accuracy", "accuracy_by_position",
    "exact_match", "char_f1",
]

PAD, UNK, START, END = 0, 1, 2, 3


# --------------------------------------------------------------------------- data


class CharVocabulary:
    """Characters seen at least ``min_count`` times get ids from 4 upwards."""

    def __init__(self, texts, min_count: int = 1):
        if isinstance(texts, str):
            raise TypeError("texts must be a list of strings, not one string")
        if isinstance(min_count, bool) or not isinstance(min_count, (int, np.integer)) or min_count < 1:
            raise ValueError(f"min_count must be an int >= 1, got {min_count!r}")
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
        return [self.index.get(c, UNK) for c in text]

    def decode(self, ids) -> str:
        return "".join(self.chars[i] if i > END else ("?" if i == UNK else "") for i in ids)


def encode_pairs(pairs, vocab: CharVocabulary, max_source: int, max_target: int) -> dict:
    """``(target, source)`` text pairs -> padded id arrays for both directions.

    Sources are cut to ``max_source`` characters, targets to ``max_target``.
    Returns ``source (n, max_source)``, ``l2r_in``/``l2r_out``/``r2l_in``/
    ``r2l_out`` (n, max_target + 1) and ``targets`` (list of id lists).
    """
    if len(pairs) == 0:
        raise ValueError("pairs must not be empty")
    for name, value in (("max_source", max_source), ("max_target", max_target)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    n, width = len(pairs), max_target + 1
    arrays = {"source": np.zeros((n, max_source), np.int32)}
    for key in ("l2r_in", "l2r_out", "r2l_in", "r2l_out"):
        arrays[key] = np.zeros((n, width), np.int32)
    targets = []
    for row, (target, source) in enumerate(pairs):
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
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    if not 1 <= min_length <= max_length:
        raise ValueError(f"need 1 <= min_length <= max_length, got {min_length}, {max_length}")
    if len(alphabet) < 2:
        raise ValueError("alphabet must have at least two letters")
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


# --------------------------------------------------------------------------- model


def sequence_cross_entropy(labels, logits):
    """Mean cross-entropy over real (non-zero) labels; labels ``(batch, T)``,
    logits ``(batch, T, vocab)``."""
    labels = tf.convert_to_tensor(labels)
    mask = tf.cast(tf.not_equal(labels, PAD), logits.dtype)
    per_token = tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    return tf.reduce_sum(per_token * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)


@keras.saving.register_keras_serializable(package="blogcode")
class BidirectionalSeq2Seq(keras.Model):
    """Masked BiLSTM encoder and two LSTM decoders (L2R and R2L).

    Each decoder attends to the encoder states (masked by the source padding)
    and, unless ``cross_attention="none"``, to the other decoder's states:
    ``"causal"`` (the article) lets position n see the other direction's
    positions <= n, ``"full"`` lets it see all of them (a deliberately leaky
    variant). ``"none"`` gives two independent unidirectional decoders on a
    shared encoder. Both directions share the output layers.

    Inputs ``(source (batch, S), l2r_in (batch, T), r2l_in (batch, T))``;
    outputs ``(l2r_logits, r2l_logits)``, each ``(batch, T, vocab_size)``.
    ``fit`` expects ``y = (l2r_out, r2l_out)``; the loss is the mean of the
    two directions' masked cross-entropies.
    """

    CROSS_MODES = ("none", "causal", "full")

    def __init__(self, vocab_size: int, embed_dim: int = 64, hidden_dim: int = 64, num_heads: int = 4,
                 cross_attention: str = "causal", **kwargs):
        super().__init__(**kwargs)
        for name, value in (("vocab_size", vocab_size), ("embed_dim", embed_dim),
                            ("hidden_dim", hidden_dim), ("num_heads", num_heads)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        if vocab_size <= END + 1:
            raise ValueError(f"vocab_size must exceed the 4 special ids, got {vocab_size}")
        if hidden_dim % 2 or hidden_dim % num_heads:
            raise ValueError(f"hidden_dim={hidden_dim} must be even and divisible by num_heads={num_heads}")
        if cross_attention not in self.CROSS_MODES:
            raise ValueError(f"cross_attention must be one of {self.CROSS_MODES}, got {cross_attention!r}")
        self.vocab_size, self.embed_dim, self.hidden_dim = int(vocab_size), int(embed_dim), int(hidden_dim)
        self.num_heads, self.cross_attention = int(num_heads), cross_attention
        key_dim = hidden_dim // num_heads
        self.embedding = keras.layers.Embedding(vocab_size, embed_dim, name="embedding")
        self.encoder = AlignedBidirectional(keras.layers.LSTM(hidden_dim // 2, return_sequences=True),
                                            name="encoder")
        self.decoders, self.source_attention, self.cross = {}, {}, {}
        for d in ("l2r", "r2l"):
            self.decoders[d] = keras.layers.LSTM(hidden_dim, return_sequences=True, name=f"{d}_lstm")
            self.source_attention[d] = keras.layers.MultiHeadAttention(num_heads, key_dim, name=f"{d}_source_attention")
            if cross_attention != "none":
                self.cross[d] = keras.layers.MultiHeadAttention(num_heads, key_dim, name=f"{d}_cross_attention")
        self.hidden = keras.layers.Dense(hidden_dim, activation="tanh", name="shared_hidden")
        self.classifier = keras.layers.Dense(vocab_size, name="shared_classifier")
        self.loss_trackers = {d: keras.metrics.Mean(name=f"{d}_loss") for d in ("l2r", "r2l")}

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size, "embed_dim": self.embed_dim,
                "hidden_dim": self.hidden_dim, "num_heads": self.num_heads,
                "cross_attention": self.cross_attention}

    def encode(self, source):
        """Encoder states ``(batch, S, hidden_dim)`` and the source mask."""
        source = tf.convert_to_tensor(source)
        mask = tf.not_equal(source, PAD)
        return self.encoder(self.embedding(source), mask=mask), mask

    def decode(self, memory, memory_mask, l2r_in, r2l_in, training=None):
        """Logits of both directions at every position of the given prefixes."""
        states, masks, features = {}, {}, {}
        for d, ids in (("l2r", l2r_in), ("r2l", r2l_in)):
            ids = tf.convert_to_tensor(ids)
            masks[d] = tf.not_equal(ids, PAD)
            states[d] = self.decoders[d](self.embedding(ids), mask=masks[d], training=training)
            attend = masks[d][:, :, None] & memory_mask[:, None, :]
            context = self.source_attention[d](states[d], memory, attention_mask=attend, training=training)
            features[d] = [states[d], context]
        if self.cross_attention != "none":
            length = tf.shape(l2r_in)[1]
            # position n may look at the other direction's positions m <= n only
            window = tf.linalg.band_part(tf.ones((length, length), tf.bool), -1, 0)
            for d, other in (("l2r", "r2l"), ("r2l", "l2r")):
                attend = masks[other][:, None, :]
                if self.cross_attention == "causal":
                    attend = attend & window[None]
                attend = attend & masks[d][:, :, None]
                features[d].append(self.cross[d](states[d], states[other], attention_mask=attend,
                                                 training=training))
        return tuple(self.classifier(self.hidden(tf.concat(features[d], axis=-1))) for d in ("l2r", "r2l"))

    def call(self, inputs, training=None):
        source, l2r_in, r2l_in = inputs
        memory, memory_mask = self.encode(source)
        return self.decode(memory, memory_mask, l2r_in, r2l_in, training=training)

    def direction_losses(self, y, y_pred):
        return {d: sequence_cross_entropy(labels, logits) for d, labels, logits in zip(("l2r", "r2l"), y, y_pred)}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        losses = self.direction_losses(y, y_pred)
        for d, value in losses.items():
            self.loss_trackers[d].update_state(value)
        loss = (losses["l2r"] + losses["r2l"]) / 2
        return loss + tf.add_n(self.losses) if self.losses else loss

    @property
    def metrics(self):
        return super().metrics + list(self.loss_trackers.values())

    # ---------------------------------------------------------------- step functions

    def _repeat_memory(self, memory, memory_mask, rows: int):
        return tf.repeat(memory, rows, axis=0), tf.repeat(memory_mask, rows, axis=0)

    def _graph_decode(self):
        """``decode`` as one traced graph for every batch size and length:
        eager Keras calls cost ~10x more than the computation at these sizes."""
        if "_decode_graph" not in self.__dict__:  # kept out of Keras' attribute tracking
            spec = [tf.TensorSpec([None, None, self.hidden_dim], tf.float32), tf.TensorSpec([None, None], tf.bool),
                    tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([None, None], tf.int32)]
            self.__dict__["_decode_graph"] = tf.function(self.decode, input_signature=spec)
        return self.__dict__["_decode_graph"]

    def pair_step_fn(self, source):
        """A ``pair_step_fn`` (see the module docstring) for these sources."""
        memory, memory_mask = self.encode(source)
        batch = int(memory.shape[0])
        decode = self._graph_decode()

        def step(l2r_prefixes, r2l_prefixes):
            l2r_prefixes, r2l_prefixes = np.asarray(l2r_prefixes), np.asarray(r2l_prefixes)
            b, pairs, t = l2r_prefixes.shape
            if b != batch or r2l_prefixes.shape != l2r_prefixes.shape:
                raise ValueError(f"prefixes must both be ({batch}, pairs, t), got {l2r_prefixes.shape} "
                                 f"and {r2l_prefixes.shape}")
            mem, mem_mask = self._repeat_memory(memory, memory_mask, pairs)
            logits = decode(mem, mem_mask, l2r_prefixes.reshape(b * pairs, t).astype(np.int32),
                            r2l_prefixes.reshape(b * pairs, t).astype(np.int32))
            return tuple(tf.nn.log_softmax(z[:, -1]).numpy().reshape(b, pairs, -1) for z in logits)

        return step

    def step_fn(self, source, direction: str):
        """A one-direction ``step_fn``; only for ``cross_attention="none"``,
        where a decoder does not depend on the other one."""
        if direction not in ("l2r", "r2l"):
            raise ValueError(f"direction must be 'l2r' or 'r2l', got {direction!r}")
        if self.cross_attention != "none":
            raise ValueError("step_fn needs cross_attention='none'; use pair_step_fn for a bidirectional model")
        pair = self.pair_step_fn(source)
        which = 0 if direction == "l2r" else 1

        def step(prefixes):
            prefixes = np.asarray(prefixes)
            # The other decoder's input does not matter here; start tokens keep it valid.
            other = np.full_like(prefixes, START)
            pair_inputs = (prefixes, other) if direction == "l2r" else (other, prefixes)
            return pair(*pair_inputs)[which]

        return step


def train_seq2seq(model: BidirectionalSeq2Seq, arrays: dict, steps: int, batch_size: int = 32,
                  learning_rate: float = 3e-3, seed: int = 0, log_every: int = 0,
                  compiled: bool = True) -> dict:
    """Train with Adam in a ``tf.GradientTape`` loop; returns the per-step
    losses of each direction (``{"l2r": [...], "r2l": [...]}``).

    ``compiled=False`` runs the step eagerly: slower per step, but it skips
    the graph tracing that dominates very short runs (the fast CI mode)."""
    for name, value in (("steps", steps), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    n = len(arrays["source"])
    optimizer = keras.optimizers.Adam(learning_rate)
    keys = ("source", "l2r_in", "r2l_in", "l2r_out", "r2l_out")

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


# --------------------------------------------------------------------------- search


@dataclass
class BeamResult:
    """Beams of one direction, best first.

    ``tokens (batch, beams, L)``: generated ids (end id included when a path
    finished), padded with 0. ``log_probs (batch, beams)``: summed
    log-probabilities. ``scores``: ``log_probs / length ** length_penalty``,
    the ranking score. ``lengths``: generated tokens, end id included.
    ``finished``: whether a path produced the end id.
    """

    tokens: np.ndarray
    log_probs: np.ndarray
    scores: np.ndarray
    lengths: np.ndarray
    finished: np.ndarray


@dataclass
class BidirectionalResult:
    """Both directions' final beams and the chosen output per input.

    ``best``: a list (one per input) of token lists in reading order, without
    the end id. ``best_direction``: ``"l2r"`` or ``"r2l"`` per input. ``trace``
    (when recorded): one dict per step with both directions' beams.
    """

    l2r: BeamResult
    r2l: BeamResult
    best: list
    best_direction: list
    trace: list = field(default_factory=list)


def _check_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_search_args(batch_size, beam_size, max_length, vocab_size, start_id, end_id, length_penalty):
    _check_int("batch_size", batch_size)
    _check_int("beam_size", beam_size)
    _check_int("max_length", max_length)
    _check_int("vocab_size", vocab_size, 2)
    for name, value in (("start_id", start_id), ("end_id", end_id)):
        _check_int(name, value, 0)
        if not PAD < value < vocab_size:
            raise ValueError(f"{name}={value} must be a real id in [1, vocab_size={vocab_size})")
    if beam_size > vocab_size - 1:
        raise ValueError(f"beam_size={beam_size} exceeds the {vocab_size - 1} non-padding ids of vocab_size")
    if not np.isfinite(length_penalty) or length_penalty < 0:
        raise ValueError(f"length_penalty must be finite and >= 0, got {length_penalty}")


def _check_log_probs(log_probs, expected_shape, name: str) -> np.ndarray:
    log_probs = np.asarray(log_probs, dtype=np.float64)
    if log_probs.ndim != 3 or log_probs.shape[-1] != expected_shape[-1]:
        raise ValueError(f"{name} returned shape {log_probs.shape}; the vocabularies are inconsistent "
                         f"with vocab_size={expected_shape[-1]} (expected {expected_shape})")
    if log_probs.shape != expected_shape:
        raise ValueError(f"{name} returned shape {log_probs.shape}, expected {expected_shape}")
    if np.isnan(log_probs).any():
        raise ValueError(f"{name} returned NaN log-probabilities")
    return log_probs


class _Beams:
    """The state of one direction's beam: the NumPy bookkeeping shared by all searches."""

    def __init__(self, batch_size, beams, start_id, end_id, length_penalty):
        self.tokens = np.zeros((batch_size, beams, 0), np.int64)
        self.log_probs = np.full((batch_size, beams), -np.inf)
        self.log_probs[:, 0] = 0.0  # one live path; the copies only fill the beam shape
        self.lengths = np.zeros((batch_size, beams), np.int64)
        self.finished = np.zeros((batch_size, beams), bool)
        self.start_id, self.end_id, self.alpha = start_id, end_id, length_penalty

    def prefixes(self):
        start = np.full(self.tokens.shape[:2] + (1,), self.start_id, np.int64)
        return np.concatenate([start, self.tokens], axis=2)

    def done(self) -> bool:
        return bool(self.finished.all())

    def scores(self, log_probs=None, lengths=None):
        log_probs = self.log_probs if log_probs is None else log_probs
        lengths = self.lengths if lengths is None else lengths
        return log_probs / np.maximum(lengths, 1) ** self.alpha

    def update(self, step_log_probs):
        """Extend every path by every token, keep the best ``beams`` by score;
        ties go to the lower (path, token) index."""
        batch, beams, vocab = step_log_probs.shape
        step_log_probs = step_log_probs.copy()
        step_log_probs[..., PAD] = -np.inf  # a live path never emits padding
        after_end = np.full(vocab, -np.inf)
        after_end[PAD] = 0.0  # a finished path only pads, keeping its score
        candidates = np.where(self.finished[..., None], after_end, step_log_probs) + self.log_probs[..., None]
        lengths = np.where(self.finished, self.lengths, self.lengths + 1)[..., None]
        ranking = self.scores(candidates, lengths).reshape(batch, beams * vocab)
        order = np.argsort(-ranking, axis=1, kind="stable")[:, :beams]
        path, token = order // vocab, order % vocab
        rows = np.arange(batch)[:, None]
        self.tokens = np.concatenate([self.tokens[rows, path], token[..., None]], axis=2)
        self.log_probs = candidates.reshape(batch, -1)[rows, order]
        self.lengths = np.broadcast_to(lengths, candidates.shape).reshape(batch, -1)[rows, order]
        self.finished = self.finished[rows, path] | (token == self.end_id)

    def result(self) -> BeamResult:
        # Paths stay sorted by score after every update; re-sort for safety at the end.
        order = np.argsort(-self.scores(), axis=1, kind="stable")
        rows = np.arange(order.shape[0])[:, None]
        return BeamResult(self.tokens[rows, order], self.log_probs[rows, order], self.scores()[rows, order],
                          self.lengths[rows, order], self.finished[rows, order])


def greedy_search(step_fn, batch_size: int, max_length: int, vocab_size: int,
                  start_id: int = START, end_id: int = END) -> BeamResult:
    """Pick the most likely next token (never padding) until the end id or
    ``max_length`` tokens. ``step_fn`` gets ``(batch, 1, t)`` prefixes."""
    _check_search_args(batch_size, 1, max_length, vocab_size, start_id, end_id, 0.0)
    tokens = np.full((batch_size, 1), start_id, np.int64)
    log_probs = np.zeros(batch_size)
    finished = np.zeros(batch_size, bool)
    lengths = np.zeros(batch_size, np.int64)
    for _ in range(max_length):
        step = _check_log_probs(step_fn(tokens[:, None, :]), (batch_size, 1, vocab_size), "step_fn")[:, 0]
        step[:, PAD] = -np.inf
        best = np.argmax(step, axis=1)
        best = np.where(finished, PAD, best)
        log_probs += np.where(finished, 0.0, step[np.arange(batch_size), best])
        lengths += ~finished
        finished |= best == end_id
        tokens = np.concatenate([tokens, best[:, None]], axis=1)
        if finished.all():
            break
    generated = tokens[:, None, 1:]
    return BeamResult(generated, log_probs[:, None], log_probs[:, None], lengths[:, None], finished[:, None])


def beam_search(step_fn, batch_size: int, beam_size: int, max_length: int, vocab_size: int,
                start_id: int = START, end_id: int = END, length_penalty: float = 0.0) -> BeamResult:
    """Batched beam search in one direction.

    ``step_fn(prefixes (batch, beam_size, t)) -> log_probs (batch, beam_size,
    vocab_size)``. Paths are ranked by ``log p / length ** length_penalty``;
    a path that emits ``end_id`` is kept unchanged while the others grow.
    Stops when every path has ended or after ``max_length`` tokens.
    """
    _check_search_args(batch_size, beam_size, max_length, vocab_size, start_id, end_id, length_penalty)
    beams = _Beams(batch_size, beam_size, start_id, end_id, length_penalty)
    for _ in range(max_length):
        beams.update(_check_log_probs(step_fn(beams.prefixes()), (batch_size, beam_size, vocab_size), "step_fn"))
        if beams.done():
            break
    return beams.result()


def _pair_all(l2r: np.ndarray, r2l: np.ndarray):
    """All (L2R path i, R2L path j) pairs as rows ``i * k + j``."""
    batch, k, t = l2r.shape
    return (np.repeat(l2r, k, axis=1), np.tile(r2l, (1, k, 1)))


def _average_pairs_vectorised(pair_step_fn, l2r_prefixes, r2l_prefixes, vocab_size):
    """One call on all k^2 pairs; each direction's next-token probability is the
    mean over the other direction's k paths (the k^3 candidates reduced to k^2)."""
    batch, k, _ = l2r_prefixes.shape
    l2r_lp, r2l_lp = pair_step_fn(*_pair_all(l2r_prefixes, r2l_prefixes))
    shape = (batch, k * k, vocab_size)
    l2r_p = np.exp(_check_log_probs(l2r_lp, shape, "pair_step_fn (L2R)")).reshape(batch, k, k, vocab_size)
    r2l_p = np.exp(_check_log_probs(r2l_lp, shape, "pair_step_fn (R2L)")).reshape(batch, k, k, vocab_size)
    with np.errstate(divide="ignore"):
        return np.log(l2r_p.sum(axis=2) / k), np.log(r2l_p.sum(axis=1) / k)


def _average_pairs_loop(pair_step_fn, l2r_prefixes, r2l_prefixes, vocab_size):
    """The same averages, one pair at a time (the slow reference)."""
    batch, k, _ = l2r_prefixes.shape
    l2r_sum = np.zeros((batch, k, vocab_size))
    r2l_sum = np.zeros((batch, k, vocab_size))
    for i in range(k):
        for j in range(k):
            l2r_lp, r2l_lp = pair_step_fn(l2r_prefixes[:, i:i + 1], r2l_prefixes[:, j:j + 1])
            l2r_sum[:, i] += np.exp(_check_log_probs(l2r_lp, (batch, 1, vocab_size), "pair_step_fn (L2R)"))[:, 0]
            r2l_sum[:, j] += np.exp(_check_log_probs(r2l_lp, (batch, 1, vocab_size), "pair_step_fn (R2L)"))[:, 0]
    with np.errstate(divide="ignore"):
        return np.log(l2r_sum / k), np.log(r2l_sum / k)


def _pair_by_rank(pair_step_fn, l2r_prefixes, r2l_prefixes, vocab_size):
    """SB-NMT-style interaction: the i-th L2R path with the i-th R2L path."""
    l2r_lp, r2l_lp = pair_step_fn(l2r_prefixes, r2l_prefixes)
    shape = l2r_prefixes.shape[:2] + (vocab_size,)
    return (_check_log_probs(l2r_lp, shape, "pair_step_fn (L2R)"),
            _check_log_probs(r2l_lp, shape, "pair_step_fn (R2L)"))


def _snapshot(beams: _Beams) -> dict:
    return {"tokens": beams.tokens.copy(), "scores": beams.scores().copy(), "finished": beams.finished.copy()}


def _choose(l2r: BeamResult, r2l: BeamResult):
    """The best finished path of either direction (unfinished ones only if none
    finished), R2L paths read backwards; a tie goes to L2R."""
    best, directions = [], []
    for b in range(l2r.tokens.shape[0]):
        options = []
        for name, res in (("l2r", l2r), ("r2l", r2l)):
            for p in range(res.tokens.shape[1]):
                if np.isfinite(res.scores[b, p]):
                    options.append((not res.finished[b, p], -res.scores[b, p], len(options), name,
                                    res.tokens[b, p]))
        _, _, _, name, tokens = min(options)
        content = strip_special([tokens])[0]
        best.append(content if name == "l2r" else content[::-1])
        directions.append(name)
    return best, directions


def _bidirectional(pair_step_fn, scorer, batch_size, beams_per_direction, max_length, vocab_size,
                   start_id, end_id, length_penalty, record):
    l2r = _Beams(batch_size, beams_per_direction, start_id, end_id, length_penalty)
    r2l = _Beams(batch_size, beams_per_direction, start_id, end_id, length_penalty)
    trace = [{"l2r": _snapshot(l2r), "r2l": _snapshot(r2l)}] if record else []
    for _ in range(max_length):
        l2r_lp, r2l_lp = scorer(pair_step_fn, l2r.prefixes(), r2l.prefixes(), vocab_size)
        l2r.update(l2r_lp)
        r2l.update(r2l_lp)
        if record:
            trace.append({"l2r": _snapshot(l2r), "r2l": _snapshot(r2l)})
        if l2r.done() and r2l.done():
            break
    l2r_res, r2l_res = l2r.result(), r2l.result()
    best, directions = _choose(l2r_res, r2l_res)
    return BidirectionalResult(l2r_res, r2l_res, best, directions, trace)


def bidirectional_beam_search(pair_step_fn, batch_size: int, beam_size: int, max_length: int, vocab_size: int,
                              start_id: int = START, end_id: int = END, length_penalty: float = 0.0,
                              record: bool = False) -> BidirectionalResult:
    """The article's bidirectional beam search, vectorised.

    Each direction keeps ``beam_size`` (k) paths. Every step calls
    ``pair_step_fn`` once on all k^2 (L2R path, R2L path) pairs, shaped
    ``(batch, k * k, t)`` with row ``i * k + j`` pairing L2R path i with R2L
    path j. The next-token probabilities of L2R path i are averaged over the
    k R2L paths (and vice versa), which reduces the k^3 (token, path, path)
    candidates to k^2 per direction; each direction then keeps its best k.
    The output is the best-scoring finished path of either direction.
    """
    _check_search_args(batch_size, beam_size, max_length, vocab_size, start_id, end_id, length_penalty)
    return _bidirectional(pair_step_fn, _average_pairs_vectorised, batch_size, beam_size, max_length,
                          vocab_size, start_id, end_id, length_penalty, record)


def bidirectional_beam_search_reference(pair_step_fn, batch_size: int, beam_size: int, max_length: int,
                                        vocab_size: int, start_id: int = START, end_id: int = END,
                                        length_penalty: float = 0.0) -> BidirectionalResult:
    """The same search with one ``pair_step_fn`` call per (i, j) pair, each
    shaped ``(batch, 1, t)``: k^2 calls per step. The tests' reference."""
    _check_search_args(batch_size, beam_size, max_length, vocab_size, start_id, end_id, length_penalty)
    return _bidirectional(pair_step_fn, _average_pairs_loop, batch_size, beam_size, max_length,
                          vocab_size, start_id, end_id, length_penalty, False)


def sbnmt_beam_search(pair_step_fn, batch_size: int, beam_size: int, max_length: int, vocab_size: int,
                      start_id: int = START, end_id: int = END, length_penalty: float = 0.0) -> BidirectionalResult:
    """SB-NMT's split beam (our reading): k//2 L2R paths and k//2 R2L paths,
    the i-th of one direction interacting with the i-th of the other, so each
    step costs k/2 model rows instead of k^2. ``beam_size`` must be >= 2."""
    _check_search_args(batch_size, beam_size, max_length, vocab_size, start_id, end_id, length_penalty)
    if beam_size < 2:
        raise ValueError(f"beam_size must be >= 2 to split it between two directions, got {beam_size}")
    return _bidirectional(pair_step_fn, _pair_by_rank, batch_size, beam_size // 2, max_length,
                          vocab_size, start_id, end_id, length_penalty, False)


def sequence_log_probs(step_fn, sequences, vocab_size: int, start_id: int = START, end_id: int = END):
    """Teacher-forced log p of each token list under ``step_fn`` (end id
    appended); ``sequences`` is ``batch`` lists of ``n`` token lists each.
    Returns ``(batch, n)`` summed log-probabilities and lengths."""
    batch, n = len(sequences), len(sequences[0])
    if batch == 0 or n == 0 or any(len(row) != n for row in sequences):
        raise ValueError("sequences must be a non-empty batch of equally many token lists")
    targets = [[list(s) + [end_id] for s in row] for row in sequences]
    width = max(len(s) for row in targets for s in row)
    grid = np.zeros((batch, n, width), np.int64)
    for b, row in enumerate(targets):
        for p, s in enumerate(row):
            grid[b, p, :len(s)] = s
    lengths = (grid != PAD).sum(axis=2)
    total = np.zeros((batch, n))
    prefixes = np.concatenate([np.full((batch, n, 1), start_id), grid], axis=2)
    for t in range(width):
        log_probs = _check_log_probs(step_fn(prefixes[:, :, :t + 1]), (batch, n, vocab_size), "step_fn")
        picked = np.take_along_axis(log_probs, grid[:, :, t:t + 1], axis=2)[..., 0]
        total += np.where(t < lengths, picked, 0.0)
    return total, lengths


def rescored_beam_search(l2r_step_fn, r2l_step_fn, batch_size: int, beam_size: int, max_length: int,
                         vocab_size: int, start_id: int = START, end_id: int = END,
                         length_penalty: float = 0.0) -> BidirectionalResult:
    """BTTR-style decoding: an independent beam in each direction, then every
    final path is rescored by the opposite direction (teacher-forced) and the
    path with the best mean of both directions' scores wins."""
    l2r = beam_search(l2r_step_fn, batch_size, beam_size, max_length, vocab_size, start_id, end_id, length_penalty)
    r2l = beam_search(r2l_step_fn, batch_size, beam_size, max_length, vocab_size, start_id, end_id, length_penalty)
    for res, other_fn in ((l2r, r2l_step_fn), (r2l, l2r_step_fn)):
        # the opposite direction reads each path backwards
        paths = [[s[::-1] for s in strip_special(row)] for row in res.tokens]
        other, _ = sequence_log_probs(other_fn, paths, vocab_size, start_id, end_id)
        both = (res.log_probs + other) / 2
        res.scores = np.where(np.isfinite(res.log_probs), both / np.maximum(res.lengths, 1) ** length_penalty,
                              -np.inf)
    best, directions = _choose(l2r, r2l)
    return BidirectionalResult(l2r, r2l, best, directions)


def compare_decoders(independent: BidirectionalSeq2Seq, bidirectional: BidirectionalSeq2Seq, source,
                     beam_size: int, max_length: int, length_penalty: float = 0.0) -> dict:
    """Decode ``source (batch, S)`` six ways; returns name -> list of token
    lists in reading order (R2L outputs already reversed).

    ``independent`` (``cross_attention="none"``) gives the unidirectional
    baselines (greedy and beam, each direction) and the BTTR-style rescoring;
    ``bidirectional`` gives the article's search and SB-NMT's split beam.
    """
    if independent.cross_attention != "none":
        raise ValueError("independent must have cross_attention='none'")
    if independent.vocab_size != bidirectional.vocab_size:
        raise ValueError(f"the models' vocabularies differ: vocab_size {independent.vocab_size} "
                         f"vs {bidirectional.vocab_size}")
    batch, vocab = len(source), independent.vocab_size
    steps = {d: independent.step_fn(source, d) for d in ("l2r", "r2l")}
    pair = bidirectional.pair_step_fn(source)
    out = {}
    for d in ("l2r", "r2l"):
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


# --------------------------------------------------------------------------- measures


def strip_special(token_rows, end_id: int = END) -> list[list[int]]:
    """Token lists cut at the first end id (or padding), specials removed."""
    out = []
    for row in token_rows:
        kept = []
        for tok in np.asarray(row).tolist():
            if tok == end_id or tok == PAD:
                break
            kept.append(tok)
        out.append(kept)
    return out


def _check_pairs(predictions, references):
    if len(predictions) != len(references) or len(references) == 0:
        raise ValueError(f"predictions ({len(predictions)}) and references ({len(references)}) "
                         "must be equally many, and not zero")


def accuracy_by_position(predictions, references, positions: int, from_end: bool = False) -> np.ndarray:
    """Token accuracy at positions 0..positions-1 (counted from the end when
    ``from_end``), over references long enough to have that position; NaN
    where none is."""
    _check_pairs(predictions, references)
    _check_int("positions", positions)
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
    _check_pairs(predictions, references)
    _check_int("n", n)
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
    _check_pairs(predictions, references)
    return float(np.mean([list(p) == list(r) for p, r in zip(predictions, references)]))


def char_f1(predictions, references) -> float:
    """Mean bag-of-characters F1 between each prediction and its reference."""
    _check_pairs(predictions, references)
    scores = []
    for pred, ref in zip(predictions, references):
        overlap = sum((Counter(pred) & Counter(ref)).values())
        if overlap == 0:
            scores.append(0.0)
            continue
        precision, recall = overlap / len(pred), overlap / len(ref)
        scores.append(2 * precision * recall / (precision + recall))
    return float(np.mean(scores))
