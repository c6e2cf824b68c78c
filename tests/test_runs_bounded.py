"""Runs that are honest, bounded and lose nothing (issue 11, items 1-4).

Each case checks the exit status, a one-line message, no traceback and that no file is
lost or half-written. Disk-full runs on a 200 kB tmpfs (skipped where mounting is not
permitted); interruptions send SIGINT / SIGTERM to a real ``roq`` process mid-write.
"""

from __future__ import annotations

import http.server
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from simulator._files import MANIFEST, OutputSet, atomic_write
from simulator.cli import main
from simulator.engines import LocalEngine
from simulator.errors import RoqInputError
from simulator.progress import Progress, heartbeat
from simulator.uncertainty import builtin_scenario, run_monte_carlo
from simulator.uncertainty.verdict import programme_verdict

ROOT = Path(__file__).resolve().parents[1]
BUILTIN = ROOT / "simulator" / "data" / "seed001_scenario.toml"


def roq(*args, timeout=180, env=None, **kwargs):
    """Run ``roq`` in a subprocess of this tree; returns the CompletedProcess."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "simulator.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=environment, cwd=kwargs.get("cwd"))


def one_line_error(stderr: str, *needles) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1, stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def scenario_with(tmp_path, name, old, new) -> Path:
    text = BUILTIN.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def listing(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------- 1. the verdict


def test_verdict_rule():
    assert programme_verdict(262_144, 262_144).decision == "pays"
    assert programme_verdict(0, 100_000).decision == "does not pay"
    assert programme_verdict(600, 1_000).decision == "undecided"
    straddles = programme_verdict(950, 1_000)  # p = 95% but the interval reaches below it
    assert straddles.decision == "undecided" and "more scenarios" in straddles.reason
    assert programme_verdict(9_900, 10_000).decision == "pays"
    verdict = programme_verdict(0, 10)
    assert verdict.low == 0.0 and "%" in verdict.line() and "e-" not in verdict.line()
    with pytest.raises(RoqInputError, match="roq: is not a number .* in 3 of 10 scenarios: overflow"):
        programme_verdict(7, 7, nonfinite=3, cause="overflow")
    with pytest.raises(RoqInputError, match="certainty"):
        programme_verdict(1, 2, certainty=95)


def test_every_output_shows_the_same_verdict(tmp_path):
    from addin.simulation_functions import ROQ_SIMULATE

    result = run_monte_carlo(builtin_scenario(), samples=4096, seed=3, progress=False)
    verdict = result.verdict()
    assert verdict.line() in result.summary()
    assert result.to_frame().loc["roq", "verdict"] == verdict.decision == "pays"
    excel = ROQ_SIMULATE("builtin", 4096, 3)
    assert "pays" in np.asarray(excel, dtype=object).ravel().tolist()
    process = roq("simulate", "--samples", 4096, "--seed", 3, "--out", tmp_path / "out")
    assert process.returncode == 0, process.stderr
    assert verdict.line() in process.stdout
    assert "verdict" in (tmp_path / "out" / "montecarlo_summary.csv").read_text().splitlines()[0]


def test_a_programme_that_cannot_pay_is_not_called_feasible(tmp_path):
    path = scenario_with(tmp_path, "cost.toml", "annual_cost = 699e6", "annual_cost = 6e9")
    process = roq("simulate", path, "--samples", 20_000)
    assert process.returncode == 0, process.stderr
    line = next(line for line in process.stdout.splitlines() if line.startswith("P(roq > 1)"))
    assert "DOES NOT PAY" in line and "feasible" not in process.stdout and "0.00%" in line and "e-0" not in line


def test_nan_results_are_an_error_naming_the_cause(tmp_path):
    path = scenario_with(tmp_path, "horizon.toml", "horizon = 5 ", "horizon = 100000 ")
    process = roq("simulate", path, "--samples", 1024, "--out", tmp_path / "out")
    assert process.returncode == 2
    assert "nan%" not in process.stdout and "feasible" not in process.stdout and "PAYS" not in process.stdout
    # since the add-in contract (issue 10) bounds every horizon, the reproducer is refused by name before any run
    one_line_error(process.stderr, "model.horizon: 100000 years is too long", "at most 100")
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- 2. bounded, streaming runs


@pytest.mark.parametrize("command, option", [("simulate", "--samples"), ("simulate", "--chunk-size"), ("simulate", "--workers"),
                                             ("sensitivity", "--samples"), ("report", "--samples"), ("sweep", "--points")])
@pytest.mark.parametrize("value", ["inf", "1e400", "nan", "1e30", "10**100000000"])
def test_non_finite_and_huge_counts_are_one_line_errors(tmp_path, command, option, value):
    extra = ["--out", tmp_path / "r"] if command == "report" else []
    process = roq(command, option, value, *extra)
    assert process.returncode == 2
    one_line_error(process.stderr, option)
    assert not (tmp_path / "r").exists()


def test_sample_ceiling_is_documented_and_named():
    with pytest.raises(RoqInputError, match=r"samples: at most 10\*\*15"):
        run_monte_carlo(builtin_scenario(), samples=10**16)


def test_work_units_are_made_lazily():
    # an endless stream of items: only the ones asked for are ever made
    engine = LocalEngine(2)
    results = engine.map_ordered(lambda context, item: item * context, itertools.count(), context=3)
    assert [next(results) for _ in range(5)] == [0, 3, 6, 9, 12]
    results.close()


def test_kernel_units_cover_the_blocks_in_order_and_shrink_at_the_end():
    from simulator.uncertainty.montecarlo import KERNEL_UNIT_BLOCKS, _Units

    for blocks, workers in ((1, 2), (3, 2), (20, 1), (129, 2), (1000, 4)):
        units = _Units(blocks, KERNEL_UNIT_BLOCKS, workers=workers)
        made = list(units)
        assert [block for unit in made for block in unit] == list(range(blocks)) and len(units) == len(made)
        assert max(map(len, made)) <= KERNEL_UNIT_BLOCKS and len(made[-1]) == 1
    # a trillion scenarios: the count without making the units
    assert len(_Units(15_258_790, KERNEL_UNIT_BLOCKS, workers=2)) == 1_907_368


def test_max_time_stops_cleanly_with_a_labelled_partial_result():
    result = run_monte_carlo(builtin_scenario(), samples=10**12, seed=1, max_time=0.5, progress=False, workers=1)
    assert result.stopped_early and result.requested_samples == 10**12 and 0 < result.samples < 10**9
    assert result.summary().splitlines()[1].startswith("PARTIAL RESULT: --max-time 0.5 s stopped the run after")
    # the partial result is exactly a run of that many scenarios
    again = run_monte_carlo(builtin_scenario(), samples=result.samples, seed=1, progress=False, workers=1, kernel=result.kernel)  # the same path (auto: numba for 10**12)
    assert again.statistics["roq"]["mean"] == result.statistics["roq"]["mean"]


def test_a_trillion_samples_show_an_estimate_progress_lines_and_stop_at_max_time():
    process = roq("simulate", "--samples", "1e12", "--max-time", 3, env={"ROQ_PROGRESS_SECONDS": "0.5"})
    assert process.returncode == 3, process.stderr
    assert "Traceback" not in process.stderr
    assert "roq: estimate: 1,000,000,000,000 scenarios at" in process.stderr and "--max-time 3 s stops it after about" in process.stderr
    assert "roq: Monte Carlo: " in process.stderr and " of 1,000,000,000,000 scenarios" in process.stderr  # not a terminal: plain lines
    assert "PARTIAL RESULT" in process.stdout and "of the 1,000,000,000,000 scenarios asked for" in process.stdout


def test_plain_progress_lines_and_heartbeat_off_a_terminal(monkeypatch, capsys):
    monkeypatch.setenv("ROQ_PROGRESS_SECONDS", "0.1")
    bar = Progress(100, "Test", "item")
    time.sleep(0.15)
    bar.update(10)
    bar.close()
    with heartbeat("slow analysis"):
        time.sleep(0.35)
    err = capsys.readouterr().err
    assert "roq: Test: 10 of 100 items (10.00%)" in err
    assert "roq: slow analysis: still running" in err


def test_sensitivity_sizes_are_bounded_before_running():
    process = roq("sensitivity", "--samples", "2**40")
    assert process.returncode == 2
    one_line_error(process.stderr, "--samples: at most 16,777,216 for sobol")
    process = roq("sensitivity", "--method", "delta", "--samples", "1e6")
    one_line_error(process.stderr, "--samples: at most 32,768 for delta")


def test_two_way_grid_too_large_for_memory_is_refused_before_allocating():
    process = roq("sweep", "--kind", "twoway", "--points", 100000)
    assert process.returncode == 2
    one_line_error(process.stderr, "--points: a 100,000 x 100,000 grid is 10,000,000,000 cells", "GiB")


# --------------------------------------------------------------------------- 3. files


def test_output_folder_is_checked_before_computing(tmp_path):
    blocker = tmp_path / "taken"
    blocker.write_text("mine")
    # 10**12 scenarios would run for days: refused at once, or the subprocess timeout fails the test
    process = roq("simulate", "--samples", "1e12", "--out", blocker)
    assert process.returncode == 2
    one_line_error(process.stderr, "--out", "is not a directory")
    assert blocker.read_text() == "mine"
    for command in (["sensitivity"], ["sweep"], ["report"]):
        process = roq(*command, "--out", blocker)
        assert process.returncode == 2
        one_line_error(process.stderr, "--out")


def test_rerunning_into_a_folder_never_mixes_runs(tmp_path):
    out = tmp_path / "out"
    first = roq("simulate", "--samples", 4096, "--out", out, "--charts", "png")
    assert first.returncode == 0, first.stderr
    assert (out / "roq_distribution.png").exists()
    before = listing(out)
    refused = roq("simulate", "--samples", 4096, "--out", out)
    assert refused.returncode == 2
    one_line_error(refused.stderr, "--out", "earlier run", "--force")
    assert listing(out) == before  # nothing touched
    second = roq("simulate", "--samples", 8192, "--out", out, "--force")
    assert second.returncode == 0, second.stderr
    names = set(listing(out))
    assert "roq_distribution.png" not in names  # the old charts went with the old run
    assert names == {MANIFEST} | set((out / MANIFEST).read_text().split())  # exactly this run's set
    assert {"montecarlo.xlsx", "montecarlo_summary.csv", "scenario_inputs.csv"} <= names and not any(n.endswith(".png") for n in names)
    assert not [p for p in tmp_path.rglob("*") if "staging" in p.name or ".tmp" in p.name]


def test_a_file_of_the_same_name_is_not_overwritten_without_force(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "sweep_oneway.csv").write_text("precious")
    process = roq("sweep", "--kind", "oneway", "--out", out)
    assert process.returncode == 2
    one_line_error(process.stderr, "sweep_oneway.csv already exists", "--force")
    assert (out / "sweep_oneway.csv").read_text() == "precious"


def _tiny_workbook(path: Path) -> Path:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Sheet1")
    sheet.write_number("A1", 2)
    sheet.write_number("A2", 3)
    sheet.write_formula("C1", "=A1*A2", None, 6)
    workbook.close()
    return path


def test_recalc_does_not_overwrite_another_workbook_without_force(tmp_path, capsys):
    source = _tiny_workbook(tmp_path / "A.xlsx")
    other = tmp_path / "B.xlsx"
    other.write_bytes(b"someone else's workbook")
    assert main(["recalc", str(source), "-o", str(other)]) == 2
    one_line_error(capsys.readouterr().err, "--output", "B.xlsx already exists", "--force")
    assert other.read_bytes() == b"someone else's workbook"
    assert main(["recalc", str(source), "-o", str(other), "--force"]) == 0
    assert other.read_bytes()[:2] == b"PK"


def test_paste_refuses_undecodable_and_malformed_csv_and_reads_semicolons(tmp_path, capsys):
    source = _tiny_workbook(tmp_path / "A.xlsx")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"1,2\ncaf\xe9,3\n")
    quotes = tmp_path / "quotes.csv"
    quotes.write_text('1,2\n"open,3\n4,5\n')
    for path, needle in ((binary, "binary"), (latin, "line 2 is not UTF-8"), (quotes, "line 2: a quoted field is never closed")):
        assert main(["recalc", str(source), "--paste", f"Sheet1!A1={path}", "--force"]) == 2
        one_line_error(capsys.readouterr().err, "--paste", needle)
    assert not (tmp_path / "A.recalc.xlsx").exists()
    semicolons = tmp_path / "semi.csv"
    semicolons.write_text("4;2,5\n")
    assert main(["recalc", str(source), "--paste", f"Sheet1!A1={semicolons}"]) == 0
    import openpyxl

    cells = openpyxl.load_workbook(tmp_path / "A.recalc.xlsx", data_only=True)["Sheet1"]
    assert (cells["A1"].value, cells["B1"].value, cells["A2"].value, cells["C1"].value) == (4, 2.5, 3, 12)


def test_toml_with_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + BUILTIN.read_bytes())
    process = roq("simulate", path, "--samples", 1024)
    assert process.returncode == 0, process.stderr
    assert "PAYS" in process.stdout


def test_failed_write_names_the_file_and_leaves_nothing(tmp_path):
    def fail(temporary):
        Path(temporary).write_bytes(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError) as caught:
        atomic_write(tmp_path / "chart.png", fail)
    assert caught.value.filename == str(tmp_path / "chart.png")
    assert list(tmp_path.iterdir()) == []
    outputs = OutputSet(tmp_path / "set").check()
    with pytest.raises(OSError) as caught:
        with outputs.staging() as stage:
            (stage / "a.csv").write_text("fine")
            atomic_write(stage / "b.png", fail)
    assert caught.value.filename == str(tmp_path / "set" / "b.png") and "nothing written" in caught.value.strerror
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def tiny_disk(tmp_path):
    """A 200 kB tmpfs (needs root and mount permission; skipped otherwise)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(mount)], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as error:
        pytest.skip(f"cannot mount a tmpfs here ({error})")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True, timeout=10)


