"""The one exception type the engine raises for bad input.

Every check in :mod:`simulator` raises :class:`RoqInputError` with a message of the form
``"<argument>: <problem>"`` so that a cell in Excel, a line on the command line and a
notebook traceback all say which argument is wrong and why.
"""

from __future__ import annotations

__all__ = ["RoqInputError"]


class RoqInputError(ValueError):
    """Bad input to a roq-toolkit function.

    Parameters
    ----------
    argument : str
        Name of the offending argument (as the user called it, e.g. ``"discount_rate"``).
    problem : str
        What is wrong, in plain words (e.g. ``"must be greater than -100%, got -1.5"``).

    Attributes
    ----------
    argument, problem : str
        As given; ``str(error)`` is ``"argument: problem"``.
    """

    def __init__(self, argument: str, problem: str):
        self.argument = argument
        self.problem = problem
        super().__init__(f"{argument}: {problem}")

    def __reduce__(self):  # keep the two fields when pickled (Dask workers, multiprocessing)
        return (type(self), (self.argument, self.problem))
