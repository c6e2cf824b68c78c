"""Survey analytics: questionnaire checks, ordinal-to-interval scaling, SERVQUAL, CSI, IPA,
SPSS-style regression with its assumption tests, mediation tests, and structural
equation models reported as AMOS does (fit, estimates, effects, reliability, diagnostics).

Inputs are plain arrays, nested lists or DataFrames (respondents in rows, items in
columns; blanks are missing, never zero) on a declared Likert scale ``scale_min..scale_max``.
Table-like results are small classes with ``summary()`` (printed by ``print``) and
``to_frame()`` (pandas, short human column names); scalar results are floats. Bad input
raises :class:`simulator.RoqInputError` ("argument: problem").
"""

from .._lazy import lazy_exports

#: Where each public name lives; each submodule loads on first use (simulator._lazy), so
#: importing the package costs nothing until a function is called.
_EXPORTS = {
    "csi": ("CSI_BANDS", "CSIBand", "CustomerSatisfactionIndex", "csi_band", "customer_satisfaction_index"),
    "ipa": ("IPA_QUADRANTS", "ImportancePerformance", "conformity_level", "importance_performance"),
    "msi": ("MSI_METHODS", "MSITransform", "SuccessiveIntervals", "msi_transform", "successive_intervals"),
    "psychometrics": ("MISSING_POLICIES", "VALIDITY_BASES", "CronbachAlpha", "ItemStatistics", "ItemValidity", "SampleSize", "critical_r", "cronbach_alpha", "item_statistics", "item_validity", "slovin_sample_size"),
    "regression": ("MEDIATION_TESTS", "IndirectEffectTest", "LinearRegression", "MediationTests", "linear_regression", "mediation_tests", "sobel_test"),
    "loyalty_example": ("LOYALTY_CONSTRUCTS", "LOYALTY_MODEL", "LOYALTY_POPULATION", "simulate_loyalty_survey"),
    "normality": ("NORMALITY_CUTOFFS", "MahalanobisDistances", "NormalityAssessment", "assessment_of_normality", "mahalanobis_distances"),
    "regression_assumptions": ("ASSUMPTION_CUTOFFS", "RegressionAssumptions", "durbin_watson", "regression_assumptions"),
    "sem": ("MI_THRESHOLD", "RELIABILITY_CUTOFFS", "RESIDUAL_CUTOFF", "ConstructReliability", "SEMResult", "fit_sem"),
    "sem_bootstrap": ("BootstrapIndirect", "bootstrap_indirect_effects"),
    "sem_fit": ("PUBLISHED_TABLE_3_2", "SEM_CUTOFFS", "judge"),
    "sem_model": ("CONVENTIONS as SEM_CONVENTIONS", "ESTIMATORS as SEM_ESTIMATORS"),
    "servqual": ("SERVQUAL_DIMENSIONS", "WEIGHTING_CONVENTIONS", "InternalGaps", "ServqualGaps", "WeightedServqual", "priority_ranks", "servqual_gap1", "servqual_gap5", "servqual_internal_gaps", "servqual_internal_gaps_from_answers", "weighted_servqual"),
}

__all__ = [
    # psychometrics
    "item_statistics",
    "slovin_sample_size",
    "critical_r",
    "item_validity",
    "cronbach_alpha",
    "ItemStatistics",
    "SampleSize",
    "ItemValidity",
    "CronbachAlpha",
    "MISSING_POLICIES",
    "VALIDITY_BASES",
    # method of successive intervals
    "successive_intervals",
    "msi_transform",
    "SuccessiveIntervals",
    "MSITransform",
    "MSI_METHODS",
    # SERVQUAL
    "servqual_gap5",
    "servqual_gap1",
    "servqual_internal_gaps",
    "servqual_internal_gaps_from_answers",
    "weighted_servqual",
    "priority_ranks",
    "ServqualGaps",
    "InternalGaps",
    "WeightedServqual",
    "SERVQUAL_DIMENSIONS",
    "WEIGHTING_CONVENTIONS",
    # CSI
    "customer_satisfaction_index",
    "csi_band",
    "CustomerSatisfactionIndex",
    "CSIBand",
    "CSI_BANDS",
    # IPA
    "importance_performance",
    "conformity_level",
    "ImportancePerformance",
    "IPA_QUADRANTS",
    # regression and mediation
    "linear_regression",
    "sobel_test",
    "mediation_tests",
    "LinearRegression",
    "IndirectEffectTest",
    "MediationTests",
    "MEDIATION_TESTS",
    # regression assumption tests
    "regression_assumptions",
    "durbin_watson",
    "RegressionAssumptions",
    "ASSUMPTION_CUTOFFS",
    # structural equation models
    "fit_sem",
    "bootstrap_indirect_effects",
    "assessment_of_normality",
    "mahalanobis_distances",
    "judge",
    "SEMResult",
    "ConstructReliability",
    "BootstrapIndirect",
    "NormalityAssessment",
    "MahalanobisDistances",
    "SEM_CUTOFFS",
    "PUBLISHED_TABLE_3_2",
    "RELIABILITY_CUTOFFS",
    "NORMALITY_CUTOFFS",
    "MI_THRESHOLD",
    "RESIDUAL_CUTOFF",
    "SEM_ESTIMATORS",
    "SEM_CONVENTIONS",
    "LOYALTY_MODEL",
    "LOYALTY_CONSTRUCTS",
    "LOYALTY_POPULATION",
    "simulate_loyalty_survey",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
