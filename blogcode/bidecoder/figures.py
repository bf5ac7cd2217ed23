"""Static figures of "seq2seq with bidirectional decoding" (article 6877, book/bidecoder.md).

The architecture and leakage diagrams and the two result plots (training curves,
accuracy by position) are matplotlib drawings on a given Axes, from a live run or, over
its seeds, from a recorded one (``draw_recorded_curves``, ``draw_recorded_positions``,
on ``results/bidecoder/sorting.json``); ``beam_step_traces``
draws one step of a recorded bidirectional search as plotly bars, for the beam
explorer and the live widget of :mod:`blogcode.bidecoder.widgets`.
"""

from __future__ import annotations

import warnings

import numpy as np
import plotly.graph_objects as go

from blogcode import checks
from blogcode.bidecoder.beam_search import END, PAD
from blogcode.bidecoder.tasks import accuracy_by_position

__all__ = ["use_cjk_font", "draw_architecture", "draw_leakage", "smooth", "draw_training_curves",
           "draw_position_accuracy", "draw_recorded_curves", "draw_recorded_positions", "draw_couplet_positions",
           "beam_step_traces"]

#: The decoders of the accuracy-by-position figure and their colours.
POSITION_DECODERS = {"L2R beam": "#e6550d", "R2L beam": "#31a354", "bidirectional beam (article)": "#3182bd"}


def use_cjk_font() -> bool:
    """Let matplotlib draw Chinese characters: register installed CJK fonts
    (matplotlib's font cache may predate them) and put one first. Without
    one, the "missing glyph" warnings are silenced (the boxes still draw)."""
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    for path in font_manager.findSystemFonts():
        if "CJK" in path and "Sans" in path and "Mono" not in path:
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
    names = sorted({f.name for f in font_manager.fontManager.ttflist if f.name.endswith("CJK SC")})
    if names:
        plt.rcParams["font.sans-serif"] = [names[0]] + plt.rcParams["font.sans-serif"]
    else:
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
    return bool(names)


def _box(ax, x, y, w, h, text, colour, fontsize=9):
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02",
                                facecolor=colour, edgecolor="0.3"))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def _arrow(ax, start, end, colour="0.3", style="-|>", **kw):
    ax.annotate("", xy=end, xytext=start, arrowprops=dict(arrowstyle=style, color=colour, lw=1.2, **kw))


def draw_architecture(ax) -> None:
    """The model: encoder, two decoders, their attentions and the shared head."""
    checks.axes(ax, "ax")
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 6)
    ax.axis("off")
    _box(ax, 1.2, 3, 1.9, 1.0, "source ids\n(masked)", "#eeeeee")
    _box(ax, 3.2, 3, 1.7, 1.3, "BiLSTM encoder\n(aligned,\nmasked)", "#c6dbef")
    for y, name, colour in ((5.0, "L2R", "#fdd0a2"), (1.0, "R2L", "#c7e9c0")):
        text = "[S] y1 y2 ... yn" if name == "L2R" else "[S] yN ... y(N-n+2)"
        _box(ax, 1.2, y, 1.9, 0.8, text, "#eeeeee", 8)
        _box(ax, 3.2, y, 1.7, 0.8, f"{name} LSTM", colour)
        _box(ax, 5.4, y + (0.55 if y > 3 else -0.55), 1.7, 0.6, "source attention", "#dadaeb", 8)
        _box(ax, 5.4, y - (0.55 if y > 3 else -0.55), 1.7, 0.6, "cross attention", "#fcbba1", 8)
        _arrow(ax, (2.15, y), (2.35, y))
        _arrow(ax, (4.05, y), (4.55, y + 0.55 if y > 3 else y - 0.55))
        _arrow(ax, (4.05, y), (4.55, y - 0.55 if y > 3 else y + 0.55))
        _arrow(ax, (6.25, y), (7.0, 3.0))
    _arrow(ax, (2.15, 3), (2.35, 3))
    _arrow(ax, (4.05, 3.2), (4.7, 5.4), colour="#6a51a3")
    _arrow(ax, (4.05, 2.8), (4.7, 0.6), colour="#6a51a3")
    # each direction's states feed the other's cross-attention, positions <= n only
    _arrow(ax, (3.4, 4.6), (4.8, 1.3), colour="#cb181d", style="-|>", linestyle="--")
    _arrow(ax, (3.4, 1.4), (4.8, 4.7), colour="#cb181d", style="-|>", linestyle="--")
    ax.text(4.75, 3.0, "other direction:\npositions ≤ n only", color="#cb181d", fontsize=8, ha="center",
            va="center", bbox=dict(facecolor="white", edgecolor="none", pad=1))
    _box(ax, 7.9, 3, 1.7, 1.3, "shared head\nDense + softmax", "#fee391")
    ax.text(9.0, 4.0, "L2R: y(n)", fontsize=9, ha="left")
    ax.text(9.0, 2.0, "R2L: y(N-n+1)", fontsize=9, ha="left")
    _arrow(ax, (8.75, 3.2), (9.0, 3.95))
    _arrow(ax, (8.75, 2.8), (9.0, 2.1))


