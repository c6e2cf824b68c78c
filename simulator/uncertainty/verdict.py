"""The programme's verdict from a Monte Carlo run: pays, does not pay, or undecided.

One function, :func:`programme_verdict`, turns the count of scenarios in which the
programme pays (ROQ > 1, Rust, Zahorik & Keiningham 1995) into the verdict that every
output shows: ``roq simulate``'s summary, the summary CSV and workbook, Excel's
``ROQ_SIMULATE`` and the reports all call it, so they cannot disagree with each other or
with the numbers printed beside the verdict.

The rule (``certainty`` c, default 0.95; ``conf_level``, default 0.95)
    Let p = P(ROQ > 1), estimated as k / n from n scenarios, and [low, high] its Wilson
    score interval at ``conf_level`` (Wilson 1927).

    * **pays** when low >= c: the programme pays in at least c of the scenarios, and the
      run is large enough to be sure of it;
    * **does not pay** when high <= 1 - c: it fails (ROQ <= 1) in at least c of them;
    * **undecided** otherwise: either p itself lies between 1 - c and c (the programme
      pays in some scenarios and fails in others too often to call at that certainty),
      or the interval still straddles c or 1 - c (more scenarios would decide).

    All probabilities are fractions (0.95, not 95); they are shown as percentages.

A run whose ROQ is not a number (NaN or infinite) in any scenario gets no verdict: the
function raises :class:`~simulator.errors.RoqInputError` naming how many scenarios and
the cause, never "pays".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import RoqInputError
from .statistics import Z95

__all__ = ["Verdict", "programme_verdict", "format_probability", "DEFAULT_CERTAINTY", "PAYS", "DOES_NOT_PAY", "UNDECIDED"]

#: Share of scenarios that must agree before the verdict is "pays" or "does not pay".
DEFAULT_CERTAINTY = 0.95
PAYS, DOES_NOT_PAY, UNDECIDED = "pays", "does not pay", "undecided"


def format_probability(p: float) -> str:
    """A probability (a fraction) as a percentage with enough digits to tell it from 0 or 1."""
    if p is None or math.isnan(p):
        return "-"
    if p in (0.0, 1.0) or 0.0001 <= p <= 0.9999:
        return f"{p:.2%}"
    if p < 0.5:
        return f"{100 * p:.2g}%"
    decimals = min(10, 1 - math.floor(math.log10(100 * (1 - p))))  # two significant digits of 1 - p
    return f"{100 * p:.{decimals}f}%"


@dataclass(frozen=True)
class Verdict:
    """The verdict and the numbers it follows from.

    Attributes
    ----------
    decision : {"pays", "does not pay", "undecided"}
    probability : float
        p = P(ROQ > 1) = paying / scenarios (fraction).
    low, high : float
        Wilson score interval of p at ``conf_level`` (fractions).
    paying, scenarios : int
        k and n.
    certainty, conf_level : float
        The rule's c and the interval's confidence level.
    reason : str
        Why, in words.
    """

    decision: str
    probability: float
    low: float
    high: float
    paying: int
    scenarios: int
    certainty: float
    conf_level: float
    reason: str

    @property
    def pays(self) -> bool:
        return self.decision == PAYS

    def interval_text(self) -> str:
        return f"{100 * self.conf_level:g}% CI {format_probability(self.low)} to {format_probability(self.high)}"

    def line(self, output: str = "roq", threshold: float = 1.0) -> str:
        """One line: ``P(roq > 1) = 99.10% (95% CI 99.07% to 99.14%): the programme pays - <reason>``."""
        return (f"P({output} > {threshold:g}) = {format_probability(self.probability)} ({self.interval_text()}, "
                f"{self.scenarios:,} scenarios): the programme {self.decision.upper() if self.decision != UNDECIDED else 'is UNDECIDED'}"
                f" - {self.reason}")

    def __str__(self) -> str:
        return self.line()


def wilson_interval(paying: int, scenarios: int, conf_level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval (Wilson 1927) of a binomial proportion k / n, as fractions."""
    from scipy.stats import norm

    z = Z95 if conf_level == 0.95 else float(norm.ppf(0.5 + conf_level / 2))
    n, p = scenarios, paying / scenarios
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    low = 0.0 if paying == 0 else max(0.0, centre - half)
    high = 1.0 if paying == n else min(1.0, centre + half)
    return low, high


