"""Progress of long runs on stderr: a bar on a terminal, plain periodic lines otherwise.

Every command that can run past a few seconds reports through this module, so a run
sent to a log file or a CI job is never silent:

- on a terminal (stderr is a TTY): a tqdm bar (counts, rate, time left), or for work
  without a count (a SALib analysis) a running clock;
- otherwise: one plain line every :data:`PLAIN_INTERVAL` seconds (10 s; the
  environment variable ``ROQ_PROGRESS_SECONDS`` changes it), e.g.
  ``roq: Monte Carlo: 41,943,040 of 1,000,000,000,000 scenarios (0.0042%), 5 s elapsed, about 33.1 h left``.

Runs shorter than the interval print nothing (unless ``enabled=True``: then one line at the end). ``enabled=False`` silences both (``--no-progress``).
"""

from __future__ import annotations

import os
import sys
import threading
import time

__all__ = ["Progress", "heartbeat", "format_duration", "PLAIN_INTERVAL"]

#: Seconds between plain progress lines when stderr is not a terminal.
PLAIN_INTERVAL = 10.0


def _interval() -> float:
    try:
        value = float(os.environ.get("ROQ_PROGRESS_SECONDS", PLAIN_INTERVAL))
    except ValueError:
        return PLAIN_INTERVAL
    return value if value > 0 else PLAIN_INTERVAL


def format_duration(seconds: float) -> str:
    """``42 s``, ``7.5 min``, ``3.2 h``, ``12 days``, ``3.1 years``."""
    if seconds != seconds:
        return "unknown"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    if seconds < 730 * 86400:
        return f"{seconds / 86400:.0f} days"
    return f"{seconds / (365.25 * 86400):.3g} years"


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """Counted progress (``update(n)``), shown as a bar or as plain lines; see the module docstring.

    Parameters
    ----------
    total : int
        Units of work (e.g. scenarios).
    label : str
        What runs (``"Monte Carlo"``).
    unit : str
        Name of one unit (``"scenario"``).
    enabled : bool, optional
        None: a bar on a terminal (for ``total >= min_bar``), plain lines otherwise.
    """

    def __init__(self, total: int, label: str, unit: str = "scenario", *, enabled: bool | None = None, stream=None, min_bar: int = 0):
        self.total, self.label, self.unit = int(total), label, unit
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self.started = time.perf_counter()
        self._bar = None
        self._plain = False
        self._next_line = self.started + _interval()
        self.enabled = enabled
        self._closed = False
        if enabled is False:
            return
        if _is_terminal(self.stream):
            if enabled or self.total >= min_bar:
                try:
                    from tqdm import tqdm
                except ImportError:  # optional: plain lines instead of a bar
                    self._plain = True
                else:
                    self._bar = tqdm(total=self.total, unit=unit, unit_scale=True, file=self.stream, desc=label, leave=False)
        else:
            self._plain = True

    def update(self, n: int) -> None:
        self.done += int(n)
        if self._bar is not None:
            self._bar.update(n)
        elif self._plain:
            now = time.perf_counter()
            if now >= self._next_line:
                self._next_line = now + _interval()
                self.line(now)

    def line(self, now: float | None = None) -> None:
        """Print one plain progress line now."""
        elapsed = (now or time.perf_counter()) - self.started
        share = self.done / self.total if self.total else 1.0
        left = elapsed / self.done * (self.total - self.done) if self.done else float("nan")
        shown = f"{share:.2%}" if share >= 1e-4 or share == 0 else f"{100 * share:.2g}%"
        print(f"roq: {self.label}: {self.done:,} of {self.total:,} {self.unit}s ({shown}), {format_duration(elapsed)} elapsed, "
              f"about {format_duration(left)} left", file=self.stream, flush=True)

    def note(self, text: str) -> None:
        """A message that does not break the bar."""
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self._plain and self.enabled and not self._closed:
            self.line()  # asked for explicitly: at least one line, however short the run
        self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class heartbeat:
    """Context manager for work without a count (e.g. a SALib analysis): a running clock on
    a terminal, ``roq: <label>: still running, 20 s elapsed`` every interval otherwise.

    Examples
    --------
    >>> with heartbeat("sensitivity (delta)", enabled=False):
    ...     pass
    """

    def __init__(self, label: str, *, enabled: bool | None = None, stream=None):
        self.label = label
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self._stop = threading.Event()
        self._thread = None

    def __enter__(self):
        if self.enabled is False:
            return self
        self.started = time.perf_counter()
        terminal = _is_terminal(self.stream)
        interval = 1.0 if terminal else _interval()

        def beat():
            while not self._stop.wait(interval):
                elapsed = format_duration(time.perf_counter() - self.started)
                if terminal:
                    self.stream.write(f"\r{self.label}: running, {elapsed} elapsed ")
                    self.stream.flush()
                else:
                    print(f"roq: {self.label}: still running, {elapsed} elapsed", file=self.stream, flush=True)
            if terminal:
                self.stream.write("\r\033[K")
                self.stream.flush()

        self._thread = threading.Thread(target=beat, name="roq-heartbeat", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=2)
