"""Everything an agent or supervisor reads on the desk and the wallboard, by code.

Each value is the English text (the msgid); the Chinese is in the catalog
``agent_desktop/locale/zh_CN/LC_MESSAGES/desk.po``. Tables of codes carry a message
context (``NP_``), as one English word can be two Chinese ones ("Resolved": 已解决 as a
disposition, 已办结 as a ticket state). Pages get the strings through ``t(key)``; the
browser scripts get the same tables as JSON in one language (:func:`script_strings`).
"""

from __future__ import annotations

from cti.dispositions import DISPOSITIONS
from cti.webkit.i18n import N_, NP_, both_languages, gettext_for, labels

__all__ = ["DISPOSITIONS", "both_languages", "labels"]  # re-exported for the desk's modules

NOT_READY_REASONS: dict[str, str] = {
    "break": NP_("not ready reasons", "Break"),
    "lunch": NP_("not ready reasons", "Lunch"),
    "meeting": NP_("not ready reasons", "Meeting"),
    "training": NP_("not ready reasons", "Training"),
    "admin": NP_("not ready reasons", "Admin work"),
    "supervisor": NP_("not ready reasons", "Set by supervisor"),
}
CATEGORIES: dict[str, str] = {
    "consultation": NP_("categories", "Consultation"),
    "repair": NP_("categories", "Repair"),
    "installation": NP_("categories", "Installation"),
    "complaint": NP_("categories", "Complaint"),
    "suggestion": NP_("categories", "Suggestion"),
    "praise": NP_("categories", "Praise"),
}
STATES: dict[str, str] = {
    "logged_out": NP_("states", "Logged out"),
    "ready": NP_("states", "Ready"),
    "reserved": NP_("states", "Reserved"),
    "ringing": NP_("states", "Ringing"),
    "on_call": NP_("states", "On call"),
    "wrap_up": NP_("states", "Wrap-up"),
    "not_ready": NP_("states", "Not ready"),
}
# The ticket actions an agent may take from a call, and every ticket state (crm's names).
TICKET_ACTIONS: dict[str, str] = {
    "dispatch": NP_("ticket actions", "Dispatch"),
    "start": NP_("ticket actions", "Start work"),
    "suspend": NP_("ticket actions", "Suspend"),
    "resume": NP_("ticket actions", "Resume"),
    "resolve": NP_("ticket actions", "Resolve"),
    "resolve_by_incident": NP_("ticket actions", "Resolve with the incident"),
    "close": NP_("ticket actions", "Close"),
    "reopen": NP_("ticket actions", "Reopen"),
}
# Offered on the desk (dispatch and transfer need a department: the CRM's pages do those).
DESK_TICKET_ACTIONS = ("start", "suspend", "resume", "resolve", "close", "reopen")
TICKET_STATES: dict[str, str] = {
    "new": NP_("ticket states", "New"),
    "assigned": NP_("ticket states", "Assigned"),
    "in_progress": NP_("ticket states", "In progress"),
    "suspended": NP_("ticket states", "Suspended"),
    "resolved": NP_("ticket states", "Resolved"),
    "closed": NP_("ticket states", "Closed"),
    "reopened": NP_("ticket states", "Reopened"),
}

