"""Everything an agent or supervisor reads, in Simplified Chinese and English.

Pages get the strings through ``t(key)``; the browser scripts get the same table as JSON
(one language, chosen by ``?lang=`` or the ``cti_lang`` cookie as on the other pages).
"""

from __future__ import annotations

DISPOSITIONS: dict[str, tuple[str, str]] = {
    "resolved": ("已解决", "Resolved"),
    "ticket_opened": ("已建工单", "Ticket opened"),
    "callback": ("需回访", "Call back"),
    "information": ("咨询答复", "Information given"),
    "complaint": ("投诉受理", "Complaint taken"),
    "transferred": ("已转接", "Transferred"),
    "wrong_number": ("打错电话", "Wrong number"),
}
NOT_READY_REASONS: dict[str, tuple[str, str]] = {
    "break": ("休息", "Break"),
    "lunch": ("用餐", "Lunch"),
    "meeting": ("会议", "Meeting"),
    "training": ("培训", "Training"),
    "admin": ("事务处理", "Admin work"),
    "supervisor": ("主管设置", "Set by supervisor"),
}
CATEGORIES: dict[str, tuple[str, str]] = {
    "consultation": ("咨询", "Consultation"),
    "repair": ("报修", "Repair"),
    "installation": ("新装", "Installation"),
    "complaint": ("投诉", "Complaint"),
    "suggestion": ("建议", "Suggestion"),
    "praise": ("表扬", "Praise"),
}
STATES: dict[str, tuple[str, str]] = {
    "logged_out": ("未登录", "Logged out"),
    "ready": ("就绪", "Ready"),
    "reserved": ("预占", "Reserved"),
    "ringing": ("振铃", "Ringing"),
    "on_call": ("通话中", "On call"),
    "wrap_up": ("话后处理", "Wrap-up"),
    "not_ready": ("未就绪", "Not ready"),
}
# The ticket actions an agent may take from a call, and every ticket state (crm's names).
TICKET_ACTIONS: dict[str, tuple[str, str]] = {
    "dispatch": ("派单", "Dispatch"),
    "start": ("开始处理", "Start work"),
    "suspend": ("挂起", "Suspend"),
    "resume": ("恢复处理", "Resume"),
    "resolve": ("办结", "Resolve"),
    "resolve_by_incident": ("随故障办结", "Resolve with the incident"),
    "close": ("关闭", "Close"),
    "reopen": ("重新打开", "Reopen"),
}
# Offered on the desk (dispatch and transfer need a department: the CRM's pages do those).
DESK_TICKET_ACTIONS = ("start", "suspend", "resume", "resolve", "close", "reopen")
TICKET_STATES: dict[str, tuple[str, str]] = {
    "new": ("新建", "New"),
    "assigned": ("已派单", "Assigned"),
    "in_progress": ("处理中", "In progress"),
    "suspended": ("已挂起", "Suspended"),
    "resolved": ("已办结", "Resolved"),
    "closed": ("已关闭", "Closed"),
    "reopened": ("已重开", "Reopened"),
}

