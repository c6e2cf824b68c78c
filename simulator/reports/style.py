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
    "format_halfwidth",
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


def format_halfwidth(value: float) -> str:
    """A confidence half-width of a probability as a percentage with two significant digits,
    so a tiny one does not read as zero: 7.3e-06 -> "0.00073%", 0.012 -> "1.2%"."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{100 * value:.2g}%" if value > 0 else "0%"


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


# --------------------------------------------------------------------------- units of table cells

#: The one rule for fractions: every share, rate and probability is stored as a fraction
#: (0.2) and shown as a percentage (20%); this sentence is printed on the report's Contents.
FRACTION_RULE = "Shares, rates and probabilities are stored as fractions (0.2) and shown as percentages (20%)."

#: Currency symbols for number formats and axis labels (the code is used when not listed).
CURRENCY_SYMBOLS = {"IDR": "Rp", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}

#: Unit kinds of table cells and what the header says about each ("" for plain integers).
UNIT_TEXT = {"percent": "%", "ratio": "ratio", "index": "index 0-1", "count": "customers", "integer": "", "years": "years",
             "number": "", "score": "scale points", "text": ""}

_INDEX_COLUMNS = {"S1", "ST", "S2", "S1_conf", "ST_conf", "S2_conf", "delta", "delta_conf", "rank_correlation", "src", "srrc",
                  "median", "minimum", "maximum", "mean_ks", "r_squared"}
_PERCENT_COLUMNS = {"probability", "probability_ci95_halfwidth", "P_above_threshold", "P_above_ci95_halfwidth", "cumulative",
                    "change", "contribution_to_variance", "share", "relative_swing"}
_INTEGER_COLUMNS = {"samples", "count", "year", "rank", "scenarios", "n", "items"}


def currency_symbol(currency: str | None) -> str:
    """Symbol shown before money: "IDR" -> "Rp" (unlisted codes are shown as they are)."""
    currency = (currency or "IDR").strip()
    return CURRENCY_SYMBOLS.get(currency.upper(), currency)


def value_unit(name: str) -> str:
    """Unit kind of a model input or output, or of a result-table column.

    One of "percent" (a fraction shown as %), "money", "ratio" (ROQ), "index" (a
    sensitivity index, 0-1), "count" (customers), "integer", "years", "score" or
    "number". Inputs and outputs follow :data:`simulator.roq.MODEL_INPUTS` /
    ``MODEL_OUTPUTS`` ("fraction" -> percent, "currency" -> money).

    Examples
    --------
    >>> [value_unit(n) for n in ("roq", "npv_gain", "final_market_share", "churn", "margin", "S1", "samples")]
    ['ratio', 'money', 'percent', 'percent', 'money', 'index', 'integer']
    """
    from ..roq import MODEL_OUTPUTS

    name = str(name)
    if name in ("roq", "roq_net", "mu", "mu_star", "sigma", "mu_star_conf") or name.startswith("roq_"):
        return "ratio"
    if name in _INDEX_COLUMNS or name.endswith("_index"):
        return "index"
    if name in _PERCENT_COLUMNS or name.startswith("share") or name.endswith("_share"):
        return "percent"
    if name in _INTEGER_COLUMNS or name.endswith("_count"):
        return "integer"
    if name.startswith("npv") or name.endswith("_cost") or name in ("cost", "margin"):
        return "money"
    spec = MODEL_OUTPUTS.get(name)
    if spec is not None:
        unit = str(getattr(spec, "unit", spec)).lower()
        if "currency" in unit:
            return "money"
        if "fraction" in unit:
            return "percent"
        if "customers" in unit:
            return "count"
        return "number"
    kind = input_unit(name)
    if kind != "number":
        return kind
    if "share" in name or "retention" in name or "rate" in name:
        return "percent"
    return "number"


def unit_text(unit: str, currency: str | None = "IDR") -> str:
    """What a header says about a unit kind: percent -> "%", money -> "Rp", ratio -> "ratio"."""
    if unit == "money":
        return currency_symbol(currency)
    return UNIT_TEXT.get(unit, "")


def excel_number_format(unit: str, currency: str | None = "IDR", *, value=None) -> str:
    """Excel number format of a unit kind.

    Money with thousands separators and the currency symbol (``"Rp" #,##0``), fractions
    as percentages with two decimals, ROQ ratios with three, sensitivity indices with
    three, customers with thousands separators, whole numbers without decimals; plain
    numbers with up to four decimals.
    """
    if unit == "money":
        symbol = currency_symbol(currency).replace('"', "")
        return f'"{symbol}" #,##0;-"{symbol}" #,##0'
    if unit == "percent":
        return "0.00%"
    if unit in ("ratio", "index"):
        return "0.000"
    if unit == "count":
        return "#,##0"
    if unit in ("integer", "years"):
        return "0"
    if unit == "score":
        return "0.00"
    return "#,##0.00##"


# --------------------------------------------------------------------------- naming cases

#: The published case studies, by their seed number, as a reader knows them.
PUBLICATIONS = {
    0: "Kurniawan, Integrated Partnership Model of an Indonesian insurer (PT Asuransi LMN)",
    1: "Singgih (ITS Surabaya), Return-on-Quality case study of an insurer",
    2: "Pole, Isharyani & Widada (Universitas Mulawarman), claims-service SERVQUAL / CSI",
    3: "Dewita (Universitas Diponegoro), JP Bonding customer-loyalty regression",
    4: "Assagaff (2014, Universitas Diponegoro), Manulife customer-loyalty SEM",
}


#: The same, short, for chart subtitles.
SHORT_PUBLICATIONS = {
    0: "Kurniawan, insurer partnership model",
    1: "Singgih, ROQ case study of an insurer",
    2: "Pole, Isharyani & Widada, claims-service SERVQUAL",
    3: "Dewita, JP Bonding loyalty regression",
    4: "Assagaff (2014), Manulife loyalty SEM",
}


def case_name(name: str | None, *, short: bool = False) -> str:
    """A scenario name as a reader knows the case: its publication, never a file number.

    Examples
    --------
    >>> case_name("Seed 001 - ROQ recursion with uncertain growth, churn, margin and discount rate")
    'Singgih (ITS Surabaya), Return-on-Quality case study of an insurer: ROQ recursion with uncertain growth, churn, margin and discount rate'
    >>> case_name("Seed 001 - ROQ recursion with uncertain growth", short=True)
    'Singgih, ROQ case study of an insurer (recursion scenario)'
    >>> case_name("My plan")
    'My plan'
    """
    import re

    text = str(name or "scenario")
    match = re.match(r"\s*seed[\s_-]*0*(\d+)\s*[-:,]?\s*(.*)$", text, flags=re.IGNORECASE)
    if match and int(match.group(1)) in PUBLICATIONS:
        rest = match.group(2).strip()
        if short:
            return SHORT_PUBLICATIONS[int(match.group(1))] + (" (recursion scenario)" if "recursion" in rest.lower() else "")
        return PUBLICATIONS[int(match.group(1))] + (f": {rest}" if rest else "")
    return text if not short or len(text) <= 60 else text[:57].rstrip() + "..."
