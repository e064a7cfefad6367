"""The `cti` command as a user runs it: demo batch, config check, clean stop on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import REPO

CTI = [sys.executable, "-m", "cti.cli"]


def test_demo_batch_of_twenty_calls(tmp_path: Path) -> None:
    out = subprocess.run(
        [*CTI, "demo", "--calls", "20", "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=REPO,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["calls"] == 20
    assert result["interactions_written"] == 20
    assert result["lost"] == 0 and result["duplicated"] == 0
    with sqlite3.connect(tmp_path / "demo.sqlite3") as db:
        assert db.execute("select count(distinct call_id) from interactions").fetchone()[0] == 20
        known = db.execute(
            "select count(*) from interactions where customer_id is not null"
        ).fetchone()[0]
        steps = [json.loads(r[0]) for r in db.execute("select ivr_steps from interactions")]
    # Most callers are demo customers, identified by the hotline from their caller ID.
    assert result["identified"] == known and known >= 12
    assert result["identified_percent"] == round(100 * known / 20, 1) >= 60.0
    # Every call ran the complete hotline flow; the 朝阳区 callers heard the fibre cut.
    for path in steps:
        nodes = [s["node"] for s in path]
        assert nodes[:2] == ["language", "identify"] and "main-menu" in nodes, nodes
    assert result["incident_announced"] == sum(
        1 for path in steps if "incident" in [s["node"] for s in path]
    )
    assert result["incident_announced"] >= 2


def test_config_check_reports_file_and_line(tmp_path: Path) -> None:
    env = {**os.environ, "CTI_AMI_SECRET": "x", "CTI_WEB_SECRET": "y"}
    good = subprocess.run(
        [*CTI, "config", "check", "--config", "config/site.yaml"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )
    assert good.returncode == 0 and "ok" in good.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("asterisk:\n  - host: pbx\n    port: fifty\n", encoding="utf-8")
    out = subprocess.run(
        [*CTI, "config", "check", "--config", str(bad)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert out.returncode == 1
    assert f"{bad}:3: asterisk[0].port: expected a whole number" in out.stderr


def test_sigterm_stops_the_demo_within_five_seconds_without_losing_writes(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [*CTI, "demo", "--port", "0", "--workdir", str(tmp_path), "--time-scale", "0.02"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        assert "CTI demo running" in banner, proc.stderr.read() if proc.poll() else banner
        db = tmp_path / "demo.sqlite3"
        deadline = time.monotonic() + 60
        rows = 0
        while rows < 3 and time.monotonic() < deadline:  # calls are flowing and landing
            with sqlite3.connect(db) as conn:
                rows = conn.execute("select count(*) from interactions").fetchone()[0]
            time.sleep(0.05)  # poll interval of the wait for rows, not a synchronization
        assert rows >= 3
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        assert time.monotonic() - started < 5.0
        assert proc.returncode == 0
        journal = tmp_path / "journal.jsonl"
        assert not journal.exists() or journal.stat().st_size == 0, "nothing left unwritten"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_run_connects_to_an_asterisk_from_a_site_file(tmp_path: Path) -> None:
    """`cti run` against the simulator standing in for a real Asterisk 22."""
    sim = subprocess.Popen(
        [
            *CTI,
            "simulate",
            "--ami-port",
            "0",
            "--agi-port",
            "0",
            "--agents",
            "2",
            "--recordings",
            str(tmp_path / "rec"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    run = None
    try:
        assert sim.stdout is not None
        line = sim.stdout.readline()
        port = int(line.split("127.0.0.1:")[1].split()[0].rstrip(";,"))
        site = tmp_path / "site.yaml"
        site.write_text(
            f"""asterisk:
  - name: pbx1
    host: 127.0.0.1
    port: {port}
    username: cti
    secret_env: CTI_AMI_SECRET
    md5_auth: true
fastagi: {{host: 127.0.0.1, port: 0}}
database: {{url: "sqlite:///{tmp_path / "crm.sqlite3"}"}}
web: {{host: 127.0.0.1, port: 0}}
journal: {tmp_path / "journal.jsonl"}
""",
            encoding="utf-8",
        )
        env = {**os.environ, "CTI_AMI_SECRET": "ctisecret"}
        run = subprocess.Popen(
            [*CTI, "--log-level", "INFO", "run", "--config", str(site)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env=env,
        )
        assert run.stdout is not None and run.stderr is not None
        assert "CTI engine running" in run.stdout.readline()
        deadline = time.monotonic() + 20
        seen = ""
        while "ami resynced" not in seen and time.monotonic() < deadline:
            seen += run.stderr.readline()
        assert '"msg": "ami connected"' in seen and "ami resynced" in seen
        assert "ctisecret" not in seen
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=10) == 0
    finally:
        for proc in (run, sim):
            if proc is None:
                continue
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
