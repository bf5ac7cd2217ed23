"""seq2seq with bidirectional decoding (book/bidecoder.md; https://kexue.fm/archives/6877).

- ``tasks``: the character vocabulary, the (noisy) sorting tasks and the measures of decoded outputs.
- ``model``: the seq2seq model with two cross-attending decoders, its loss and its step functions.
- ``beam_search``: greedy and beam search in one direction, and the beam bookkeeping every search shares.
- ``bidirectional``: the article's bidirectional beam search, its per-pair reference and SB-NMT's split beam.
- ``rescoring``: BTTR-style rescoring of each direction's beam by the opposite direction.
- ``experiments``: training a model and decoding a test set seven ways.
- ``figures``: the architecture and leakage diagrams, the result plots and the beam-step bars.
- ``widgets``: the beam explorer (static) and its live widget.
"""
