"""The site's settings (config/site.yaml), validated on load.

Secrets are never in the dataclasses' repr, and may be given by environment variable
(``secret_env``) so that the YAML can be committed.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cti.ami.session import AmiSettings
from cti.yamlsource import ConfigError, Located, load_yaml


@dataclass(frozen=True, slots=True)
class AgentConfig:
    id: str
    name: str
    extension: str
    skills: dict[str, int] = field(default_factory=dict)
    languages: tuple[str, ...] = ("zh", "en")
    # Asterisk dial string of this agent's phone(s): "PJSIP/1001", several devices
    # "PJSIP/1001&PJSIP/1001-mobile", "Local/1001@home-office", a trunk
    # "PJSIP/13800001111@trunk". Empty: the site's ``dialplan.agent_dial`` template.
    dial: str = ""


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    name: str
    skills: dict[str, int] = field(default_factory=dict)
    priority: int = 0
    target_percent: int = 80
    target_seconds: int = 20
    label_zh: str = ""
    label_en: str = ""
    # Wrap-up: "agent" (the agent ends it, at most wrap_up_seconds) or "timed" (it ends
    # after wrap_up_seconds, or sooner if the agent ends it). None: the site's.
    wrap_up_mode: str | None = None
    wrap_up_seconds: float | None = None
    # Wallboard alarm limits: metric -> (warn, critical), over the site's defaults.
    thresholds: tuple[tuple[str, float, float], ...] = ()


THRESHOLD_METRICS = ("waiting", "longest_wait", "abandon_rate", "service_level")
WRAP_UP_MODES = ("agent", "timed")


@dataclass(frozen=True, slots=True)
class DialplanConfig:
    """Context and variable names of config/asterisk/extensions.conf (the defaults are
    the shipped file's)."""

    hold_context: str = "cti-hold"
    connect_context: str = "cti-connect"
    agent_context: str = "cti-agents"
    agent_variable: str = "AGENT"  # the agent's extension, for the dialplan's logs
    agent_dial_variable: str = "AGENT_DIAL"  # the full dial string cti-connect dials
    agent_dial: str = "PJSIP/{extension}"  # for agents without their own ``dial``
    outbound_context: str = "cti-outbound"  # click-to-call: dials ${EXTEN} out
    callback_context: str = "cti-callback"  # virtual-hold callbacks: dials the customer


def check_dial(text: str) -> str | None:
    """Why a dial string cannot be used, or None. It goes into ``Dial(<it>,<timeout>)``
    through a channel variable, so a comma or a line break would change the call."""
    if not text.strip():
        return "the dial string is empty"
    if any(c in text for c in ",\r\n|;"):
        return "a dial string may not hold , ; | or line breaks (use & between devices)"
    if any("/" not in part for part in text.split("&")):
        return "each device is TECH/resource, e.g. PJSIP/1001"
    return None


@dataclass(frozen=True, slots=True)
class PhoneConfig:
    """The desk's browser phone (WebRTC over Asterisk's WebSocket; see cti.phones)."""

    websocket_url: str = ""  # e.g. wss://pbx.example.com:8089/ws; empty: no browser phone
    secrets_path: str = "var/phone-secrets.json"  # per-agent SIP secrets, mode 0600
    endpoint_suffix: str = "-web"  # the agent's WebRTC endpoint is <extension><suffix>


@dataclass(frozen=True, slots=True)
class Settings:
    source: str
    asterisk: tuple[AmiSettings, ...]
    fastagi_host: str = "127.0.0.1"
    fastagi_port: int = 4573
    database_url: str = "sqlite:///var/cti.sqlite3"
    redis_url: str | None = None
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    web_secret: str = field(default="", repr=False)
    # TLS: PEM certificate chain and key; both or neither (see deploy/README.md).
    web_tls_cert: str | None = None
    web_tls_key: str | None = None
    # Addresses/networks of reverse proxies whose X-Forwarded-For/-Proto are believed.
    web_trusted_proxies: tuple[str, ...] = ()
    web_session_hours: float = 12.0
    web_session_store: str = "memory"  # or "redis" (needs redis.url): shared by web nodes
    journal_path: str = "var/journal.jsonl"
    recordings_dir: str = "var/recordings"
    wrap_up_seconds: float = 10.0
    wrap_up_mode: str = "timed"
    time_zone: str = "Asia/Shanghai"
    thresholds: tuple[tuple[str, float, float], ...] = ()
    dialplan: DialplanConfig = field(default_factory=DialplanConfig)
    skills: tuple[str, ...] = ()
    services: tuple[ServiceConfig, ...] = ()
    agents: tuple[AgentConfig, ...] = ()
    phone: PhoneConfig = field(default_factory=PhoneConfig)

    def agent_dial(self, extension: str) -> str:
        """The dial string that rings the agent with this extension."""
        for a in self.agents:
            if a.extension == extension and a.dial:
                return a.dial
        return self.dialplan.agent_dial.format(extension=extension)

    def agent_endpoints(self) -> dict[str, str]:
        """Endpoint (as a channel name shows it) -> agent extension, for every device
        an agent's dial string names; the call model knows their legs by it."""
        out: dict[str, str] = {}
        for a in self.agents:
            for device in self.agent_dial(a.extension).split("&"):
                tech, _, rest = device.partition("/")
                if tech == "Local":
                    out[rest.split("@", 1)[0]] = a.extension
                elif "@" not in rest:  # PJSIP/1001: channels PJSIP/1001-<hex>
                    out[rest] = a.extension
        return out


def _secret(item: Located, key: str) -> str:
    direct, env = item.get(key), item.get(f"{key}_env")
    if direct is not None and env is not None:
        raise env.error(f"give either {key} or {key}_env, not both")
    if env is not None:
        name = env.str()
        value = os.environ.get(name)
        if value is None:
            raise env.error(f"environment variable {name} is not set")
        return value
    return direct.str() if direct is not None else ""


def _dial(item: Located | None) -> str:
    if item is None:
        return ""
    problem = check_dial(item.str())
    if problem is not None:
        raise item.error(problem)
    return item.str()


def _skill_map(item: Located | None, known: set[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    if item is None:
        return out
    for name, level in item.items():
        if name not in known:
            raise level.error(f"unknown skill {name!r}; declare it under skills:")
        out[name] = level.int(1, 10)
    return out


def _thresholds(item: Located | None) -> tuple[tuple[str, float, float], ...]:
    """``metric: {warn: x, critical: y}`` pairs; service level's are margins (points
    below the service's target), the others absolute limits."""
    if item is None:
        return ()
    out = []
    for metric, limits in item.items():
        if metric not in THRESHOLD_METRICS:
            raise limits.error(
                f"unknown wallboard metric {metric!r} (allowed: {', '.join(THRESHOLD_METRICS)})"
            )
        limits.keys_within({"warn", "critical"})
        out.append((metric, limits.req("warn").float(), limits.req("critical").float()))
    return tuple(out)


def _wrap_mode(item: Located | None) -> str | None:
    if item is None:
        return None
    mode = item.str()
    if mode not in WRAP_UP_MODES:
        raise item.error("wrap_up_mode is 'agent' (ended by the agent) or 'timed'")
    return mode


def _time_zone(item: Located | None) -> str:
    if item is None:
        return "Asia/Shanghai"
    name = item.str()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise item.error(f"unknown time zone {name!r} (an IANA name like Asia/Shanghai)") from None
    return name


def _asterisk(item: Located, index: int) -> AmiSettings:
    item.keys_within(
        {
            "name",
            "host",
            "port",
            "username",
            "secret",
            "secret_env",
            "md5_auth",
            "ping_interval",
            "action_timeout",
        }
    )
    name = item.get("name")
    return AmiSettings(
        name=name.str() if name else f"pbx{index + 1}",
        host=item.req("host").str(),
        port=item.req("port").int(1, 65535),
        username=item.req("username").str(),
        secret=_secret(item, "secret"),
        md5_auth=item.get("md5_auth").bool() if item.get("md5_auth") else False,
        ping_interval=item.get("ping_interval").float(0.1) if item.get("ping_interval") else 15.0,
        action_timeout=item.get("action_timeout").float(0.1)
        if item.get("action_timeout")
        else 10.0,
    )


def _web_security(web: Located | None, path: Any) -> dict[str, Any]:
    if web is None:
        return {}
    web.keys_within(
        {"host", "port", "secret", "secret_env", "tls_cert", "tls_key", "trusted_proxies",
         "session_hours", "session_store"}
    )  # fmt: skip
    out: dict[str, Any] = {}
    cert, key = web.get("tls_cert"), web.get("tls_key")
    if (cert is None) != (key is None):
        raise web.error("give both tls_cert and tls_key, or neither")
    if cert is not None and key is not None:
        out["web_tls_cert"], out["web_tls_key"] = path(cert), path(key)
    proxies = web.get("trusted_proxies")
    if proxies is not None:
        nets = []
        for item in proxies.list():
            try:
                ipaddress.ip_network(item.str(), strict=False)
            except ValueError:
                raise item.error("not an IP address or network") from None
            nets.append(item.str())
        out["web_trusted_proxies"] = tuple(nets)
    hours = web.get("session_hours")
    if hours is not None:
        out["web_session_hours"] = hours.float(0.1)
    store = web.get("session_store")
    if store is not None:
        if store.str() not in ("memory", "redis"):
            raise store.error("session_store is memory or redis")
        out["web_session_store"] = store.str()
    return out


def parse_settings(root: Located, base: Path) -> Settings:
    root.keys_within(
        {
            "asterisk",
            "fastagi",
            "database",
            "redis",
            "web",
            "journal",
            "recordings_dir",
            "wrap_up_seconds",
            "wrap_up_mode",
            "time_zone",
            "phone",
            "wallboard",
            "dialplan",
            "skills",
            "services",
            "agents",
        }
    )
    servers = tuple(_asterisk(a, i) for i, a in enumerate(root.req("asterisk").list()))
    if not servers:
        raise root.req("asterisk").error("at least one Asterisk server is needed")
    if len(servers) > 1:
        # One call model per Asterisk and routing across them come with the multi-node
        # work; until then refuse rather than let one server's resync end the other's calls.
        raise root.req("asterisk").error("one Asterisk server per engine is supported for now")
    names = [s.name for s in servers]
    if len(set(names)) != len(names):
        raise root.req("asterisk").error("Asterisk server names must be unique")
    fastagi = root.get("fastagi")
    web = root.get("web")
    skills = tuple(s.str() for s in (root.get("skills").list() if root.get("skills") else []))
    known = set(skills)
    services = []
    for s in root.get("services").list() if root.get("services") else []:
        s.keys_within(
            {
                "name",
                "skills",
                "priority",
                "target",
                "label_zh",
                "label_en",
                "wrap_up_mode",
                "wrap_up_seconds",
                "thresholds",
            }
        )
        target = s.get("target")
        wrap = s.get("wrap_up_seconds")
        services.append(
            ServiceConfig(
                name=s.req("name").str(),
                skills=_skill_map(s.get("skills"), known),
                priority=s.get("priority").int(0, 100) if s.get("priority") else 0,
                target_percent=target.req("percent").int(1, 100) if target else 80,
                target_seconds=target.req("seconds").int(1, 3600) if target else 20,
                label_zh=s.get("label_zh").str() if s.get("label_zh") else "",
                label_en=s.get("label_en").str() if s.get("label_en") else "",
                wrap_up_mode=_wrap_mode(s.get("wrap_up_mode")),
                wrap_up_seconds=wrap.float(0) if wrap is not None else None,
                thresholds=_thresholds(s.get("thresholds")),
            )
        )
    agents = []
    seen_ext: dict[str, Located] = {}
    for a in root.get("agents").list() if root.get("agents") else []:
        a.keys_within({"id", "name", "extension", "skills", "languages", "dial"})
        ext_item = a.req("extension")
        ext = ext_item.str()
        if ext in seen_ext:
            raise ext_item.error(f"extension {ext} is already used by another agent")
        seen_ext[ext] = ext_item
        langs = a.get("languages")
        agents.append(
            AgentConfig(
                id=a.req("id").str(),
                name=a.req("name").str(),
                extension=ext,
                skills=_skill_map(a.get("skills"), known),
                languages=tuple(x.str() for x in langs.list()) if langs else ("zh", "en"),
                dial=_dial(a.get("dial")),
            )
        )
    dialplan = root.get("dialplan")
    dp = DialplanConfig()
    if dialplan is not None:
        dialplan.keys_within(set(DialplanConfig.__dataclass_fields__))
        dp = DialplanConfig(**{k: v.str() for k, v in dialplan.items()})
        template = dialplan.get("agent_dial")
        if template is not None:
            if "{extension}" not in template.str():
                raise template.error("agent_dial needs {extension}")
            _dial(template)

    def path(key: str | Located, default: str = "") -> str:
        item = root.get(key) if isinstance(key, str) else key
        value = item.str() if item else default
        return value if os.path.isabs(value) else str(base / value)

    db = root.get("database")
    db_url = db.req("url").str() if db else "sqlite:///var/cti.sqlite3"
    if db_url.startswith("sqlite:///") and not db_url.startswith("sqlite:////"):
        db_url = "sqlite:///" + str(base / db_url.removeprefix("sqlite:///"))
    redis = root.get("redis")
    board = root.get("wallboard")
    if board is not None:
        board.keys_within({"thresholds"})
    phone_item = root.get("phone")
    phone = PhoneConfig(secrets_path=path("phone_secrets", "var/phone-secrets.json"))
    if phone_item is not None and phone_item.value:
        phone_item.keys_within({"websocket_url", "secrets_path", "endpoint_suffix"})
        url = phone_item.get("websocket_url")
        secrets = phone_item.get("secrets_path")
        suffix = phone_item.get("endpoint_suffix")
        if url is not None and url.str() and not url.str().startswith(("ws://", "wss://")):
            raise url.error("websocket_url is ws://host:port/ws or wss://host:port/ws")
        phone = PhoneConfig(
            websocket_url=url.str() if url is not None else "",
            secrets_path=path("phone_secrets", secrets.str()) if secrets else phone.secrets_path,
            endpoint_suffix=suffix.str() if suffix is not None else "-web",
        )
    return Settings(
        source=root.file,
        asterisk=servers,
        fastagi_host=fastagi.req("host").str() if fastagi else "127.0.0.1",
        fastagi_port=fastagi.req("port").int(0, 65535) if fastagi else 4573,
        database_url=db_url,
        redis_url=(
            redis.get("url").str()
            if redis and redis.get("url") and redis.get("url").value
            else None
        ),
        web_host=web.req("host").str() if web else "127.0.0.1",
        web_port=web.req("port").int(0, 65535) if web else 8080,
        web_secret=_secret(web, "secret") if web else "",
        **_web_security(web, path),
        journal_path=path("journal", "var/journal.jsonl"),
        recordings_dir=path("recordings_dir", "var/recordings"),
        wrap_up_seconds=root.get("wrap_up_seconds").float(0)
        if root.get("wrap_up_seconds")
        else 10.0,
        wrap_up_mode=_wrap_mode(root.get("wrap_up_mode")) or "timed",
        time_zone=_time_zone(root.get("time_zone")),
        thresholds=_thresholds(board.get("thresholds") if board is not None else None),
        dialplan=dp,
        skills=skills,
        services=tuple(services),
        agents=tuple(agents),
        phone=phone,
    )


def load_settings(path: Path | str, *, base: Path | None = None) -> Settings:
    """Read and validate a site file. Relative paths inside it are taken from ``base``
    (default: the current directory, where `cti` is run from)."""
    root = load_yaml(path)
    if not isinstance(root.value, dict):
        raise ConfigError(root.file, root.line, "", "the top level must be a mapping")
    return parse_settings(root, base or Path.cwd())
