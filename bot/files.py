"""``GET /files/{token}``: one attachment, through a signed link given to one person (handlers/links.py).

A link works only while it has not expired and only while the person it names may still see the ticket
(its reporter, or staff in scope): 403 otherwise, 404 when the file was purged. Answers are never cached
and never sniffed as something else by a browser.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from urllib.parse import quote

from aiohttp import web
from sqlalchemy import Engine

from handlers import evidence, links
from handlers.context import Services
from storage import media
from storage.blobs import BlobNotFound, BlobStore
from storage.db import session_factory
from storage.models import Attachment, Ticket

log = logging.getLogger("gridbot.files")

_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"}


def _lookup(engine: Engine, services: Services, grant: links.Grant) -> tuple[Attachment, str] | str:
    with session_factory(engine)() as s:
        att = s.get(Attachment, grant.attachment_id)
        ticket = s.get(Ticket, att.ticket_id) if att is not None and att.ticket_id is not None else None
        if att is None or ticket is None:
            return "missing"
        if not evidence.can_view(s, services, grant.viewer, ticket, services.clock()):
            return "denied"
        if att.status != "stored" or not att.sha256:
            return "gone"
        return att, att.sha256


def files_view(get_engine: Callable[[], Engine], get_blobs: Callable[[], BlobStore], secret: str,
               services: Services):
    async def view(request: web.Request) -> web.Response:
        try:
            grant = links.verify(secret, request.match_info["token"], services.clock())
        except links.BadLink as e:
            log.warning("files.refused reason=%s remote=%s", e, request.remote)
            return web.Response(status=403, text="链接无效或已过期，请重新发送「附件 工单号」获取。", headers=_HEADERS)
        found = await asyncio.to_thread(_lookup, get_engine(), services, grant)
        if found == "denied":
            log.warning("files.denied attachment=%s viewer=%s", grant.attachment_id, grant.viewer)
            return web.Response(status=403, text="您没有查看该附件的权限。", headers=_HEADERS)
        if isinstance(found, str):
            return web.Response(status=404, text="附件不存在或已按保存期限删除。", headers=_HEADERS)
        att, sha = found
        try:
            data = await asyncio.to_thread(get_blobs().get, sha)
        except BlobNotFound:
            return web.Response(status=404, text="附件不存在或已按保存期限删除。", headers=_HEADERS)
        name = att.name or f"attachment-{att.id}.{media.extension(att.content_type)}"
        inline = (att.content_type or "").startswith(("image/", "audio/", "video/")) or att.content_type == (
            "application/pdf")
        disposition = f"{'inline' if inline else 'attachment'}; filename*=UTF-8''{quote(name)}"
        log.info("files.served attachment=%s viewer=%s bytes=%d", att.id, grant.viewer, len(data))
        return web.Response(body=data, content_type=att.content_type or "application/octet-stream",
                            headers={**_HEADERS, "Content-Disposition": disposition})

    return view
