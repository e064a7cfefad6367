"""Admin: users. Create, change role, department and agent link, reset the password,
deactivate (the user's sessions end at once: crm.auth.update_user revokes their tokens)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from crm.auth import create_user, update_user
from crm.model.organization import Role
from crm.web.common import actor, back, crm, form, in_thread, number, text
from cti.webkit.i18n import N_, translate
from cti.webkit.pages import render

MIN_PASSWORD = 8
ROLE_LABELS = {
    Role.AGENT: N_("Agent"),
    Role.SUPERVISOR: N_("Supervisor"),
    Role.QA: N_("QA"),
    Role.DEPARTMENT_STAFF: N_("Department staff"),
    Role.ADMIN: N_("Administrator"),
}


def _password(value: str) -> str:
    if len(value) < MIN_PASSWORD:
        raise ValueError(f"password: at least {MIN_PASSWORD} characters")
    return value


async def users_page(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    context = crm(request)

    def work() -> dict[str, Any]:
        with context.uow(write=False) as uow:
            return {"users": uow.users.all(), "departments": uow.departments.all()}

    data = await in_thread(work)
    names = {d.id: d.name for d in data["departments"]}
    return render(
        request,
        "admin_users.html",
        status=status,
        users=data["users"],
        departments=data["departments"],
        department_names=names,
        roles=[(r.value, translate(request, ROLE_LABELS[r])) for r in Role],
        error=error,
        saved=request.query.get("saved", ""),
    )


async def create_user_post(request: web.Request) -> web.StreamResponse:
    context, who = crm(request), actor(request)
    try:
        data = await form(request)
        username = text(data, "username")
        fields = {
            "password": _password(text(data, "password")),
            "role": Role(text(data, "role")),
            "display_name": text(data, "display_name", required=False) or None,
            "department_id": number(data, "department_id", required=False),
        }
        agent_id = text(data, "agent_id", required=False)
        extension = text(data, "extension", required=False)

        def work() -> None:
            with context.uow() as uow:
                if (
                    fields["department_id"] is not None
                    and uow.departments.get(fields["department_id"]) is None
                ):
                    raise LookupError(f"no department {fields['department_id']}")
                create_user(uow, username=username, actor=who, hasher=context.hasher, **fields)
                if agent_id or extension:
                    update_user(uow, username, actor=who, agent_id=agent_id, extension=extension)
                uow.commit()

        await in_thread(work)
    except (ValueError, LookupError) as error:
        return await users_page(request, _refusal(request, error), 400)
    raise back("/admin/users?saved=created")


async def change_user_post(request: web.Request) -> web.StreamResponse:
    context, who = crm(request), actor(request)
    username = request.match_info["username"]
    try:
        data = await form(request)
        action = text(data, "action")
        change: dict[str, Any] = {}
        if action == "save":
            change = {
                "role": Role(text(data, "role")),
                "department_id": number(data, "department_id", required=False),
                "agent_id": text(data, "agent_id", required=False),
                "extension": text(data, "extension", required=False),
            }
        elif action in ("deactivate", "activate"):
            if action == "deactivate" and username == who:
                raise ValueError("you cannot deactivate yourself")
            change = {"active": action == "activate"}
        elif action == "password":
            change = {"password": _password(text(data, "password"))}
        else:
            raise ValueError(f"unknown action {action!r}")

        def work() -> None:
            with context.uow() as uow:
                update_user(uow, username, actor=who, hasher=context.hasher, **change)
                uow.commit()

        await in_thread(work)
    except (ValueError, LookupError) as error:
        return await users_page(request, _refusal(request, error), 400)
    raise back(f"/admin/users?saved={action}")


def _refusal(request: web.Request, error: Exception) -> str:
    return translate(request, "Not saved: %(reason)s", reason=str(error).strip("'\""))


async def users_get(request: web.Request) -> web.Response:
    return await users_page(request)


def setup_pages(app: web.Application) -> None:
    from cti.webkit.nav import add_nav

    app.router.add_get("/admin/users", users_get)
    app.router.add_post("/admin/users", create_user_post)
    app.router.add_post("/admin/users/{username}", change_user_post)
    add_nav(app, "/admin/users", N_("Users"), 800)
