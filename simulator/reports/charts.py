"""Charts of ROQ uncertainty, sensitivity and survey results, drawn with matplotlib.

Every function takes plain data - a pandas DataFrame with documented columns (or a
mapping/array where that is simpler) - and returns a ``matplotlib.figure.Figure`` sized
for a 16:9 slide (:data:`simulator.reports.style.FIGURE_SIZE`), so a notebook user can
chart their own numbers and the report builder can chart the simulator's results through
the adapters in :mod:`simulator.reports.frames`. Save with
:func:`simulator.reports.export.save_figure` (PNG at any dpi, SVG, PDF).

matplotlib is imported inside the drawing functions only (figures are created with
``matplotlib.figure.Figure``, never through pyplot), so importing this module needs
numpy and pandas only.

Conventions (see :mod:`simulator.reports.style`): Okabe-Ito colours; input values on the
chart are shown in their units (fractions as %, money in IDR with k / M / bn); the ROQ = 1
break-even (gross ROQ = (NPV - NPV0) / NPVAS, Rust, Zahorik & Keiningham 1995) is a black
dashed line wherever ROQ is plotted; the base case is a grey line.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import re
import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import RoqInputError
from .style import (
    COLORS,
    DIVERGING_COLORMAP,
    OKABE_ITO,
    SEQUENCE,
    format_input_value,
    format_money,
    format_percent,
    input_label,
    input_unit,
    money_scale,
    new_figure,
    styled,
)

__all__ = [
    "OUTPUT_THRESHOLDS",
    "caption",
    "tornado_chart",
    "spider_chart",
    "sobol_bars",
    "second_order_heatmap",
    "sensitivity_bars",
    "morris_scatter",
    "roq_histogram",
    "roq_distribution_chart",
    "fan_chart",
    "two_way_heatmap",
    "discount_rate_curve",
    "input_colors",
    "ipa_quadrant_chart",
    "servqual_gap_chart",
]

#: Break-even line drawn for each output (None: no line).
OUTPUT_THRESHOLDS = {"roq": 1.0, "roq_net": 0.0, "npv_net": 0.0}

_LINESTYLES = ["-", "--", "-.", ":"]
_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]


# --------------------------------------------------------------------------- helpers


def _frame(table, name: str, columns: Sequence[str]) -> pd.DataFrame:
    """``table`` as a DataFrame holding ``columns`` (RoqInputError naming what is missing)."""
    if hasattr(table, "to_frame") and not isinstance(table, (pd.DataFrame, pd.Series)):
        table = table.to_frame()
    if isinstance(table, Mapping):
        table = pd.DataFrame(dict(table))
    if not isinstance(table, pd.DataFrame):
        raise RoqInputError(name, f"must be a DataFrame (or a mapping of columns), got {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise RoqInputError(name, f"needs the column(s) {', '.join(missing)}; it has {', '.join(map(str, table.columns))}")
    if len(table) == 0:
        raise RoqInputError(name, "has no rows to chart")
    return table.reset_index(drop=True)


def _numbers(frame: pd.DataFrame, column: str, name: str, *, finite: bool = True) -> np.ndarray:
    try:
        values = pd.to_numeric(frame[column], errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise RoqInputError(name, f"column {column!r} must be numeric") from None
    if finite and not np.isfinite(values).all():
        raise RoqInputError(name, f"column {column!r} has missing or infinite values")
    return values


class _Axis:
    """How one output is shown on an axis: label, scale divisor and value formatter."""

    def __init__(self, output: str, values, currency: str = "IDR", label: str | None = None):
        self.output = output
        values = np.asarray(values, dtype=float)
        finite = values[np.isfinite(values)]
        largest = float(np.max(np.abs(finite))) if finite.size else 0.0
        self.threshold = OUTPUT_THRESHOLDS.get(output)
        self.divisor = 1.0
        self.percent = False
        name = input_label(output)
        if output in ("roq", "roq_net"):
            unit = "ratio"
            text = "ROQ = (NPV − NPV0) / NPVAS" if output == "roq" else "Net ROQ = (NPV − NPV0 − NPVAS) / NPVAS"
            self.label = label or f"{text} ({unit})"
            self.short = name
        elif output.startswith("npv") or input_unit(output) == "money":
            self.divisor, word = money_scale(largest)
            unit = f"{currency} {word}".strip()
            self.label = label or f"{name} ({unit})"
            self.short = name
        elif "share" in output or input_unit(output) == "percent":
            self.percent = True
            self.label = label or f"{name} (%)"
            self.short = name
        else:
            self.label = label or name
            self.short = name
        self.currency = currency

    def scaled(self, values):
        return np.asarray(values, dtype=float) / self.divisor

    def text(self, value: float) -> str:
        """A value of this output as text for annotations."""
        if self.percent:
            return format_percent(value, 2 if abs(value) < 0.1 else 1)
        if self.divisor != 1.0 or self.output.startswith("npv"):
            return format_money(value, self.currency)
        return f"{value:.2f}"

    def formatter(self):
        from matplotlib.ticker import FuncFormatter

        if self.percent:
            return _percent_ticks()
        return FuncFormatter(lambda v, _: f"{v:,.4g}")


def _percent_ticks():
    """Tick labels for fractions as percentages, without needless decimals (0.125 -> 12.5%, 0.1 -> 10%)."""
    from matplotlib.ticker import FuncFormatter

    def show(value, _position=None):
        text = f"{value * 100:.2f}".rstrip("0").rstrip(".")
        return ("0" if text in ("-0", "") else text.replace("-", "\u2212")) + "%"

    return FuncFormatter(show)


def _value_formatter(name: str, values, currency: str = "IDR"):
    """Tick formatter and axis label for an input's own values (percent / money / plain)."""
    from matplotlib.ticker import FuncFormatter

    kind = input_unit(name)
    label = input_label(name)
    if kind == "percent":
        return _percent_ticks(), f"{label} (%)", 1.0
    if kind == "money":
        divisor, word = money_scale(np.nanmax(np.abs(np.asarray(values, dtype=float))))
        return FuncFormatter(lambda v, _: f"{v:,.4g}"), f"{label} ({currency} {word})".replace(" )", ")"), divisor
    if kind == "count":
        divisor, word = money_scale(np.nanmax(np.abs(np.asarray(values, dtype=float))))
        unit = f"{word} customers" if word else "customers"
        return FuncFormatter(lambda v, _: f"{v:,.4g}"), f"{label} ({unit})", divisor
    if kind == "years":
        return FuncFormatter(lambda v, _: f"{v:g}"), f"{label} (years)", 1.0
    return FuncFormatter(lambda v, _: f"{v:,.4g}"), label, 1.0


def _threshold_line(ax, value, *, vertical: bool, label: str | None = None, text_position: float = 0.98):
    """The break-even line, labelled at the edge of the axes."""
    if value is None:
        return
    style = dict(color=COLORS["threshold"], linestyle="--", linewidth=1.6, zorder=4)
    if vertical:
        ax.axvline(value, **style)
        if label:
            ax.text(value, text_position, f" {label}", transform=ax.get_xaxis_transform(), ha="left", va="top", fontsize=11.5, color=COLORS["threshold"], zorder=6)
    else:
        ax.axhline(value, **style)
        if label:
            ax.text(text_position, value, f"{label} ", transform=ax.get_yaxis_transform(), ha="right", va="bottom", fontsize=11.5, color=COLORS["threshold"], zorder=6)


def _include(low: float, high: float, value: float | None, reach: float = 0.35) -> tuple[float, float]:
    """Extend [low, high] to show ``value`` if it is within ``reach`` of the span outside it."""
    if value is None:
        return low, high
    span = max(high - low, 1e-12)
    if low - reach * span <= value <= high + reach * span:
        return min(low, value), max(high, value)
    return low, high


#: What every chart drawn in a ``with caption(...)`` block names first under its title:
#: the scenario and the sample the chart comes from.
_CAPTION: contextvars.ContextVar = contextvars.ContextVar("caption", default=None)


@contextlib.contextmanager
def caption(text: str | None):
    """Subtitle every chart drawn inside the block with ``text`` (its scenario and sample count).

    Examples
    --------
    >>> with caption("Singgih, ROQ case study of an insurer · 4,096 scenarios"):  # doctest: +SKIP
    ...     figure = fan_chart(table)
    """
    token = _CAPTION.set(text)
    try:
        yield
    finally:
        _CAPTION.reset(token)


def _title(ax, title: str, subtitle: str | None = None):
    """Title (figure-wide, left-aligned, bold) and a muted subtitle above the axes: the
    caption of the block (:func:`caption`) on its own line, then ``subtitle``."""
    ax.figure.suptitle(title, x=0.012, ha="left")
    context = _CAPTION.get()
    if subtitle or context:
        # titles do not wrap by themselves: break long subtitles to the axes' width in characters
        width_inches = ax.figure.get_figwidth() * ax.get_position().width
        limit = max(40, int(width_inches * 72 / (12.5 * 0.55)))
        lines = textwrap.wrap(context, max(limit, 60)) if context else []
        lines += textwrap.wrap(subtitle, limit) if subtitle else []
        ax.set_title("\n".join(lines), loc="left", fontsize=12.5, fontweight="normal", color=COLORS["muted"], pad=8)


def _inline(label: str) -> str:
    """A label inside a sentence: "Final market share" -> "final market share", "ROQ" stays."""
    first = label.split(" ", 1)[0]
    return label if first.isupper() else label[:1].lower() + label[1:]