TEXT: dict[str, str] = {
    "desk_title": N_("Agent desktop"),
    "wall_title": N_("Supervisor wallboard"),
    "logout": N_("Log out"),
    "agent": N_("Agent"),
    "extension": N_("Extension"),
    "state": N_("State"),
    "since": N_("Time in state"),
    "go_login": N_("Sign in"),
    "go_ready": N_("Ready"),
    "go_not_ready": N_("Not ready"),
    "go_logout": N_("Sign out"),
    "reason": N_("Reason"),
    "wrap_left": N_("Wrap-up left"),
    "connected": N_("Connected"),
    "reconnecting": N_("Connection lost, reconnecting…"),
    "no_call": N_("No call"),
    "incoming": N_("Incoming call"),
    "on_call": N_("On call"),
    "ended": N_("Call ended"),
    "caller": N_("Caller"),
    "unknown_caller": N_("Unknown caller"),
    "quick_create": N_("Quick create"),
    "name": N_("Name"),
    "phone": N_("Phone"),
    "create": N_("Create"),
    "account": N_("Account"),
    "grade": N_("Grade"),
    "area": N_("Area"),
    "ivr_path": N_("IVR choices"),
    "waited": N_("Waited"),
    "service": N_("Service"),
    "open_tickets": N_("Open tickets"),
    "history": N_("Recent calls"),
    "incidents": N_("Open incidents in area"),
    "articles": N_("Suggested articles"),
    "announcements": N_("Announcements"),
    "none": N_("None"),
    "hangup": N_("Hang up"),
    "transfer": N_("Transfer"),
    "to_service": N_("To service"),
    "to_agent": N_("To agent"),
    "pause_rec": N_("Pause recording"),
    "resume_rec": N_("Resume recording"),
    "rec_paused": N_("Recording paused"),
    "dial": N_("Call"),
    "number": N_("Number"),
    "notes": N_("Notes"),
    "ticket": N_("Ticket"),
    "new_ticket": N_("New ticket"),
    "title": N_("Title"),
    "category": N_("Category"),
    "priority": N_("Priority"),
    "description": N_("Description"),
    "save": N_("Save"),
    "ticket_created": N_("Ticket created"),
    "update_ticket": N_("Update ticket"),
    "disposition": N_("Disposition"),
    "wrap_save": N_("Save wrap-up"),
    "saved": N_("Saved"),
    "dismiss": N_("Close"),
    "error": N_("Error"),
    "overall": N_("Overall"),
    "waiting": N_("Waiting"),
    "longest_wait": N_("Longest wait"),
    "service_level": N_("Service level"),
    "asa": N_("ASA"),
    "aht": N_("AHT"),
    "abandoned": N_("Abandoned"),
    "abandon_rate": N_("Abandon rate"),
    "offered": N_("Offered"),
    "answered": N_("Answered"),
    "needed": N_("Agents needed"),
    "agents": N_("Agents"),
    "chart": N_("Calls per 15 minutes"),
    "actions": N_("Actions"),
    "set_not_ready": N_("Set not ready"),
    "force_logout": N_("Sign the agent out"),
    "alarm": N_("Alarm"),
    "sound_on": N_("Sound on"),
    "not_an_agent": N_(
        "Your account is not linked to an agent: the username must equal an agent id "
        "(or extension)."
    ),
    "forbidden": N_("Not allowed"),
    "illegal_transition": N_("Ticket #{ticket} is {state}: it cannot be given “{action}”"),
    "text_needed": N_("“{action}” needs a reason in the text box"),
    "transferred": N_("Transferred"),
    "dialing": N_("Your phone is ringing…"),
    "calling": N_("Calling the customer…"),
    "outbound": N_("Outbound call"),
    "occupancy": N_("Occupancy"),
    "alarm_above": N_("{scope}: {metric} {value}, above the {level} threshold {limit}"),
    "alarm_below": N_("{scope}: {metric} {value}, below the {level} threshold {limit}"),
    "alarm_cleared": N_("{scope}: {metric} back to normal"),
    "level_warn": N_("warning"),
    "level_critical": N_("critical"),
    "active_alarms": N_("Active alarms"),
    "alarm_history": N_("Alarm history"),
    "no_alarms": N_("No alarms"),
    "calls": N_("Calls"),
    "time_of_day": N_("Time of day"),
    "target": N_("target"),
    "wrap_agent": N_("You end wrap-up: press Ready when done (at most {left} left)"),
    "knowledge_base": N_("Knowledge base"),
    "pbx_name": N_("Caller name"),
    "kb_placeholder": N_("Search, e.g. no signal"),
    "all_categories": N_("All categories"),
    "search": N_("Search"),
    "no_results": N_("No matching articles"),
    "sl_formula": N_(
        "Service level = answered within T ÷ (answered + abandoned after T + waiting beyond T)"
    ),
    "wrap_timed": N_("Wrap-up ends by itself in {left}"),
}
# Refusals the desk shows: by code, and by the server's detail where one code has several.
ERRORS: dict[str, str] = {
    "forbidden": NP_("errors", "Not your call"),
    "gone": NP_("errors", "The call is no longer in progress"),
    "pbx_down": NP_("errors", "No connection to the PBX (Asterisk)"),
    "unavailable": NP_("errors", "No CRM is connected"),
    "invalid": NP_("errors", "Invalid input"),
    "not_found": NP_("errors", "No such agent"),
    "not_allowed": NP_("errors", "Not allowed now"),
    "malformed": NP_("errors", "Malformed message"),
    "unknown_type": NP_("errors", "Unknown action"),
    "too_large": NP_("errors", "Too much text"),
    "unauthorized": NP_("errors", "The session has ended; log in again"),
    "disconnected": NP_("errors", "Disconnected, reconnecting"),
    "agent_busy": NP_("errors", "{agent} is {state}: cannot take the transfer"),
    "state_refused": NP_("errors", "Cannot “{action}” while {state}"),
}
DETAILS: dict[str, str] = {
    "no such agent": NP_("details", "No such agent"),
    "no such service": NP_("details", "No such service"),
    "a call you placed cannot be transferred": NP_(
        "details", "A call you placed cannot be transferred"
    ),
    "a number is needed": NP_("details", "A number is needed"),
    "not a phone number": NP_("details", "Not a phone number"),
    "a customer needs a name": NP_("details", "A customer needs a name"),
    "a ticket needs a title": NP_("details", "A ticket needs a title"),
    "unknown ticket category": NP_("details", "Unknown ticket category"),
    "priority is 1 to 4": NP_("details", "Priority is 1 to 4"),
    "unknown ticket action": NP_("details", "Unknown ticket action"),
    "the ticket is not this caller's": NP_("details", "The ticket is not this caller's"),
    "unknown disposition": NP_("details", "Unknown disposition"),
    "unknown reason": NP_("details", "Unknown reason"),
    "click-to-call needs a free agent (wrap-up finished)": NP_(
        "details", "Finish wrap-up before calling out"
    ),
    "the call has ended": NP_("details", "The call has ended"),
    "the call is not in progress": NP_("details", "The call is not in progress"),
    "the call is no longer on the desk": NP_("details", "The call is no longer on the desk"),
    "no Asterisk connection": NP_("details", "No Asterisk connection"),
}
GRADES: dict[str, str] = {
    "gold": NP_("grades", "Gold"),
    "silver": NP_("grades", "Silver"),
    "bronze": NP_("grades", "Bronze"),
    "platinum": NP_("grades", "Platinum"),
}
# crm.model.incident.IncidentType
INCIDENT_TYPES: dict[str, str] = {
    "cable": NP_("incident types", "Cable fault"),
    "equipment": NP_("incident types", "Equipment fault"),
    "power": NP_("incident types", "Power cut"),
    "network": NP_("incident types", "Network fault"),
    "other": NP_("incident types", "Other fault"),
}
STATE_ACTIONS: dict[str, str] = {
    "login": NP_("state actions", "sign in"),
    "ready": NP_("state actions", "ready"),
    "not_ready": NP_("state actions", "not ready"),
    "logout": NP_("state actions", "sign out"),
}
# Keys the browser scripts need (the pages render the rest server-side).
SCRIPT_KEYS = (
    "connected",
    "reconnecting",
    "no_call",
    "incoming",
    "on_call",
    "ended",
    "unknown_caller",
    "none",
    "rec_paused",
    "saved",
    "ticket_created",
    "error",
    "forbidden",
    "wrap_left",
    "pause_rec",
    "resume_rec",
    "set_not_ready",
    "force_logout",
    "overall",
    "account",
    "grade",
    "area",
    "illegal_transition",
    "text_needed",
    "transferred",
    "dialing",
    "calling",
    "alarm_above",
    "alarm_below",
    "alarm_cleared",
    "level_warn",
    "level_critical",
    "no_alarms",
    "calls",
    "time_of_day",
    "offered",
    "answered",
    "abandoned",
    "wrap_agent",
    "wrap_timed",
    "no_results",
    "pbx_name",
)


