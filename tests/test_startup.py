"""Start-up stays cheap: what ``roq --help``, ``import simulator`` and ``import addin.functions``
import (behaviour, not time; the times are in ``benchmarks/startup.py``).

Each check runs in a fresh interpreter and reads its ``sys.modules``: the parser of every
command is built and its help formatted without numpy, pandas, scipy or matplotlib; the
add-in's functions register without the engine's heavy modules (xlwings itself imports
numpy, pandas and matplotlib, so only what it does not import is checked); the lazily
exported subpackages still offer every public name.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("numpy", "pandas", "scipy", "matplotlib", "SALib", "statsmodels", "semopy", "numba", "dask", "distributed", "pyarrow", "xlsxwriter", "openpyxl")
LAZY_PACKAGES = ("simulator.survey", "simulator.records", "simulator.uncertainty", "simulator.reports")


def loaded_after(code: str, setup: str = "") -> dict:
    """Top-level packages and simulator modules a fresh interpreter holds after ``setup`` + ``code``,
    and those ``setup`` alone loaded: ``{"before": [...], "after": [...], "result": ...}``."""
    probe = f"""
import json, sys
{setup}
before = sorted(sys.modules)
result = None
{code}
print(json.dumps({{"before": before, "after": sorted(sys.modules), "result": result}}))
"""
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    completed = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def top_level(modules) -> set:
    return {name.split(".")[0] for name in modules}


def test_building_the_roq_parser_and_every_help_imports_nothing_heavy():
    report = loaded_after("""
from simulator.cli import build_parser
parser = build_parser()
commands = parser._subparsers._group_actions[0].choices
texts = [parser.format_help()] + [sub.format_help() for sub in commands.values()]
result = {"commands": sorted(commands), "help": all(len(t) > 100 for t in texts)}
""")
    assert top_level(report["after"]).isdisjoint(HEAVY), sorted(top_level(report["after"]) & set(HEAVY))
    assert {"simulate", "sensitivity", "sweep", "report", "compare", "sem", "case-study", "recalc", "addin"} <= set(report["result"]["commands"])
    assert report["result"]["help"]


def test_import_simulator_is_cheap():
    report = loaded_after("import simulator, simulator.survey, simulator.records, simulator.uncertainty, simulator.reports")
    assert top_level(report["after"]).isdisjoint(HEAVY)


def test_addin_functions_import_no_engine_module_that_xlwings_does_not():
    report = loaded_after("import addin.functions", setup="import xlwings")
    new = set(report["after"]) - set(report["before"])
    heavy = {name for name in new if name.split(".")[0] in HEAVY}
    assert heavy == set(), sorted(heavy)  # scipy (and scipy.stats), SALib, ... load on a function's first call
    engine = {"simulator.uncertainty.montecarlo", "simulator.uncertainty.scenario", "simulator.uncertainty.sensitivity", "simulator.records.drivers",
              "simulator.survey.sem", "simulator.roq.programme_effect", "simulator.reports.report"}
    assert engine.isdisjoint(new), sorted(engine & new)


def test_msi_and_cronbach_need_no_scipy_stats():
    report = loaded_after("""
from simulator import survey
table = survey.successive_intervals([166, 820, 274], method="midpoint")
alpha = survey.cronbach_alpha([[4, 5, 4], [3, 4, 3], [5, 5, 4], [2, 3, 3]], scale_min=1, scale_max=5)
result = [round(float(v), 5) for v in table.z] + [round(alpha.alpha, 4)]
""")
    assert "scipy.stats" not in report["after"]
    assert report["result"][:3] == [-1.50725, -0.10763, 1.23331]


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_lazy_packages_still_offer_every_public_name(package):
    import importlib

    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, name
        assert name in dir(module)
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        module.no_such_name  # noqa: B018


def test_star_import_and_submodules_of_a_lazy_package():
    namespace: dict = {}
    exec("from simulator.survey import *", namespace)
    import simulator.survey as survey

    assert namespace["fit_sem"] is survey.fit_sem is survey.sem.fit_sem
    assert survey.msi.MSI_METHODS == survey.MSI_METHODS


def test_run_option_constants_are_the_engines():
    from simulator.uncertainty import montecarlo, options, samplers

    assert options.MAX_CHUNK_SIZE == montecarlo.MAX_CHUNK_SIZE
    assert samplers.SAMPLERS is options.SAMPLERS


def test_model_outputs_are_checked_when_parsed(capsys):
    from simulator.cli import build_parser
    from simulator.roq import MODEL_OUTPUTS

    parser = build_parser()
    assert parser.parse_args(["sweep", "--output", "npv_gain"]).output == "npv_gain"
    with pytest.raises(SystemExit) as stop:
        parser.parse_args(["sensitivity", "--output", "market_share_path"])
    assert stop.value.code == 2
    message = capsys.readouterr().err
    assert message.startswith("roq: error: --output: invalid choice: 'market_share_path' (choose from 'npv_with_programme'")
    assert all(f"'{name}'" in message for name in MODEL_OUTPUTS if "_path" not in name)


def test_a_public_name_shared_with_its_submodule_stays_the_function():
    report = loaded_after("""
from simulator.survey import durbin_watson  # imports the submodule regression_assumptions first
import simulator.survey.regression_assumptions
from simulator.survey import regression_assumptions
result = [callable(regression_assumptions), type(regression_assumptions).__name__]
""")
    assert report["result"] == [True, "function"]