def input_colors(names) -> dict:
    """One Okabe-Ito colour per input name, in the given order (pass the same order to every
    chart of a report so an input keeps its colour: spider lines, Morris points)."""
    return {str(name): SEQUENCE[k % len(SEQUENCE)] for k, name in enumerate(dict.fromkeys(str(n) for n in names))}


def _input_colors(names, colors: Mapping | None) -> list:
    names = [str(n) for n in names]
    given = dict(colors or {})
    fallback = input_colors(names)
    return [given.get(name, fallback[name]) for name in names]


def _signed(value: float, decimals: int = 2) -> str:
    """A number with a typographic minus, as on matplotlib's tick labels."""
    return f"{value:.{decimals}f}".replace("-", "\u2212")


def _probability(p: float, n: int | None = None) -> str:
    """A probability as a percentage; 0 and 1 from a sample say "no/every scenario"."""
    if n and p >= 1.0:
        return "100% (every scenario)"
    if n and p <= 0.0:
        return "0% (no scenario)"
    return format_percent(p, 1)


def _luminance(rgba) -> float:
    r, g, b = rgba[:3]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _place_labels(figure, ax, xs, ys, texts, *, fontsize=11.5, color=None, obstacles=()):
    """Label points so that labels overlap neither each other nor other points.

    Greedy, most crowded point first: try positions on rings around the point (right,
    left, above, below, diagonals; then farther out) and keep the first whose box is
    inside the axes, clear of other labels and markers, and closer to its own point than
    to any other (so it cannot be read as another point's label). Labels off the first
    ring get a thin leader line.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.transforms import Bbox

    if not isinstance(figure.canvas, FigureCanvasAgg):
        FigureCanvasAgg(figure)
    figure.draw_without_rendering()  # final layout before measuring
    renderer = figure.canvas.get_renderer()
    xs = np.asarray(xs, dtype=float)
    ys = np.asarray(ys, dtype=float)
    points = ax.transData.transform(np.column_stack([xs, ys]))
    # points drawn on top of each other share one label ("4, 9")
    keep, merged = [], {}
    for i, point in enumerate(points):
        for j in keep:
            if np.hypot(*(points[j] - point)) < 1.5:
                merged[j].append(str(texts[i]))
                break
        else:
            keep.append(i)
            merged[i] = [str(texts[i])]
    xs, ys, points = xs[keep], ys[keep], points[keep]
    texts = [", ".join(merged[i]) for i in keep]
    axes_box = ax.get_window_extent(renderer)
    scale = figure.dpi / 72.0  # display pixels per point
    marker = 5.0 * scale
    point_boxes = [Bbox.from_bounds(px - marker, py - marker, 2 * marker, 2 * marker) for px, py in points]
    # other things labels must not cover (e.g. error bars), given as data rectangles (x0, y0, x1, y1)
    blocked = []
    for x0, y0, x1, y1 in obstacles:
        (a, b), (c, d) = ax.transData.transform([(x0, y0), (x1, y1)])
        blocked.append(Bbox.from_extents(min(a, c) - 2 * scale, min(b, d) - 3 * scale, max(a, c) + 2 * scale, max(b, d) + 3 * scale))
    directions = [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1)]
    rings = [7.0, 16.0, 28.0, 42.0]
    candidates = [(ring, dx * ring, dy * ring) for ring in rings for dx, dy in directions]
    crowding = [int(np.sum(np.hypot(*(points - p).T) < 40 * scale)) for p in points]
    order = np.argsort([-c for c in crowding], kind="stable")
    placed: list = []
    for index in order:
        px, py = points[index]
        others = np.delete(points, index, axis=0)
        chosen = None
        for ring, dx, dy in candidates:
            ha = "left" if dx > 0 else ("right" if dx < 0 else "center")
            va = "bottom" if dy > 0 else ("top" if dy < 0 else "center")
            text = ax.annotate(texts[index], (xs[index], ys[index]), xytext=(dx, dy), textcoords="offset points",
                               ha=ha, va=va, fontsize=fontsize, color=color or COLORS["text"], zorder=7)
            box = text.get_window_extent(renderer)
            padded = box.expanded(1.08, 1.15)
            center = np.array([(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2])
            own = np.hypot(*(center - points[index]))
            nearest_other = np.min(np.hypot(*(others - center).T)) if len(others) else np.inf
            ok = (axes_box.x0 <= box.x0 and box.x1 <= axes_box.x1 and axes_box.y0 <= box.y0 and box.y1 <= axes_box.y1
                  and not any(padded.overlaps(other) for other in placed)
                  and not any(padded.overlaps(pb) for j, pb in enumerate(point_boxes) if j != index)
                  and not any(padded.overlaps(box) for box in blocked)
                  and own < nearest_other)
            if ok:
                chosen = (text, padded, ring, dx, dy)
                break
            text.remove()
        if chosen is None:  # nowhere free: first position, with a leader line
            ring, dx, dy = candidates[8]
            text = ax.annotate(texts[index], (xs[index], ys[index]), xytext=(dx, dy), textcoords="offset points",
                               ha="left", va="bottom", fontsize=fontsize, color=color or COLORS["text"], zorder=7)
            chosen = (text, text.get_window_extent(renderer), ring, dx, dy)
        text, box, ring, dx, dy = chosen
        if ring > rings[0]:
            text.set_bbox(dict(boxstyle="square,pad=0.05", facecolor="white", edgecolor="none", alpha=0.8))
            ax.annotate("", (xs[index], ys[index]), xytext=(dx, dy), textcoords="offset points",
                        arrowprops=dict(arrowstyle="-", color=COLORS["muted"], lw=0.9, shrinkA=3, shrinkB=4), zorder=6)
        placed.append(box)


# --------------------------------------------------------------------------- one-way sweeps


@styled
def tornado_chart(table, base_output: float, *, output: str = "roq", threshold: float | None = "auto",
                  title: str | None = None, subtitle: str | None = None, currency: str = "IDR", max_inputs: int | None = None):
    """Tornado chart: the output at each input's low and high value, sorted by swing.

    Parameters
    ----------
    table : DataFrame
        One row per input with columns ``input`` (name), ``low`` and ``high`` (the input's
        low and high values, in the input's units), ``output_low`` and ``output_high``
        (the output with the input at that value and every other input at base).
        Optional ``label`` (text shown instead of the input name).
    base_output : float
        The output with every input at base (the line the bars start from).
    output : str
        Output name (``"roq"``, ``"npv_gain"``, ...): sets the axis label and units.
    threshold : float, None or "auto"
        Break-even line; "auto" uses ROQ = 1 for ``roq`` (see :data:`OUTPUT_THRESHOLDS`).
    title, subtitle : str, optional
        Subtitle: say what low and high mean (e.g. "inputs at P5 / P95").
    currency : str
        Currency code for money inputs and outputs.
    max_inputs : int, optional
        Show only the inputs with the largest swings.

    Returns
    -------
    matplotlib.figure.Figure
        Largest swing at the top; blue bars: input at its low value, orange: at its high
        value; each bar end is labelled with the input value that produced it.
    """
    frame = _frame(table, "table", ["input", "low", "high", "output_low", "output_high"])
    base = float(base_output)
    if not math.isfinite(base):
        raise RoqInputError("base_output", f"must be a finite number, got {base_output!r}")
    out_low = _numbers(frame, "output_low", "table")
    out_high = _numbers(frame, "output_high", "table")
    swing = np.abs(out_high - out_low)
    order = np.argsort(swing, kind="stable")  # ascending: barh draws bottom-up, largest on top
    if max_inputs is not None:
        order = order[-int(max_inputs):]
    axis = _Axis(output, np.concatenate([out_low, out_high, [base]]), currency)
    limit = axis.threshold if threshold == "auto" else threshold

    height = min(5.6 + max(0, len(order) - 8) * 0.35, 9.0)
    figure, ax = new_figure((10.0, height))
    labels = frame["label"] if "label" in frame.columns else frame["input"].map(input_label)
    y = np.arange(len(order))
    bar_height = 0.62
    lo_values = _numbers(frame, "low", "table", finite=False)
    hi_values = _numbers(frame, "high", "table", finite=False)
    span_values = axis.scaled(np.concatenate([out_low[order], out_high[order], [base]]))
    x_min, x_max = float(span_values.min()), float(span_values.max())
    x_min, x_max = _include(x_min, x_max, None if limit is None else limit / axis.divisor)
    pad = 0.16 * max(x_max - x_min, 1e-9)  # room for the value labels at the bar ends
    for row, index in enumerate(order):
        ends = [(out_low[index], COLORS["low"], lo_values[index]), (out_high[index], COLORS["high"], hi_values[index])]
        ends.sort(key=lambda item: -abs(item[0] - base))  # longer bar first, shorter drawn over it
        for end, color, value in ends:
            left, right = sorted((base, end))
            ax.barh(row, axis.scaled(right - left), left=axis.scaled(left), height=bar_height, color=color, zorder=3)
        for end, color, value in ends:
            name = frame.at[index, "input"]
            text = format_input_value(name, value, currency)
            same_side = (ends[0][0] - base) * (ends[1][0] - base) > 0
            is_shorter = end is ends[1][0] and same_side
            x_end = axis.scaled(end)
            if is_shorter:  # label inside the longer bar, just past the shorter one's end
                ax.text(x_end, row - bar_height * 0.52, text, ha="center", va="top", fontsize=10.5, color=COLORS["text"], zorder=6)
                continue
            right_side = end >= base
            ax.text(x_end + (0.01 if right_side else -0.01) * (x_max - x_min + 2 * pad), row, text,
                    ha="left" if right_side else "right", va="center", fontsize=11.5, color=COLORS["text"], zorder=6)
    ax.set_yticks(y, [labels[i] for i in order])
    ax.tick_params(axis="y", length=0)
    ax.set_xlim(x_min - pad, x_max + pad)
    ax.set_ylim(-0.85, len(order) - 0.3)
    ax.xaxis.set_major_formatter(axis.formatter())
    ax.grid(axis="x")
    ax.spines["left"].set_visible(False)
    ax.axvline(axis.scaled(base), color=COLORS["base"], linewidth=1.8, zorder=5)
    ax.text(axis.scaled(base), -0.55, f"base {axis.text(base)}", ha="center", va="center", fontsize=11.5, color=COLORS["base"],
            bbox=dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor="none"), zorder=6)
    notes = [subtitle] if subtitle else []
    if limit is not None and x_min - pad <= limit / axis.divisor <= x_max + pad:
        _threshold_line(ax, limit / axis.divisor, vertical=True, label=f"{axis.short} = {limit:g}", text_position=0.06)
    elif limit is not None:  # the break-even is far away: say on which side every bar stays
        side = "above" if min(out_low.min(), out_high.min()) > limit else "below"
        notes.append(f"every bar stays {side} the break-even {axis.short} = {limit:g}")
    ax.set_xlabel(axis.label)
    _title(ax, title or f"Tornado: what moves {axis.short} (one input at a time)", "; ".join(notes) or None)
    from matplotlib.patches import Patch

    handles = [Patch(color=COLORS["low"], label="input at its low value"), Patch(color=COLORS["high"], label="input at its high value")]
    figure.legend(handles=handles, loc="outside lower center", ncol=2)
    return figure


@styled
def spider_chart(table, *, base_output: float | None = None, output: str = "roq", threshold="auto",
                 title: str | None = None, subtitle: str | None = None, currency: str = "IDR", colors: Mapping | None = None):
    """Spider chart: the output against the % change of each input from its base value.

    Parameters
    ----------
    table : DataFrame
        Long form, one row per (input, point) with columns ``input``, ``change`` (the
        input's relative change from base as a fraction, -0.2 = 20% below base) and
        ``output`` (the output at that point, other inputs at base). Optional ``label``.
    base_output : float, optional
        Output at base (marked at 0% change).
    output, threshold, title, subtitle, currency
        As in :func:`tornado_chart`.
    colors : mapping, optional
        Colour per input name (see :func:`input_colors`), to match other charts.

    Returns
    -------
    matplotlib.figure.Figure
        Steeper line = more sensitive input. Inputs are ordered in the legend by the
        range of the output along their line.
    """
    frame = _frame(table, "table", ["input", "change", "output"])
    change = _numbers(frame, "change", "table")
    values = _numbers(frame, "output", "table")
    axis = _Axis(output, np.append(values, base_output if base_output is not None else values[0]), currency)
    limit = axis.threshold if threshold == "auto" else threshold
    names = list(dict.fromkeys(frame["input"]))
    ranges = {n: np.ptp(values[frame["input"].to_numpy() == n]) for n in names}
    palette = dict(zip(list(dict.fromkeys(frame["input"])), _input_colors(list(dict.fromkeys(frame["input"])), colors)))
    names.sort(key=lambda n: -ranges[n])
    figure, ax = new_figure()
    ends = []
    curves = {}
    for k, name in enumerate(names):
        mask = frame["input"].to_numpy() == name
        order = np.argsort(change[mask])
        label = frame.loc[mask, "label"].iloc[0] if "label" in frame.columns else input_label(name)
        xs, ys = change[mask][order], axis.scaled(values[mask][order])
        curves[name] = (xs, ys, label)
        # lines that may lie on top of each other stay distinguishable: each its own dash and
        # marker, drawn widest first so a later, thinner line shows on top of an earlier one
        ax.plot(xs, ys, color=palette[name], linestyle=_LINESTYLES[k % len(_LINESTYLES)], marker=_MARKERS[k % len(_MARKERS)],
                markersize=7 - min(k, 3), linewidth=3.2 - 0.5 * min(k, 3), label=label, zorder=3 + k)
        ends.append((float(xs[-1]), float(ys[-1]), label, palette[name]))
    if base_output is not None:
        ax.plot([0.0], [axis.scaled(base_output)], marker="o", markersize=11, markerfacecolor="white",
                markeredgecolor=COLORS["base"], markeredgewidth=2, linestyle="none", zorder=9)
        ax.annotate(f"base {axis.text(base_output)}", (0.0, axis.scaled(base_output)), xytext=(-10, 10), textcoords="offset points",
                    ha="right", fontsize=11.5, color=COLORS["base"], zorder=9,
                    bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none", alpha=0.85))
    low, high = float(axis.scaled(values).min()), float(axis.scaled(values).max())
    low, high = _include(low, high, None if limit is None else limit / axis.divisor)
    note = None
    if limit is not None and low <= limit / axis.divisor <= high:
        _threshold_line(ax, limit / axis.divisor, vertical=False, label=f"{axis.short} = {limit:g} (break-even)")
    elif limit is not None:
        note = f"every point stays {'above' if values.min() > limit else 'below'} the break-even {axis.short} = {limit:g}"
    pad = 0.06 * max(high - low, 1e-9)
    ax.set_ylim(low - pad, high + pad)
    ax.axvline(0.0, color=COLORS["base"], linewidth=1.0, zorder=1)
    ax.xaxis.set_major_formatter(_percent_ticks())
    ax.yaxis.set_major_formatter(axis.formatter())
    ax.grid(True)
    ax.set_xlabel("Change of the input from its base value (%)")
    ax.set_ylabel(axis.label if len(axis.label) < 34 else axis.short + (f" ({axis.label.rsplit('(', 1)[1]}" if "(" in axis.label else ""))
    together = _coinciding(curves, tolerance=0.01 * max(high - low, 1e-12))
    if together:
        note = "; ".join(t for t in (note, "; ".join(f"{a} and {b} lie on top of each other" for a, b in together)) if t)
    _title(ax, title or f"Spider: {axis.short} as each input moves from base", "; ".join(t for t in (subtitle, note) if t) or None)
    _label_line_ends(ax, ends, span=(low - pad, high + pad))
    return figure


def _coinciding(curves: Mapping, tolerance: float) -> list:
    """Pairs of labelled curves (same x values) that never differ by more than ``tolerance``."""
    pairs = []
    names = list(curves)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            xa, ya, la = curves[a]
            xb, yb, lb = curves[b]
            if len(xa) == len(xb) and np.allclose(xa, xb) and np.max(np.abs(ya - yb)) <= tolerance:
                pairs.append((la, lb))
    return pairs


def _label_line_ends(ax, ends, *, span, fontsize: float = 12.0):
    """Name each line at its right end, nudging labels apart vertically so none overlap.

    ``ends``: (x, y, text, colour) in data coordinates; labels go just right of the axes'
    data, in the line's colour, with a thin leader where a label had to move.
    """
    if not ends:
        return
    low, high = span
    height = (high - low) * (fontsize * 1.35 / 72) / max(ax.figure.get_figheight() * ax.get_position().height, 1e-9)
    order = sorted(range(len(ends)), key=lambda i: ends[i][1])
    placed = []
    for i in order:
        y = ends[i][1]
        if placed and y < placed[-1][1] + height:
            y = placed[-1][1] + height
        placed.append((i, y))
    overflow = placed[-1][1] - (high - 0.5 * height)
    if overflow > 0:  # shift the stack down, never below the axis
        placed = [(i, max(y - overflow, low + 0.5 * height)) for i, y in placed]
    x0, x1 = ax.get_xlim()
    x_text = max(e[0] for e in ends) + 0.02 * (x1 - x0)
    for i, y in placed:
        x, y0, text, colour = ends[i]
        ax.annotate(text, (x, y0), xytext=(x_text, y), textcoords="data", xycoords="data", ha="left", va="center",
                    fontsize=fontsize, color=colour, fontweight="bold", annotation_clip=False,
                    arrowprops=dict(arrowstyle="-", color=colour, lw=0.8, shrinkA=1, shrinkB=3, alpha=0.8))
    longest = max(len(e[2]) for e in ends)  # room on the right for the labels, without ticks there
    ticks = [t for t in ax.get_xticks() if x0 <= t <= x1]
    ax.set_xlim(x0, x1 + (x1 - x0) * min(0.5, 0.014 * longest + 0.05))
    ax.set_xticks(ticks)


# --------------------------------------------------------------------------- global sensitivity


@styled
def sobol_bars(table, *, output: str = "roq", conf_level: float = 0.95, title: str | None = None, max_inputs: int | None = None,
               method: str = "sobol", note: str | None = None):
    """Sobol' first-order (S1) and total-order (ST) indices side by side, with confidence intervals.

    Parameters
    ----------
    table : DataFrame
        One row per input with columns ``input``, ``S1``, ``ST`` and optionally
        ``S1_conf``, ``ST_conf`` (half-widths of the confidence interval) - the table of
        :class:`simulator.uncertainty.sensitivity.SensitivityResult` for ``"sobol"`` or
        ``"fast"``.
    output : str
        Analysed output (axis label).
    conf_level : float
        Level of the ``*_conf`` half-widths (legend text).
    title : str, optional
    max_inputs : int, optional
        Show the inputs with the largest ST only.
    method : {"sobol", "fast"}
        Which estimator made the indices (labels only).
    note : str, optional
        A further subtitle line (e.g. why the second-order heatmap is left out).

    Returns
    -------
    matplotlib.figure.Figure
        Inputs sorted by ST (largest on top). S1 is the share of the output variance an
        input explains alone; ST - S1 is what it adds through interactions (Saltelli et
        al. 2010).
    """
    frame = _frame(table, "table", ["input", "S1", "ST"])
    s1 = _numbers(frame, "S1", "table")
    st = _numbers(frame, "ST", "table")
    s1c = _numbers(frame, "S1_conf", "table") if "S1_conf" in frame.columns else np.zeros_like(s1)
    stc = _numbers(frame, "ST_conf", "table") if "ST_conf" in frame.columns else np.zeros_like(st)
    order = np.argsort(st, kind="stable")
    if max_inputs is not None:
        order = order[-int(max_inputs):]
    height = min(5.6 + max(0, len(order) - 8) * 0.4, 9.0)
    figure, ax = new_figure((10.0, height))
    y = np.arange(len(order))
    width = 0.38
    error_style = dict(ecolor=COLORS["text"], capsize=4, elinewidth=1.3, capthick=1.3)
    ax.barh(y + width / 2, s1[order], height=width, xerr=s1c[order], color=COLORS["first_order"], label="first order S1 (alone)", error_kw=error_style, zorder=3)
    ax.barh(y - width / 2, st[order], height=width, xerr=stc[order], color=COLORS["total_order"], label="total order ST (with interactions)", error_kw=error_style, zorder=3)
    right = float(np.max(np.append(st + stc, s1 + s1c)))
    left = min(0.0, float(np.min(np.append(s1 - s1c, st - stc))))
    for row, index in enumerate(order):
        ax.text(st[index] + stc[index] + 0.012 * (right - left), row - width / 2, f"{st[index]:.2f}", va="center", ha="left", fontsize=11, color=COLORS["text"])
        ax.text(s1[index] + s1c[index] + 0.012 * (right - left), row + width / 2, f"{s1[index]:.2f}", va="center", ha="left", fontsize=11, color=COLORS["text"])
    labels = frame["label"] if "label" in frame.columns else frame["input"].map(input_label)
    ax.set_yticks(y, [labels[i] for i in order])
    ax.tick_params(axis="y", length=0)
    ax.set_xlim(left - 0.02 * (right - left), right + 0.12 * (right - left))
    ax.axvline(0.0, color=COLORS["base"], linewidth=1.0)
    ax.grid(axis="x")
    ax.spines["left"].set_visible(False)
    estimator = "eFAST" if method == "fast" else "Sobol'"
    ax.set_xlabel(f"Share of the variance of {input_label(output)} ({estimator} index, 0-1)")
    _title(ax, title or f"{estimator} indices: which inputs drive the variance of {input_label(output)}",
           f"bars: estimate; whiskers: {conf_level:.0%} confidence interval" + (f"; {note}" if note else ""))
    figure.legend(loc="outside lower center", ncol=2)
    return figure


_MEASURE_LABELS = {
    "delta": ("Borgonovo δ (moment-independent, 0-1)", "delta_conf"),
    "S1": ("first-order index S1 (0-1)", "S1_conf"),
    "ST": ("total-order index ST (0-1)", "ST_conf"),
    "median": ("PAWN: median KS distance over slices (0-1)", None),
    "mu_star": ("Morris μ* (mean |elementary effect|)", "mu_star_conf"),
}


@styled
def sensitivity_bars(table, measure: str, *, output: str = "roq", title: str | None = None, method: str | None = None):
    """One sensitivity measure per input as sorted bars (delta, PAWN, ...), with its interval.

    Parameters
    ----------
    table : DataFrame
        One row per input with columns ``input`` and ``measure`` and, if present,
        ``<measure>_conf`` (confidence half-width); for PAWN's ``median`` the ``minimum``
        and ``maximum`` columns give the whiskers.
    measure : str
        Column to chart ("delta", "median", "S1", "ST", "mu_star").
    output, title, method
        Labels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    frame = _frame(table, "table", ["input", measure])
    values = _numbers(frame, measure, "table")
    label, conf_column = _MEASURE_LABELS.get(measure, (measure, f"{measure}_conf"))
    lower = upper = None
    if conf_column and conf_column in frame.columns:
        lower = upper = _numbers(frame, conf_column, "table")
    elif measure == "median" and {"minimum", "maximum"} <= set(frame.columns):
        lower = values - _numbers(frame, "minimum", "table")
        upper = _numbers(frame, "maximum", "table") - values
    order = np.argsort(values, kind="stable")
    height = min(5.6 + max(0, len(order) - 8) * 0.35, 9.0)
    figure, ax = new_figure((10.0, height))
    y = np.arange(len(order))
    xerr = None if lower is None else np.vstack([lower[order], upper[order]])
    ax.barh(y, values[order], height=0.6, xerr=xerr, color=COLORS["main"], zorder=3,
            error_kw=dict(ecolor=COLORS["text"], capsize=4, elinewidth=1.3, capthick=1.3))
    right = float(np.max(values + (upper if upper is not None else 0)))
    for row, index in enumerate(order):
        end = values[index] + (upper[index] if upper is not None else 0)
        ax.text(end + 0.012 * right, row, f"{values[index]:.2f}", va="center", ha="left", fontsize=11, color=COLORS["text"])
    ax.set_yticks(y, [input_label(frame.at[i, "input"]) for i in order])
    ax.tick_params(axis="y", length=0)
    ax.set_xlim(min(0.0, float(values.min())), right * 1.12 if right > 0 else 1.0)
    ax.grid(axis="x")
    ax.spines["left"].set_visible(False)
    ax.set_xlabel(label)
    whiskers = "whiskers: confidence interval" if conf_column and conf_column in frame.columns else ("whiskers: min-max over slices" if lower is not None else None)
    method_name = {"pawn": "PAWN", "delta": "Borgonovo δ", "fast": "eFAST", "sobol": "Sobol'", "morris": "Morris"}.get(method or "", method or measure)
    _title(ax, title or f"{method_name} sensitivity of {input_label(output)}", whiskers)
    return figure


@styled
def second_order_heatmap(table, *, output: str = "roq", title: str | None = None):
    """Second-order Sobol' indices S2 (pairwise interaction shares) as a triangular heatmap.

    Parameters
    ----------
    table : DataFrame
        Pairs with columns ``input_1``, ``input_2``, ``S2`` (optional ``S2_conf``) - the
        ``second_order`` table of a Sobol' ``SensitivityResult``; or a square DataFrame
        indexed and columned by input names.
    output : str
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Cell (row i, column j) shows S2 of inputs i and j, with its confidence half-width
        when given. Small negative values are estimation noise (true S2 >= 0).
    """
    if isinstance(table, pd.DataFrame) and list(table.index) == list(table.columns) and "S2" not in table.columns:
        names = [str(n) for n in table.index]
        matrix = table.to_numpy(dtype=float)
        conf = None
    else:
        frame = _frame(table, "table", ["input_1", "input_2", "S2"])
        names = list(dict.fromkeys(list(frame["input_1"]) + list(frame["input_2"])))
        index = {n: i for i, n in enumerate(names)}
        matrix = np.full((len(names), len(names)), np.nan)
        conf = np.full_like(matrix, np.nan) if "S2_conf" in frame.columns else None
        for _, row in frame.iterrows():
            i, j = sorted((index[row["input_1"]], index[row["input_2"]]))
            matrix[i, j] = float(row["S2"])
            if conf is not None:
                conf[i, j] = float(row["S2_conf"])
    n = len(names)
    if n < 2:
        raise RoqInputError("table", "needs at least two inputs for pairwise indices")
    # rows: inputs 1..n-1, columns: inputs 2..n -> upper triangle without the empty diagonal
    shown = matrix[: n - 1, 1:]
    conf_shown = None if conf is None else conf[: n - 1, 1:]
    finite = shown[np.isfinite(shown)]
    reach = max(float(np.max(np.abs(finite))) if finite.size else 0.0, 0.01)
    from matplotlib import colormaps
    from matplotlib.colors import Normalize, TwoSlopeNorm

    cmap = colormaps[DIVERGING_COLORMAP].with_extremes(bad="white")
    norm = Normalize(-reach, reach)
    size = (10.0, 5.6) if n <= 6 else (10.0, 7.5)
    figure, ax = new_figure(size)
    image = ax.imshow(np.ma.masked_invalid(shown), cmap=cmap, norm=norm, aspect="auto")
    fontsize = 12 if n <= 6 else (10.5 if n <= 9 else 9)
    for i in range(n - 1):
        for j in range(n - 1):
            value = shown[i, j]
            if not np.isfinite(value):
                continue
            text = _signed(0.0 if abs(value) < 5e-4 else value, 3)  # no "-0.000"
            if conf_shown is not None and np.isfinite(conf_shown[i, j]) and n <= 7:
                text += f"\n±{conf_shown[i, j]:.3f}"
            colour = "white" if _luminance(cmap(norm(value))) < 0.45 else COLORS["text"]
            ax.text(j, i, text, ha="center", va="center", fontsize=fontsize, color=colour)
    ax.set_xticks(np.arange(n - 1), [input_label(x) for x in names[1:]], rotation=30, ha="right", rotation_mode="anchor")
    ax.set_yticks(np.arange(n - 1), [input_label(x) for x in names[:-1]])
    ax.tick_params(length=0)
    ax.set_xlabel("Interacting with")
    ax.set_ylabel("Input")
    for spine in ax.spines.values():
        spine.set_visible(False)
    colorbar = figure.colorbar(image, ax=ax, shrink=0.9, pad=0.02)
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    colorbar.locator = MaxNLocator(5, symmetric=True)
    colorbar.formatter = FuncFormatter(lambda v, _: _signed(v, max(0, 1 - int(math.floor(math.log10(reach))))) if v else "0")
    colorbar.update_ticks()
    colorbar.set_label(f"S2: share of {input_label(output)} variance (0-1)")
    _title(ax, title or f"Second-order Sobol' indices: pairwise interactions on {input_label(output)}",
           "± confidence half-width; near 0: the pair does not interact")
    return figure


@styled
def morris_scatter(table, *, output: str = "roq", title: str | None = None, output_unit: str = "ratio", conf_level: float = 0.95,
                   colors: Mapping | None = None):
    """Morris screening: mu* (overall influence) against sigma (non-linearity / interactions).

    Parameters
    ----------
    table : DataFrame
        One row per input with columns ``input``, ``mu_star``, ``sigma`` and optionally
        ``mu_star_conf`` - the table of a Morris ``SensitivityResult``.
    output : str
    title : str, optional
    output_unit : str
        Unit of the output (elementary effects are output changes per step of an input
        between quantiles of its distribution).
    conf_level : float
        Level of ``mu_star_conf`` (subtitle).
    colors : mapping, optional
        Colour per input name (see :func:`input_colors`), to match other charts.

    Returns
    -------
    matplotlib.figure.Figure
        Reference lines sigma / mu* = 0.1, 0.5 and 1.0 separate (almost) linear, monotonic
        and non-linear or interacting effects (Garcia Sanchez et al. 2014).

    Notes
    -----
    Morris, M. D. (1991), Technometrics 33, 161-174; mu* of Campolongo, Cariboni &
    Saltelli (2007), Environ. Model. Softw. 22, 1509-1518; the sigma/mu* bands of Garcia
    Sanchez, D., Lacarriere, B., Musy, M. & Bourges, B. (2014), Energy and Buildings 68,
    741-750.
    """
    frame = _frame(table, "table", ["input", "mu_star", "sigma"])
    mu = _numbers(frame, "mu_star", "table")
    sigma = _numbers(frame, "sigma", "table")
    conf = _numbers(frame, "mu_star_conf", "table") if "mu_star_conf" in frame.columns else None
    figure, ax = new_figure()
    x_top = max(float(np.max(mu + (conf if conf is not None else 0))), 1e-12) * 1.15
    # sigma axis sized to the data (small sigma: almost linear effects, shown as such, not
    # squashed at the bottom of an axis to the sigma/mu* = 0.5 line)
    y_top = max(float(np.max(sigma)) * 1.3, 1e-3 * x_top, 1e-12)
    ax.set_xlim(0, x_top)
    ax.set_ylim(0, y_top)
    xs = np.linspace(0, x_top, 50)
    for ratio, style in ((0.1, ":"), (0.5, "-."), (1.0, "--")):
        ax.plot(xs, ratio * xs, color=COLORS["muted"], linestyle=style, linewidth=1.2, zorder=1)
        end = min(x_top, y_top / ratio)
        if end < 0.15 * x_top:  # the line leaves the (data-sized) axes near the origin: no room for a label
            continue
        # the label sits on its line where no point is near (in axes fractions)
        for fraction in (0.96, 0.8, 0.64, 0.48, 0.32):
            x_text = end * fraction
            # distance from the label's middle (it extends left of and above its anchor)
            near = np.hypot((mu - x_text) / x_top + 0.07, (sigma - ratio * x_text) / y_top - 0.025)
            if near.min() > 0.1:
                break
        ax.text(x_text, ratio * x_text, f"σ/μ* = {ratio:g}", ha="right", va="bottom", fontsize=11, color=COLORS["muted"])
    colors = _input_colors(frame["input"], colors)
    if conf is not None:
        ax.errorbar(mu, sigma, xerr=conf, fmt="none", ecolor=COLORS["muted"], elinewidth=1.2, capsize=3, zorder=2)
    ax.scatter(mu, sigma, s=70, c=colors, edgecolors="white", linewidths=0.8, zorder=3)
    ax.grid(True)
    ax.set_xlabel(f"μ*: mean |elementary effect| on {input_label(output)} ({output_unit})")
    ax.set_ylabel(f"σ: spread of effects ({output_unit})")
    _title(ax, title or f"Morris screening: influence on {input_label(output)}",
           "right: more influential; up: non-linear or interacting" + (f"; whiskers: {conf_level:.0%} CI of μ*" if conf is not None else "")
           + ("; every σ/μ* < 0.1: almost linear effects" if np.all(sigma < 0.1 * np.maximum(mu, 1e-300)) else ""))
    labels = list(frame["label"]) if "label" in frame.columns else [input_label(n) for n in frame["input"]]
    whiskers = [(m - c, v, m + c, v) for m, c, v in zip(mu, conf, sigma)] if conf is not None else []
    _place_labels(figure, ax, mu, sigma, labels, obstacles=whiskers)
    return figure


# --------------------------------------------------------------------------- Monte Carlo


def roq_histogram(samples, *, bins: int = 50, threshold: float | None = 1.0, clip_percentiles=None, weights=None) -> pd.DataFrame:
    """Histogram of Monte Carlo output samples, with ``threshold`` on a bin edge.

    Parameters
    ----------
    samples : array_like
        Output values (e.g. ROQ of each scenario); NaN are ignored.
    bins : int
        Approximate number of bins over the plotted range.
    threshold : float, optional
        A value that must be a bin edge (ROQ = 1), so the bars split exactly there.
    clip_percentiles : (float, float), optional
        Values outside these percentiles fall into the first/last bin (so one extreme
        scenario does not squash the chart); the bins' ``count`` still adds up to all.
        Default: the full range, unless it is more than three times the P0.1..P99.9
        range, in which case those percentiles are used.
    weights : array_like, optional
        A count per value (e.g. the buckets of a streaming quantile sketch).

    Returns
    -------
    DataFrame
        ``bin_low, bin_high, count`` (one row per bin), the input of
        :func:`roq_distribution_chart`; ``.attrs`` holds ``n``, ``mean`` and
        ``probability_above`` (the share of samples above ``threshold``).

    Examples
    --------
    >>> table = roq_histogram([0.5, 1.5, 2.5, 3.5], bins=3)
    >>> float(table["count"].sum()), table.attrs["probability_above"]
    (4.0, 0.75)
    """
    values = np.asarray(samples, dtype=float).reshape(-1)
    counts = np.ones_like(values) if weights is None else np.asarray(weights, dtype=float).reshape(-1)
    if counts.shape != values.shape:
        raise RoqInputError("weights", f"must have one count per sample ({values.size}), got {counts.size}")
    keep = np.isfinite(values) & (counts > 0)
    values, counts = values[keep], counts[keep]
    if values.size == 0:
        raise RoqInputError("samples", "has no finite values")
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 2:
        raise RoqInputError("bins", f"must be a whole number >= 2, got {bins!r}")
    order = np.argsort(values, kind="stable")
    values, counts = values[order], counts[order]
    cumulative = np.cumsum(counts) / counts.sum()

    def percentile(q):
        return float(values[min(int(np.searchsorted(cumulative, q / 100.0, side="left")), values.size - 1)])

    if clip_percentiles is None:
        low, high = float(values[0]), float(values[-1])
        central_low, central_high = percentile(0.1), percentile(99.9)
        if high - low > 3.0 * max(central_high - central_low, 1e-300):
            low, high = central_low, central_high
    else:
        low, high = percentile(clip_percentiles[0]), percentile(clip_percentiles[1])
    edges = _histogram_edges(low, high, bins, threshold)
    clipped = np.clip(values, edges[0], np.nextafter(edges[-1], -np.inf))
    binned, _ = np.histogram(clipped, edges, weights=counts)
    if np.all(binned == np.round(binned)):
        binned = binned.astype(np.int64)
    frame = pd.DataFrame({"bin_low": edges[:-1], "bin_high": edges[1:], "count": binned})
    total = float(counts.sum())
    frame.attrs["n"] = int(round(total))
    frame.attrs["mean"] = float(np.sum(values * counts) / total)
    if threshold is not None:
        frame.attrs["probability_above"] = float(counts[values > threshold].sum() / total)
    return frame


def _histogram_edges(low: float, high: float, bins: int, threshold: float | None) -> np.ndarray:
    """About ``bins`` equal-width bin edges covering low..high, with ``threshold`` on an edge."""
    if high <= low:
        low, high = low - 0.5, high + 0.5
    width = (high - low) / bins
    anchor = threshold if threshold is not None else low
    start = anchor + math.floor((low - anchor) / width) * width
    count = max(int(math.ceil((high - start) / width - 1e-9)), 1)
    edges = start + width * np.arange(count + 1)
    if threshold is not None:  # the threshold edge exactly (start + k * width can drift by rounding)
        k = int(round((threshold - start) / width))
        if 0 <= k <= count:
            edges[k] = threshold
    return edges


@styled
def roq_distribution_chart(histogram, *, probability_above: float | None = None, threshold="auto", output: str = "roq",
                           statistics: Mapping | None = None, title: str | None = None, currency: str = "IDR"):
    """Distribution of a Monte Carlo output: histogram and cumulative distribution side by side.

    Parameters
    ----------
    histogram : DataFrame
        ``bin_low, bin_high, count`` (see :func:`roq_histogram`); ``count`` may be any
        non-negative weights (shares are computed from their total).
    probability_above : float, optional
        P(output > threshold) to print; default from ``histogram.attrs`` or the bins.
    threshold : float, None or "auto"
        Break-even line (ROQ = 1 for ``roq``).
    output : str
    statistics : mapping, optional
        Figures printed in the box, e.g. ``{"mean": 3.6, "P5": 2.1, "P95": 5.2}``.
    title : str, optional
    currency : str

    Returns
    -------
    matplotlib.figure.Figure
        Left: share of scenarios per bin (bins below the break-even in vermillion);
        right: cumulative probability with P(output <= threshold) marked.
    """
    frame = _frame(histogram, "histogram", ["bin_low", "bin_high", "count"])
    low = _numbers(frame, "bin_low", "histogram")
    high = _numbers(frame, "bin_high", "histogram")
    counts = _numbers(frame, "count", "histogram")
    if (counts < 0).any() or counts.sum() <= 0:
        raise RoqInputError("histogram", "counts must be non-negative with a positive total")
    share = counts / counts.sum()
    axis = _Axis(output, np.concatenate([low, high]), currency)
    limit = axis.threshold if threshold == "auto" else threshold
    attrs = getattr(histogram, "attrs", {}) or {}
    if probability_above is None and limit is not None:
        probability_above = attrs.get("probability_above")
        if probability_above is None:  # from the bins (exact when the threshold is a bin edge)
            whole = share[low >= limit].sum()
            partial = share[(low < limit) & (high > limit)]
            cut = ((high - limit) / (high - low))[(low < limit) & (high > limit)]
            probability_above = float(whole + np.sum(partial * cut))
    figure, (left, right) = new_figure(ncols=2, gridspec_kw={"width_ratios": [1.35, 1.0]})
    x_low, x_high = axis.scaled(low), axis.scaled(high)
    colors = [COLORS["negative"] if limit is not None and h <= limit + 1e-12 else COLORS["main"] for h in high]
    left.bar(x_low, share, width=x_high - x_low, align="edge", color=colors, edgecolor="white", linewidth=0.4, zorder=3)
    band = dict(statistics or {})
    if "P5" in band and "P95" in band:  # the central 90% of scenarios, shaded behind the bars
        p5, p95 = axis.scaled(float(band["P5"])), axis.scaled(float(band["P95"]))
        for ax in (left, right):
            ax.axvspan(p5, p95, color=OKABE_ITO["sky_blue"], alpha=0.16, linewidth=0, zorder=1)
        left.text((p5 + p95) / 2, 0.0, "P5–P95", transform=left.get_xaxis_transform(), ha="center", va="bottom", fontsize=10.5,
                  color=COLORS["main"], zorder=6)
    cdf = np.cumsum(share)
    # piecewise linear through the bin edges (exact at every edge, including the threshold)
    right.plot(np.append(x_low[0], x_high), np.append(0.0, cdf), color=COLORS["main"], linewidth=2.6, zorder=3)
    for ax in (left, right):
        ax.xaxis.set_major_formatter(axis.formatter())
        ax.yaxis.set_major_formatter(_percent_ticks())
        ax.grid(axis="y")
        ax.set_xlabel(axis.short + (f" ({axis.label.rsplit('(', 1)[1]}" if "(" in axis.label else ""))
    left.set_ylabel("Share of scenarios (%)")
    right.set_ylabel("Cumulative probability (%)")
    right.set_ylim(0, 1.02)
    if limit is not None:
        scaled_limit = limit / axis.divisor
        for ax in (left, right):
            lo, hi = ax.get_xlim()
            ax.set_xlim(min(lo, scaled_limit - 0.03 * (hi - lo)), max(hi, scaled_limit + 0.03 * (hi - lo)))
            _threshold_line(ax, scaled_limit, vertical=True, label=f"{axis.short} = {limit:g}" if ax is left else None)
        if probability_above is not None:
            below = 1.0 - probability_above
            right.plot([scaled_limit], [below], marker="o", color=COLORS["negative"], markersize=8, zorder=5)
            # text right of the threshold, halfway up the part of the curve above the marker: the curve
            # is then furthest to the right of it (it only climbs to the right of the threshold)
            height = below + 0.5 * (1.0 - below) if below < 0.75 else below - 0.35
            lo, hi = right.get_xlim()
            right.annotate(f"P({axis.short} ≤ {limit:g}) =\n{_probability(below, attrs.get('n'))}", (scaled_limit, below),
                           xytext=(scaled_limit + 0.03 * (hi - lo), height), textcoords="data", fontsize=11.5, color=COLORS["negative"],
                           ha="left", va="center", bbox=dict(boxstyle="round,pad=0.25", facecolor="white", edgecolor="none", alpha=0.9),
                           arrowprops=dict(arrowstyle="-", color=COLORS["negative"], lw=1.0, shrinkA=0, shrinkB=5), zorder=6)
    lines = []
    if probability_above is not None and limit is not None:
        lines.append(f"P({axis.short} > {limit:g}) = {_probability(probability_above, attrs.get('n'))}")
    stats_items = dict(statistics or {})
    if not stats_items and "mean" in attrs:
        stats_items["mean"] = attrs["mean"]
    for key, value in stats_items.items():
        lines.append(f"{key} = {axis.text(float(value))}")
    if "n" in attrs:
        lines.append(f"{attrs['n']:,} scenarios")
    if lines:
        left.text(0.98, 0.97, "\n".join(lines), transform=left.transAxes, ha="right", va="top", fontsize=12,
                  bbox=dict(boxstyle="round,pad=0.4", facecolor="white", edgecolor=COLORS["grid"], alpha=0.95), zorder=8)
    left.set_ylim(0, float(share.max()) * (1.45 if lines else 1.1))
    _title(left, title or f"Monte Carlo distribution of {_inline(axis.short)}")
    return figure


@styled
def fan_chart(table, *, output: str = "market_share", title: str | None = None, base=None, comparison=None,
              comparison_label: str = "without programme (median)", year_label: str = "Year of the programme (years after year 0)"):
    """Fan chart: percentile bands of a yearly output (e.g. market share) over the horizon.

    Parameters
    ----------
    table : DataFrame
        One row per year: column ``year`` and percentile columns named ``P<q>`` (e.g.
        ``P5, P25, P50, P75, P95``; any symmetric pairs around ``P50``). Values in the
        output's units (shares as fractions).
    output : str
        Output name for labels (shares are shown in %).
    title : str, optional
    base : array_like, optional
        Deterministic base-case path (one value per year), drawn as a dashed line.
    comparison : array_like, optional
        Another path to compare (e.g. the median without the programme).
    comparison_label : str
    year_label : str

    Returns
    -------
    matplotlib.figure.Figure
        Darker bands are the central percentile ranges; the line is the median.

    Notes
    -----
    The fan chart of Britton, Fisher & Whitley (1998), "The Inflation Report projections:
    understanding the fan chart", Bank of England Quarterly Bulletin 38(1), 30-37, here
    with empirical Monte Carlo percentiles.
    """
    frame = _frame(table, "table", ["year"])
    percentiles = sorted((float(m.group(1)), c) for c in frame.columns if (m := re.fullmatch(r"[Pp](\d+(?:\.\d+)?)", str(c))))
    if not percentiles:
        raise RoqInputError("table", "needs percentile columns named P<q> (e.g. P5, P50, P95)")
    years = _numbers(frame, "year", "table")
    columns = {q: _numbers(frame, c, "table") for q, c in percentiles}
    values = np.concatenate(list(columns.values()))
    axis = _Axis(output, values, label="Market share (%)" if output == "market_share" else None)
    if output == "market_share":
        axis.percent, axis.short = True, "Market share"
    figure, ax = new_figure()
    pairs = sorted((q, 100 - q) for q, _ in percentiles if q < 50 and (100 - q) in columns)
    # at most three bands, clearly different shades: the 90%, 80% and 50% ranges (or the outer,
    # middle and inner of what the table holds), each named at the right end of the fan
    if len(pairs) > 3:
        pairs = [pairs[0], pairs[len(pairs) // 2 - (0 if len(pairs) % 2 else 1)], pairs[-1]]
    shades = [OKABE_ITO["sky_blue"], OKABE_ITO["sky_blue"], COLORS["main"]][-len(pairs):] if pairs else []
    alphas = [0.22, 0.5, 0.45][-len(pairs):] if pairs else []
    band_ends = []
    for (q_low, q_high), colour, alpha in zip(pairs, shades, alphas):  # outermost first
        ax.fill_between(years, axis.scaled(columns[q_low]), axis.scaled(columns[q_high]), color=colour, alpha=alpha, linewidth=0, zorder=2)
        band_ends.append((float(years[-1]), float(axis.scaled(columns[q_high][-1])), f"P{q_low:g}–P{q_high:g}", COLORS["main"]))
    if 50.0 in columns:
        ax.plot(years, axis.scaled(columns[50.0]), color=COLORS["main"], linewidth=2.8, marker="o", label="median (P50)", zorder=4)
    if base is not None:
        ax.plot(years, axis.scaled(np.asarray(base, dtype=float)), color=COLORS["text"], linestyle="--", linewidth=2.0, label="base case", zorder=5)
    if comparison is not None:
        ax.plot(years, axis.scaled(np.asarray(comparison, dtype=float)), color=COLORS["accent"], linestyle="-.", linewidth=2.2,
                marker="s", label=comparison_label, zorder=4)
    ax.set_xticks(years, [f"{y:g}" for y in years])
    ax.set_xlim(years[0] - 0.15, years[-1] + 0.15)
    ax.yaxis.set_major_formatter(axis.formatter())
    ax.grid(axis="y")
    ax.set_xlabel(year_label)
    ax.set_ylabel(axis.label)
    if comparison is not None:  # both paths on one axis from 0 (without a comparison: zoomed on the fan, bands readable)
        lowest = min([float(np.min(v)) for v in columns.values()] + [float(np.min(comparison))])
        ax.set_ylim(bottom=min(0.0, axis.scaled(lowest)) if lowest >= 0 else None)
    low, high = ax.get_ylim()
    _title(ax, title or f"{axis.short} with the programme, by year",
           "shaded: Monte Carlo percentile bands (named at the right); line: median" + ("" if comparison is not None else
           "; without the programme: see the with / without chart"))
    _label_line_ends(ax, band_ends, span=(low, high), fontsize=11)
    figure.legend(loc="outside lower center", ncol=len(ax.get_legend_handles_labels()[0]))
    return figure


# --------------------------------------------------------------------------- deterministic sweeps


@styled
def two_way_heatmap(table, x: str, y: str, *, value: str = "roq", threshold="auto", base_point=None,
                    title: str | None = None, currency: str = "IDR"):
    """Two-way sweep: the output over a grid of two inputs, with the break-even contour.

    Parameters
    ----------
    table : DataFrame
        Long form, one row per grid point, with columns ``x``, ``y`` (the two inputs'
        values) and ``value`` (the output there).
    x, y : str
        Column (input) names on the horizontal and vertical axes.
    value : str
        Output column (``"roq"``).
    threshold : float, None or "auto"
        Contour drawn and labelled (ROQ = 1 for ``roq``).
    base_point : (float, float), optional
        The base case, marked with a cross.
    title, currency

    Returns
    -------
    matplotlib.figure.Figure
        Colours diverge at the threshold (red: below break-even, blue: above).
    """
    frame = _frame(table, "table", [x, y, value])
    grid = frame.pivot_table(index=y, columns=x, values=value, aggfunc="mean").sort_index().sort_index(axis=1)
    xs = grid.columns.to_numpy(dtype=float)
    ys = grid.index.to_numpy(dtype=float)
    values = grid.to_numpy(dtype=float)
    if len(xs) < 2 or len(ys) < 2:
        raise RoqInputError("table", f"needs at least 2 distinct values of {x} and of {y}")
    axis = _Axis(value, values, currency)
    limit = axis.threshold if threshold == "auto" else threshold
    finite = values[np.isfinite(values)]
    v_min, v_max = float(finite.min()), float(finite.max())
    crosses = limit is not None and v_min < limit < v_max
    levels, colours = _diverging_levels(v_min, v_max, limit)
    from matplotlib.colors import BoundaryNorm, ListedColormap

    cmap = ListedColormap(colours)
    norm = BoundaryNorm(levels, cmap.N)
    x_format, x_label, x_div = _value_formatter(x, xs, currency)
    y_format, y_label, y_div = _value_formatter(y, ys, currency)
    figure, ax = new_figure()
    # filled contours between even levels (smooth band edges, no stepped cells)
    filled = ax.contourf(xs / x_div, ys / y_div, values, levels=levels, cmap=cmap, norm=norm, extend="neither")
    colorbar = figure.colorbar(filled, ax=ax, pad=0.02, ticks=levels, spacing="uniform")
    colorbar.ax.yaxis.set_major_formatter(axis.formatter())
    colorbar.set_label(axis.label if len(axis.label) < 30 else f"{axis.short} (ratio)")
    if crosses:
        contour = ax.contour(xs / x_div, ys / y_div, values, levels=[limit], colors=COLORS["threshold"], linewidths=2.4, linestyles="--")
        ax.clabel(contour, fmt={limit: f"{axis.short} = {limit:g}"}, fontsize=12, inline=True, inline_spacing=6)
        colorbar.ax.axhline(limit, color=COLORS["threshold"], linewidth=2.5, linestyle="--")
    if base_point is not None:
        ax.plot(base_point[0] / x_div, base_point[1] / y_div, marker="X", markersize=13, color="white", markeredgecolor=COLORS["text"],
                markeredgewidth=1.5, linestyle="none", zorder=6)
        ax.annotate("base", (base_point[0] / x_div, base_point[1] / y_div), xytext=(10, 8), textcoords="offset points", fontsize=12,
                    color=COLORS["text"], bbox=dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor="none", alpha=0.8))
    ax.xaxis.set_major_formatter(x_format)
    ax.yaxis.set_major_formatter(y_format)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    side = None if limit is None or crosses else f"every point is {'above' if v_min >= limit else 'below'} the break-even {axis.short} = {limit:g}"
    _title(ax, title or f"{axis.short} over {input_label(x).lower()} and {input_label(y).lower()}",
           f"dashed contour: break-even ({axis.short} = {limit:g}); red below, blue above, in even steps either side" if crosses else side)
    return figure


def _diverging_levels(v_min: float, v_max: float, centre: float | None, steps: int = 5):
    """Contour levels in even steps on each side of ``centre`` and one colour per band.

    Each side gets round, evenly spaced levels of its own (ROQ 0.8-1 in steps of 0.05,
    1-4.5 in steps of 0.5, say) and its own half of ColorBrewer RdBu, starting at a clear
    tint rather than white, so the band just above break-even reads as blue and the band
    just below as red; without a centre inside the range, one side's colours only.
    """
    from matplotlib import colormaps
    from matplotlib.ticker import MaxNLocator

    cmap = colormaps[DIVERGING_COLORMAP]

    def even(low, high):
        """Round, evenly spaced levels from the last one at or below ``low`` to the first at or above ``high``."""
        ticks = MaxNLocator(steps, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)
        tol = 1e-9 * max(abs(high - low), 1e-300)
        first = ticks[ticks <= low + tol].max(initial=ticks.min())
        last = ticks[ticks >= high - tol].min(initial=ticks.max())
        return ticks[(ticks >= first) & (ticks <= last)]

    if centre is not None and v_min < centre < v_max:
        below, above = even(v_min, centre), even(centre, v_max)
        below = np.append(below[below < centre - 1e-12], centre)
        above = np.insert(above[above > centre + 1e-12], 0, centre)
        levels = np.concatenate([below, above[1:]])
        n_below, n_above = len(below) - 1, len(above) - 1
        colours = [cmap(0.04 + 0.32 * (k / max(n_below - 1, 1))) for k in range(n_below)]
        colours += [cmap(0.64 + 0.32 * (k / max(n_above - 1, 1))) for k in range(n_above)]
        return levels, colours
    if v_max <= v_min:
        v_min, v_max = v_min - 0.5, v_max + 0.5
    levels = even(v_min, v_max)
    n = len(levels) - 1
    positions = [0.64 + 0.32 * k / max(n - 1, 1) for k in range(n)] if centre is None or v_min >= centre else [0.04 + 0.32 * k / max(n - 1, 1) for k in range(n)]
    return levels, [cmap(q) for q in positions]


@styled
def discount_rate_curve(table, *, breakeven: float | None = None, base_rate: float | None = None, output: str = "roq", title: str | None = None):
    """The output against the discount rate (the case study's ROQ-vs-i curve).

    Parameters
    ----------
    table : DataFrame
        Columns ``discount_rate`` (fraction per year) and ``output`` (e.g. ``roq``).
    breakeven : float, optional
        Discount rate at which ROQ = 1, marked.
    base_rate : float, optional
        The base case's rate, marked.
    output, title

    Returns
    -------
    matplotlib.figure.Figure
        The base rate is marked with its ROQ; the break-even rate where the curve crosses
        ROQ = 1 (Rust, Zahorik & Keiningham 1995: the programme pays while ROQ > 1).

    Examples
    --------
    Singgih's case as published: ROQ 3.72 at the paper's 20% discount rate.

    >>> from simulator.roq.casestudy import case_study_parameters
    >>> from simulator.uncertainty.sweeps import discount_curve
    >>> figure = discount_rate_curve(discount_curve(case_study_parameters()), base_rate=0.20)
    >>> [t.get_text() for t in figure.axes[0].texts if t.get_text().startswith("base")]
    ['base i = 20%: 3.72']
    """
    frame = _frame(table, "table", ["discount_rate", output])
    rates = _numbers(frame, "discount_rate", "table")
    values = _numbers(frame, output, "table")
    order = np.argsort(rates)
    axis = _Axis(output, values)
    figure, ax = new_figure()
    ax.plot(rates[order], axis.scaled(values[order]), color=COLORS["main"], linewidth=2.6, zorder=3, label=axis.short)
    if axis.threshold is not None:
        ax.axhline(axis.threshold / axis.divisor, color=COLORS["threshold"], linestyle="--", linewidth=1.6, zorder=4)
        ax.text(0.01, axis.threshold / axis.divisor, f" {axis.short} = {axis.threshold:g} (break-even)", transform=ax.get_yaxis_transform(),
                ha="left", va="bottom", fontsize=11.5, color=COLORS["threshold"])
    if breakeven is not None and math.isfinite(breakeven) and rates.min() <= breakeven <= rates.max():
        ax.plot([breakeven], [axis.threshold or 0], marker="o", markersize=10, color=COLORS["accent"], zorder=5)
        ax.annotate(f"break-even i = {format_percent(breakeven, 1)}", (breakeven, axis.threshold or 0), xytext=(0, 36),
                    textcoords="offset points", ha="center", fontsize=12, color=COLORS["accent"],
                    bbox=dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor="none"),
                    arrowprops=dict(arrowstyle="-", color=COLORS["accent"], lw=1.0))
    if base_rate is not None:
        base_value = float(np.interp(base_rate, rates[order], values[order]))
        ax.plot([base_rate], [axis.scaled(base_value)], marker="D", markersize=9, color=COLORS["base"], zorder=5)
        ax.annotate(f"base i = {format_percent(base_rate)}: {axis.text(base_value)}", (base_rate, axis.scaled(base_value)), xytext=(10, 8),
                    textcoords="offset points", fontsize=12, color=COLORS["base"])
    ax.xaxis.set_major_formatter(_percent_ticks())
    ax.yaxis.set_major_formatter(axis.formatter())
    ax.grid(True)
    ax.set_xlabel("Discount rate i (% per year)")
    ax.set_ylabel(axis.label if len(axis.label) < 34 else f"{axis.short} (ratio)")
    _title(ax, title or f"{axis.short} against the discount rate")
    return figure


# --------------------------------------------------------------------------- survey


_QUADRANT_COLORS = {"I": OKABE_ITO["vermillion"], "II": OKABE_ITO["bluish_green"], "III": OKABE_ITO["sky_blue"], "IV": OKABE_ITO["orange"]}
_QUADRANT_NAMES = {"I": "I  Concentrate here", "II": "II  Keep up the good work", "III": "III  Low priority", "IV": "IV  Possible overkill"}


@styled
def ipa_quadrant_chart(table, *, importance_cut: float | None = None, performance_cut: float | None = None,
                       scale=(1, 5), title: str | None = None):
    """Importance-Performance Analysis quadrant plot (Martilla & James 1977).

    Parameters
    ----------
    table : DataFrame
        One row per item with columns ``item``, ``importance``, ``performance`` (mean
        scores) and optionally ``quadrant`` ("I".."IV"). Column names are matched
        case-insensitively, so ``ImportancePerformance.to_frame()`` works as it is.
    importance_cut, performance_cut : float, optional
        Split lines; default the means of the item means (as in
        :func:`simulator.survey.importance_performance`).
    scale : (int, int)
        The Likert scale (axis label).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Performance across, importance up; I (top left) = concentrate here, II (top
        right) = keep up the good work, III = low priority, IV = possible overkill.
    """
    if isinstance(table, pd.DataFrame):
        table = table.rename(columns={c: str(c).lower() for c in table.columns})
    frame = _frame(table, "table", ["item", "importance", "performance"])
    importance = _numbers(frame, "importance", "table")
    performance = _numbers(frame, "performance", "table")
    i_cut = float(importance.mean()) if importance_cut is None else float(importance_cut)
    p_cut = float(performance.mean()) if performance_cut is None else float(performance_cut)
    if "quadrant" in frame.columns:
        quadrants = [str(q) for q in frame["quadrant"]]
    else:
        quadrants = [("II" if p >= p_cut else "I") if i >= i_cut else ("IV" if p >= p_cut else "III") for i, p in zip(importance, performance)]
    figure, ax = new_figure()
    x_pad = 0.12 * max(np.ptp(performance), 0.2)
    y_pad = 0.12 * max(np.ptp(importance), 0.2)
    x_lim = (min(performance.min(), p_cut) - x_pad, max(performance.max(), p_cut) + x_pad)
    y_lim = (min(importance.min(), i_cut) - y_pad, max(importance.max(), i_cut) + y_pad * 2.2)
    ax.set_xlim(*x_lim)
    ax.set_ylim(*y_lim)
    ax.axvline(p_cut, color=COLORS["base"], linewidth=1.4, zorder=1)
    ax.axhline(i_cut, color=COLORS["base"], linewidth=1.4, zorder=1)
    corners = {"I": (0.01, 0.985, "left"), "II": (0.99, 0.985, "right"), "III": (0.01, 0.015, "left"), "IV": (0.99, 0.015, "right")}
    for quadrant, (cx, cy, ha) in corners.items():
        ax.text(cx, cy, _QUADRANT_NAMES[quadrant], transform=ax.transAxes, ha=ha, va="top" if cy > 0.5 else "bottom",
                fontsize=12.5, fontweight="bold", color=_QUADRANT_COLORS[quadrant], zorder=2)
    for quadrant in _QUADRANT_NAMES:
        mask = np.array([q == quadrant for q in quadrants])
        if mask.any():
            ax.scatter(performance[mask], importance[mask], s=80, color=_QUADRANT_COLORS[quadrant], edgecolors="white", linewidths=0.8,
                       marker={"I": "o", "II": "s", "III": "^", "IV": "D"}[quadrant], zorder=4)
    ax.text(p_cut, 0.0, f" mean {p_cut:.2f}", transform=ax.get_xaxis_transform(), ha="left", va="bottom", fontsize=10.5, color=COLORS["base"])
    ax.text(1.0, i_cut, f"mean {i_cut:.2f} ", transform=ax.get_yaxis_transform(), ha="right", va="bottom", fontsize=10.5, color=COLORS["base"])
    ax.set_xlabel(f"Performance (mean score, {scale[0]}–{scale[1]} scale)")
    ax.set_ylabel(f"Importance (mean score, {scale[0]}–{scale[1]})")
    _title(ax, title or "Importance-Performance Analysis", "items placed by mean scores; lines at the grand means")
    labels = [str(v) for v in frame["label"]] if "label" in frame.columns else [str(v) for v in frame["item"]]
    _place_labels(figure, ax, performance, importance, labels, fontsize=11)
    return figure


@styled
def servqual_gap_chart(table, *, gap_name: str = "Gap 5", overall_gap: float | None = None, title: str | None = None,
                       observed: str = "perception", reference: str = "expectation"):
    """SERVQUAL gap bars per item, coloured by dimension, the worst gap marked.

    Parameters
    ----------
    table : DataFrame
        One row per item with columns ``item`` and ``gap`` (observed - reference, scale
        points) and optionally ``dimension``. Column names are matched
        case-insensitively, so ``ServqualGaps.to_frame()`` works as it is.
    gap_name : str
        "Gap 5" (perception - expectation) or "Gap 1" (management - customers).
    overall_gap : float, optional
        Mean gap over all items, drawn as a line; default the mean of the item gaps.
    title : str, optional
    observed, reference : str
        Words for the axis label.

    Returns
    -------
    matplotlib.figure.Figure
        Negative bars: the service falls short of expectations (Parasuraman, Zeithaml &
        Berry 1988); the most negative item is priority 1.
    """
    if isinstance(table, pd.DataFrame):
        table = table.rename(columns={c: str(c).lower() for c in table.columns})
    frame = _frame(table, "table", ["item", "gap"])
    gaps = _numbers(frame, "gap", "table")
    overall = float(gaps.mean()) if overall_gap is None else float(overall_gap)
    dimensions = [str(d) for d in frame["dimension"]] if "dimension" in frame.columns else None
    figure, ax = new_figure()
    x = np.arange(len(frame))
    if dimensions is not None:
        names = list(dict.fromkeys(dimensions))
        palette = {d: SEQUENCE[k % len(SEQUENCE)] for k, d in enumerate(names)}
        colors = [palette[d] for d in dimensions]
    else:
        colors = [COLORS["negative"] if g < 0 else COLORS["positive"] for g in gaps]
    ax.bar(x, gaps, color=colors, width=0.72, zorder=3)
    low = min(0.0, float(gaps.min()))
    high = max(0.0, float(gaps.max()))
    span = max(high - low, 0.1)
    for xi, gap in zip(x, gaps):
        ax.text(xi, gap + (-0.015 if gap < 0 else 0.015) * span, _signed(gap), ha="center", va="top" if gap < 0 else "bottom",
                fontsize=9 if len(frame) > 16 else 11, color=COLORS["text"], rotation=90 if len(frame) > 24 else 0,
                bbox=dict(boxstyle="square,pad=0.05", facecolor="white", edgecolor="none", alpha=0.85), zorder=5)
    worst = int(np.argmin(gaps))
    ax.annotate("priority 1", (x[worst], gaps[worst] - 0.1 * span), xytext=(0, -6), textcoords="offset points", ha="center", va="top",
                fontsize=11.5, fontweight="bold", color=COLORS["text"])
    ax.axhline(0.0, color=COLORS["text"], linewidth=1.0, zorder=2)
    ax.axhline(overall, color=COLORS["muted"], linestyle="--", linewidth=1.6, zorder=2)
    ax.set_ylim(low - 0.25 * span, high + 0.12 * span)
    ax.set_xlim(-0.7, len(frame) - 0.3)
    ax.set_xticks(x, [str(v) for v in frame["item"]])
    ax.tick_params(axis="x", length=0)
    ax.grid(axis="y")
    ax.set_xlabel("Item")
    ax.set_ylabel(f"{gap_name}: {observed} − {reference}\n(scale points)")
    _title(ax, title or f"SERVQUAL {gap_name} per item", "below zero: service falls short of what customers expect")
    if dimensions is not None:
        from matplotlib.patches import Patch

        handles = [Patch(color=palette[d], label=d.capitalize()) for d in names]
    else:
        handles = []
    from matplotlib.lines import Line2D

    handles.append(Line2D([], [], color=COLORS["muted"], linestyle="--", linewidth=1.6, label=f"mean gap {_signed(overall)}"))
    figure.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 6), fontsize=11.5, handlelength=1.4,
                  columnspacing=1.3, handletextpad=0.5)
    return figure
