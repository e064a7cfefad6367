"""The desk's browser phone on one real Asterisk 22: how fast it rings and how fast audio
flows once the agent clicks answer.

Run: ``.venv/bin/python bench/softphone_latency.py [--calls 50]`` (needs the test suite's
Asterisk, scripts/build_asterisk.sh, and /usr/bin/chromium).

One browser agent (real headless Chromium, fake microphone, the desk's JsSIP phone over
Asterisk's WebSocket with DTLS-SRTP, as in tests/asterisk/test_browser_phone.py) takes
``--calls`` SIPp callers one after another; each keys 1 in the shipped IVR.

* routing decision -> ringing: from the engine choosing the agent for the call (the
  routing executor's ``offering``, in this process, wall clock) to the browser's JsSIP
  ``newRTCSession`` for the INVITE (``performance.timeOrigin + now()``, same clock).
  It spans the AMI Redirect, the dialplan's Dial and the INVITE over the WebSocket.
* answer click -> first RTP: from the click on the desk's answer button to the first
  audio packet the browser's inbound-rtp stats count (polled every 10 ms, so figures are
  up to ~10 ms late). It spans getUserMedia, the 200 OK, ICE and the DTLS handshake.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.asterisk.browserphone import chromium_for_phones, open_desk, phone_rig, registered
from tests.asterisk.phones import Caller
from tests.asterisk.rig import until


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(calls: int, tmp: Path) -> dict[str, object]:
    ring_ms: list[float] = []
    media_ms: list[float] = []
    async with phone_rig(tmp, agents_on=("a1001",), browser_agents=("1001",)) as r:
        decided: dict[str, float] = {}
        model = r.engine.router.model
        offering = model.offering

        def timed(call_id: str, extension: str) -> None:
            decided.setdefault(call_id, time.time() * 1000)
            offering(call_id, extension)

        model.offering = timed  # type: ignore[method-assign]
        async with chromium_for_phones(tmp) as browser:
            desk = await open_desk(browser, r, "a1001")
            await registered(r, "1001-web")
            for i in range(1, calls + 1):
                caller = Caller(tmp, keys="1", number=f"1380000{i:04d}", hold_ms=30000)
                try:
                    await until(lambda: r.agent_state("a1001") == "ready", 20, "agent ready")
                    caller.dial(r.pbx)
                    ringing = await desk.wait_event("ringing", count=i, timeout=40)
                    call_id = next(c for c in decided if c not in {e.call_id for e in r.ended()})
                    ring_ms.append(ringing["t"] - decided[call_id])
                    await desk.page.click("#ph-answer")
                    click = await desk.wait_event("answer_click", count=i)
                    first = await desk.wait_event("first_rtp", count=i, timeout=20)
                    media_ms.append(first["t"] - click["t"])
                    await desk.page.click("#ph-hangup")
                    await until(lambda n=i: len(r.ended()) >= n, 20, f"call {i} to end")
                finally:
                    caller.stop()
    return {
        "calls": calls,
        "decision_to_ringing_ms": {
            "p50": round(pct(ring_ms, 0.5), 1),
            "p99": round(pct(ring_ms, 0.99), 1),
            "mean": round(statistics.fmean(ring_ms), 1),
        },
        "answer_click_to_first_rtp_ms": {
            "p50": round(pct(media_ms, 0.5), 1),
            "p99": round(pct(media_ms, 0.99), 1),
            "mean": round(statistics.fmean(media_ms), 1),
        },
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--calls", type=int, default=50)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="softphone-bench-") as tmp:
        result = asyncio.run(run(args.calls, Path(tmp)))
    print(
        f"softphone, {result['calls']} calls: routing decision -> browser ringing "
        f"p50 {result['decision_to_ringing_ms']['p50']} ms, "
        f"p99 {result['decision_to_ringing_ms']['p99']} ms; answer click -> first RTP "
        f"p50 {result['answer_click_to_first_rtp_ms']['p50']} ms, "
        f"p99 {result['answer_click_to_first_rtp_ms']['p99']} ms"
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
