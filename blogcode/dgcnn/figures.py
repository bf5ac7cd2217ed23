"""Static figures of "DGCNN, a convolutional reading-comprehension model" (article 6906, book/dgcnn.md).

Matplotlib drawings on given Axes: the architecture diagram, the receptive-field heat
maps (gradient of the centre output after each block), the learning curves of one run,
those of the recorded comparison over seeds (``draw_seed_curves``) and each change's
lead over the release, seed by seed (``draw_change_leads``). Plotly
traces for the error analysis: ``error_traces`` draws one dev question's start/end
probabilities over the passage chosen by ``analysed_passage``; the explorer and the
live widget of :mod:`blogcode.dgcnn.widgets` both draw through it.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from blogcode import checks
from blogcode.dgcnn.metric import exact_match, probability_window
from blogcode.dgcnn.model import receptive_field_width

__all__ = ["draw_architecture", "draw_receptive_field", "draw_learning_curves", "draw_seed_curves",
           "draw_change_leads", "analysed_passage", "error_traces"]


def _box(ax, x, y, text, color, w=0.36, h=0.07):
    import matplotlib.pyplot as plt

    ax.add_patch(plt.Rectangle((x - w / 2, y - h / 2), w, h, facecolor=color, edgecolor="black", lw=0.8))
    ax.text(x, y, text, ha="center", va="center", fontsize=8.5)


def _arrow(ax, x0, y0, x1, y1):
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops=dict(arrowstyle="->", lw=0.9))


def draw_architecture(ax) -> None:
    """DGCNN as released in 2019: the question and passage columns, the shared
    embedding, the question vector concatenated twice, the three heads."""
    checks.axes(ax, "ax")
    ax.set_xlim(0, 1.32), ax.set_ylim(0, 1.02), ax.axis("off")
    q, p = 0.22, 0.82
    rows_q = [(0.95, "question: chars + word vectors", "#eeeeee"), (0.83, "MixEmbedding (shared)", "#c6dbef"),
              (0.71, "DGC rate 1", "#fdd0a2"), (0.61, "DGC rate 2", "#fdd0a2"), (0.51, "DGC rate 1", "#fdd0a2"),
              (0.38, "AttentionPooling1D → q", "#c7e9c0")]
    rows_p = [(0.95, "passage: chars + word vectors", "#eeeeee"), (0.83, "MixEmbedding (shared)", "#c6dbef"),
              (0.72, "concat q, Dense", "#dadaeb"), (0.62, "DGC rates 1, 2, 4, 8, 16, 1", "#fdd0a2"),
              (0.51, "concat q", "#dadaeb")]
    for rows, x in ((rows_q, q), (rows_p, p)):
        for (y0, *_), (y1, *_) in zip(rows, rows[1:]):
            _arrow(ax, x, y0 - 0.035, x, y1 + 0.035)
        for y, text, color in rows:
            _box(ax, x, y, text, color)
    _arrow(ax, q + 0.18, 0.38, p - 0.18, 0.72)
    _arrow(ax, q + 0.18, 0.38, p - 0.18, 0.51)
    heads = [(0.5, "start: σ(Dense)", "#fcbba1"), (0.82, "has answer:\npool, σ(Dense)", "#c7e9c0"),
             (1.14, "end: σ(Dense)", "#fcbba1")]
    for x, text, color in heads:
        _arrow(ax, p, 0.475, x, 0.31)
        _box(ax, x, 0.265, text, color, w=0.26, h=0.085)
    for x in (0.5, 1.14):
        _arrow(ax, x, 0.22, x, 0.15)
        _box(ax, x, 0.115, "× has answer", "#fee0d2", w=0.22)
    _arrow(ax, 0.82, 0.22, 0.62, 0.13), _arrow(ax, 0.82, 0.22, 1.02, 0.13)
    ax.text(0.83, 0.03, "decode: best start×end span per passage, then vote across passages", ha="center",
            fontsize=9)


def draw_receptive_field(axes, influence: dict, schedules: dict) -> None:
    """One heat map per dilation schedule (``schedules[name] = rates``,
    ``influence[name]`` from :func:`blogcode.dgcnn.experiments.influence_rows`):
    log of the gradient's magnitude per (block, input offset), white where it is
    exactly zero, black lines at the bounds of :func:`receptive_field_width`."""
    checks.instance_of(influence, "influence", dict)
    checks.instance_of(schedules, "schedules", dict)
    if len(axes) != len(schedules):
        raise ValueError(f"axes must hold one Axes per schedule ({len(schedules)}), got {len(axes)}")
    missing = [name for name in schedules if name not in influence]
    if missing:
        raise ValueError(f"influence lacks the schedules {missing}")
    for ax, (name, rates) in zip(axes, schedules.items()):
        checks.axes(ax, "ax")
        rows = np.asarray(influence[name])
        if rows.ndim != 2 or rows.shape[0] != len(rates):
            raise ValueError(f"influence[{name!r}] must have one row per block ({len(rates)}), got {rows.shape}")
        shown = np.where(rows > 0, np.log10(np.maximum(rows, 1e-30)), np.nan)
        offsets = np.arange(rows.shape[1]) - rows.shape[1] // 2
        ax.imshow(shown, aspect="auto", cmap="viridis",
                  extent=(offsets[0] - 0.5, offsets[-1] + 0.5, len(rates) + 0.5, 0.5))
        for depth in range(1, len(rates) + 1):
            half = (receptive_field_width(rates[:depth]) - 1) / 2
            ax.plot([-half - 0.5, -half - 0.5], [depth - 0.5, depth + 0.5], color="black", lw=1.5)
            ax.plot([half + 0.5, half + 0.5], [depth - 0.5, depth + 0.5], color="black", lw=1.5)
        ax.set_ylabel("after block")
        ax.set_yticks(range(1, len(rates) + 1), [f"{d} (r={r})" for d, r in enumerate(rates, 1)], fontsize=8)
        ax.set_title(name, fontsize=10)
    axes[-1].set_xlabel("input position relative to the output position")


def draw_learning_curves(ax_loss, ax_score, history: dict) -> None:
    """The training focal loss (``ax_loss``) and the dev accuracy, F1 and final
    score (``ax_score``) per epoch, from ``train_dgcnn``'s history."""
    checks.axes(ax_loss, "ax_loss")
    checks.axes(ax_score, "ax_score")
    checks.instance_of(history, "history", dict)
    missing = [k for k in ("loss", "accuracy", "f1", "final") if k not in history]
    if missing:
        raise ValueError(f"history lacks {missing}; it comes from train_dgcnn")
    epochs = np.arange(1, len(history["loss"]) + 1)
    ax_loss.plot(epochs, history["loss"], "o-")
    ax_loss.set_xlabel("epoch"), ax_loss.set_ylabel("training focal loss")
    for key, style in (("accuracy", "s--"), ("f1", "^--"), ("final", "o-")):
        ax_score.plot(epochs, history[key], style, label=key)
    ax_score.set_xlabel("epoch"), ax_score.set_ylabel("dev score (EMA weights)"), ax_score.legend()
    ax_score.set_ylim(0, max(0.05, max(history["f1"]) * 1.15))