def draw_leakage(ax, sentence: str = "北京欢迎你", query: int | None = None) -> dict:
    """Teacher forcing on ``sentence``: the L2R decoder predicts the token at
    position ``query`` (default: the last) while attending to R2L positions
    <= query, whose inputs already contain the gold token. Returns which R2L
    input positions hold it."""
    checks.axes(ax, "ax")
    n = len(checks.string(sentence, "sentence"))
    if n < 2:
        raise ValueError(f"sentence must have at least two characters, got {sentence!r}")
    query = n if query is None else checks.integer(query, "query", minimum=1, maximum=n)
    l2r_in = ["S"] + list(sentence)
    r2l_in = ["S"] + list(sentence[::-1])
    target = sentence[query - 1]
    leaked = [m for m in range(1, query) if r2l_in[m] == target]
    ax.set_xlim(-0.8, n + 0.8)
    ax.set_ylim(-0.6, 3.2)
    ax.axis("off")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a missing CJK glyph must not break the figure
        for row, (label, tokens) in ((2.4, ("L2R input", l2r_in)), (0.4, ("R2L input", r2l_in))):
            ax.text(-0.7, row, label, ha="right", va="center", fontsize=9)
            for m, tok in enumerate(tokens[: n + 1]):
                visible = row < 1 and m <= query - 1 or row > 1 and m <= query - 1
                colour = "#fcbba1" if row < 1 and m in leaked else ("#fdd0a2" if visible else "#f0f0f0")
                _box(ax, m, row, 0.8, 0.7, tok, colour, 12)
        ax.text(query - 1, 3.05, f"predicts {target}", ha="center", fontsize=10, color="#cb181d")
    for m in range(query):
        _arrow(ax, (query - 1, 2.0), (m, 0.8), colour="#cb181d" if m in leaked else "0.6",
               linestyle="-" if m in leaked else ":")
    return {"target": target, "leaked_positions": leaked}


def smooth(values, width: int) -> np.ndarray:
    """Moving average of ``values`` over ``width`` steps (only full windows)."""
    width = checks.positive_int(width, "width")
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or len(values) < width:
        raise ValueError(f"values must be a 1-D sequence of at least width={width} numbers, got shape {values.shape}")
    return np.convolve(values, np.ones(width) / width, mode="valid")


def draw_training_curves(ax, curves: dict, width: int) -> None:
    """The leakage symptom in training curves: the independent model's L2R loss
    alone against the L2R + R2L sums of the causal and the fully leaky models
    (``curves[mode] = {"l2r": [...], "r2l": [...]}`` from ``train_seq2seq``),
    smoothed over ``width`` steps, log scale."""
    checks.axes(ax, "ax")
    checks.instance_of(curves, "curves", dict)
    missing = [m for m in ("none", "causal", "full") if m not in curves]
    if missing:
        raise ValueError(f"curves lacks the modes {missing}")
    ax.plot(smooth(curves["none"]["l2r"], width), color="0.5", label="independent: L2R loss alone")
    ax.plot(smooth(np.add(curves["causal"]["l2r"], curves["causal"]["r2l"]), width), color="#e6550d",
            label="article (positions ≤ n): L2R + R2L")
    ax.plot(smooth(np.add(curves["full"]["l2r"], curves["full"]["r2l"]), width), color="#31a354",
            label="leaky (all positions): L2R + R2L")
    ax.set_xlabel("training step")
    ax.set_ylabel("cross-entropy (nats per token)")
    ax.set_yscale("log")
    ax.legend(frameon=False)


