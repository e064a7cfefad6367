"""``cti run`` with the collector's pauses noted (bench --diagnose): the engine is the
stock one; this only registers a ``gc.callbacks`` hook, which changes no engine code,
and writes each collection's generation, start and duration to a JSON file at exit.

``BENCH_GC_FREEZE_AFTER`` (seconds) calls ``gc.freeze()`` once that long after start
(the engine is up by then): an experiment on what the full collections cost.
``BENCH_SWITCH_INTERVAL`` (seconds) sets the interpreter's GIL switch interval (default
0.005) for an experiment: how long the event loop waits for the GIL while worker threads
(the CRM's SQLAlchemy calls) run Python.

    python -m bench.loadkit.gcwatch OUT.json run --config site.yaml
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import sys
import threading
import time
from typing import Any


def main() -> int:
    out, argv = sys.argv[1], sys.argv[2:]
    pauses: list[tuple[int, float, float]] = []  # (generation, wall start, seconds)
    started: dict[str, float] = {}
    census: dict[str, Any] = {}

    def note(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started["t"] = time.perf_counter()
            started["wall"] = time.time()
        elif "t" in started:
            pauses.append((info["generation"], started["wall"], time.perf_counter() - started["t"]))
            if info["generation"] == 2 and sum(p[0] == 2 for p in pauses) == 8 and not census:
                # Once, mid-run: what the full collections walk (the objects it tracks).
                objects = gc.get_objects()
                kinds: dict[str, int] = {}
                for o in objects:
                    name = type(o).__qualname__
                    kinds[name] = kinds.get(name, 0) + 1
                census.update(
                    at=time.time(),
                    tracked=len(objects),
                    top=sorted(kinds.items(), key=lambda kv: -kv[1])[:15],
                )

    def dump() -> None:
        with open(out, "w", encoding="utf-8") as f:
            json.dump({"pauses": pauses, "thresholds": gc.get_threshold(), "census": census}, f)

    interval = os.environ.get("BENCH_SWITCH_INTERVAL")
    if interval:
        sys.setswitchinterval(float(interval))
    freeze_after = os.environ.get("BENCH_GC_FREEZE_AFTER")
    if freeze_after:
        timer = threading.Timer(float(freeze_after), gc.freeze)
        timer.daemon = True
        timer.start()
    gc.callbacks.append(note)
    atexit.register(dump)
    from cti.cli import main as cti_main

    return cti_main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
