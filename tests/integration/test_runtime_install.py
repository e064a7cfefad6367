"""A runtime-only install starts the demo.

``make demo`` installs the project without its test extras. This builds a fresh
virtualenv, installs the project the same way (``pip install -e .`` of a copy of the
source, no extras, as ``scripts/bootstrap.sh demo`` does; pip's local wheels and cache
keep it quick), starts ``cti demo`` on a free loopback port in a
temporary work directory, checks that /health and the login page answer, and stops it
with SIGINT as a user's Ctrl-C would. A module only the test extras bring in makes the
demo die at start-up and this test fail with its traceback.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_demo_starts_from_a_runtime_only_install(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # A copy of the source, so the build does not write into the worktree.
    src = tmp_path / "src"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "var", "tests", "bench", "*.egg-info", "__pycache__", "build"
        ),
    )
    pip = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-e", str(src)],
        capture_output=True,
        text=True,
        timeout=480,
    )
    assert pip.returncode == 0, pip.stderr[-3000:]
    # The test extras are really absent, so the check means something.
    probe = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import pytest"], capture_output=True, text=True
    )
    assert probe.returncode != 0

    workdir = tmp_path / "demo"
    log_path = tmp_path / "demo.log"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [str(venv / "bin" / "cti"), "demo", "--port", "0", "--workdir", str(workdir)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,  # not the worktree: only the installed packages can be imported
            env=env,
        )
    try:
        base = None
        deadline = time.monotonic() + 90
        while base is None and time.monotonic() < deadline:
            assert proc.poll() is None, log_path.read_text(encoding="utf-8")[-4000:]
            for line in log_path.read_text(encoding="utf-8").splitlines():
                # "CTI demo running. Log in: http://127.0.0.1:PORT/   Status: ..."
                if "Log in: " in line:
                    base = line.split("Log in: ")[1].split()[0].removesuffix("/")
            if base is None:
                time.sleep(0.2)
        assert base is not None, log_path.read_text(encoding="utf-8")[-4000:]
        status, body = _get(f"{base}/health")
        assert status == 200, body
        status, page = _get(f"{base}/login")
        assert status == 200 and "<form" in page, page[:500]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, log_path.read_text(encoding="utf-8")[-4000:]