def test_disk_full_names_the_file_and_writes_nothing(tiny_disk):
    (tiny_disk / "keep.txt").write_text("already here")
    process = roq("simulate", "--samples", 4096, "--out", tiny_disk / "run", "--charts", "png,svg,pdf")
    assert process.returncode == 2
    line = one_line_error(process.stderr, "No space left on device", "nothing written")
    assert f"{tiny_disk / 'run'}/" in line  # the file is named
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["keep.txt"]  # no half set, no temporary files


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_interrupted_while_writing_leaves_no_temporary_files(tmp_path, signum):
    out = tmp_path / "out"
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "simulator.cli", "simulate", "--samples", "4096", "--out", str(out),
                                "--charts", "png,svg,pdf", "--seed", "5"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if any("staging" in p.name for p in tmp_path.iterdir()):
                break  # writing has started
            time.sleep(0.005)
        time.sleep(0.05)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert "Traceback" not in stderr
    if process.returncode in (0,):  # it finished before the signal: then the whole set is there
        assert (out / MANIFEST).exists()
    else:
        assert process.returncode == 128 + signum if signum == signal.SIGTERM else process.returncode == 130
        assert not out.exists()
    assert not [p for p in tmp_path.rglob("*") if "staging" in p.name or ".tmp" in p.name]


# --------------------------------------------------------------------------- 4. engines


def test_scheduler_that_is_not_an_address_is_a_quick_one_line_error():
    process = roq("simulate", "--samples", 1000, "--scheduler", "notanaddress", "--connect-timeout", 3)
    assert process.returncode == 2
    one_line_error(process.stderr, "--scheduler", "not a scheduler address")


def test_connect_timeout_bounds_the_handshake_with_a_service_that_is_not_dask():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        process = roq("simulate", "--samples", 1000, "--scheduler", f"tcp://127.0.0.1:{server.server_address[1]}", "--connect-timeout", 3)
        elapsed = time.monotonic() - started
    finally:
        server.shutdown()
        server.server_close()
    assert process.returncode == 2
    one_line_error(process.stderr, "--scheduler", "did not answer as a Dask scheduler within 3 s")
    # the handshake waited about --connect-timeout, not forever (the subprocess timeout would fail first);
    # under load start-up alone can take tens of seconds, so only the message's 3 s is checked
    assert elapsed < 180