def programme_verdict(paying: int, scenarios: int, *, nonfinite: int = 0, certainty: float = DEFAULT_CERTAINTY,
                      conf_level: float = 0.95, cause: str = "") -> Verdict:
    """Decide whether the programme pays, from the scenarios in which ROQ > 1.

    Parameters
    ----------
    paying : int
        k, scenarios with ROQ > 1 (the programme pays).
    scenarios : int
        n, scenarios with a finite ROQ.
    nonfinite : int
        Scenarios whose ROQ is NaN or infinite; any makes the verdict an error.
    certainty : float
        c in (0.5, 1): share of scenarios that must agree (default 0.95, as @RISK's
        "95% certainty").
    conf_level : float
        Confidence level of the Wilson interval of k / n (default 0.95).
    cause : str
        Why ROQ is not a number, for the error message (e.g. found by the caller).

    Returns
    -------
    Verdict
        ``pays`` when the interval's low end is >= c, ``does not pay`` when its high
        end is <= 1 - c, ``undecided`` otherwise (see the module docstring).

    Raises
    ------
    RoqInputError
        ``roq: ...`` when some scenario's ROQ is not a number (or there are none), or
        ``certainty`` / ``conf_level`` out of range.

    Examples
    --------
    >>> programme_verdict(262_144, 262_144).decision
    'pays'
    >>> programme_verdict(0, 100_000).decision
    'does not pay'
    >>> programme_verdict(600, 1_000).decision
    'undecided'
    """
    if not (isinstance(certainty, (int, float)) and 0.5 < certainty < 1):
        raise RoqInputError("certainty", f"must be a fraction between 0.5 and 1 (e.g. 0.95 for 95%), got {certainty!r}")
    if not (isinstance(conf_level, (int, float)) and 0 < conf_level < 1):
        raise RoqInputError("conf_level", f"must be a fraction between 0 and 1 (e.g. 0.95), got {conf_level!r}")
    paying, scenarios, nonfinite = int(paying), int(scenarios), int(nonfinite)
    if nonfinite or scenarios <= 0:
        total = scenarios + nonfinite
        what = f"is not a number (NaN or infinite) in {nonfinite:,} of {total:,} scenarios" if total else "was not computed for any scenario"
        raise RoqInputError("roq", f"{what}{': ' + cause if cause else ''}; no verdict on whether the programme pays")
    p = paying / scenarios
    low, high = wilson_interval(paying, scenarios, conf_level)
    c, level = f"{100 * certainty:g}%", f"{100 * conf_level:g}%"
    if low >= certainty:
        decision, reason = PAYS, f"ROQ > 1 in at least {c} of scenarios ({level} confidence)"
    elif high <= 1 - certainty:
        decision, reason = DOES_NOT_PAY, f"ROQ <= 1 in at least {c} of scenarios ({level} confidence)"
    elif 1 - certainty < p < certainty and (low > 1 - certainty and high < certainty):
        decision, reason = UNDECIDED, f"ROQ > 1 in only {format_probability(p)} of scenarios: neither {c} nor fewer than {100 - 100 * certainty:g}%"
    else:
        decision, reason = UNDECIDED, f"the interval straddles {c if p > 0.5 else f'{100 - 100 * certainty:g}%'}: more scenarios would decide"
    return Verdict(decision=decision, probability=p, low=low, high=high, paying=paying, scenarios=scenarios,
                   certainty=float(certainty), conf_level=float(conf_level), reason=reason)
