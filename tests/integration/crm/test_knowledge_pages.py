"""The knowledge-base pages: search and browse (published only, for every reader), the
editor with the review step draft -> review -> published (supervisors), audit, CSRF,
roles and hostile text."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from crm.model.organization import Role
from crm.services.knowledge import add_article
from crm.uow import UnitOfWork
from tests.integration.crm.pages import HOSTILE, USERS, Site, site

AGENT, BOSS, STAFF = USERS[Role.AGENT], USERS[Role.SUPERVISOR], USERS[Role.DEPARTMENT_STAFF]


def seed(sql: Any) -> None:
    with UnitOfWork(sql) as uow:
        add_article(uow, actor="seed", title="电视没有信号怎么办", body="检查机顶盒电源和信号线。",
                    category="电视", lang="zh")  # fmt: skip
        add_article(uow, actor="seed", title="Billing cycle", body="Bills are issued monthly.",
                    category="billing", lang="en")  # fmt: skip
        uow.commit()


async def get(s: Site, path: str, status: int = 200) -> str:
    resp = await s.client.get(path, allow_redirects=False)
    text = await resp.text()
    assert resp.status == status, (path, resp.status, text[:300])
    return text


async def post(s: Site, path: str, token: str | None, **data: str) -> Any:
    if token is not None:
        data["csrf"] = token
    return await s.client.post(path, data=data, headers={"Origin": s.origin}, allow_redirects=False)


async def test_agents_search_and_browse_published_articles(tmp_path: Path) -> None:
    async with site(tmp_path, prepare=seed) as s:
        await s.login(AGENT)
        hits = await get(s, "/kb?q=电视没信号")  # jieba: 电视 + 信号
        assert "电视没有信号怎么办" in hits and "Billing" not in hits
        assert "Billing cycle" in await get(s, "/kb?q=bills")  # stems
        browse = await get(s, "/kb?category=billing")
        assert "Billing cycle" in browse and "电视没有信号" not in browse
        assert "电视 (1)" in await get(s, "/kb")
        assert 'id="kb-editor"' not in browse  # agents do not edit
        assert 'id="kb-none"' in await get(s, "/kb?q=量子")
        await get(s, "/kb/edit", 403)
        await s.login(STAFF)
        assert "Billing cycle" in await get(s, "/kb?q=billing")


async def test_supervisor_writes_reviews_and_publishes(tmp_path: Path) -> None:
    async with site(tmp_path, prepare=seed) as s:
        token = await s.login(BOSS)
        made = await post(s, "/kb/edit/new", token, title="宽带断网 " + HOSTILE[0],
                          body="重启光猫。" + HOSTILE[1], category="宽带", lang="zh")  # fmt: skip
        assert made.status == 303
        match = re.fullmatch(r"/kb/edit/(\d+)", made.headers["Location"])
        assert match is not None
        url = match.group(0)
        article_id = match.group(1)
        editor = await get(s, url)
        assert 'id="article-state">Draft' in editor.replace("\n", "")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in editor and "<script>alert" not in editor
        assert 'id="review-submit"' in editor and 'id="review-publish"' not in editor
        # drafts are not searchable, nor readable, by agents
        agent_token = await s.login(AGENT)
        assert 'id="kb-none"' in await get(s, "/kb?q=宽带断网")
        await get(s, f"/kb/articles/{article_id}", 404)
        refused = await post(s, f"{url}/review", agent_token, action="publish")
        assert refused.status == 403
        token = await s.login(BOSS)
        assert (await post(s, f"{url}/review", None, action="submit")).status == 403  # no CSRF
        early = await post(s, f"{url}/review", token, action="publish")
        assert early.status == 409  # a draft is reviewed before it is published
        edited = await post(s, url, token, title="宽带断网怎么办", body="重启光猫。",
                            category="宽带", lang="zh")  # fmt: skip
        assert edited.status == 303
        assert (await post(s, f"{url}/review", token, action="submit")).status == 303
        assert 'id="article-state">In review' in (await get(s, url)).replace("\n", "")
        assert (await post(s, f"{url}/review", token, action="publish")).status == 303
        await s.login(AGENT)
        assert "宽带断网怎么办" in await get(s, "/kb?q=宽带")
        assert "重启光猫" in await get(s, f"/kb/articles/{article_id}")
        actions = [e.action for e in reversed(s.audit_all(article_id))]
        assert actions[:1] == ["kb.create"] and actions[-2:] == ["kb.submit", "kb.publish"]


async def test_review_steps_out_of_order_are_refused(tmp_path: Path) -> None:
    async with site(tmp_path, prepare=seed) as s:
        token = await s.login(BOSS)
        made = await post(s, "/kb/edit/new", token, title="t", body="b", category="c", lang="en")
        url = made.headers["Location"]
        refused = await post(s, f"{url}/review", token, action="publish")
        assert refused.status == 409 and "Not possible now" in await refused.text()
        assert (await post(s, f"{url}/review", token, action="bogus")).status == 409
        empty = await post(s, "/kb/edit/new", token, title=" ", body="b", category="c", lang="en")
        assert empty.status == 400 and "title must not be empty" in await empty.text()
        await get(s, "/kb/edit/424242", 404)


async def test_knowledge_pages_in_chinese(tmp_path: Path) -> None:
    async with site(tmp_path, prepare=seed) as s:
        await s.login(BOSS, lang="zh")
        text = await get(s, "/kb/edit")
        assert "编辑文章" in text and "Edit articles" not in text and "已发布" in text
