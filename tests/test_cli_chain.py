"""roq retention | spending | portfolio: output, files and one-line errors."""

import subprocess
import sys


def roq(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "simulator.cli", *args], capture_output=True, text=True, timeout=240, cwd=cwd)


def test_retention_without_arguments_shows_the_published_figure():
    done = roq("retention")
    assert done.returncode == 0, done.stderr
    assert "34.61% by the paper's procedure (published 34.61%)" in done.stdout


def test_retention_from_counts_writes_files_and_never_overwrites(tmp_path):
    done = roq("retention", "--counts", "4,10,21;20,17,4;6,2,0", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "retention.csv").stat().st_size > 0 and (tmp_path / "out" / "retention.png").stat().st_size > 0
    again = roq("retention", "--counts", "4,10,21;20,17,4;6,2,0", "--out", str(tmp_path / "out"))
    assert again.returncode == 2 and again.stderr.count("\n") == 1 and "--force" in again.stderr
    forced = roq("retention", "--counts", "4,10,21;20,17,4;6,2,0", "--out", str(tmp_path / "out"), "--force")
    assert forced.returncode == 0, forced.stderr


def test_retention_bad_counts_one_line():
    done = roq("retention", "--counts", "4,10,21;20,-17,4;6,2,0")
    assert done.returncode == 2
    assert done.stderr.strip() == "roq: error: counts: satisfied x unsure is negative (-17); counts are numbers of respondents"


def test_spending_and_portfolio_run_on_the_builtin_chain(tmp_path):
    done = roq("spending", "--samples", "2000", "--out", str(tmp_path / "s"))
    assert done.returncode == 0, done.stderr
    assert "marginal ROQ there: 1.000" in done.stdout
    done = roq("portfolio", "--samples", "2000", "--budget", "2e8")
    assert done.returncode == 0, done.stderr
    assert "chosen: Customer database, Agent database" in done.stdout


def test_portfolio_budget_below_every_programme():
    done = roq("portfolio", "--samples", "500", "--budget", "1e6")
    assert done.returncode == 2 and "budget: 1,000,000 is below the cheapest programme" in done.stderr
    assert "Traceback" not in done.stderr
