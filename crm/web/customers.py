"""Customer pages: search, the 360 view, edit, the archive (and its lock), import with a
preview and export. Every read and write goes through crm.services, so the audit and the
archive lock apply as on the REST API."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from aiohttp import BodyPartReader, web

from crm.api.context import CRM, CrmContext, as_id, in_thread
from crm.api.customer_views import read_upload
from crm.model.customer import ArchiveLocked, CustomerKind, CustomerNotFound
from crm.phone import InvalidPhoneNumber
from crm.repository.customer_search import search_page
from crm.services.customer_files import export_customers, import_customers
from crm.services.customer_view import customer_360
from crm.services.customers import amend_archive, make_phone, update_customer
from crm.tabular import CSV_MIME, XLSX_MIME, TableFormat, UnreadableTable, guess_format
from cti.roles import P, may
from cti.webkit.i18n import N_, translate
from cti.webkit.nav import add_nav
from cti.webkit.pages import identity, render


def _partial(request: web.Request) -> bool:
    """htmx asks for the results only (active search); its history restore wants the page."""
    headers = request.headers
    return bool(headers.get("HX-Request")) and not headers.get("HX-History-Restore-Request")


def _ctx(request: web.Request) -> CrmContext:
    return request.config_dict[CRM]


def _page_number(request: web.Request) -> int:
    try:
        return max(1, min(int(request.query.get("page", "1")), 400))
    except ValueError:
        return 1


async def customers_page(request: web.Request) -> web.Response:
    context, q, page = _ctx(request), request.query.get("q", "")[:200], _page_number(request)

    def work() -> Any:
        with context.uow(write=False) as uow:
            return search_page(uow.connection, q, page=page, plan=context.plan)

    found = await in_thread(work)
    template = "customers_rows.html" if _partial(request) else "customers_list.html"
    roles = identity(request).roles
    return render(
        request,
        template,
        q=q,
        found=found,
        may_import=may(roles, P.CUSTOMER_IMPORT),
        may_export=may(roles, P.CUSTOMER_EXPORT),
    )


def _customer_id(request: web.Request) -> int:
    try:
        return as_id("customer_id", request.match_info["customer_id"])
    except ValueError:
        raise web.HTTPNotFound(text="no such customer") from None


async def customer_page(request: web.Request) -> web.Response:
    context, customer_id, me = _ctx(request), _customer_id(request), identity(request)

    def work() -> Any:
        with context.uow() as uow:
            view = customer_360(uow, customer_id, me.username)
            uow.commit()  # the audit row of opening the record
            return view

    try:
        view = await in_thread(work)
    except CustomerNotFound:
        raise web.HTTPNotFound(text="no such customer") from None
    sees_all = may(me.roles, P.RECORDINGS_ALL)
    own = may(me.roles, P.RECORDINGS_VIEW)

    def playable(call: Any) -> bool:
        # The recordings page checks again (recordings/access.py); the link is only offered
        # where it would open: every call for QA/supervisors, an agent's own calls.
        took_part = me.username in {call.agent_answered, *call.agents_offered}
        return bool(call.recording_refs) and (sees_all or (own and took_part))

    return render(
        request,
        "customers_view.html",
        v=view,
        c=view.customer,
        playable=playable,
        may_edit=may(me.roles, P.CUSTOMER_WRITE),
    )


async def edit_page(request: web.Request) -> web.Response:
    context, customer_id = _ctx(request), _customer_id(request)

    def work() -> Any:
        with context.uow(write=False) as uow:
            return uow.customers.get(customer_id)

    customer = await in_thread(work)
    if customer is None:
        raise web.HTTPNotFound(text="no such customer")
    return render(request, "customers_edit.html", c=customer, errors=[], kinds=list(CustomerKind))


Problem = tuple[str, dict[str, str]]  # (English msgid, its parameters)


def _form_changes(form: Any) -> tuple[dict[str, Any], list[Any] | None, list[Problem]]:
    errors: list[Problem] = []
    changes: dict[str, Any] = {}
    for name in ("name", "segment", "grade", "area", "address", "email", "account_number"):
        if name in form:
            value = str(form[name]).strip()
            changes[name] = value or None
    if "name" in changes and not changes["name"]:
        errors.append((N_("A customer needs a name"), {}))
    if "kind" in form:
        try:
            changes["kind"] = CustomerKind(str(form["kind"]))
        except ValueError:
            errors.append((N_("Unknown kind of customer"), {}))
    if "tags" in form:
        changes["tags"] = {t.strip() for t in str(form["tags"]).split(",") if t.strip()}
    phones = None
    if "phones" in form:
        phones = []
        for raw in (p.strip() for p in str(form["phones"]).splitlines() if p.strip()):
            try:
                phones.append(make_phone(raw))
            except InvalidPhoneNumber:
                errors.append((N_("Not a phone number: %(raw)s"), {"raw": raw[:64]}))
    return changes, phones, errors


async def edit_post(request: web.Request) -> web.Response:
    context, customer_id, me = _ctx(request), _customer_id(request), identity(request)
    form = await request.post()
    changes, phones, errors = _form_changes(form)

    def work() -> Any:
        with context.uow() as uow:
            if errors:
                return uow.customers.get(customer_id)
            customer = update_customer(uow, customer_id, changes, me.username, phones=phones)
            uow.commit()
            return customer

    try:
        customer = await in_thread(work)
    except CustomerNotFound:
        raise web.HTTPNotFound(text="no such customer") from None
    except ValueError as error:
        errors = [(N_("The customer was not saved: %(reason)s"), {"reason": str(error)})]
        customer = None
    if errors or customer is None:

        def reread() -> Any:
            with context.uow(write=False) as uow:
                return uow.customers.get(customer_id)

        customer = await in_thread(reread)
        page = render(
            request,
            "customers_edit.html",
            c=customer,
            errors=[translate(request, msgid, **params) for msgid, params in errors],
            kinds=list(CustomerKind),
        )
        page.set_status(400)
        return page
    raise web.HTTPSeeOther(f"/customers/{customer_id}")


async def archive_post(request: web.Request) -> web.Response:
    """Amend the archive, or lock it; a locked archive is read-only (409)."""
    context, customer_id, me = _ctx(request), _customer_id(request), identity(request)
    form = await request.post()
    key, value = str(form.get("key", "")).strip()[:64], str(form.get("value", ""))[:2000]
    changes = {key: value} if key else {}
    lock = form.get("lock") == "1"

    def work() -> Any:
        with context.uow() as uow:
            customer = amend_archive(uow, customer_id, changes, me.username, lock=lock)
            uow.commit()
            return customer

    try:
        await in_thread(work)
    except CustomerNotFound:
        raise web.HTTPNotFound(text="no such customer") from None
    except ArchiveLocked:
        page = render(
            request,
            "customers_message.html",
            title=translate(request, "The archive is locked"),
            message=translate(request, "A locked archive is read-only; nothing was changed."),
            back=f"/customers/{customer_id}",
        )
        page.set_status(409)
        return page
    raise web.HTTPSeeOther(f"/customers/{customer_id}")


async def import_page(request: web.Request) -> web.Response:
    return render(request, "customers_import.html", report=None)


async def import_post(request: web.Request) -> web.Response:
    """Preview (validate, write nothing) or import; the report lists every refused cell."""
    context, me = _ctx(request), identity(request)
    commit = request.query.get("commit") == "1"
    try:
        if request.content_type == "multipart/form-data":
            data, filename, fields = await _read_import_form(request, context.upload_limit)
        else:
            (data, filename), fields = await read_upload(request, context.upload_limit), {}
        fmt = guess_format(data, filename)
    except ValueError as error:
        return _import_error(request, str(error))
    mode = fields.get("mode") or request.query.get("mode", "add")

    def work() -> Any:
        with context.uow() as uow:
            report = import_customers(
                uow,
                data,
                fmt,
                actor=me.username,
                plan=context.plan,
                dry_run=not commit,
                source=filename or "upload",
                update_existing=mode == "update",
            )
            uow.commit()
            return report

    try:
        report = await in_thread(work)
    except UnreadableTable as error:
        return _import_error(request, str(error))
    return render(request, "customers_import_report.html", report=report, commit=commit, mode=mode)


async def _read_import_form(
    request: web.Request, limit: int
) -> tuple[bytes, str | None, dict[str, str]]:
    """The page's form: the file (refused past ``limit`` bytes, never held whole) and the
    small fields beside it (the mode), in whatever order the browser sends them."""
    fields: dict[str, str] = {}
    found: tuple[bytes, str | None] | None = None
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "file" and found is None:
            data = bytearray()
            while chunk := await part.read_chunk(64 * 1024):
                data.extend(chunk)
                if len(data) > limit:
                    raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=len(data))
            found = bytes(data), unquote(part.filename) if part.filename else None
        elif part.name in ("mode",):
            fields[part.name] = (await part.text())[:16]
        else:
            await part.release()
    if found is None:
        raise ValueError("the form has no file")
    return found[0], found[1], fields


def _import_error(request: web.Request, message: str) -> web.Response:
    page = render(request, "customers_import_report.html", report=None, error=message)
    page.set_status(400)
    return page


async def export_get(request: web.Request) -> web.Response:
    context, me = _ctx(request), identity(request)
    try:
        fmt = TableFormat(request.query.get("format", "csv"))
    except ValueError:
        raise web.HTTPBadRequest(text="format is csv or xlsx") from None

    def work() -> bytes:
        with context.uow() as uow:
            data = export_customers(uow, me.username, fmt)
            uow.commit()
            return data

    data = await in_thread(work)
    stamp = context.clock().strftime("%Y%m%d-%H%M%S")
    return web.Response(
        body=data,
        content_type=XLSX_MIME if fmt is TableFormat.XLSX else CSV_MIME,
        charset=None if fmt is TableFormat.XLSX else "utf-8",
        headers={"Content-Disposition": f'attachment; filename="customers-{stamp}.{fmt.value}"'},
    )


def setup_pages(app: web.Application) -> None:
    add_nav(app, "/customers", N_("Customers"), 30)
    app.router.add_get("/customers", customers_page)
    app.router.add_get("/customers/import", import_page)
    app.router.add_post("/customers/import", import_post)
    app.router.add_get("/customers/export", export_get)
    app.router.add_get("/customers/{customer_id}", customer_page)
    app.router.add_get("/customers/{customer_id}/edit", edit_page)
    app.router.add_post("/customers/{customer_id}/edit", edit_post)
    app.router.add_post("/customers/{customer_id}/archive", archive_post)
