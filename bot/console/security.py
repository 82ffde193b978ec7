"""Passwords (argon2), sessions (encrypted, HttpOnly, SameSite cookies), CSRF tokens, login throttling."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp_session import get_session
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session

from storage.models import ConsoleUser, Member
from storage.staff import STAFF_ROLES
from storage.types import utcnow

log = logging.getLogger("gridbot.console")

_HASHER = PasswordHasher()
_DUMMY = _HASHER.hash("gridbot-dummy-password")  # unknown users cost the same time as known ones
MIN_PASSWORD = 8
CSRF_FIELD = "_csrf"
CSRF_HEADER = "X-CSRF-Token"


class PasswordRefused(ValueError):
    """The password or the user cannot be used; the message is for the person at the terminal."""


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def set_password(session: Session, userid: str, password: str) -> ConsoleUser:
    member = session.get(Member, userid)
    if member is None:
        raise PasswordRefused(f"没有成员 {userid}：请先在组织架构中登记。")
    if member.role not in STAFF_ROLES:
        raise PasswordRefused(f"{userid} 是居民，只有工作人员可以登录工作台。")
    if len(password) < MIN_PASSWORD:
        raise PasswordRefused(f"密码至少 {MIN_PASSWORD} 位。")
    row = session.get(ConsoleUser, userid) or ConsoleUser(userid=userid, password_hash="")
    row.password_hash = hash_password(password)
    row.updated_at = utcnow()
    session.add(row)
    return row


def verify(session: Session, userid: str, password: str) -> Member | None:
    """The staff member when the password is right, else None (same work either way)."""
    row = session.get(ConsoleUser, userid) if userid else None
    try:
        _HASHER.verify(row.password_hash if row else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    member = session.get(Member, userid)
    return member if member is not None and member.role in STAFF_ROLES else None


def cookie_key(secret: str) -> bytes:
    """The 32-byte Fernet key for the session cookie, derived from ``[console] secret_key``."""
    return hashlib.sha256(b"gridbot-console:" + secret.encode()).digest()


# --- CSRF ----------------------------------------------------------------------------------------------------


async def csrf_token(request: web.Request) -> str:
    session = await get_session(request)
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


async def check_csrf(request: web.Request) -> bool:
    session = await get_session(request)
    expected = session.get("csrf") or ""
    given = request.headers.get(CSRF_HEADER, "")
    if not given and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        given = str(form.get(CSRF_FIELD, ""))
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())


# --- throttling ----------------------------------------------------------------------------------------------


@dataclass
class Throttle:
    """Failed logins per user and per address; past ``max_failures`` within ``lock_seconds`` tries wait."""

    max_failures: int
    lock_seconds: float
    clock: callable = time.monotonic
    _fails: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def _recent(self, key: str) -> deque[float]:
        q = self._fails[key]
        now = self.clock()
        while q and now - q[0] > self.lock_seconds:
            q.popleft()
        return q

    def retry_after(self, *keys: str) -> float:
        """Seconds until another try is allowed (0: now)."""
        waits = []
        for k in keys:
            q = self._recent(k)
            if len(q) >= self.max_failures:
                waits.append(self.lock_seconds - (self.clock() - q[0]))
        return max(waits, default=0.0)

    def failed(self, *keys: str) -> int:
        n = 0
        for k in keys:
            q = self._recent(k)
            q.append(self.clock())
            n = max(n, len(q))
        return n

    def succeeded(self, *keys: str) -> None:
        for k in keys:
            self._fails.pop(k, None)