TEXT: dict[str, tuple[str, str]] = {
    "desk_title": ("坐席工作台", "Agent desktop"),
    "wall_title": ("监控大屏", "Supervisor wallboard"),
    "logout": ("退出", "Log out"),
    "agent": ("坐席", "Agent"),
    "extension": ("分机", "Extension"),
    "state": ("状态", "State"),
    "since": ("状态时长", "Time in state"),
    "go_login": ("签入", "Sign in"),
    "go_ready": ("就绪", "Ready"),
    "go_not_ready": ("未就绪", "Not ready"),
    "go_logout": ("签出", "Sign out"),
    "reason": ("原因", "Reason"),
    "wrap_left": ("话后剩余", "Wrap-up left"),
    "connected": ("已连接", "Connected"),
    "reconnecting": ("连接中断，正在重连…", "Connection lost, reconnecting…"),
    "no_call": ("暂无来电", "No call"),
    "incoming": ("来电振铃", "Incoming call"),
    "on_call": ("通话中", "On call"),
    "ended": ("通话已结束", "Call ended"),
    "caller": ("来电号码", "Caller"),
    "unknown_caller": ("未知来电", "Unknown caller"),
    "quick_create": ("快速建档", "Quick create"),
    "name": ("姓名", "Name"),
    "phone": ("电话", "Phone"),
    "create": ("创建", "Create"),
    "account": ("账号", "Account"),
    "grade": ("等级", "Grade"),
    "area": ("区域", "Area"),
    "ivr_path": ("语音导航选择", "IVR choices"),
    "waited": ("等待时长", "Waited"),
    "service": ("业务", "Service"),
    "open_tickets": ("未结工单", "Open tickets"),
    "history": ("最近来电", "Recent calls"),
    "incidents": ("区域故障", "Open incidents in area"),
    "articles": ("知识库推荐", "Suggested articles"),
    "announcements": ("公告", "Announcements"),
    "none": ("无", "None"),
    "hangup": ("挂断", "Hang up"),
    "transfer": ("转接", "Transfer"),
    "to_service": ("转业务", "To service"),
    "to_agent": ("转坐席", "To agent"),
    "pause_rec": ("暂停录音", "Pause recording"),
    "resume_rec": ("恢复录音", "Resume recording"),
    "rec_paused": ("录音已暂停", "Recording paused"),
    "dial": ("外呼", "Call"),
    "number": ("号码", "Number"),
    "notes": ("备注", "Notes"),
    "ticket": ("工单", "Ticket"),
    "new_ticket": ("新建工单", "New ticket"),
    "title": ("标题", "Title"),
    "category": ("类别", "Category"),
    "priority": ("优先级", "Priority"),
    "description": ("描述", "Description"),
    "save": ("保存", "Save"),
    "ticket_created": ("工单已创建", "Ticket created"),
    "update_ticket": ("更新工单", "Update ticket"),
    "disposition": ("处理结果", "Disposition"),
    "wrap_save": ("提交小结", "Save wrap-up"),
    "saved": ("已保存", "Saved"),
    "dismiss": ("关闭", "Close"),
    "error": ("错误", "Error"),
    "overall": ("总计", "Overall"),
    "waiting": ("排队", "Waiting"),
    "longest_wait": ("最长等待", "Longest wait"),
    "service_level": ("服务水平", "Service level"),
    "asa": ("平均应答", "ASA"),
    "aht": ("平均处理", "AHT"),
    "abandoned": ("放弃", "Abandoned"),
    "abandon_rate": ("放弃率", "Abandon rate"),
    "offered": ("呼入", "Offered"),
    "answered": ("接听", "Answered"),
    "needed": ("所需坐席", "Agents needed"),
    "agents": ("坐席", "Agents"),
    "chart": ("每15分钟呼入量", "Calls per 15 minutes"),
    "actions": ("操作", "Actions"),
    "set_not_ready": ("置未就绪", "Set not ready"),
    "force_logout": ("强制签出", "Log out"),
    "alarm": ("告警", "Alarm"),
    "sound_on": ("开启声音", "Sound on"),
    "not_an_agent": (
        "您的账号未关联坐席：用户名须与坐席编号（或分机号）一致。",
        "Your account is not linked to an agent: the username must equal an agent id "
        "(or extension).",
    ),
    "forbidden": ("无权执行此操作", "Not allowed"),
    "illegal_transition": (
        "工单 #{ticket} 当前为「{state}」，不能执行「{action}」",
        "Ticket #{ticket} is {state}: it cannot be given “{action}”",
    ),
    "text_needed": ("「{action}」需要填写原因", "“{action}” needs a reason in the text box"),
    "transferred": ("已转出", "Transferred"),
    "dialing": ("正在呼叫您的话机…", "Your phone is ringing…"),
    "calling": ("正在呼叫客户…", "Calling the customer…"),
    "outbound": ("外呼", "Outbound call"),
    "occupancy": ("占用率", "Occupancy"),
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
)


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def script_strings(lang: str) -> dict[str, object]:
    return {
        "text": {k: pick(TEXT[k], lang) for k in SCRIPT_KEYS},
        "states": {k: pick(v, lang) for k, v in STATES.items()},
        "dispositions": {k: pick(v, lang) for k, v in DISPOSITIONS.items()},
        "reasons": {k: pick(v, lang) for k, v in NOT_READY_REASONS.items()},
        "categories": {k: pick(v, lang) for k, v in CATEGORIES.items()},
        "ticket_actions": {k: pick(v, lang) for k, v in TICKET_ACTIONS.items()},
        "ticket_states": {k: pick(v, lang) for k, v in TICKET_STATES.items()},
        "lang": lang,
    }
