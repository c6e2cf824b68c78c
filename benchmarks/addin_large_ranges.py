"""Large ranges through a real xlwings Server: the add-in's bulk reading vs the old per-cell path.

One xlwings Server process (the ``xlwings-server`` package, uvicorn on 127.0.0.1, project
set up by ``python -m addin server-setup``, ``prod`` setting) serves both paths; this
process is the client and posts the request body the Office.js client sends:

- **new**: the add-in's functions as shipped (``SQ_ALPHA``, ``SQ_ITEM_STATS``): range
  arguments declared ``raw`` and read in bulk by ``addin._cells`` (one type scan, one
  numpy conversion);
- **old**: the same engine call and result shaping behind the reading the add-in used
  before: xlwings' default conversion of the range (``ndim=2, err_to_str=True``, which in
  xlwings 0.37.8 calls ``utils.is_jsnull`` per cell, retrying a failing
  ``from pyodide.ffi import JsNull`` each time) and then a float conversion cell by cell
  (``SQ_ALPHA_BEFORE``, ``SQ_ITEM_STATS_BEFORE``, defined in a module of the benchmark's
  server project).

Both paths alternate, best of ``--repeat`` runs each, on 1,000 x 30 and 10,000 x 30 answer
ranges (whole answers 1..5, 1% blank cells); times are the full HTTP round trip with the
body already encoded. Load average printed before and after, ratios printed. Target
(issue 10): 10,000 x 30 ``SQ_ALPHA`` under 2 s.

Usage::

    .venv/bin/python benchmarks/addin_large_ranges.py              # best of 3
    .venv/bin/python benchmarks/addin_large_ranges.py --repeat 2
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from addin.server import server_command, setup_server_project  # noqa: E402

BASELINE_SOURCE = '''\
"""The add-in's reading of a range before the bulk path (benchmark baseline only)."""
import math

import numpy as np
import xlwings as xw

from addin import _cells
from addin import survey_functions as sf


def _old_matrix(value, name):
    """xlwings' default conversion has run; then cell by cell, as addin._cells did."""
    rows = [list(row) for row in value] if value and isinstance(value[0], (list, tuple)) else [[value]]
    shape = (len(rows), max(len(r) for r in rows))
    out = _cells._floats_cell_by_cell(rows, name, shape)
    if np.isnan(out).all():
        raise _cells.RoqInputError(name, "is empty (every cell is blank)")
    return out


@xw.func
@xw.arg("responses", ndim=2, err_to_str=True, doc="Answers.")
def SQ_ALPHA_BEFORE(responses):
    """SQ_ALPHA behind the old reading."""
    return _cells.to_cells(sf.SQ_ALPHA.__wrapped__(_old_matrix(responses, "responses")))


@xw.func
@xw.arg("responses", ndim=2, err_to_str=True, doc="Answers.")
def SQ_ITEM_STATS_BEFORE(responses):
    """SQ_ITEM_STATS behind the old reading."""
    return _cells.to_cells(sf.SQ_ITEM_STATS.__wrapped__(_old_matrix(responses, "responses")))
'''

FUNCTIONS = ("SQ_ALPHA", "SQ_ITEM_STATS")
SHAPES = ((1_000, 30), (10_000, 30))
TARGET_SECONDS = 2.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(rows: int, columns: int) -> list[list]:
    rng = np.random.default_rng(20261201)
    cells = rng.integers(1, 6, size=(rows, columns)).tolist()  # Office.js sends whole numbers as int
    for i, j in zip(rng.integers(0, rows, rows * columns // 100), rng.integers(0, columns, rows * columns // 100)):
        cells[i][j] = None  # a blank (unanswered) cell
    return cells


def _body(func_name: str, cells: list[list]) -> bytes:
    import xlwings

    return json.dumps(
        {
            "client": "Office.js", "func_name": func_name, "args": [cells],
            "caller_address": "[Book1.xlsx]Sheet1!B2", "session_id": "benchmark",
            "culture_info_name": "en-US", "date_format": "M/d/yyyy",
            "version": xlwings.__version__, "runtime": "1.4",
        }
    ).encode("utf-8")


def _post(url: str, body: bytes) -> tuple[float, object]:
    headers = {"Content-Type": "application/json", "Authorization": "", "Auth-Provider": ""}
    request = urllib.request.Request(f"{url}/xlwings/custom-functions-call", data=body, headers=headers, method="POST")
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=900) as response:
        payload = response.read()
    elapsed = time.perf_counter() - start
    return elapsed, json.loads(payload)["result"]


def _start(project: Path, log) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    argv, variables = server_command(project, port=port, environment="prod")
    env = dict(os.environ, **variables)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    env.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    process = subprocess.Popen(argv, cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("xlwings Server exited on start; see its log")
        try:
            with urllib.request.urlopen(f"{url}/xlwings/custom-functions-meta", timeout=5) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.25)
    os.kill(process.pid, signal.SIGKILL)
    raise SystemExit("xlwings Server did not start within 180 s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each path per case (best is kept; default 3)")
    args = parser.parse_args(argv)
    if not 1 <= args.repeat <= 20:
        parser.error("--repeat: must be 1..20")

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}  (cpus: {os.cpu_count()})")
    with tempfile.TemporaryDirectory(prefix="roq-bench-server-") as tmp:
        project = Path(tmp) / "roq-server"
        setup_server_project(project, license_key="noncommercial")
        (project / "custom_functions" / "roq_baseline.py").write_text(BASELINE_SOURCE, encoding="utf-8")
        with open(project / "custom_functions" / "__init__.py", "a", encoding="utf-8") as init:
            init.write("from .roq_baseline import *\n")
        with open(Path(tmp) / "server.log", "wb") as log:
            process, url = _start(project, log)
            try:
                rows_out = []
                for func_name in FUNCTIONS:
                    for shape in SHAPES:
                        cells = _answers(*shape)
                        new_body, old_body = _body(func_name, cells), _body(f"{func_name}_BEFORE", cells)
                        new_times, old_times = [], []
                        new_result = old_result = None
                        for _ in range(args.repeat):  # alternate: old, new, old, new, ...
                            elapsed, old_result = _post(url, old_body)
                            old_times.append(elapsed)
                            elapsed, new_result = _post(url, new_body)
                            new_times.append(elapsed)
                        if new_result != old_result:
                            raise SystemExit(f"{func_name} {shape}: the two paths disagree")
                        rows_out.append((func_name, shape, min(old_times), min(new_times)))
                        print(f"  {func_name} {shape[0]:,} x {shape[1]}: old {min(old_times):.3f} s, new {min(new_times):.3f} s", flush=True)
            finally:
                os.kill(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.kill(process.pid, signal.SIGKILL)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    print(f"best of {args.repeat}, full HTTP round trip through xlwings Server (prod), same results on both paths")
    print(f"| function | range | old path (s) | new path (s) | old / new |")
    print(f"|---|---|---:|---:|---:|")
    for func_name, shape, old, new in rows_out:
        print(f"| {func_name} | {shape[0]:,} x {shape[1]} | {old:.3f} | {new:.3f} | {old / new:.1f}x |")
    alpha = next(new for name, shape, _, new in rows_out if name == "SQ_ALPHA" and shape == SHAPES[-1])
    verdict = "met" if alpha < TARGET_SECONDS else "NOT met"
    print(f"target: 10,000 x 30 SQ_ALPHA under {TARGET_SECONDS:g} s: {alpha:.3f} s, {verdict}")
    return 0 if alpha < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
