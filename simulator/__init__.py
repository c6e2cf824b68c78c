"""roq-toolkit engine: survey analytics, the Return-on-Quality model, uncertainty analysis.

Pure Python (numpy, pandas, scipy); no Excel dependency. The Excel add-in (:mod:`addin`)
and the command line (``roq``) are thin layers over this package.
"""

from .errors import RoqInputError

__version__ = "0.1.0"
__all__ = ["RoqInputError", "__version__"]
