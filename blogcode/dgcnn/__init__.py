"""DGCNN, a convolutional reading-comprehension model (book/dgcnn.md; https://kexue.fm/archives/6906).

- ``data``: the cloze questions over People's Daily, the word-vector reader, the character/word encoder.
- ``layers``: the mixed embedding, the dilated gated convolution, attention pooling, broadcast concatenation.
- ``model``: the released model (``build_dgcnn``), its receptive field and the gradient of one output.
- ``training``: the focal loss and the exponential moving average of the weights.
- ``metric``: decoding spans, voting across passages, and the Sogou contest's metric.
- ``experiments``: the training run scored on the dev set after every epoch; receptive fields by gradient;
  the recorded run ``dilation`` (dilated vs undilated over several seeds, results/dgcnn/dilation.json).
- ``figures``: the architecture diagram, the receptive-field heat maps, the learning curves, the error traces.
- ``widgets``: the error-analysis explorer (static) and its live widget.
"""