def _check_per_seed(per_seed, kinds):
    per_seed = checks.nonempty(per_seed, "per_seed")
    kinds = checks.strings(checks.nonempty(kinds, "kinds"), "kinds")
    for k, row in enumerate(per_seed):
        checks.instance_of(row, f"per_seed[{k}]", dict)
        missing = [kind for kind in kinds if kind not in row]
        if missing:
            raise ValueError(f"per_seed[{k}] lacks the models {missing}")
    return per_seed, kinds


def draw_seed_curves(ax, per_seed, kinds=("release", "undilated"), metric: str = "final") -> None:
    """One dev ``metric`` per epoch for every model in ``kinds`` of a recorded run
    (``per_seed``: the ``per_seed`` rows of ``blogcode.dgcnn.experiments.changes``): each
    seed a thin line, the mean over the seeds bold, one colour per model."""
    checks.axes(ax, "ax")
    per_seed, kinds = _check_per_seed(per_seed, kinds)
    metric = checks.one_of(metric, "metric", ("loss", "accuracy", "f1", "final"))
    if len(kinds) > 10:
        raise ValueError(f"kinds must name at most 10 models (one colour each), got {len(kinds)}")
    for colour, kind in zip([f"C{i}" for i in range(10)], kinds):
        curves = np.array([row[kind]["history"][metric] for row in per_seed], dtype=float)
        epochs = np.arange(1, curves.shape[1] + 1)
        for curve in curves:
            ax.plot(epochs, curve, color=colour, lw=0.8, alpha=0.45)
        ax.plot(epochs, curves.mean(0), "o-", color=colour, lw=2.2, label=f"{kind} (mean of {len(curves)} seeds)")
    ax.set_xticks(epochs)
    ax.set_xlabel("epoch"), ax.set_ylabel(f"dev {metric} (EMA weights)"), ax.legend()


