"""The loyalty-drivers model of Assagaff (2014, the Manulife customer-loyalty SEM) and example answers.

Five constructs measured on a 1-10 scale: service quality (X1-X4), customer value
(X5-X8), trust (X9-X12), satisfaction (X13-X16) and loyalty (X17-X19); service quality
and customer value drive satisfaction, satisfaction and trust drive loyalty. The thesis
prints no raw answers, so :func:`simulate_loyalty_survey` draws a data set from a model of
that shape with the population values below (chosen, not published), for the workbook,
the command-line example and the parameter-recovery test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import RoqInputError

__all__ = ["LOYALTY_MODEL", "LOYALTY_CONSTRUCTS", "LOYALTY_POPULATION", "simulate_loyalty_survey"]

#: The model in lavaan syntax (constructs abbreviated: SQ, CV, TR, SAT, LOY).
LOYALTY_MODEL = """# Assagaff (2014): service quality, customer value -> satisfaction -> loyalty; trust -> loyalty
SQ =~ X1 + X2 + X3 + X4
CV =~ X5 + X6 + X7 + X8
TR =~ X9 + X10 + X11 + X12
SAT =~ X13 + X14 + X15 + X16
LOY =~ X17 + X18 + X19
SAT ~ SQ + CV
LOY ~ SAT + TR
"""

#: Construct -> (full name, items).
LOYALTY_CONSTRUCTS = {
    "SQ": ("Service quality", ["X1", "X2", "X3", "X4"]),
    "CV": ("Customer value", ["X5", "X6", "X7", "X8"]),
    "TR": ("Trust", ["X9", "X10", "X11", "X12"]),
    "SAT": ("Customer satisfaction", ["X13", "X14", "X15", "X16"]),
    "LOY": ("Customer loyalty", ["X17", "X18", "X19"]),
}

#: Population values of the simulation (unstandardized; marker loadings 1).
LOYALTY_POPULATION = {
    "loadings": {"X1": 1.0, "X2": 0.9, "X3": 1.1, "X4": 0.8, "X5": 1.0, "X6": 1.2, "X7": 0.8, "X8": 0.9,
                 "X9": 1.0, "X10": 0.9, "X11": 1.1, "X12": 1.0, "X13": 1.0, "X14": 1.1, "X15": 0.9, "X16": 1.0,
                 "X17": 1.0, "X18": 0.9, "X19": 1.2},
    "paths": {("SAT", "SQ"): 0.45, ("SAT", "CV"): 0.30, ("LOY", "SAT"): 0.50, ("LOY", "TR"): 0.25},
    "exogenous_covariance": [[1.0, 0.35, 0.30], [0.35, 1.0, 0.25], [0.30, 0.25, 1.0]],  # SQ, CV, TR
    "residual_variance": {"SAT": 0.55, "LOY": 0.50},
    "error_variance": 0.45,
}


def simulate_loyalty_survey(n: int = 300, seed: int = 2014, *, likert: bool = True) -> pd.DataFrame:
    """Answers of ``n`` respondents drawn from the loyalty-drivers model.

    Parameters
    ----------
    n : int
        Respondents (10..1,000,000).
    seed : int
        Seed of the draws (numpy PCG64).
    likert : bool
        True: answers rounded onto the thesis' 1-10 scale (centre 7, 1.2 points per unit);
        False: the continuous normal scores (the model holds exactly).

    Returns
    -------
    DataFrame
        Columns X1..X19.

    Examples
    --------
    >>> data = simulate_loyalty_survey(12, seed=1)
    >>> list(data.columns[:3]), int(data.values.min()) >= 1
    (['X1', 'X2', 'X3'], True)
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 10 <= n <= 1_000_000:
        raise RoqInputError("n", f"must be a whole number from 10 to 1,000,000, got {n!r}")
    pop = LOYALTY_POPULATION
    rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
    exo = rng.multivariate_normal(np.zeros(3), pop["exogenous_covariance"], size=n)
    sq, cv, tr = exo.T
    paths = pop["paths"]
    sat = paths[("SAT", "SQ")] * sq + paths[("SAT", "CV")] * cv + rng.normal(0, np.sqrt(pop["residual_variance"]["SAT"]), n)
    loy = paths[("LOY", "SAT")] * sat + paths[("LOY", "TR")] * tr + rng.normal(0, np.sqrt(pop["residual_variance"]["LOY"]), n)
    scores = {"SQ": sq, "CV": cv, "TR": tr, "SAT": sat, "LOY": loy}
    columns = {}
    for construct, (_, items) in LOYALTY_CONSTRUCTS.items():
        for item in items:
            columns[item] = pop["loadings"][item] * scores[construct] + rng.normal(0, np.sqrt(pop["error_variance"]), n)
    frame = pd.DataFrame(columns)
    if likert:
        frame = frame.mul(1.2).add(7.0).round().clip(1, 10).astype(int)
    return frame
