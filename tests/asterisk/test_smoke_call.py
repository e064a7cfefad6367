from __future__ import annotations

from pathlib import Path

from cti import events as ev
from tests.asterisk.phones import AgentPhone, Caller
from tests.asterisk.rig import real_rig, until


async def test_one_sip_call(tmp_path: Path) -> None:
    async with real_rig(tmp_path, agents_on=("a1001",)) as r:
        phone = AgentPhone(tmp_path, "1001", ring_ms=1000, talk_ms=4000)
        caller = Caller(tmp_path, keys="1", hold_ms=20000)
        try:
            await phone.register(r.pbx)
            caller.dial(r.pbx)
            await until(lambda: r.ended(), 40, "call ended")
            end = r.ended()[0]
            print(end)
            row = await r.wait_row(end.call_id)
            print(row)
            print(r.recordings(end.call_id), list(r.pbx.monitor.iterdir()))
        finally:
            caller.stop()
            phone.stop()
            print(r.pbx.tail())
