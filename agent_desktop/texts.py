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
    "alarm_above": (
        "{scope}：{metric} {value}，高于{level}阈值 {limit}",
        "{scope}: {metric} {value}, above the {level} threshold {limit}",
    ),
    "alarm_below": (
        "{scope}：{metric} {value}，低于{level}阈值 {limit}",
        "{scope}: {metric} {value}, below the {level} threshold {limit}",
    ),
    "alarm_cleared": ("{scope}：{metric} 恢复正常", "{scope}: {metric} back to normal"),
    "level_warn": ("预警", "warning"),
    "level_critical": ("严重", "critical"),
    "active_alarms": ("当前告警", "Active alarms"),
    "alarm_history": ("告警记录", "Alarm history"),
    "no_alarms": ("无告警", "No alarms"),
    "calls": ("呼叫数", "Calls"),
    "time_of_day": ("时段", "Time of day"),
    "target": ("目标", "target"),
    "wrap_agent": (
        "话后处理由您结束：完成后点击「就绪」（最长 {left}）",
        "You end wrap-up: press Ready when done (at most {left} left)",
    ),
    "knowledge_base": ("知识库", "Knowledge base"),
    "pbx_name": ("来电名称", "Caller name"),
    "kb_placeholder": ("搜索，如：电视没信号", "Search, e.g. no signal"),
    "all_categories": ("全部类别", "All categories"),
    "search": ("搜索", "Search"),
    "no_results": ("没有找到相关文章", "No matching articles"),
    "wrap_timed": ("话后处理将在 {left} 后自动结束", "Wrap-up ends by itself in {left}"),
}
# Refusals the desk shows: by code, and by the server's detail where one code has several.
ERRORS: dict[str, tuple[str, str]] = {
    "forbidden": ("这不是您的通话", "Not your call"),
    "gone": ("通话已结束", "The call is no longer in progress"),
    "pbx_down": ("与交换机（Asterisk）的连接已断开", "No connection to the PBX (Asterisk)"),
    "unavailable": ("未连接客户资料库", "No CRM is connected"),
    "invalid": ("输入有误", "Invalid input"),
    "not_found": ("找不到该坐席", "No such agent"),
    "not_allowed": ("当前不能执行此操作", "Not allowed now"),
    "malformed": ("消息格式错误", "Malformed message"),
    "unknown_type": ("不支持的操作", "Unknown action"),
    "too_large": ("内容过长", "Too much text"),
    "unauthorized": ("登录已失效，请重新登录", "The session has ended; log in again"),
    "disconnected": ("连接已断开，正在重连", "Disconnected, reconnecting"),
    "agent_busy": (
        "坐席 {agent} 当前「{state}」，无法接受转接",
        "{agent} is {state}: cannot take the transfer",
    ),
    "state_refused": ("当前状态「{state}」下不能「{action}」", "Cannot “{action}” while {state}"),
}
DETAILS: dict[str, tuple[str, str]] = {
    "no such agent": ("没有这个坐席", "No such agent"),
    "no such service": ("没有这个业务", "No such service"),
    "a call you placed cannot be transferred": (
        "外呼的通话不能转接",
        "A call you placed cannot be transferred",
    ),
    "a number is needed": ("请输入号码", "A number is needed"),
    "not a phone number": ("不是有效的电话号码", "Not a phone number"),
    "a customer needs a name": ("请填写客户姓名", "A customer needs a name"),
    "a ticket needs a title": ("请填写工单标题", "A ticket needs a title"),
    "unknown ticket category": ("未知的工单类别", "Unknown ticket category"),
    "priority is 1 to 4": ("优先级为 1 到 4", "Priority is 1 to 4"),
    "unknown ticket action": ("未知的工单操作", "Unknown ticket action"),
    "the ticket is not this caller's": (
        "该工单不属于此来电客户",
        "The ticket is not this caller's",
    ),
    "unknown disposition": ("未知的处理结果", "Unknown disposition"),
    "unknown reason": ("未知的未就绪原因", "Unknown reason"),
    "click-to-call needs a free agent (wrap-up finished)": (
        "外呼前请先结束话后处理",
        "Finish wrap-up before calling out",
    ),
    "the call has ended": ("通话已结束", "The call has ended"),
    "the call is not in progress": ("通话未在进行中", "The call is not in progress"),
    "the call is no longer on the desk": (
        "该通话已不在工作台上",
        "The call is no longer on the desk",
    ),
    "no Asterisk connection": ("与交换机的连接已断开", "No Asterisk connection"),
}
GRADES: dict[str, tuple[str, str]] = {
    "gold": ("金卡", "Gold"),
    "silver": ("银卡", "Silver"),
    "bronze": ("铜卡", "Bronze"),
    "platinum": ("白金卡", "Platinum"),
}
# crm.model.incident.IncidentType
INCIDENT_TYPES: dict[str, tuple[str, str]] = {
    "cable": ("线路故障", "Cable fault"),
    "equipment": ("设备故障", "Equipment fault"),
    "power": ("停电", "Power cut"),
    "network": ("网络故障", "Network fault"),
    "other": ("其他故障", "Other fault"),
}
STATE_ACTIONS: dict[str, tuple[str, str]] = {
    "login": ("签入", "sign in"),
    "ready": ("就绪", "ready"),
    "not_ready": ("未就绪", "not ready"),
    "logout": ("签出", "sign out"),
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
KB_CATEGORIES: dict[str, tuple[str, str]] = {
    "billing": ("账单缴费", "Billing"),
    "cable": ("有线电视", "Cable TV"),
    "network": ("宽带网络", "Broadband"),
    "power": ("停电", "Power"),
    "installation": ("新装", "Installation"),
    "repair": ("报修", "Repair"),
}
# Wallboard figures an alarm can name.
METRICS = ("waiting", "longest_wait", "service_level", "abandon_rate")


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
        "metrics": {k: pick(TEXT[k], lang) for k in METRICS},
        "kb_categories": {k: pick(v, lang) for k, v in KB_CATEGORIES.items()},
        "errors": {k: pick(v, lang) for k, v in ERRORS.items()},
        "details": {k: pick(v, lang) for k, v in DETAILS.items()},
        "state_actions": {k: pick(v, lang) for k, v in STATE_ACTIONS.items()},
        "grades": {k: pick(v, lang) for k, v in GRADES.items()},
        "incident_types": {k: pick(v, lang) for k, v in INCIDENT_TYPES.items()},
        "lang": lang,
    }
