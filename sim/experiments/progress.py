"""A sweep's progress: done/total runs, rate and ETA on one line of stderr; and the batches' timings, aggregated for
the manifest."""

from __future__ import annotations

import math
import sys
import time
from typing import Any


class ProgressBar:
    """``done/total runs, %, rate, ETA`` on one line of stderr, redrawn with ``\\r`` (a new line every 10% when
    stderr is not a terminal)."""

    def __init__(self, label: str = "sweep", stream=None, width: int = 24):
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.t0: float | None = None
        self.start_done = 0
        self.last_draw = 0.0
        self.last_decile = -1

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if self.t0 is None:
            self.t0, self.start_done = now, done
        finished = done >= total
        if self.tty:
            if not finished and now - self.last_draw < 0.1:
                return
        else:
            decile = int(10 * done / total) if total else 10
            if decile == self.last_decile and not finished:
                return
            self.last_decile = decile
        self.last_draw = now
        self.stream.write(("\r" if self.tty else "") + self.line(done, total, now) + ("" if self.tty else "\n"))
        if self.tty and finished:
            self.stream.write("\n")
        self.stream.flush()

    def line(self, done: int, total: int, now: float) -> str:
        frac = done / total if total else 1.0
        filled = int(round(frac * self.width))
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = now - (self.t0 or now)
        new = done - self.start_done
        rate = new / elapsed if elapsed > 0 and new > 0 else 0.0
        eta = (total - done) / rate if rate > 0 else None
        return (f"{self.label} [{bar}] {done}/{total} runs {100 * frac:5.1f}%  {rate:6.2f} runs/s  "
                f"elapsed {_clock(elapsed)}  ETA {_clock(eta) if eta is not None else '--:--'}")


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class Timings:
    """Streaming aggregates of the batches' timings for the manifest (constant memory)."""

    def __init__(self):
        self.hosts: dict[str, dict[str, float]] = {}
        self.runs = 0
        self.run_s_sum = 0.0
        self.run_s_max = 0.0
        self.run_s_min = math.inf

    def add(self, result: dict[str, Any]) -> None:
        host = self.hosts.setdefault(result["host"], {"runs": 0, "batches": 0, "busy_s": 0.0})
        host["runs"] += len(result["run_s"])
        host["batches"] += 1
        host["busy_s"] = round(host["busy_s"] + result["wall_s"], 3)
        for s in result["run_s"]:
            self.runs += 1
            self.run_s_sum += s
            self.run_s_max = max(self.run_s_max, s)
            self.run_s_min = min(self.run_s_min, s)

    def as_dict(self) -> dict[str, Any]:
        if not self.runs:
            return {"hosts": self.hosts}
        return {"hosts": self.hosts, "run_s": {"mean": round(self.run_s_sum / self.runs, 4),
                                               "min": round(self.run_s_min, 4), "max": round(self.run_s_max, 4)}}
