"""AMI ingest speed on the recorded 50-call burst: panoramisk 1.4 against this codec.

Run: ``.venv/bin/python bench/ami_ingest.py [--repeat N]``. Every parser gets the same
bytes (``d_burst.rx.raw.gz`` unpacked), fed once in 64 KiB chunks and once in the read
sizes recorded from the real Asterisk socket. The rate is events in the trace divided by
the best wall time of N runs, so a parser that drops events it does not need is credited
for all of them: that is the work the engine's socket reader has to keep up with.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cti.ami.protocol import AmiParser, Event  # noqa: E402
from cti.ami.wanted import ENGINE_EVENTS  # noqa: E402

FIXTURES = REPO.parent / "shared" / "fixtures" / "asterisk" / "ami"
CHUNK = 64 * 1024

Runner = Callable[[Sequence[bytes]], int]


def load_trace(fixtures: Path) -> tuple[bytes, list[int]]:
    data = gzip.decompress((fixtures / "d_burst.rx.raw.gz").read_bytes())
    reads = []
    with open(fixtures / "d_burst.idx.jsonl", encoding="utf-8") as idx:
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
        events = 0
        forgetable_actions = ()
        awaiting_actions: list[object] = []

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


def make_codec_runner(**options: object) -> Runner:
    def run(chunks: Sequence[bytes]) -> int:
        parser = AmiParser(**options)  # type: ignore[arg-type]
        events = 0
        for chunk in chunks:
            for message in parser.feed(chunk):
                if type(message) is Event:
                    events += 1
        return events

    return run


def best_time(runner: Runner, chunks: Sequence[bytes], repeat: int) -> tuple[float, int]:
    best, seen = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        seen = runner(chunks)
        best = min(best, time.perf_counter() - start)
    return best, seen


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--repeat", type=int, default=15, help="runs per case; the best counts")
    cli.add_argument("--fixtures", type=Path, default=FIXTURES)
    args = cli.parse_args()

    data, reads = load_trace(args.fixtures)
    total_events = AmiParser()  # count with the full parser: the reference for every rate
    events_in_trace = sum(type(m) is Event for m in total_events.feed(data))
    feeds = {
        "64KiB": chunked(data, [CHUNK] * (len(data) // CHUNK + 1)),
        "recorded": chunked(data, reads),
    }
    parsers: dict[str, Runner] = {
        "panoramisk": run_panoramisk,
        "full": make_codec_runner(),
        "engine": make_codec_runner(only_events=ENGINE_EVENTS),
    }
    print(
        f"trace d_burst: {len(data):,} bytes, {events_in_trace:,} events, "
        f"{len(reads)} recorded reads; best of {args.repeat}; "
        f"python {platform.python_version()}"
    )
    print(f"{'parser':<12}{'feed':<10}{'events out':>11}{'ms':>9}{'events/s':>12}")
    rates: dict[str, dict[str, float]] = {}
    for name, runner in parsers.items():
        for feed_name, chunks in feeds.items():
            seconds, out = best_time(runner, chunks, args.repeat)
            rate = events_in_trace / seconds
            rates.setdefault(name, {})[feed_name] = rate
            print(f"{name:<12}{feed_name:<10}{out:>11,}{seconds * 1e3:>9.2f}{rate:>12,.0f}")
    ratios = {f: rates["engine"][f] / rates["panoramisk"][f] for f in feeds}
    for feed_name, ratio in ratios.items():
        print(f"engine / panoramisk ({feed_name}): {ratio:.2f}x")
    print(
        json.dumps(
            {
                "events": events_in_trace,
                "bytes": len(data),
                "repeat": args.repeat,
                "events_per_s": {k: {f: round(v) for f, v in r.items()} for k, r in rates.items()},
                "engine_over_panoramisk": {f: round(v, 2) for f, v in ratios.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
