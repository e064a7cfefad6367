"""Audio for the SIP phones and checks on what Asterisk recorded, without numpy or sox.

The phones send tones as 20 ms PCMU packets from a pcap file (SIPp's play_pcap_audio);
each party has its own frequency, so a recording shows which party it heard.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

CALLER_HZ = 440.0
AGENT_HZ = 1000.0
RATE = 8000


def _ulaw(sample: int) -> int:
    """G.711 mu-law of a 16-bit sample (the classic segment/mantissa encoding)."""
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    sample = min(abs(sample), clip) + bias
    exponent = 7
    mask = 0x4000
    while exponent > 0 and not sample & mask:
        exponent -= 1
        mask >>= 1
    mantissa = (sample >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


DTMF_PT = 101  # telephone-event, as the phones' SDP offers it
EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}


def _tone(hz: float, n: int, start: int, amplitude: float = 0.3) -> bytes:
    return bytes(
        _ulaw(int(amplitude * 32767 * math.sin(2 * math.pi * hz * (start + i) / RATE)))
        for i in range(n)
    )


def rtp_pcap(
    path: Path, hz: float, seconds: float, keys: str = "", keys_after: float = 0.0
) -> None:
    """A pcap of one RTP stream (one SSRC, 20 ms packets) as a phone sends it: comfort
    silence, then each of ``keys`` as RFC 4733 events (100 ms, marker on the first packet,
    three end packets; a ``,`` pauses 2 s) from ``keys_after`` seconds, then a sine tone
    at ``hz`` until ``seconds``. SIPp's play_pcap_audio replays it with the pcap's timing."""
    # Times in whole microseconds: float sums drift across second boundaries, and a
    # pcap timestamp that steps back makes SIPp send in bursts.
    packets: list[tuple[int, int, bool, int, bytes]] = []  # (usec, pt, marker, ts, payload)
    frame_us = 20_000
    t, ts = 0, 0
    silence = bytes([0xFF]) * 160
    while t < keys_after * 1e6:
        packets.append((t, 0, False, ts, silence))
        t, ts = t + frame_us, ts + 160
    for key in keys:
        if key == ",":  # a dialler's pause: 2 s of silence, for the next menu to start
            for _ in range(100):
                packets.append((t, 0, False, ts, silence))
                t, ts = t + frame_us, ts + 160
            continue
        code = EVENTS[key]
        for i in range(5):  # 5 x 20 ms = 100 ms of event
            payload = struct.pack("!BBH", code, 10, 160 * (i + 1))
            packets.append((t, DTMF_PT, i == 0, ts, payload))
            t += frame_us
        for _ in range(3):
            packets.append((t, DTMF_PT, False, ts, struct.pack("!BBH", code, 0x80 | 10, 800)))
        ts += 800
        for _ in range(10):  # 200 ms silence between keys
            packets.append((t, 0, False, ts, silence))
            t, ts = t + frame_us, ts + 160
    sample = 0
    while t < seconds * 1e6:
        packets.append((t, 0, False, ts, _tone(hz, 160, sample)))
        t, ts, sample = t + frame_us, ts + 160, sample + 160
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for seq, (when, pt, marker, stamp, payload) in enumerate(packets):
        rtp = struct.pack("!BBHII", 0x80, pt | (0x80 if marker else 0), seq & 0xFFFF,
                          stamp & 0xFFFFFFFF, 0x1234ABCD) + payload  # fmt: skip
        udp = struct.pack("!HHHH", 6000, 6002, 8 + len(rtp), 0) + rtp
        ip = struct.pack(
            "!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), seq & 0xFFFF, 0, 64, 17, 0,
            bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]),
        ) + udp  # fmt: skip
        frame = b"\x00" * 12 + b"\x08\x00" + ip
        sec, usec = divmod(when, 1_000_000)
        out.append(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
        out.append(frame)
    path.write_bytes(b"".join(out))


def tone_pcap(path: Path, hz: float, seconds: float) -> None:
    rtp_pcap(path, hz, seconds)


def read_wav(path: Path) -> list[int]:
    with wave.open(str(path), "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1, path
        raw = w.readframes(w.getnframes())
    return list(struct.unpack(f"<{len(raw) // 2}h", raw))


def tone_power(samples: list[int], hz: float) -> float:
    """Goertzel: the mean power at ``hz`` relative to the signal's (0..1)."""
    if not samples:
        return 0.0
    k = 2 * math.cos(2 * math.pi * hz / RATE)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + k * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - k * s1 * s2
    energy = sum(x * x for x in samples) or 1
    return power / (energy * len(samples) / 2)


def seconds_with_tone(path: Path, hz: float, threshold: float = 0.2) -> float:
    """How many seconds (in 0.1 s stretches) of the recording carry ``hz`` clearly."""
    samples = read_wav(path)
    step = RATE // 10
    hits = 0
    for i in range(0, len(samples) - step + 1, step):
        chunk = samples[i : i + step]
        loud = math.sqrt(sum(x * x for x in chunk) / step) > 100
        if loud and tone_power(chunk, hz) > threshold:
            hits += 1
    return hits / 10
