"""Admin: the department tree. Create, rename, move, deactivate (crm.services.organization)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.exc import IntegrityError

from crm.model.organization import UnitKind
from crm.model.rollup import preorder
from crm.services.organization import add_department, change_department
from crm.web.common import actor, back, crm, form, in_thread, number, text
from cti.webkit.i18n import N_, translate
from cti.webkit.pages import render

KIND_LABELS = {
    UnitKind.HEAD_OFFICE: N_("Head office"),
    UnitKind.REGION: N_("Region"),
    UnitKind.PROVINCE: N_("Province"),
    UnitKind.OUTLET: N_("Outlet"),
    UnitKind.DEPARTMENT: N_("Department"),
}


async def departments_page(
    request: web.Request, error: str = "", status: int = 200
) -> web.Response:
    def work() -> list[Any]:
        with crm(request).uow(write=False) as uow:
            return uow.departments.all()

    units = await in_thread(work)
    by_id = {d.id: d for d in units}
    parents = {d.id: d.parent_id for d in units}
    tree = [(by_id[i], depth) for i, depth in preorder(parents, None)]  # type: ignore[arg-type]
    return render(
        request,
        "admin_departments.html",
        status=status,
        tree=tree,
        units=units,
        kinds=[(k.value, translate(request, label)) for k, label in KIND_LABELS.items()],
        kind_names={k.value: translate(request, label) for k, label in KIND_LABELS.items()},
        error=error,
        saved=request.query.get("saved", ""),
    )


async def create_post(request: web.Request) -> web.StreamResponse:
    context, who = crm(request), actor(request)
    try:
        data = await form(request)
        fields = {
            "code": text(data, "code"),
            "name": text(data, "name"),
            "kind": UnitKind(text(data, "kind")),
            "parent_id": number(data, "parent_id", required=False),
            "area": text(data, "area", required=False) or None,
        }

        def work() -> None:
            with context.uow() as uow:
                add_department(uow, actor=who, **fields)
                uow.commit()

        await in_thread(work)
    except (ValueError, LookupError) as error:
        return await departments_page(request, _refusal(request, error), 400)
    except IntegrityError:  # a duplicate code: the unique index says no
        return await departments_page(request, _refusal(request, "code already used"), 400)
    raise back("/admin/departments?saved=created")


async def change_post(request: web.Request) -> web.StreamResponse:
    context, who = crm(request), actor(request)
    try:
        department_id = int(request.match_info["department_id"])
        data = await form(request)
        action = text(data, "action")
        change: dict[str, Any] = {}
        if action == "rename":
            change = {"name": text(data, "name")}
        elif action == "move":
            parent = number(data, "parent_id", required=False)
            change = {"parent_id": parent, "to_root": parent is None}
        elif action in ("deactivate", "activate"):
            change = {"active": action == "activate"}
        else:
            raise ValueError(f"unknown action {action!r}")

        def work() -> None:
            with context.uow() as uow:
                change_department(uow, department_id, actor=who, **change)
                uow.commit()

        await in_thread(work)
    except (ValueError, LookupError) as error:
        return await departments_page(request, _refusal(request, error), 400)
    raise back(f"/admin/departments?saved={action}")


def _refusal(request: web.Request, error: object) -> str:
    return translate(request, "Not saved: %(reason)s", reason=str(error).strip("'\""))


def setup_pages(app: web.Application) -> None:
    app.router.add_get("/admin/departments", departments_page)
    app.router.add_post("/admin/departments", create_post)
    app.router.add_post("/admin/departments/{department_id}", change_post)
