"""Call dispositions (wrap-up results): the codes the desk records and the recordings
search filters by, shared by both features so neither imports the other. English msgids
in the message context "dispositions"; the Chinese is in agent_desktop's desk.po."""

from __future__ import annotations

from cti.webkit.i18n import NP_

DISPOSITIONS: dict[str, str] = {
    "resolved": NP_("dispositions", "Resolved"),
    "ticket_opened": NP_("dispositions", "Ticket opened"),
    "callback": NP_("dispositions", "Call back"),
    "information": NP_("dispositions", "Information given"),
    "complaint": NP_("dispositions", "Complaint taken"),
    "transferred": NP_("dispositions", "Transferred"),
    "wrong_number": NP_("dispositions", "Wrong number"),
}
