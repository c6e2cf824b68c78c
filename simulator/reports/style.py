"""One look for every chart: Okabe-Ito colours, slide-sized figures, units on every axis.

The palette is Okabe & Ito's (2008) eight colours, which stay distinguishable under the
common colour-vision deficiencies; heatmaps use ColorBrewer's ``RdBu`` (diverging, around
the ROQ = 1 break-even) or ``cividis`` (sequential), both colour-blind safe. Figures are
10 x 5.6 inches (a 16:9 slide) with fonts sized so that they stay readable when the image
fills most of a slide.

This module imports no matplotlib at import time: the engine must stay importable where
matplotlib is missing (xlwings Lite). :func:`styled` applies the style only while a chart
is being drawn, so a notebook user's own matplotlib settings are left alone.
"""

from __future__ import annotations

import functools
import math
from typing import Callable

__all__ = [
    "OKABE_ITO",
    "COLORS",
    "SEQUENCE",
    "FIGURE_SIZE",
    "DEFAULT_DPI",
    "RC_PARAMS",
    "DIVERGING_COLORMAP",
    "SEQUENTIAL_COLORMAP",
    "styled",
    "new_figure",
    "input_label",
    "input_unit",
    "format_input_value",
    "money_scale",
    "format_money",
    "format_percent",
]

#: Okabe & Ito (2008), "Color Universal Design": the colour-blind-safe qualitative palette.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: What each colour means, the same in every chart.
COLORS = {
    "low": OKABE_ITO["blue"],  # input at its low value / first-order index
    "high": OKABE_ITO["orange"],  # input at its high value / total-order index
    "first_order": OKABE_ITO["blue"],
    "total_order": OKABE_ITO["orange"],
    "main": OKABE_ITO["blue"],
    "accent": OKABE_ITO["vermillion"],
    "positive": OKABE_ITO["bluish_green"],
    "negative": OKABE_ITO["vermillion"],
    "threshold": OKABE_ITO["black"],  # the ROQ = 1 break-even
    "base": "#555555",  # the base case
    "grid": "#D9D9D9",
    "text": "#222222",
    "muted": "#8C8C8C",
}

#: Order in which series take colours (yellow last: weakest contrast on white).
SEQUENCE = [
    OKABE_ITO["blue"],
    OKABE_ITO["orange"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["black"],
    OKABE_ITO["yellow"],
]

#: Width x height in inches: a 16:9 slide.
FIGURE_SIZE = (10.0, 5.6)
#: Raster resolution used unless told otherwise (1500 x 840 pixels for a full figure).
DEFAULT_DPI = 150
#: Colour maps (ColorBrewer RdBu around a threshold; cividis for magnitudes).
DIVERGING_COLORMAP = "RdBu"
SEQUENTIAL_COLORMAP = "cividis"

#: matplotlib settings applied while drawing (see :func:`styled`).
RC_PARAMS = {
    "font.family": "DejaVu Sans",
    "font.size": 13,
    "axes.titlesize": 17,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlepad": 12,
    "axes.labelsize": 14,
    "axes.labelcolor": COLORS["text"],
    "axes.edgecolor": "#444444",
    "axes.linewidth": 1.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "axes.axisbelow": True,
    "axes.prop_cycle": None,  # filled in by _rc() (needs matplotlib's cycler)
    "grid.color": COLORS["grid"],
    "grid.linewidth": 0.8,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "xtick.color": COLORS["text"],
    "ytick.color": COLORS["text"],
    "legend.fontsize": 12,
    "legend.frameon": False,
    "figure.titlesize": 18,
    "figure.titleweight": "bold",
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "lines.linewidth": 2.2,
    "patch.linewidth": 0.0,
    "svg.fonttype": "none",  # SVG text stays text (editable in slide software)
    "pdf.fonttype": 42,  # TrueType in PDFs (editable, no Type 3 fonts)
}


def _rc() -> dict:
    from cycler import cycler

    params = dict(RC_PARAMS)
    params["axes.prop_cycle"] = cycler(color=SEQUENCE)
    return params


def styled(function: Callable) -> Callable:
    """Decorator: draw inside ``matplotlib.rc_context`` with :data:`RC_PARAMS`."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        import matplotlib

        with matplotlib.rc_context(_rc()):
            return function(*args, **kwargs)

    return wrapper


def new_figure(size=None, **subplot_kw):
    """A new figure, not registered with pyplot (no global state, no GUI backend).

    ``matplotlib.figure.Figure`` renders through the Agg canvas (PNG) or the vector
    backends (SVG, PDF) chosen by the file suffix at save time, so no interactive backend
    is ever needed; pyplot's figure manager is never touched, which keeps this safe in
    servers and threads.

    Parameters
    ----------
    size : (float, float), optional
        Inches; default :data:`FIGURE_SIZE`.
    **subplot_kw
        Passed to ``Figure.subplots`` (``nrows``, ``ncols``, ``gridspec_kw``, ...).

    Returns
    -------
    (Figure, Axes or array of Axes)
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=size or FIGURE_SIZE, layout="constrained")
    axes = figure.subplots(**subplot_kw)
    return figure, axes


