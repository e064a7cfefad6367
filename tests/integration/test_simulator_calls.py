"""End-to-end calls through the simulator over real TCP (AMI) and a real FastAGI server."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cti.simulator import LAB, AgentPhone, CallerSpec, SimConfig, Simulator
from cti.simulator.recorder import wav_header_ok
from tests.integration.simhelpers import AgiConn, AgiServer, AmiClient

SCALE = 0.02


async def menu(c: AgiConn) -> None:
    await c.cmd("ANSWER")
    await c.cmd('STREAM FILE silence/1 ""')
    reply = await c.cmd("GET DATA silence/1 6000 1")
    await c.cmd(f'SET VARIABLE IVR_CHOICE "{reply.split("=")[1]}"')


def hold_channels(cl: AmiClient) -> list[str]:
    seen = []
    for e in cl.events:
        if e.name == "Newexten" and e.get("Context") == "hold" and e.get("Priority") == "1":
            seen.append(e["Channel"])
    return seen


async def test_twenty_callers_ivr_hold_redirect_agent(tmp_path: Path) -> None:
    agi = AgiServer(menu)
    port = await agi.start()
    agents = [AgentPhone(f"10{i:02d}", 0.0, 5.0) for i in range(20)]
    cfg = SimConfig(agi_port=port, time_scale=SCALE, recordings_dir=tmp_path, agents=agents,
                    contexts=LAB, real_time_recordings=False)
    try:
        async with Simulator(cfg) as sim:
            cl = AmiClient()
            await cl.connect(sim.ami_port)
            await cl.login()
            ids = [
                sim.place_call(CallerSpec(f"55501{i:02d}", f"C{i}", dtmf=["1"], patience=None))
                for i in range(20)
            ]
            await cl.wait_for(lambda: len(hold_channels(cl)) == 20, limit=30)
            assert set(sim.live_calls().values()) == {"waiting"}
            for i, ch in enumerate(hold_channels(cl)):
                r = await cl.action(
                    [
                        ("Action", "Setvar"),
                        ("ActionID", f"sv{i}"),
                        ("Channel", ch),
                        ("Variable", "AGENT"),
                        ("Value", f"10{i:02d}"),
                    ]
                )
                assert r.message == "Variable Set"
                r = await cl.action(
                    [
                        ("Action", "Redirect"),
                        ("ActionID", f"rd{i}"),
                        ("Channel", ch),
                        ("Context", "connect"),
                        ("Exten", "s"),
                        ("Priority", "1"),
                    ]
                )
                assert r.message == "Redirect successful"
            await sim.wait_until_idle(30)
            ended = sim.ended_calls()
            assert set(ended) == set(ids)
            assert {e.agent for e in ended.values()} == {f"10{i:02d}" for i in range(20)}
            assert all(e.cause == 16 for e in ended.values())
            wavs = await asyncio.to_thread(lambda: sorted(tmp_path.glob("*.wav")))
            assert len(wavs) == 20
            for wav in wavs:
                channels, width, rate, seconds = wav_header_ok(wav)
                assert (channels, width, rate) == (1, 2, 8000)
                # 0.5 s Answer gap + 5 s talk; real jitter is magnified by 1/SCALE.
                assert 5.0 < seconds < 9.0
            await cl.close()
    finally:
        await agi.stop()


async def test_drop_ami_connections_model_keeps_running(tmp_path: Path) -> None:
    agi = AgiServer(menu)
    port = await agi.start()
    cfg = SimConfig(agi_port=port, time_scale=SCALE, recordings_dir=tmp_path, contexts=LAB)
    try:
        async with Simulator(cfg) as sim:
            cl = AmiClient()
            await cl.connect(sim.ami_port)
            await cl.login()
            lid = sim.place_call(CallerSpec("5550100", "Drop", dtmf=["2"], patience=3))
            assert sim.drop_ami_connections() == 1
            await cl.wait_for(lambda: cl.eof)
            await cl.close()
            assert lid in sim.live_calls()
            await sim.wait_until_idle(20)
            assert lid in sim.ended_calls()
            cl2 = AmiClient()
            await cl2.connect(sim.ami_port)
            await cl2.login()
            r = await cl2.action([("Action", "CoreShowChannels"), ("ActionID", "c1")])
            assert r.message == "Channels will follow"
            await cl2.close()
    finally:
        await agi.stop()


async def test_ring_no_answer_goes_back_to_hold(tmp_path: Path) -> None:
    agi = AgiServer(menu)
    port = await agi.start()
    cfg = SimConfig(agi_port=port, time_scale=SCALE, recordings_dir=tmp_path,
                    noanswer_to_hold=True, contexts=LAB)
    try:
        async with Simulator(cfg) as sim:
            cl = AmiClient()
            await cl.connect(sim.ami_port)
            await cl.login()
            # patience=None: the caller must still be there when the test hangs it up,
            # however slowly a loaded machine runs the scaled ring timeout.
            sim.place_call(CallerSpec("5550101", "NoAns", dtmf=["1"], patience=None))
            await cl.wait_for(lambda: hold_channels(cl))
            ch = hold_channels(cl)[0]
            await cl.action(
                [
                    ("Action", "Setvar"),
                    ("ActionID", "a"),
                    ("Channel", ch),
                    ("Variable", "AGENT"),
                    ("Value", "1009"),
                ]
            )
            await cl.action(
                [
                    ("Action", "Redirect"),
                    ("ActionID", "b"),
                    ("Channel", ch),
                    ("Context", "connect"),
                    ("Exten", "s"),
                    ("Priority", "1"),
                ]
            )
            await cl.wait_for(lambda: len(hold_channels(cl)) == 2, limit=20)
            statuses = [
                e["DialStatus"] for e in cl.events if e.name == "DialEnd" and e.get("Channel") == ch
            ]
            assert statuses == ["NOANSWER", "CANCEL"]
            r = await cl.action([("Action", "Hangup"), ("ActionID", "h"), ("Channel", ch)])
            assert r.message == "Channel Hungup"
            await sim.wait_until_idle(10)
            await cl.close()
    finally:
        await agi.stop()
