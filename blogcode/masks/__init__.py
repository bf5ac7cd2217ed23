"""Layers within layers, and masks: the chapter ``book/masks.md``.

Article: https://kexue.fm/archives/6810 (Su Jianlin, 2019-07-16). The masked
operations and ``AlignedBidirectional`` are shared by later chapters and live
in ``blogcode.masking``; this package holds what only the chapter uses.

* ``layers``: ``TwoLayerDense``, a Keras layer that owns two ``Dense`` layers;
* ``padding``: what padding does, measured (``padding_effects``, the
  bidirectional alignment check, the table of layers that honour a mask);
* ``experiments``: the flip-vs-aligned tagging task, trained;
* ``figures``: the padding figure (plotly) and the chapter's matplotlib figures;
* ``widgets``: the padding explorer and its live widget.
"""
