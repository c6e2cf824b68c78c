"""Excel functions for survey and service-quality analytics (SERVQUAL, CSI, IPA, psychometrics).

Thin wrappers over :mod:`simulator.survey`: each reads its cells, calls one engine function
and shapes the result (see :mod:`addin._cells`). Every name starts with ``SQ_``.

Survey ranges hold respondents in rows and items in columns; a blank cell is an unanswered
question (left out), never a zero, and a 0 is an answer outside the 1..k scale (an error).
Functions that accept item means or answers (SERVQUAL, CSI, IPA) read a single row or
column as item means and a block of at least 2 x 2 cells as answers. Indices (CSI,
conformity, WF) are in percent, as the papers print them (CSI 79.55 means 79.55%).
"""

from __future__ import annotations

import xlwings as xw

from simulator import survey
from simulator.errors import RoqInputError

from ._cells import _rows, arg, boolean, choice, excel_function, integer, key_values, labels, matrix, means_or_answers, number, range_converter, table, text, vector

CATEGORY = "ROQ toolkit - Survey and service quality"

_ANSWERS = "Answers, respondents in rows and items in columns (blank = unanswered, never 0)."
_SCALE_MIN = "Lowest answer on the scale (default 1)."
_SCALE_MAX = "Highest answer on the scale (default 5)."
_ITEMS = "Optional item labels, one per item (default 1, 2, ...)."
_DIMENSIONS = "Optional: each item's dimension (e.g. tangibles, reliability), one label per item."
_MEANS_OR_ANSWERS = "item means (one row or column) or answers (respondents x items block; blanks are unanswered)"


# --------------------------------------------------------------------------- sample and items


@xw.func(category=CATEGORY)
@arg("population", number, "Population size N; Pole et al.'s case: 70 claimants.")
@arg("margin_of_error", number, "Tolerated error e as a fraction (default 5%).")
@excel_function
def SQ_SLOVIN(population, margin_of_error=0.05):
    """Slovin's minimum sample size n = N / (1 + N e^2), rounded up to whole respondents (Pole et al.'s case: 60)."""
    return survey.slovin_sample_size(population, margin_of_error).rounded_up


@xw.func(category=CATEGORY)
@arg("population", number, "Population size N; Pole et al.'s case: 70 claimants.")
@arg("margin_of_error", number, "Tolerated error e as a fraction (default 5%).")
@excel_function
def SQ_SLOVIN_EXACT(population, margin_of_error=0.05):
    """Slovin's n = N / (1 + N e^2) before rounding up (Pole et al.'s case: 59.57)."""
    return survey.slovin_sample_size(population, margin_of_error).exact


@xw.func(category=CATEGORY)
@arg("n", integer, "Number of respondents (at least 3); Pole et al.'s pretest: 30.")
@arg("alpha", number, "Two-tailed significance level (default 5%).")
@excel_function
def SQ_R_CRITICAL(n, alpha=0.05):
    """Critical Pearson r ('r tabel'), two-tailed, df = n - 2: an item is valid when its r exceeds it (n=30: 0.361)."""
    return survey.critical_r(n, alpha)


@xw.func(category=CATEGORY)
@arg("responses", matrix, _ANSWERS)
@arg("items", labels, _ITEMS)
@arg("scale_min", integer, _SCALE_MIN)
@arg("scale_max", integer, _SCALE_MAX)
@excel_function
def SQ_ITEM_STATS(responses, items=None, scale_min=1, scale_max=5):
    """Item statistics from raw answers: spills Item | N valid | N missing | Mean | SD | Count per category."""
    return survey.item_statistics(responses, scale_min=scale_min, scale_max=scale_max, items=items)


@xw.func(category=CATEGORY)
@arg("responses", matrix, _ANSWERS + " Respondents with a blank are left out (listwise).")
@arg("alpha", number, "Two-tailed significance level of the critical r (default 5%).")
@arg("basis", choice(*survey.VALIDITY_BASES), "Which r decides: corrected (item vs other items, default) or uncorrected.")
@arg("items", labels, _ITEMS)
@arg("scale_min", integer, _SCALE_MIN)
@arg("scale_max", integer, _SCALE_MAX)
@excel_function
def SQ_VALIDITY(responses, alpha=0.05, basis="corrected", items=None, scale_min=1, scale_max=5):
    """Item validity: spills Item | r item-total | r corrected | r critical | Verdict (valid when r > r critical)."""
    return survey.item_validity(responses, alpha=alpha, basis=basis, scale_min=scale_min, scale_max=scale_max, items=items)


