"""Every Excel function of roq-toolkit, in one module: the module users point xlwings at.

- classic add-in: ``UDF_MODULES = addin.functions`` (``python -m addin classic-setup``);
- xlwings Lite: the generated ``main.py`` re-exports these functions
  (``python -m addin lite-bundle OUTDIR``);
- xlwings Server: ``from addin.functions import *`` in the server's ``custom_functions``.

Names carry a domain prefix because the classic add-in has no namespaces: ``SQ_`` for
survey and service-quality analytics, ``ROQ_`` for the Return-on-Quality model and its
Monte Carlo / sensitivity runs. No module
here sets ``__xlwings_func_namespace__``, so Lite shows the same names as the classic
add-in (xlwings Server prepends its manifest namespace, ``XLWINGS.`` by default).
"""

from __future__ import annotations

from . import chain_functions, records_functions, roq_functions, sem_functions, simulation_functions, survey_functions
from .chain_functions import *  # noqa: F401,F403
from .records_functions import *  # noqa: F401,F403
from .roq_functions import *  # noqa: F401,F403
from .sem_functions import *  # noqa: F401,F403
from .simulation_functions import *  # noqa: F401,F403
from .survey_functions import *  # noqa: F401,F403

#: Names of every Excel function, survey functions first.
FUNCTION_NAMES = tuple(
    name
    for module in (survey_functions, roq_functions, simulation_functions, chain_functions, records_functions, sem_functions)
    for name, value in vars(module).items()
    if getattr(value, "__roq_excel_function__", False) and value.__module__ == module.__name__
)
__all__ = list(FUNCTION_NAMES)
