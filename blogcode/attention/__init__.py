"""Born to save: from standard attention to sparse attention: the chapter ``book/attention.md``.

Article: https://kexue.fm/archives/6853 (Su Jianlin, 2019-07-27).

* ``patterns``: dense attention, the atrous/local/sparse pattern masks, their
  exact cost and the receptive field of stacked layers;
* ``efficient``: the atrous, local and sparse forms that never build the
  ``n x n`` score matrix (blocks, strides, one joint softmax);
* ``compiling``: how those forms are compiled by XLA and their graphs kept;
* ``layers``: Keras multi-head self-attention layers of each pattern;
* ``experiments``: the in-notebook timing and the long-range marker task;
* ``figures``: pattern matrices and link diagrams, the cost and timing plots;
* ``widgets``: the pattern explorer and its live widget.
"""