@xw.func(category=CATEGORY)
@arg("responses", matrix, _ANSWERS + " At least 2 items.")
@arg("missing", choice(*survey.MISSING_POLICIES), "listwise (default, as SPSS: drop respondents with a blank) or pairwise.")
@arg("scale_min", integer, _SCALE_MIN)
@arg("scale_max", integer, _SCALE_MAX)
@excel_function
def SQ_ALPHA(responses, missing="listwise", scale_min=1, scale_max=5):
    """Cronbach's alpha = k/(k-1) (1 - sum of item variances / variance of the total); reliable when > 0.60."""
    return survey.cronbach_alpha(responses, missing=missing, scale_min=scale_min, scale_max=scale_max).alpha


@xw.func(category=CATEGORY)
@arg("responses", matrix, _ANSWERS + " At least 2 items.")
@arg("missing", choice(*survey.MISSING_POLICIES), "listwise (default, as SPSS: drop respondents with a blank) or pairwise.")
@arg("threshold", number, "Alpha above which the scale is reliable (default 0.60).")
@arg("items", labels, _ITEMS)
@arg("scale_min", integer, _SCALE_MIN)
@arg("scale_max", integer, _SCALE_MAX)
@excel_function
def SQ_ALPHA_TABLE(responses, missing="listwise", threshold=0.6, items=None, scale_min=1, scale_max=5):
    """Cronbach's alpha item-total statistics: spills Item | Scale mean/variance if deleted | Corrected r | Alpha if deleted."""
    return survey.cronbach_alpha(
        responses, missing=missing, threshold=threshold, scale_min=scale_min, scale_max=scale_max, items=items
    )


@xw.func(category=CATEGORY)
@arg("responses", matrix, _ANSWERS + " At least 2 items.")
@arg("missing", choice(*survey.MISSING_POLICIES), "listwise (default, as SPSS: drop respondents with a blank) or pairwise.")
@arg("threshold", number, "Alpha above which the scale is reliable (default 0.60).")
@arg("scale_min", integer, _SCALE_MIN)
@arg("scale_max", integer, _SCALE_MAX)
@excel_function
def SQ_ALPHA_VERDICT(responses, missing="listwise", threshold=0.6, scale_min=1, scale_max=5):
    """Reliability verdict of Cronbach's alpha against the threshold: 'reliable' or 'not reliable'."""
    return survey.cronbach_alpha(responses, missing=missing, threshold=threshold, scale_min=scale_min, scale_max=scale_max).verdict


# --------------------------------------------------------------------------- method of successive intervals


@xw.func(category=CATEGORY)
@arg("counts", vector, "How many answers fell in each category, lowest category first (one row or column).")
@arg("method", choice(*survey.MSI_METHODS), "standard (Hays' MSI, default) or midpoint (Singgih's variant).")
@arg("categories", vector, "Optional category values (default 1, 2, ...).")
@excel_function
def SQ_MSI(counts, method="standard", categories=None):
    """Method of Successive Intervals from answer counts: spills each category's proportion, z and interval value."""
    return survey.successive_intervals(counts, method=method, categories=categories)


@xw.func(category=CATEGORY)
@arg("responses", matrix, _ANSWERS)
@arg("method", choice(*survey.MSI_METHODS), "standard (Hays' MSI, default) or midpoint (Singgih's variant).")
@arg("pooled", boolean, "FALSE (default): one scale per item; TRUE: one scale from all items' answers.")
@arg("items", labels, _ITEMS)
@arg("scale_min", integer, _SCALE_MIN)
@arg("scale_max", integer, _SCALE_MAX)
@excel_function
def SQ_MSI_TRANSFORM(responses, method="standard", pooled=False, items=None, scale_min=1, scale_max=5):
    """Ordinal answers to interval values by MSI: spills the transformed answers under a row of item labels."""
    return survey.msi_transform(responses, method=method, pooled=pooled, scale_min=scale_min, scale_max=scale_max, items=items)


