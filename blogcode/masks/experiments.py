"""A small padded tagging task for the chapter "Layers within layers, and masks"
(``book/masks.md``): does aligning the backward RNN change what a model learns?

The task needs right-to-left context at every real token: the label of token
``t`` is 1 when the same token occurs again *later* in its sequence. The
sequences have random lengths and are right-padded with token 0, so a
backward RNN that reverses the whole padded sequence reads a varying number of
padding steps before the real tokens.

Two models share everything except the bidirectional layer:

* ``"flip"``: ``keras.layers.Bidirectional`` under the article's convention
  that the mask is a separate tensor, so Keras never sees a mask and the
  backward RNN reads the padding first (and the forward one reads it last);
* ``"aligned"``: ``blogcode.masking.AlignedBidirectional`` given the mask.

The loss and the accuracy count real tokens only (the mask is the sample
weight), so the two differ only in what the RNNs do with the padding.

``alignment_errors`` is the chapter's measurement on one set of weights: how
far each bidirectional set-up of ``blogcode.masks.padding.compare_bidirectional``
is from the exact backward pass, for LSTM, GRU and SimpleRNN.
"""

from __future__ import annotations

import numpy as np

from blogcode import checks, set_seed

__all__ = ["repeats_later_task", "train_taggers", "compare_alignment", "padded_inputs", "alignment_errors"]

VARIANTS = ("flip", "aligned")


def repeats_later_task(n: int, max_len: int, vocab: int, seed: int):
    """``n`` right-padded sequences of tokens ``1..vocab-1`` with lengths
    ``2..max_len``. Returns ``(ids, labels, mask)``, each ``(n, max_len)``;
    ``labels[i, t] = 1`` if token ``t`` of sequence ``i`` occurs again later in
    it, and padded positions have label 0 and mask 0."""
    n = checks.positive_int(n, "n")
    max_len = checks.integer(max_len, "max_len", minimum=2)
    vocab = checks.integer(vocab, "vocab", minimum=3)
    seed = checks.integer(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, max_len + 1, size=n)
    ids = np.zeros((n, max_len), "int32")
    labels = np.zeros((n, max_len), "float32")
    for i, length in enumerate(lengths):
        row = rng.integers(1, vocab, size=length)
        ids[i, :length] = row
        # Scan from the right, as a backward RNN would: has this token been seen?
        seen = set()
        for t in range(length - 1, -1, -1):
            labels[i, t] = float(row[t] in seen)
            seen.add(int(row[t]))
    mask = ids > 0
    return ids, labels, mask


def _check_split(split, name: str):
    if not isinstance(split, (tuple, list)) or len(split) != 3:
        raise TypeError(f"{name} must be (ids, labels, mask) from repeats_later_task, got {type(split).__name__}")
    ids, labels, mask = (np.asarray(a) for a in split)
    if ids.ndim != 2 or ids.shape != labels.shape or ids.shape != mask.shape:
        raise ValueError(f"{name}: ids, labels and mask must be 2-D arrays of one shape")
    return ids, labels, mask.astype(bool)


def _tagger(variant: str, vocab: int, max_len: int, units: int, copies: int):
    import keras

    from blogcode.masking import AlignedBidirectional

    ids = keras.Input((max_len,), dtype="int32")
    mask = keras.Input((max_len,), dtype="bool")
    outputs = []
    # ``copies`` independent taggers (no shared weights) in one model: one compiled
    # training step serves several initialisations.
    for _ in range(copies):
        # No mask_zero: the mask travels as its own input, as in the article.
        x = keras.layers.Embedding(vocab, 16)(ids)
        if variant == "flip":
            x = keras.layers.Bidirectional(keras.layers.GRU(units, return_sequences=True))(x)
        else:
            x = AlignedBidirectional(keras.layers.GRU(units, return_sequences=True))(x, mask=mask)
        outputs.append(keras.layers.Dense(1, activation="sigmoid")(x))
    return keras.Model([ids, mask], keras.layers.Concatenate()(outputs))


