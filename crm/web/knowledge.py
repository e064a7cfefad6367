"""Knowledge-base pages: search and browse by category (published articles, for everyone
allowed to read), and the editor with categories and the review step (draft -> review ->
published) for those allowed to write. Writes go through crm.services.knowledge
(audited)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from crm.api.context import CRM, CrmContext, as_id, in_thread
from crm.model.knowledge import TRANSITIONS, ArticleState, ArticleStateError
from crm.services.knowledge import add_article, review_article, update_article
from cti.roles import P, may
from cti.webkit.i18n import N_, translate
from cti.webkit.nav import add_nav
from cti.webkit.pages import identity, render

ALL_STATES = tuple(ArticleState)


def _partial(request: web.Request) -> bool:
    """htmx asks for the results only (active search); its history restore wants the page."""
    headers = request.headers
    return bool(headers.get("HX-Request")) and not headers.get("HX-History-Restore-Request")


def _ctx(request: web.Request) -> CrmContext:
    return request.config_dict[CRM]


def _article_id(request: web.Request) -> int:
    try:
        return as_id("article_id", request.match_info["article_id"])
    except ValueError:
        raise web.HTTPNotFound(text="no such article") from None


async def kb_page(request: web.Request) -> web.Response:
    context = _ctx(request)
    q = request.query.get("q", "")[:200]
    category = request.query.get("category", "")[:64] or None

    def work() -> Any:
        with context.uow(write=False) as uow:
            return uow.knowledge.search(q, category=category, limit=50), uow.knowledge.categories()

    hits, categories = await in_thread(work)
    template = "kb_hits.html" if _partial(request) else "kb_search.html"
    return render(
        request,
        template,
        q=q,
        category=category,
        hits=hits,
        categories=categories,
        may_edit=may(identity(request).roles, P.KB_WRITE),
    )


async def article_page(request: web.Request) -> web.Response:
    context, article_id = _ctx(request), _article_id(request)

    def work() -> Any:
        with context.uow(write=False) as uow:
            return uow.knowledge.get(article_id)

    article = await in_thread(work)
    editor = may(identity(request).roles, P.KB_WRITE)
    # Unpublished text is the editors' business: readers get the same 404 as for no article.
    if article is None or (article.state is not ArticleState.PUBLISHED and not editor):
        raise web.HTTPNotFound(text="no such article")
    return render(request, "kb_article.html", a=article, may_edit=editor)


async def editor_page(request: web.Request) -> web.Response:
    context = _ctx(request)
    state = request.query.get("state", "")
    states = (ArticleState(state),) if state in {s.value for s in ALL_STATES} else ALL_STATES
    q = request.query.get("q", "")[:200]

    def work() -> Any:
        with context.uow(write=False) as uow:
            return (
                uow.knowledge.search(q, limit=200, states=states),
                uow.knowledge.categories(states=ALL_STATES),
            )

    hits, categories = await in_thread(work)
    return render(request, "kb_editor.html", hits=hits, state=state, q=q, categories=categories)


def _fields(form: Any) -> dict[str, str]:
    return {k: str(form.get(k, ""))[:100_000] for k in ("title", "body", "category", "lang")}


async def new_page(request: web.Request) -> web.Response:
    return await _edit_form(request, None, {"lang": "zh"}, [])


async def _edit_form(
    request: web.Request, article: Any, values: dict[str, str], errors: list[str], status: int = 200
) -> web.Response:
    context = _ctx(request)

    def work() -> Any:
        with context.uow(write=False) as uow:
            return uow.knowledge.categories(states=ALL_STATES)

    page = render(
        request,
        "kb_edit.html",
        a=article,
        values=values,
        errors=errors,
        categories=[c for c, _n in await in_thread(work)],
        actions=[a for a, (src, _t) in TRANSITIONS.items() if article and article.state is src],
    )
    page.set_status(status)
    return page


async def new_post(request: web.Request) -> web.Response:
    context, me = _ctx(request), identity(request)
    values = _fields(await request.post())

    def work() -> int:
        with context.uow() as uow:
            article = add_article(uow, actor=me.username, state=ArticleState.DRAFT, **values)
            uow.commit()
            assert article.id is not None
            return article.id

    try:
        article_id = await in_thread(work)
    except ValueError as error:
        return await _edit_form(request, None, values, [str(error)], status=400)
    raise web.HTTPSeeOther(f"/kb/edit/{article_id}")


async def edit_page(request: web.Request) -> web.Response:
    context, article_id = _ctx(request), _article_id(request)

    def work() -> Any:
        with context.uow(write=False) as uow:
            return uow.knowledge.get(article_id)

    article = await in_thread(work)
    if article is None:
        raise web.HTTPNotFound(text="no such article")
    values = {k: getattr(article, k) for k in ("title", "body", "category", "lang")}
    return await _edit_form(request, article, values, [])


async def edit_post(request: web.Request) -> web.Response:
    context, article_id, me = _ctx(request), _article_id(request), identity(request)
    values = _fields(await request.post())

    def work() -> Any:
        with context.uow() as uow:
            article = update_article(uow, article_id, actor=me.username, **values)
            uow.commit()
            return article

    try:
        await in_thread(work)
    except LookupError:
        raise web.HTTPNotFound(text="no such article") from None
    except ValueError as error:

        def reread() -> Any:
            with context.uow(write=False) as uow:
                return uow.knowledge.get(article_id)

        return await _edit_form(request, await in_thread(reread), values, [str(error)], 400)
    raise web.HTTPSeeOther(f"/kb/edit/{article_id}")


async def review_post(request: web.Request) -> web.Response:
    context, article_id, me = _ctx(request), _article_id(request), identity(request)
    action = str((await request.post()).get("action", ""))

    def work() -> Any:
        with context.uow() as uow:
            article = review_article(uow, article_id, action, actor=me.username)
            uow.commit()
            return article

    try:
        await in_thread(work)
    except LookupError:
        raise web.HTTPNotFound(text="no such article") from None
    except ArticleStateError:
        page = render(
            request,
            "kb_message.html",
            title=translate(request, "Not possible now"),
            message=translate(request, "The article is not in a state this step applies to."),
            back=f"/kb/edit/{article_id}",
        )
        page.set_status(409)
        return page
    raise web.HTTPSeeOther(f"/kb/edit/{article_id}")


def setup_pages(app: web.Application) -> None:
    add_nav(app, "/kb", N_("Knowledge base"), 35)
    add_nav(app, "/kb/edit", N_("Edit articles"), 36)
    app.router.add_get("/kb", kb_page)
    app.router.add_get("/kb/articles/{article_id}", article_page)
    app.router.add_get("/kb/edit", editor_page)
    app.router.add_get("/kb/edit/new", new_page)
    app.router.add_post("/kb/edit/new", new_post)
    app.router.add_get("/kb/edit/{article_id}", edit_page)
    app.router.add_post("/kb/edit/{article_id}", edit_post)
    app.router.add_post("/kb/edit/{article_id}/review", review_post)