# --------------------------------------------------------------------------- SERVQUAL


@xw.func(category=CATEGORY)
@arg("perception", means_or_answers, f"Perception: {_MEANS_OR_ANSWERS}.")
@arg("expectation", means_or_answers, f"Expectation: {_MEANS_OR_ANSWERS}; same items as perception.")
@arg("scale_min", integer, _SCALE_MIN)
@arg("scale_max", integer, _SCALE_MAX)
@excel_function
def SQ_GAP5(perception, expectation, scale_min=1, scale_max=5):
    """SERVQUAL gap 5 overall: mean over items of perception - expectation (Pole et al.'s case: -0.41)."""
    return survey.servqual_gap5(perception, expectation, scale_min=scale_min, scale_max=scale_max).overall_gap


@xw.func(category=CATEGORY)
@arg("perception", means_or_answers, f"Perception: {_MEANS_OR_ANSWERS}.")
@arg("expectation", means_or_answers, f"Expectation: {_MEANS_OR_ANSWERS}; same items as perception.")
@arg("dimensions", labels, _DIMENSIONS)
@arg("items", labels, _ITEMS)
@arg("scale_min", integer, _SCALE_MIN)
@arg("scale_max", integer, _SCALE_MAX)
@excel_function
def SQ_GAP5_ITEMS(perception, expectation, dimensions=None, items=None, scale_min=1, scale_max=5):
    """SERVQUAL gap 5 per item: spills Item | (Dimension) | Perception | Expectation | Gap | Priority (1 = most negative gap)."""
    return survey.servqual_gap5(perception, expectation, dimensions=dimensions, items=items, scale_min=scale_min, scale_max=scale_max)


@xw.func(category=CATEGORY)
@arg("perception", means_or_answers, f"Perception: {_MEANS_OR_ANSWERS}.")
@arg("expectation", means_or_answers, f"Expectation: {_MEANS_OR_ANSWERS}; same items as perception.")
@arg("dimensions", labels, "Each item's dimension (e.g. tangibles, reliability), one label per item.")
@arg("scale_min", integer, _SCALE_MIN)
@arg("scale_max", integer, _SCALE_MAX)
@excel_function
def SQ_GAP5_DIMENSIONS(perception, expectation, dimensions, scale_min=1, scale_max=5):
    """SERVQUAL gap 5 per dimension (mean of its items' gaps): spills Dimension | Items | Perception | Expectation | Gap | Priority."""
    return survey.servqual_gap5(
        perception, expectation, dimensions=dimensions, scale_min=scale_min, scale_max=scale_max
    ).dimension_frame()


@xw.func(category=CATEGORY)
@arg("management", means_or_answers, "Management's perception of customer expectations: item scores (one row or column) or managers x items.")
@arg("expectation", means_or_answers, f"Customers' expectation: {_MEANS_OR_ANSWERS}.")
@arg("scale_min", integer, _SCALE_MIN)
@arg("scale_max", integer, _SCALE_MAX)
@excel_function
def SQ_GAP1(management, expectation, scale_min=1, scale_max=5):
    """SERVQUAL gap 1 overall: mean of management's perception - customer expectation (Pole et al.'s case: 0.42)."""
    return survey.servqual_gap1(management, expectation, scale_min=scale_min, scale_max=scale_max).overall_gap


@xw.func(category=CATEGORY)
@arg("management", means_or_answers, "Management's perception of customer expectations: item scores (one row or column) or managers x items.")
@arg("expectation", means_or_answers, f"Customers' expectation: {_MEANS_OR_ANSWERS}.")
@arg("dimensions", labels, _DIMENSIONS)
@arg("items", labels, _ITEMS)
@arg("scale_min", integer, _SCALE_MIN)
@arg("scale_max", integer, _SCALE_MAX)
@excel_function
def SQ_GAP1_ITEMS(management, expectation, dimensions=None, items=None, scale_min=1, scale_max=5):
    """SERVQUAL gap 1 per item: spills Item | (Dimension) | Management | Expectation | Gap | Priority."""
    return survey.servqual_gap1(management, expectation, dimensions=dimensions, items=items, scale_min=scale_min, scale_max=scale_max)


