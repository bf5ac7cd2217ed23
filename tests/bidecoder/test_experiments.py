"""Unit tests of blogcode.bidecoder.experiments (chapter: seq2seq with bidirectional decoding):
the training loop, the seven-way decoder comparison, the measures of a trained model and
the recorded runs (run here with tiny settings).
"""

import numpy as np
import pytest

from blogcode.bidecoder.beam_search import END, PAD
from blogcode.bidecoder.experiments import (MODES, block_means, compare_decoders, decoder_scores, leakage,
                                            leakage_floor, search_speed, sorting, train_seq2seq, window_gap)
from blogcode.bidecoder.model import BidirectionalSeq2Seq
from tests.bidecoder.toys import independent_model, tiny_data, tiny_model


@pytest.mark.parametrize("name, value, error", [
    ("steps", 2.0, TypeError), ("steps", 0, ValueError), ("batch_size", True, TypeError),
    ("learning_rate", float("nan"), ValueError), ("learning_rate", 0.0, ValueError),
    ("log_every", -1, ValueError), ("compiled", "yes", TypeError), ("seed", 0.5, TypeError)])
def test_train_seq2seq_rejects_bad_settings(name, value, error):
    vocab, arrays = tiny_data()
    with pytest.raises(error, match=name):
        train_seq2seq(tiny_model(vocab), arrays, **{"steps": 1, name: value})


def test_compare_decoders_checks_its_models():
    source = np.ones((2, 3), np.int32) * 5
    none_model = BidirectionalSeq2Seq(10, 8, 8, 2, cross_attention="none")
    with pytest.raises(ValueError, match="vocab_size"):
        compare_decoders(none_model, BidirectionalSeq2Seq(12, 8, 8, 2), source, 2, 4)
    with pytest.raises(ValueError, match="independent"):
        compare_decoders(BidirectionalSeq2Seq(10, 8, 8, 2), none_model, source, 2, 4)


