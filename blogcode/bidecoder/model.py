"""The seq2seq model with bidirectional decoding: its loss, the model and its step functions.

Chapter: "seq2seq with bidirectional decoding" (article 6877, book/bidecoder.md). The
decoders that use the step functions are in :mod:`blogcode.bidecoder.beam_search`,
:mod:`blogcode.bidecoder.bidirectional` and :mod:`blogcode.bidecoder.rescoring`; the
training loop and the decoder comparison in :mod:`blogcode.bidecoder.experiments`.

Token ids are shared by both directions: 0 padding, 1 unknown, 2 start, 3 end (the
article's numbering). The L2R decoder reads ``[start, y_1, ..., y_N]``, the R2L decoder
``[start, y_N, ..., y_1]``.

The model gives the searches their step functions:
:meth:`BidirectionalSeq2Seq.pair_step_fn` and, for a model without cross-attention,
:meth:`BidirectionalSeq2Seq.step_fn`.
"""

from __future__ import annotations

import functools

import keras
import numpy as np
import tensorflow as tf

from blogcode import checks
from blogcode.bidecoder.beam_search import END, PAD, START
from blogcode.masking import AlignedBidirectional

__all__ = ["DIRECTIONS", "BidirectionalSeq2Seq", "PairStep", "sequence_cross_entropy"]