@xw.func(category=CATEGORY)
@arg("management", means_or_answers, "Management's perception of customer expectations: item scores (one row or column) or managers x items.")
@arg("expectation", means_or_answers, f"Customers' expectation: {_MEANS_OR_ANSWERS}.")
@arg("dimensions", labels, "Each item's dimension (e.g. tangibles, reliability), one label per item.")
@arg("scale_min", integer, _SCALE_MIN)
@arg("scale_max", integer, _SCALE_MAX)
@excel_function
def SQ_GAP1_DIMENSIONS(management, expectation, dimensions, scale_min=1, scale_max=5):
    """SERVQUAL gap 1 per dimension: spills Dimension | Items | Management | Expectation | Gap | Priority."""
    return survey.servqual_gap1(
        management, expectation, dimensions=dimensions, scale_min=scale_min, scale_max=scale_max
    ).dimension_frame()


@xw.func(category=CATEGORY)
@arg("gap2", vector, "Gap 2 (service standards) score per dimension, one row or column on the scale.")
@arg("gap3", vector, "Gap 3 (delivery vs standards) score per dimension.")
@arg("gap4", vector, "Gap 4 (communication vs delivery) score per dimension.")
@arg("dimensions", labels, "Optional dimension names (default the five SERVQUAL dimensions).")
@arg("scale_min", integer, _SCALE_MIN)
@arg("scale_max", integer, _SCALE_MAX)
@excel_function
def SQ_INTERNAL_GAPS(gap2, gap3, gap4, dimensions=None, scale_min=1, scale_max=5):
    """SERVQUAL gaps 2-4 as scored by internal respondents: spills Dimension | Gap 2 | Gap 3 | Gap 4."""
    names = survey.SERVQUAL_DIMENSIONS if dimensions is None else dimensions
    return survey.servqual_internal_gaps(gap2, gap3, gap4, dimensions=names, scale_min=scale_min, scale_max=scale_max)


@xw.func(category=CATEGORY)
@arg("gap2", matrix, "Internal respondents' answers on service standards (gap 2): respondents in rows, items in columns.")
@arg("gap3", matrix, "Answers on delivery against the standards (gap 3), the same items.")
@arg("gap4", matrix, "Answers on communication against delivery (gap 4), the same items.")
@arg("dimensions", labels, "Optional: each item's dimension, one label per column (default: the columns are the five SERVQUAL dimensions).")
@arg("scale_min", integer, _SCALE_MIN)
@arg("scale_max", integer, _SCALE_MAX)
@excel_function
def SQ_INTERNAL_GAPS_ANSWERS(gap2, gap3, gap4, dimensions=None, scale_min=1, scale_max=5):
    """SERVQUAL gaps 2-4 from internal respondents' answers (mean per dimension, blanks left out): spills Dimension | Gap 2 | Gap 3 | Gap 4."""
    return survey.servqual_internal_gaps_from_answers(gap2, gap3, gap4, dimensions=dimensions, scale_min=scale_min, scale_max=scale_max)


@xw.func(category=CATEGORY)
@arg("perception", means_or_answers, f"Perception: {_MEANS_OR_ANSWERS}.")
@arg("expectation", means_or_answers, f"Expectation: {_MEANS_OR_ANSWERS}.")
@arg("weights", means_or_answers, "Importance points per dimension summing to 100 (in order of first appearance), or respondents x dimensions.")
@arg("dimensions", labels, "Each item's dimension, one label per item.")
@arg("convention", choice(*survey.WEIGHTING_CONVENTIONS), "weighted_of_means (default) or mean_of_weighted (per respondent; needs answers).")
@arg("scale_min", integer, _SCALE_MIN)
@arg("scale_max", integer, _SCALE_MAX)
@excel_function
def SQ_WEIGHTED_SERVQUAL(perception, expectation, weights, dimensions, convention="weighted_of_means", scale_min=1, scale_max=5):
    """Weighted SERVQUAL gap = sum of weight x dimension gap / 100 (Zeithaml, Parasuraman & Berry 1990)."""
    return survey.weighted_servqual(
        perception, expectation, weights, dimensions=dimensions, convention=convention, scale_min=scale_min, scale_max=scale_max
    ).weighted_gap


