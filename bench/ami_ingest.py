"""AMI ingest speed on the recorded 50-call burst: panoramisk 1.4 against this codec.

Run: ``.venv/bin/python bench/ami_ingest.py [--repeat N]``. Every parser gets the same
bytes (``d_burst.rx.raw.gz`` unpacked), fed once in 64 KiB chunks and once in the read
sizes recorded from the real Asterisk socket:

* ``panoramisk``: ``AMIProtocol.data_received`` with a dummy transport and a factory
  whose ``dispatch`` counts events, the way panoramisk's ``Manager`` drives it;
* ``full``: ``AmiParser()``, every message parsed;
* ``engine``: ``AmiParser(only_events=ENGINE_EVENTS)``, what the engine runs.

The rate is the events in the trace divided by the best time of N runs (runs of all
cases are interleaved, so a busy machine slows them alike). A parser that drops events
it does not need is credited for all of them: that is the stream its socket reader has
to keep up with.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cti.ami.protocol import AmiParser, Event  # noqa: E402
from cti.ami.wanted import ENGINE_EVENTS  # noqa: E402

FIXTURES = Path(os.environ.get("CTI_FIXTURES", REPO.parent / "shared" / "fixtures" / "asterisk"))
CHUNK = 64 * 1024

Runner = Callable[[Sequence[bytes]], int]


def load_trace(fixtures: Path) -> tuple[bytes, list[int]]:
    data = gzip.decompress((fixtures / "ami" / "d_burst.rx.raw.gz").read_bytes())
    reads = []
    with open(fixtures / "ami" / "d_burst.idx.jsonl", encoding="utf-8") as idx:
        for line in idx:
            record = json.loads(line)
            if record.get("dir") == "rx":
                reads.append(record["len"])
    if sum(reads) != len(data):
        raise SystemExit("idx.jsonl read sizes do not add up to the capture")
    return data, reads


def chunked(data: bytes, sizes: Sequence[int]) -> list[bytes]:
    out, pos = [], 0
    for size in sizes:
        out.append(data[pos : pos + size])
        pos += size
    return out


def run_panoramisk(chunks: Sequence[bytes]) -> int:
    """panoramisk's own protocol object, wired the way its Manager wires it."""
    from panoramisk.ami_protocol import AMIProtocol

    class Transport:
        def write(self, data: bytes) -> None:
            pass

        def close(self) -> None:
            pass

    class Factory:
        def __init__(self) -> None:
            self.events = 0
            self.forgetable_actions: tuple[str, ...] = ()
            self.awaiting_actions: list[object] = []

        def dispatch(self, message: object) -> None:
            self.events += 1

        def connection_lost(self, exc: object) -> None:
            pass

    proto = AMIProtocol()
    proto.connection_made(Transport())
    proto.factory = factory = Factory()
    for chunk in chunks:
        proto.data_received(chunk)
    return factory.events


def codec_runner(**options: object) -> Runner:
    def run(chunks: Sequence[bytes]) -> int:
        parser = AmiParser(**options)  # type: ignore[arg-type]
        events = 0
        for chunk in chunks:
            for message in parser.feed(chunk):
                if type(message) is Event:
                    events += 1
        return events

    return run


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--repeat", type=int, default=20, help="runs per case; the best counts")
    cli.add_argument("--fixtures", type=Path, default=FIXTURES)
    args = cli.parse_args()

    data, reads = load_trace(args.fixtures)
    events_in_trace = sum(type(m) is Event for m in AmiParser().feed(data))
    feeds = {
        "64KiB": chunked(data, [CHUNK] * (len(data) // CHUNK + 1)),
        "recorded": chunked(data, reads),
    }
    parsers: dict[str, Runner] = {
        "panoramisk": run_panoramisk,
        "full": codec_runner(),
        "engine": codec_runner(only_events=ENGINE_EVENTS),
    }
    cases = [(name, feed) for name in parsers for feed in feeds]
    best = dict.fromkeys(cases, float("inf"))
    returned = dict.fromkeys(cases, 0)
    for _ in range(args.repeat):
        for name, feed in cases:
            start = time.perf_counter()
            returned[name, feed] = parsers[name](feeds[feed])
            best[name, feed] = min(best[name, feed], time.perf_counter() - start)

    print(
        f"d_burst: {len(data):,} bytes, {events_in_trace:,} events, {len(reads)} recorded "
        f"reads; best of {args.repeat}; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs"
    )
    print(f"{'parser':<12}{'feed':<10}{'events out':>11}{'best ms':>9}{'events/s':>11}")
    rates: dict[str, dict[str, int]] = {}
    for name, feed in cases:
        rate = events_in_trace / best[name, feed]
        rates.setdefault(name, {})[feed] = round(rate)
        print(
            f"{name:<12}{feed:<10}{returned[name, feed]:>11,}"
            f"{best[name, feed] * 1e3:>9.1f}{rate:>11,.0f}"
        )
    ratios = {feed: round(rates["engine"][feed] / rates["panoramisk"][feed], 2) for feed in feeds}
    for feed, ratio in ratios.items():
        print(f"engine / panoramisk, {feed} feeds: {ratio:.2f}x")
    summary = {
        "trace": "d_burst",
        "bytes": len(data),
        "events": events_in_trace,
        "repeat": args.repeat,
        "events_per_s": rates,
        "engine_over_panoramisk": ratios,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
