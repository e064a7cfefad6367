"""Handlers for customer files (import, export) and the customer archive."""

from __future__ import annotations

from dataclasses import asdict
from urllib.parse import unquote

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import BadHttpMessage

from crm.api.context import actor, body, ctx, in_thread, path_int, reply
from crm.services.customer_files import export_customers, import_customers
from crm.services.customers import amend_archive, read_archive
from crm.tabular import CSV_MIME, XLSX_MIME, TableFormat, guess_format

_UPLOAD_CHUNK = 64 * 1024


def _too_large(limit: int, actual: int) -> web.HTTPRequestEntityTooLarge:
    return web.HTTPRequestEntityTooLarge(
        max_size=limit,
        actual_size=actual,
        text=f"the upload is over the limit of {limit} bytes",
    )


async def read_upload(request: web.Request, limit: int) -> tuple[bytes, str | None]:
    """The uploaded file and its name: the ``file`` part of a multipart form, or the raw body
    (``curl --data-binary``). Refused with 413 as soon as it passes ``limit`` bytes, so an
    oversized upload is never held in memory whole."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise _too_large(limit, declared)
    if request.content_type != "multipart/form-data":
        data = bytearray()
        async for chunk in request.content.iter_chunked(_UPLOAD_CHUNK):
            data.extend(chunk)
            if len(data) > limit:
                raise _too_large(limit, len(data))
        return bytes(data), request.query.get("filename")
    try:
        return await _read_multipart(request, limit)
    except (BadHttpMessage, ValueError) as error:
        if isinstance(error, web.HTTPException):
            raise
        # A malformed part header (control bytes in a name, a broken boundary) is the
        # client's fault: answer 400 rather than let aiohttp's error become a 500.
        raise ValueError(f"malformed multipart upload: {error}") from None


async def _read_multipart(request: web.Request, limit: int) -> tuple[bytes, str | None]:
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name != "file":
            if isinstance(part, BodyPartReader):
                await part.release()
            continue
        data = bytearray()
        while chunk := await part.read_chunk(_UPLOAD_CHUNK):
            data.extend(chunk)
            if len(data) > limit:
                raise _too_large(limit, len(data))
        # Browsers and aiohttp percent-encode some characters of the name; show it as typed.
        return bytes(data), unquote(part.filename) if part.filename else None
    raise ValueError("the multipart form has no 'file' part")


async def post_customer_import(request: web.Request) -> web.Response:
    context, who, q = ctx(request), actor(request), request.query
    data, filename = await read_upload(request, context.upload_limit)
    fmt = TableFormat(q["format"]) if "format" in q else guess_format(data, filename)
    dry_run = q.get("dry_run") in ("1", "true")

    def work() -> object:
        with context.uow() as uow:
            report = import_customers(
                uow,
                data,
                fmt,
                actor=who,
                plan=context.plan,
                dry_run=dry_run,
                source=filename or "upload",
                checkpoint=uow.checkpoint,  # batches: calls and logins are written meanwhile
            )
            uow.commit()
            return {**asdict(report), "rejected_rows": report.rejected_rows}

    return reply(await in_thread(work))


async def get_customer_export(request: web.Request) -> web.Response:
    context, who = ctx(request), actor(request)
    fmt = TableFormat(request.query.get("format", "csv"))

    def work() -> bytes:
        with context.uow() as uow:
            data = export_customers(uow, who, fmt)
            uow.commit()  # the audit row of this bulk read
            return data

    data = await in_thread(work)
    stamp = context.clock().strftime("%Y%m%d-%H%M%S")
    return web.Response(
        body=data,
        content_type=XLSX_MIME if fmt is TableFormat.XLSX else CSV_MIME,
        charset=None if fmt is TableFormat.XLSX else "utf-8",
        headers={"Content-Disposition": f'attachment; filename="customers-{stamp}.{fmt.value}"'},
    )


def _archive_view(customer_id: int, archive: dict[str, object], locked: bool) -> object:
    return {"customer_id": customer_id, "archive": archive, "locked": locked}


async def get_customer_archive(request: web.Request) -> web.Response:
    customer_id, who = path_int(request, "customer_id"), actor(request)

    def work() -> object:
        with ctx(request).uow() as uow:
            customer = read_archive(uow, customer_id, who)
            uow.commit()  # opening the archive is audited
            return _archive_view(customer_id, customer.archive, customer.archive_locked)

    return reply(await in_thread(work))


async def patch_customer_archive(request: web.Request) -> web.Response:
    customer_id, data, who = path_int(request, "customer_id"), await body(request), actor(request)
    changes = data.get("changes", {})
    if not isinstance(changes, dict):
        raise ValueError("changes must be a JSON object")

    def work() -> object:
        with ctx(request).uow() as uow:
            customer = amend_archive(
                uow, customer_id, changes, who, lock=bool(data.get("lock", False))
            )
            uow.commit()
            return _archive_view(customer_id, customer.archive, customer.archive_locked)

    return reply(await in_thread(work))