@xw.func(category=CATEGORY)
@arg("perception", means_or_answers, f"Perception: {_MEANS_OR_ANSWERS}.")
@arg("expectation", means_or_answers, f"Expectation: {_MEANS_OR_ANSWERS}.")
@arg("weights", means_or_answers, "Importance points per dimension summing to 100 (in order of first appearance), or respondents x dimensions.")
@arg("dimensions", labels, "Each item's dimension, one label per item.")
@arg("convention", choice(*survey.WEIGHTING_CONVENTIONS), "weighted_of_means (default) or mean_of_weighted (per respondent; needs answers).")
@arg("scale_min", integer, _SCALE_MIN)
@arg("scale_max", integer, _SCALE_MAX)
@excel_function
def SQ_WEIGHTED_SERVQUAL_TABLE(perception, expectation, weights, dimensions, convention="weighted_of_means", scale_min=1, scale_max=5):
    """Weighted SERVQUAL per dimension: spills Dimension | Weight | Gap | Weighted gap | Priority."""
    return survey.weighted_servqual(
        perception, expectation, weights, dimensions=dimensions, convention=convention, scale_min=scale_min, scale_max=scale_max
    )


@xw.func(category=CATEGORY)
@arg("gaps", vector, "Gap scores (perception - expectation), one row or column.")
@excel_function
def SQ_PRIORITY(gaps):
    """Improvement priority of each gap (1 = most negative; ties share the better rank): spills Gap | Priority."""
    ranks = survey.priority_ranks(gaps)
    return table(["Gap", "Priority"], zip(gaps.tolist(), ranks.tolist()))


# --------------------------------------------------------------------------- CSI and IPA


@xw.func(category=CATEGORY)
@arg("importance", means_or_answers, f"Importance per item (MIS): {_MEANS_OR_ANSWERS}; Pole et al.'s case uses expectation.")
@arg("satisfaction", means_or_answers, f"Satisfaction per item (MSS): {_MEANS_OR_ANSWERS}; Pole et al.'s case uses perception.")
@arg("scale_min", integer, _SCALE_MIN)
@arg("scale_max", integer, "Highest answer on the scale, HS (default 5).")
@excel_function
def SQ_CSI(importance, satisfaction, scale_min=1, scale_max=5):
    """Customer Satisfaction Index in percent: sum of WF x MSS / HS, WF = MIS / sum(MIS) (Pole et al.'s case: 79.55)."""
    return survey.customer_satisfaction_index(importance, satisfaction, scale_min=scale_min, scale_max=scale_max).csi


@xw.func(category=CATEGORY)
@arg("importance", means_or_answers, f"Importance per item (MIS): {_MEANS_OR_ANSWERS}.")
@arg("satisfaction", means_or_answers, f"Satisfaction per item (MSS): {_MEANS_OR_ANSWERS}.")
@arg("items", labels, _ITEMS)
@arg("scale_min", integer, _SCALE_MIN)
@arg("scale_max", integer, "Highest answer on the scale, HS (default 5).")
@excel_function
def SQ_CSI_TABLE(importance, satisfaction, items=None, scale_min=1, scale_max=5):
    """The CSI worksheet: spills Item | MIS | MSS | WF (%) | WS; CSI = sum(WS) / HS."""
    return survey.customer_satisfaction_index(importance, satisfaction, items=items, scale_min=scale_min, scale_max=scale_max)


@xw.func(category=CATEGORY)
@arg("csi", number, "A CSI in percent, 0..100 (e.g. from SQ_CSI).")
@arg("language", choice("en", "id"), "en (default): English label; id: Indonesian label as in Pole et al.'s case.")
@excel_function
def SQ_CSI_BAND(csi, language="en"):
    """Interpretation of a CSI: very satisfied (>= 81), satisfied (>= 66), fairly, less, not satisfied (< 35)."""
    band = survey.csi_band(csi)
    return band.label if language == "en" else band.label_id


