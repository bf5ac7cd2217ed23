"""Unit tests of blogcode.dgcnn.training (chapter: DGCNN): the focal loss against NumPy and
the batch average of the release, the weight average and its restore."""

import keras
import numpy as np
import pytest

from blogcode.dgcnn.data import IGNORE
from blogcode.dgcnn.training import FocalLoss, WeightEMA, focal_loss
from tests.dgcnn.toys import INF, NAN


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


BAD_CALLS = [
    # (call, exception, argument named in the message)
    (lambda: focal_loss(gamma=NAN), ValueError, "gamma"),
    (lambda: focal_loss(gamma=INF), ValueError, "gamma"),
    (lambda: focal_loss(alpha=NAN), ValueError, "alpha"),
    (lambda: focal_loss(alpha="0.25"), TypeError, "alpha"),
    (lambda: FocalLoss(gamma=NAN), ValueError, "gamma"),
    (lambda: FocalLoss(alpha=True), TypeError, "alpha"),
    (lambda: WeightEMA(NAN), ValueError, "momentum"),
    (lambda: WeightEMA(None), TypeError, "momentum"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(call, error, word):
    with pytest.raises(error, match=word):
        call()
