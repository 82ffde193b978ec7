"""Fixtures for the web console: the app with passwords for the example staff, and a logged-in browser-like client."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session

from conftest import Bridge

PASSWORD = "correct-horse-9"
STAFF = ("admin", "zhangwei", "liuqiang", "wangfang", "chenjing", "sunli", "lixiuying")
CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


def set_passwords(engine) -> None:
    from bot.console.security import set_password

    with Session(engine) as s:
        for userid in STAFF:
            set_password(s, userid, PASSWORD)
        s.commit()


@pytest.fixture
async def console(client, engine):
    set_passwords(engine)
    return client


async def csrf_of(client, path: str = "/console/login") -> str:
    resp = await client.get(path)
    m = CSRF.search(await resp.text())
    assert m, f"no CSRF token on {path}"
    return m.group(1)


async def login(client, userid: str, password: str = PASSWORD):
    token = await csrf_of(client)
    return await client.post("/console/login", data={"userid": userid, "password": password, "_csrf": token,
                                                     "next": "/console/tickets"}, allow_redirects=False)


async def logged_in(client, userid: str) -> str:
    """Log ``userid`` in; the CSRF token for their forms."""
    client.session.cookie_jar.clear()
    resp = await login(client, userid)
    assert resp.status == 303, await resp.text()
    return await csrf_of(client, "/console/tickets")


@pytest.fixture
def group(console) -> Bridge:
    return Bridge(console)