@xw.func(category=CATEGORY)
@arg("importance", means_or_answers, f"Importance per item: {_MEANS_OR_ANSWERS}; Pole et al.'s case uses expectation.")
@arg("performance", means_or_answers, f"Performance per item: {_MEANS_OR_ANSWERS}; Pole et al.'s case uses perception.")
@arg("importance_cut", number, "Optional split point of importance (default the mean of the item means).")
@arg("performance_cut", number, "Optional split point of performance (default the mean of the item means).")
@arg("items", labels, _ITEMS)
@arg("scale_min", integer, _SCALE_MIN)
@arg("scale_max", integer, _SCALE_MAX)
@excel_function
def SQ_IPA(importance, performance, importance_cut=None, performance_cut=None, items=None, scale_min=1, scale_max=5):
    """Importance-Performance Analysis: spills Item | Importance | Performance | Conformity (%) | Quadrant | Action."""
    return survey.importance_performance(
        importance,
        performance,
        importance_cut=importance_cut,
        performance_cut=performance_cut,
        items=items,
        scale_min=scale_min,
        scale_max=scale_max,
    )


@xw.func(category=CATEGORY)
@arg("importance", number, "Mean importance (expectation) score of the item, on the scale (as in SQ_IPA: importance first).")
@arg("performance", number, "Mean performance (satisfaction) score of the item, on the scale.")
@arg("scale_min", integer, _SCALE_MIN + " Both means must lie on the scale.")
@arg("scale_max", integer, _SCALE_MAX)
@excel_function
def SQ_CONFORMITY(importance, performance, scale_min=1, scale_max=5):
    """Conformity level (tingkat kesesuaian) = performance / importance x 100, in percent points (item 8 of Pole et al.'s case: 76.66)."""
    return survey.conformity_level(performance, importance, scale_min=scale_min, scale_max=scale_max)


# --------------------------------------------------------------------------- regression and mediation


@xw.func(category=CATEGORY)
@arg("y", vector, "Dependent variable, one column (blank rows are dropped).")
@arg("X", matrix, "Predictors, one column each, same rows as y (blank rows are dropped).")
@arg("names", labels, "Optional predictor names, one per column of X (default X1, X2, ...).")
@excel_function
def SQ_REGRESSION(y, X, names=None):
    """Multiple regression, SPSS coefficients table: spills Model | B | Std. Error | Beta | t | Sig."""
    return survey.linear_regression(y, X, names=names).coefficients_frame()


@xw.func(category=CATEGORY)
@arg("y", vector, "Dependent variable, one column (blank rows are dropped).")
@arg("X", matrix, "Predictors, one column each, same rows as y (blank rows are dropped).")
@excel_function
def SQ_REGRESSION_SUMMARY(y, X):
    """Regression model summary: spills R, R Square, Adjusted R Square, Std. Error of the Estimate, F, Sig., N."""
    fit = survey.linear_regression(y, X)
    return key_values(
        [
            ("R", fit.r),
            ("R Square", fit.r_squared),
            ("Adjusted R Square", fit.adj_r_squared),
            ("Std. Error of the Estimate", fit.se_estimate),
            ("F", fit.f_value),
            ("Sig.", fit.f_pvalue),
            ("N", fit.n_used),
            ("N dropped (blank rows)", fit.n_dropped),
        ]
    )


@xw.func(category=CATEGORY)
@arg("y", vector, "Dependent variable, one column (blank rows are dropped).")
@arg("X", matrix, "Predictors, one column each, same rows as y (blank rows are dropped).")
@excel_function
def SQ_REGRESSION_ANOVA(y, X):
    """Regression ANOVA table: spills Model | Sum of Squares | df | Mean Square | F | Sig."""
    return survey.linear_regression(y, X).anova_frame()


