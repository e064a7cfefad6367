"""Fuzz the AMI and AGI codecs: no crash, no hang, bounded buffers.

Inputs are real Asterisk traces (../shared/fixtures/asterisk) mutated by a seeded
generator: bit flips, cuts, duplicated and spliced stretches, random bytes, huge lines,
lost or doubled blank lines, bare LF/CR, NULs, invalid UTF-8, odd tokens. Each input is
fed to a fresh codec in random chunks. A codec may only reject input with its
``RemoteProtocolError``; any other exception is a crash, an input taking over
``--hang-ms`` is a hang, and the bytes a codec holds must stay under its cap.

    .venv/bin/python bench/fuzz_codecs.py                  # 1,000,000 inputs per codec
    .venv/bin/python bench/fuzz_codecs.py --inputs 20000   # quick
    .venv/bin/python bench/fuzz_codecs.py --atheris ami --inputs 200000  # coverage-guided

It prints one JSON line per codec: inputs, inputs/s, exceptions by type, max buffered
bytes, the slowest input, peak RSS. Exit status 1 on a crash, hang or cap breach.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cti.agi.commands import AgiCommand  # noqa: E402
from cti.agi.errors import RemoteProtocolError as AgiRemoteError  # noqa: E402
from cti.agi.protocol import NEED_DATA, AgiConnection, ConnectionClosed  # noqa: E402
from cti.ami.protocol import AmiParser, RemoteProtocolError  # noqa: E402
from cti.ami.wanted import ENGINE_EVENTS  # noqa: E402

FIXTURES = Path(os.environ.get("CTI_FIXTURES", ROOT.parent / "shared" / "fixtures" / "asterisk"))
AMI_CAP = 8192  # small caps make the cap checks bite on ordinary inputs
AGI_LINE_CAP = 4096
TOKENS = [
    b"\r\n",
    b"\n",
    b"\r",
    b"\r\n\r\n",
    b"\n\n",
    b": ",
    b":",
    b"\x00",
    b"\xff\xfe",
    b"\xe4\xb8",
    b"Event: ",
    b"Response: Success\r\n",
    b"Response: Follows\r\n",
    b"--END COMMAND--\r\n",
    b"ActionID: ",
    b"Asterisk Call Manager/",
    b"Privilege: Command\r\n",
    b"Output: ",
    b"agi_",
    b"200 result=",
    b"520-Invalid command syntax.",
    b"520 End of proper usage.",
    b"HANGUP\n",
    b"511 Command Not Permitted",
    b"(timeout)",
    b"endpos=",
    b"result=-1",
    "张伟".encode(),
    b"\xe5\xbc",
    b" " * 50,
]


def _split(data: bytes, sep: bytes) -> list[bytes]:
    parts = data.split(sep)
    return [p + sep for p in parts if p]


def load_corpus() -> tuple[list[bytes], list[bytes]]:
    """Whole AMI messages and whole AGI sessions (environment plus replies)."""
    ami: list[bytes] = []
    for path in sorted((FIXTURES / "ami").glob("*.rx.raw*")):
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)[: 1 << 20]
        ami += _split(raw, b"\r\n\r\n")
    agi = [p.read_bytes() for p in sorted((FIXTURES / "agi").glob("*.rx.raw"))]
    if not ami or not agi:
        raise SystemExit(f"no traces under {FIXTURES}; set CTI_FIXTURES")
    return ami, agi


def mutate(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(0, 4)):
        op = rng.randrange(10)
        pos = rng.randrange(len(buf) + 1)
        if op == 0 and buf:  # bit flip
            i = rng.randrange(len(buf))
            buf[i] ^= 1 << rng.randrange(8)
        elif op == 1:  # cut
            buf = buf[:pos] if rng.random() < 0.5 else buf[pos:]
        elif op == 2 and buf:  # duplicate a stretch
            end = min(len(buf), pos + rng.randint(1, 64))
            buf[pos:pos] = buf[pos:end] * rng.randint(1, 4)
        elif op == 3:  # splice another message in
            other = rng.choice(pool)
            buf[pos:pos] = other[: rng.randint(0, len(other))]
        elif op == 4:  # random bytes
            buf[pos:pos] = rng.randbytes(rng.randint(1, 32))
        elif op == 5:  # a token
            buf[pos:pos] = rng.choice(TOKENS)
        elif op == 6:  # a long line: just under, just over the caps, rarely far over
            size = 70000 if rng.random() < 0.03 else rng.choice((100, 1000, 4090, 4100, 8180, 8200))
            buf[pos:pos] = b"X" * size
        elif op == 7:  # line breaks: CRLF to LF, or to CR
            buf = bytearray(bytes(buf).replace(b"\r\n", rng.choice((b"\n", b"\r", b"\r\r\n"))))
        elif op == 8 and buf:  # delete a stretch
            del buf[pos : pos + rng.randint(1, 16)]
        else:  # blank lines lost or doubled
            buf = bytearray(bytes(buf).replace(b"\r\n\r\n", rng.choice((b"\r\n", b"\r\n\r\n\r\n"))))
    return bytes(buf)


def chunks(rng: random.Random, data: bytes) -> Iterator[bytes]:
    mode = rng.randrange(4)
    if mode == 1 and len(data) > 512:
        mode = 2  # byte by byte only for small inputs: it costs a Python call per byte
    if mode == 0:
        yield data
        return
    pos = 0
    while pos < len(data):
        n = 1 if mode == 1 else rng.randint(1, 64 if mode == 2 else 4096)
        yield data[pos : pos + n]
        pos += n


@dataclass
class Stats:
    codec: str
    inputs: int = 0
    bytes_fed: int = 0
    seconds: float = 0.0
    inputs_per_second: float = 0.0
    exceptions: Counter[str] = field(default_factory=Counter)
    messages: int = 0
    max_buffered: int = 0
    cap: int = 0
    slowest_ms: float = 0.0
    hangs: int = 0
    crashes: list[str] = field(default_factory=list)
    peak_rss_mb: float = 0.0

    def failed(self) -> bool:
        return bool(self.crashes) or self.hangs > 0 or self.max_buffered > self.cap

    def line(self) -> str:
        d = asdict(self)
        d["exceptions"] = dict(self.exceptions)
        d["crashes"] = self.crashes[:5]
        return json.dumps(d, ensure_ascii=False)


def ami_case(data: bytes, pieces: Iterator[bytes], stats: Stats) -> None:
    """One input through a fresh AMI parser (engine filter on, like the real session)."""
    parser = AmiParser(max_message_size=AMI_CAP, only_events=ENGINE_EVENTS)
    try:
        for piece in pieces:
            stats.messages += len(parser.feed(piece))
            stats.max_buffered = max(stats.max_buffered, parser.buffered)
    except RemoteProtocolError:
        stats.exceptions["RemoteProtocolError"] += 1
        stats.max_buffered = max(stats.max_buffered, parser.buffered)


_CMD = AgiCommand(("GET DATA", "silence/1", "6000", "1"))


def agi_case(data: bytes, pieces: Iterator[bytes], stats: Stats) -> None:
    """One input through a fresh FastAGI connection; a command is always pending after
    the environment, so every reply line is parsed as a reply."""
    conn = AgiConnection(max_line_size=AGI_LINE_CAP, max_env_size=AGI_LINE_CAP * 2)
    try:
        for piece in [*pieces, b""]:
            conn.receive_data(piece)
            while True:
                if conn.environment_received and conn.pending == 0 and not conn.eof_received:
                    conn.send(_CMD)
                event = conn.next_event()
                if event is NEED_DATA:
                    # What the codec carries over to the next read (its private buffer):
                    # an incomplete line, which must stay under the line cap.
                    stats.max_buffered = max(stats.max_buffered, len(conn._buffer))
                    break
                if isinstance(event, ConnectionClosed):
                    break
                stats.messages += 1
    except AgiRemoteError:
        stats.exceptions["RemoteProtocolError"] += 1


Case = Callable[[bytes, Iterator[bytes], Stats], None]


def run(codec: str, n: int, seed: int, hang_ms: float = 1000.0) -> Stats:
    ami, agi = load_corpus()
    pool, case, cap = (ami, ami_case, AMI_CAP) if codec == "ami" else (agi, agi_case, AGI_LINE_CAP)
    stats = Stats(codec, cap=cap)
    rng = random.Random(seed)
    started = time.perf_counter()
    for _ in range(n):
        base = (
            b"".join(rng.choice(pool) for _ in range(rng.randint(1, 3)))
            if codec == "ami"
            else rng.choice(pool)
        )
        if codec == "ami" and rng.random() < 0.3:
            base = b"Asterisk Call Manager/11.0.0\r\n" + base
        data = (
            mutate(rng, base, pool) if rng.random() < 0.95 else rng.randbytes(rng.randint(0, 512))
        )
        t0 = time.perf_counter()
        try:
            case(data, chunks(rng, data), stats)
        except Exception as exc:  # a crash: record it with the input, go on counting
            stats.exceptions[type(exc).__name__] += 1
            stats.crashes.append(f"{type(exc).__name__}: {exc} input={data[:200]!r}")
        spent = (time.perf_counter() - t0) * 1000
        stats.slowest_ms = max(stats.slowest_ms, spent)
        if spent > hang_ms:
            stats.hangs += 1
        stats.inputs += 1
        stats.bytes_fed += len(data)
    stats.seconds = round(time.perf_counter() - started, 2)
    stats.inputs_per_second = round(stats.inputs / max(stats.seconds, 1e-9))
    stats.slowest_ms = round(stats.slowest_ms, 2)
    stats.peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return stats


def run_atheris(codec: str, n: int) -> None:
    """Coverage-guided (libFuzzer through atheris); prints the same line after n inputs."""
    import atheris

    ami, agi = load_corpus()
    stats = Stats(codec, cap=AMI_CAP if codec == "ami" else AGI_LINE_CAP)
    case = ami_case if codec == "ami" else agi_case
    started = time.perf_counter()

    def one(data: bytes) -> None:
        fdp = atheris.FuzzedDataProvider(data)
        sizes = [fdp.ConsumeIntInRange(1, 64) for _ in range(4)]
        body = fdp.ConsumeBytes(fdp.remaining_bytes())
        pieces, pos, k = [], 0, 0
        while pos < len(body):
            pieces.append(body[pos : pos + sizes[k % 4]])
            pos += sizes[k % 4]
            k += 1
        stats.bytes_fed += len(body)
        case(body, iter(pieces), stats)  # any other exception than the codec's: a crash
        stats.inputs += 1
        if stats.inputs >= n:
            stats.seconds = round(time.perf_counter() - started, 2)
            stats.inputs_per_second = round(stats.inputs / max(stats.seconds, 1e-9))
            stats.peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
            print(stats.line(), flush=True)
            os._exit(1 if stats.failed() else 0)  # libFuzzer's exit() skips Python's atexit

    seeds = Path(os.environ.get("TMPDIR", "/tmp")) / f"cti-fuzz-{codec}-seeds"
    seeds.mkdir(exist_ok=True)
    for i, item in enumerate((ami if codec == "ami" else agi)[:200]):
        (seeds / f"{i}").write_bytes(b"\x10\x20\x05\x3f" + item)
    atheris.Setup([sys.argv[0], "-rss_limit_mb=2048", "-timeout=5", str(seeds)], one)
    atheris.instrument_all()
    atheris.Fuzz()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--inputs", type=int, default=1_000_000, help="inputs per codec")
    p.add_argument("--seed", type=int, default=8)
    p.add_argument("--codec", choices=["ami", "agi", "both"], default="both")
    p.add_argument("--hang-ms", type=float, default=1000.0)
    p.add_argument("--atheris", choices=["ami", "agi"], help="coverage-guided run of one codec")
    args = p.parse_args(argv)
    if args.atheris:
        run_atheris(args.atheris, args.inputs)
        return 0
    failed = False
    for codec in ("ami", "agi") if args.codec == "both" else (args.codec,):
        stats = run(codec, args.inputs, args.seed, args.hang_ms)
        print(stats.line(), flush=True)
        failed |= stats.failed()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