def draw_change_leads(ax, per_seed, changes) -> None:
    """Each model of ``changes`` against the release of the same seed, in a recorded run
    of ``blogcode.dgcnn.experiments.changes``: one dot per seed at its dev final score
    minus the release's, the mean as a bar with ± one standard deviation (over the
    seeds), a line at zero (no difference)."""
    checks.axes(ax, "ax")
    per_seed, changes = _check_per_seed(per_seed, ["release", *changes])
    changes = changes[1:]
    if not changes:
        raise ValueError("changes must name at least one model besides the release")
    for y, change in enumerate(changes):
        leads = np.array([row[change]["score"]["final"] - row["release"]["score"]["final"] for row in per_seed])
        spread = leads.std(ddof=1) if len(leads) > 1 else 0.0
        ax.errorbar(leads.mean(), y, xerr=spread, fmt="|", color="black", ms=18, mew=2, capsize=4, zorder=3,
                    label="mean ± std over seeds" if y == 0 else None)
        ax.scatter(leads, np.full(len(leads), y) + np.linspace(-0.12, 0.12, len(leads)), color="C1", s=28, zorder=4,
                   label="one seed" if y == 0 else None)
    ax.axvline(0, color="grey", lw=1, ls="--")
    ax.set_yticks(range(len(changes)), changes)
    ax.invert_yaxis()
    ax.set_xlabel("dev final score minus the release's (same seed)")
    ax.legend(loc="best", fontsize=8)


def _check_question(rid, details, predictions, references):
    for name, value in (("details", details), ("predictions", predictions), ("references", references)):
        checks.instance_of(value, name, dict)
    for name, value in (("details", details), ("predictions", predictions), ("references", references)):
        if rid not in value:
            raise ValueError(f"question {rid!r} is not in {name}")


def analysed_passage(rid, details: dict, predictions: dict, references: dict) -> dict:
    """The passage of question ``rid`` to look at (``details`` and ``predictions``
    from ``answer_questions``, ``references`` from ``reference_answers``): the one
    that gave the winning answer, or, if nothing passed the threshold, the first
    passage that contains the reference."""
    _check_question(rid, details, predictions, references)
    items, answer = details[rid]["passages"], references[rid][0]
    if predictions[rid]:
        return max(items, key=lambda it: it["candidates"].get(predictions[rid], 0.0))
    return next((it for it in items if answer in it["passage"]), items[0])


def error_traces(rid, details: dict, predictions: dict, references: dict, questions: dict) -> list:
    """Four plotly traces for question ``rid``: start and end probabilities over a
    40-character window of :func:`analysed_passage`, the passage's characters (the
    reference's in green) and a line with the question, reference and prediction."""
    item = analysed_passage(rid, details, predictions, references)
    checks.instance_of(questions, "questions", dict)
    if rid not in questions:
        raise ValueError(f"question {rid!r} is not in questions")
    answer = references[rid][0]
    w = probability_window(item["passage"], item["probs"], answer, width=40)
    top = max(0.25, float(max(w["start"].max(), w["end"].max())) * 1.1)
    verdict = "correct" if exact_match(predictions[rid], references[rid]) else "wrong"
    return [
        go.Bar(x=w["positions"], y=w["start"], name="start probability", marker_color="#1f77b4",
               customdata=w["chars"], hovertemplate="%{customdata}: start %{y:.3f}<extra></extra>"),
        go.Bar(x=w["positions"], y=w["end"], name="end probability", marker_color="#ff7f0e",
               customdata=w["chars"], hovertemplate="%{customdata}: end %{y:.3f}<extra></extra>"),
        go.Scatter(x=w["positions"], y=[-0.05 * top] * len(w["chars"]), mode="text", text=w["chars"],
                   textfont=dict(size=13, color=np.where(w["in_answer"], "#2ca02c", "#333333").tolist()),
                   name="passage (reference answer in green)", hoverinfo="skip"),
        go.Scatter(x=[w["positions"][0]], y=[top * 1.08], mode="text", textposition="middle right",
                   showlegend=False,
                   text=[f"Q: {questions[rid]} | reference: {answer} | predicted: {predictions[rid] or '(nothing)'} "
                         f"({verdict})"]),
    ]