# --------------------------------------------------------------------------- labels and units

#: Short names for model inputs (the description in MODEL_INPUTS is too long for an axis).
_SHORT_LABELS = {
    "market_size": "Market size N0",
    "market_growth": "Market growth",
    "churn": "Market churn",
    "competitor_retention": "Competitors' retention",
    "attraction": "Attraction",
    "initial_share": "Initial market share",
    "retention": "Retention with programme",
    "baseline_retention": "Retention without programme",
    "satisfied_share": "Satisfied share",
    "delighted_share": "Delighted share",
    "repurchase_dissatisfied": "Repurchase, dissatisfied",
    "repurchase_satisfied": "Repurchase, satisfied",
    "repurchase_delighted": "Repurchase, delighted",
    "baseline_market_share": "Share without programme",
    "margin": "Margin per customer",
    "discount_rate": "Discount rate",
    "initial_cost": "Initial programme cost",
    "annual_cost": "Annual programme cost",
    "horizon": "Horizon",
    "roq": "ROQ",
    "roq_net": "Net ROQ",
    "npv_gain": "NPV gain",
    "npv_net": "Net NPV",
    "final_market_share": "Final market share",
}


def input_label(name: str) -> str:
    """A short human label for a model input or output name ("discount_rate" -> "Discount rate")."""
    name = str(name)
    if name in _SHORT_LABELS:
        return _SHORT_LABELS[name]
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def input_unit(name: str) -> str:
    """Unit kind of a model input: "percent", "money", "count", "years" or "number".

    Read from :data:`simulator.roq.MODEL_INPUTS` ("fraction..." -> percent, "currency..."
    -> money); unknown names are plain numbers.
    """
    from ..roq import MODEL_INPUTS

    spec = MODEL_INPUTS.get(str(name))
    if spec is None:
        return "number"
    unit = spec.unit.lower()
    if unit.startswith("fraction"):
        return "percent"
    if unit.startswith("currency"):
        return "money"
    if unit.startswith("customers"):
        return "count"
    if unit.startswith("years"):
        return "years"
    return "number"


def format_percent(value: float, decimals: int | None = None) -> str:
    """A fraction as a percentage: 0.2 -> "20%", 0.0302 -> "3.02%"."""
    if value is None or not math.isfinite(value):
        return "n/a"
    percent = value * 100.0
    if decimals is None:
        magnitude = abs(percent)
        decimals = 0 if magnitude >= 10 or percent == round(percent) else (1 if magnitude >= 1 else 2)
        if decimals and round(percent, decimals) == round(percent):
            decimals = 0
    return f"{percent:.{decimals}f}%"


#: (divisor, short suffix, long word) for money, from large to small.
_MONEY_SCALES = ((1e12, "tn", "trillion"), (1e9, "bn", "billion"), (1e6, "M", "million"), (1e3, "k", "thousand"))


def money_scale(largest: float) -> tuple[float, str]:
    """Divisor and word for an axis of money: 2.6e9 -> (1e9, "billion")."""
    largest = abs(float(largest)) if largest is not None and math.isfinite(largest) else 0.0
    for divisor, _, word in _MONEY_SCALES:
        if largest >= divisor:
            return divisor, word
    return 1.0, ""


def format_money(value: float, currency: str = "IDR") -> str:
    """Money with a short scale word: 2.65e9 -> "IDR 2.65 bn", 250000 -> "IDR 250 k"."""
    if value is None or not math.isfinite(value):
        return "n/a"
    for divisor, suffix, _ in _MONEY_SCALES:
        if abs(value) >= divisor:
            return f"{currency} {_significant(value / divisor)} {suffix}"
    return f"{currency} {_significant(value)}"


def _significant(value: float, digits: int = 3) -> str:
    if value == 0:
        return "0"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(value)))))
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_input_value(name: str, value: float, currency: str = "IDR") -> str:
    """An input value in its unit: discount_rate 0.2 -> "20%", margin 250000 -> "IDR 250 k"."""
    if value is None or not math.isfinite(float(value)):
        return "n/a"
    kind = input_unit(name)
    if kind == "percent":
        return format_percent(float(value))
    if kind == "money":
        return format_money(float(value), currency)
    if kind == "count":
        for divisor, suffix, _ in _MONEY_SCALES:
            if abs(value) >= divisor:
                return f"{_significant(value / divisor)} {suffix}"
        return _significant(float(value))
    if kind == "years":
        return f"{float(value):g} y"
    return _significant(float(value))
