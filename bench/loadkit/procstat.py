"""CPU and RSS of processes from /proc (no psutil here), sampled in the background."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import sys
from dataclasses import dataclass, field

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    with open("/proc/stat", encoding="ascii") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / TICK, sum(values) / TICK


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Sampler:
    """Samples each process every ``every`` seconds while running."""

    pids: dict[str, int]
    every: float = 0.5
    peak_rss: dict[str, float] = field(default_factory=dict)
    cpu_start: dict[str, float] = field(default_factory=dict)
    cpu_end: dict[str, float] = field(default_factory=dict)
    busiest: dict[str, float] = field(default_factory=dict)  # max CPU % over one second
    seconds: float = 0.0
    machine_start: tuple[float, float] = (0.0, 0.0)
    machine_end: tuple[float, float] = (0.0, 0.0)

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        self.cpu_start = {k: cpu_seconds(p) for k, p in self.pids.items()}
        self.machine_start = machine_busy()
        last, last_t = dict(self.cpu_start), start
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.every):
                    await stop.wait()
            now = loop.time()
            for name, pid in self.pids.items():
                with contextlib.suppress(OSError):
                    cpu = cpu_seconds(pid)
                    self.peak_rss[name] = max(self.peak_rss.get(name, 0.0), rss_mb(pid))
                    if now - last_t >= 0.9:
                        pct = 100 * (cpu - last[name]) / (now - last_t)
                        self.busiest[name] = max(self.busiest.get(name, 0.0), pct)
                    self.cpu_end[name] = cpu
            if now - last_t >= 0.9:
                last, last_t = dict(self.cpu_end), now
        self.seconds = loop.time() - start
        self.machine_end = machine_busy()

    def cpu_percent(self, name: str) -> float:
        """Average CPU over the sampled window, in % of one core."""
        if not self.seconds:
            return 0.0
        return 100 * (self.cpu_end.get(name, 0.0) - self.cpu_start.get(name, 0.0)) / self.seconds

    def machine_percent(self) -> float:
        """Whole machine busy over the window, in % of one core (200 = both cores)."""
        return 100 * (self.machine_end[0] - self.machine_start[0]) / max(self.seconds, 1e-9)


def machine() -> dict[str, str | int]:
    model = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count() or 0,
        "cpu": model,
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "load_avg_1m_before": f"{os.getloadavg()[0]:.2f}",
    }
