"""Signed, expiring links to one attachment for one viewer: ``{public_url}/files/{token}``.

The token names the attachment, the person it was given to and when it expires, signed with HMAC-SHA256 of
``[attachments] link_secret``; nothing in it can be guessed or changed. When the link is opened the server
checks the signature and the time, and then asks again whether that person may still see the ticket (staff
in scope, or its reporter), so a link forwarded to someone else or kept after a transfer stops working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from handlers.settings import LinkSettings


class BadLink(Exception):
    """Not a link we made, changed, or expired."""


@dataclass(frozen=True, slots=True)
class Grant:
    attachment_id: int
    viewer: str
    expires: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sig(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def token(secret: str, attachment_id: int, viewer: str, expires: datetime) -> str:
    payload = _b64(json.dumps([attachment_id, viewer, int(expires.timestamp())], separators=(",", ":"),
                              ensure_ascii=False).encode())
    return f"{payload}.{_sig(secret, payload)}"


def url(link: LinkSettings, attachment_id: int, viewer: str, now: datetime) -> str | None:
    if not link.enabled:
        return None
    t = token(link.secret, attachment_id, viewer, now + link.ttl)
    return f"{link.public_url.rstrip('/')}/files/{t}"


def verify(secret: str, tok: str, now: datetime) -> Grant:
    if not secret:
        raise BadLink("links are not configured")
    payload, _, sig = tok.partition(".")
    if not payload or not sig or not hmac.compare_digest(sig.encode(), _sig(secret, payload).encode()):
        raise BadLink("bad signature")
    try:
        att, viewer, exp = json.loads(_unb64(payload))
        grant = Grant(int(att), str(viewer), datetime.fromtimestamp(int(exp), UTC))
    except (ValueError, TypeError, UnicodeDecodeError) as e:
        raise BadLink(f"bad payload: {e}") from None
    if grant.expires <= now:
        raise BadLink("expired")
    return grant
