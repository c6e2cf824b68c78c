"""Streaming export of a Monte Carlo run's raw samples (inputs and outputs per scenario).

@RISK and Crystal Ball users expect to take the simulated data elsewhere (a pivot table,
a BI tool, their own statistics). :class:`SampleWriter` appends one block of scenarios
at a time, in scenario order, to a Parquet file (columnar, compressed; needs the
optional ``pyarrow`` package, ``pip install roq-toolkit[export]``) or a CSV file, so the
memory used does not grow with the number of scenarios. Columns: ``scenario`` (0-based
position in the run, the same on every engine and chunk size), then each uncertain input
in scenario order, then each scalar output; floats are written at full precision
(CSV: the shortest repr that reads back exactly).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import RoqInputError

__all__ = ["SAMPLE_FORMATS", "SampleWriter", "sample_format"]

#: File suffixes and the format they select.
SAMPLE_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


def sample_format(path, argument: str = "--export-samples") -> str:
    """The export format a file name selects (by suffix), or a one-line error naming ``argument``."""
    suffix = Path(path).suffix.lower()
    if suffix not in SAMPLE_FORMATS:
        raise RoqInputError(argument, f"{path}: use a .parquet or .csv file name (the suffix picks the format)")
    fmt = SAMPLE_FORMATS[suffix]
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            raise RoqInputError(argument, "Parquet export needs the pyarrow package (pip install roq-toolkit[export]); or give a .csv file") from None
    return fmt


class SampleWriter:
    """Append blocks of scenarios to a Parquet or CSV file.

    Parameters
    ----------
    path : str or Path
        Target file; its suffix (``.parquet``/``.pq`` or ``.csv``, case-insensitive)
        chooses the format. It is written in place: make it safe by writing to a
        temporary name and moving it when the run has completed (as ``roq simulate
        --export-samples`` does).
    inputs, outputs : sequence of str
        Column names, in order.

    Examples
    --------
    >>> import tempfile, os, pandas as pd
    >>> folder = tempfile.mkdtemp()
    >>> writer = SampleWriter(os.path.join(folder, "s.csv"), ["churn"], ["roq"])
    >>> writer.write(0, {"churn": np.array([0.1, 0.2])}, {"roq": np.array([2.5, 3.0])})
    >>> writer.write(2, {"churn": np.array([0.15])}, {"roq": np.array([2.75])})
    >>> writer.close()
    >>> pd.read_csv(os.path.join(folder, "s.csv"), float_precision="round_trip").to_dict("list")
    {'scenario': [0, 1, 2], 'churn': [0.1, 0.2, 0.15], 'roq': [2.5, 3.0, 2.75]}
    """

    def __init__(self, path, inputs, outputs):
        self.path = Path(path)
        self.format = sample_format(self.path)
        self.columns = ["scenario", *inputs, *outputs]
        self._inputs, self._outputs = tuple(inputs), tuple(outputs)
        self._next = 0
        self._writer = None
        self._handle = None

    def write(self, first_scenario: int, inputs: dict, outputs: dict) -> None:
        """Append scenarios ``first_scenario ..`` (must follow the previous block exactly)."""
        length = len(next(iter(outputs.values())))
        if first_scenario != self._next:
            raise RoqInputError("first_scenario", f"blocks must be written in scenario order: expected {self._next}, got {first_scenario}")
        columns = {"scenario": np.arange(first_scenario, first_scenario + length, dtype=np.int64)}
        columns.update({name: np.broadcast_to(np.asarray(inputs[name], dtype=float), (length,)) for name in self._inputs})
        columns.update({name: np.asarray(outputs[name], dtype=float) for name in self._outputs})
        if self.format == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.table({name: pa.array(np.ascontiguousarray(values)) for name, values in columns.items()})
            if self._writer is None:
                self._writer = pq.ParquetWriter(self.path, table.schema, compression="zstd")
            self._writer.write_table(table)
        else:
            import pandas as pd

            if self._handle is None:
                self._handle = open(self.path, "w", newline="", encoding="utf-8")
                self._handle.write(",".join(self.columns) + "\n")
            pd.DataFrame(columns).to_csv(self._handle, header=False, index=False, lineterminator="\n")
        self._next += length

    def close(self) -> None:
        """Finish the file (an empty run still gets the header / schema); idempotent."""
        if getattr(self, "_closed", False):
            return
        self._closed = True
        if self.format == "parquet":
            if self._writer is None:
                import pyarrow as pa
                import pyarrow.parquet as pq

                schema = pa.schema([("scenario", pa.int64())] + [(name, pa.float64()) for name in self.columns[1:]])
                self._writer = pq.ParquetWriter(self.path, schema, compression="zstd")
            self._writer.close()
        else:
            if self._handle is None:
                self._handle = open(self.path, "w", newline="", encoding="utf-8")
                self._handle.write(",".join(self.columns) + "\n")
            self._handle.close()