DIRECTIONS = ("l2r", "r2l")


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
    shared encoder. Both directions share the output layers: a hidden layer
    (``head_activation``: ``"tanh"``, or ``"leaky_relu"`` with slope 0.2 as in the
    author's release) and the classifier. On real text with thousands of ids the
    attention outputs grow large and a tanh layer saturates (every unit at +-1), which
    leaves the model at the unigram loss; the poem experiments use ``"leaky_relu"``.

    Inputs ``(source (batch, S), l2r_in (batch, T), r2l_in (batch, T))``;
    outputs ``(l2r_logits, r2l_logits)``, each ``(batch, T, vocab_size)``.
    ``fit`` expects ``y = (l2r_out, r2l_out)``; the loss is the mean of the
    two directions' masked cross-entropies.
    """

    CROSS_MODES = ("none", "causal", "full")
    HEAD_ACTIVATIONS = ("tanh", "leaky_relu")

    def __init__(self, vocab_size: int, embed_dim: int = 64, hidden_dim: int = 64, num_heads: int = 4,
                 cross_attention: str = "causal", head_activation: str = "tanh", **kwargs):
        super().__init__(**kwargs)
        vocab_size = checks.positive_int(vocab_size, "vocab_size")
        embed_dim = checks.positive_int(embed_dim, "embed_dim")
        hidden_dim = checks.positive_int(hidden_dim, "hidden_dim")
        num_heads = checks.positive_int(num_heads, "num_heads")
        cross_attention = checks.one_of(cross_attention, "cross_attention", self.CROSS_MODES)
        head_activation = checks.one_of(head_activation, "head_activation", self.HEAD_ACTIVATIONS)
        if vocab_size <= END + 1:
            raise ValueError(f"vocab_size must exceed the 4 special ids, got {vocab_size}")
        if hidden_dim % 2 or hidden_dim % num_heads:
            raise ValueError(f"hidden_dim={hidden_dim} must be even and divisible by num_heads={num_heads}")
        self.vocab_size, self.embed_dim, self.hidden_dim = vocab_size, embed_dim, hidden_dim
        self.num_heads, self.cross_attention, self.head_activation = num_heads, cross_attention, head_activation
        key_dim = hidden_dim // num_heads
        self.embedding = keras.layers.Embedding(vocab_size, embed_dim, name="embedding")
        self.encoder = AlignedBidirectional(keras.layers.LSTM(hidden_dim // 2, return_sequences=True),
                                            name="encoder")
        self.decoders, self.source_attention, self.cross = {}, {}, {}
        for d in DIRECTIONS:
            self.decoders[d] = keras.layers.LSTM(hidden_dim, return_sequences=True, name=f"{d}_lstm")
            self.source_attention[d] = keras.layers.MultiHeadAttention(num_heads, key_dim, name=f"{d}_source_attention")
            if cross_attention != "none":
                self.cross[d] = keras.layers.MultiHeadAttention(num_heads, key_dim, name=f"{d}_cross_attention")
        self.hidden = keras.layers.Dense(hidden_dim, activation=head_activation, name="shared_hidden")
        self.classifier = keras.layers.Dense(vocab_size, name="shared_classifier")
        self.loss_trackers = {d: keras.metrics.Mean(name=f"{d}_loss") for d in DIRECTIONS}

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size, "embed_dim": self.embed_dim,
                "hidden_dim": self.hidden_dim, "num_heads": self.num_heads,
                "cross_attention": self.cross_attention, "head_activation": self.head_activation}

    def encode(self, source):
        """Encoder states ``(batch, S, hidden_dim)`` and the source mask."""
        source = tf.convert_to_tensor(source)
        mask = tf.not_equal(source, PAD)
        return self.encoder(self.embedding(source), mask=mask), mask

    # The pieces of one decoding pass, shared by ``decode`` (every position, for
    # training) and ``next_token_log_probs`` (the last position, for the searches).

    def _decoder_states(self, d, ids, training=None):
        mask = tf.not_equal(ids, PAD)
        return self.decoders[d](self.embedding(ids), mask=mask, training=training), mask

    def _source_context(self, d, states, mask, memory, memory_mask, training=None):
        attend = mask[:, :, None] & memory_mask[:, None, :]
        return self.source_attention[d](states, memory, attention_mask=attend, training=training)

    def _cross_context(self, d, states, mask, other_states, other_mask, window=None, training=None):
        attend = mask[:, :, None] & other_mask[:, None, :]
        if window is not None:
            attend = attend & window[None]
        return self.cross[d](states, other_states, attention_mask=attend, training=training)

    def _head(self, features):
        return self.classifier(self.hidden(tf.concat(features, axis=-1)))

    def decode(self, memory, memory_mask, l2r_in, r2l_in, training=None, l2r_partner=None, r2l_partner=None):
        """Logits of both directions at every position of the given prefixes.

        Each direction's cross-attention reads the other decoder's states on that
        decoder's own inputs, unless ``*_partner`` inputs are given: then the other
        decoder runs a second time on them, and its states there are what the
        cross-attention reads (the pseudo-label training of the article's remedy:
        gold inputs for a direction's own history, pseudo-targets for what it sees
        of the other direction, so no gold token leaks across)."""
        hidden = self.hidden_features(memory, memory_mask, l2r_in, r2l_in, training, l2r_partner, r2l_partner)
        return tuple(self.classifier(hidden[d]) for d in DIRECTIONS)

    def hidden_features(self, memory, memory_mask, l2r_in, r2l_in, training=None, l2r_partner=None,
                        r2l_partner=None) -> dict:
        """The shared hidden layer's outputs ``{direction: (batch, T, hidden_dim)}``, the
        features the classifier reads (``decode``'s arguments; for inspecting the head)."""
        states, masks, features = {}, {}, {}
        for d, ids in zip(DIRECTIONS, (l2r_in, r2l_in)):
            states[d], masks[d] = self._decoder_states(d, tf.convert_to_tensor(ids), training)
            features[d] = [states[d], self._source_context(d, states[d], masks[d], memory, memory_mask, training)]
        if self.cross_attention != "none":
            seen_states, seen_masks = dict(states), dict(masks)
            for d, partner in zip(DIRECTIONS, (l2r_partner, r2l_partner)):
                if partner is not None:
                    seen_states[d], seen_masks[d] = self._decoder_states(d, tf.convert_to_tensor(partner), training)
            window = None  # "full": every position of the other direction
            if self.cross_attention == "causal":
                # position n may look at the other direction's positions m <= n only
                length = tf.shape(states["l2r"])[1]
                window = tf.linalg.band_part(tf.ones((length, length), tf.bool), -1, 0)
            for d, other in zip(DIRECTIONS, DIRECTIONS[::-1]):
                features[d].append(self._cross_context(d, states[d], masks[d], seen_states[other],
                                                       seen_masks[other], window, training))
        return {d: self.hidden(tf.concat(features[d], axis=-1)) for d in DIRECTIONS}

    def _stateful_decoder(self, d):
        """Decoder ``d`` as an RNN that also returns its final state, sharing the
        LSTM's cell and weights: it continues a path from a cached state."""
        key = f"_stateful_{d}"
        if key not in self.__dict__:  # kept out of Keras' attribute tracking (and the saved weights)
            self.__dict__[key] = keras.layers.RNN(self.decoders[d].cell, return_sequences=True, return_state=True)
        return self.__dict__[key]

    def _extend_states(self, d, ids, cache_seq, cache_h, cache_c, parent, one_token=False):
        """Decoder states of the prefixes ``ids (N, t)`` when prefix ``r`` without its
        last ``u`` tokens was row ``parent[r]`` of the cache (states ``(M, t - u, H)``
        and the LSTM's final ``h``, ``c``): only the ``u`` new tokens go through the LSTM.
        ``one_token`` (u = 1, as in a beam search) takes one cell step instead of a loop."""
        h, c = tf.gather(cache_h, parent), tf.gather(cache_c, parent)
        if one_token:
            last = ids[:, -1]
            _, (new_h, new_c) = self.decoders[d].cell(self.embedding(last), [h, c])
            keep = tf.not_equal(last, PAD)[:, None]  # padding leaves the state as it was, as in the LSTM
            h, c = tf.where(keep, new_h, h), tf.where(keep, new_c, c)
            out = h[:, None]
        else:
            new = ids[:, tf.shape(cache_seq)[1]:]
            out, h, c = self._stateful_decoder(d)(self.embedding(new), mask=tf.not_equal(new, PAD),
                                                  initial_state=[h, c])
        return tf.concat([tf.gather(cache_seq, parent), out], axis=1), tf.not_equal(ids, PAD), h, c

    def next_token_log_probs(self, memory, memory_mask, rows, l2r_ids, r2l_ids, l2r_cache, r2l_cache,
                             one_token=False):
        """One decoding step for groups of paths: ``l2r_ids (G, m, t)`` are ``m`` L2R
        prefixes and ``r2l_ids (G, n, t)`` ``n`` R2L prefixes of the source
        ``memory[rows[g]]``. Returns both directions' next-token log-probabilities,
        each ``(G, m, n, vocab_size)``, entry ``[g, i, j]`` for the pair (L2R path i,
        R2L path j) of group g: the log-softmax of ``decode(...)[:, -1]`` on that pair
        (up to float rounding), at a fraction of the cost. Also returns each
        direction's ``(states, h, c)``, the cache of the next step.

        Every decoder runs once per path, not once per pair, and only on the tokens
        that its cache (``(states, h, c, parent)``, see ``_extend_states``) lacks. Only
        the last position goes through the attentions and the head. Attention treats
        its query positions independently, so the ``m`` L2R paths of a group are ``m``
        query positions of *one* attention call over each R2L path (and vice versa):
        keys and values are projected once per path too.
        """
        memory, memory_mask = tf.gather(memory, rows), tf.gather(memory_mask, rows)
        groups, width = tf.shape(rows)[0], self.hidden_dim
        seq, mask, last, last_mask, own, caches = {}, {}, {}, {}, {}, {}
        for d, ids, cache in zip(DIRECTIONS, (l2r_ids, r2l_ids), (l2r_cache, r2l_cache)):
            shape = tf.shape(ids)
            seq[d], mask[d], h, c = self._extend_states(d, tf.reshape(ids, [-1, shape[2]]), *cache, one_token)
            caches[d] = (seq[d], h, c)  # (G * paths, t, H)
            last[d] = tf.reshape(seq[d][:, -1], [groups, shape[1], width])  # (G, paths, H)
            last_mask[d] = tf.reshape(mask[d][:, -1], [groups, shape[1]])
            own[d] = [last[d], self._source_context(d, last[d], last_mask[d], memory, memory_mask)]
        m, n = tf.shape(l2r_ids)[1], tf.shape(r2l_ids)[1]
        # what a direction computed on its own is the same for every partner path
        features = {"l2r": [tf.tile(f[:, :, None], [1, 1, n, 1]) for f in own["l2r"]],
                    "r2l": [tf.tile(f[:, None], [1, m, 1, 1]) for f in own["r2l"]]}
        if self.cross_attention != "none":
            # The last position sees every position of the other direction in both modes.
            # L2R: the m L2R paths of group g query each of its n R2L paths (rows g * n + j).
            cross = self._cross_context("l2r", tf.repeat(last["l2r"], n, axis=0),
                                        tf.repeat(last_mask["l2r"], n, axis=0), seq["r2l"], mask["r2l"])
            features["l2r"].append(tf.transpose(tf.reshape(cross, [groups, n, m, width]), [0, 2, 1, 3]))
            cross = self._cross_context("r2l", tf.repeat(last["r2l"], m, axis=0),
                                        tf.repeat(last_mask["r2l"], m, axis=0), seq["l2r"], mask["l2r"])
            features["r2l"].append(tf.reshape(cross, [groups, m, n, width]))
        log_probs = tuple(tf.nn.log_softmax(self._head(features[d])) for d in DIRECTIONS)
        return log_probs + (caches["l2r"], caches["r2l"])

    def call(self, inputs, training=None):
        source, l2r_in, r2l_in = inputs
        memory, memory_mask = self.encode(source)
        return self.decode(memory, memory_mask, l2r_in, r2l_in, training=training)

    def direction_losses(self, y, y_pred):
        return {d: sequence_cross_entropy(labels, logits) for d, labels, logits in zip(DIRECTIONS, y, y_pred)}

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

    def _graph_step(self, one_token: bool = False):
        """``next_token_log_probs`` as one traced graph for every batch size and
        length (one per ``one_token``): eager Keras calls cost ~10x more than the
        computation at these sizes."""
        key = f"_step_graph_{int(one_token)}"
        if key not in self.__dict__:  # kept out of Keras' attribute tracking
            ids = tf.TensorSpec([None, None, None], tf.int32)
            state = tf.TensorSpec([None, self.hidden_dim], tf.float32)
            cache = (tf.TensorSpec([None, None, self.hidden_dim], tf.float32), state, state,
                     tf.TensorSpec([None], tf.int32))
            spec = [tf.TensorSpec([None, None, self.hidden_dim], tf.float32), tf.TensorSpec([None, None], tf.bool),
                    tf.TensorSpec([None], tf.int32), ids, ids, cache, cache]
            step = functools.partial(self.next_token_log_probs, one_token=one_token)
            self.__dict__[key] = tf.function(step, input_signature=spec)
        return self.__dict__[key]

    def pair_step_fn(self, source) -> PairStep:
        """A ``pair_step_fn`` (see :mod:`blogcode.bidecoder.beam_search`) for these sources,
        with ``all_pairs`` for the vectorised bidirectional search."""
        return PairStep(self, source)

    def step_fn(self, source, direction: str):
        """A one-direction ``step_fn``; only for ``cross_attention="none"``,
        where a decoder does not depend on the other one."""
        direction = checks.one_of(direction, "direction", DIRECTIONS)
        if self.cross_attention != "none":
            raise ValueError("step_fn needs cross_attention='none'; use pair_step_fn for a bidirectional model")
        pair = self.pair_step_fn(source)
        which = DIRECTIONS.index(direction)

        def step(prefixes):
            prefixes = np.asarray(prefixes)
            # The other decoder's input does not matter here; start tokens keep it valid.
            other = np.full_like(prefixes, START)
            pair_inputs = (prefixes, other) if direction == "l2r" else (other, prefixes)
            return pair(*pair_inputs)[which]

        return step


class PairStep:
    """The model's pair step function for fixed sources (``model.pair_step_fn(source)``).

    Calling it scores row-paired prefixes, ``(batch, pairs, t)`` each, as every
    ``pair_step_fn`` does; :meth:`all_pairs` scores every (L2R path, R2L path)
    combination in one model call that runs each decoder once per path. The
    sources are encoded once, here.

    ``all_pairs`` also remembers the decoder states of the paths it scored: when
    every path of the next call extends one of them by a token, as in a beam
    search, the LSTMs read only that token. The scores are the same either way
    (up to float rounding); the cache only saves time."""

    def __init__(self, model: BidirectionalSeq2Seq, source):
        checks.instance_of(model, "model", BidirectionalSeq2Seq)
        source = np.asarray(source)
        if source.ndim != 2 or not np.issubdtype(source.dtype, np.integer):
            raise ValueError(f"source must be an int array (batch, S), got {source.dtype} {source.shape}")
        self.memory, self.memory_mask = model.encode(source.astype(np.int32))
        self.batch, self.vocab_size = source.shape[0], model.vocab_size
        self._graphs = {one: model._graph_step(one) for one in (False, True)}
        self._empty = (np.zeros((1, 0, model.hidden_dim), np.float32), np.zeros((1, model.hidden_dim), np.float32))
        self._cache = {}  # direction -> (prefix length, {prefix bytes: row}, (states, h, c))

    def _prefixes(self, prefixes, name):
        prefixes = np.asarray(prefixes)
        if prefixes.ndim != 3 or prefixes.shape[0] != self.batch:
            raise ValueError(f"{name}: prefixes must be ({self.batch}, paths, t), got {prefixes.shape}")
        if not np.issubdtype(prefixes.dtype, np.integer):
            raise TypeError(f"{name}: prefixes must hold int token ids, got {prefixes.dtype}")
        return prefixes.astype(np.int32)

    def _no_cache(self, rows: int):
        seq, state = self._empty
        return seq, state, state, np.zeros(rows, np.int32)

    def _cached(self, d, flat):
        """The cache entry for prefixes ``flat (N, t)`` when each of them extends a
        prefix scored by the last ``all_pairs`` call by one token; else None."""
        length, index, (seq, h, c) = self._cache.get(d, (None, None, (None,) * 3))
        if length != flat.shape[1] - 1:
            return None
        parents = [index.get(row.tobytes()) for row in np.ascontiguousarray(flat[:, :-1])]
        return None if None in parents else (seq, h, c, np.array(parents, np.int32))

    def __call__(self, l2r_prefixes, r2l_prefixes):
        l2r, r2l = self._prefixes(l2r_prefixes, "l2r_prefixes"), self._prefixes(r2l_prefixes, "r2l_prefixes")
        if l2r.shape[:2] != r2l.shape[:2]:
            raise ValueError(f"prefixes must pair row by row, got {l2r.shape} and {r2l.shape}")
        b, pairs = l2r.shape[:2]
        # every pair is a group of one L2R and one R2L path
        rows = np.repeat(np.arange(b, dtype=np.int32), pairs)
        out = self._graphs[False](self.memory, self.memory_mask, rows, l2r.reshape(b * pairs, 1, -1),
                                  r2l.reshape(b * pairs, 1, -1), self._no_cache(b * pairs), self._no_cache(b * pairs))
        return tuple(z.numpy().reshape(b, pairs, -1) for z in out[:2])

    def all_pairs(self, l2r_prefixes, r2l_prefixes):
        """``(l2r_log_probs, r2l_log_probs)``, each ``(batch, m, n, vocab_size)``: entry
        ``[b, i, j]`` pairs L2R path i with R2L path j (``m`` and ``n`` paths given)."""
        flat = {}
        for d, prefixes in zip(DIRECTIONS, (l2r_prefixes, r2l_prefixes)):
            prefixes = self._prefixes(prefixes, f"{d}_prefixes")
            flat[d] = (prefixes, prefixes.reshape(-1, prefixes.shape[2]))
        caches = [self._cached(d, flat[d][1]) for d in DIRECTIONS]
        one_token = None not in caches  # else both directions start from scratch
        if not one_token:
            caches = [self._no_cache(len(flat[d][1])) for d in DIRECTIONS]
        l2r_lp, r2l_lp, *states = self._graphs[one_token](self.memory, self.memory_mask,
                                                          np.arange(self.batch, dtype=np.int32),
                                                          flat["l2r"][0], flat["r2l"][0], *caches)
        for d, state in zip(DIRECTIONS, states):
            rows = flat[d][1]
            self._cache[d] = (rows.shape[1], {row.tobytes(): r for r, row in enumerate(rows)}, state)
        return l2r_lp.numpy(), r2l_lp.numpy()
