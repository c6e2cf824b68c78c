"""A reader that stops early (roq simulate | head) ends roq quietly, as other tools do."""

import subprocess
import sys


def test_closed_pipe_is_quiet():
    command = f"{sys.executable} -m simulator.cli simulate --samples 70000 --no-progress | head -n 1"
    completed = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, timeout=120)
    assert completed.stdout.startswith("Monte Carlo: ")
    assert completed.stderr == ""  # no "roq: error: Broken pipe", no traceback
    assert completed.returncode in (0, 141)  # 141: roq saw the pipe close (128 + SIGPIPE)
