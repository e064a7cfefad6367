"""AMI actions answered like Asterisk 22.10.1 (replies, messages and errors as traced)."""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING

from cti.simulator import events as ev
from cti.simulator.callbacks import originate_callback
from cti.simulator.events import Pairs
from cti.simulator.outbound import OutboundSpec, originate_outbound
from cti.simulator.parties import CallerSpec
from cti.simulator.server import Action, AmiSession, _one

if TYPE_CHECKING:
    from cti.simulator.sim import Simulator

OPEN_ACTIONS = {"login", "challenge", "logoff"}


class ActionHandler:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.counts: Counter[str] = Counter()  # actions received, by lower-case name
        self.refused: Counter[str] = Counter()  # of those, answered with an error

    async def handle(self, session: AmiSession, action: Action) -> bool:
        """Answer one action; False closes the connection."""
        name = _one(action, "Action")
        low = name.lower()
        self.counts[low] += 1
        aid: Pairs = [("ActionID", _one(action, "ActionID"))] if "ActionID" in action else []
        if session.user is None and low not in OPEN_ACTIONS:
            session.send([("Response", "Error"), *aid, ("Message", "Permission denied")])
            session.server.broadcast_security(
                session.security(
                    "RequestNotAllowed",
                    [
                        ("RequestType", f"Action: {name}"),
                        ("SessionTV", "1970-01-01T00:00:00.000+0000"),
                    ],
                )
            )
            return True
        if low == "login":
            return await session.login(action, aid)
        if low == "challenge":
            session.challenge = str(random.Random().randrange(10**7, 10**9))
            session.send([("Response", "Success"), *aid, ("Challenge", session.challenge)])
            return True
        if low == "logoff":
            session.send([("Response", "Goodbye"), *aid, ("Message", "Thanks for all the fish.")])
            return False
        method = getattr(self, f"do_{low}", None)
        if method is None:
            session.send(
                [
                    ("Response", "Error"),
                    *aid,
                    (
                        "Message",
                        f"Invalid/unknown command: {name}. Use Action: ListCommands to "
                        "show available commands.",
                    ),
                ]
            )
            session.server.broadcast_security(
                session.security(
                    "RequestBadFormat",
                    [
                        ("RequestType", name),
                        ("SessionTV", session.login_tv),
                        ("AccountID", session.user or ""),
                    ],
                )
            )
            return True
        method(session, action, aid)
        return True

    @staticmethod
    def ok(session: AmiSession, aid: Pairs, *extra: tuple[str, str]) -> None:
        session.send([("Response", "Success"), *aid, *extra])

    def error(self, session: AmiSession, aid: Pairs, message: str) -> None:
        self.refused[message.split(":")[0]] += 1
        session.send([("Response", "Error"), *aid, ("Message", message)])

    # -- simple ------------------------------------------------------------------------
    def do_ping(self, s: AmiSession, a: Action, aid: Pairs) -> None:
        self.ok(s, aid, ("Ping", "Pong"), ("Timestamp", f"{time.time():.6f}"))

    def do_events(self, s: AmiSession, a: Action, aid: Pairs) -> None:
        mask = _one(a, "EventMask").lower()
        if mask in ("off", ""):
            s.events_on = False
            self.ok(s, aid, ("Events", "Off"))
            return
        s.events_on = True
        s.event_mask = None if mask == "on" else {m.strip() for m in mask.split(",")}
        self.ok(s, aid, ("Events", "On"))

    def do_coresettings(self, s: AmiSession, a: Action, aid: Pairs) -> None:
        self.ok(
            s,
            aid,
            ("AMIversion", "11.0.0"),
            ("AsteriskVersion", "22.10.1"),
            ("SystemName", ""),
            ("CoreMaxCalls", "500"),
            ("CoreMaxLoadAvg", "0.000000"),
            ("CoreRunUser", ""),
            ("CoreRunGroup", ""),
            ("CoreMaxFilehandles", "0"),
            ("CoreRealTimeEnabled", "No"),
            ("CoreCDRenabled", "No"),
            ("CoreHTTPenabled", "No"),
            ("SoundsSearchCustomDir", "No"),
        )

    def do_corestatus(self, s: AmiSession, a: Action, aid: Pairs) -> None:
        boot = datetime.fromtimestamp(self.sim.pbx.boot_wall)
        calls = len(self.sim.pbx.calls)
        self.ok(
            s,
            aid,
            ("CoreStartupDate", boot.strftime("%Y-%m-%d")),
            ("CoreStartupTime", boot.strftime("%H:%M:%S")),
            ("CoreReloadDate", boot.strftime("%Y-%m-%d")),
            ("CoreReloadTime", boot.strftime("%H:%M:%S")),
            ("CoreCurrentCalls", str(calls)),
            ("CoreProcessedCalls", str(self.sim.pbx.processed_calls)),
        )

    def do_command(self, s: AmiSession, a: Action, aid: Pairs) -> None:
        cmd = _one(a, "Command").strip()
        if cmd == "core show version":
            lines = ["Asterisk 22.10.1 built by root @ vm on a x86_64 running Linux"]
        elif cmd == "core show channels":
            chans = self.sim.pbx.visible()
            lines = ["Channel              Location             State   Application(Data)"]
            lines += [
                f"{c.name} {c.exten}@{c.context}:{c.priority} "
                f"{ev.STATE_DESC.get(c.state, '')} {c.app}({c.appdata})"
                for c in chans
            ]
            lines.append(f"{len(chans)} active channels")
        else:
            lines = [
                f"No such command '{cmd}' (type 'core show help {cmd}' for other possible commands)"
            ]
        self.ok(s, aid, ("Message", "Command output follows"), *[("Output", x) for x in lines])

    # -- channels ---------------------------------------------------------------------
    def _chan(self, a: Action) -> tuple[str, object]:
        name = _one(a, "Channel")
        return name, self.sim.pbx.find(name)

    def do_coreshowchannels(self, s: AmiSession, a: Action, aid: Pairs) -> None:
        self.ok(s, aid, ("EventList", "start"), ("Message", "Channels will follow"))
        chans = sorted(self.sim.pbx.visible(), key=lambda c: c.name, reverse=True)
        now = self.sim.pbx.now()
        for c in chans:
            dur = int((now - c.created) / self.sim.pbx.time_scale)
            s.send(
                [
                    ("Event", "CoreShowChannel"),
                    *aid,
                    *ev.channel_block(c)[0:],
                    ("Application", c.app),
                    ("ApplicationData", c.appdata),
                    ("Duration", f"{dur // 3600:02d}:{dur // 60 % 60:02d}:{dur % 60:02d}"),
                    ("BridgeId", c.bridge.uid if c.bridge else ""),
                ]
            )
        s.send(
            [
                ("Event", "CoreShowChannelsComplete"),
                *aid,
                ("EventList", "Complete"),
                ("ListItems", str(len(chans))),
            ]
        )

    def do_status(self, s: AmiSession, a: Action, aid: Pairs) -> None:
        name = _one(a, "Channel")
        pbx = self.sim.pbx
        chans = sorted(pbx.visible(), key=lambda c: c.name, reverse=True)
        if name:
            chans = [c for c in chans if c.name == name]
        allvars = _one(a, "AllVariables").lower() in ("true", "yes", "1")
        self.ok(s, aid, ("EventList", "start"), ("Message", "Channel status will follow"))
        now = pbx.now()
        for c in chans:
            pairs = [
                ("Event", "Status"),
                ("Privilege", "Call"),
                *ev.channel_block(c),
                ("Type", c.name.split("/", 1)[0]),
                ("DNID", ""),
                ("EffectiveConnectedLineNum", c.conn_num),
                ("EffectiveConnectedLineName", c.conn_name),
                ("TimeToHangup", "0"),
                ("BridgeID", c.bridge.uid if c.bridge else ""),
                ("Application", c.app),
                ("Data", c.appdata),
                ("Nativeformats", "(slin)"),
                ("Readformat", "slin"),
                ("Readtrans", ""),
                ("Writeformat", "slin"),
                ("Writetrans", ""),
                ("Callgroup", "0"),
                ("Pickupgroup", "0"),
                ("Seconds", str(int((now - c.created) / pbx.time_scale))),
            ]
            if allvars:
                pairs += [("Variable", f"{k}={v}") for k, v in reversed(c.variables.items())]
            s.send([*pairs, *aid])
        s.send(
            [
                ("Event", "StatusComplete"),
                *aid,
                ("EventList", "Complete"),
                ("ListItems", str(len(chans))),
                ("Items", str(len(chans))),
            ]
        )

    def do_getvar(self, s: AmiSession, a: Action, aid: Pairs) -> None:
        var = _one(a, "Variable")
        name, ch = self._chan(a)
        value = ""
        if ch is not None:
            value = {
                "CHANNEL(linkedid)": ch.linkedid,
                "UNIQUEID": ch.uniqueid,
                "CHANNEL": ch.name,
            }.get(var, ch.variables.get(var, ""))
        elif name:
            return self.error(s, aid, "No such channel")
        else:
            value = self.sim.globals.get(var, "")
        self.ok(s, aid, ("Variable", var), ("Value", value))

    def do_setvar(self, s: AmiSession, a: Action, aid: Pairs) -> None:
        var, value = _one(a, "Variable"), _one(a, "Value")
        name, ch = self._chan(a)
        if ch is None and name:
            return self.error(s, aid, "No such channel")
        self.ok(s, aid, ("Message", "Variable Set"))
        if ch is None:
            self.sim.globals[var] = value
        else:
            self.sim.pbx.varset(ch, var, value)

    def do_redirect(self, s: AmiSession, a: Action, aid: Pairs) -> None:
        name, ch = self._chan(a)
        leg = self.sim.dialplan.legs.get(name) if ch is not None else None
        if ch is None or leg is None or ch.hangup_requested.is_set():
            # A channel being hung up is gone for Redirect, as on Asterisk.
            return self.error(s, aid, f"Channel does not exist: {name}")
        self.ok(s, aid, ("Message", "Redirect successful"))
        self.sim.dialplan.redirect(
            leg, _one(a, "Context"), _one(a, "Exten") or "s", int(_one(a, "Priority") or "1")
        )

    def do_hangup(self, s: AmiSession, a: Action, aid: Pairs) -> None:
        _name, ch = self._chan(a)
        if ch is None:
            return self.error(s, aid, "No such channel")
        self.ok(s, aid, ("Message", "Channel Hungup"))
        self.sim.dialplan.ami_hangup(ch, int(_one(a, "Cause") or "16"))

    def do_originate(self, s: AmiSession, a: Action, aid: Pairs) -> None:
        target = _one(a, "Channel")
        m = re.fullmatch(r"Local/([^@]+)@([^/]+?)(?:/n)?", target)
        if m is None:
            return self.error(s, aid, "Originate failed")
        cid = _one(a, "CallerID")
        cm = re.fullmatch(r'\s*"?([^"<]*)"?\s*<([^>]*)>\s*', cid)
        name, number = (cm.group(1).strip(), cm.group(2)) if cm else ("", cid)
        variables: dict[str, str] = {}
        for item in a.get("Variable", []):
            for part in item.split(","):
                k, _, v = part.partition("=")
                variables[k.strip()] = v
        cfg = self.sim.config
        ctx = cfg.contexts
        if m.group(2) == ctx.callback:
            self.ok(s, aid, ("Message", "Originate successfully queued"))
            callee = m.group(1)
            originate_callback(
                self.sim.dialplan,
                CallerSpec(number=number or callee, name=name, variables=variables),
                number=callee,
                dial_context=m.group(2),
                connect_context=_one(a, "Context") or ctx.connect,
                action_id=_one(a, "ActionID"),
                timeout=int(_one(a, "Timeout") or "30000") / 1000,
                answer_after=cfg.customers.get(callee, cfg.customer_answer_after),
            )
            return
        if m.group(2) == ctx.agents and _one(a, "Context") == ctx.outbound:
            self.ok(s, aid, ("Message", "Originate successfully queued"))
            callee = _one(a, "Exten")
            originate_outbound(
                self.sim.dialplan,
                OutboundSpec(
                    extension=m.group(1),
                    number=callee,
                    context=ctx.outbound,
                    action_id=_one(a, "ActionID"),
                    timeout=int(_one(a, "Timeout") or "30000") / 1000,
                    caller_num=number or callee,
                    caller_name=name,
                    variables=variables,
                    channel_id=_one(a, "ChannelId"),
                    other_id=_one(a, "OtherChannelId"),
                    customer_answer_after=cfg.customers.get(callee, cfg.customer_answer_after),
                    customer_talk_time=cfg.customer_talk_time,
                ),
            )
            return
        spec = CallerSpec(
            number=number, name=name, variables=variables, caller_context=_one(a, "Context") or None
        )
        if spec.caller_context == "caller-sim":
            spec.dtmf = ["1", "2"]
        self.ok(s, aid, ("Message", "Originate successfully queued"))
        action_id = a["ActionID"][0] if "ActionID" in a else ""
        self.sim.dialplan.originate(
            spec, m.group(2), action_id=action_id, caller_context=spec.caller_context
        )

    # -- recording ----------------------------------------------------------------------
    def do_mixmonitor(self, s: AmiSession, a: Action, aid: Pairs) -> None:
        _name, ch = self._chan(a)
        if ch is None:
            return self.error(s, aid, "No such channel")
        file = _one(a, "File") or f"{ch.uniqueid}.wav"
        path = self.sim.config.recordings_dir / file
        self.ok(s, aid)
        self.sim.dialplan.start_mixmonitor(ch, path)
        bridge = ch.bridge
        if bridge is not None:
            # Attaching the audiohook makes the bridge re-evaluate its technology twice.
            for _ in range(2):
                for member in [m for m in bridge.members if m is not ch] + [ch]:
                    peer = next((m for m in bridge.members if m is not member), None)
                    self.sim.pbx.varset(member, "BRIDGEPEER", peer.name if peer else "")

    def do_stopmixmonitor(self, s: AmiSession, a: Action, aid: Pairs) -> None:
        _name, ch = self._chan(a)
        if ch is None:
            return self.error(s, aid, "No such channel")
        if ch.mixmonitor is None:
            return self.error(s, aid, "Could not stop monitoring channel")
        self.ok(s, aid)
        ch.mixmonitor.close()
        ch.mixmonitor = None
        self.sim.pbx.chan_event("MixMonitorStop", ch)

    def do_mixmonitormute(self, s: AmiSession, a: Action, aid: Pairs) -> None:
        _name, ch = self._chan(a)
        if ch is None:
            return self.error(s, aid, "No such channel")
        direction = _one(a, "Direction") or "both"
        state = _one(a, "State") in ("1", "true", "yes", "on")
        self.ok(s, aid)
        if ch.mixmonitor is not None:
            ch.mixmonitor.mute(direction, state)
        self.sim.pbx.chan_event(
            "MixMonitorMute", ch, [("Direction", direction), ("State", "1" if state else "0")]
        )

    # -- queues (delegated) ---------------------------------------------------------------
    def __getattr__(self, item: str) -> object:
        if item.startswith("do_queue"):
            return getattr(self.sim.queues, item)
        raise AttributeError(item)


__all__ = ["ActionHandler"]