# Knowledge-base categories (the CRM's codes); an unknown code is shown as it is.
KB_CATEGORIES: dict[str, str] = {
    "billing": NP_("kb categories", "Billing"),
    "cable": NP_("kb categories", "Cable TV"),
    "network": NP_("kb categories", "Broadband"),
    "power": NP_("kb categories", "Power"),
    "installation": NP_("kb categories", "Installation"),
    "repair": NP_("kb categories", "Repair"),
}
# Wallboard figures an alarm can name.
METRICS = ("waiting", "longest_wait", "service_level", "abandon_rate")


def text(key: str, lang: str) -> str:
    """A TEXT entry in ``lang``."""
    return gettext_for(lang, TEXT[key])


def script_strings(lang: str) -> dict[str, object]:
    return {
        "text": {k: text(k, lang) for k in SCRIPT_KEYS},
        "states": labels("states", STATES, lang),
        "dispositions": labels("dispositions", DISPOSITIONS, lang),
        "reasons": labels("not ready reasons", NOT_READY_REASONS, lang),
        "categories": labels("categories", CATEGORIES, lang),
        "ticket_actions": labels("ticket actions", TICKET_ACTIONS, lang),
        "ticket_states": labels("ticket states", TICKET_STATES, lang),
        "metrics": {k: text(k, lang) for k in METRICS},
        "kb_categories": labels("kb categories", KB_CATEGORIES, lang),
        "errors": labels("errors", ERRORS, lang),
        "details": labels("details", DETAILS, lang),
        "state_actions": labels("state actions", STATE_ACTIONS, lang),
        "grades": labels("grades", GRADES, lang),
        "incident_types": labels("incident types", INCIDENT_TYPES, lang),
        "lang": lang,
    }
