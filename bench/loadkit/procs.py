"""Child processes of the bench: output to files (a full pipe must never stall a child),
banners found by polling those files, stopped by their own pid only."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class Child:
    def __init__(
        self, name: str, args: list[str], tmp: Path, *, stdin: bool = False,
        env: dict[str, str] | None = None,
    ) -> None:  # fmt: skip
        self.name = name
        self.out = tmp / f"{name}.out"
        self.err = tmp / f"{name}.err"
        with open(self.out, "wb") as out, open(self.err, "wb") as err:
            self.popen = subprocess.Popen(
                args,
                stdout=out,
                stderr=err,
                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                cwd=REPO,
                env={**os.environ, **(env or {})},
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def text(self) -> str:
        return self.out.read_text(encoding="utf-8", errors="replace")

    def tail(self) -> str:
        return self.err.read_text(encoding="utf-8", errors="replace")[-2000:]

    async def line_with(self, marker: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            for line in self.text().splitlines():
                if marker in line:
                    return line
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.popen.returncode}): {self.tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} did not print {marker!r} in {timeout}s")
            await asyncio.sleep(0.05)

    def send(self, line: str) -> None:
        assert self.popen.stdin is not None
        self.popen.stdin.write(line.encode() + b"\n")
        self.popen.stdin.flush()

    def stop(self, timeout: float = 15.0) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        if self.popen.stdin is not None:
            self.popen.stdin.close()


def python(*args: str) -> list[str]:
    return [sys.executable, *args]
