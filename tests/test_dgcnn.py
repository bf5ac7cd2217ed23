"""Unit tests of blogcode.dgcnn.model and blogcode.dgcnn.data (chapter: DGCNN)."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from blogcode import set_seed
from blogcode.data import Article
from blogcode.dgcnn.model import (
    IGNORE,
    AttentionPooling1D,
    DilatedGatedConv1D,
    FocalLoss,
    MixEmbedding,
    WeightEMA,
    answer_questions,
    best_answer,
    build_dgcnn,
    char_f1,
    decode_spans,
    focal_loss,
    input_influence,
    label_spans,
    load_qa_records,
    normalize_answer,
    probability_window,
    receptive_field,
    reference_answers,
    sogou_score,
    train_dgcnn,
    vote,
)
from blogcode.dgcnn.data import (
    BLANK,
    CharWordEncoder,
    build_cloze_questions,
    headline_entities,
    read_word_vectors,
    segment,
    training_arrays,
    word_vector_index,
)

GOOD = [
    {"id": "q1", "question": "＿的首都是哪里", "passages": [
        {"passage": "北京是首都，北京很大。", "answer": "北京"},
        {"passage": "上海在东边。", "answer": ""}]},
    {"id": 2, "question": "谁写的", "passages": [{"passage": "鲁迅写的。", "answer": "鲁迅"}]},
]


# ----------------------------------------------------------------- data format

def test_loader_accepts_list_json_and_path(tmp_path):
    assert load_qa_records(GOOD)[0]["passages"][0]["answer"] == "北京"
    text = json.dumps(GOOD, ensure_ascii=False)
    assert len(load_qa_records(text)) == 2
    path = tmp_path / "qa.json"
    path.write_text(text, encoding="utf-8")
    assert load_qa_records(path) == load_qa_records(str(path))


@pytest.mark.parametrize(
    "patch, word",
    [
        (lambda r: r.pop("question"), r"record 1 \(id 2\): missing field"),
        (lambda r: r.update(question="  "), r"record 1 \(id 2\): 'question'"),
        (lambda r: r.update(passages=[]), r"record 1 \(id 2\): 'passages'"),
        (lambda r: r["passages"][0].update(answer="茅盾"), r"record 1 \(id 2\): passages\[0\]: answer"),
        (lambda r: r["passages"][0].update(answer=None), r"passages\[0\]: 'answer'"),
        (lambda r: r["passages"][0].pop("passage"), r"passages\[0\] must be an object"),
        (lambda r: r.update(id="q1"), r"record 1 \(id 'q1'\): duplicate id"),
    ],
)
def test_loader_names_the_malformed_record(patch, word):
    data = json.loads(json.dumps(GOOD))
    patch(data[1])
    with pytest.raises(ValueError, match=word):
        load_qa_records(data)


def test_loader_rejects_bad_sources():
    with pytest.raises(ValueError, match="source"):
        load_qa_records("[not json")
    with pytest.raises(ValueError, match="source"):
        load_qa_records("/no/such/file.json")
    with pytest.raises(ValueError, match="source"):
        load_qa_records([])
    with pytest.raises(TypeError, match="source"):
        load_qa_records({"id": 1})
    with pytest.raises(ValueError, match="record 0"):
        load_qa_records([["not", "a", "dict"]])


def test_label_spans_marks_every_occurrence_and_padding():
    labels = label_spans("北京是首都，北京很大。", "北京", 14)
    assert labels.shape == (14, 2)
    np.testing.assert_array_equal(np.flatnonzero(labels[:, 0] == 1), [0, 6])
    np.testing.assert_array_equal(np.flatnonzero(labels[:, 1] == 1), [1, 7])
    assert (labels[11:] == IGNORE).all() and (labels[:11] >= 0).all()
    # cut to maxlen: the second occurrence is gone, no partial label survives
    cut = label_spans("北京是首都，北京很大。", "北京", 7)
    assert cut[:, 0].sum() == 1 and cut[:, 1].sum() == 1
    assert label_spans("没有答案", "", 4).sum() == 0
    with pytest.raises(ValueError, match="maxlen"):
        label_spans("abc", "a", 0)
    with pytest.raises(TypeError, match="passage"):
        label_spans(None, "a", 3)


# ----------------------------------------------------------------- layers

def test_mix_embedding_is_char_embedding_plus_projected_word_vector():
    layer = MixEmbedding(10, 4)
    ids = np.array([[1, 2, 0]])
    words = np.random.default_rng(0).normal(size=(1, 3, 5)).astype("float32")
    out = layer([ids, words]).numpy()
    table = layer.chars.embeddings.numpy()
    w = layer.words.kernel.numpy()
    np.testing.assert_allclose(out, table[ids] + words @ w, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="vocab_size"):
        MixEmbedding(0, 4)
    with pytest.raises(TypeError, match="output_dim"):
        MixEmbedding(5, 2.5)


def numpy_dgc(layer, x, mask):
    """x (length, c) -> y, the gated residual written out by hand."""
    kernel, bias = layer.conv.get_weights()
    k, d = layer.kernel_size, layer.dilation_rate
    x = x * mask[:, None]
    length = x.shape[0]
    pad = d * (k - 1) // 2
    xp = np.pad(x, ((pad, pad), (0, 0)))
    out = np.stack([sum(xp[i + j * d] @ kernel[j] for j in range(k)) + bias for i in range(length)])
    h, g = np.split(out, 2, axis=-1)
    g = 1 / (1 + np.exp(-g))
    residual = x @ layer.projection.get_weights()[0][0] if layer.projection is not None else x
    return (residual * (1 - g) + h * g) * mask[:, None]


@pytest.mark.parametrize("channels, rate", [(4, 1), (4, 2), (3, 4)])
def test_dgc_matches_hand_computation(channels, rate):
    set_seed(0)
    layer = DilatedGatedConv1D(4, rate, gate_noise=0.1)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1, 12, channels)).astype("float32")
    mask = np.array([[1] * 9 + [0] * 3], dtype=bool)
    y = layer(x, mask=mask).numpy()[0]
    np.testing.assert_allclose(y, numpy_dgc(layer, x[0], mask[0].astype("float32")), rtol=1e-4, atol=1e-5)


def test_dgc_padding_never_leaks_and_noise_only_in_training():
    set_seed(0)
    layer = DilatedGatedConv1D(4, 2, gate_noise=0.1)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(1, 10, 4)).astype("float32")
    mask = np.array([[1] * 6 + [0] * 4], dtype=bool)
    garbage = x.copy()
    garbage[0, 6:] = 1e3
    a, b = layer(x, mask=mask).numpy(), layer(garbage, mask=mask).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-6)
    assert (a[0, 6:] == 0).all()
    # inference is deterministic, training perturbs the gates
    np.testing.assert_array_equal(layer(x, mask=mask, training=False), layer(x, mask=mask, training=False))
    assert not np.allclose(layer(x, mask=mask, training=True), a)
    assert np.allclose(DilatedGatedConv1D(4, 2, gate_noise=0.0)(x, training=True).shape, (1, 10, 4))


@pytest.mark.parametrize(
    "kwargs, err, word",
    [({"filters": 0}, ValueError, "filters"), ({"filters": 4, "dilation_rate": -1}, ValueError, "dilation_rate"),
     ({"filters": 4, "gate_noise": 1.5}, ValueError, "gate_noise"), ({"filters": "4"}, TypeError, "filters"),
     ({"filters": 4, "kernel_size": 0}, ValueError, "kernel_size")],
)
def test_dgc_rejects_bad_arguments(kwargs, err, word):
    with pytest.raises(err, match=word):
        DilatedGatedConv1D(**kwargs)


def test_attention_pooling_ignores_padding():
    set_seed(0)
    layer = AttentionPooling1D(8)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [0, 0, 0, 0, 0]], dtype=bool)
    weights = layer.attention_weights(tf.constant(x), tf.constant(mask)).numpy()
    np.testing.assert_allclose(weights[0].sum(), 1.0, rtol=1e-6)
    assert (weights[0, 3:] == 0).all() and (weights[1] == 0).all()
    pooled = layer(x, mask=mask).numpy()
    np.testing.assert_allclose(pooled[0], (weights[0][:, None] * x[0]).sum(0), rtol=1e-5)
    assert (pooled[1] == 0).all()
    x2 = x.copy()
    x2[0, 3:] = -50.0
    np.testing.assert_allclose(layer(x2, mask=mask).numpy()[0], pooled[0], rtol=1e-5)
    with pytest.raises(ValueError, match="units"):
        AttentionPooling1D(0)


def test_receptive_field_formula_and_gradients_agree():
    assert receptive_field([1, 2, 4, 8, 16, 1]) == 65
    assert receptive_field([1, 2, 1]) == 9
    assert receptive_field([1, 1, 1], kernel_size=5) == 13
    set_seed(0)
    rates = [1, 2, 4]
    stack = keras.Sequential([keras.Input((None, 4))] + [DilatedGatedConv1D(4, r) for r in rates])
    x = np.random.default_rng(0).normal(size=(40, 4)).astype("float32")
    influence = input_influence(stack, x, position=20)
    moved = np.flatnonzero(influence > 0)
    assert len(moved) == receptive_field(rates) and moved.min() == 20 - 7 and moved.max() == 20 + 7
    with pytest.raises(ValueError, match="rates"):
        receptive_field([])
    with pytest.raises(ValueError, match="position"):
        input_influence(stack, x, position=40)


# ----------------------------------------------------------------- model

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


def test_model_outputs_and_padding_invariance():
    set_seed(1)
    model = build_dgcnn(30, word_dim=5, hidden=8, question_rates=(1, 2), passage_rates=(1, 2, 4))
    inputs, _ = small_batch(np.random.default_rng(0))
    probs = model(inputs).numpy()
    assert probs.shape == (6, 20, 2)
    assert (probs >= 0).all() and (probs <= 1).all()
    assert (probs[inputs[2] == 0] == 0).all()
    # more padding on both sides changes nothing at real positions
    qc, qw, pc, pw = inputs
    wider = [np.pad(qc, ((0, 0), (0, 5))), np.pad(qw, ((0, 0), (0, 5), (0, 0))),
             np.pad(pc, ((0, 0), (0, 9))), np.pad(pw, ((0, 0), (0, 9), (0, 0)))]
    np.testing.assert_allclose(model(wider).numpy()[:, :20], probs, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="passage_rates"):
        build_dgcnn(30, passage_rates=())
    with pytest.raises(ValueError, match="dropout"):
        build_dgcnn(30, dropout=1.0)


def test_model_fit_tape_save_and_reload(tmp_path):
    set_seed(2)
    inputs, y = small_batch(np.random.default_rng(1), n=16)
    model = build_dgcnn(30, word_dim=5, hidden=8, question_rates=(1,), passage_rates=(1, 2))
    model.compile(keras.optimizers.Adam(0.01), loss=focal_loss(), jit_compile=False)
    ema = WeightEMA(0.9)
    history = model.fit(inputs, y, epochs=8, batch_size=8, verbose=0, callbacks=[ema])
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert ema.updates == 16

    path = tmp_path / "dgcnn.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(reloaded.predict(inputs, verbose=0), model.predict(inputs, verbose=0), rtol=1e-5)
    assert reloaded.loss.gamma == 2.0

    loss_fn = focal_loss()
    opt = keras.optimizers.Adam(0.01)
    before = float(loss_fn(y, model(inputs)))
    for _ in range(5):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(inputs, training=True))
        grads = tape.gradient(loss, model.trainable_weights)
        assert all(g is not None for g in grads)
        opt.apply_gradients(zip(grads, model.trainable_weights))
    assert float(loss_fn(y, model(inputs))) < before


def test_layers_serialise():
    for layer in (DilatedGatedConv1D(6, 4, kernel_size=5, gate_noise=0.2), AttentionPooling1D(7), MixEmbedding(9, 3)):
        clone = type(layer).from_config(layer.get_config())
        assert clone.get_config() == layer.get_config()


# ----------------------------------------------------------------- loss and EMA

def test_focal_loss_matches_numpy_and_skips_padding():
    y = np.array([[[1, 0], [0, 1], [IGNORE, IGNORE]]], "float32")
    p = np.array([[[0.7, 0.2], [0.1, 0.6], [0.9, 0.9]]], "float32")
    a, g = 0.25, 2.0
    yy, pp = y[0, :2], p[0, :2]
    per = -(a * yy * (1 - pp) ** g * np.log(pp) + (1 - a) * (1 - yy) * pp ** g * np.log(1 - pp))
    expected = per.mean(0).sum()
    assert float(focal_loss(a, g)(y, p)) == pytest.approx(100 * expected, rel=1e-5)   # the author's x100
    assert float(focal_loss(a, g, scale=1.0)(y, p)) == pytest.approx(expected, rel=1e-5)
    assert float(focal_loss(a, g, average="passage", scale=1.0)(y, p)) == pytest.approx(expected, rel=1e-5)
    # gamma = 0, alpha = 0.5 is half the binary cross-entropy
    bce = -(yy * np.log(pp) + (1 - yy) * np.log(1 - pp)).mean(0).sum()
    assert float(focal_loss(0.5, 0.0, scale=1.0)(y, p)) == pytest.approx(0.5 * bce, rel=1e-5)
    with pytest.raises(ValueError, match="alpha"):
        focal_loss(alpha=1.5)
    with pytest.raises(ValueError, match="gamma"):
        focal_loss(gamma=-1)


def test_focal_loss_batch_average_is_the_authors_on_mixed_lengths():
    """The release: sum over every real position of the batch / their number, x100.
    Per passage means weigh a 2-character passage like a 10-character one."""
    rng = np.random.default_rng(3)
    lengths, width = [10, 2, 7, 4], 12
    y = np.full((len(lengths), width, 2), IGNORE, "float32")
    p = rng.uniform(0.05, 0.95, (len(lengths), width, 2)).astype("float32")
    for k, n in enumerate(lengths):
        y[k, :n] = rng.integers(0, 2, (n, 2))
    a, g = 0.25, 2.0
    real = y[..., 0] >= 0
    yy = np.where(y >= 0, y, 0)
    per = -(a * yy * (1 - p) ** g * np.log(p) + (1 - a) * (1 - yy) * p ** g * np.log(1 - p))
    author = 100 * sum((per[..., h] * real).sum() / real.sum() for h in range(2))
    passage = np.mean([(per[k, :n]).mean(0).sum() for k, n in enumerate(lengths)])
    ours = float(focal_loss()(y, p))
    old = float(focal_loss(average="passage", scale=1.0)(y, p))
    assert ours == pytest.approx(author, rel=1e-5)
    assert old == pytest.approx(passage, rel=1e-5)
    assert ours / old == pytest.approx(author / passage, rel=1e-5)
    assert abs(ours / old - 100) > 1                       # mixed lengths: not a plain x100
    equal = np.where(np.arange(width)[None, :, None] < 5, y.clip(0), IGNORE).astype("float32")
    assert float(focal_loss()(equal, p)) / float(focal_loss(average="passage", scale=1.0)(equal, p)) \
        == pytest.approx(100, rel=1e-5)                    # equal lengths: exactly x100
    # the reduction survives a round trip through the config
    clone = FocalLoss.from_config(focal_loss(average="passage", scale=3.0).get_config())
    assert (clone.average, clone.scale) == ("passage", 3.0)
    with pytest.raises(ValueError, match="average"):
        focal_loss(average="token")
    with pytest.raises(TypeError, match="average"):
        focal_loss(average=None)
    with pytest.raises(ValueError, match="scale"):
        focal_loss(scale=0.0)
    with pytest.raises(TypeError, match="scale"):
        focal_loss(scale="100")


def test_weight_ema_formula_and_restore():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, use_bias=False)])
    ema = WeightEMA(momentum=0.5)
    ema.set_model(model)
    ema.on_train_begin()  # the shadows start from the current weights
    kernel = model.trainable_weights[0]
    w0 = kernel.numpy().copy()
    shadow = w0.copy()
    for t, value in enumerate([1.0, 2.0, 3.0], start=1):
        kernel.assign(np.full_like(w0, value))
        ema.update()
        d = min(0.5, (1 + t) / (10 + t))
        shadow = d * shadow + (1 - d) * value
    with ema.averaged():
        np.testing.assert_allclose(kernel.numpy(), shadow, rtol=1e-6)
    np.testing.assert_allclose(kernel.numpy(), 3.0)
    with pytest.raises(ValueError, match="momentum"):
        WeightEMA(1.0)
    with pytest.raises(ValueError, match="model"):
        WeightEMA().update()


# ----------------------------------------------------------------- decoding

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


# ----------------------------------------------------------------- metric

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


# ----------------------------------------------------------------- bad input, every public function of dgcnn

NAN, INF = float("nan"), float("inf")
PROBS = np.array([0.9, 0.1, 0.8])
BAD_CALLS = [
    # (call, exception, argument named in the message)
    (lambda: load_qa_records(None), TypeError, "source"),
    (lambda: label_spans("abc", None, 3), TypeError, "answer"),
    (lambda: label_spans("abc", "a", 3.0), TypeError, "maxlen"),
    (lambda: label_spans("abc", "a", True), TypeError, "maxlen"),
    (lambda: MixEmbedding(True, 4), TypeError, "vocab_size"),
    (lambda: DilatedGatedConv1D(4, 2.0), TypeError, "dilation_rate"),
    (lambda: DilatedGatedConv1D(4, gate_noise=NAN), ValueError, "gate_noise"),
    (lambda: DilatedGatedConv1D(4, gate_noise="0.1"), TypeError, "gate_noise"),
    (lambda: AttentionPooling1D(3.0), TypeError, "units"),
    (lambda: build_dgcnn(30.0), TypeError, "vocab_size"),
    (lambda: build_dgcnn(30, hidden=0), ValueError, "hidden"),
    (lambda: build_dgcnn(30, question_rates=(1, 2.0)), TypeError, "question_rates"),
    (lambda: build_dgcnn(30, passage_rates=None), TypeError, "passage_rates"),
    (lambda: build_dgcnn(30, passage_rates=3), TypeError, "passage_rates"),
    (lambda: build_dgcnn(30, dropout=NAN), ValueError, "dropout"),
    (lambda: build_dgcnn(30, gate_noise=-0.1), ValueError, "gate_noise"),
    (lambda: build_dgcnn(30, kernel_size=3.0), TypeError, "kernel_size"),
    (lambda: build_dgcnn(30, name=None), TypeError, "name"),
    (lambda: receptive_field([1, 2], kernel_size=True), TypeError, "kernel_size"),
    (lambda: receptive_field([1, 0]), ValueError, "rates"),
    (lambda: input_influence(None, np.zeros((4, 2)), 1), TypeError, "layer_stack"),
    (lambda: input_influence(lambda x: x, np.zeros((4, 2)), 1.0), TypeError, "position"),
    (lambda: focal_loss(gamma=NAN), ValueError, "gamma"),
    (lambda: focal_loss(gamma=INF), ValueError, "gamma"),
    (lambda: focal_loss(alpha=NAN), ValueError, "alpha"),
    (lambda: focal_loss(alpha="0.25"), TypeError, "alpha"),
    (lambda: FocalLoss(gamma=NAN), ValueError, "gamma"),
    (lambda: FocalLoss(alpha=True), TypeError, "alpha"),
    (lambda: WeightEMA(NAN), ValueError, "momentum"),
    (lambda: WeightEMA(None), TypeError, "momentum"),
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
    (lambda: train_dgcnn(None, None, None, GOOD, None, 8, 8, 1), TypeError, "model"),
    (lambda: normalize_answer(None), TypeError, "text"),
    (lambda: char_f1(None, "a"), TypeError, "prediction"),
    (lambda: char_f1("a", None), TypeError, "reference"),
    (lambda: sogou_score({1: None}, {1: ["a"]}), TypeError, "predictions"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(call, error, word):
    with pytest.raises(error, match=word):
        call()


def _tiny_dgcnn():
    return build_dgcnn(20, word_dim=3, hidden=8, question_rates=(1,), passage_rates=(1, 2))


@pytest.mark.parametrize("kwargs, error, word", [
    ({"epochs": 1.0}, TypeError, "epochs"), ({"epochs": 0}, ValueError, "epochs"),
    ({"batch_size": True}, TypeError, "batch_size"), ({"learning_rate": NAN}, ValueError, "learning_rate"),
    ({"learning_rate": -1e-3}, ValueError, "learning_rate"), ({"ema_momentum": 1.0}, ValueError, "momentum"),
    ({"question_maxlen": 8.0}, TypeError, "question_maxlen"), ({"log": "print"}, TypeError, "log")])
def test_train_dgcnn_rejects_bad_settings(kwargs, error, word):
    settings = {"question_maxlen": 8, "passage_maxlen": 8, "epochs": 1, **kwargs}
    with pytest.raises(error, match=word):
        train_dgcnn(_tiny_dgcnn(), None, None, GOOD, None, **settings)


# ----------------------------------------------------------------- dgcnn_data

def test_headline_entities_join_person_names():
    tokens = [("江", "nr"), ("泽民", "nr"), ("会见", "v"), ("美国", "ns"), ("客人", "n"), ("李", "nr")]
    assert headline_entities(tokens) == ["江泽民", "美国", "李"]


def make_articles():
    t = lambda text, pos="n": (text, pos)  # noqa: E731
    return (
        Article((t("李", "nr"), t("鹏", "nr"), t("访问", "v"), t("日本", "ns")),
                ((t("李鹏"), t("今天"), t("到达"), t("东京"), t("。")), (t("日本"), t("首相"), t("欢迎"), t("。")))),
        Article((t("上海", "ns"), t("建设"), t("新区")),
                ((t("上海"), t("浦东"), t("发展"), t("很快"), t("。")), (t("天气"), t("晴"), t("。")))),
        Article((t("冬季"), t("运动"), t("会"), t("开幕")),
                ((t("运动员"), t("入场"), t("。")),)),
    )


def test_cloze_questions_are_valid_and_consistent():
    records = load_qa_records(build_cloze_questions(make_articles(), n_distractors=1, seed=0))
    assert [r["id"] for r in records] == ["pd1998-0", "pd1998-1"]  # article 2 names no entity
    for r in records:
        answer = next(p["answer"] for p in r["passages"] if p["answer"])
        assert BLANK in r["question"] and answer not in r["question"]
        # every passage that contains the answer is labelled with it, the others are ""
        for p in r["passages"]:
            assert (p["answer"] == answer) == (answer in p["passage"])
    with pytest.raises(ValueError, match="n_distractors"):
        build_cloze_questions(make_articles(), n_distractors=-1)


def test_segment_forward_maximum_matching():
    lexicon = {"北京", "北京大学", "大学", "生"}
    assert segment("北京大学生", lexicon) == ["北京大学", "生"]
    assert segment("北京大学生", lexicon, max_word_len=2) == ["北京", "大学", "生"]
    assert segment("", lexicon) == []
    with pytest.raises(TypeError, match="text"):
        segment(None, lexicon)


def write_word2vec(path, rows, newline=True):
    dim = len(next(iter(rows.values())))
    with open(path, "wb") as f:
        f.write(f"{len(rows)} {dim}\n".encode())
        for word, vec in rows.items():
            f.write(word.encode("utf-8") + b" " + np.asarray(vec, "<f4").tobytes() + (b"\n" if newline else b""))


@pytest.mark.parametrize("newline", [True, False])
def test_read_word_vectors_from_a_small_file(tmp_path, newline):
    rows = {"中国": [1, 2, 3], "北京": [0.5, -1, 2], "的": [0, 0, 1]}
    path = tmp_path / f"w{newline}.vector"
    write_word2vec(path, rows, newline)
    got = read_word_vectors(["北京", "的", "没有"], path=path)
    assert set(got) == {"北京", "的"}
    np.testing.assert_array_equal(got["北京"], np.float32([0.5, -1, 2]))
    index, dim = word_vector_index(path)
    assert dim == 3 and len(index) == 3
    with pytest.raises(TypeError, match="words"):
        read_word_vectors("北京", path=path)


def test_truncated_word_vector_file_is_reported(tmp_path):
    path = tmp_path / "bad.vector"
    write_word2vec(path, {"中国": [1, 2, 3], "北京": [0.5, -1, 2]})
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(ValueError, match="truncated"):
        word_vector_index(path)


def test_real_word_vectors_and_encoder():
    index, dim = word_vector_index()
    assert dim == 100 and len(index) == 125796
    vec = read_word_vectors(["中国", "北京", "香蕉"])
    cos = lambda a, b: a @ b / np.linalg.norm(a) / np.linalg.norm(b)  # noqa: E731
    assert cos(vec["中国"], vec["北京"]) > cos(vec["中国"], vec["香蕉"])

    records = load_qa_records(GOOD)
    enc = CharWordEncoder(min_count=1).fit([r["question"] for r in records] + [p["passage"] for r in records for p in r["passages"]])
    ids, words = enc.encode(["北京是首都", "火星"], 6)
    assert ids.shape == (2, 6) and words.shape == (2, 6, 100)
    assert ids[0, 5] == 0 and ids[1, 0] == 1  # padding, unknown character
    np.testing.assert_array_equal(words[0, 0], words[0, 1])  # both characters of 北京 share its vector
    np.testing.assert_allclose(words[0, 0], vec["北京"])
    inputs, labels = training_arrays(records, enc, 8, 12)
    assert inputs[2].shape == (3, 12) and labels.shape == (3, 12, 2)
    assert (labels[0, :, 0] == 1).sum() == 2
    with pytest.raises(ValueError, match="fit"):
        CharWordEncoder().encode(["a"], 3)
    with pytest.raises(ValueError, match="maxlen"):
        enc.encode(["a"], 0)
