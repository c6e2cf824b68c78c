"""Start-up time: ``roq --help``, ``import simulator``, the add-in's import, the first Sobol' draw.

Each figure is the wall time of a fresh Python process (interpreter start included), best
of ``--repeats``; the cases (and, with ``--baseline REF``, the same cases on the tree of
git revision REF, exported with ``git archive`` into a temporary folder) alternate, so
both see the same machine load. The load average is printed before and after; each
figure is printed against its target with PASS / MISS:

(a) ``roq --help`` (the installed console script, else ``python -m simulator.cli``): < 0.4 s
(b) ``roq simulate --help``: < 0.4 s
(c) ``python -c "import simulator"``: < 0.2 s
(d) ``import xlwings`` alone: no target (xlwings' own cost: it imports numpy, pandas, matplotlib)
(e) ``import xlwings; import addin.functions``: (e) - (d) < 1 s; the difference of two
    best-ofs is noisy (xlwings alone varies by tenths of a second on a busy machine), so
    (e') also times ``import addin.functions`` inside the process, after xlwings: < 1 s
(f) the first Sobol' block (import + one ``uniform_block("sobol", ...)`` call): no target;
    ``scipy.stats.qmc`` imports all of ``scipy.stats`` (about 1 s): accepted, because the
    numbers of every seeded run come from it (see the README's start-up paragraph).

Usage::

    .venv/bin/python benchmarks/startup.py [--repeats 7] [--baseline REF]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SOBOL_CALL = "from simulator.uncertainty.samplers import uniform_block; uniform_block('sobol', 1, 0, 4, 1024)"
#: Prints the seconds of ``import addin.functions`` after ``import xlwings``, timed inside the process.
ADDIN_INSIDE = "import time, xlwings; start = time.perf_counter(); import addin.functions; print(time.perf_counter() - start)"
INSIDE = "(e') import addin.functions after xlwings, in-process"


def cases() -> list[tuple[str, list[str], float | None]]:
    """(label, command, target seconds or None) of each timed process."""
    script = Path(sys.executable).with_name("roq")
    roq = [str(script)] if script.exists() else [sys.executable, "-m", "simulator.cli"]
    python = [sys.executable, "-c"]
    return [
        ("(a) roq --help", [*roq, "--help"], 0.4),
        ("(b) roq simulate --help", [*roq, "simulate", "--help"], 0.4),
        ("(c) import simulator", [*python, "import simulator"], 0.2),
        ("(d) import xlwings", [*python, "import xlwings"], None),
        ("(e) import xlwings; import addin.functions", [*python, "import xlwings; import addin.functions"], None),
        (INSIDE, [*python, ADDIN_INSIDE], 1.0),
        ("(f) first Sobol' block (import + 1 call)", [*python, SOBOL_CALL], None),
    ]


def wall_time(command: list[str], tree: Path, *, printed: bool = False) -> float:
    """Seconds of one fresh process running ``command`` with ``tree`` first on sys.path
    (``printed``: the seconds the process prints itself)."""
    env = dict(os.environ, PYTHONPATH=str(tree), MPLBACKEND="Agg")
    start = time.perf_counter()
    completed = subprocess.run(command, env=env, cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True, timeout=120, text=True)
    seconds = time.perf_counter() - start
    return float(completed.stdout.split()[-1]) if printed else seconds


def export_tree(revision: str, into: Path) -> Path:
    """The files of git ``revision`` in ``into`` (``git archive``: no worktree, no checkout)."""
    archive = into / "tree.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(ROOT), "archive", revision], stdout=out, check=True, timeout=120)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "tree", filter="data")
    archive.unlink()
    return into / "tree"


def verdict(seconds: float, target: float | None) -> str:
    if target is None:
        return "(no target)"
    return f"< {target:.1f} s  {'PASS' if seconds < target else 'MISS'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="fresh processes per case (best of; default 7)")
    parser.add_argument("--baseline", metavar="REF", help="also time the tree of this git revision (e.g. the merge base), alternating")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats: at least 1")
    temporary = Path(tempfile.mkdtemp(prefix="roq-startup-")) if args.baseline else None
    try:
        trees = {"project": ROOT}
        if args.baseline:
            trees[f"baseline {args.baseline}"] = export_tree(args.baseline, temporary)
        print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; cores: {os.cpu_count()}; best of {args.repeats} fresh processes")
        timed = cases()
        best = {(label, tree): float("inf") for label, _, _ in timed for tree in trees}
        for _ in range(args.repeats):
            for label, command, _ in timed:
                for tree, path in trees.items():
                    best[label, tree] = min(best[label, tree], wall_time(command, path, printed=label == INSIDE))
        print(f"load average after:  {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        baseline = next((tree for tree in trees if tree != "project"), None)
        print(f"\n{'case':<56}{'project s':>10}  {'target':<14}" + (f"{'baseline s':>11}{'baseline/project':>18}" if baseline else ""))
        rows = [(label, best[label, "project"], target, best.get((label, baseline))) for label, _, target in timed]
        addin = best["(e) import xlwings; import addin.functions", "project"] - best["(d) import xlwings", "project"]
        addin_base = (best["(e) import xlwings; import addin.functions", baseline] - best["(d) import xlwings", baseline]) if baseline else None
        rows.insert(5, ("(e) - (d) addin.functions beyond xlwings", addin, 1.0, addin_base))
        for label, seconds, target, base in rows:
            line = f"{label:<56}{seconds:>10.3f}  {verdict(seconds, target):<14}"
            if baseline:
                line += f"{base:>11.3f}" + (f"{base / seconds:>18.1f}" if seconds > 0 else f"{'-':>18}")
            print(line)
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)


if __name__ == "__main__":
    main()
