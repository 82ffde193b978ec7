"""/console/org: street → community → grid with people and bound chats, each grid's three lists, and an .xlsx
(or .csv) import with a preview and row-level errors — the checks of ``gridbot org import`` (bot/orgimport).
"""

from __future__ import annotations

from collections import defaultdict

from aiohttp import web
from sqlmodel import Session, select

from bot.cli_org import org_tree
from bot.console.access import Refused, audit
from bot.console.site import db, render, staff
from bot.orgimport import OrgFileError, apply_plan, plan_from_csv_text, read_text, xlsx_to_csv
from storage.models import ListEntry

MAX_UPLOAD = 5 * 1024 * 1024


def _visible(tree: list[dict], grids: frozenset[str] | None) -> list[dict]:
    if grids is None:
        return tree
    out = []
    for st in tree:
        cs = []
        for co in st["communities"]:
            gs = [g for g in co["grids"] if g["id"] in grids]
            if gs:
                cs.append({**co, "grids": gs})
        if cs:
            out.append({**st, "communities": cs})
    return out


async def page(request: web.Request) -> web.Response:
    who = staff(request)

    def work(s: Session) -> dict:
        lists: dict[str, dict[str, list[ListEntry]]] = defaultdict(lambda: defaultdict(list))
        for e in s.exec(select(ListEntry).order_by(ListEntry.grid_id, ListEntry.kind, ListEntry.id)).all():
            if who.grids is None or e.grid_id in who.grids:
                lists[e.grid_id][e.kind].append(e)
        return {"tree": _visible(org_tree(s), who.grids), "lists": lists}

    return await render(request, "org.html", {**await db(request)(work), "preview": None, "problems": None})


def _admin(request: web.Request):
    who = staff(request)
    if not who.is_admin:
        raise Refused("只有管理员可以导入组织架构。", action="org_import", target="org")
    return who


async def upload(request: web.Request) -> web.Response:
    """Preview (``step=preview``, a file) or import (``step=apply``, the previewed text)."""
    who = _admin(request)
    form = await request.post()
    step = form.get("step", "preview")
    if step == "apply":
        text, name = str(form.get("text", "")), str(form.get("name", "upload.csv"))
    else:
        f = form.get("file")
        if f is None or not hasattr(f, "file"):
            return await _show(request, problems=["请选择要导入的 .xlsx 或 .csv 文件。"])
        name = f.filename or "upload"
        data = f.file.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            return await _show(request, problems=["文件超过 5 MB。"])
        try:
            if name.lower().endswith(".xlsx"):
                text = xlsx_to_csv(data)
            elif name.lower().endswith(".csv"):
                text = _decode(data)
            else:
                return await _show(request, problems=["只支持 .xlsx 或 .csv 文件。"])
        except OrgFileError as e:
            return await _show(request, problems=e.problems)

    def work(s: Session):
        plan = plan_from_csv_text(s, text, name)
        if step == "apply":
            apply_plan(s, plan)
            audit(s, who.userid, "org_import", "org", "ok", plan.summary(), request.remote)
        return plan

    try:
        plan = await db(request)(work, commit=step == "apply")
    except OrgFileError as e:
        problems = e.problems
        await db(request)(lambda s: audit(s, who.userid, "org_import", "org", "refused",
                                          f"{len(problems)} problems", request.remote), commit=True)
        return await _show(request, problems=problems)
    if step == "apply":
        from aiohttp_session import get_session

        (await get_session(request))["flash"] = f"已导入：{plan.summary()}"
        raise web.HTTPSeeOther("/console/org")
    return await _show(request, preview={"plan": plan, "text": text, "name": name})


def _decode(data: bytes) -> str:
    import tempfile
    from pathlib import Path

    with tempfile.NamedTemporaryFile(suffix=".csv") as tmp:
        Path(tmp.name).write_bytes(data)
        return read_text(Path(tmp.name))


async def _show(request: web.Request, *, preview=None, problems=None) -> web.Response:
    who = staff(request)

    def work(s: Session) -> dict:
        return {"tree": _visible(org_tree(s), who.grids), "lists": {}}

    return await render(request, "org.html", {**await db(request)(work), "preview": preview,
                                              "problems": problems}, status=400 if problems else 200)


def routes(app: web.Application) -> None:
    app.router.add_get("/org", page)
    app.router.add_post("/org/import", upload)