def draw_position_accuracy(axes, predictions: dict, references, positions: int) -> dict:
    """Token accuracy by position, counted from the start (``axes[0]``) and from
    the end (``axes[1]``), for the decoders of ``POSITION_DECODERS`` in
    ``predictions`` (``compare_decoders``' output). Returns the curves,
    ``{(name, from_end): accuracies}``."""
    if len(axes) != 2:
        raise ValueError(f"axes must be two matplotlib Axes, got {len(axes)}")
    for ax in axes:
        checks.axes(ax, "ax")
    checks.instance_of(predictions, "predictions", dict)
    positions = checks.positive_int(positions, "positions")
    missing = [name for name in POSITION_DECODERS if name not in predictions]
    if missing:
        raise ValueError(f"predictions lacks the decoders {missing}")
    curves = {}
    for ax, from_end in zip(axes, (False, True)):
        for name, colour in POSITION_DECODERS.items():
            acc = accuracy_by_position(predictions[name], references, positions, from_end=from_end)
            curves[name, from_end] = acc
            ax.plot(np.arange(1, positions + 1), acc, "o-", color=colour, label=name)
        ax.set_xlabel("position from the " + ("end" if from_end else "start"))
        ax.set_ylim(0, 1.02)
    axes[0].set_ylabel("token accuracy")
    axes[1].legend(frameon=False, fontsize=8)
    return curves


def _check_per_seed(per_seed, key: str) -> list:
    per_seed = checks.nonempty(per_seed, "per_seed")
    for i, row in enumerate(per_seed):
        if not isinstance(row, dict) or key not in row:
            raise ValueError(f"per_seed[{i}] must be a recorded seed with {key!r} (results['per_seed'] of a run)")
    return list(per_seed)


def draw_recorded_curves(ax, per_seed, block: int) -> dict:
    """The training curves of a recorded run over its seeds: for the independent
    model's L2R loss and the causal and leaky models' L2R + R2L sums, each seed
    thin and the mean over seeds bold (``per_seed[i]["curves"][mode][direction]``,
    means over blocks of ``block`` steps), log scale. Returns the mean curves."""
    checks.axes(ax, "ax")
    per_seed = _check_per_seed(per_seed, "curves")
    block = checks.positive_int(block, "block")
    series = {"independent: L2R loss alone": ("0.5", lambda c: np.asarray(c["none"]["l2r"])),
              "article (positions ≤ n): L2R + R2L": ("#e6550d", lambda c: np.add(c["causal"]["l2r"],
                                                                                c["causal"]["r2l"])),
              "leaky (all positions): L2R + R2L": ("#31a354", lambda c: np.add(c["full"]["l2r"], c["full"]["r2l"]))}
    means = {}
    for label, (colour, pick) in series.items():
        try:
            curves = np.array([pick(row["curves"]) for row in per_seed], dtype=float)
        except (KeyError, TypeError, ValueError):
            raise ValueError("per_seed curves must hold 'none', 'causal' and 'full', each with equally long "
                             "'l2r' and 'r2l' lists") from None
        steps = block * (np.arange(curves.shape[1]) + 0.5)
        for curve in curves:
            ax.plot(steps, curve, color=colour, lw=0.7, alpha=0.35)
        means[label] = curves.mean(axis=0)
        ax.plot(steps, means[label], color=colour, lw=2, label=f"{label} (mean of {len(curves)} seeds)")
    ax.set_xlabel("training step")
    ax.set_ylabel("cross-entropy (nats per token)")
    ax.set_yscale("log")
    ax.legend(frameon=False, fontsize=8)
    return means


