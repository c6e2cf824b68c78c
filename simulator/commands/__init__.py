"""Subcommands of the ``roq`` command line; see :mod:`simulator.cli`."""
