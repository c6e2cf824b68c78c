"""Choices and limits of a run's options, as plain constants (no numpy).

The ``roq`` parser and the Excel functions' argument checks need these names at start-up;
the modules that use them at run time import numpy, scipy and the model, so the constants
live here and those modules import them from here.
"""

#: Sampler names (:mod:`~simulator.uncertainty.samplers`).
SAMPLERS = ("random", "lhs", "sobol")
#: Largest chunk size of a Monte Carlo run: about 0.5 GB of model temporaries per thread.
MAX_CHUNK_SIZE = 2**20