def draw_recorded_positions(axes, per_seed) -> dict:
    """Token accuracy by position from a recorded run, counted from the start
    (``axes[0]``) and from the end (``axes[1]``), for the decoders of
    ``POSITION_DECODERS``: the mean over seeds, with the range of the seeds shaded
    (``per_seed[i]["decoders"][name]["start"|"end"]``). Returns the mean curves,
    ``{(name, from_end): accuracies}``."""
    if len(axes) != 2:
        raise ValueError(f"axes must be two matplotlib Axes, got {len(axes)}")
    for ax in axes:
        checks.axes(ax, "ax")
    per_seed = _check_per_seed(per_seed, "decoders")
    missing = sorted({name for row in per_seed for name in POSITION_DECODERS if name not in row["decoders"]})
    if missing:
        raise ValueError(f"per_seed decoders lack {missing}")
    means = {}
    for ax, side in zip(axes, ("start", "end")):
        for name, colour in POSITION_DECODERS.items():
            acc = np.array([[np.nan if a is None else a for a in row["decoders"][name][side]] for row in per_seed],
                           dtype=float)
            x = np.arange(1, acc.shape[1] + 1)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a position no reference reaches
                mean, low, high = np.nanmean(acc, axis=0), np.nanmin(acc, axis=0), np.nanmax(acc, axis=0)
            means[name, side == "end"] = mean
            ax.fill_between(x, low, high, color=colour, alpha=0.2, lw=0)
            ax.plot(x, mean, "o-", color=colour, label=name)
        ax.set_xlabel("position from the " + side)
    axes[0].set_ylabel(f"token accuracy (mean, range of {len(per_seed)} seeds)")
    axes[1].legend(frameon=False, fontsize=8)
    return means


def _path_text(tokens, decode) -> str:
    ids = [int(t) for t in tokens if t != PAD]
    ended = bool(ids) and ids[-1] == END
    text = decode([t for t in ids if t != END])
    return (text or "·") + (" ⏹" if ended else "")


def beam_step_traces(snapshot: dict, decode) -> list:
    """Two bar traces (L2R, R2L) for one step of a recorded bidirectional search:
    each path's score, labelled with its text (R2L paths as generated, i.e.
    backwards; ⏹ marks a finished path)."""
    checks.instance_of(snapshot, "snapshot", dict, "a dict with 'l2r' and 'r2l' beams")
    if not {"l2r", "r2l"} <= set(snapshot):
        raise ValueError(f"snapshot must have 'l2r' and 'r2l' entries, got {sorted(snapshot)}")
    checks.function(decode, "decode")
    traces = []
    for name, colour in (("l2r", "#e6550d"), ("r2l", "#31a354")):
        state = snapshot[name]
        scores = np.asarray(state["scores"])
        texts = [_path_text(t, decode) for t in state["tokens"]]
        shown = np.where(np.isfinite(scores), scores, np.nan)
        traces.append(go.Bar(
            x=shown, y=[f"{name.upper()} #{i + 1}" for i in range(len(texts))], orientation="h",
            text=[f"{t}   ({s:.2f})" if np.isfinite(s) else "(empty slot)" for t, s in zip(texts, scores)],
            textposition="auto", marker_color=colour, name=name.upper(), showlegend=False,
            hovertemplate="%{text}<extra></extra>"))
    return traces


def draw_couplet_positions(ax, per_seed, decoders: dict | None = None, line: int = 7) -> dict:
    """Token accuracy at each position of a fixed-length target (the quatrain's second
    couplet) from a recorded run, for ``decoders`` (name -> colour; default
    ``POSITION_DECODERS``): the mean over the seeds with their range shaded, and a dotted
    line at the line break after position ``line``. Returns the mean curves by name."""
    checks.axes(ax, "ax")
    per_seed = _check_per_seed(per_seed, "decoders")
    decoders = POSITION_DECODERS if decoders is None else checks.instance_of(decoders, "decoders", dict)
    line = checks.positive_int(line, "line")
    missing = sorted({name for row in per_seed for name in decoders if name not in row["decoders"]})
    if missing:
        raise ValueError(f"per_seed decoders lack {missing}")
    means = {}
    for name, colour in decoders.items():
        acc = np.array([[np.nan if a is None else a for a in row["decoders"][name]["start"]] for row in per_seed],
                       dtype=float)
        x = np.arange(1, acc.shape[1] + 1)
        means[name] = acc.mean(axis=0)
        ax.fill_between(x, acc.min(axis=0), acc.max(axis=0), color=colour, alpha=0.2, lw=0)
        ax.plot(x, means[name], "o-", color=colour, label=name, ms=4)
    ax.axvline(line + 0.5, color="0.6", ls=":", lw=1)
    ax.set_xticks(np.arange(1, len(x) + 1))
    ax.set_xlabel("character position in the second couplet (line 3: 1-7, line 4: 8-14)")
    ax.set_ylabel(f"token accuracy (mean, range of {len(per_seed)} seeds)")
    ax.legend(frameon=False, fontsize=8)
    return means
