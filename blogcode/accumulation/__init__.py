"""Gradient accumulation: a large batch's effect with a small batch's memory, the
chapter ``book/accumulation.md``.

Article: https://kexue.fm/archives/6794 (Su Jianlin, 2019-07-08). The optimizer
itself, ``GradientAccumulation``, is shared and lives in
``blogcode.optimizers.accumulation``; this package holds what only the chapter uses.

* ``switch_pitfall``: the 2019 ``K.switch`` pitfall, rebuilt in TensorFlow 1 graph
  mode and in ``tf.function`` (which ops a conditional really runs);
* ``batchnorm``: batch normalisation under accumulation (pooled and ghost BN, the
  five-run comparison);
* ``schedules``: which step a learning-rate schedule sees under accumulation
  (ours against Keras' built-in);
* ``experiments``: the article's MNIST experiment (its MLP, the training runs and
  their loss and accuracy curves), Adam on an embedding table under accumulation
  (``embedding_after_adam``), and the recorded full runs ``mnist`` and
  ``batchnorm`` (several seeds each, ``results/accumulation/``);
* ``figures``: the schedule explorer's plotly figure and the experiment's
  matplotlib figures (one live run; a recorded run over its seeds);
* ``widgets``: the schedule explorer and its live widget.
"""
