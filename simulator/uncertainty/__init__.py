"""Uncertainty analysis of the Return-on-Quality model: scenarios, Monte Carlo, sweeps, sensitivity.

- :mod:`~simulator.uncertainty.scenario`: hand-written TOML scenarios (base values,
  uncertain inputs with distributions, rank correlations, outputs, run settings),
  validated before anything runs; the built-in scenario (Singgih's case).
- :mod:`~simulator.uncertainty.distributions`: uniform, triangular, PERT, normal,
  truncated normal, lognormal, beta, discrete/empirical, each with a vectorised ``ppf``.
- :mod:`~simulator.uncertainty.correlation`: Iman-Conover rank correlation.
- :mod:`~simulator.uncertainty.samplers`: plain Monte Carlo, Latin hypercube and
  scrambled Sobol' uniforms in reproducible blocks.
- :mod:`~simulator.uncertainty.montecarlo`: chunked Monte Carlo with streaming,
  mergeable statistics (:mod:`~simulator.uncertainty.statistics`).
- :mod:`~simulator.uncertainty.sweeps`: one-way (tornado, spider), two-way, discount
  curve and break-even sweeps.
- :mod:`~simulator.uncertainty.sensitivity`: SALib global sensitivity (Sobol', Morris,
  eFAST, delta, PAWN) through ``Scenario.model_function`` and ``Scenario.uncertain``.

Examples
--------
>>> from simulator.uncertainty import builtin_scenario, run_monte_carlo
>>> scenario = builtin_scenario()
>>> round(scenario.evaluate_base()["roq"], 2)
2.72
"""

from .._lazy import lazy_exports

#: Where each public name lives; each submodule loads on first use (simulator._lazy), so
#: importing the package costs nothing until a function is called.
_EXPORTS = {
    "distributions": ("DISTRIBUTIONS", "Distribution", "distribution_from_spec"),
    "montecarlo": ("MonteCarloResult", "run_monte_carlo"),
    "samplers": ("BLOCK_SIZE", "SAMPLERS", "uniform_block"),
    "scenario": ("RunSettings", "Scenario", "builtin_scenario", "load_scenario", "scenario_from_dict", "scenario_from_rows"),
    "sweeps": ("break_even", "discount_curve", "one_way", "spider", "two_way"),
    "sensitivity": ("SensitivityResult", "run_sensitivity"),
}

__all__ = [
    "BLOCK_SIZE",
    "DISTRIBUTIONS",
    "SAMPLERS",
    "Distribution",
    "MonteCarloResult",
    "RunSettings",
    "Scenario",
    "break_even",
    "builtin_scenario",
    "discount_curve",
    "distribution_from_spec",
    "load_scenario",
    "one_way",
    "run_monte_carlo",
    "scenario_from_dict",
    "scenario_from_rows",
    "spider",
    "two_way",
    "uniform_block",
    "run_sensitivity",
    "SensitivityResult",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