def train_taggers(variant: str, train, test, copies: int, seed: int, epochs: int, units: int = 16,
                  batch_size: int = 64) -> list[float]:
    """Train ``copies`` independently initialised taggers side by side (same
    batches, separate weights; the loss is their mean, and Adam's steps do not
    depend on that scale) and return each one's accuracy on the real tokens of
    ``test``. ``train`` and ``test`` are ``(ids, labels, mask)`` from
    ``repeats_later_task``; ``seed`` fixes the initialisations and the
    shuffling."""
    import keras

    variant = checks.one_of(variant, "variant", VARIANTS)
    copies = checks.positive_int(copies, "copies")
    seed = checks.integer(seed, "seed", minimum=0)
    epochs = checks.positive_int(epochs, "epochs")
    units = checks.positive_int(units, "units")
    batch_size = checks.positive_int(batch_size, "batch_size")
    ids, labels, mask = _check_split(train, "train")
    test = _check_split(test, "test")
    set_seed(seed)
    model = _tagger(variant, vocab=int(max(ids.max(), test[0].max())) + 1, max_len=ids.shape[1], units=units,
                    copies=copies)
    model.compile(keras.optimizers.Adam(1e-2), "binary_crossentropy")
    targets = np.repeat(labels[..., None], copies, axis=-1)
    model.fit([ids, mask], targets, sample_weight=mask.astype("float32"), epochs=epochs,
              batch_size=batch_size, verbose=0, shuffle=True)
    test_ids, test_labels, test_mask = test
    # A direct call, not predict(): no new tf.function is traced for every model.
    predicted = np.asarray(model([test_ids, test_mask], training=False)) > 0.5
    correct = predicted == (test_labels[..., None] > 0.5)
    return [float(correct[..., k][test_mask].mean()) for k in range(copies)]


def compare_alignment(copies: int, n_train: int, n_test: int, max_len: int, vocab: int, epochs: int,
                      seed: int = 0) -> dict:
    """Accuracy on real test tokens of ``copies`` taggers of each variant
    (fixed data; each copy has its own initialisation). Returns
    ``{"flip": [...], "aligned": [...]}``."""
    train = repeats_later_task(n_train, max_len, vocab, seed=0)
    test = repeats_later_task(n_test, max_len, vocab, seed=1)
    return {variant: train_taggers(variant, train, test, copies=copies, seed=seed, epochs=epochs)
            for variant in VARIANTS}


def padded_inputs(batch: int, max_len: int, dim: int, seed: int = 7):
    """Random inputs ``(batch, max_len, dim)`` whose padding vectors are not
    zero (as a trained padding embedding), and one length per sequence: the
    first unpadded, the second of length 1, the rest drawn in ``1..max_len``.
    Returns ``(inputs, lengths)``."""
    batch = checks.integer(batch, "batch", minimum=2)
    max_len, dim = checks.positive_int(max_len, "max_len"), checks.positive_int(dim, "dim")
    rng = np.random.default_rng(checks.integer(seed, "seed", minimum=0))
    lengths = np.concatenate([[max_len, 1], rng.integers(1, max_len + 1, size=batch - 2)])
    inputs = rng.normal(size=(batch, max_len, dim)).astype("float32")
    return inputs, lengths


def alignment_errors(inputs, lengths, units: int = 16, seed: int = 1) -> dict:
    """``compare_bidirectional`` for a fresh LSTM, GRU and SimpleRNN of
    ``units`` units (each seeded with ``seed``), with sequence outputs and with
    final states. Returns ``{(rnn name, return_sequences): errors}``."""
    import keras

    from blogcode.masks.padding import compare_bidirectional

    units = checks.positive_int(units, "units")
    seed = checks.integer(seed, "seed", minimum=0)
    results = {}
    for cls in (keras.layers.LSTM, keras.layers.GRU, keras.layers.SimpleRNN):
        for return_sequences in (True, False):
            set_seed(seed)
            rnn = cls(units, return_sequences=return_sequences)
            rnn(np.asarray(inputs, dtype=np.float32)[:1])
            results[(cls.__name__, return_sequences)] = compare_bidirectional(rnn, inputs, lengths)
    return results
