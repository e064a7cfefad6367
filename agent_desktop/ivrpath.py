"""The caller's IVR path in words an agent reads, and the words it gives the KB search.

A step names a node id from the site's flow (``main-menu``) and maybe a key. The agent
should read what the caller did (菜单 1 · 账单 / Menu 1 · billing), not the node's id: the
node's kind gives the first word, the chosen option's own words (declared in the flow for
speech) the second. Those option words, in both languages, are also what the desk looks
up in the knowledge base. Pure: flows and steps in, labels and words out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cti.webkit.i18n import NP_, pgettext_for
from ivr.flow import ConditionNode, MenuNode

# Node classes (ivr.flow) -> what the step means to an agent (Chinese in desk.po).
KIND_LABELS: dict[str, str] = {
    "MenuNode": NP_("ivr steps", "Menu"),
    "CollectNode": NP_("ivr steps", "Keyed digits"),
    "LookupNode": NP_("ivr steps", "Caller lookup"),
    "ConditionNode": NP_("ivr steps", "Check"),
    "AnnounceNode": NP_("ivr steps", "Announcement"),
    "PlayNode": NP_("ivr steps", "Prompt"),
    "TicketStatusNode": NP_("ivr steps", "Ticket status"),
    "CallbackNode": NP_("ivr steps", "Callback"),
    "TransferNode": NP_("ivr steps", "To an agent"),
    "HangupNode": NP_("ivr steps", "Hang-up"),
}


def _node(flows: Any, node_id: str, key: str | None = None) -> Any:
    """The node of that id; several flows may use one id (``main-menu``): the step does
    not say which flow ran, so a menu whose option for the key has words is preferred."""
    found = None
    for flow in getattr(flows, "flows", ()):
        node = flow.nodes.get(node_id)
        if node is None:
            continue
        if found is None:
            found = node
        if key and _option_words(node, key):
            return node
    return found


def _option_words(node: Any, key: str | None) -> Mapping[str, tuple[str, ...]]:
    if not isinstance(node, MenuNode) or not key:
        return {}
    option = next((o for o in node.options if o.key == key), None)
    return option.words if option is not None else {}


def describe(flows: Any, steps: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each step with ``label`` (zh, en): the kind of node and the option chosen."""
    out = []
    for s in steps:
        node_id = str(s.get("node") or "")
        node = _node(flows, node_id, s.get("key"))
        if isinstance(node, ConditionNode):
            continue  # the flow's own routing checks: nothing the caller did
        kind = KIND_LABELS.get(type(node).__name__) if node is not None else None
        words = _option_words(node, s.get("key"))
        zh, en = (pgettext_for("zh", "ivr steps", kind), kind) if kind else (node_id, node_id)
        if s.get("key"):
            zh, en = f"{zh} {s['key']}", f"{en} {s['key']}"
        zh_w, en_w = words.get("zh", ()), words.get("en", ())
        if zh_w or en_w:
            zh, en = f"{zh} · {(zh_w or en_w)[0]}", f"{en} · {(en_w or zh_w)[0]}"
        out.append(
            {
                "node": node_id,
                "key": s.get("key"),
                # What the caller said (speech menus); other nodes' notes are internal.
                "recognized": s.get("recognized")
                if node is None or isinstance(node, MenuNode)
                else None,
                "label": [zh, en],
            }
        )
    return out


def search_words(flows: Any, steps: Iterable[Mapping[str, Any]]) -> list[str]:
    """The chosen options' words (both languages) and what the caller said."""
    out: list[str] = []
    for s in steps:
        node = _node(flows, str(s.get("node") or ""), s.get("key"))
        for phrases in _option_words(node, s.get("key")).values():
            out.extend(phrases)
        if s.get("recognized") and (node is None or isinstance(node, MenuNode)):
            out.append(str(s["recognized"]))  # what the caller said at a speech menu
    return list(dict.fromkeys(out))