@xw.func(category=CATEGORY)
@arg("a", number, "Path a: effect of X on the mediator M.")
@arg("se_a", number, "Standard error of a, > 0.")
@arg("b", number, "Path b: effect of M on Y controlling for X.")
@arg("se_b", number, "Standard error of b, > 0.")
@arg("test", choice(*survey.MEDIATION_TESTS), "sobel (default), aroian (adds sa^2 sb^2 under the root) or goodman (subtracts it).")
@excel_function
def SQ_SOBEL(a, se_a, b, se_b, test="sobel"):
    """Sobel test of the indirect effect a*b: spills Test | Indirect effect | Std. Error | z | Sig. (two-tailed)."""
    return survey.sobel_test(a, se_a, b, se_b, test=test)


@xw.func(category=CATEGORY)
@arg("a", number, "Path a: effect of X on the mediator M.")
@arg("se_a", number, "Standard error of a, > 0.")
@arg("b", number, "Path b: effect of M on Y controlling for X.")
@arg("se_b", number, "Standard error of b, > 0.")
@excel_function
def SQ_MEDIATION(a, se_a, b, se_b):
    """Sobel, Aroian and Goodman tests of the indirect effect a*b in one table (z and two-tailed Sig.)."""
    return survey.mediation_tests(a, se_a, b, se_b)



@range_converter
def regression_table(value, name: str) -> dict:
    """A coefficients table as SQ_REGRESSION spills it (Model | B | Std. Error | ...) -> {predictor: (B, SE)}."""
    rows = _rows(value)
    header = [str(cell).strip().lower() if cell is not None else "" for cell in rows[0]]
    if "b" not in header or "std. error" not in header:
        raise RoqInputError(name, "must be a coefficients table as SQ_REGRESSION spills it, header Model | B | Std. Error | ...")
    b_column, se_column = header.index("b"), header.index("std. error")
    out = {}
    for i, row in enumerate(rows[1:], start=2):
        if not row or row[0] is None or str(row[0]).strip() == "" or str(row[0]).strip() == "(Constant)":
            continue
        label = str(row[0]).strip()
        b = number([[row[b_column] if b_column < len(row) else None]], f"{name}: row {i} ({label[:30]}) B")
        se = number([[row[se_column] if se_column < len(row) else None]], f"{name}: row {i} ({label[:30]}) Std. Error")
        out[label] = (b, se)
    if not out:
        raise RoqInputError(name, "has no predictor rows below its header")
    return out


regression_table.kind = "SQ_REGRESSION coefficients table"


def _path(model: dict, name: str, wanted, default_hint: str) -> tuple[str, tuple]:
    if wanted is None:
        if len(model) != 1:
            raise RoqInputError(name, f"has {len(model)} predictors; {default_hint}")
        return next(iter(model.items()))
    if wanted not in model:
        raise RoqInputError(name, f"has no predictor {wanted[:30]!r}; its predictors: {', '.join(model)[:100]}")
    return wanted, model[wanted]


@xw.func(category=CATEGORY)
@arg("model_a", regression_table, "SQ_REGRESSION result of the mediator M on X (path a): the spilled coefficients table.")
@arg("model_b", regression_table, "SQ_REGRESSION result of Y on X and M (path b): the spilled coefficients table.")
@arg("x_name", text, "Optional: X's name in model_a (default its only predictor).")
@arg("m_name", text, "Optional: M's name in model_b (default the predictor of model_b other than X).")
@arg("test", choice(*survey.MEDIATION_TESTS), "sobel (default), aroian or goodman.")
@excel_function
def SQ_SOBEL_REGRESSIONS(model_a, model_b, x_name=None, m_name=None, test="sobel"):
    """Sobel test of the indirect effect a*b read from two SQ_REGRESSION result ranges (a, SE from M ~ X; b, SE from Y ~ X + M)."""
    x, (a, se_a) = _path(model_a, "model_a", x_name, "give x_name")
    if m_name is None:
        others = {k: v for k, v in model_b.items() if k != x}
        if len(others) != 1:
            raise RoqInputError("model_b", f"has {len(others)} predictors besides {x[:30]!r}; give m_name")
        model_b = others
    _, (b, se_b) = _path(model_b, "model_b", m_name, "give m_name")
    return survey.sobel_test(a, se_a, b, se_b, test=test)