BAD_CALLS = [
    # (call, exception, argument named in the message)
    (lambda: train_seq2seq(independent_model(), {}, 1), ValueError, "arrays"),
    (lambda: train_seq2seq(independent_model(), None, 1), TypeError, "arrays"),
    (lambda: train_seq2seq("model", {}, 1), TypeError, "model"),
    (lambda: compare_decoders(independent_model(), "model", np.ones((1, 3), np.int32), 2, 4), TypeError, "bidirectional"),
    (lambda: compare_decoders(independent_model(), independent_model(), np.ones((1, 3), np.int32), 2.0, 4), TypeError,
     "beam_size"),
    (lambda: compare_decoders(independent_model(), independent_model(), np.ones((1, 3), np.int32), 2, 4, float("nan")),
     ValueError, "length_penalty"),
    (lambda: decoder_scores([[4]], [[4]]), TypeError, "predictions"),
    (lambda: decoder_scores({}, [[4]]), ValueError, "predictions"),
    (lambda: decoder_scores({"a": [[4]]}, [[4]], n=0), ValueError, "n"),
    (lambda: decoder_scores({"a": [[4]]}, [[4]], positions=1.5), TypeError, "positions"),
    (lambda: decoder_scores({"a": [[4]]}, [[4], [5]]), ValueError, "references"),
    (lambda: window_gap("model", {}), TypeError, "model"),
    (lambda: window_gap(independent_model(), None), TypeError, "arrays"),
    (lambda: window_gap(independent_model(), {"source": 1}), ValueError, "arrays"),
    (lambda: window_gap(independent_model(), tiny_data()[1], rows=0), ValueError, "rows"),
    (lambda: window_gap(independent_model(), tiny_data()[1], cut=True), TypeError, "cut"),
    (lambda: window_gap(independent_model(), tiny_data()[1], cut=6), ValueError, "cut"),
    (lambda: block_means([1.0, 2.0], 0), ValueError, "block"),
    (lambda: block_means([], 2), ValueError, "values"),
    (lambda: block_means([[1.0], [2.0]], 1), ValueError, "values"),
    (lambda: block_means(None, 1), TypeError, "values"),
    (lambda: leakage_floor([], 6), TypeError, "arrays"),
    (lambda: leakage_floor({}, 6), ValueError, "arrays"),
    (lambda: leakage_floor(tiny_data()[1], 1), ValueError, "letters"),
    (lambda: leakage_floor(tiny_data()[1], 6.0), TypeError, "letters"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(call, error, word):
    with pytest.raises(error, match=word):
        call()


def test_training_lowers_the_loss_and_the_comparison_decodes_seven_ways():
    vocab, arrays = tiny_data()
    models = {mode: tiny_model(vocab, mode) for mode in ("none", "causal")}
    losses = train_seq2seq(models["causal"], arrays, steps=4, batch_size=24, learning_rate=3e-2, compiled=False)
    assert set(losses) == {"l2r", "r2l"} and len(losses["l2r"]) == 4
    assert losses["l2r"][-1] + losses["r2l"][-1] < losses["l2r"][0] + losses["r2l"][0]
    out = compare_decoders(models["none"], models["causal"], arrays["source"][:3], 2, 4)
    assert list(out) == ["L2R greedy", "L2R beam", "R2L greedy", "R2L beam", "BTTR-style rescoring",
                         "SB-NMT split beam", "bidirectional beam (article)"]
    for paths in out.values():
        assert len(paths) == 3 and all(len(p) <= 4 and PAD not in p and END not in p for p in paths)


def test_decoder_scores_measure_each_decoder():
    refs = [[4, 5, 6], [4, 4]]
    out = decoder_scores({"right": [[4, 5, 6], [4, 4]], "first wrong": [[5, 5, 6], [5, 4]]}, refs, n=1, positions=3)
    assert out["right"] == {"first": 1.0, "last": 1.0, "exact": 1.0, "char_f1": 1.0,
                            "start": [1.0, 1.0, 1.0], "end": [1.0, 1.0, 1.0]}
    wrong = out["first wrong"]
    assert wrong["first"] == 0.0 and wrong["last"] == 1.0 and wrong["exact"] == 0.0
    assert wrong["start"] == [0.0, 1.0, 1.0] and wrong["end"][:2] == [1.0, 0.5]
    # the third position from the end exists in one reference only
    assert out["right"]["end"][2] == 1.0
    assert decoder_scores({"a": [[4]]}, [[4]], positions=2)["a"]["start"] == [1.0, None]


def test_window_gap_is_zero_for_the_article_window_only():
    vocab, arrays = tiny_data()
    assert window_gap(tiny_model(vocab, "causal"), arrays) == 0.0
    assert window_gap(tiny_model(vocab, "none"), arrays) == 0.0
    assert window_gap(tiny_model(vocab, "full"), arrays) > 0.0


def test_block_means_and_leakage_floor():
    assert block_means([1.0, 3.0, 5.0, 7.0, 9.0], 2) == [2.0, 6.0, 9.0]
    assert block_means(np.arange(4.0), 4) == [1.5]
    # two examples of one letter plus the extra letter plus the end label each: 6 labels
    arrays = {"l2r_out": np.array([[4, 5, 3, 0], [5, 6, 3, 0]])}
    assert leakage_floor(arrays, 6) == pytest.approx(2 * np.log(6) / 6)


def quiet(items, desc=None):
    return items


def test_sorting_run_records_every_seed_mode_and_decoder():
    settings = dict(seeds=[0, 1], n_train=40, n_test=6, min_length=3, max_length=5, alphabet="abcdef", embed_dim=8,
                    hidden_dim=8, num_heads=2, steps=2, batch_size=8, learning_rate=1e-2, compiled=False,
                    beam_size=2, tail=1, block=2)
    out = sorting(settings, quiet)
    assert [r["seed"] for r in out["per_seed"]] == [0, 1]
    for r in out["per_seed"]:
        assert set(r["loss"]) == set(MODES) == set(r["curves"]) == set(r["train_seconds"])
        assert all(len(r["curves"][m]["l2r"]) == 1 for m in MODES)
        assert r["window_gap"]["causal"] == 0.0 < r["window_gap"]["full"]
        assert len(r["decoders"]) == 7 and all(len(d["start"]) == 5 for d in r["decoders"].values())
    exact = [r["decoders"]["L2R beam"]["exact"] for r in out["per_seed"]]
    assert out["summary"]["decoders"]["L2R beam"]["exact"]["mean"] == pytest.approx(np.mean(exact))
    sums = [sum(r["loss"]["full"].values()) for r in out["per_seed"]]
    assert out["summary"]["loss_sum"]["full"]["max"] == pytest.approx(max(sums))


def test_leakage_run_records_the_floor_and_every_mode():
    settings = dict(seeds=[3], n=30, min_length=2, max_length=3, alphabet="abcdef", embed_dim=8, hidden_dim=8,
                    num_heads=2, steps=2, batch_size=8, learning_rate=1e-2, compiled=False, tail=2, block=1)
    out = leakage(settings, quiet)
    assert 0 < out["floor"] < np.log(6)
    loss = out["per_seed"][0]["loss"]
    for mode in MODES:
        assert out["summary"][mode]["sum"]["mean"] == pytest.approx(loss[mode]["l2r"] + loss[mode]["r2l"])
        assert len(out["per_seed"][0]["curves"][mode]["r2l"]) == 2


def test_search_speed_run_times_both_searches():
    out = search_speed(dict(seed=0, beam_sizes=[1, 2], inputs=2, max_length=4, repeats=1), quiet)
    assert out["same_paths"] and [r["k"] for r in out["rows"]] == [1, 2]
    assert all(r["vectorised_seconds"] > 0 and r["per_pair_cpu_seconds"] >= 0 for r in out["rows"])
