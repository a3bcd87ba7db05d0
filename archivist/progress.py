"""A one-line progress bar on a terminal's stderr; silent anywhere else."""

from __future__ import annotations

import sys
import time


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Progress:
    """``label  done/total  pct  rate  ETA``, redrawn at most ten times a second."""

    WIDTH = 24

    def __init__(self, label: str, total: int, *, stream=None, enabled: bool | None = None) -> None:
        self.label = label
        self.total = max(total, 0)
        self.done = 0
        self._stream = stream or sys.stderr
        if enabled is None:
            enabled = hasattr(self._stream, "isatty") and self._stream.isatty()
        self.enabled = enabled
        self._started = time.monotonic()
        self._drawn = 0.0

    def advance(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and (now - self._drawn >= 0.1 or self.done >= self.total):
            self._drawn = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        total = max(self.total, self.done, 1)
        share = self.done / total
        filled = int(share * self.WIDTH)
        elapsed = now - self._started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (total - self.done) / rate if rate > 0 else 0.0
        bar = "█" * filled + "·" * (self.WIDTH - filled)
        line = (
            f"\r{self.label} {bar} {self.done:,}/{total:,} {share:4.0%}"
            f"  {rate:.1f}/s  ETA {_duration(eta)} "
        )
        self._stream.write(line)
        self._stream.flush()

    def close(self) -> None:
        if self.enabled and self._drawn:
            self._stream.write("\r\x1b[K")
            self._stream.flush()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._started
