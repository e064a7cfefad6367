"""A small bilingual demo data set: departments, customers, tickets, an open incident, FAQ."""

from __future__ import annotations

from crm.model.customer import Contact, Customer, CustomerKind
from crm.services.customers import add_customer, make_phone
from crm.services.incidents import link_tickets, open_incident
from crm.services.knowledge import add_article
from crm.services.organization import add_department
from crm.services.tickets import open_ticket
from crm.uow import UnitOfWork

ACTOR = "system:demo"

CUSTOMERS = [
    ("张伟", "individual", "BJ-100001", "+86 138 0013 8000", "北京/朝阳区", {"VIP"}, "gold"),
    ("李娜", "individual", "BJ-100002", "139-1000-2000", "北京/海淀区", set(), "silver"),
    ("John Smith", "individual", "SH-200001", "+86 21 6000 1234", "上海/浦东新区", set(), None),
    (
        "Mary Chen 陈美玲",
        "individual",
        "GZ-300001",
        "0086 137 2000 3000",
        "广东/广州/天河区",
        {"VIP"},
        "gold",
    ),
]

# More callers for the demo (cti/demo.py dials their numbers): added after the group
# customer so the ones above keep their places.
MORE_CUSTOMERS = [
    ("刘洋", "individual", "BJ-100003", "+86 135 1111 2222", "北京/朝阳区", set(), "silver"),
    ("赵敏", "individual", "BJ-100004", "186 2222 3333", "北京/西城区", set(), None),
    ("孙磊", "individual", "SH-200002", "+86 137 3333 4444", "上海/徐汇区", set(), None),
    (
        "Emily Wang 王艾米",
        "individual",
        "SH-200003",
        "+86 139 4444 5555",
        "上海/浦东新区",
        set(),
        None,
    ),
    ("周杰", "individual", "GZ-300002", "020 3888 1234", "广东/广州/天河区", set(), "silver"),
]

ARTICLES = [
    ("停电怎么办", "遇到停电时，请先检查家中空气开关，再拨打故障报修热线。", "power", "zh"),
    ("机顶盒无信号的处理方法", "请重启机顶盒并检查信号线是否松动。", "cable", "zh"),
    (
        "电视没有信号怎么办",
        "先看机顶盒指示灯：红灯请重启机顶盒；绿灯请检查电视的信号源（HDMI）。"
        "如所在小区有光缆故障公告，请等待抢修完成。",
        "cable",
        "zh",
    ),
    (
        "账单查询与缴费",
        "每月账单包含月租、通话费和税费。可在营业厅、网上营业厅或自动扣款缴费。",
        "billing",
        "zh",
    ),
    (
        "No signal on your TV",
        "Check the set-top box light: red means restart the box; green means check the TV "
        "input (HDMI). If your area has a cable outage notice, repairs are under way.",
        "cable",
        "en",
    ),
    (
        "Paying your bills",
        "Bills can be paid at a service hall, online, or by direct debit each month.",
        "billing",
        "en",
    ),
    (
        "How to reset your broadband router",
        "Unplug the router for thirty seconds, then plug it back in.",
        "network",
        "en",
    ),
    (
        "Understanding your monthly bill",
        "Your bill lists the line fee, usage and taxes.",
        "billing",
        "en",
    ),
]


def load_demo(uow: UnitOfWork) -> dict[str, int]:
    """Write the demo set through the normal handlers (so it is audited like any write)."""
    hq = add_department(uow, actor=ACTOR, code="HQ", name="总部 Head office", kind="head_office")
    north = add_department(
        uow, actor=ACTOR, code="NORTH", name="华北区 North", kind="region", parent_id=hq.id
    )
    beijing = add_department(
        uow, actor=ACTOR, code="BJ", name="北京分公司 Beijing", kind="province", parent_id=north.id
    )
    repair = add_department(
        uow,
        actor=ACTOR,
        code="BJ-REPAIR",
        name="北京维修部 Repair",
        kind="department",
        parent_id=beijing.id,
        area="北京",
    )
    ids = []
    for name, kind, account, phone, area, tags, grade in CUSTOMERS:
        ids.append(
            add_customer(
                uow,
                Customer(
                    name=name,
                    kind=CustomerKind(kind),
                    account_number=account,
                    area=area,
                    tags=tags,
                    grade=grade,
                    phones=[make_phone(phone, "mobile")],
                ),
                ACTOR,
            )
        )
    ids.append(
        add_customer(
            uow,
            Customer(
                name="顺达物流 Shunda Logistics",
                kind=CustomerKind.GROUP,
                account_number="BJ-900001",
                area="北京/朝阳区",
                phones=[make_phone("010-8888 6666 ext 100", "switchboard")],
                contacts=[
                    Contact(
                        name="王强 Wang Qiang", title="IT", phones=[make_phone("+86 135 0000 1111")]
                    )
                ],
            ),
            ACTOR,
        )
    )
    for name, kind, account, phone, area, tags, grade in MORE_CUSTOMERS:
        ids.append(
            add_customer(
                uow,
                Customer(
                    name=name,
                    kind=CustomerKind(kind),
                    account_number=account,
                    area=area,
                    tags=tags,
                    grade=grade,
                    phones=[make_phone(phone, "mobile")],
                ),
                ACTOR,
            )
        )
    tickets = [
        open_ticket(
            uow,
            actor=ACTOR,
            title="宽带断网 Broadband down",
            category="repair",
            customer_id=ids[0],
            department_id=repair.id,
        ).id,
        open_ticket(
            uow,
            actor=ACTOR,
            title="电视没有信号",
            category="repair",
            customer_id=ids[4],
            department_id=repair.id,
        ).id,
        open_ticket(
            uow, actor=ACTOR, title="Billing question", category="consultation", customer_id=ids[2]
        ).id,
        open_ticket(
            uow,
            actor=ACTOR,
            title="机顶盒显示 E102 / Set-top box shows E102",
            category="repair",
            customer_id=ids[5],
            department_id=repair.id,
        ).id,
        open_ticket(
            uow,
            actor=ACTOR,
            title="账单地址变更 Change of billing address",
            category="consultation",
            customer_id=ids[8],
        ).id,
    ]
    incident = open_incident(
        uow,
        actor=ACTOR,
        type="cable",
        title="朝阳区光缆中断 Fiber cut",
        areas=["北京/朝阳区"],
        description="施工挖断光缆，正在抢修。Repair crews are on site.",
    )
    link_tickets(uow, incident.id, [*tickets[:2], tickets[3]], ACTOR)
    for title, body, category, lang in ARTICLES:
        add_article(uow, actor=ACTOR, title=title, body=body, category=category, lang=lang)
    return {"customers": len(ids), "tickets": len(tickets), "incident_id": incident.id or 0}
